// SPDX-License-Identifier: GPL-2.0-only
#include "frame_queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIN_CAP (1u << 20)
#define ALIGN8(x) (((x) + 7u) & ~(size_t)7u)

/* A record with if_id PAD_RECORD only fills the end of the ring. */
#define PAD_RECORD UINT32_MAX

int frame_queue_init(struct frame_queue *q, size_t cap)
{
	size_t c = MIN_CAP;

	memset(q, 0, sizeof(*q));
	while (c < cap && c < ((size_t)1 << 40))
		c <<= 1;
	q->buf = aligned_alloc(64, c);
	if (!q->buf)
		return -ENOMEM;
	q->cap = c;
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	return 0;
}

void frame_queue_destroy(struct frame_queue *q)
{
	if (!q->buf)
		return;
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
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

/* Bytes left before the end of the ring at position pos. */
static size_t until_end(const struct frame_queue *q, uint64_t pos)
{
	return q->cap - (size_t)(pos & (q->cap - 1));
}

int frame_queue_push(struct frame_queue *q, const struct frame_rec *hdr, const void *data)
{
	size_t need = ALIGN8(sizeof(*hdr) + hdr->caplen);
	uint64_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
	size_t pad = until_end(q, q->prod_head) < need ? until_end(q, q->prod_head) : 0;
	struct frame_rec *rec;

	if (hdr->caplen > frame_queue_max_frame(q) ||
	    q->cap - (size_t)(q->prod_head - tail) < pad + need)
		return -ENOSPC;
	if (pad) {
		/* Records never wrap: mark the end as padding and start over at 0. */
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
	memcpy(rec + 1, data, hdr->caplen);
	q->prod_head += need;
	return 0;
}

void frame_queue_publish(struct frame_queue *q)
{
	atomic_store_explicit(&q->head, q->prod_head, memory_order_release);
	/* The lock only orders this check with the consumer going to sleep. */
	pthread_mutex_lock(&q->lock);
	if (q->sleeping)
		pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

void frame_queue_close(struct frame_queue *q)
{
	atomic_store_explicit(&q->head, q->prod_head, memory_order_release);
	pthread_mutex_lock(&q->lock);
	q->closed = 1;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

const struct frame_rec *frame_queue_peek(struct frame_queue *q)
{
	uint64_t head = atomic_load_explicit(&q->head, memory_order_acquire);
	const struct frame_rec *rec;

	while (q->cons_tail != head) {
		size_t left = until_end(q, q->cons_tail);

		if (left < sizeof(*rec)) {
			q->cons_tail += left; /* too small to hold a pad record */
			continue;
		}
		rec = (const void *)(q->buf + (q->cons_tail & (q->cap - 1)));
		if (rec->if_id == PAD_RECORD) {
			q->cons_tail += rec->size;
			continue;
		}
		return rec;
	}
	return NULL;
}

void frame_queue_consume(struct frame_queue *q, const struct frame_rec *rec)
{
	q->cons_tail += rec->size;
}

void frame_queue_release(struct frame_queue *q)
{
	atomic_store_explicit(&q->tail, q->cons_tail, memory_order_release);
}

static void deadline_after(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

int frame_queue_wait(struct frame_queue *q, int timeout_ms)
{
	struct timespec deadline;
	int more;

	pthread_mutex_lock(&q->lock);
	more = atomic_load_explicit(&q->head, memory_order_acquire) != q->cons_tail;
	if (!more && !q->closed) {
		deadline_after(&deadline, timeout_ms);
		q->sleeping = 1;
		pthread_cond_timedwait(&q->cond, &q->lock, &deadline);
		q->sleeping = 0;
		more = atomic_load_explicit(&q->head, memory_order_acquire) != q->cons_tail;
	}
	more = more || !q->closed;
	pthread_mutex_unlock(&q->lock);
	return more;
}
