// SPDX-License-Identifier: GPL-2.0-only
#include "hook/ring_rx.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int ring_rec_parse(const void *data, size_t size, struct ring_frame *frame)
{
	const struct vpncap_ring_rec *hdr = data;

	if (size < sizeof(*hdr) || hdr->caplen > size - sizeof(*hdr))
		return -EINVAL;
	frame->hdr = hdr;
	frame->data = (const uint8_t *)(hdr + 1);
	return 0;
}

static uint64_t load_acquire(const uint64_t *p)
{
	return atomic_load_explicit((const _Atomic uint64_t *)p, memory_order_acquire);
}

static void store_release(uint64_t *p, uint64_t v)
{
	atomic_store_explicit((_Atomic uint64_t *)p, v, memory_order_release);
}

/* The kernel's layout: consumer page (ours to write), producer page, data twice. */
static int map_ring(struct ring_rx *r, uint32_t size)
{
	r->cons_map = mmap(NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, r->map_fd, 0);
	if (r->cons_map == MAP_FAILED) {
		r->cons_map = NULL;
		return -errno;
	}
	r->prod_len = r->page + 2 * (size_t)size;
	r->prod_map = mmap(NULL, r->prod_len, PROT_READ, MAP_SHARED, r->map_fd, (off_t)r->page);
	if (r->prod_map == MAP_FAILED) {
		r->prod_map = NULL;
		return -errno;
	}
	r->consumer_pos = r->cons_map;
	r->producer_pos = r->prod_map;
	r->data = (const uint8_t *)r->prod_map + r->page;
	r->mask = size - 1;
	return 0;
}

int ring_rx_open(struct ring_rx *r, int map_fd, ring_rx_fn fn, void *ctx)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	int ret;

	memset(r, 0, sizeof(*r));
	r->map_fd = map_fd;
	r->fn = fn;
	r->ctx = ctx;
	r->page = (size_t)sysconf(_SC_PAGESIZE);
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(map_fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_RINGBUF || !info.max_entries ||
	    (info.max_entries & (info.max_entries - 1)))
		return -EINVAL;
	ret = map_ring(r, info.max_entries);
	if (ret) {
		ring_rx_close(r);
		return ret;
	}
	r->read_pos = load_acquire(r->consumer_pos);
	return 0;
}

void ring_rx_close(struct ring_rx *r)
{
	if (r->prod_map)
		munmap(r->prod_map, r->prod_len);
	if (r->cons_map)
		munmap(r->cons_map, r->page);
	r->prod_map = r->cons_map = NULL;
}

int ring_rx_fd(const struct ring_rx *r)
{
	return r->map_fd;
}

/* Ring bytes of a record of len (its header's length, flags included), header and padding too. */
static uint64_t record_span(uint32_t len)
{
	return (BPF_RINGBUF_HDR_SZ + (len & ~(uint32_t)BPF_RINGBUF_DISCARD_BIT) + 7) & ~7ull;
}

/* One committed record at r->read_pos: to the callback (unless discarded). */
static int take_record(struct ring_rx *r, uint32_t len)
{
	const uint8_t *sample = r->data + (r->read_pos & r->mask) + BPF_RINGBUF_HDR_SZ;
	struct ring_frame frame;

	if (len & BPF_RINGBUF_DISCARD_BIT)
		return 0;
	if (ring_rec_parse(sample, len & ~(uint32_t)BPF_RINGBUF_DISCARD_BIT, &frame)) {
		r->malformed++;
		return 1;
	}
	frame.end = r->read_pos + record_span(len);
	r->kept += r->fn(r->ctx, &frame) > 0;
	return 1;
}

uint32_t ring_rx_drain(struct ring_rx *r)
{
	uint64_t prod = load_acquire(r->producer_pos);
	uint32_t taken = 0;

	while (r->read_pos < prod && taken < RING_RX_BATCH) {
		const uint32_t *hdr = (const void *)(r->data + (r->read_pos & r->mask));
		uint32_t len = atomic_load_explicit((const _Atomic uint32_t *)hdr,
						    memory_order_acquire);

		if (len & BPF_RINGBUF_BUSY_BIT)
			break;  /* reserved, not yet submitted: records after it wait too */
		taken += take_record(r, len);
		r->read_pos += record_span(len);
	}
	if (!r->kept)
		store_release(r->consumer_pos, r->read_pos);
	return taken;
}

void ring_rx_release(struct ring_rx *r, uint64_t end)
{
	if (r->kept)
		r->kept--;
	store_release(r->consumer_pos, r->kept ? end : r->read_pos);
}
