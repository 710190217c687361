/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * AF_XDP receive side: one socket and one UMEM per RX queue (libxdp's xsk
 * API). The hot path is the batch API below: peek a batch of whole frames,
 * read them in place, then give their descriptors back to the fill ring.
 * No syscall or allocation per frame.
 *
 * Sizes (xsk_rx_config, 0 = automatic): the rx ring holds 4096 descriptors
 * (about 10 ms of frames at 400 kpps per queue: a capture thread kept off
 * its CPU for a few ms by the writer on a small machine loses none);
 * the fill ring at least the rx ring plus the NIC's own RX ring, rounded up
 * to a power of two; the UMEM has fill ring + rx ring frames, so every frame
 * is always somewhere useful: in the fill ring, the NIC, the rx ring or being
 * read. Frames the fill ring has no room for wait in a spare stack.
 *
 * A frame may also be kept after its descriptor is consumed
 * (xsk_rx_release_keep): the writer then copies it from the UMEM straight
 * into the file and gives it back (xsk_rx_give_back) afterwards. The UMEM
 * has XSK_RX_HELD_FRAMES more frames for those, so the fill ring stays full
 * while the writer holds that many; when it holds more (a disk that stalls
 * longer), the fill ring runs short and the kernel drops and counts the
 * frames at the NIC (rx_dropped, fill_ring_empty), never inside a file.
 */
#ifndef VPNCAP_HOOK_XSK_RX_H
#define VPNCAP_HOOK_XSK_RX_H

#include <linux/if_xdp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <xdp/xsk.h>

#include "vpncap/abi.h"

/* Linux 6.6 multi-buffer AF_XDP; Debian 12's headers predate it. */
#ifndef XDP_USE_SG
#define XDP_USE_SG (1 << 4)
#endif
#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD (1 << 0)
#endif

#define XSK_RX_FRAME_SIZE XSK_UMEM__DEFAULT_FRAME_SIZE  /* 4096 */
#define XSK_RX_DEFAULT_RX_RING 4096
#define XSK_RX_BATCH 64
/* UMEM frames for the writer to hold, by default: as many as the rx ring. */
#define XSK_RX_HELD_FRAMES(rx_ring) (rx_ring)
/* A 64 KiB frame in buffers of 4 KiB minus the kernel's headroom, plus one. */
#define XSK_RX_MAX_SEGS 17
#define XSK_RX_BUSY_POLL_US 20  /* SO_BUSY_POLL: how long one busy poll may spin */

/* --copy | --zero-copy: the AF_XDP mode asked for; auto tries zero-copy first. */
enum copy_choice { COPY_CHOICE_AUTO, COPY_CHOICE_COPY, COPY_CHOICE_ZEROCOPY };

struct xsk_rx_config {
	enum copy_choice copy;
	uint32_t umem_frames;   /* 0: fill_ring + rx_ring + XSK_RX_HELD_FRAMES(rx_ring) */
	uint32_t rx_ring;       /* 0: XSK_RX_DEFAULT_RX_RING; else a power of two */
	uint32_t fill_ring;     /* 0: rx ring + the NIC's RX ring, power of two */
	int busy_poll;          /* SO_PREFER_BUSY_POLL, SO_BUSY_POLL, SO_BUSY_POLL_BUDGET */
	int want_sg;            /* multi-buffer (XDP_USE_SG): only where the kernel has it */
};

struct xsk_rx {
	struct xsk_socket *xsk;
	struct xsk_umem *umem;
	void *area;
	size_t area_size;       /* mapped length (a multiple of 2 MiB with hugepages) */
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	struct xsk_ring_cons rx;
	uint32_t queue_id;
	/* Where the classifier puts each frame's metadata (xsk_rx_set_meta_place) */
	enum vpncap_meta_place meta_place;
	/* What was chosen, for the file header and the summary */
	int zero_copy;
	int hugepages;          /* UMEM in 2 MiB pages (MAP_HUGETLB) */
	int busy_poll;
	int sg;                 /* bound with XDP_USE_SG: a frame may span descriptors */
	uint32_t umem_frames, rx_ring, fill_ring;
	uint32_t nic_rx_ring;   /* the driver's RX ring (ethtool); 0: none or unknown */
	/* Frames owned by user space but not in the fill ring (no room there yet) */
	uint64_t *spare;
	uint32_t n_spare;
	/* Frames of more than XSK_RX_MAX_SEGS descriptors, released unread */
	uint64_t oversized;
	int skipping;           /* in the middle of such a frame's descriptors */
	/* Why multi-buffer was asked for and refused; "" otherwise */
	char sg_refused[200];
};

