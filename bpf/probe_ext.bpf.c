// SPDX-License-Identifier: GPL-2.0-only
/*
 * Probe: may an extension program that moves packet data (as the
 * classifier does to place its metadata) replace a slot of an XDP
 * dispatcher that does not? Linux 6.12 and later refuse that ("Extension
 * program changes packet data, while original does not"), some builds
 * refuse extensions of XDP programs altogether; libxdp's dispatcher then
 * cannot hold vpncap. Loaded against probes.bpf.c's probe_dispatcher.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("freplace")
int probe_ext(struct xdp_md *ctx)
{
	return bpf_xdp_adjust_head(ctx, 0) ? XDP_ABORTED : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
