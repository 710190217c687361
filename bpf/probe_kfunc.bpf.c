// SPDX-License-Identifier: GPL-2.0-only
/*
 * Probe: the XDP RX metadata kfunc (Linux 6.3). Loaded without a device,
 * the kernel binds the kfunc to its default, which answers -EOPNOTSUPP;
 * the load alone says whether the kernel has it. An object of its own:
 * libbpf 1.1 fails a whole object whose kfunc the kernel lacks.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx, __u64 *timestamp) __ksym;

SEC("xdp")
int probe_rx_kfunc(struct xdp_md *ctx)
{
	__u64 ns = 0;

	return bpf_xdp_metadata_rx_timestamp(ctx, &ns) || !ns ? XDP_PASS : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
