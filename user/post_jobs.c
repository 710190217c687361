// SPDX-License-Identifier: GPL-2.0-only
#include "post_jobs.h"
#include "log.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

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
		if (compress_file(path, compress, out, sizeof(out), err, sizeof(err))) {
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
	pthread_mutex_init(&pj->lock, NULL);
	pthread_cond_init(&pj->cond, NULL);
	pj->initialised = 1;
	if (compress == COMPRESS_NONE && !on_rotate)
		return 0;
	return start_thread(pj);
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
	char *copy;

	if (!pj->started)
		return;
	copy = strdup(path);
	pthread_mutex_lock(&pj->lock);
	if (!copy || pj->count == POST_JOBS_MAX) {
		pj->skipped++;
		log_error("%s: compression and --on-rotate skipped: %d files already waiting",
			  path, POST_JOBS_MAX);
		free(copy);
	} else {
		pj->paths[(pj->head + pj->count) % POST_JOBS_MAX] = copy;
		pj->count++;
		pthread_cond_signal(&pj->cond);
	}
	pthread_mutex_unlock(&pj->lock);
}

void post_jobs_stop(struct post_jobs *pj)
{
	if (!pj->initialised)
		return;
	if (pj->started) {
		pthread_mutex_lock(&pj->lock);
		pj->stopping = 1;
		pthread_cond_signal(&pj->cond);
		pthread_mutex_unlock(&pj->lock);
		pthread_join(pj->thread, NULL);
		pj->started = 0;
	}
	pthread_cond_destroy(&pj->cond);
	pthread_mutex_destroy(&pj->lock);
	pj->initialised = 0;
}
