// SPDX-License-Identifier: GPL-2.0-only
/*
 * Probe programs: what this kernel accepts, found by loading each program
 * on its own (user/kernel_probe.c). Each one uses a single optional
 * feature; a load that fails means the feature is not there, whatever the
 * verifier's words for it (bpftool's feature probe misreads some of them).
 *
 * The kfunc probe and the freplace probe are objects of their own: libbpf
 * fails a whole object whose kfunc the kernel lacks, and an extension
 * program needs its target loaded first.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Nothing optional: if this does not load, no probe can say anything. */
SEC("xdp")
int probe_baseline(struct xdp_md *ctx)
{
	return ctx->rx_queue_index ? XDP_PASS : XDP_PASS;
}

SEC("xdp")
int probe_adjust_meta(struct xdp_md *ctx)
{
	return bpf_xdp_adjust_meta(ctx, 0) ? XDP_ABORTED : XDP_PASS;
}

SEC("xdp")
int probe_adjust_head(struct xdp_md *ctx)
{
	return bpf_xdp_adjust_head(ctx, 0) ? XDP_ABORTED : XDP_PASS;
}

/* BPF_F_XDP_HAS_FRAGS (Linux 5.18): older kernels refuse the unknown flag. */
SEC("xdp.frags")
int probe_xdp_frags(struct xdp_md *ctx)
{
	return ctx->rx_queue_index ? XDP_PASS : XDP_PASS;
}

SEC("xdp")
int probe_xdp_load_bytes(struct xdp_md *ctx)
{
	__u8 byte;

	if (bpf_xdp_get_buff_len(ctx) < 1)
		return XDP_PASS;
	return bpf_xdp_load_bytes(ctx, 0, &byte, 1) ? XDP_ABORTED : XDP_PASS;
}

SEC("xdp")
int probe_probe_read(struct xdp_md *ctx)
{
	__u8 byte;

	return bpf_probe_read_kernel(&byte, 1, (void *)(long)ctx->data) ? XDP_ABORTED : XDP_PASS;
}

/*
 * A stand-in for libxdp's dispatcher: a main program whose slots are global
 * functions that an extension program (freplace) replaces. The slot moves
 * no packet data, as libxdp's do not.
 */
__attribute__((noinline)) int probe_slot(struct xdp_md *ctx)
{
	volatile int ret = XDP_PASS;

	if (!ctx)
		return XDP_ABORTED;
	return ret;
}

SEC("xdp")
int probe_dispatcher(struct xdp_md *ctx)
{
	return probe_slot(ctx);
}

char LICENSE[] SEC("license") = "GPL";
