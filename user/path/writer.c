// SPDX-License-Identifier: GPL-2.0-only
#include "path/writer.h"
#include "clock.h"

#include <errno.h>
#include <string.h>

#define WRITER_WAIT_MS 100
#define WRITER_HELD_WAIT_MS 1   /* frames held by reference: look again this soon */
#define WRITER_BATCH 256
/*
 * After catching up with a flow, sleep this long before looking again
 * rather than be woken by the next batch a consumer thread publishes: at
 * 1 GB/s that lets 1 MB gather, against queues of several MiB.
 */
#define WRITER_NAP_US 1000
#define TICK_INTERVAL_NS 100000000ull

static void apply_pending(struct writer *w, uint64_t now)
{
	struct fileset_config cfg;
	int has;

	pthread_mutex_lock(&w->lock);
	has = w->has_pending;
	cfg = w->pending;
	w->has_pending = 0;
	pthread_mutex_unlock(&w->lock);
	if (has) {
		fileset_reconfigure(w->fs, &cfg, now);
		idb_set_unref(cfg.idbs);        /* the file set took its own */
	}
}

/* The pending configuration holds its own reference to its IDB set. */
void writer_reconfigure(struct writer *w, const struct fileset_config *cfg)
{
	struct idb_set *replaced = NULL;

	if (!w->started)
		return;         /* no file (--realtime alone): nothing to reconfigure */
	pthread_mutex_lock(&w->lock);
	if (w->has_pending)
		replaced = w->pending.idbs;     /* never applied */
	w->pending = *cfg;
	idb_set_ref(w->pending.idbs);
	w->has_pending = 1;
	pthread_mutex_unlock(&w->lock);
	idb_set_unref(replaced);
}

/* The file-set facts others may read, copied under the lock. */
static void publish_status(struct writer *w)
{
	pthread_mutex_lock(&w->lock);
	w->status.stats = w->fs->stats;
	/* stats.bytes counts completed files; add what the current one has. */
	if (w->fs->file_open)
		w->status.stats.bytes += output_file_size(&w->fs->file);
	fileset_current_path(w->fs, w->status.current, sizeof(w->status.current));
	pthread_mutex_unlock(&w->lock);
}

void writer_get_status(struct writer *w, struct writer_status *out)
{
	if (!w->started) {
		memset(out, 0, sizeof(*out));
		return;
	}
	pthread_mutex_lock(&w->lock);
	*out = w->status;
	pthread_mutex_unlock(&w->lock);
}

/* ---- the merge: a min-heap of the queues' head records, on ts_ns ---------------- */

static void heap_swap(struct writer_head *a, struct writer_head *b)
{
	struct writer_head t = *a;

	*a = *b;
	*b = t;
}

