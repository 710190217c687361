// SPDX-License-Identifier: GPL-2.0-only
#include "hook/ring_rx.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>

/* libbpf stops a drain at a callback's negative return; the record is consumed. */
#define BATCH_DONE (-EAGAIN)

int ring_rec_parse(const void *data, size_t size, struct ring_frame *frame)
{
	const struct vpncap_ring_rec *hdr = data;

	if (size < sizeof(*hdr) || hdr->caplen > size - sizeof(*hdr))
		return -EINVAL;
	frame->hdr = hdr;
	frame->data = (const uint8_t *)(hdr + 1);
	return 0;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct ring_rx *r = ctx;
	struct ring_frame frame;

	if (ring_rec_parse(data, size, &frame))
		r->malformed++;
	else
		r->fn(r->ctx, &frame);
	return ++r->taken >= RING_RX_BATCH ? BATCH_DONE : 0;
}

int ring_rx_open(struct ring_rx *r, int map_fd, ring_rx_fn fn, void *ctx)
{
	memset(r, 0, sizeof(*r));
	r->fn = fn;
	r->ctx = ctx;
	r->rb = ring_buffer__new(map_fd, on_record, r, NULL);
	if (!r->rb) {
		int ret = -errno;

		return ret ? ret : -ENOMEM;
	}
	return 0;
}

void ring_rx_close(struct ring_rx *r)
{
	ring_buffer__free(r->rb);
	r->rb = NULL;
}

int ring_rx_fd(const struct ring_rx *r)
{
	return ring_buffer__epoll_fd(r->rb);
}

uint32_t ring_rx_drain(struct ring_rx *r)
{
	r->taken = 0;
	ring_buffer__consume(r->rb);
	return r->taken;
}
