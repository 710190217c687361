/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The writer thread: takes frame records from the bounded queue and hands
 * them to the file set, and runs the file set's housekeeping (rotation by
 * time, sync, --min-free). It runs apart from the ring consumers so a slow
 * disk only ever fills the queue.
 */
#ifndef VPNCAP_WRITER_H
#define VPNCAP_WRITER_H

#include <pthread.h>

#include "fileset.h"
#include "frame_queue.h"

/* What the writer has done, as of its last tick: for counters and the status line. */
struct writer_status {
	struct fileset_stats stats;
	char current[FILESET_PATH_MAX]; /* the file being written, "" if none */
};

struct writer {
	pthread_t thread;
	struct frame_queue *queue;
	struct fileset *fs;
	int started;
	pthread_mutex_t lock;           /* guards pending and status */
	int has_pending;
	struct fileset_config pending;
	struct writer_status status;
};

/* 0 or -errno. */
int writer_start(struct writer *w, struct frame_queue *queue, struct fileset *fs);

/* Hand a new file-set configuration to the writer (applied within 100 ms). */
void writer_reconfigure(struct writer *w, const struct fileset_config *cfg);

/* A copy of the writer's status (at most 100 ms old). */
void writer_get_status(struct writer *w, struct writer_status *out);

/* Close the queue, let the writer take every record, and join it. */
void writer_finish(struct writer *w);

#endif /* VPNCAP_WRITER_H */
