/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The way of a captured frame from a capture ring (an AF_XDP socket or the
 * BPF ring buffer) to the writer: its timestamp, its caplen (the capture's
 * snaplen and the matching filter's), the --count limit, the real-time view,
 * then the writer queue.
 *
 * Each producing thread has a struct frame_out of its own: its own SPSC
 * writer queue, its own clock offset and counters that only it writes, so
 * per-queue consumer threads share no cache line on the data path. What all
 * of them share (struct frame_path) is read-only while they run, except the
 * --count reservation and the per-rule snaplen a reload may change.
 */
#ifndef VPNCAP_PATH_FRAME_PATH_H
#define VPNCAP_PATH_FRAME_PATH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/uio.h>

#include "clock.h"
#include "capture_limits.h"
#include "path/frame_queue.h"
#include "path/realtime.h"
#include "vpncap/abi.h"

/* Counters written by one thread only: relaxed load and store, no locked add. */
#define COUNT_ADD(counter, n) \
	atomic_store_explicit(&(counter), \
			      atomic_load_explicit(&(counter), memory_order_relaxed) + (n), \
			      memory_order_relaxed)
#define COUNT_READ(counter) atomic_load_explicit(&(counter), memory_order_relaxed)

/* A frame as a ring hands it over, before it goes into the writer queue. */
struct captured {
	const uint8_t *data;    /* first (or only) segment */
	uint32_t len;           /* bytes captured in all segments */
	uint32_t origlen;       /* length of the frame on the wire */
	const struct iovec *segs; /* n_segs > 1: the segments, data first */
	uint32_t n_segs;
	uint32_t queue;
	uint32_t rule;          /* VPNCAP_MAX_RULES when unknown */
	uint32_t flags;         /* FRAME_REC_OUTBOUND, FRAME_REC_COPIED */
	int stamped;            /* hook_ns was taken at the hook */
	uint64_t hook_ns;
	int hw_stamped;         /* hw_ns came from the NIC (XDP RX metadata) */
	uint64_t hw_ns;
	int can_keep;           /* the producer can leave the bytes in place until reclaimed */
	uint64_t token;         /* then: what the queue's reclaim function gets back */
	const uint64_t *seg_tokens; /* and with n_segs > 1, each segment's */
};

/* What every producer shares. */
struct frame_path {
	uint32_t snaplen;
	int has_output;                 /* -w given: else frames only go to the view */
	uint64_t count;                 /* --count; 0 = unlimited */
	_Atomic uint64_t reserved;      /* --count: frames given a place so far */
	_Atomic uint32_t rule_snaplen[VPNCAP_MAX_RULES]; /* 0 = the capture's snaplen */
	struct realtime *rt;            /* --realtime, or NULL */
	pthread_mutex_t rt_lock;        /* the view's queue has one producer at a time */
	_Atomic int stop;               /* consumer threads: take what is left, then end */
};

/* What one producer counted for one interface. */
struct out_counts {
	_Atomic uint64_t queued;        /* handed to the writer (or the view without -w) */
	_Atomic uint64_t queue_full;    /* the writer queue had no room: dropped */
	_Atomic uint64_t after_count;   /* not written: --count was reached */
	_Atomic uint64_t ts_hook;       /* stamped at the XDP or TC hook */
	_Atomic uint64_t ts_batch;      /* stamped once per batch (no metadata) */
	_Atomic uint64_t ts_hw;         /* stamped by the NIC */
};

/* One producing thread's way to the writer. */
struct frame_out {
	struct frame_queue queue;
	struct vc_clock clock;
	int offered_view;               /* frames offered to the view since the last publish */
	struct out_counts per_if[CAPTURE_MAX_IFACES];
};

/* snaplen and --count of the capture; has_output: frames go to a file (-w). */
void frame_path_init(struct frame_path *p, uint32_t snaplen, int has_output, uint64_t count,
		     struct realtime *rt);
void frame_path_destroy(struct frame_path *p);
/* A reload's filters: their snaplens apply from the next frame. */
void frame_path_set_rules(struct frame_path *p, const struct vpncap_ruleset *rules);
/* --count reached: every frame from now on goes to after_count. */
int frame_path_count_reached(struct frame_path *p);

/* queue_bytes of writer queue for this producer. 0 or -errno. */
int frame_out_init(struct frame_out *o, size_t queue_bytes);
void frame_out_destroy(struct frame_out *o);

/*
 * One frame of interface if_id; *batch_ns is 0 at the start of each batch.
 * Returns 1 when the writer queue took it by reference (c->can_keep and a
 * single segment): its bytes must stay until the queue reclaims c->token.
 */
int frame_out_put(struct frame_path *p, struct frame_out *o, unsigned int if_id,
		  const struct captured *c, uint64_t *batch_ns);
/* End of a batch: make it visible to the writer (and the view). */
void frame_out_publish(struct frame_path *p, struct frame_out *o);

/* Sum of one counter over producers, for interface if_id. */
uint64_t frame_outs_sum(struct frame_out *const *outs, unsigned int n, unsigned int if_id,
			size_t counter_offset);
#define FRAME_OUTS_SUM(outs, n, if_id, field) \
	frame_outs_sum(outs, n, if_id, offsetof(struct out_counts, field))

#endif /* VPNCAP_PATH_FRAME_PATH_H */
