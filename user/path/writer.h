/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The writer thread: takes frame records from the bounded queues (one per
 * producer thread: a ring consumer per RX queue, and the main thread) and
 * hands them to the file set, and runs the file set's housekeeping
 * (rotation by time, sync, --min-free). It runs apart from the ring
 * consumers so a slow disk only ever fills the queues.
 *
 * Order: among the records at the heads of the queues, the one with the
 * smallest ts_ns goes first, so a file is in time order as far as the queues
 * allow. A record published later with an earlier time (its producer was
 * behind, or its queue was empty when the others were taken) can still come
 * after records with later times.
 *
 * Waking: the queues share the writer's doorbell; a publish on any of them
 * wakes the writer, and costs the producer nothing while the writer is busy.
 *
 * Holding: the file set writes a frame's bytes from its record (an AF_XDP
 * UMEM frame, a BPF ring buffer record, a queue's copy) after the writer
 * has moved on, so the writer gives the records' space back to the queues
 * (and so the buffers to their producers) only once the file set says
 * those frames are written: after each batch it notes where each queue was
 * consumed to and how many frames the file set had taken by reference
 * then (a hold), and gives a hold's space back once that many are done.
 */
#ifndef VPNCAP_PATH_WRITER_H
#define VPNCAP_PATH_WRITER_H

#include <pthread.h>
#include <stdatomic.h>

#include "store/fileset.h"
#include "path/frame_queue.h"

/* 64 per-RX-queue consumer threads plus one for the main thread. */
#define WRITER_MAX_QUEUES 65

/* Holds a writer keeps before it merges the newest ones (its space comes back later). */
#define WRITER_HOLDS 64

/* A batch's records, held until the file set has written their frames. */
struct writer_hold {
	uint64_t refs;                          /* fileset_refs_added() after the batch */
	unsigned int n_queues;
	uint64_t consumed[WRITER_MAX_QUEUES];   /* each queue's frame_queue_consumed() then */
};

/* What the writer has done, as of its last tick: for counters and the status line. */
struct writer_status {
	struct fileset_stats stats;
	char current[FILESET_PATH_MAX]; /* the file being written, "" if none */
};

/* A queue's record in the writer's merge, keyed by its time. */
struct writer_head {
	uint64_t ts_ns;
	const struct frame_rec *rec;
	struct frame_queue *queue;
};

struct writer {
	pthread_t thread;
	struct frame_queue *queues[WRITER_MAX_QUEUES];
	_Atomic unsigned int n_queues;  /* grows while running (writer_add_queue) */
	struct frame_bell bell;         /* rung by every queue's publish */
	struct writer_head heap[WRITER_MAX_QUEUES]; /* min-heap on ts_ns, writer thread only */
	struct fileset *fs;
	struct writer_hold holds[WRITER_HOLDS]; /* a FIFO, writer thread only */
	unsigned int hold_head, hold_tail;
	int started;
	pthread_mutex_t lock;           /* guards pending and status */
	int has_pending;
	struct fileset_config pending;
	struct writer_status status;
};

/*
 * Start the writer on n_queues queues (1 to WRITER_MAX_QUEUES), each with
 * exactly one producer thread; call before the producers publish (the
 * queues are given the writer's doorbell). 0 or -errno (-EINVAL for a bad
 * n_queues).
 */
int writer_start(struct writer *w, struct frame_queue *const *queues, unsigned int n_queues,
		 struct fileset *fs);

/*
 * Hand a new file-set configuration to the writer (applied within 100 ms,
 * and before any record of an interface the current IDBs do not have yet:
 * hand over the IDB of a new interface before its first frame is published).
 */
void writer_reconfigure(struct writer *w, const struct fileset_config *cfg);

/*
 * One more queue, of a producer started after the writer (an interface
 * that appeared during -i any); call before that producer publishes.
 * 0, or -ENOSPC at WRITER_MAX_QUEUES.
 */
int writer_add_queue(struct writer *w, struct frame_queue *queue);

/* A copy of the writer's status (at most 100 ms old). */
void writer_get_status(struct writer *w, struct writer_status *out);

/*
 * Close every queue, let the writer take every record of every queue, and
 * join it. Call once the producers have stopped (closing is their last act).
 */
void writer_finish(struct writer *w);

#endif /* VPNCAP_PATH_WRITER_H */
