/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A capture session: interfaces -> classifier + AF_XDP sockets -> PCAPNG file.
 * Setup and teardown live here; the hot loop is capture_loop() in capture.c.
 */
#ifndef VPNCAP_CAPTURE_H
#define VPNCAP_CAPTURE_H

#include <signal.h>

#include "cli_capture.h"

/* Exit statuses of the program. */
enum vpncap_exit {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,   /* the capture failed at run time */
	EXIT_USAGE = 2,     /* bad usage or input: nothing was touched */
};

/* Runs a whole capture; returns an enum vpncap_exit. stop is set by signals. */
int capture_run(const struct capture_opts *opts, volatile sig_atomic_t *stop);

#endif /* VPNCAP_CAPTURE_H */
