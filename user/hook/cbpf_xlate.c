// SPDX-License-Identifier: GPL-2.0-only
/*
 * Classic BPF → eBPF for the XDP and TC hooks (see hook/cbpf_xlate.h).
 *
 * The classic program is validated whole first (known opcodes only, jumps
 * that stay inside it, a RET at the end), then emitted twice: a sizing pass
 * that learns where each classic instruction and each label starts (one
 * classic instruction becomes a fixed number of eBPF ones, whatever the
 * jump distances), then the real pass with the jump offsets.
 */
#include <stdlib.h>
#include <string.h>

#include <linux/pkt_cls.h>

#include "hook/cbpf_xlate.h"
#include "vpncap/abi.h"
#include "log.h"

/* Registers (eBPF calling convention: r6-r9 survive helper calls). */
#define R_CTX 6
#define R_A 7
#define R_X 8
#define R_VERDICT 9
#define R_DATA 4        /* XDP only: the body calls no helper */
#define R_DATA_END 5

/* Stack: M[0..15] at fp-64, a TC load's bytes at fp-72, the state key at fp-80. */
#define MEM_WORDS 16
#define STACK_MEM (-64)
#define STACK_SCRATCH (-72)
#define STACK_KEY (-80)

/*
 * The furthest XDP offset read: the verifier learns a packet range only
 * while offset + size stays under 64 KiB; no linear XDP frame is longer.
 * TC reads up to INT_MAX, what bpf_skb_load_bytes takes.
 */
#define XDP_OFF_MAX 0xfff0
#define TC_OFF_MAX 0x7fffffff

/* Classic opcodes libpcap's bpf_filter runs, whole (class, size, mode). */
#define C_LD_IMM (BPF_LD | BPF_W | BPF_IMM)
#define C_LD_MEM (BPF_LD | BPF_W | BPF_MEM)
#define C_LD_LEN (BPF_LD | BPF_W | BPF_LEN)
#define C_LDX_IMM (BPF_LDX | BPF_W | BPF_IMM)
#define C_LDX_MEM (BPF_LDX | BPF_W | BPF_MEM)
#define C_LDX_LEN (BPF_LDX | BPF_W | BPF_LEN)
#define C_LDX_MSH (BPF_LDX | BPF_B | BPF_MSH)
#define C_RET_K (BPF_RET | BPF_K)
#define C_RET_A (BPF_RET | BPF_A)
#define C_TAX (BPF_MISC | BPF_TAX)
#define C_TXA (BPF_MISC | BPF_TXA)

/* Labels past the classic instructions (0..len-1). */
enum { L_FAIL, L_DONE, L_TAIL, L_COUNT };

struct emitter {
	struct bpf_insn *buf;           /* NULL in the sizing pass */
	unsigned int n;                 /* eBPF instructions so far */
	unsigned int *pos;              /* label → eBPF index (len + L_COUNT) */
	unsigned int len;               /* classic instructions */
	enum xlate_hook hook;
	const __u8 *reached;            /* classic instructions some path runs */
	int fail_used;                  /* something jumps to FAIL */
	int far_jump;                   /* an offset that does not fit in 16 bits */
};

/* ---- validation ------------------------------------------------------------ */

static int is_packet_load(__u16 code)
{
	return !(code & ~0xff) && BPF_CLASS(code) == BPF_LD &&
	       (BPF_MODE(code) == BPF_ABS || BPF_MODE(code) == BPF_IND) && BPF_SIZE(code) != BPF_DW;
}

static int alu_known(__u16 code)
{
	switch (BPF_OP(code)) {
	case BPF_ADD: case BPF_SUB: case BPF_MUL: case BPF_DIV: case BPF_OR: case BPF_AND:
	case BPF_LSH: case BPF_RSH: case BPF_MOD: case BPF_XOR:
		return 1;
	case BPF_NEG:
		return BPF_SRC(code) == BPF_K;
	}
	return 0;
}

static int jump_known(__u16 code)
{
	switch (BPF_OP(code)) {
	case BPF_JA:
		return BPF_SRC(code) == BPF_K;
	case BPF_JEQ: case BPF_JGT: case BPF_JGE: case BPF_JSET:
		return 1;
	}
	return 0;
}

