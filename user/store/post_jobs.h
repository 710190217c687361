/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What happens to a file of a set once the writer has written its last
 * block, off the capture path, on two threads:
 *
 *  - completion: fsync the file, close it, rename it from .part to its
 *    final name, fsync the directory. On a real disk the fsync of a large
 *    file's last second takes 50-300 ms, several times a second at line
 *    rate; on the writer thread the frame queues would overflow meanwhile.
 *    So the writer hands the open file over and goes on with the next one.
 *    Files are completed one at a time, in the order handed over; at most
 *    POST_JOBS_COMPLETING wait (each holds an open file and its unsynced
 *    data). Beyond that the disk has stalled and the writer completes the
 *    file itself (post_jobs_complete_file): slower, never lost. A failure
 *    leaves the file as .part, which the next start repairs.
 *  - jobs: compression (--compress) then the operator's command
 *    (--on-rotate), one file at a time, in file order, and only once the
 *    file has its final name. A thread of its own, so a slow command never
 *    holds a rename back (retention cannot delete a file being completed,
 *    so renames that lag would let the set outgrow its limits). The list is
 *    bounded: when it is full a file skips its jobs, and that is counted.
 *
 * A file completed by the writer while files handed over earlier still
 * wait joins the completion queue, already complete, so that its jobs keep
 * their place in file order.
 */
#ifndef VPNCAP_STORE_POST_JOBS_H
#define VPNCAP_STORE_POST_JOBS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "store/compress.h"

#define POST_JOBS_MAX 64                /* completed files waiting for their jobs */
#define POST_JOBS_COMPLETING 16         /* files handed over, waiting for completion */
/* The completion queue: those, and room behind them for files completed by the writer. */
#define POST_JOBS_QUEUE (2 * POST_JOBS_COMPLETING)
#define POST_JOBS_WHY 128               /* "rename: Permission denied" */

/* A file in the completion queue. */
struct post_file {
	int fd;                         /* written, to fsync and close; -1: complete already */
	char *part;                     /* its name until complete (NULL: complete already) */
	char *final;
};

struct post_jobs {
	pthread_t thread;               /* the jobs */
	pthread_t completer;
	pthread_mutex_t lock;
	pthread_cond_t cond;            /* to the jobs thread: a job, or stop */
	pthread_cond_t to_complete;     /* to the completer: a file, or stop */
	pthread_cond_t completion_done; /* from the completer: a file left the queue */
	char *paths[POST_JOBS_MAX];
	unsigned int head, count;
	struct post_file files[POST_JOBS_QUEUE];
	unsigned int files_head, files_count;
	unsigned int completing;        /* handed over, not completed yet (the one in progress too) */
	int dir_fd;                     /* the set's directory, fsynced after each rename */
	int stopping, running, started, initialised;
	int completer_stopping, completer_started;
	enum compress_kind compress;
	const char *on_rotate;          /* shell command; the path is passed as "$1" */
	/* Counters, read after post_jobs_stop(). */
	uint64_t hooks_run, hook_failures, compressed, compress_failures, skipped;
	uint64_t completions, completion_failures;      /* of files handed over */
	char *first_failed;             /* .part name of the first of those left .part, or NULL */
	char first_failed_why[POST_JOBS_WHY];
};

/* Starts the jobs thread only when there is something to do. 0 or -errno. */
int post_jobs_start(struct post_jobs *pj, enum compress_kind compress, const char *on_rotate);

/*
 * Starts the completion thread, for files of the directory dir_fd (kept
 * open by the caller until post_jobs_stop). After post_jobs_start. 0 or -errno.
 */
int post_jobs_start_completion(struct post_jobs *pj, int dir_fd);

/*
 * Change what is done to files completed from now on (reload); starts the
 * thread if there was nothing to do before. 0 or -errno.
 */
int post_jobs_configure(struct post_jobs *pj, enum compress_kind compress, const char *on_rotate);

/*
 * Hand a written file over for completion: fd belongs to the completion
 * thread from now on (0), its .part name and final name are copied. -EBUSY
 * when POST_JOBS_COMPLETING files already wait or there is no completion
 * thread: fd stays the caller's, who completes the file itself
 * (post_jobs_complete_file, then post_jobs_add).
 */
int post_jobs_hand_over(struct post_jobs *pj, int fd, const char *part, const char *final);

/*
 * How many files handed over are not completed yet (renamed, or failed):
 * always the most recently handed over ones.
 */
unsigned int post_jobs_completing(struct post_jobs *pj);

/* Wait until every file handed over is completed (or failed and left as .part). */
void post_jobs_wait_completed(struct post_jobs *pj);

/*
 * What became of the files handed over so far (completed or failed, as
 * counted under the lock, so on any thread): *completed, *failed, and the
 * first failed file's .part name and why ("" when none failed).
 */
void post_jobs_outcome(struct post_jobs *pj, uint64_t *completed, uint64_t *failed,
		       char *first, size_t first_len, char *why, size_t why_len);

/*
 * Queue the jobs for a completed file (the path is copied), after those of
 * the files handed over before it.
 */
void post_jobs_add(struct post_jobs *pj, const char *path);

/* Complete every file handed over, finish every queued job, stop the threads. */
void post_jobs_stop(struct post_jobs *pj);

/*
 * Complete a file: fsync and close fd, rename part to final, fsync the
 * directory dir_fd. A failure is logged (the file and the reason) and
 * leaves the file as .part. 0 or -errno. On any thread.
 */
int post_jobs_complete_file(int dir_fd, int fd, const char *part, const char *final);
/* The same, with the failed step and its reason in why ("rename: Permission denied"). */
int post_jobs_complete_file_why(int dir_fd, int fd, const char *part, const char *final,
				char *why, size_t why_len);

/*
 * Run the on-rotate command for path: /bin/sh -c 'CMD "$1"' with path as $1,
 * so the name is never interpolated by the shell. 0 when it exited 0.
 */
int post_jobs_run_hook(const char *cmd, const char *path);

#endif /* VPNCAP_STORE_POST_JOBS_H */
