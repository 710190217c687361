// SPDX-License-Identifier: GPL-2.0-only
#include "hook/xsk_rx.h"
#include "hook/iface.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

/* Linux 5.11; Debian 12's libc headers may lack them (values of x86 and most). */
#ifndef SO_BUSY_POLL
#define SO_BUSY_POLL 46
#endif
#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

#define HUGEPAGE_SIZE (2u << 20)

static uint32_t round_up_pow2(uint32_t v)
{
	uint32_t p = 1;

	while (p < v && p < (1u << 31))
		p <<= 1;
	return p;
}

/*
 * The fill ring must cover what the NIC holds plus what the rx ring can
 * hold, or the NIC runs dry while user space is still reading a full rx ring.
 * On top, the frames the writer holds while it copies them into the file
 * (xsk_rx.h says how many).
 */
static void choose_sizes(struct xsk_rx *q, const char *ifname, const struct xsk_rx_config *cfg)
{
	q->rx_ring = cfg->rx_ring ? cfg->rx_ring : XSK_RX_DEFAULT_RX_RING;
	q->nic_rx_ring = iface_rx_ring_pending(ifname);
	q->fill_ring = cfg->fill_ring ? cfg->fill_ring :
		       round_up_pow2(q->rx_ring + q->nic_rx_ring);
	q->umem_frames = cfg->umem_frames ? cfg->umem_frames :
			 q->fill_ring + q->rx_ring + XSK_RX_HELD_FRAMES(q->rx_ring);
}

/* 2 MiB pages when the administrator reserved some (vm.nr_hugepages), else 4 KiB. */
static int umem_map(struct xsk_rx *q)
{
	size_t bytes = (size_t)q->umem_frames * XSK_RX_FRAME_SIZE;
	size_t huge = (bytes + HUGEPAGE_SIZE - 1) & ~((size_t)HUGEPAGE_SIZE - 1);

	q->area = mmap(NULL, huge, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
	if (q->area != MAP_FAILED) {
		q->area_size = huge;
		q->hugepages = 1;
		return 0;
	}
	log_debug("queue %u: no hugepages for %zu bytes of UMEM (%s), using 4k pages",
		  q->queue_id, huge, strerror(errno));
	q->area_size = bytes;
	q->area = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (q->area == MAP_FAILED) {
		q->area = NULL;
		return -errno;
	}
	return 0;
}

static int umem_create(struct xsk_rx *q)
{
	struct xsk_umem_config cfg = {
		.fill_size = q->fill_ring,
		.comp_size = XSK_RING_CONS__DEFAULT_NUM_DESCS, /* no TX: never used */
		.frame_size = XSK_RX_FRAME_SIZE,
		.frame_headroom = 0,
		.flags = 0,
	};
	int ret = umem_map(q);

	if (ret)
		return ret;
	ret = xsk_umem__create(&q->umem, q->area, (uint64_t)q->umem_frames * XSK_RX_FRAME_SIZE,
			       &q->fill, &q->comp, &cfg);
	if (ret)
		q->umem = NULL;
	return ret;
}

/* Move spare frames into the fill ring, as many as it has room for. */
static void fill_from_spare(struct xsk_rx *q)
{
	uint32_t n = xsk_prod_nb_free(&q->fill, q->n_spare), idx, i;

	if (n > q->n_spare)
		n = q->n_spare;
	if (!n || xsk_ring_prod__reserve(&q->fill, n, &idx) != n)
		return;
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&q->fill, idx + i) = q->spare[--q->n_spare];
	xsk_ring_prod__submit(&q->fill, n);
}

/* Every UMEM frame starts as a spare; the fill ring takes what it can hold. */
static int spare_init(struct xsk_rx *q)
{
	uint32_t i;

	q->spare = calloc(q->umem_frames, sizeof(*q->spare));
	if (!q->spare)
		return -ENOMEM;
	for (i = 0; i < q->umem_frames; i++)
		q->spare[i] = (uint64_t)(q->umem_frames - 1 - i) * XSK_RX_FRAME_SIZE;
	q->n_spare = q->umem_frames;
	fill_from_spare(q);
	return 0;
}

/*
 * The kernel releases a closed socket's hold on its queue asynchronously, so
 * a capture restarted right after the previous one ended can briefly see
 * EBUSY. Retry for a short while before calling the queue taken.
 */
#define BIND_BUSY_RETRIES 100
#define BIND_BUSY_WAIT_US 20000

