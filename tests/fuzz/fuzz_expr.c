// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for expressions: hook/expr.c (libpcap's compiler) and
 * hook/cbpf_xlate.c (classic BPF → eBPF). Two input modes:
 *
 *  - text (first byte not 0): the expression text up to the first NUL,
 *    compiled by expr_compile; the bytes after the NUL, when 14 to 1514,
 *    are one more frame to run it on;
 *  - raw (first byte 0): byte 1 the length L of a frame (bytes 2..2+L, used
 *    when L >= 14), then the rest as a struct sock_filter array (8 bytes
 *    each, host order), given to cbpf_xlate as is: what it accepts of
 *    anything, not only of libpcap.
 *
 * Every program is translated for XDP and TC, without and with a chain.
 * abort()s when:
 *  - a refusal is not one non-empty line, or leaves something in out;
 *  - an output has a jump that lands outside it or inside a 64-bit
 *    immediate load, does not end in an exit, or is not the same twice;
 *  - with root (CAP_BPF + CAP_PERFMON): the verifier refuses an output
 *    (everything cbpf_xlate accepts must load, its log is printed; only
 *    its limit of a million instructions walked is let pass), or the
 *    verdict on a frame (a few fixed ones and the input's) is not what
 *    libpcap's own bpf_filter() says, in XDP and in TC (where the kernel's
 *    test run takes the frame). A program that reads M[k] before any store
 *    on some path has no such reference (libpcap leaves M unset): loaded
 *    only.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "hook/cbpf_xlate.h"
#include "hook/expr.h"

#define MAX_INPUT 8192
#define FRAME_MIN 14
#define FRAME_MAX 1514
#define LOG_SIZE (1u << 20)

/*
 * libpcap's classic interpreter (pcap/bpf.h): declared here with Linux's
 * struct sock_filter, the same layout as libpcap's struct bpf_insn, whose
 * name clashes with eBPF's in <linux/bpf.h>.
 */
extern unsigned int bpf_filter(const struct sock_filter *pc, const unsigned char *p,
			       unsigned int wirelen, unsigned int buflen);

#define DIE(...) do { fprintf(stderr, "fuzz_expr: " __VA_ARGS__); \
		      fputc('\n', stderr); abort(); } while (0)

struct frame {
	const uint8_t *data;
	unsigned int len;
};

/* A few frames every program runs on: IPv4 UDP 500, TCP SYN, IPv6 UDP 4500, 802.1Q, ARP. */
static const uint8_t f_udp[] = {
	2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00,
	0x45, 0, 0, 36, 0, 1, 0, 0, 64, 17, 0, 0, 198, 18, 0, 1, 198, 19, 0, 2,
	0x01, 0xf4, 0x01, 0xf4, 0, 16, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8,
};
static const uint8_t f_tcp[] = {
	2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00,
	0x46, 0, 0, 44, 0, 2, 0x40, 0, 64, 6, 0, 0, 198, 18, 0, 1, 198, 19, 0, 2, 1, 1, 1, 0,
	0xc3, 0x50, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0, 0, 0, 0, 0,
};
static const uint8_t f_udp6[] = {
	2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x86, 0xdd,
	0x60, 0, 0, 0, 0, 13, 17, 64,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
	0x11, 0x94, 0x11, 0x94, 0, 13, 0, 0, 0, 0, 0, 0, 0xff,
};
static const uint8_t f_vlan[] = {
	2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x81, 0x00, 0, 100, 0x08, 0x00,
	0x45, 0, 0, 28, 0, 3, 0x20, 0, 64, 50, 0, 0, 198, 18, 0, 1, 198, 19, 0, 2,
	0xc0, 0xff, 0xee, 1, 0, 0, 0, 7,
};
static const uint8_t f_arp[] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 3, 0x08, 0x06,
	0, 1, 0x08, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 3, 198, 18, 0, 1, 0, 0, 0, 0, 0, 0, 198, 19, 0, 2,
};
static const struct frame fixed[] = {
	{ f_udp, sizeof(f_udp) }, { f_tcp, sizeof(f_tcp) }, { f_udp6, sizeof(f_udp6) },
	{ f_vlan, sizeof(f_vlan) }, { f_arp, sizeof(f_arp) },
};
#define N_FIXED (sizeof(fixed) / sizeof(fixed[0]))

static int kernel = -1;         /* can load and run programs (root) */
static char log_buf[LOG_SIZE];

/* ---- the output's shape ------------------------------------------------------- */