/*
 * One whole frame of a batch, pointing into the UMEM (valid until release).
 * data/len is the first segment, the frame's own bytes (metadata the
 * classifier put in front of them already stripped); segs[] repeats it as
 * segs[0] and holds the rest of a multi-buffer frame.
 */
struct xsk_frame {
	const uint8_t *data;
	uint32_t len;
	const struct vpncap_meta *meta;  /* NULL when the hook left none */
	uint64_t addr;                   /* the first descriptor's: what xsk_rx_release_keep keeps */
	uint32_t n_segs;                 /* 1 unless multi-buffer */
	uint32_t total_len;              /* sum of the segments' lengths */
	struct iovec segs[XSK_RX_MAX_SEGS];
	uint64_t seg_addrs[XSK_RX_MAX_SEGS]; /* each segment's descriptor address; [0] = addr */
};

/*
 * Metadata in the XDP metadata area (VPNCAP_META_IN_AREA), right before the
 * frame, is trusted only when it carries the classifier's magic; the magic
 * is cleared before the buffer goes back to the kernel, so a buffer later
 * filled without metadata never shows a stale stamp.
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
 * Where the classifier puts each frame's metadata (the attached variant);
 * set it before the first frame can arrive. VPNCAP_META_IN_AREA by default.
 */
void xsk_rx_set_meta_place(struct xsk_rx *q, enum vpncap_meta_place place);

/*
 * Create socket and UMEM for one queue and put the socket in the classifier's
 * XSKMAP (xsks_map_fd < 0: not put anywhere, for tests). 0, or -errno with
 * a one-line reason in err. When multi-buffer was asked for and refused the
 * socket works without it: q->sg is 0 and xsk_rx_sg_refused() says why.
 */
int xsk_rx_open(struct xsk_rx *q, const char *ifname, uint32_t queue_id,
		const struct xsk_rx_config *cfg, int xsks_map_fd, char *err, size_t errlen);
void xsk_rx_close(struct xsk_rx *q);

int xsk_rx_fd(const struct xsk_rx *q);

/* NULL, or why XDP_USE_SG was refused (one line, no "vpncap:" prefix). */
const char *xsk_rx_sg_refused(const struct xsk_rx *q);

/*
 * "zero-copy, umem 4096 x 4096 B (hugepages), rx ring 4096, fill ring 8192,
 * busy poll off, multi-buffer on"
 */
void xsk_rx_describe(const struct xsk_rx *q, char *buf, size_t len);

/*
 * Up to max_frames whole frames into frames[]; returns their count. The
 * descriptors to hand back afterwards are *n_descs from *first_idx (more
 * than the frames when a frame has several segments or an oversized one was
 * skipped; possibly non-zero with no frame). A frame whose last descriptor
 * has not arrived is left for the next call.
 */
uint32_t xsk_rx_peek(struct xsk_rx *q, struct xsk_frame *frames, uint32_t max_frames,
		     uint32_t *first_idx, uint32_t *n_descs);

/* Hand n_descs descriptors (from first_idx) back to the kernel via the fill ring. */
void xsk_rx_release(struct xsk_rx *q, uint32_t first_idx, uint32_t n_descs);

/*
 * The same, but the frames whose first descriptor's addr is in kept[] (in
 * descriptor order; single-descriptor frames) stay user space's until
 * xsk_rx_give_back. Their descriptors are consumed all the same.
 */
void xsk_rx_release_keep(struct xsk_rx *q, uint32_t first_idx, uint32_t n_descs,
			 const uint64_t *kept, uint32_t n_kept);
/* A kept frame (its xsk_frame.addr) back to user space's stack; xsk_rx_refill hands it on. */
void xsk_rx_give_back(struct xsk_rx *q, uint64_t addr);
/* Move frames given back into the fill ring, as many as it has room for. */
void xsk_rx_refill(struct xsk_rx *q);

/* Kernel counters of the socket (XDP_STATISTICS). */
int xsk_rx_stats(const struct xsk_rx *q, struct xdp_statistics *st);

/*
 * need_wakeup (the poll() case): when the kernel has run out of fill
 * buffers it stops looking at the fill ring until told; refill it and kick
 * it, without blocking, if it asked.
 */
void xsk_rx_wakeup_if_needed(struct xsk_rx *q);

/*
 * Busy polling: the consumer loop calls this instead of sleeping in poll()
 * when its queue was idle. A non-blocking recvfrom() runs the driver's NAPI
 * in this thread (SO_PREFER_BUSY_POLL keeps interrupts off meanwhile).
 */
void xsk_rx_kick(struct xsk_rx *q);

#endif /* VPNCAP_HOOK_XSK_RX_H */