static int socket_create(struct xsk_rx *q, const char *ifname, __u16 bind_flags)
{
	struct xsk_socket_config cfg = {
		.rx_size = q->rx_ring,
		.tx_size = 0,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = bind_flags | XDP_USE_NEED_WAKEUP,
	};
	int tries = BIND_BUSY_RETRIES, ret;

	do {
		ret = xsk_socket__create(&q->xsk, ifname, q->queue_id, q->umem, &q->rx, NULL,
					 &cfg);
	} while (ret == -EBUSY && --tries && !usleep(BIND_BUSY_WAIT_US));
	if (ret)
		q->xsk = NULL;
	return ret;
}

/*
 * One mode (XDP_ZEROCOPY or XDP_COPY), multi-buffer first when wanted (the
 * caller wants it only where the kernel has it, Linux 6.6). A driver
 * without multi-buffer support refuses it with EOPNOTSUPP or EINVAL: then
 * the same mode without it, and the reason is kept for the caller to print.
 */
static int bind_mode(struct xsk_rx *q, const char *ifname, __u16 mode, int want_sg)
{
	int ret;

	if (want_sg) {
		ret = socket_create(q, ifname, mode | XDP_USE_SG);
		if (ret == 0) {
			q->sg = 1;
			return 0;
		}
		if (ret != -EINVAL && ret != -EOPNOTSUPP)
			return ret;
	}
	ret = socket_create(q, ifname, mode);
	if (ret == 0 && want_sg)
		snprintf(q->sg_refused, sizeof(q->sg_refused),
			 "queue %u: multi-buffer AF_XDP (XDP_USE_SG) refused in %s mode by the driver",
			 q->queue_id, mode == XDP_ZEROCOPY ? "zero-copy" : "copy");
	return ret;
}

/* Zero-copy first (unless told otherwise), copy mode as the fallback. */
static int bind_socket(struct xsk_rx *q, const char *ifname, const struct xsk_rx_config *cfg,
		       char *err, size_t errlen)
{
	int ret = -EOPNOTSUPP;

	if (cfg->copy != COPY_CHOICE_COPY) {
		ret = bind_mode(q, ifname, XDP_ZEROCOPY, cfg->want_sg);
		if (ret == 0) {
			q->zero_copy = 1;
			return 0;
		}
		if (cfg->copy == COPY_CHOICE_ZEROCOPY) {
			err_set(err, errlen, "%s queue %u: zero-copy AF_XDP refused: %s (driver without zero-copy support? try --copy)",
				ifname, q->queue_id, strerror(-ret));
			return ret;
		}
		log_debug("%s queue %u: zero-copy refused (%s), using copy mode", ifname,
			  q->queue_id, strerror(-ret));
	}
	q->sg_refused[0] = '\0';
	ret = bind_mode(q, ifname, XDP_COPY, cfg->want_sg);
	if (ret)
		err_set(err, errlen, "%s queue %u: cannot bind AF_XDP socket: %s%s", ifname,
			q->queue_id, strerror(-ret),
			ret == -EINVAL ? " (no such queue?)" :
			ret == -EBUSY ? " (queue in use by another AF_XDP program?)" : "");
	return ret;
}

static int set_int_sockopt(int fd, int name, int value)
{
	return setsockopt(fd, SOL_SOCKET, name, &value, sizeof(value)) ? -errno : 0;
}

/*
 * Busy polling: the consumer thread runs the driver's NAPI itself (through
 * recvfrom/poll) and SO_PREFER_BUSY_POLL keeps the interrupt path from
 * competing with it while it does; the budget is one batch.
 */
static int enable_busy_poll(struct xsk_rx *q, const char *ifname, char *err, size_t errlen)
{
	static const struct {
		int name, value;
		const char *text;
	} opts[] = {
		{ SO_PREFER_BUSY_POLL, 1, "SO_PREFER_BUSY_POLL" },
		{ SO_BUSY_POLL, XSK_RX_BUSY_POLL_US, "SO_BUSY_POLL" },
		{ SO_BUSY_POLL_BUDGET, XSK_RX_BATCH, "SO_BUSY_POLL_BUDGET" },
	};
	size_t i;
	int ret;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		ret = set_int_sockopt(xsk_rx_fd(q), opts[i].name, opts[i].value);
		if (ret) {
			err_set(err, errlen, "%s queue %u: --busy-poll: the kernel refused %s: %s",
				ifname, q->queue_id, opts[i].text, strerror(-ret));
			return ret;
		}
	}
	q->busy_poll = 1;
	return 0;
}