static void check_shape(const struct xlate_out *out)
{
	uint8_t *imm_tail;
	unsigned int i;

	if (!out->insns || !out->len)
		DIE("accepted, but nothing out");
	if (out->insns[out->len - 1].code != (BPF_JMP | BPF_EXIT))
		DIE("the last of %u instructions is not an exit", out->len);
	imm_tail = calloc(out->len, 1);
	if (!imm_tail)
		abort();
	for (i = 0; i + 1 < out->len; i++)
		if (out->insns[i].code == (BPF_LD | BPF_DW | BPF_IMM))
			imm_tail[++i] = 1;
	for (i = 0; i < out->len; i++) {
		const struct bpf_insn *in = &out->insns[i];
		__u8 cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
		long to;

		if (imm_tail[i] || (cls != BPF_JMP && cls != BPF_JMP32) || op == BPF_CALL ||
		    op == BPF_EXIT)
			continue;
		to = (long)i + 1 + in->off;
		if (to < 0 || to >= (long)out->len || imm_tail[to])
			DIE("instruction %u jumps to %ld of %u", i, to, out->len);
	}
	free(imm_tail);
}

/* ---- in the kernel ------------------------------------------------------------- */

/*
 * Does some path read M[k] before storing it? libpcap's bpf_filter() leaves
 * M uninitialized (the kernel's checker refuses such programs; vpncap's
 * translation zeroes M): there is no reference verdict then. Jumps go
 * forward, so one pass in order finds the words stored on every path.
 */
static int reads_unset_mem(const struct sock_filter *prog, unsigned int len)
{
	__u16 *set = malloc(len * sizeof(*set));
	unsigned int i;
	int bad = 0;

	if (!set)
		abort();
	for (i = 0; i < len; i++)
		set[i] = 0xffff;
	set[0] = 0;
	for (i = 0; i < len && !bad; i++) {
		const struct sock_filter *f = &prog[i];
		__u16 out = set[i];
		__u8 cls = BPF_CLASS(f->code);

		if ((f->code == (BPF_LD | BPF_MEM) || f->code == (BPF_LDX | BPF_MEM)) && !(set[i] >> f->k & 1))
			bad = 1;
		if (cls == BPF_ST || cls == BPF_STX)
			out |= (__u16)(1u << f->k);
		if (cls == BPF_RET)
			continue;
		if (cls != BPF_JMP) {
			set[i + 1] &= out;
		} else if (BPF_OP(f->code) == BPF_JA) {
			set[i + 1 + f->k] &= out;
		} else {
			set[i + 1 + f->jt] &= out;
			set[i + 1 + f->jf] &= out;
		}
	}
	free(set);
	return bad;
}

/* The program's fd; -1 without privileges, -2 past the verifier's complexity limit. */
static int load(const struct xlate_out *p, enum bpf_prog_type type)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log_buf, .log_size = LOG_SIZE, .log_level = 1);
	int fd = bpf_prog_load(type, "fuzz_expr", "GPL", p->insns, p->len, NULL);

	if (fd >= 0 || errno == EPERM)
		return fd;
	/* a million instructions walked: too many paths, not a wrong translation */
	if (errno == E2BIG)
		return -2;
	fprintf(stderr, "fuzz_expr: the verifier refused %u instructions (%s): %s\n", p->len,
		type == BPF_PROG_TYPE_XDP ? "XDP" : "TC", strerror(errno));
	log_buf[0] = '\0';
	fd = bpf_prog_load(type, "fuzz_expr", "GPL", p->insns, p->len, &opts);
	fprintf(stderr, "%s\n", log_buf);
	abort();
}

/* 0 or 1, or -1 when the kernel's test run does not take the frame (TC: short IP headers). */
static int run(int fd, const struct frame *f)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->data, .data_size_in = f->len, .repeat = 1);

	if (bpf_prog_test_run_opts(fd, &opts))
		return -1;
	if (opts.retval > 1)
		DIE("verdict %u", opts.retval);
	return (int)opts.retval;
}

/* Loads (the verifier must take it), then the verdicts against libpcap's when compare. */
static void check_kernel(const struct sock_filter *prog, const struct xlate_out *out,
			 enum xlate_hook hook, const struct frame *extra, int compare)
{
	int fd = load(out, hook == XLATE_XDP ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_SCHED_CLS);
	unsigned int i;

