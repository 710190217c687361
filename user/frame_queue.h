/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The bounded queue between a ring consumer (producer here) and the writer
 * thread: a single-producer, single-consumer byte ring of variable-length
 * frame records. Its size is fixed at start, so a slow disk shows up as
 * frames refused here (counted by the caller), never as memory growth.
 *
 * The producer pushes a batch, then publishes it with one release store and
 * at most one wake-up; the consumer takes records in place and gives their
 * space back in one store per batch. No lock on the data path.
 */
#ifndef VPNCAP_FRAME_QUEUE_H
#define VPNCAP_FRAME_QUEUE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define FRAME_REC_TS_HOOK 0x1u  /* timestamp taken at the XDP or TC hook */
#define FRAME_REC_OUTBOUND 0x2u /* transmitted (TC egress); else received */
#define FRAME_REC_COPIED 0x4u   /* a copy (inline): the frame itself went on to the stack */

/* One frame in the queue; caplen bytes of frame data follow, padded to 8. */
struct frame_rec {
	uint32_t size;          /* whole record, header included, multiple of 8 */
	uint32_t if_id;
	uint64_t ts_ns;
	uint32_t caplen;
	uint32_t origlen;
	uint32_t queue;
	uint32_t flags;         /* FRAME_REC_* */
};

struct frame_queue {
	uint8_t *buf;
	size_t cap;                     /* power of two */
	_Atomic uint64_t head;          /* published by the producer */
	_Atomic uint64_t tail;          /* released by the consumer */
	uint64_t prod_head;             /* producer's private write position */
	uint64_t cons_tail;             /* consumer's private read position */
	pthread_mutex_t lock;           /* only for sleeping and waking */
	pthread_cond_t cond;
	int sleeping;
	int closed;
};

/* cap is rounded up to a power of two (at least 1 MiB). 0 or -errno. */
int frame_queue_init(struct frame_queue *q, size_t cap);
void frame_queue_destroy(struct frame_queue *q);

/* Largest frame a record can carry in this queue. */
size_t frame_queue_max_frame(const struct frame_queue *q);

/* Producer: copy one frame in; -ENOSPC when the queue is full (not published yet). */
int frame_queue_push(struct frame_queue *q, const struct frame_rec *hdr, const void *data);
/* Producer: make what was pushed visible and wake the consumer if it sleeps. */
void frame_queue_publish(struct frame_queue *q);
/* Producer: no more records will come (the consumer drains, then sees the end). */
void frame_queue_close(struct frame_queue *q);

/* Consumer: next record or NULL when none is published. */
const struct frame_rec *frame_queue_peek(struct frame_queue *q);
/* Consumer: done with the record peek returned (space given back on release). */
void frame_queue_consume(struct frame_queue *q, const struct frame_rec *rec);
/* Consumer: give consumed space back to the producer. */
void frame_queue_release(struct frame_queue *q);
/* Consumer: wait up to timeout_ms for records; returns 0 when closed and empty. */
int frame_queue_wait(struct frame_queue *q, int timeout_ms);

#endif /* VPNCAP_FRAME_QUEUE_H */