int xsk_rx_open(struct xsk_rx *q, const char *ifname, uint32_t queue_id,
		const struct xsk_rx_config *cfg, int xsks_map_fd, char *err, size_t errlen)
{
	int ret;

	memset(q, 0, sizeof(*q));
	q->queue_id = queue_id;
	choose_sizes(q, ifname, cfg);
	ret = umem_create(q);
	if (ret) {
		err_set(err, errlen, "%s queue %u: cannot create UMEM of %u frames: %s", ifname,
			queue_id, q->umem_frames, strerror(-ret));
		goto fail;
	}
	ret = bind_socket(q, ifname, cfg, err, errlen);
	if (ret)
		goto fail;
	if (cfg->busy_poll) {
		ret = enable_busy_poll(q, ifname, err, errlen);
		if (ret)
			goto fail;
	}
	ret = spare_init(q);
	if (!ret && xsks_map_fd >= 0)
		ret = xsk_socket__update_xskmap(q->xsk, xsks_map_fd);
	if (ret) {
		err_set(err, errlen, "%s queue %u: cannot register AF_XDP socket: %s", ifname,
			queue_id, strerror(-ret));
		goto fail;
	}
	return 0;
fail:
	xsk_rx_close(q);
	return ret;
}

void xsk_rx_close(struct xsk_rx *q)
{
	if (q->xsk)
		xsk_socket__delete(q->xsk);
	if (q->umem)
		xsk_umem__delete(q->umem);
	if (q->area)
		munmap(q->area, q->area_size);
	free(q->spare);
	q->xsk = NULL;
	q->umem = NULL;
	q->area = NULL;
	q->spare = NULL;
	q->n_spare = 0;
}

int xsk_rx_fd(const struct xsk_rx *q)
{
	return xsk_socket__fd(q->xsk);
}

const char *xsk_rx_sg_refused(const struct xsk_rx *q)
{
	return q->sg_refused[0] ? q->sg_refused : NULL;
}

void xsk_rx_describe(const struct xsk_rx *q, char *buf, size_t len)
{
	snprintf(buf, len,
		 "%s, umem %u x %u B (%s), rx ring %u, fill ring %u, busy poll %s, multi-buffer %s",
		 q->zero_copy ? "zero-copy" : "copy", q->umem_frames, XSK_RX_FRAME_SIZE,
		 q->hugepages ? "hugepages" : "4k pages", q->rx_ring, q->fill_ring,
		 q->busy_poll ? "on" : "off", q->sg ? "on" : "off");
}

static const uint8_t *desc_data(const struct xsk_rx *q, const struct xdp_desc *d)
{
	return xsk_umem__get_data(q->area, d->addr);
}

void xsk_rx_set_meta_place(struct xsk_rx *q, enum vpncap_meta_place place)
{
	q->meta_place = place;
}

/*
 * The metadata of a frame whose first descriptor holds data/len. In front
 * of the frame (HEAD) it is part of the descriptor's bytes: the classifier
 * puts it on every frame it redirects, and *skip says how much to strip.
 */
static const struct vpncap_meta *frame_meta(const struct xsk_rx *q, const uint8_t *data,
					    uint32_t len, uint32_t *skip)
{
	const struct vpncap_meta *meta = (const void *)data;

	*skip = 0;
	switch (q->meta_place) {
	case VPNCAP_META_IN_AREA:
		return xsk_frame_meta(data);
	case VPNCAP_META_IN_HEAD:
		if (len < sizeof(*meta) || meta->magic != VPNCAP_META_MAGIC)
			return NULL;
		*skip = sizeof(*meta);
		return meta;
	default:
		return NULL;
	}
}

/* Starts frame f with its first descriptor. */
static void frame_begin(const struct xsk_rx *q, struct xsk_frame *f, const struct xdp_desc *d)
{
	const uint8_t *data = desc_data(q, d);
	uint32_t skip;

	f->meta = frame_meta(q, data, d->len, &skip);
	f->addr = d->addr;
	f->data = data + skip;
	f->len = d->len - skip;
	f->n_segs = 1;
	f->total_len = f->len;
	f->segs[0].iov_base = (void *)f->data;
	f->segs[0].iov_len = f->len;
	f->seg_addrs[0] = d->addr;
}

/* Adds a continuation descriptor; 0 when the frame has no room for it. */
static int frame_add(const struct xsk_rx *q, struct xsk_frame *f, const struct xdp_desc *d)
{
	if (f->n_segs >= XSK_RX_MAX_SEGS)
		return 0;
	f->segs[f->n_segs].iov_base = (void *)desc_data(q, d);
	f->segs[f->n_segs].iov_len = d->len;
	f->seg_addrs[f->n_segs] = d->addr;
	f->n_segs++;
	f->total_len += d->len;
	return 1;
}

