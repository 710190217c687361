// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test-only XDP programs for tests/bpf/test_xsk_rx.c: every received frame
 * goes to the AF_XDP socket of its RX queue, whole (xdp.frags: multi-buffer
 * frames too); the peer's program only passes, so the veth pair runs in
 * native XDP mode in both directions.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

SEC("xdp.frags")
int xsk_redirect(struct xdp_md *ctx)
{
	return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
}

SEC("xdp.frags")
int xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
