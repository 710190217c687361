/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * AF_XDP receive side: one socket and one UMEM per RX queue (libxdp's xsk
 * API). The hot path is the batch API below: peek a batch of descriptors,
 * read the frames in place, then give the whole batch back to the fill ring.
 * No syscall or allocation per frame.
 */
#ifndef VPNCAP_XSK_RX_H
#define VPNCAP_XSK_RX_H

#include <linux/if_xdp.h>
#include <stddef.h>
#include <stdint.h>
#include <xdp/xsk.h>

#include "cli_capture.h"
#include "vpncap/abi.h"

#define XSK_RX_NUM_FRAMES 4096
#define XSK_RX_FRAME_SIZE XSK_UMEM__DEFAULT_FRAME_SIZE
#define XSK_RX_RING_SIZE 2048
#define XSK_RX_FILL_SIZE 4096
#define XSK_RX_BATCH 64

struct xsk_rx {
	struct xsk_socket *xsk;
	struct xsk_umem *umem;
	void *area;
	size_t area_size;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	struct xsk_ring_cons rx;
	uint32_t queue_id;
	int zero_copy;
};

/* One frame of a batch, pointing into the UMEM (valid until release). */
struct xsk_frame {
	const uint8_t *data;
	uint32_t len;
	const struct vpncap_meta *meta;  /* NULL when the hook left none */
};

/*
 * The metadata in front of a frame is trusted only when it carries the
 * classifier's magic; the magic is cleared before the buffer goes back to the
 * kernel, so a buffer later filled without metadata never shows a stale stamp.
 */
static inline const struct vpncap_meta *xsk_frame_meta(const uint8_t *data)
{
	const struct vpncap_meta *meta = (const void *)(data - sizeof(*meta));

	return meta->magic == VPNCAP_META_MAGIC ? meta : NULL;
}

static inline void xsk_frame_meta_clear(uint8_t *data)
{
	((struct vpncap_meta *)(void *)(data - sizeof(struct vpncap_meta)))->magic = 0;
}

/*
 * Create socket and UMEM for one queue and put the socket in the classifier's
 * XSKMAP. copy chooses zero-copy, copy, or zero-copy with fallback.
 */
int xsk_rx_open(struct xsk_rx *q, const char *ifname, uint32_t queue_id,
		enum copy_choice copy, int xsks_map_fd, char *err, size_t errlen);
void xsk_rx_close(struct xsk_rx *q);

int xsk_rx_fd(const struct xsk_rx *q);

/* Up to max frames; returns the count and fills frames[]. */
uint32_t xsk_rx_peek(struct xsk_rx *q, struct xsk_frame *frames, uint32_t max,
		     uint32_t *first_idx);

/* Hand n frames (from first_idx) back to the kernel via the fill ring. */
void xsk_rx_release(struct xsk_rx *q, uint32_t first_idx, uint32_t n);

/* Kernel counters of the socket (XDP_STATISTICS). */
int xsk_rx_stats(const struct xsk_rx *q, struct xdp_statistics *st);

/*
 * need_wakeup: when the kernel has run out of fill buffers it stops looking
 * at the fill ring until told; kick it, without blocking, if it asked.
 */
void xsk_rx_wakeup_if_needed(struct xsk_rx *q);

#endif /* VPNCAP_XSK_RX_H */
