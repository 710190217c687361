/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Inline capture's receive side: the classifier's capture_ring (a BPF ring
 * buffer, one per interface), mapped and read here as libbpf's ring_buffer
 * reads it (the kernel's layout since Linux 5.8: a consumer position page,
 * a producer position page and the data pages mapped twice, so a record
 * that wraps is contiguous). Each record is a struct vpncap_ring_rec and the
 * copied frame; the callback sees it in place.
 *
 * Unlike libbpf's reader (ring_buffer__consume, in 1.1 and still in 1.5,
 * moves the consumer position past each record as its callback returns,
 * and has no way to leave one for later), a record's space need not go
 * back to the kernel when the callback returns: a callback that keeps the
 * record (the writer
 * queue took it by reference, to copy it straight from the ring into the
 * file) says so, and the space goes back with ring_rx_release once the
 * writer is done. Records go back in the order they were read, so the
 * consumer position is simply the end of the last record released, or,
 * when none is kept, the end of what was read. While records are kept the
 * kernel sees a fuller ring and counts what does not fit (ring_full) at the
 * hook: the ring must hold the writer's stall (README's sizing rule).
 */
#ifndef VPNCAP_HOOK_RING_RX_H
#define VPNCAP_HOOK_RING_RX_H

#include <stddef.h>
#include <stdint.h>

#include "vpncap/abi.h"

/* Records taken per ring_rx_drain() at most, so one busy ring cannot starve the rest. */
#define RING_RX_BATCH 256

/* One copied frame, pointing into the ring (valid until released). */
struct ring_frame {
	const struct vpncap_ring_rec *hdr;
	const uint8_t *data;    /* hdr->caplen bytes */
	uint64_t end;           /* the ring position after the record: what ring_rx_release takes */
};

/* Returns 1 when it keeps the record (released later), 0 when done with it. */
typedef int (*ring_rx_fn)(void *ctx, const struct ring_frame *frame);

struct ring_rx {
	int map_fd;
	size_t page;
	uint64_t mask;          /* data size - 1 (a power of two) */
	uint64_t *consumer_pos; /* the page the kernel reads: written here */
	const uint64_t *producer_pos;
	const uint8_t *data;    /* the data pages, mapped twice in a row */
	void *cons_map, *prod_map;
	size_t prod_len;
	uint64_t read_pos;      /* records up to here were handed to the callback */
	uint64_t kept;          /* records kept and not released */
	ring_rx_fn fn;
	void *ctx;
	uint64_t malformed;     /* records too short for their header or caplen */
};

/*
 * Check one record as the ring hands it over: room for the header and for
 * the caplen it claims. 0 and frame filled, or -EINVAL.
 */
int ring_rec_parse(const void *data, size_t size, struct ring_frame *frame);

/* Map the ring (map_fd of capture_ring, not owned) for reading. 0 or -errno. */
int ring_rx_open(struct ring_rx *r, int map_fd, ring_rx_fn fn, void *ctx);
void ring_rx_close(struct ring_rx *r);

/* A descriptor that polls readable while the ring holds records not given back. */
int ring_rx_fd(const struct ring_rx *r);

/* Records kept by the callback and not released yet (then poll ring_rx_fd no more). */
static inline uint64_t ring_rx_kept(const struct ring_rx *r)
{
	return r->kept;
}

/* Hand up to RING_RX_BATCH waiting records to the callback; returns how many. */
uint32_t ring_rx_drain(struct ring_rx *r);

/* A kept record (its ring_frame.end) is done with: its space, and any before it, go back. */
void ring_rx_release(struct ring_rx *r, uint64_t end);

#endif /* VPNCAP_HOOK_RING_RX_H */
