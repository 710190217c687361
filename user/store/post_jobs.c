// SPDX-License-Identifier: GPL-2.0-only
#include "store/post_jobs.h"
#include "log.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int post_jobs_run_hook(const char *cmd, const char *path)
{
	/* Sized to the command: a fixed buffer would run a truncated command. */
	size_t len = strlen(cmd) + sizeof(" \"$1\"");
	char *script = malloc(len);
	char *argv[] = { "sh", "-c", script, "vpncap-on-rotate", (char *)path, NULL };
	posix_spawnattr_t attr;
	sigset_t sigs;
	int status, ret;
	pid_t pid;

	if (!script)
		return -1;
	snprintf(script, len, "%s \"$1\"", cmd);
	/*
	 * vpncap ignores SIGPIPE, and an ignored signal stays ignored across
	 * exec: give the command the default back, and an empty signal mask.
	 */
	posix_spawnattr_init(&attr);
	sigemptyset(&sigs);
	posix_spawnattr_setsigmask(&attr, &sigs);
	sigaddset(&sigs, SIGPIPE);
	posix_spawnattr_setsigdefault(&attr, &sigs);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	ret = posix_spawn(&pid, "/bin/sh", NULL, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	free(script);
	if (ret)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* compress and on_rotate as they were when the job was taken (reload may change them). */
static void run_jobs(struct post_jobs *pj, char *path, enum compress_kind compress,
		     const char *on_rotate)
{
	char out[8192], err[512];

	if (compress != COMPRESS_NONE) {
		if (compress_file_at(pj->dir_fd, path, compress, out, sizeof(out), err,
				     sizeof(err))) {
			pj->compress_failures++;
			log_error("%s", err);
		} else {
			pj->compressed++;
			free(path);
			path = strdup(out);
			if (!path)
				return;
		}
	}
	if (on_rotate) {
		pj->hooks_run++;
		if (post_jobs_run_hook(on_rotate, path)) {
			pj->hook_failures++;
			log_error("--on-rotate: command failed for %s", path);
		}
	}
	free(path);
}

static void *post_thread(void *arg)
{
	struct post_jobs *pj = arg;

	pthread_mutex_lock(&pj->lock);
	for (;;) {
		enum compress_kind compress;
		const char *on_rotate;
		char *path;

		while (!pj->count && !pj->stopping)
			pthread_cond_wait(&pj->cond, &pj->lock);
		if (!pj->count)
			break;
		path = pj->paths[pj->head];
		pj->head = (pj->head + 1) % POST_JOBS_MAX;
		pj->count--;
		pj->running = 1;
		compress = pj->compress;
		on_rotate = pj->on_rotate;
		pthread_mutex_unlock(&pj->lock);
		run_jobs(pj, path, compress, on_rotate);
		pthread_mutex_lock(&pj->lock);
		pj->running = 0;
	}
	pthread_mutex_unlock(&pj->lock);
	return NULL;
}

/* Under the lock. */
static void skip_jobs(struct post_jobs *pj, const char *path, unsigned int waiting)
{
	pj->skipped++;
	log_error("%s: compression and --on-rotate skipped: %u files already waiting", path,
		  waiting);
}

/* Under the lock: the jobs of a complete file, taking copy (NULL: out of memory). */
static void queue_job(struct post_jobs *pj, char *copy, const char *path)
{
	if (!copy || pj->count == POST_JOBS_MAX) {
		skip_jobs(pj, path, pj->count);
		free(copy);
		return;
	}
	pj->paths[(pj->head + pj->count) % POST_JOBS_MAX] = copy;
	pj->count++;
	pthread_cond_signal(&pj->cond);
}

/* ---- completion ------------------------------------------------------------ */

/*
 * part to final in the set's directory, opened once at start: by their last
 * components there, so a directory swapped meanwhile redirects nothing.
 */
static int rename_in(int dir_fd, const char *part, const char *final)
{
	const char *p = strrchr(part, '/'), *f = strrchr(final, '/');

	if (dir_fd < 0)
		return rename(part, final);
	return renameat(dir_fd, p ? p + 1 : part, dir_fd, f ? f + 1 : final);
}

int post_jobs_complete_file(int dir_fd, int fd, const char *part, const char *final)
{
	char why[POST_JOBS_WHY];

	return post_jobs_complete_file_why(dir_fd, fd, part, final, why, sizeof(why));
}

int post_jobs_complete_file_why(int dir_fd, int fd, const char *part, const char *final,
				char *why, size_t why_len)
{
	const char *step = "fsync";
	int ret = fsync(fd) ? -errno : 0;

	if (close(fd) && !ret) {
		step = "close";
		ret = -errno;
	}
	if (!ret && rename_in(dir_fd, part, final)) {
		step = "rename";
		ret = -errno;
	}
	if (ret) {
		snprintf(why, why_len, "%s: %s", step, strerror(-ret));
		log_error("%s: cannot complete the file (%s): %s", part, step, strerror(-ret));
		return ret;
	}
	why[0] = '\0';
	fsync(dir_fd);
	return 0;
}

/* Under the lock: the oldest file of the completion queue, out of it. */
static struct post_file take_file(struct post_jobs *pj)
{
	struct post_file f = pj->files[pj->files_head];

	pj->files_head = (pj->files_head + 1) % POST_JOBS_QUEUE;
	pj->files_count--;
	return f;
}

static void push_file(struct post_jobs *pj, const struct post_file *f)
{
	pj->files[(pj->files_head + pj->files_count) % POST_JOBS_QUEUE] = *f;
	pj->files_count++;
	pthread_cond_signal(&pj->to_complete);
}

/* Under the lock: the first file left .part is kept by name (f's copy is taken). */
static void note_failure(struct post_jobs *pj, struct post_file *f, const char *why)
{
	pj->completion_failures++;
	if (pj->first_failed)
		return;
	pj->first_failed = f->part;
	f->part = NULL;
	snprintf(pj->first_failed_why, sizeof(pj->first_failed_why), "%s", why);
}

/* Under the lock: f is complete (ret 0) or stays .part (why); its jobs go next. */
static void file_done(struct post_jobs *pj, struct post_file *f, int ret, const char *why)
{
	if (f->fd >= 0) {
		pj->completing--;
		if (ret)
			note_failure(pj, f, why);
		else
			pj->completions++;
	}
	if (!ret && pj->started)
		queue_job(pj, f->final, f->final);
	else
		free(f->final);
	free(f->part);
	pthread_cond_broadcast(&pj->completion_done);
}

static void *completer_main(void *arg)
{
	struct post_jobs *pj = arg;

	pthread_mutex_lock(&pj->lock);
	for (;;) {
		char why[POST_JOBS_WHY] = "";
		struct post_file f;
		int ret = 0;

		while (!pj->files_count && !pj->completer_stopping)
			pthread_cond_wait(&pj->to_complete, &pj->lock);
		if (!pj->files_count)
			break;
		f = take_file(pj);
		if (f.fd >= 0) {
			pthread_mutex_unlock(&pj->lock);
			ret = post_jobs_complete_file_why(pj->dir_fd, f.fd, f.part, f.final, why,
							  sizeof(why));
			pthread_mutex_lock(&pj->lock);
		}
		file_done(pj, &f, ret, why);
	}
	pthread_mutex_unlock(&pj->lock);
	return NULL;
}

int post_jobs_hand_over(struct post_jobs *pj, int fd, const char *part, const char *final)
{
	struct post_file f = { .fd = fd };
	int ret = -EBUSY;

	if (!pj->completer_started)
		return -EBUSY;
	f.part = strdup(part);
	f.final = strdup(final);
	pthread_mutex_lock(&pj->lock);
	if (f.part && f.final && pj->completing < POST_JOBS_COMPLETING &&
	    pj->files_count < POST_JOBS_QUEUE) {
		push_file(pj, &f);
		pj->completing++;
		ret = 0;
	}
	pthread_mutex_unlock(&pj->lock);
	if (ret) {
		free(f.part);
		free(f.final);
	}
	return ret;
}

unsigned int post_jobs_completing(struct post_jobs *pj)
{
	unsigned int n;

	if (!pj->completer_started)
		return 0;
	pthread_mutex_lock(&pj->lock);
	n = pj->completing;
	pthread_mutex_unlock(&pj->lock);
	return n;
}

void post_jobs_outcome(struct post_jobs *pj, uint64_t *completed, uint64_t *failed,
		       char *first, size_t first_len, char *why, size_t why_len)
{
	*completed = *failed = 0;
	first[0] = why[0] = '\0';
	if (!pj->initialised)
		return;
	pthread_mutex_lock(&pj->lock);
	*completed = pj->completions;
	*failed = pj->completion_failures;
	if (pj->first_failed) {
		snprintf(first, first_len, "%s", pj->first_failed);
		snprintf(why, why_len, "%s", pj->first_failed_why);
	}
	pthread_mutex_unlock(&pj->lock);
}

void post_jobs_wait_completed(struct post_jobs *pj)
{
	if (!pj->completer_started)
		return;
	pthread_mutex_lock(&pj->lock);
	while (pj->files_count || pj->completing)
		pthread_cond_wait(&pj->completion_done, &pj->lock);
	pthread_mutex_unlock(&pj->lock);
}

/* ---- lifecycle -------------------------------------------------------------- */

static int start_thread(struct post_jobs *pj)
{
	int ret = pthread_create(&pj->thread, NULL, post_thread, pj);

	if (ret)
		return -ret;
	pj->started = 1;
	return 0;
}

int post_jobs_start(struct post_jobs *pj, enum compress_kind compress, const char *on_rotate)
{
	memset(pj, 0, sizeof(*pj));
	pj->compress = compress;
	pj->on_rotate = on_rotate;
	pj->dir_fd = -1;
	pthread_mutex_init(&pj->lock, NULL);
	pthread_cond_init(&pj->cond, NULL);
	pthread_cond_init(&pj->to_complete, NULL);
	pthread_cond_init(&pj->completion_done, NULL);
	pj->initialised = 1;
	if (compress == COMPRESS_NONE && !on_rotate)
		return 0;
	return start_thread(pj);
}

int post_jobs_start_completion(struct post_jobs *pj, int dir_fd)
{
	int ret;

	if (!pj->initialised)
		return -EINVAL;
	pj->dir_fd = dir_fd;
	ret = pthread_create(&pj->completer, NULL, completer_main, pj);
	if (ret)
		return -ret;
	pj->completer_started = 1;
	return 0;
}

int post_jobs_configure(struct post_jobs *pj, enum compress_kind compress, const char *on_rotate)
{
	int ret = 0;

	if (!pj->initialised)
		return -EINVAL;
	pthread_mutex_lock(&pj->lock);
	pj->compress = compress;
	pj->on_rotate = on_rotate;
	if (!pj->started && (compress != COMPRESS_NONE || on_rotate))
		ret = start_thread(pj);
	pthread_mutex_unlock(&pj->lock);
	return ret;
}

void post_jobs_add(struct post_jobs *pj, const char *path)
{
	struct post_file done = { .fd = -1 };

	if (!pj->started)
		return;
	done.final = strdup(path);
	pthread_mutex_lock(&pj->lock);
	if (!pj->files_count && !pj->completing) {
		queue_job(pj, done.final, path);
	} else if (done.final && pj->files_count < POST_JOBS_QUEUE) {
		push_file(pj, &done); /* the jobs of files handed over before it come first */
	} else {
		skip_jobs(pj, path, pj->files_count);
		free(done.final);
	}
	pthread_mutex_unlock(&pj->lock);
}

static void stop_completer(struct post_jobs *pj)
{
	if (!pj->completer_started)
		return;
	pthread_mutex_lock(&pj->lock);
	pj->completer_stopping = 1;
	pthread_cond_signal(&pj->to_complete);
	pthread_mutex_unlock(&pj->lock);
	pthread_join(pj->completer, NULL);
	pj->completer_started = 0;
}

void post_jobs_stop(struct post_jobs *pj)
{
	if (!pj->initialised)
		return;
	stop_completer(pj); /* first: it queues the jobs of the files it completes */
	if (pj->started) {
		pthread_mutex_lock(&pj->lock);
		pj->stopping = 1;
		pthread_cond_signal(&pj->cond);
		pthread_mutex_unlock(&pj->lock);
		pthread_join(pj->thread, NULL);
		pj->started = 0;
	}
	free(pj->first_failed);
	pj->first_failed = NULL;
	pthread_cond_destroy(&pj->completion_done);
	pthread_cond_destroy(&pj->to_complete);
	pthread_cond_destroy(&pj->cond);
	pthread_mutex_destroy(&pj->lock);
	pj->initialised = 0;
}
