// SPDX-License-Identifier: GPL-2.0-only
#include "writer.h"
#include "clock.h"

#include <string.h>

#define WRITER_WAIT_MS 100
#define WRITER_BATCH 256
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
	if (has)
		fileset_reconfigure(w->fs, &cfg, now);
}

void writer_reconfigure(struct writer *w, const struct fileset_config *cfg)
{
	pthread_mutex_lock(&w->lock);
	w->pending = *cfg;
	w->has_pending = 1;
	pthread_mutex_unlock(&w->lock);
}

/* The file-set facts others may read, copied under the lock. */
static void publish_status(struct writer *w)
{
	pthread_mutex_lock(&w->lock);
	w->status.stats = w->fs->stats;
	/* stats.bytes counts completed files; add what the current one has. */
	if (w->fs->file_open)
		w->status.stats.bytes += capture_file_size(&w->fs->file);
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

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	uint64_t next_tick = 0;

	while (frame_queue_wait(w->queue, WRITER_WAIT_MS)) {
		const struct frame_rec *rec;
		unsigned int n = 0;
		uint64_t now;

		while (n < WRITER_BATCH && (rec = frame_queue_peek(w->queue))) {
			fileset_write(w->fs, rec);
			frame_queue_consume(w->queue, rec);
			n++;
		}
		frame_queue_release(w->queue);
		now = clock_real_ns();
		if (now >= next_tick) {
			apply_pending(w, now);
			fileset_tick(w->fs, now);
			publish_status(w);
			next_tick = now + TICK_INTERVAL_NS;
		}
	}
	return NULL;
}

int writer_start(struct writer *w, struct frame_queue *queue, struct fileset *fs)
{
	int ret;

	w->queue = queue;
	w->fs = fs;
	pthread_mutex_init(&w->lock, NULL);
	ret = pthread_create(&w->thread, NULL, writer_main, w);
	w->started = !ret;
	return -ret;
}

void writer_finish(struct writer *w)
{
	if (!w->started)
		return;
	frame_queue_close(w->queue);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	w->started = 0;
}
