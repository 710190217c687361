// SPDX-License-Identifier: GPL-2.0-only
/*
 * hook/cbpf_xlate.c without a kernel: what it refuses (one line, nothing
 * out), the shape of what it emits (a known small program instruction by
 * instruction, sizes, jumps inside the program, an exit at the end, the
 * chain's map references) and that the same input gives the same bytes.
 * tests/bpf/test_expr_xlate.c runs the programs in the kernel.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "hook/cbpf_xlate.h"
#include "hook/expr.h"
#include "vpncap/abi.h"

#define STMT(c, k) { (__u16)(c), 0, 0, (__u32)(k) }
#define JUMP(c, k, t, f) { (__u16)(c), (t), (f), (__u32)(k) }

static const struct xlate_chain no_chain = { .state_map_fd = -1, .progs_map_fd = -1 };

/* Refused: -1, one non-empty line naming the problem, out empty. */
static void refused(const struct sock_filter *prog, unsigned int len, const struct xlate_chain *ch,
		    const char *needle)
{
	struct xlate_out out = { (struct bpf_insn *)1, 99 };
	char err[256] = "";
	int hook;

	for (hook = XLATE_XDP; hook <= XLATE_TC; hook++) {
		assert_int_equal(cbpf_xlate(prog, len, (enum xlate_hook)hook, ch, &out, err, sizeof(err)), -1);
		assert_null(out.insns);
		assert_int_equal(out.len, 0);
		assert_true(err[0] != '\0');
		assert_null(strchr(err, '\n'));
		if (!strstr(err, needle))
			fail_msg("'%s' does not say '%s'", err, needle);
	}
}

static void test_refuses_empty_program(void **state)
{
	static const struct sock_filter ret = STMT(BPF_RET | BPF_K, 1);

	(void)state;
	refused(NULL, 1, NULL, "empty");
	refused(&ret, 0, NULL, "empty");
}

static void test_refuses_jump_out_of_program(void **state)
{
	static const struct sock_filter ja[] = {
		STMT(BPF_JMP | BPF_JA, 1),
		STMT(BPF_RET | BPF_K, 1),
	};
	static const struct sock_filter jeq_true[] = {
		JUMP(BPF_JMP | BPF_JEQ | BPF_K, 7, 1, 0),
		STMT(BPF_RET | BPF_K, 0),
	};
	static const struct sock_filter jset_false[] = {
		JUMP(BPF_JMP | BPF_JSET | BPF_X, 0, 0, 200),
		STMT(BPF_RET | BPF_K, 0),
	};
	/* a huge k must not wrap around to a target inside */
	static const struct sock_filter ja_wrap[] = {
		STMT(BPF_JMP | BPF_JA, 0xffffffffu),
		STMT(BPF_RET | BPF_K, 1),
	};

	(void)state;
	refused(ja, 2, NULL, "instruction 0");
	refused(jeq_true, 2, NULL, "jump past the end");
	refused(jset_false, 2, NULL, "jump past the end");
	refused(ja_wrap, 2, NULL, "jump past the end");
}

static void test_refuses_ancillary_loads(void **state)
{
	static const struct sock_filter proto[] = {
		STMT(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL),
		STMT(BPF_RET | BPF_A, 0),
	};
	static const struct sock_filter net_off[] = {
		STMT(BPF_LD | BPF_B | BPF_IND, SKF_NET_OFF),
		STMT(BPF_RET | BPF_A, 0),
	};
	static const struct sock_filter msh[] = {
		STMT(BPF_LDX | BPF_B | BPF_MSH, SKF_LL_OFF),
		STMT(BPF_RET | BPF_A, 0),
	};

	(void)state;
	refused(proto, 2, NULL, "ancillary");
	refused(net_off, 2, NULL, "ancillary");
	refused(msh, 2, NULL, "ancillary");
}

static void test_refuses_unknown_instructions(void **state)
{
	static const __u16 codes[] = {
		0xff,                                   /* nothing */
		BPF_RET | BPF_X,                        /* libpcap runs RET K and RET A only */
		BPF_LD | BPF_H | BPF_IMM,               /* IMM, MEM, LEN are words */
		BPF_LD | BPF_DW | BPF_ABS,
		BPF_LDX | BPF_W | BPF_ABS,
		BPF_LDX | BPF_H | BPF_MSH,
		BPF_ALU | BPF_NEG | BPF_X,
		BPF_ALU | 0xb0 | BPF_K,                 /* eBPF's MOV, not classic */
		BPF_JMP | BPF_JA | BPF_X,
		BPF_JMP | 0x50 | BPF_K,                 /* eBPF's JNE */
		BPF_MISC | 0x40,
		BPF_ST | BPF_B,
		0x104,                                  /* bits above the byte */
	};
	struct sock_filter prog[2] = { STMT(0, 0), STMT(BPF_RET | BPF_K, 1) };
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		prog[0].code = codes[i];
		refused(prog, 2, NULL, "unknown opcode");
	}
}