static void heap_sift_up(struct writer_head *h, unsigned int i)
{
	while (i && h[i].ts_ns < h[(i - 1) / 2].ts_ns) {
		heap_swap(&h[i], &h[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
}

static void heap_sift_down(struct writer_head *h, unsigned int n, unsigned int i)
{
	for (;;) {
		unsigned int l = 2 * i + 1, r = l + 1, min = i;

		if (l < n && h[l].ts_ns < h[min].ts_ns)
			min = l;
		if (r < n && h[r].ts_ns < h[min].ts_ns)
			min = r;
		if (min == i)
			return;
		heap_swap(&h[i], &h[min]);
		i = min;
	}
}

/* Every queue with a published record, by the time of its first one. */
static unsigned int heap_fill(struct writer *w)
{
	unsigned int i, n = 0;

	for (i = 0; i < w->n_queues; i++) {
		const struct frame_rec *rec = frame_queue_peek(w->queues[i]);

		if (!rec)
			continue;
		w->heap[n] = (struct writer_head){ rec->ts_ns, rec, w->queues[i] };
		heap_sift_up(w->heap, n++);
	}
	return n;
}

/* ---- holding records until their frames are written --------------------------- */

static void release_hold(struct writer *w, const struct writer_hold *h)
{
	unsigned int i;

	for (i = 0; i < h->n_queues; i++)
		frame_queue_release_to(w->queues[i], h->consumed[i]);
}

/* Give back the space of every hold whose frames the file set has written. */
static void release_written(struct writer *w)
{
	uint64_t done = fileset_refs_done(w->fs);

	while (w->hold_tail != w->hold_head) {
		const struct writer_hold *h = &w->holds[w->hold_tail % WRITER_HOLDS];

		if (h->refs > done)
			return;
		release_hold(w, h);
		w->hold_tail++;
	}
}

/*
 * After a batch: its records' space goes back now when the file set holds
 * none of its frames, else with a hold. With every hold taken, the newest
 * grows instead (its space comes back a little later, nothing waits).
 */
static void hold_batch(struct writer *w)
{
	unsigned int n = atomic_load_explicit(&w->n_queues, memory_order_relaxed), i;
	uint64_t refs = fileset_refs_added(w->fs);
	struct writer_hold *h;

	release_written(w);
	if (w->hold_tail == w->hold_head && refs == fileset_refs_done(w->fs)) {
		for (i = 0; i < n; i++)
			frame_queue_release(w->queues[i]);
		return;
	}
	if (w->hold_head - w->hold_tail == WRITER_HOLDS)
		w->hold_head--;
	h = &w->holds[w->hold_head++ % WRITER_HOLDS];
	h->refs = refs;
	h->n_queues = n;
	for (i = 0; i < n; i++)
		h->consumed[i] = frame_queue_consumed(w->queues[i]);
}

static int holding(const struct writer *w)
{
	return w->hold_tail != w->hold_head;
}

/*
 * Write up to WRITER_BATCH records, oldest head first. A queue that runs
 * empty leaves the heap until the next batch looks at it again. Returns 1
 * when it wrote records and every queue then ran empty (caught up).
 */
static int write_batch(struct writer *w)
{
	unsigned int n = heap_fill(w), done = 0;

	while (n && done < WRITER_BATCH) {
		struct writer_head *top = &w->heap[0];
		const struct frame_rec *next;

		/* A new interface's first frame: its IDB was handed over before it. */
		if (top->rec->if_id >= idb_set_count(w->fs->cfg.idbs))
			apply_pending(w, clock_real_ns());
		fileset_write_ref(w->fs, top->rec);
		frame_queue_consume(top->queue, top->rec);
		next = frame_queue_peek(top->queue);
		if (next)
			*top = (struct writer_head){ next->ts_ns, next, top->queue };
		else
			*top = w->heap[--n];
		heap_sift_down(w->heap, n, 0);
		done++;
	}
	if (done)
		hold_batch(w);
	else
		release_written(w);
	return done && !n;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	uint64_t next_tick = 0;

	while (frame_queue_wait_any(w->queues, w->n_queues, &w->bell,
				    holding(w) ? WRITER_HELD_WAIT_MS : WRITER_WAIT_MS)) {
		uint64_t now;
		int caught_up = write_batch(w);

		now = clock_real_ns();
		if (now >= next_tick) {
			apply_pending(w, now);
			fileset_tick(w->fs, now);
			publish_status(w);
			next_tick = now + TICK_INTERVAL_NS;
		}
		if (caught_up && holding(w))
			fileset_push(w->fs); /* a pause in the flow: the held frames now */
		if (caught_up)
			frame_queue_nap(&w->bell, WRITER_NAP_US);
	}
	return NULL;
}

int writer_start(struct writer *w, struct frame_queue *const *queues, unsigned int n_queues,
		 struct fileset *fs)
{
	unsigned int i;
	int ret;

	if (!n_queues || n_queues > WRITER_MAX_QUEUES)
		return -EINVAL;
	ret = frame_bell_init(&w->bell);
	if (ret)
		return ret;
	for (i = 0; i < n_queues; i++) {
		w->queues[i] = queues[i];
		frame_queue_set_bell(queues[i], &w->bell);
	}
	w->n_queues = n_queues;
	w->fs = fs;
	pthread_mutex_init(&w->lock, NULL);
	ret = pthread_create(&w->thread, NULL, writer_main, w);
	w->started = !ret;
	if (ret) {
		for (i = 0; i < n_queues; i++)
			frame_queue_set_bell(queues[i], NULL);
		pthread_mutex_destroy(&w->lock);
		frame_bell_destroy(&w->bell);
	}
	return -ret;
}

int writer_add_queue(struct writer *w, struct frame_queue *queue)
{
	unsigned int n = atomic_load_explicit(&w->n_queues, memory_order_relaxed);

	if (!w->started)
		return 0;
	if (n >= WRITER_MAX_QUEUES)
		return -ENOSPC;
	w->queues[n] = queue;
	frame_queue_set_bell(queue, &w->bell);
	/* Release: the writer that sees the count sees the queue. */
	atomic_store_explicit(&w->n_queues, n + 1, memory_order_release);
	return 0;
}

void writer_finish(struct writer *w)
{
	unsigned int i;

	if (!w->started)
		return;
	for (i = 0; i < w->n_queues; i++)
		frame_queue_close(w->queues[i]);
	pthread_join(w->thread, NULL);
	if (w->has_pending)
		idb_set_unref(w->pending.idbs);
	w->has_pending = 0;
	/* The queues may outlive the writer: give them their own bells back. */
	for (i = 0; i < w->n_queues; i++)
		frame_queue_set_bell(w->queues[i], NULL);
	pthread_mutex_destroy(&w->lock);
	frame_bell_destroy(&w->bell);
	w->started = 0;
}
