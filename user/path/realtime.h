/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The real-time view of `vpncap capture --realtime` (PktMon's -m real-time):
 * one decoded line per captured frame on standard output.
 *
 * The console must never slow capture. The capture thread only copies the
 * first bytes of each frame into a bounded queue of its own, without
 * waiting; a printer thread decodes and prints. When the console lags the
 * queue fills, frames are left out of the view (never out of the file), and
 * the view says how many.
 */
#ifndef VPNCAP_PATH_REALTIME_H
#define VPNCAP_PATH_REALTIME_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "path/frame_queue.h"

#define REALTIME_QUEUE_BYTES (2u << 20)
#define REALTIME_FRAME_BYTES 512   /* enough for the headers and a ClientHello's SNI */

struct realtime {
	struct frame_queue queue;
	pthread_t thread;
	int started;
	FILE *out;
	int colour;
	const char *const *ifnames;     /* by if_id */
	unsigned int n_ifnames;
	_Atomic uint64_t skipped;       /* frames left out of the view (producer) */
	uint64_t skipped_told;          /* printer: how many it has said so far */
	uint64_t shown;
};

/* Start the printer thread writing to out. 0 or -errno. */
int realtime_start(struct realtime *rt, FILE *out, int colour, const char *const *ifnames,
		   unsigned int n_ifnames);

/* Capture thread: offer one frame; never waits (a full queue counts it skipped). */
void realtime_offer(struct realtime *rt, const struct frame_rec *rec, const uint8_t *data);

/* Capture thread: make the offered frames visible to the printer (once per batch). */
void realtime_publish(struct realtime *rt);

/* Print what is queued, say what was skipped, stop the thread. */
void realtime_finish(struct realtime *rt);

#endif /* VPNCAP_PATH_REALTIME_H */