static void test_refuses_other_bad_programs(void **state)
{
	static const struct sock_filter no_ret[] = { STMT(BPF_LD | BPF_IMM, 1) };
	static const struct sock_filter mem[] = { STMT(BPF_ST, 16), STMT(BPF_RET | BPF_K, 1) };
	static const struct sock_filter div0[] = {
		STMT(BPF_ALU | BPF_DIV | BPF_K, 0), STMT(BPF_RET | BPF_A, 0),
	};
	static const struct sock_filter shift[] = {
		STMT(BPF_ALU | BPF_LSH | BPF_K, 32), STMT(BPF_RET | BPF_A, 0),
	};
	static const struct sock_filter ok[] = { STMT(BPF_RET | BPF_K, 1) };
	struct xlate_chain bit64 = { .state_map_fd = 3, .progs_map_fd = 4, .bit = 64 };
	struct xlate_chain no_progs = { .state_map_fd = 3, .progs_map_fd = -1 };

	(void)state;
	refused(no_ret, 1, NULL, "not a return");
	refused(mem, 2, NULL, "M[15]");
	refused(div0, 2, NULL, "division");
	refused(shift, 2, NULL, "shift");
	refused(ok, XLATE_CBPF_MAX + 1, NULL, "more than");
	refused(ok, 1, &bit64, "bit 64");
	refused(ok, 1, &no_progs, "program array");
}

/* Every jump lands inside the program, the last instruction is an exit. */
static void check_shape(const struct xlate_out *out)
{
	unsigned int i;

	assert_true(out->len > 0);
	assert_int_equal(out->insns[out->len - 1].code, BPF_JMP | BPF_EXIT);
	for (i = 0; i < out->len; i++) {
		const struct bpf_insn *in = &out->insns[i];
		__u8 cls = BPF_CLASS(in->code), op = BPF_OP(in->code);

		if (in->code == (BPF_LD | BPF_DW | BPF_IMM)) {
			assert_true(i + 1 < out->len);
			i++;
			continue;
		}
		if ((cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_CALL && op != BPF_EXIT) {
			long to = (long)i + 1 + in->off;

			assert_true(to >= 0 && to < (long)out->len);
		}
	}
}

/*
 * RET 1, no chain: the whole XDP program, instruction by instruction. No
 * FAIL block (nothing jumps there: the verifier refuses unreachable code).
 */
static void test_smallest_program(void **state)
{
	static const struct sock_filter ret1[] = { STMT(BPF_RET | BPF_K, 1) };
	static const __u8 codes[] = {
		BPF_ALU64 | BPF_MOV | BPF_X,    /* r6 = ctx */
		BPF_LDX | BPF_MEM | BPF_W,      /* r4 = data */
		BPF_LDX | BPF_MEM | BPF_W,      /* r5 = data_end */
		BPF_ALU | BPF_MOV | BPF_K,      /* A = 0 */
		BPF_ALU | BPF_MOV | BPF_K,      /* X = 0 */
		BPF_ALU64 | BPF_MOV | BPF_K,    /* verdict = 1 */
		BPF_JMP | BPF_JA,               /* to DONE, the next one */
		BPF_ALU64 | BPF_MOV | BPF_X,    /* DONE: r0 = verdict */
		BPF_JMP | BPF_EXIT,
	};
	struct xlate_out out;
	char err[256];
	unsigned int i;

	(void)state;
	assert_int_equal(cbpf_xlate(ret1, 1, XLATE_XDP, &no_chain, &out, err, sizeof(err)), 0);
	assert_int_equal(out.len, sizeof(codes));
	for (i = 0; i < out.len; i++)
		assert_int_equal(out.insns[i].code, codes[i]);
	assert_int_equal(out.insns[5].imm, 1);
	assert_int_equal(out.insns[6].off, 0);
	assert_int_equal(out.insns[7].src_reg, 9);
	check_shape(&out);
	xlate_out_free(&out);
	assert_null(out.insns);
}

/* Instructions no path runs become nothing; a load always past 64 KiB still jumps conditionally. */
static void test_unreachable_code(void **state)
{
	static const struct sock_filter dead[] = {
		STMT(BPF_JMP | BPF_JA, 2),
		STMT(BPF_LD | BPF_W | BPF_ABS, 12),     /* never run */
		STMT(BPF_RET | BPF_A, 0),               /* never run */
		STMT(BPF_RET | BPF_K, 1),
	};
	static const struct sock_filter far[] = {
		STMT(BPF_LD | BPF_B | BPF_ABS, 0x100000),
		STMT(BPF_RET | BPF_K, 1),
	};
	struct xlate_out a, b;
	char err[256];
	unsigned int i, jgt = 0;

	(void)state;
	assert_int_equal(cbpf_xlate(dead, 4, XLATE_XDP, NULL, &a, err, sizeof(err)), 0);
	assert_int_equal(cbpf_xlate(dead + 3, 1, XLATE_XDP, NULL, &b, err, sizeof(err)), 0);
	assert_int_equal(a.len, b.len + 1);             /* the JA only */
	check_shape(&a);
	xlate_out_free(&a);
	xlate_out_free(&b);

	assert_int_equal(cbpf_xlate(far, 2, XLATE_XDP, NULL, &a, err, sizeof(err)), 0);
	check_shape(&a);
	for (i = 0; i < a.len; i++)
		jgt += a.insns[i].code == (BPF_JMP | BPF_JGT | BPF_K);
	assert_int_equal(jgt, 1);       /* offset > 0xfff0: to FAIL */
	xlate_out_free(&a);
}

static void compile(const char *text, struct expr_cbpf *c)
{
	char err[256];

	if (expr_compile(text, c, err, sizeof(err)))
		fail_msg("%s", err);
}

/* tcpdump programs: a handful of eBPF instructions per classic one, far under the limits. */
static void test_instruction_counts(void **state)
{
	static const char *const texts[] = {
		"udp port 500", "host 198.18.0.1 and (udp port 500 or udp port 4500)",
		"vlan and ip6 and tcp port 443", "tcp[tcpflags] & tcp-syn != 0",
		"ip and ip[2:2] / (ip[9] - 17) > 0", "portrange 1000-2000", "",
	};
	unsigned int i;
	int hook;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct expr_cbpf c;

		compile(texts[i], &c);
		for (hook = XLATE_XDP; hook <= XLATE_TC; hook++) {
			struct xlate_out out;
			char err[256];

			assert_int_equal(cbpf_xlate(c.insns, c.len, (enum xlate_hook)hook, NULL, &out,
						    err, sizeof(err)), 0);
			assert_true(out.len > c.len);
			assert_true(out.len <= 12 * c.len + 16);
			assert_true(out.len < 4096);
			check_shape(&out);
			xlate_out_free(&out);
		}
		expr_cbpf_free(&c);
	}
}