/* The reason an instruction cannot be translated, or NULL. */
static const char *insn_problem(const struct sock_filter *f, unsigned int i, unsigned int len)
{
	__u16 code = f->code;

	if (is_packet_load(code))
		/* Linux reads SKF_AD_OFF (-4096) and up, SKF_NET_OFF, SKF_LL_OFF as metadata */
		return f->k > 0x7fffffff ? "negative offset (ancillary or SKF_*_OFF load)" : NULL;
	switch (code) {
	case C_LD_IMM: case C_LD_LEN: case C_LDX_IMM: case C_LDX_LEN:
	case C_RET_K: case C_RET_A: case C_TAX: case C_TXA:
		return NULL;
	case C_LDX_MSH:
		return f->k > 0x7fffffff ? "negative offset (ancillary or SKF_*_OFF load)" : NULL;
	case C_LD_MEM: case C_LDX_MEM: case BPF_ST: case BPF_STX:
		return f->k < MEM_WORDS ? NULL : "scratch memory index past M[15]";
	}
	if (BPF_CLASS(code) == BPF_ALU && alu_known(code) && !(code & ~0xff)) {
		if (BPF_SRC(code) == BPF_K && (BPF_OP(code) == BPF_DIV || BPF_OP(code) == BPF_MOD) && !f->k)
			return "division by a constant zero";
		if (BPF_SRC(code) == BPF_K && (BPF_OP(code) == BPF_LSH || BPF_OP(code) == BPF_RSH) && f->k > 31)
			return "shift by 32 or more";
		return NULL;
	}
	if (BPF_CLASS(code) == BPF_JMP && jump_known(code) && !(code & ~0xff)) {
		__u64 next = (__u64)i + 1;

		if (BPF_OP(code) == BPF_JA)
			return next + f->k < len ? NULL : "jump past the end";
		return next + f->jt < len && next + f->jf < len ? NULL : "jump past the end";
	}
	return "unknown opcode";
}

static int validate(const struct sock_filter *prog, unsigned int len, char *err, size_t errlen)
{
	unsigned int i;

	if (!prog || !len) {
		err_set(err, errlen, "classic BPF: empty program");
		return -1;
	}
	if (len > XLATE_CBPF_MAX) {
		err_set(err, errlen, "classic BPF: %u instructions, more than %d", len, XLATE_CBPF_MAX);
		return -1;
	}
	for (i = 0; i < len; i++) {
		const char *why = insn_problem(&prog[i], i, len);

		if (why) {
			err_set(err, errlen, "classic BPF: instruction %u (code 0x%02x, k %u): %s", i,
				prog[i].code, prog[i].k, why);
			return -1;
		}
	}
	/* Jumps go forward only, so every path then ends in a RET. */
	if (BPF_CLASS(prog[len - 1].code) != BPF_RET) {
		err_set(err, errlen, "classic BPF: the last instruction (%u) is not a return", len - 1);
		return -1;
	}
	return 0;
}

/* ---- emission -------------------------------------------------------------- */

static void put(struct emitter *e, __u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm)
{
	if (e->buf) {
		struct bpf_insn *in = &e->buf[e->n];

		memset(in, 0, sizeof(*in));
		in->code = code;
		in->dst_reg = dst;
		in->src_reg = src;
		in->off = off;
		in->imm = imm;
	}
	e->n++;
}

/* A jump to a label (classic index, or len + L_*), known in the second pass. */
static void jump(struct emitter *e, __u8 code, __u8 dst, __u8 src, __s32 imm, unsigned int label)
{
	long off = 0;

	if (e->buf) {
		off = (long)e->pos[label] - (long)(e->n + 1);
		if (off < -32768 || off > 32767)
			e->far_jump = 1;
	}
	if (label == e->len + L_FAIL)
		e->fail_used = 1;
	put(e, code, dst, src, (__s16)off, imm);
}

static void jump_to(struct emitter *e, unsigned int label)
{
	jump(e, BPF_JMP | BPF_JA, 0, 0, 0, label);
}

static unsigned int label(const struct emitter *e, unsigned int which)
{
	return e->len + which;
}

static void place(struct emitter *e, unsigned int lbl)
{
	if (!e->buf)
		e->pos[lbl] = e->n;
}

