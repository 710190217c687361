// SPDX-License-Identifier: GPL-2.0-only
#include "xsk_rx.h"
#include "log.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static int umem_create(struct xsk_rx *q)
{
	struct xsk_umem_config cfg = {
		.fill_size = XSK_RX_FILL_SIZE,
		.comp_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.frame_size = XSK_RX_FRAME_SIZE,
		.frame_headroom = 0,
		.flags = 0,
	};
	int ret;

	q->area_size = (size_t)XSK_RX_NUM_FRAMES * XSK_RX_FRAME_SIZE;
	q->area = mmap(NULL, q->area_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (q->area == MAP_FAILED) {
		q->area = NULL;
		return -errno;
	}
	ret = xsk_umem__create(&q->umem, q->area, q->area_size, &q->fill, &q->comp, &cfg);
	if (ret)
		q->umem = NULL;
	return ret;
}

/* Give every UMEM frame to the kernel: the fill ring holds them all. */
static int fill_all(struct xsk_rx *q)
{
	uint32_t idx, i;

	if (xsk_ring_prod__reserve(&q->fill, XSK_RX_NUM_FRAMES, &idx) != XSK_RX_NUM_FRAMES)
		return -ENOSPC;
	for (i = 0; i < XSK_RX_NUM_FRAMES; i++)
		*xsk_ring_prod__fill_addr(&q->fill, idx + i) = (uint64_t)i * XSK_RX_FRAME_SIZE;
	xsk_ring_prod__submit(&q->fill, XSK_RX_NUM_FRAMES);
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
		.rx_size = XSK_RX_RING_SIZE,
		.tx_size = 0,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = bind_flags | XDP_USE_NEED_WAKEUP,
	};
	int tries = BIND_BUSY_RETRIES, ret;

	do {
		ret = xsk_socket__create(&q->xsk, ifname, q->queue_id, q->umem, &q->rx, NULL,
					 &cfg);
	} while (ret == -EBUSY && --tries && !usleep(BIND_BUSY_WAIT_US));
	return ret;
}

/* Zero-copy first (unless told otherwise), copy mode as the fallback. */
static int bind_socket(struct xsk_rx *q, const char *ifname, enum copy_choice copy,
		       char *err, size_t errlen)
{
	int ret = -EOPNOTSUPP;

	if (copy != COPY_CHOICE_COPY) {
		ret = socket_create(q, ifname, XDP_ZEROCOPY);
		if (ret == 0) {
			q->zero_copy = 1;
			return 0;
		}
		if (copy == COPY_CHOICE_ZEROCOPY) {
			err_set(err, errlen, "%s queue %u: zero-copy AF_XDP refused: %s (driver without zero-copy support? try --copy)",
				ifname, q->queue_id, strerror(-ret));
			return ret;
		}
		log_debug("%s queue %u: zero-copy refused (%s), using copy mode", ifname,
			  q->queue_id, strerror(-ret));
	}
	ret = socket_create(q, ifname, XDP_COPY);
	if (ret)
		err_set(err, errlen, "%s queue %u: cannot bind AF_XDP socket: %s%s", ifname,
			q->queue_id, strerror(-ret),
			ret == -EINVAL ? " (no such queue?)" :
			ret == -EBUSY ? " (queue in use by another AF_XDP program?)" : "");
	return ret;
}

int xsk_rx_open(struct xsk_rx *q, const char *ifname, uint32_t queue_id,
		enum copy_choice copy, int xsks_map_fd, char *err, size_t errlen)
{
	int ret;

	memset(q, 0, sizeof(*q));
	q->queue_id = queue_id;
	ret = umem_create(q);
	if (ret) {
		err_set(err, errlen, "%s queue %u: cannot create UMEM of %zu bytes: %s", ifname,
			queue_id, q->area_size, strerror(-ret));
		goto fail;
	}
	ret = bind_socket(q, ifname, copy, err, errlen);
	if (ret)
		goto fail;
	ret = fill_all(q);
	if (!ret)
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
	q->xsk = NULL;
	q->umem = NULL;
	q->area = NULL;
}

int xsk_rx_fd(const struct xsk_rx *q)
{
	return xsk_socket__fd(q->xsk);
}

uint32_t xsk_rx_peek(struct xsk_rx *q, struct xsk_frame *frames, uint32_t max,
		     uint32_t *first_idx)
{
	uint32_t n = xsk_ring_cons__peek(&q->rx, max, first_idx), i;

	for (i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&q->rx, *first_idx + i);
		const uint8_t *data = xsk_umem__get_data(q->area, d->addr);

		frames[i].data = data;
		frames[i].len = d->len;
		frames[i].meta = xsk_frame_meta(data);
	}
	return n;
}

void xsk_rx_release(struct xsk_rx *q, uint32_t first_idx, uint32_t n)
{
	uint32_t fill_idx, i;

	if (!n)
		return;
	/* The fill ring holds all frames, so it always has room for these n. */
	while (xsk_ring_prod__reserve(&q->fill, n, &fill_idx) != n)
		;
	for (i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&q->rx, first_idx + i);

		xsk_frame_meta_clear(xsk_umem__get_data(q->area, d->addr));
		*xsk_ring_prod__fill_addr(&q->fill, fill_idx + i) =
			xsk_umem__extract_addr(d->addr);
	}
	xsk_ring_prod__submit(&q->fill, n);
	xsk_ring_cons__release(&q->rx, n);
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
	if (xsk_ring_prod__needs_wakeup(&q->fill))
		recvfrom(xsk_rx_fd(q), NULL, 0, MSG_DONTWAIT, NULL, NULL);
}