static unsigned int map_refs(const struct xlate_out *out, int fd)
{
	unsigned int i, n = 0;

	for (i = 0; i < out->len; i++)
		if (out->insns[i].code == (BPF_LD | BPF_DW | BPF_IMM) &&
		    out->insns[i].src_reg == BPF_PSEUDO_MAP_FD && out->insns[i].imm == fd)
			n++;
	return n;
}

/* The chain names the state map once, the program array once per tail call. */
static void test_chain_epilogue(void **state)
{
	struct xlate_chain ch = { .state_map_fd = 41, .progs_map_fd = 42, .dir = VPNCAP_DIR_OUT,
				  .bit = 63, .next_slot = VPNCAP_EXPR_BANK(1) + 1,
				  .bank_end = VPNCAP_EXPR_BANK(1) + 2 };
	struct expr_cbpf c;
	struct xlate_out out;
	char err[256];

	(void)state;
	compile("udp port 4500", &c);
	assert_int_equal(cbpf_xlate(c.insns, c.len, XLATE_TC, &ch, &out, err, sizeof(err)), 0);
	check_shape(&out);
	assert_int_equal(map_refs(&out, 41), 1);
	assert_int_equal(map_refs(&out, 42), 2);
	/* the last resort: TC_ACT_UNSPEC */
	assert_int_equal(out.insns[out.len - 2].imm, -1);
	xlate_out_free(&out);

	ch.next_slot = ch.bank_end;     /* the last of its bank: RESUME only */
	assert_int_equal(cbpf_xlate(c.insns, c.len, XLATE_XDP, &ch, &out, err, sizeof(err)), 0);
	check_shape(&out);
	assert_int_equal(map_refs(&out, 41), 1);
	assert_int_equal(map_refs(&out, 42), 1);
	assert_int_equal(out.insns[out.len - 2].imm, XDP_PASS);
	xlate_out_free(&out);
	expr_cbpf_free(&c);
}

static void test_deterministic(void **state)
{
	struct expr_cbpf c;
	struct xlate_out a, b, t;
	char err[256];

	(void)state;
	compile("vlan 100 and (udp port 500 or tcp[tcpflags] & tcp-rst != 0) or less 64", &c);
	assert_int_equal(cbpf_xlate(c.insns, c.len, XLATE_XDP, NULL, &a, err, sizeof(err)), 0);
	assert_int_equal(cbpf_xlate(c.insns, c.len, XLATE_XDP, NULL, &b, err, sizeof(err)), 0);
	assert_int_equal(cbpf_xlate(c.insns, c.len, XLATE_TC, NULL, &t, err, sizeof(err)), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.insns, b.insns, a.len * sizeof(*a.insns));
	assert_true(t.len != a.len || memcmp(a.insns, t.insns, a.len * sizeof(*a.insns)));
	xlate_out_free(&a);
	xlate_out_free(&b);
	xlate_out_free(&t);
	expr_cbpf_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refuses_empty_program),
		cmocka_unit_test(test_refuses_jump_out_of_program),
		cmocka_unit_test(test_refuses_ancillary_loads),
		cmocka_unit_test(test_refuses_unknown_instructions),
		cmocka_unit_test(test_refuses_other_bad_programs),
		cmocka_unit_test(test_smallest_program),
		cmocka_unit_test(test_unreachable_code),
		cmocka_unit_test(test_instruction_counts),
		cmocka_unit_test(test_chain_epilogue),
		cmocka_unit_test(test_deterministic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