static void mov32_imm(struct emitter *e, __u8 dst, __u32 k)
{
	put(e, BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, (__s32)k);
}

static void mov32_reg(struct emitter *e, __u8 dst, __u8 src)
{
	put(e, BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
}

static void mov64_imm(struct emitter *e, __u8 dst, __s32 imm)
{
	put(e, BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}

static void mov64_reg(struct emitter *e, __u8 dst, __u8 src)
{
	put(e, BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}

static void add64_imm(struct emitter *e, __u8 dst, __s32 imm)
{
	put(e, BPF_ALU64 | BPF_ADD | BPF_K, dst, 0, 0, imm);
}

static void ld_imm64(struct emitter *e, __u8 dst, __u8 pseudo, __u64 v)
{
	put(e, BPF_LD | BPF_DW | BPF_IMM, dst, pseudo, 0, (__s32)(__u32)v);
	put(e, 0, 0, 0, 0, (__s32)(__u32)(v >> 32));
}

static void call(struct emitter *e, __s32 helper)
{
	put(e, BPF_JMP | BPF_CALL, 0, 0, 0, helper);
}

static int mem_off(__u32 k)
{
	return STACK_MEM + 4 * (int)k;
}

static unsigned int size_bytes(__u16 size)
{
	return size == BPF_W ? 4 : size == BPF_H ? 2 : 1;
}

/* Network order to host order, in place (a no-op on big-endian hosts). */
static void from_be(struct emitter *e, __u8 dst, __u16 size)
{
	if (size != BPF_B)
		put(e, BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, (__s32)size_bytes(size) * 8);
}

/* reg = X + k in 64 bits, never wrapped (libpcap's semantics; X is zero-extended), or FAIL above max. */
static void ind_offset(struct emitter *e, __u8 reg, __u32 k, __s32 max)
{
	mov64_reg(e, reg, R_X);
	add64_imm(e, reg, (__s32)k);
	jump(e, BPF_JMP | BPF_JGT | BPF_K, reg, 0, max, label(e, L_FAIL));
}

/*
 * dst = size bytes at offset (k, or X + k), read directly from the XDP
 * frame. Unaligned reads, as the classifier's own: fine where the kernel
 * has efficient unaligned access (x86-64, arm64).
 */
static void load_xdp(struct emitter *e, __u8 dst, __u16 size, __u8 mode, __u32 k)
{
	unsigned int n = size_bytes(size);

	if (mode == BPF_ABS && k > XDP_OFF_MAX) {
		/*
		 * Always out of the frame, but a conditional jump: the verifier
		 * refuses code no jump reaches, and the next instruction may be.
		 */
		mov64_imm(e, 1, (__s32)k);
		jump(e, BPF_JMP | BPF_JGT | BPF_K, 1, 0, XDP_OFF_MAX, label(e, L_FAIL));
		return;
	}
	mov64_reg(e, 2, R_DATA);
	if (mode == BPF_ABS) {
		add64_imm(e, 2, (__s32)k);
	} else {
		ind_offset(e, 1, k, XDP_OFF_MAX);
		put(e, BPF_ALU64 | BPF_ADD | BPF_X, 2, 1, 0, 0);
	}
	mov64_reg(e, 3, 2);
	add64_imm(e, 3, (__s32)n);
	jump(e, BPF_JMP | BPF_JGT | BPF_X, 3, R_DATA_END, 0, label(e, L_FAIL));
	put(e, BPF_LDX | BPF_MEM | size, dst, 2, 0, 0);
	from_be(e, dst, size);
}

/* The same through bpf_skb_load_bytes (the skb may be nonlinear). */
static void load_tc(struct emitter *e, __u8 dst, __u16 size, __u8 mode, __u32 k)
{
	if (mode == BPF_ABS)
		mov64_imm(e, 2, (__s32)k);
	else
		ind_offset(e, 2, k, TC_OFF_MAX);
	mov64_reg(e, 1, R_CTX);
	mov64_reg(e, 3, 10);
	add64_imm(e, 3, STACK_SCRATCH);
	mov64_imm(e, 4, (__s32)size_bytes(size));
	call(e, BPF_FUNC_skb_load_bytes);
	jump(e, BPF_JMP | BPF_JNE | BPF_K, 0, 0, 0, label(e, L_FAIL));
	put(e, BPF_LDX | BPF_MEM | size, dst, 10, STACK_SCRATCH, 0);
	from_be(e, dst, size);
}

static void load_packet(struct emitter *e, __u8 dst, __u16 size, __u8 mode, __u32 k)
{
	if (e->hook == XLATE_XDP)
		load_xdp(e, dst, size, mode, k);
	else
		load_tc(e, dst, size, mode, k);
}

/* dst = the frame's length (libpcap: the wire length). */
static void load_len(struct emitter *e, __u8 dst)
{
	if (e->hook == XLATE_XDP) {
		mov64_reg(e, 1, R_DATA_END);
		put(e, BPF_ALU64 | BPF_SUB | BPF_X, 1, R_DATA, 0, 0);
		mov32_reg(e, dst, 1);
	} else {
		put(e, BPF_LDX | BPF_MEM | BPF_W, dst, R_CTX, offsetof(struct __sk_buff, len), 0);
	}
}

static void emit_alu(struct emitter *e, const struct sock_filter *f)
{
	__u8 op = BPF_OP(f->code);

	if (op == BPF_NEG) {
		put(e, BPF_ALU | BPF_NEG, R_A, 0, 0, 0);
		return;
	}
	if (BPF_SRC(f->code) == BPF_K) {
		put(e, BPF_ALU | op | BPF_K, R_A, 0, 0, (__s32)f->k);
		return;
	}
	if (op == BPF_DIV || op == BPF_MOD)   /* classic: A / 0 ends the program, "no" */
		jump(e, BPF_JMP32 | BPF_JEQ | BPF_K, R_X, 0, 0, label(e, L_FAIL));
	if (op == BPF_LSH || op == BPF_RSH) {
		/* libpcap: a shift by 32 or more gives 0 (eBPF would mask the count) */
		put(e, BPF_JMP32 | BPF_JLT | BPF_K, R_X, 0, 2, 32);
		mov32_imm(e, R_A, 0);
		put(e, BPF_JMP | BPF_JA, 0, 0, 1, 0);
	}
	put(e, BPF_ALU | op | BPF_X, R_A, R_X, 0, 0);
}

/* The condition that sends a classic jump to jf instead of jt, where there is one. */
static int inverse_op(__u8 op, __u8 *inv)
{
	switch (op) {
	case BPF_JEQ: *inv = BPF_JNE; return 1;
	case BPF_JGT: *inv = BPF_JLE; return 1;
	case BPF_JGE: *inv = BPF_JLT; return 1;
	}
	return 0;
}

static void emit_jump(struct emitter *e, const struct sock_filter *f, unsigned int i)
{
	__u8 op = BPF_OP(f->code), src = BPF_SRC(f->code), inv;
	__u8 reg = src == BPF_X ? R_X : 0;
	__s32 imm = src == BPF_X ? 0 : (__s32)f->k;   /* eBPF wants imm 0 with a register */
	unsigned int jt = i + 1 + f->jt, jf = i + 1 + f->jf;

	if (op == BPF_JA) {
		jump_to(e, i + 1 + f->k);
		return;
	}
	if (jt == jf) {
		jump_to(e, jt);
		return;
	}
	if (f->jt == 0 && inverse_op(op, &inv)) {
		jump(e, BPF_JMP32 | inv | src, R_A, reg, imm, jf);
		return;
	}
	jump(e, BPF_JMP32 | op | src, R_A, reg, imm, jt);
	if (f->jf != 0)
		jump_to(e, jf);
}

static void emit_ret(struct emitter *e, const struct sock_filter *f)
{
	if (f->code == C_RET_K) {
		if (!f->k) {
			jump_to(e, label(e, L_FAIL));
			return;
		}
	} else {
		jump(e, BPF_JMP32 | BPF_JEQ | BPF_K, R_A, 0, 0, label(e, L_FAIL));
	}
	mov64_imm(e, R_VERDICT, 1);
	jump_to(e, label(e, L_DONE));
}

static void emit_insn(struct emitter *e, const struct sock_filter *f, unsigned int i)
{
	__u16 code = f->code;

	if (is_packet_load(code)) {
		load_packet(e, R_A, BPF_SIZE(code), BPF_MODE(code), f->k);
		return;
	}
	switch (code) {
	case C_LD_IMM: mov32_imm(e, R_A, f->k); return;
	case C_LDX_IMM: mov32_imm(e, R_X, f->k); return;
	case C_LD_MEM: put(e, BPF_LDX | BPF_MEM | BPF_W, R_A, 10, (__s16)mem_off(f->k), 0); return;
	case C_LDX_MEM: put(e, BPF_LDX | BPF_MEM | BPF_W, R_X, 10, (__s16)mem_off(f->k), 0); return;
	case BPF_ST: put(e, BPF_STX | BPF_MEM | BPF_W, 10, R_A, (__s16)mem_off(f->k), 0); return;
	case BPF_STX: put(e, BPF_STX | BPF_MEM | BPF_W, 10, R_X, (__s16)mem_off(f->k), 0); return;
	case C_LD_LEN: load_len(e, R_A); return;
	case C_LDX_LEN: load_len(e, R_X); return;
	case C_TAX: mov32_reg(e, R_X, R_A); return;
	case C_TXA: mov32_reg(e, R_A, R_X); return;
	case C_LDX_MSH:         /* X = 4 * (P[k] & 0xf): an IPv4 header's length */
		load_packet(e, R_X, BPF_B, BPF_ABS, f->k);
		put(e, BPF_ALU | BPF_AND | BPF_K, R_X, 0, 0, 0xf);
		put(e, BPF_ALU | BPF_LSH | BPF_K, R_X, 0, 0, 2);
		return;
	}
	if (BPF_CLASS(code) == BPF_ALU)
		emit_alu(e, f);
	else if (BPF_CLASS(code) == BPF_JMP)
		emit_jump(e, f, i);
	else
		emit_ret(e, f);
}

static int reads_mem(const struct sock_filter *prog, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		if (prog[i].code == C_LD_MEM || prog[i].code == C_LDX_MEM)
			return 1;
	return 0;
}

static void emit_prologue(struct emitter *e, const struct sock_filter *prog)
{
	int i;

	mov64_reg(e, R_CTX, 1);
	if (e->hook == XLATE_XDP) {
		put(e, BPF_LDX | BPF_MEM | BPF_W, R_DATA, R_CTX, offsetof(struct xdp_md, data), 0);
		put(e, BPF_LDX | BPF_MEM | BPF_W, R_DATA_END, R_CTX, offsetof(struct xdp_md, data_end), 0);
	}
	mov32_imm(e, R_A, 0);
	mov32_imm(e, R_X, 0);
	/* classic M[] starts zeroed; the verifier refuses reading stack never written */
	if (reads_mem(prog, e->len))
		for (i = 0; i < MEM_WORDS / 2; i++)
			put(e, BPF_ST | BPF_MEM | BPF_DW, 10, 0, (__s16)(STACK_MEM + 8 * i), 0);
}

/* One tail call: does not come back when it succeeds. */
static void tail_call(struct emitter *e, int progs_fd, __u32 slot)
{
	mov64_reg(e, 1, R_CTX);
	ld_imm64(e, 2, BPF_PSEUDO_MAP_FD, (__u32)progs_fd);
	mov64_imm(e, 3, (__s32)slot);
	call(e, BPF_FUNC_tail_call);
}

static void emit_chain(struct emitter *e, const struct xlate_chain *c)
{
	jump(e, BPF_JMP | BPF_JEQ | BPF_K, R_VERDICT, 0, 0, label(e, L_TAIL));
	put(e, BPF_ST | BPF_MEM | BPF_W, 10, 0, STACK_KEY, (__s32)c->dir);
	ld_imm64(e, 1, BPF_PSEUDO_MAP_FD, (__u32)c->state_map_fd);
	mov64_reg(e, 2, 10);
	add64_imm(e, 2, STACK_KEY);
	call(e, BPF_FUNC_map_lookup_elem);
	jump(e, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0, label(e, L_TAIL));
	/* per-CPU value, one program at a time on it: no atomic needed */
	put(e, BPF_LDX | BPF_MEM | BPF_DW, 1, 0, offsetof(struct vpncap_expr_state, bits), 0);
	ld_imm64(e, 2, 0, 1ULL << c->bit);
	put(e, BPF_ALU64 | BPF_OR | BPF_X, 1, 2, 0, 0);
	put(e, BPF_STX | BPF_MEM | BPF_DW, 0, 1, offsetof(struct vpncap_expr_state, bits), 0);
	place(e, label(e, L_TAIL));
	if (c->next_slot < c->bank_end)
		tail_call(e, c->progs_map_fd, c->next_slot);
	tail_call(e, c->progs_map_fd, VPNCAP_EXPR_RESUME);
	/* both tail calls failed: the frame goes on untouched, never dropped */
	mov64_imm(e, 0, e->hook == XLATE_XDP ? XDP_PASS : TC_ACT_UNSPEC);
	put(e, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static void emit_program(struct emitter *e, const struct sock_filter *prog,
			 const struct xlate_chain *chain)
{
	unsigned int i;

	emit_prologue(e, prog);
	for (i = 0; i < e->len; i++) {
		place(e, i);
		if (e->reached[i])      /* the verifier refuses unreachable code */
			emit_insn(e, &prog[i], i);
	}
	/* every jump to FAIL comes before it: known here in the sizing pass too */
	place(e, label(e, L_FAIL));
	if (e->fail_used)
		mov64_imm(e, R_VERDICT, 0);
	place(e, label(e, L_DONE));
	if (chain && chain->state_map_fd >= 0) {
		emit_chain(e, chain);
		return;
	}
	place(e, label(e, L_TAIL));
	mov64_reg(e, 0, R_VERDICT);
	put(e, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

/* Which instructions some path from the first one runs (jumps go forward). */
static __u8 *reachable(const struct sock_filter *prog, unsigned int len)
{
	__u8 *r = calloc(len, 1);
	unsigned int i;

	if (!r)
		return NULL;
	r[0] = 1;
	for (i = 0; i < len; i++) {
		const struct sock_filter *f = &prog[i];

		if (!r[i] || BPF_CLASS(f->code) == BPF_RET)
			continue;
		if (BPF_CLASS(f->code) != BPF_JMP) {
			r[i + 1] = 1;
		} else if (BPF_OP(f->code) == BPF_JA) {
			r[i + 1 + f->k] = 1;
		} else {
			r[i + 1 + f->jt] = 1;
			r[i + 1 + f->jf] = 1;
		}
	}
	return r;
}

static int check_chain(const struct xlate_chain *c, char *err, size_t errlen)
{
	if (!c || c->state_map_fd < 0)
		return 0;
	if (c->progs_map_fd < 0) {
		err_set(err, errlen, "expression chain: a state map without a program array");
		return -1;
	}
	if (c->bit > 63) {
		err_set(err, errlen, "expression chain: bit %u past the 64 of the state", c->bit);
		return -1;
	}
	return 0;
}

int cbpf_xlate(const struct sock_filter *prog, unsigned int len, enum xlate_hook hook,
	       const struct xlate_chain *chain, struct xlate_out *out, char *err, size_t errlen)
{
	struct emitter e = { .len = len, .hook = hook };
	__u8 *reached;

	memset(out, 0, sizeof(*out));
	if (hook != XLATE_XDP && hook != XLATE_TC) {
		err_set(err, errlen, "classic BPF: unknown hook %d", (int)hook);
		return -1;
	}
	if (validate(prog, len, err, errlen) || check_chain(chain, err, errlen))
		return -1;
	reached = reachable(prog, len);
	e.reached = reached;
	e.pos = calloc(len + L_COUNT, sizeof(*e.pos));
	if (e.pos && reached) {
		emit_program(&e, prog, chain);  /* sizing pass: labels */
		e.buf = calloc(e.n, sizeof(*e.buf));
	}
	if (e.buf) {
		e.n = 0;
		emit_program(&e, prog, chain);
	}
	free(e.pos);
	free(reached);
	if (!e.buf) {
		err_set(err, errlen, "out of memory");
		return -1;
	}
	if (e.far_jump) {
		free(e.buf);
		err_set(err, errlen, "classic BPF: %u instructions, too long for eBPF's 16-bit jumps", len);
		return -1;
	}
	out->insns = e.buf;
	out->len = e.n;
	return 0;
}

void xlate_out_free(struct xlate_out *out)
{
	free(out->insns);
	out->insns = NULL;
	out->len = 0;
}
