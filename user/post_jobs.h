/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Work on completed files, off the capture path: compression (--compress)
 * then the operator's command (--on-rotate). One thread, jobs in order, a
 * bounded list: when it is full a file skips its jobs, and that is counted.
 */
#ifndef VPNCAP_POST_JOBS_H
#define VPNCAP_POST_JOBS_H

#include <pthread.h>
#include <stdint.h>

#include "compress.h"

#define POST_JOBS_MAX 64

struct post_jobs {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char *paths[POST_JOBS_MAX];
	unsigned int head, count;
	int stopping, running, started, initialised;
	enum compress_kind compress;
	const char *on_rotate;          /* shell command; the path is passed as "$1" */
	/* Counters, read after post_jobs_stop(). */
	uint64_t hooks_run, hook_failures, compressed, compress_failures, skipped;
};

/* Starts the thread only when there is something to do. 0 or -errno. */
int post_jobs_start(struct post_jobs *pj, enum compress_kind compress, const char *on_rotate);

/*
 * Change what is done to files completed from now on (reload); starts the
 * thread if there was nothing to do before. 0 or -errno.
 */
int post_jobs_configure(struct post_jobs *pj, enum compress_kind compress, const char *on_rotate);

/* Queue the jobs for a completed file (the path is copied). */
void post_jobs_add(struct post_jobs *pj, const char *path);

/* Finish every queued job, then stop the thread. */
void post_jobs_stop(struct post_jobs *pj);

/*
 * Run the on-rotate command for path: /bin/sh -c 'CMD "$1"' with path as $1,
 * so the name is never interpolated by the shell. 0 when it exited 0.
 */
int post_jobs_run_hook(const char *cmd, const char *path);

#endif /* VPNCAP_POST_JOBS_H */