	if (fd == -1) {
		kernel = 0;
		return;
	}
	if (fd < 0)
		return;
	for (i = 0; compare && i <= N_FIXED; i++) {
		const struct frame *f = i < N_FIXED ? &fixed[i] : extra;
		int want, got;

		if (!f)
			break;
		want = bpf_filter(prog, f->data, f->len, f->len) != 0;
		got = run(fd, f);
		if (got < 0 && hook == XLATE_XDP)
			DIE("XDP test run refused a frame of %u bytes: %s", f->len, strerror(errno));
		if (got >= 0 && got != want)
			DIE("%s says %d on frame %u (%u bytes), libpcap %d",
			    hook == XLATE_XDP ? "XDP" : "TC", got, i, f->len, want);
	}
	close(fd);
}

/* ---- both hooks, with and without a chain ------------------------------------------ */

static void check_refusal(int rc, const struct xlate_out *out, const char *err)
{
	if (rc != -1)
		DIE("cbpf_xlate returned %d", rc);
	if (out->insns || out->len)
		DIE("refused, but something out");
	if (!err[0] || strchr(err, '\n'))
		DIE("refusal message '%s' is not one line", err);
}

static void translate(const struct sock_filter *prog, unsigned int len, const struct frame *extra)
{
	/* fds only named in the output, never used: nothing is loaded with a chain */
	static const struct xlate_chain chain = { .state_map_fd = 1000, .progs_map_fd = 1001,
						  .dir = 1, .bit = 17, .next_slot = 3, .bank_end = 9 };
	int hook, accepted = -1;

	for (hook = XLATE_XDP; hook <= XLATE_TC; hook++) {
		struct xlate_out out, again, chained;
		char err[512] = "";
		int rc = cbpf_xlate(prog, len, (enum xlate_hook)hook, NULL, &out, err, sizeof(err));

		if (accepted >= 0 && accepted != !rc)
			DIE("XDP and TC disagree on accepting the program");
		accepted = !rc;
		if (rc) {
			check_refusal(rc, &out, err);
			continue;
		}
		check_shape(&out);
		if (cbpf_xlate(prog, len, (enum xlate_hook)hook, NULL, &again, err, sizeof(err)) ||
		    again.len != out.len || memcmp(again.insns, out.insns, out.len * sizeof(*out.insns)))
			DIE("not the same output twice");
		if (cbpf_xlate(prog, len, (enum xlate_hook)hook, &chain, &chained, err, sizeof(err)))
			DIE("refused with a chain: %s", err);
		check_shape(&chained);
		if (kernel)
			check_kernel(prog, &out, (enum xlate_hook)hook, extra,
				     !reads_unset_mem(prog, len));
		xlate_out_free(&out);
		xlate_out_free(&again);
		xlate_out_free(&chained);
	}
}

static void fuzz_text(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t text_len = nul ? (size_t)(nul - data) : size;
	struct frame extra = { NULL, 0 };
	struct expr_cbpf c;
	char err[1024] = "";
	char *text = malloc(text_len + 1);

	if (!text)
		abort();
	memcpy(text, data, text_len);
	text[text_len] = '\0';
	if (nul && size - text_len - 1 >= FRAME_MIN && size - text_len - 1 <= FRAME_MAX) {
		extra.data = nul + 1;
		extra.len = (unsigned int)(size - text_len - 1);
	}
	if (expr_compile(text, &c, err, sizeof(err))) {
		if (!err[0] || c.insns || c.len)
			DIE("expr_compile refused '%s' without a message, or kept something", text);
	} else {
		translate(c.insns, c.len, extra.data ? &extra : NULL);
		expr_cbpf_free(&c);
	}
	free(text);
}

static void fuzz_raw(const uint8_t *data, size_t size)
{
	struct frame extra = { NULL, 0 };
	struct sock_filter *prog;
	size_t flen, n;

	if (size < 2)
		return;
	flen = data[1];
	if (size < 2 + flen)
		return;
	if (flen >= FRAME_MIN) {
		extra.data = data + 2;
		extra.len = (unsigned int)flen;
	}
	n = (size - 2 - flen) / sizeof(*prog);
	/* a copy: aligned, and exactly n instructions long for ASan */
	prog = malloc(n ? n * sizeof(*prog) : 1);
	if (!prog)
		abort();
	memcpy(prog, data + 2 + flen, n * sizeof(*prog));
	translate(n ? prog : NULL, (unsigned int)n, extra.data ? &extra : NULL);
	free(prog);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size || size > MAX_INPUT)
		return 0;
	if (data[0] == 0)
		fuzz_raw(data, size);
	else
		fuzz_text(data, size);
	return 0;
}
