/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The bounded queue between a ring consumer (producer here) and the writer
 * thread: a single-producer, single-consumer byte ring of variable-length
 * frame records. Its size is fixed at start, so a slow disk shows up as
 * frames refused here (counted by the caller), never as memory growth.
 *
 * The producer pushes a batch, then publishes it with one release store; the
 * consumer takes records in place and gives their space back in one store
 * per batch. No lock on the data path: each side caches the other side's
 * position and reads it again only when it seems to have run out, and the
 * two sides' fields live on different cache lines.
 *
 * Sleeping goes through a doorbell (struct frame_bell). A queue rings its
 * own by default; a consumer of several queues (the writer) gives them one
 * shared bell, so a publish on any of them wakes it. A producer touches the
 * bell's lock only when the consumer said it is going to sleep: a busy
 * consumer costs the producer no lock and no syscall.
 *
 * Records may also refer to bytes the producer keeps (frame_queue_push_ref:
 * an AF_XDP UMEM frame), instead of holding a copy. The producer gets each
 * such buffer back through its reclaim function once the consumer has
 * released the record: frame_queue_reclaim walks the records between what
 * it last reclaimed and the consumer's tail. Space in the ring counts as
 * free only once reclaimed, so no reference is overwritten unreturned.
 *
 * A consumer that has just caught up can nap instead (frame_queue_nap): it
 * wakes by itself after a set time, and only a queue filled past a quarter
 * wakes it sooner. Under a steady flow that turns a wake-up per published
 * batch (a futex wake and two context switches, each costing more than the
 * batch's frames) into one per nap, while the queue still has room for it.
 */
#ifndef VPNCAP_PATH_FRAME_QUEUE_H
#define VPNCAP_PATH_FRAME_QUEUE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "frame_rec.h"


enum frame_bell_state {
	FRAME_BELL_AWAKE,
	FRAME_BELL_ASLEEP,      /* any publish rings */
	FRAME_BELL_NAPPING,     /* only a queue past its urgent mark (or a close) rings */
};

/* Where one consumer sleeps; see the file comment. */
struct frame_bell {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	_Atomic int sleeping;   /* enum frame_bell_state, set under lock by the consumer */
};

#define FRAME_QUEUE_CACHELINE 64

struct frame_queue {
	/* The producer's line: written on every publish. */
	_Atomic uint64_t head;          /* published by the producer */
	uint64_t prod_head;             /* producer's private write position */
	uint64_t prod_tail_seen;        /* tail as the producer last read (and reclaimed up to) */
	uint64_t refs_out;              /* reference records pushed and not reclaimed yet */
	char pad_producer[FRAME_QUEUE_CACHELINE - 4 * sizeof(uint64_t)];
	/* The consumer's line: written on every release. */
	_Atomic uint64_t tail;          /* released by the consumer */
	uint64_t cons_tail;             /* consumer's private read position */
	uint64_t cons_head_seen;        /* head as the consumer last read it */
	char pad_consumer[FRAME_QUEUE_CACHELINE - 3 * sizeof(uint64_t)];
	/* Read-mostly. */
	uint8_t *buf;
	size_t cap;                     /* power of two */
	struct frame_bell *_Atomic bell;/* rung on publish when its consumer sleeps */
	_Atomic int closed;
	struct frame_bell own_bell;     /* the bell of a queue nobody shares */
	/* The producer's: where references go back (NULL: none are pushed). */
	void (*reclaim)(void *ctx, uint64_t token);
	void *reclaim_ctx;
	uint64_t refs_urgent;           /* this many references out wake a napping consumer */
};

/* 0 or -errno. */
int frame_bell_init(struct frame_bell *b);
void frame_bell_destroy(struct frame_bell *b);

/* cap is rounded up to a power of two (at least 1 MiB). 0 or -errno. */
int frame_queue_init(struct frame_queue *q, size_t cap);
void frame_queue_destroy(struct frame_queue *q);

/*
 * Ring bell (NULL: the queue's own) instead of the queue's own from now on.
 * Call before the producer publishes for the first time.
 */
void frame_queue_set_bell(struct frame_queue *q, struct frame_bell *bell);

/* Largest frame a record can carry in this queue. */
size_t frame_queue_max_frame(const struct frame_queue *q);

/* Producer: copy one frame in; -ENOSPC when the queue is full (not published yet). */
int frame_queue_push(struct frame_queue *q, const struct frame_rec *hdr, const void *data);
/*
 * Producer: the same for a frame in several segments (multi-buffer AF_XDP):
 * hdr->caplen bytes gathered from iov in order. -EINVAL when the segments
 * hold fewer than caplen bytes, -ENOSPC when the queue is full.
 */
int frame_queue_pushv(struct frame_queue *q, const struct frame_rec *hdr,
		      const struct iovec *iov, unsigned int iovcnt);
/*
 * Producer: how references come back (set before the first push_ref).
 * refs_urgent: this many out wake a napping consumer (the buffers they hold
 * are what the producer's ring refills from); 0: only the byte mark.
 */
void frame_queue_set_reclaim(struct frame_queue *q, void (*reclaim)(void *ctx, uint64_t token),
			     void *ctx, uint64_t refs_urgent);
/*
 * Producer: a record that refers to hdr->caplen bytes at data, which stay
 * valid until reclaim(ctx, token) is called. -ENOSPC when the queue is full.
 */
int frame_queue_push_ref(struct frame_queue *q, const struct frame_rec *hdr, const void *data,
			 uint64_t token);
/*
 * Producer: the same for a frame in n buffers (multi-buffer AF_XDP), each
 * given back by its own token; their lengths add up to hdr->caplen or more.
 * -EINVAL for none, more than FRAME_REC_MAX_SEGS or too few bytes, -ENOSPC
 * when the queue is full.
 */
int frame_queue_push_refs(struct frame_queue *q, const struct frame_rec *hdr,
			  const struct frame_ref *segs, unsigned int n);
/* Producer: hand back the buffers of references the consumer has released; how many. */
uint64_t frame_queue_reclaim(struct frame_queue *q);
/* Producer: buffers pushed by reference and not reclaimed yet. */
static inline uint64_t frame_queue_refs_out(const struct frame_queue *q)
{
	return q->refs_out;
}
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
/*
 * Consumer that gives space back later than it consumes (the records' bytes
 * still being written from where they are): where it has consumed up to
 * now, and, later, give back everything before such a position. Positions
 * given back never go down.
 */
static inline uint64_t frame_queue_consumed(const struct frame_queue *q)
{
	return q->cons_tail;
}
void frame_queue_release_to(struct frame_queue *q, uint64_t pos);
/* Consumer: wait up to timeout_ms for records; returns 0 when closed and empty. */
int frame_queue_wait(struct frame_queue *q, int timeout_ms);
/*
 * Consumer of n queues that all ring bell: wait up to timeout_ms until one
 * has records. Returns at once, without a lock, when one has. Returns 0 when
 * every queue is closed and empty.
 */
int frame_queue_wait_any(struct frame_queue *const *queues, unsigned int n,
			 struct frame_bell *bell, int timeout_ms);
/*
 * Consumer that has just caught up, while frames flow: sleep nap_us, or
 * less if a queue ringing bell fills past a quarter of its size or closes.
 */
void frame_queue_nap(struct frame_bell *bell, long nap_us);

#endif /* VPNCAP_PATH_FRAME_QUEUE_H */
