/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A capture session: interfaces -> classifier + AF_XDP sockets -> PCAPNG file.
 * Setup and teardown in session.c, the main loop and consumer threads in
 * loop.c, the rest in the parts session_parts.h lists.
 */
#ifndef VPNCAP_CAPTURE_SESSION_H
#define VPNCAP_CAPTURE_SESSION_H

#include <signal.h>

#include "capture/options.h"
#include "log.h"

/* Exit statuses of the program. */

/*
 * Where a reload (SIGHUP, systemctl reload) gets the new options from: the
 * configuration file and the original command line, parsed again.
 */
struct capture_reloader {
	int (*load)(void *ctx, struct capture_opts *opts, char *err, size_t errlen);
	void *ctx;
};

/* What the signal handlers set. */
struct capture_signals {
	volatile sig_atomic_t stop;
	volatile sig_atomic_t reload;
};

/* Runs a whole capture; returns an enum vpncap_exit. reloader may be NULL. */
int capture_run(const struct capture_opts *opts, const struct capture_reloader *reloader,
		struct capture_signals *sig);

/*
 * --check: everything capture_run() checks before it touches anything,
 * then what the capture would do, on stdout. config: --config's path, or
 * NULL. EXIT_OK, or EXIT_USAGE after one line on stderr.
 */
int capture_check(const struct capture_opts *opts, const char *config);

#endif /* VPNCAP_CAPTURE_SESSION_H */
