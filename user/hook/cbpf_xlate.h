/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Classic BPF (what libpcap's pcap_compile emits for a tcpdump expression,
 * hook/expr.h) translated into an eBPF program for the XDP hook or the TC
 * hook (BPF_PROG_TYPE_SCHED_CLS). Pure: instructions in, instructions out;
 * no kernel call (the caller loads the result with bpf_prog_load).
 *
 * The program selects exactly the frames libpcap's own bpf_filter() would,
 * with libpcap's semantics: a load past the end of the frame or a division
 * by a zero X ends the program with "not selected". Its verdict is 1 when
 * the classic program returns non-zero, else 0. Without a chain the program
 * returns the verdict; with one (the classifier's expression banks, see
 * vpncap/abi.h) it sets its bit in the state of its direction, then
 * tail-calls the next program of the bank or VPNCAP_EXPR_RESUME, and passes
 * the frame untouched (XDP_PASS, TC_ACT_UNSPEC) if both tail calls fail.
 *
 * Registers: r6 = ctx, r7 = A, r8 = X, r9 = verdict; M[] on the stack,
 * zeroed in the prologue when read. XDP keeps data/data_end in r4/r5 (its
 * body calls no helper) and reads the frame directly (the linear part);
 * TC reads through bpf_skb_load_bytes (the skb may be nonlinear).
 * Classic ALU and compares are 32-bit unsigned: BPF_ALU and BPF_JMP32
 * (Linux 5.1+). XDP's LEN is data_end - data, a pointer subtraction the
 * verifier allows with CAP_PERFMON (as the classifier's own).
 */
#ifndef VPNCAP_HOOK_CBPF_XLATE_H
#define VPNCAP_HOOK_CBPF_XLATE_H

#include <stddef.h>
#include <linux/bpf.h>
#include <linux/filter.h>

enum xlate_hook { XLATE_XDP, XLATE_TC };

/* What the program does with its verdict. */
struct xlate_chain {
	int state_map_fd;       /* PERCPU_ARRAY of struct vpncap_expr_state; < 0: just return the verdict (tests) */
	int progs_map_fd;       /* PROG_ARRAY expr_progs (owned by one program type: one per hook) */
	__u32 dir;              /* key of the state: VPNCAP_DIR_IN or VPNCAP_DIR_OUT */
	__u32 bit;              /* set in state.bits when the expression selects the frame, < 64 */
	__u32 next_slot;        /* expr_progs slot tail-called next when next_slot < bank_end */
	__u32 bank_end;
};

struct xlate_out {
	struct bpf_insn *insns;
	unsigned int len;
};

/* Longest classic program taken (the kernel's and libpcap's limit). */
#define XLATE_CBPF_MAX 4096

/*
 * Translates prog[0..len) for hook. chain NULL: as state_map_fd < 0.
 * 0, or -1 with one line in err (a refused instruction names its index);
 * out is empty after a failure. Free with xlate_out_free().
 */
int cbpf_xlate(const struct sock_filter *prog, unsigned int len, enum xlate_hook hook,
	       const struct xlate_chain *chain, struct xlate_out *out, char *err, size_t errlen);

void xlate_out_free(struct xlate_out *out);

#endif /* VPNCAP_HOOK_CBPF_XLATE_H */
