/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Inline capture's receive side: the classifier's capture_ring (a BPF ring
 * buffer, one per interface) read through libbpf's ring_buffer API. Each
 * record is a struct vpncap_ring_rec and the copied frame; the callback sees
 * it in place, in the mmap'ed ring, and the space goes back to the kernel
 * when it returns. No syscall per frame.
 */
#ifndef VPNCAP_HOOK_RING_RX_H
#define VPNCAP_HOOK_RING_RX_H

#include <stddef.h>
#include <stdint.h>

#include "vpncap/abi.h"

/* Records taken per ring_rx_drain() at most, so one busy ring cannot starve the rest. */
#define RING_RX_BATCH 256

/* One copied frame, pointing into the ring (valid during the callback). */
struct ring_frame {
	const struct vpncap_ring_rec *hdr;
	const uint8_t *data;    /* hdr->caplen bytes */
};

typedef void (*ring_rx_fn)(void *ctx, const struct ring_frame *frame);

struct ring_rx {
	struct ring_buffer *rb;
	ring_rx_fn fn;
	void *ctx;
	uint32_t taken;         /* records of the drain in progress */
	uint64_t malformed;     /* records too short for their header or caplen */
};

/*
 * Check one record as the ring hands it over: room for the header and for
 * the caplen it claims. 0 and frame filled, or -EINVAL.
 */
int ring_rec_parse(const void *data, size_t size, struct ring_frame *frame);

/* Map the ring (map_fd of capture_ring) for reading. 0 or -errno. */
int ring_rx_open(struct ring_rx *r, int map_fd, ring_rx_fn fn, void *ctx);
void ring_rx_close(struct ring_rx *r);

/* A descriptor that polls readable when records wait (epoll of the ring). */
int ring_rx_fd(const struct ring_rx *r);

/* Hand up to RING_RX_BATCH waiting records to the callback; returns how many. */
uint32_t ring_rx_drain(struct ring_rx *r);

#endif /* VPNCAP_HOOK_RING_RX_H */
