/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-queue consumer threads (bypass mode): each takes frames off the AF_XDP
 * sockets it serves, in batches, and hands them to the writer through a
 * queue of its own (struct frame_out). One thread per RX queue, pinned to a
 * CPU of --cpus when given, so the NIC's RSS spreads the load over cores the
 * way it spreads the frames; the writer is a thread apart.
 *
 * More sockets than CONSUMER_MAX_THREADS share threads round robin. Under
 * load a thread never sleeps and makes no syscall per frame; idle, it sleeps
 * in poll(), or with --busy-poll it keeps driving the driver's NAPI itself.
 */
#ifndef VPNCAP_PATH_CONSUMER_H
#define VPNCAP_PATH_CONSUMER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "path/frame_path.h"
#include "capture_limits.h"
#include "hook/xsk_rx.h"

#define CONSUMER_MAX_THREADS CAPTURE_MAX_QUEUES
#define CONSUMER_MAX_SOCKETS (CAPTURE_MAX_IFACES * CAPTURE_MAX_QUEUES / CONSUMER_MAX_THREADS + 1)

/* One socket a consumer serves. */
struct consumer_socket {
	struct xsk_rx *xsk;
	unsigned int if_id;
	const char *ifname;
	_Atomic uint64_t *taken;        /* frames taken off it (the per-queue counter) */
};

struct consumer {
	struct frame_path *path;
	struct frame_out out;
	struct consumer_socket socks[CONSUMER_MAX_SOCKETS];
	unsigned int n_socks;
	int cpu;                        /* -1: not pinned */
	int busy_poll;
	int more_waiting;               /* the last pass took a full batch off a socket */
	pthread_t thread;
	int started;
};

/* Ready a consumer with queue_bytes of writer queue; sockets are added after. */
int consumer_init(struct consumer *c, struct frame_path *path, size_t queue_bytes, int cpu,
		  int busy_poll);
void consumer_add_socket(struct consumer *c, struct xsk_rx *xsk, unsigned int if_id,
			 const char *ifname, _Atomic uint64_t *taken);
/* Start the thread (pinned to c->cpu if >= 0). 0 or -errno. */
int consumer_start(struct consumer *c);
/*
 * After path->stop is set: wait for the thread, which first takes what its
 * sockets still hold (the hook is detached before, so that is all there is).
 */
void consumer_join(struct consumer *c);
void consumer_destroy(struct consumer *c);

/* One pass over the consumer's sockets, a batch each (the thread's loop body). */
uint32_t consumer_drain(struct consumer *c);

#endif /* VPNCAP_PATH_CONSUMER_H */