/*
 * Walks the peeked descriptors into whole frames. Descriptors of an
 * oversized frame (more than XSK_RX_MAX_SEGS) are consumed without a frame,
 * possibly across calls (q->skipping). Returns the frames; *used is the
 * descriptors that end in a whole frame or belong to a skipped one, so a
 * frame cut by the end of the batch is left in the ring.
 */
static uint32_t collect_frames(struct xsk_rx *q, struct xsk_frame *frames,
			       uint32_t max_frames, uint32_t first, uint32_t peeked,
			       uint32_t *used)
{
	uint32_t n = 0, i;
	int open = 0; /* frames[n] has descriptors and awaits more */

	*used = 0;
	for (i = 0; i < peeked; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&q->rx, first + i);
		int more = d->options & XDP_PKT_CONTD;

		if (q->skipping) {
			q->skipping = more;
			*used = i + 1;
			continue;
		}
		if (!open) {
			if (n == max_frames)
				break;
			frame_begin(q, &frames[n], d);
		} else if (!frame_add(q, &frames[n], d)) {
			q->oversized++;
			q->skipping = more;
			open = 0;
			*used = i + 1;
			continue;
		}
		open = more;
		if (!open) {
			n++;
			*used = i + 1;
		}
	}
	return n;
}

uint32_t xsk_rx_peek(struct xsk_rx *q, struct xsk_frame *frames, uint32_t max_frames,
		     uint32_t *first_idx, uint32_t *n_descs)
{
	/* Room for max_frames frames of the largest size, so one always fits. */
	uint32_t window = q->sg ? max_frames * XSK_RX_MAX_SEGS : max_frames;
	uint32_t peeked = xsk_ring_cons__peek(&q->rx, window, first_idx), used, n;

	*n_descs = 0;
	if (!peeked)
		return 0;
	n = collect_frames(q, frames, max_frames, *first_idx, peeked, &used);
	if (used < peeked)
		xsk_ring_cons__cancel(&q->rx, peeked - used);
	*n_descs = used;
	return n;
}

/* A frame back to user space's spare stack (it always has room: it holds every frame). */
static void to_spare(struct xsk_rx *q, uint64_t addr)
{
	if (q->meta_place == VPNCAP_META_IN_AREA)
		xsk_frame_meta_clear(xsk_umem__get_data(q->area, addr));
	q->spare[q->n_spare++] = xsk_umem__extract_addr(addr) & ~(uint64_t)(XSK_RX_FRAME_SIZE - 1);
}

void xsk_rx_release_keep(struct xsk_rx *q, uint32_t first_idx, uint32_t n_descs,
			 const uint64_t *kept, uint32_t n_kept)
{
	uint32_t i, k = 0;

	if (!n_descs)
		return;
	for (i = 0; i < n_descs; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&q->rx, first_idx + i);

		/* kept[] is in descriptor order: one look per descriptor. */
		if (k < n_kept && kept[k] == d->addr) {
			k++;
			continue;
		}
		to_spare(q, d->addr);
	}
	xsk_ring_cons__release(&q->rx, n_descs);
	fill_from_spare(q);
}

void xsk_rx_release(struct xsk_rx *q, uint32_t first_idx, uint32_t n_descs)
{
	xsk_rx_release_keep(q, first_idx, n_descs, NULL, 0);
}

void xsk_rx_give_back(struct xsk_rx *q, uint64_t addr)
{
	to_spare(q, addr);
}

void xsk_rx_refill(struct xsk_rx *q)
{
	fill_from_spare(q);
}

int xsk_rx_stats(const struct xsk_rx *q, struct xdp_statistics *st)
{
	socklen_t len = sizeof(*st);

	memset(st, 0, sizeof(*st));
	if (getsockopt(xsk_rx_fd(q), SOL_XDP, XDP_STATISTICS, st, &len))
		return -errno;
	return 0;
}

void xsk_rx_wakeup_if_needed(struct xsk_rx *q)
{
	fill_from_spare(q);
	if (xsk_ring_prod__needs_wakeup(&q->fill))
		recvfrom(xsk_rx_fd(q), NULL, 0, MSG_DONTWAIT, NULL, NULL);
}

void xsk_rx_kick(struct xsk_rx *q)
{
	fill_from_spare(q);
	recvfrom(xsk_rx_fd(q), NULL, 0, MSG_DONTWAIT, NULL, NULL);
}
