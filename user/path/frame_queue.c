// SPDX-License-Identifier: GPL-2.0-only
#include "path/frame_queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIN_CAP (1u << 20)
#define ALIGN8(x) (((x) + 7u) & ~(size_t)7u)

/* A record with if_id PAD_RECORD only fills the end of the ring. */
#define PAD_RECORD UINT32_MAX

/* ---- the doorbell ----------------------------------------------------------- */

int frame_bell_init(struct frame_bell *b)
{
	pthread_condattr_t attr;
	int ret;

	atomic_init(&b->sleeping, 0);
	ret = pthread_mutex_init(&b->lock, NULL);
	if (ret)
		return -ret;
	/* Timeouts on the monotonic clock: a wall-clock step never stalls the writer. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	ret = pthread_cond_init(&b->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (ret)
		pthread_mutex_destroy(&b->lock);
	return -ret;
}

void frame_bell_destroy(struct frame_bell *b)
{
	pthread_cond_destroy(&b->cond);
	pthread_mutex_destroy(&b->lock);
}

static void bell_ring(struct frame_bell *b)
{
	pthread_mutex_lock(&b->lock);
	pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

/*
 * A queue at least this full wakes a napping consumer: a quarter leaves the
 * other three for the time the consumer takes to wake and catch up.
 */
static void learn_tail(struct frame_queue *q);

static int past_marks(const struct frame_queue *q)
{
	return q->prod_head - q->prod_tail_seen >= q->cap / 4 ||
	       (q->refs_urgent && q->refs_out >= q->refs_urgent);
}

static int past_urgent_mark(struct frame_queue *q)
{
	if (!past_marks(q))
		return 0;
	/* The tail seen may be old: look again before waking anyone. */
	learn_tail(q);
	return past_marks(q);
}

/*
 * Producer side of the sleep handshake: the head store, then a full fence,
 * then the look at sleeping. The consumer does the mirror image (sleeping
 * store, fence, look at the heads), so at least one of the two sees the
 * other's store and no wake-up is lost. A napping consumer wakes by itself
 * and is rung only for a queue past its urgent mark.
 */
static void bell_ring_if_waiting(struct frame_queue *q, struct frame_bell *b)
{
	int state;

	atomic_thread_fence(memory_order_seq_cst);
	state = atomic_load_explicit(&b->sleeping, memory_order_relaxed);
	if (state == FRAME_BELL_ASLEEP || (state == FRAME_BELL_NAPPING && past_urgent_mark(q)))
		bell_ring(b);
}

static struct frame_bell *bell_of(struct frame_queue *q)
{
	return atomic_load_explicit(&q->bell, memory_order_acquire);
}

void frame_queue_set_bell(struct frame_queue *q, struct frame_bell *bell)
{
	atomic_store_explicit(&q->bell, bell ? bell : &q->own_bell, memory_order_release);
}

/* ---- lifecycle ---------------------------------------------------------------- */

int frame_queue_init(struct frame_queue *q, size_t cap)
{
	size_t c = MIN_CAP;
	int ret;

	memset(q, 0, sizeof(*q));
	while (c < cap && c < ((size_t)1 << 40))
		c <<= 1;
	q->buf = aligned_alloc(64, c);
	if (!q->buf)
		return -ENOMEM;
	ret = frame_bell_init(&q->own_bell);
	if (ret) {
		free(q->buf);
		q->buf = NULL;
		return ret;
	}
	q->cap = c;
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	atomic_init(&q->closed, 0);
	atomic_init(&q->bell, &q->own_bell);
	return 0;
}

void frame_queue_destroy(struct frame_queue *q)
{
	if (!q->buf)
		return;
	frame_bell_destroy(&q->own_bell);
	free(q->buf);
	q->buf = NULL;
}

size_t frame_queue_max_frame(const struct frame_queue *q)
{
	/* The record's size, padded to 8, must also fit its 32-bit field. */
	const size_t size_max = (UINT32_MAX & ~(size_t)7u) - sizeof(struct frame_rec);
	/* Half the ring, so a record fits even after padding the end. */
	size_t max = q->cap / 2 - sizeof(struct frame_rec);

	return max < size_max ? max : size_max;
}

/* ---- producer ------------------------------------------------------------------- */

/* Bytes left before the end of the ring at position pos. */
static size_t until_end(const struct frame_queue *q, uint64_t pos)
{
	return q->cap - (size_t)(pos & (q->cap - 1));
}

/*
 * The record at pos, stepping over the end-of-ring padding; pos moves to it.
 * Both sides walk the same way (the consumer in peek, the producer in reclaim).
 */
static const struct frame_rec *record_at(const struct frame_queue *q, uint64_t *pos,
					 uint64_t end)
{
	while (*pos != end) {
		size_t left = until_end(q, *pos);
		const struct frame_rec *rec;

		if (left < sizeof(*rec)) {
			*pos += left; /* too small to hold a pad record */
			continue;
		}
		rec = (const void *)(q->buf + (*pos & (q->cap - 1)));
		if (rec->if_id == PAD_RECORD) {
			*pos += rec->size;
			continue;
		}
		return rec;
	}
	return NULL;
}

/* The consumer's tail, with every reference it released handed back first. */
static void learn_tail(struct frame_queue *q)
{
	uint64_t tail = atomic_load_explicit(&q->tail, memory_order_acquire), pos;
	const struct frame_rec *rec;

	if (!q->reclaim || !q->refs_out) {
		q->prod_tail_seen = tail;
		return;
	}
	pos = q->prod_tail_seen;
	while ((rec = record_at(q, &pos, tail))) {
		if (rec->flags & FRAME_REC_REF) {
			const struct frame_refs *refs = frame_rec_refs(rec);
			uint32_t i;

			for (i = 0; i < refs->n; i++)
				q->reclaim(q->reclaim_ctx, refs->seg[i].token);
			q->refs_out -= refs->n;
		}
		pos += rec->size;
	}
	q->prod_tail_seen = tail;
}

/* Room for need bytes; the consumer's tail is read only when the cached one is short. */
static int has_room(struct frame_queue *q, size_t need)
{
	if (q->cap - (size_t)(q->prod_head - q->prod_tail_seen) >= need)
		return 1;
	learn_tail(q);
	return q->cap - (size_t)(q->prod_head - q->prod_tail_seen) >= need;
}

/*
 * Claim a record for hdr and fill its header; NULL when it does not fit.
 * Records never wrap: the end of the ring is marked as padding if needed.
 */
static struct frame_rec *claim_record(struct frame_queue *q, const struct frame_rec *hdr,
				      size_t body)
{
	size_t need = ALIGN8(sizeof(*hdr) + body);
	size_t left = until_end(q, q->prod_head);
	size_t pad = left < need ? left : 0;
	struct frame_rec *rec;

	if (hdr->caplen > frame_queue_max_frame(q) || !has_room(q, pad + need))
		return NULL;
	if (pad) {
		if (pad >= sizeof(*rec)) {
			rec = (void *)(q->buf + (q->prod_head & (q->cap - 1)));
			rec->size = (uint32_t)pad;
			rec->if_id = PAD_RECORD;
		}
		q->prod_head += pad;
	}
	rec = (void *)(q->buf + (q->prod_head & (q->cap - 1)));
	*rec = *hdr;
	rec->size = (uint32_t)need;
	q->prod_head += need;
	return rec;
}

int frame_queue_push(struct frame_queue *q, const struct frame_rec *hdr, const void *data)
{
	struct frame_rec *rec = claim_record(q, hdr, hdr->caplen);

	if (!rec)
		return -ENOSPC;
	memcpy(rec + 1, data, hdr->caplen);
	return 0;
}

void frame_queue_set_reclaim(struct frame_queue *q, void (*reclaim)(void *ctx, uint64_t token),
			     void *ctx, uint64_t refs_urgent)
{
	q->reclaim = reclaim;
	q->reclaim_ctx = ctx;
	q->refs_urgent = refs_urgent;
}

int frame_queue_push_refs(struct frame_queue *q, const struct frame_rec *hdr,
			  const struct frame_ref *segs, unsigned int n)
{
	size_t body = sizeof(struct frame_refs) + n * sizeof(struct frame_ref);
	struct frame_refs *refs;
	struct frame_rec *rec;
	uint64_t bytes = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		bytes += segs[i].len;
	if (!q->reclaim || !n || n > FRAME_REC_MAX_SEGS || bytes < hdr->caplen)
		return -EINVAL;
	rec = claim_record(q, hdr, body);
	if (!rec)
		return -ENOSPC;
	rec->flags |= FRAME_REC_REF;
	refs = (struct frame_refs *)(void *)(rec + 1);
	refs->n = n;
	refs->pad = 0;
	memcpy(refs->seg, segs, n * sizeof(*segs));
	q->refs_out += n;
	return 0;
}

int frame_queue_push_ref(struct frame_queue *q, const struct frame_rec *hdr, const void *data,
			 uint64_t token)
{
	const struct frame_ref seg = { .data = data, .token = token, .len = hdr->caplen };

	return frame_queue_push_refs(q, hdr, &seg, 1);
}

uint64_t frame_queue_reclaim(struct frame_queue *q)
{
	uint64_t before = q->refs_out;

	if (before)
		learn_tail(q);
	return before - q->refs_out;
}

static size_t iov_bytes(const struct iovec *iov, unsigned int iovcnt)
{
	size_t total = 0;
	unsigned int i;

	for (i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	return total;
}

int frame_queue_pushv(struct frame_queue *q, const struct frame_rec *hdr,
		      const struct iovec *iov, unsigned int iovcnt)
{
	struct frame_rec *rec;
	size_t left = hdr->caplen;
	uint8_t *p;
	unsigned int i;

	if (iov_bytes(iov, iovcnt) < left)
		return -EINVAL;
	rec = claim_record(q, hdr, hdr->caplen);
	if (!rec)
		return -ENOSPC;
	p = (uint8_t *)(rec + 1);
	for (i = 0; i < iovcnt && left; i++) {
		size_t n = iov[i].iov_len < left ? iov[i].iov_len : left;

		memcpy(p, iov[i].iov_base, n);
		p += n;
		left -= n;
	}
	return 0;
}

void frame_queue_publish(struct frame_queue *q)
{
	atomic_store_explicit(&q->head, q->prod_head, memory_order_release);
	bell_ring_if_waiting(q, bell_of(q));
}

void frame_queue_close(struct frame_queue *q)
{
	atomic_store_explicit(&q->head, q->prod_head, memory_order_release);
	atomic_store_explicit(&q->closed, 1, memory_order_release);
	bell_ring(bell_of(q));
}

/* ---- consumer --------------------------------------------------------------------- */

const struct frame_rec *frame_queue_peek(struct frame_queue *q)
{
	const struct frame_rec *rec;

	if (q->cons_tail == q->cons_head_seen)
		q->cons_head_seen = atomic_load_explicit(&q->head, memory_order_acquire);
	rec = record_at(q, &q->cons_tail, q->cons_head_seen);
	if (rec)
		return rec;
	/* Only padding was left of what was seen: more may have come since. */
	q->cons_head_seen = atomic_load_explicit(&q->head, memory_order_acquire);
	return record_at(q, &q->cons_tail, q->cons_head_seen);
}

void frame_queue_consume(struct frame_queue *q, const struct frame_rec *rec)
{
	q->cons_tail += rec->size;
}

void frame_queue_release(struct frame_queue *q)
{
	/* Only a real change dirties the line the producer reads. */
	if (atomic_load_explicit(&q->tail, memory_order_relaxed) != q->cons_tail)
		atomic_store_explicit(&q->tail, q->cons_tail, memory_order_release);
}

void frame_queue_release_to(struct frame_queue *q, uint64_t pos)
{
	if (atomic_load_explicit(&q->tail, memory_order_relaxed) != pos)
		atomic_store_explicit(&q->tail, pos, memory_order_release);
}

static int has_records(struct frame_queue *q)
{
	return atomic_load_explicit(&q->head, memory_order_acquire) != q->cons_tail;
}

/* Closed and every record taken: closed is read first, it is stored after the last head. */
static int is_finished(struct frame_queue *q)
{
	return atomic_load_explicit(&q->closed, memory_order_acquire) && !has_records(q);
}

static int any_has_records(struct frame_queue *const *queues, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (has_records(queues[i]))
			return 1;
	return 0;
}

static int all_finished(struct frame_queue *const *queues, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!is_finished(queues[i]))
			return 0;
	return 1;
}

static void deadline_after_us(struct timespec *ts, long us)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += us / 1000000;
	ts->tv_nsec += (us % 1000000) * 1000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

int frame_queue_wait_any(struct frame_queue *const *queues, unsigned int n,
			 struct frame_bell *bell, int timeout_ms)
{
	struct timespec deadline;
	int more;

	if (any_has_records(queues, n))
		return 1;
	pthread_mutex_lock(&bell->lock);
	atomic_store_explicit(&bell->sleeping, FRAME_BELL_ASLEEP, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst); /* the mirror of bell_ring_if_waiting() */
	more = any_has_records(queues, n);
	if (!more && !all_finished(queues, n)) {
		deadline_after_us(&deadline, (long)timeout_ms * 1000);
		pthread_cond_timedwait(&bell->cond, &bell->lock, &deadline);
	}
	atomic_store_explicit(&bell->sleeping, FRAME_BELL_AWAKE, memory_order_relaxed);
	pthread_mutex_unlock(&bell->lock);
	return !all_finished(queues, n);
}

void frame_queue_nap(struct frame_bell *bell, long nap_us)
{
	struct timespec deadline;

	pthread_mutex_lock(&bell->lock);
	atomic_store_explicit(&bell->sleeping, FRAME_BELL_NAPPING, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	deadline_after_us(&deadline, nap_us);
	pthread_cond_timedwait(&bell->cond, &bell->lock, &deadline);
	atomic_store_explicit(&bell->sleeping, FRAME_BELL_AWAKE, memory_order_relaxed);
	pthread_mutex_unlock(&bell->lock);
}

int frame_queue_wait(struct frame_queue *q, int timeout_ms)
{
	return frame_queue_wait_any(&q, 1, bell_of(q), timeout_ms);
}
