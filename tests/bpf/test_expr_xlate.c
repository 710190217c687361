// SPDX-License-Identifier: GPL-2.0-only
/*
 * hook/cbpf_xlate.c in the kernel: each expression of a table compiled by
 * libpcap (hook/expr.c), translated for XDP and for TC, loaded with
 * bpf_prog_load (the verifier's log is printed when it refuses one) and run
 * with BPF_PROG_TEST_RUN on every frame of a pcap; the frames each program
 * selects must be exactly those tcpdump -r FILE -w OUT 'EXPR' selects
 * (frame i carries the stamp BASE + i, so tcpdump's output names them).
 * The table of counts is printed; any difference fails, with the frames.
 *
 * Then a few classic programs libpcap's compiler does not write (every
 * classic opcode, X past 4 GiB, an offset past 64 KiB), against libpcap's
 * own interpreter bpf_filter() on the same frames.
 *
 * Then the chain epilogue: a PERCPU_ARRAY of struct vpncap_expr_state and a
 * PROG_ARRAY whose VPNCAP_EXPR_RESUME slot holds a tiny program returning a
 * marker: the marker comes back, the expression's bit is set exactly on a
 * match, a next slot of the bank runs before RESUME, and with no program
 * to tail-call the frame is passed (XDP_PASS, TC_ACT_UNSPEC).
 *
 * usage: test_expr_xlate FRAMES.pcap TABLE (tests/bpf/expr_xlate.sh makes
 * the pcap with scapy). Needs root (CAP_BPF, CAP_PERFMON); 77 without.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hook/cbpf_xlate.h"
#include "hook/expr.h"
#include "vpncap/abi.h"

#define FRAMES_MAX 256
#define FRAME_MAX 4096
#define EXPRS_MAX 128
#define STAMP_BASE 1700000000u   /* expr_frames.py: frame i at BASE + i */
#define LOG_SIZE (1u << 20)
#define XDP_MARKER XDP_TX        /* what the RESUME program returns */
#define TC_MARKER 0x77

struct frame {
	uint32_t len;
	uint8_t data[FRAME_MAX];
};

static struct frame frames[FRAMES_MAX];
static unsigned int n_frames;
/*
 * The TC test run refuses some frames a hook sees (Linux 6.x: an IPv4 or
 * IPv6 Ethernet type wants its whole fixed header): those are compared in
 * XDP only, and the table says which they are.
 */
static uint8_t tc_runnable[FRAMES_MAX];
static char *exprs[EXPRS_MAX];
static unsigned int n_exprs;
static const char *pcap_path;
static char log_buf[LOG_SIZE];

/* ---- files ------------------------------------------------------------------- */

static uint32_t get32(const uint8_t *p, int swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

/*
 * A classic pcap's frames: calls each(stamp seconds, data, length, arg).
 * 0, or -1 when the file is not one.
 */
static int read_pcap(const char *path, void (*each)(uint32_t, const uint8_t *, uint32_t, void *),
		     void *arg)
{
	uint8_t hdr[24], rec[16], *data = malloc(FRAME_MAX);
	FILE *f = fopen(path, "rb");
	int swap, rc = -1;
	uint32_t magic;

	if (!f || !data || fread(hdr, 1, sizeof(hdr), f) != sizeof(hdr))
		goto out;
	magic = get32(hdr, 0);
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
		swap = 0;
	else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
		swap = 1;
	else
		goto out;
	while (fread(rec, 1, sizeof(rec), f) == sizeof(rec)) {
		uint32_t caplen = get32(rec + 8, swap);

		if (caplen > FRAME_MAX || fread(data, 1, caplen, f) != caplen)
			goto out;
		each(get32(rec, swap), data, caplen, arg);
	}
	rc = 0;
out:
	if (f)
		fclose(f);
	free(data);
	return rc;
}

static int bad_frames;

static void keep_frame(uint32_t stamp, const uint8_t *data, uint32_t len, void *arg)
{
	(void)arg;
	/* expr_frames.py's stamps, in order; test_run wants an Ethernet header */
	if (stamp != STAMP_BASE + n_frames + 1 || n_frames == FRAMES_MAX || len < 14) {
		bad_frames++;
		return;
	}
	frames[n_frames].len = len;
	memcpy(frames[n_frames].data, data, len);
	n_frames++;
}

static void mark_selected(uint32_t stamp, const uint8_t *data, uint32_t len, void *arg)
{
	uint8_t *sel = arg;

	(void)data;
	(void)len;
	assert_true(stamp > STAMP_BASE && stamp <= STAMP_BASE + n_frames);
	sel[stamp - STAMP_BASE - 1] = 1;
}

/* The expressions, one a line. 0, or -1 when the file cannot be read or holds too many. */
static int read_table(const char *path)
{
	char line[EXPR_TEXT_MAX + 2];
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		if (n_exprs == EXPRS_MAX) {
			fclose(f);
			return -1;
		}
		exprs[n_exprs++] = strdup(line);
	}
	fclose(f);
	return 0;
}

/* The frames tcpdump selects: tcpdump -r PCAP -w OUT -- EXPR, OUT read back. */
static void tcpdump_select(const char *text, uint8_t *sel)
{
	char out[4096];
	int status, fd;
	pid_t pid;

	snprintf(out, sizeof(out), "%s.selected", pcap_path);
	unlink(out);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		dup2(fd, 2);
		execlp("tcpdump", "tcpdump", "-r", pcap_path, "-w", out, "--", text, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "tcpdump refused '%s'\n", text);
		fail();
	}
	memset(sel, 0, n_frames);
	assert_int_equal(read_pcap(out, mark_selected, sel), 0);
	unlink(out);
}

/* ---- programs -------------------------------------------------------------- */

/*
 * XDP programs loaded with this (0 or BPF_F_XDP_HAS_FRAGS): a tail call
 * needs the callee loaded as the caller, and the classifier is loaded with
 * multi-buffer support where the kernel has it (5.18+).
 */
static __u32 xdp_flags;

static int load(const struct xlate_out *p, enum bpf_prog_type type, const char *what)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log_buf, .log_size = LOG_SIZE, .log_level = 1);
	LIBBPF_OPTS(bpf_prog_load_opts, plain);
	int fd, saved;

	if (type == BPF_PROG_TYPE_XDP)
		plain.prog_flags = opts.prog_flags = xdp_flags;
	fd = bpf_prog_load(type, "vpncap_expr", "GPL", p->insns, p->len, &plain);
	if (fd >= 0)
		return fd;
	/* again, for the verifier's log (a log of every load could overflow) */
	saved = errno;
	log_buf[0] = '\0';
	fd = bpf_prog_load(type, "vpncap_expr", "GPL", p->insns, p->len, &opts);
	fprintf(stderr, "verifier refused %s (%u insns): %s\n%s\n", what, p->len, strerror(saved),
		log_buf);
	if (fd >= 0)
		close(fd);
	return -1;
}

static int translate_load(const char *text, enum xlate_hook hook, const struct xlate_chain *chain)
{
	struct expr_cbpf c;
	struct xlate_out out;
	char err[512], what[EXPR_TEXT_MAX + 16];
	int fd;

	if (expr_compile(text, &c, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		fail();
	}
	if (cbpf_xlate(c.insns, c.len, hook, chain, &out, err, sizeof(err))) {
		fprintf(stderr, "'%s': %s\n", text, err);
		fail();
	}
	snprintf(what, sizeof(what), "%s '%s'", hook == XLATE_XDP ? "XDP" : "TC", text);
	fd = load(&out, hook == XLATE_XDP ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_SCHED_CLS, what);
	expr_cbpf_free(&c);
	xlate_out_free(&out);
	assert_true(fd >= 0);
	return fd;
}

static uint32_t run(int fd, const struct frame *f)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->data, .data_size_in = f->len, .repeat = 1);

	if (bpf_prog_test_run_opts(fd, &opts))
		fail_msg("BPF_PROG_TEST_RUN on a frame of %u bytes: %s", f->len, strerror(errno));
	return opts.retval;
}

/* Does the kernel load XDP programs for multi-buffer frames (5.18+)? */
static int has_frags;

static void probe_frags(void)
{
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .prog_flags = BPF_F_XDP_HAS_FRAGS);
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "probe", "GPL", insns, 2, &opts);

	has_frags = fd >= 0;
	if (fd >= 0)
		close(fd);
	printf("XDP programs also loaded with BPF_F_XDP_HAS_FRAGS: %s\n", has_frags ? "yes" : "no (kernel)");
}

/* Which frames the TC test run takes: a program returning 0 on each. */
static int probe_tc_frames(void)
{
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "probe", "GPL", insns, 2, NULL);
	unsigned int i;

	if (fd < 0)
		return -1;
	printf("not run by the kernel's TC test run (compared in XDP only): frames");
	for (i = 0; i < n_frames; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frames[i].data,
			    .data_size_in = frames[i].len, .repeat = 1);

		tc_runnable[i] = !bpf_prog_test_run_opts(fd, &opts);
		if (!tc_runnable[i])
			printf(" %u", i + 1);
	}
	printf("\n");
	close(fd);
	return 0;
}

/* ---- the table ------------------------------------------------------------- */

static unsigned int count(const uint8_t *sel)
{
	unsigned int i, n = 0;

	for (i = 0; i < n_frames; i++)
		n += sel[i];
	return n;
}

static void print_diff(const char *hook, const uint8_t *want, const uint8_t *got)
{
	unsigned int i;

	fprintf(stderr, "    %s differs from the reference on frames:", hook);
	for (i = 0; i < n_frames; i++)
		if (want[i] != got[i])
			fprintf(stderr, " %u(%s)", i + 1, got[i] ? "extra" : "missed");
	fprintf(stderr, "\n");
}

/* Instructions: classic, and translated for XDP and TC (no chain). */
static void sizes(const char *text, unsigned int *c_len, unsigned int *x_len, unsigned int *t_len)
{
	struct expr_cbpf c;
	struct xlate_out o;
	char err[512];

	assert_int_equal(expr_compile(text, &c, err, sizeof(err)), 0);
	*c_len = c.len;
	assert_int_equal(cbpf_xlate(c.insns, c.len, XLATE_XDP, NULL, &o, err, sizeof(err)), 0);
	*x_len = o.len;
	xlate_out_free(&o);
	assert_int_equal(cbpf_xlate(c.insns, c.len, XLATE_TC, NULL, &o, err, sizeof(err)), 0);
	*t_len = o.len;
	xlate_out_free(&o);
	expr_cbpf_free(&c);
}

/* One row: 0 when both hooks select what tcpdump selects. */
static int check_expr(const char *text)
{
	uint8_t want[FRAMES_MAX], xdp[FRAMES_MAX], tc[FRAMES_MAX];
	int xdp_fd = translate_load(text, XLATE_XDP, NULL);
	int tc_fd = translate_load(text, XLATE_TC, NULL);
	int frags_fd = -1, same_xdp, same_tc;
	unsigned int i, c_len, x_len, t_len;

	if (has_frags) {
		xdp_flags = BPF_F_XDP_HAS_FRAGS;
		frags_fd = translate_load(text, XLATE_XDP, NULL);
		xdp_flags = 0;
	}
	sizes(text, &c_len, &x_len, &t_len);
	tcpdump_select(text, want);
	for (i = 0; i < n_frames; i++) {
		uint32_t x = run(xdp_fd, &frames[i]), t = tc_runnable[i] ? run(tc_fd, &frames[i]) : want[i];

		assert_true(x <= 1 && t <= 1);
		/* the same program loaded for multi-buffer frames: the same verdicts */
		if (frags_fd >= 0 && run(frags_fd, &frames[i]) != x)
			fail_msg("'%s': frame %u: XDP with and without BPF_F_XDP_HAS_FRAGS differ", text, i + 1);
		xdp[i] = (uint8_t)x;
		tc[i] = (uint8_t)t;
	}
	if (frags_fd >= 0)
		close(frags_fd);
	close(xdp_fd);
	close(tc_fd);
	same_xdp = !memcmp(want, xdp, n_frames);
	same_tc = !memcmp(want, tc, n_frames);
	printf("%-60.60s %7u %5u %5u  %-9s %4u %4u %4u\n", text, count(want), count(xdp), count(tc),
	       same_xdp && same_tc ? "same" : "DIFFERENT", c_len, x_len, t_len);
	if (!same_xdp)
		print_diff("XDP", want, xdp);
	if (!same_tc)
		print_diff("TC", want, tc);
	return same_xdp && same_tc ? 0 : -1;
}

static void test_table_matches_tcpdump(void **state)
{
	unsigned int i, bad = 0;

	(void)state;
	assert_true(n_frames >= 60);
	assert_true(n_exprs >= 30);
	printf("%u frames, %u expressions: frames selected by\n", n_frames, n_exprs);
	printf("%-60s %7s %5s %5s  %-9s %14s\n", "", "frames", "selected", "", "", "instructions");
	printf("%-60s %7s %5s %5s  %-9s %4s %4s %4s\n", "expression", "tcpdump", "XDP", "TC", "", "cBPF",
	       "XDP", "TC");
	for (i = 0; i < n_exprs; i++)
		bad += check_expr(exprs[i]) != 0;
	printf("%u of %u expressions select the same frames as tcpdump in both hooks\n",
	       n_exprs - bad, n_exprs);
	assert_int_equal(bad, 0);
}

/* ---- classic programs libpcap's compiler does not write ------------------------ */

/*
 * libpcap's classic interpreter (pcap/bpf.h), the reference here: declared
 * with Linux's struct sock_filter, the same layout as libpcap's struct
 * bpf_insn, whose name clashes with eBPF's in <linux/bpf.h>.
 */
extern unsigned int bpf_filter(const struct sock_filter *pc, const unsigned char *p,
			       unsigned int wirelen, unsigned int buflen);

#define S(c, k) { (__u16)(c), 0, 0, (__u32)(k) }
#define J(c, k, t, f) { (__u16)(c), (t), (f), (__u32)(k) }

/* Every ALU op with X, M[] both ways, LDX LEN/IMM/MEM, TAX: A & 0x10 decides. */
static const struct sock_filter p_alu_x[] = {
	S(BPF_LDX | BPF_W | BPF_LEN, 0), S(BPF_LD | BPF_W | BPF_ABS, 26), S(BPF_ALU | BPF_ADD | BPF_X, 0),
	S(BPF_STX, 1), S(BPF_LDX | BPF_IMM, 3), S(BPF_ALU | BPF_MUL | BPF_X, 0), S(BPF_ST, 2),
	S(BPF_LD | BPF_B | BPF_ABS, 23), S(BPF_ALU | BPF_OR | BPF_K, 0x40), S(BPF_MISC | BPF_TAX, 0),
	S(BPF_LD | BPF_MEM, 2), S(BPF_ALU | BPF_XOR | BPF_X, 0), S(BPF_ALU | BPF_SUB | BPF_X, 0),
	S(BPF_ALU | BPF_DIV | BPF_X, 0), S(BPF_LDX | BPF_MEM, 1), S(BPF_ALU | BPF_MOD | BPF_X, 0),
	S(BPF_ALU | BPF_OR | BPF_X, 0), S(BPF_ALU | BPF_AND | BPF_K, 0x10), S(BPF_RET | BPF_A, 0),
};

/* Compares with X (JEQ, JGT, JGE, JSET), JA, TXA. */
static const struct sock_filter p_x_jumps[] = {
	S(BPF_LD | BPF_B | BPF_ABS, 23),          /* 0: A = IPv4 protocol */
	S(BPF_LDX | BPF_IMM, 17),
	J(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 2),    /* 2: UDP → 3, else 5 */
	S(BPF_LD | BPF_H | BPF_ABS, 36),          /* 3: A = destination port */
	S(BPF_JMP | BPF_JA, 4),                   /* 4: → 9 */
	S(BPF_LDX | BPF_IMM, 6),
	J(BPF_JMP | BPF_JGT | BPF_X, 0, 3, 0),    /* 6: > 6 → 10, else 7 */
	J(BPF_JMP | BPF_JGE | BPF_X, 0, 0, 3),    /* 7: = 6 → 8, else 11 */
	S(BPF_RET | BPF_K, 2),
	J(BPF_JMP | BPF_JSET | BPF_X, 0, 1, 0),   /* 9: port & 17 → 11, else 10 */
	S(BPF_RET | BPF_K, 0),
	S(BPF_MISC | BPF_TXA, 0),                 /* 11 */
	S(BPF_RET | BPF_A, 0),
};

/* Loads relative to X (MSH, then IND of each size): past the end on short frames. */
static const struct sock_filter p_ind[] = {
	S(BPF_LDX | BPF_B | BPF_MSH, 14), S(BPF_LD | BPF_B | BPF_IND, 14), S(BPF_LD | BPF_H | BPF_IND, 16),
	S(BPF_LD | BPF_W | BPF_IND, 22), S(BPF_ALU | BPF_RSH | BPF_K, 3), S(BPF_ALU | BPF_AND | BPF_K, 1),
	J(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1), S(BPF_RET | BPF_K, 0), S(BPF_RET | BPF_K, 0x40000),
};

/* X + k past 4 GiB is out of the frame, not wrapped to 0x100; an offset past 64 KiB too. */
static const struct sock_filter p_far[] = {
	S(BPF_LD | BPF_W | BPF_LEN, 0),
	J(BPF_JMP | BPF_JGT | BPF_K, 300, 0, 3),  /* 1: longer than 300 → 2, else 5 */
	S(BPF_LDX | BPF_IMM, 0xffffff00),
	S(BPF_LD | BPF_B | BPF_IND, 0x200),
	S(BPF_RET | BPF_K, 1),
	S(BPF_LD | BPF_H | BPF_ABS, 0x10000),
	S(BPF_RET | BPF_K, 1),
};

/* LEN, shifts by constants, NEG: frames of odd length. */
static const struct sock_filter p_odd[] = {
	S(BPF_LD | BPF_W | BPF_LEN, 0), S(BPF_ALU | BPF_LSH | BPF_K, 31), S(BPF_ALU | BPF_RSH | BPF_K, 31),
	S(BPF_ALU | BPF_NEG, 0), S(BPF_RET | BPF_A, 0),
};

struct raw_prog {
	const char *name;
	const struct sock_filter *insns;
	unsigned int len;
};

#define RAW(p) { #p, p, sizeof(p) / sizeof(p[0]) }

static int raw_load(const struct raw_prog *r, enum xlate_hook hook)
{
	struct xlate_out out;
	char err[512];
	int fd;

	if (cbpf_xlate(r->insns, r->len, hook, NULL, &out, err, sizeof(err)))
		fail_msg("%s: %s", r->name, err);
	fd = load(&out, hook == XLATE_XDP ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_SCHED_CLS, r->name);
	xlate_out_free(&out);
	assert_true(fd >= 0);
	return fd;
}

static int check_raw(const struct raw_prog *r)
{
	uint8_t want[FRAMES_MAX], xdp[FRAMES_MAX], tc[FRAMES_MAX];
	int xdp_fd = raw_load(r, XLATE_XDP), tc_fd = raw_load(r, XLATE_TC);
	int same;
	unsigned int i;

	for (i = 0; i < n_frames; i++) {
		want[i] = bpf_filter(r->insns, frames[i].data, frames[i].len, frames[i].len) != 0;
		xdp[i] = (uint8_t)run(xdp_fd, &frames[i]);
		tc[i] = tc_runnable[i] ? (uint8_t)run(tc_fd, &frames[i]) : want[i];
	}
	close(xdp_fd);
	close(tc_fd);
	same = !memcmp(want, xdp, n_frames) && !memcmp(want, tc, n_frames);
	printf("%-60.60s %7u %5u %5u  %s\n", r->name, count(want), count(xdp), count(tc),
	       same ? "same" : "DIFFERENT");
	if (memcmp(want, xdp, n_frames))
		print_diff("XDP", want, xdp);
	if (memcmp(want, tc, n_frames))
		print_diff("TC", want, tc);
	return same ? 0 : -1;
}

static void test_raw_programs_match_libpcap(void **state)
{
	static const struct raw_prog progs[] = {
		RAW(p_alu_x), RAW(p_x_jumps), RAW(p_ind), RAW(p_far), RAW(p_odd),
	};
	unsigned int i, bad = 0;

	(void)state;
	printf("%-60s %7s %5s %5s\n", "classic program", "libpcap", "XDP", "TC");
	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		bad += check_raw(&progs[i]) != 0;
	assert_int_equal(bad, 0);
}

/* ---- the chain --------------------------------------------------------------- */

struct chain_fx {
	enum xlate_hook hook;
	enum bpf_prog_type type;
	int marker;
	int state_fd, progs_fd, resume_fd;
	int ncpus;
};

/* r0 = marker; exit */
static int load_marker(const struct chain_fx *fx)
{
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = fx->marker },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct xlate_out p = { insns, 2 };

	return load(&p, fx->type, "marker");
}

static void chain_setup(struct chain_fx *fx, enum xlate_hook hook)
{
	__u32 slot = VPNCAP_EXPR_RESUME;

	memset(fx, 0, sizeof(*fx));
	fx->hook = hook;
	fx->type = hook == XLATE_XDP ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_SCHED_CLS;
	fx->marker = hook == XLATE_XDP ? XDP_MARKER : TC_MARKER;
	fx->ncpus = libbpf_num_possible_cpus();
	assert_true(fx->ncpus > 0);
	fx->state_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "expr_state", sizeof(__u32),
				      sizeof(struct vpncap_expr_state), VPNCAP_DIRS, NULL);
	/* a PROG_ARRAY belongs to one program type: the lead's design has one per hook */
	fx->progs_fd = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "expr_progs", sizeof(__u32),
				      sizeof(__u32), VPNCAP_EXPR_PROG_SLOTS, NULL);
	assert_true(fx->state_fd >= 0 && fx->progs_fd >= 0);
	fx->resume_fd = load_marker(fx);
	assert_true(fx->resume_fd >= 0);
	assert_int_equal(bpf_map_update_elem(fx->progs_fd, &slot, &fx->resume_fd, BPF_ANY), 0);
}

static void chain_teardown(struct chain_fx *fx)
{
	close(fx->resume_fd);
	close(fx->progs_fd);
	close(fx->state_fd);
}

static void state_clear(const struct chain_fx *fx, __u32 dir)
{
	struct vpncap_expr_state *v = calloc((size_t)fx->ncpus, sizeof(*v));

	assert_non_null(v);
	assert_int_equal(bpf_map_update_elem(fx->state_fd, &dir, v, BPF_ANY), 0);
	free(v);
}

/* state[dir].bits of every CPU, or'ed (test_run runs on one of them). */
static __u64 state_bits(const struct chain_fx *fx, __u32 dir)
{
	struct vpncap_expr_state *v = calloc((size_t)fx->ncpus, sizeof(*v));
	__u64 bits = 0;
	int i;

	assert_non_null(v);
	assert_int_equal(bpf_map_lookup_elem(fx->state_fd, &dir, v), 0);
	for (i = 0; i < fx->ncpus; i++)
		bits |= v[i].bits;
	free(v);
	return bits;
}

/* Frame 1 of expr_frames.py: IKE on UDP 500, IPv4, 198.18.0.1 → 198.19.0.2. */
static const struct frame *ike_frame(void)
{
	return &frames[0];
}

/* Frame 11: TCP SYN to 443. */
static const struct frame *tcp_frame(void)
{
	return &frames[10];
}

static void chain_one(enum xlate_hook hook)
{
	struct chain_fx fx;
	__u32 dir = hook == XLATE_XDP ? VPNCAP_DIR_IN : VPNCAP_DIR_OUT;
	struct xlate_chain ch = {
		.dir = dir, .bit = 5, .next_slot = VPNCAP_EXPR_BANK(1), .bank_end = VPNCAP_EXPR_BANK(1),
	};
	int fd;

	chain_setup(&fx, hook);
	ch.state_map_fd = fx.state_fd;
	ch.progs_map_fd = fx.progs_fd;
	fd = translate_load("udp port 500", hook, &ch);

	state_clear(&fx, dir);
	assert_int_equal((int)run(fd, ike_frame()), fx.marker);
	assert_true(state_bits(&fx, dir) == 1ULL << 5);
	assert_true(state_bits(&fx, !dir) == 0);

	state_clear(&fx, dir);
	assert_int_equal((int)run(fd, tcp_frame()), fx.marker);
	assert_true(state_bits(&fx, dir) == 0);

	/* no RESUME program: the frame goes on, the bit is set all the same */
	{
		__u32 slot = VPNCAP_EXPR_RESUME;

		assert_int_equal(bpf_map_delete_elem(fx.progs_fd, &slot), 0);
		state_clear(&fx, dir);
		assert_int_equal((int)run(fd, ike_frame()),
				 hook == XLATE_XDP ? XDP_PASS : TC_ACT_UNSPEC);
		assert_true(state_bits(&fx, dir) == 1ULL << 5);
	}
	close(fd);
	chain_teardown(&fx);
}

/*
 * A bank of three: slot B0 "ip" (bit 0) → B0+1 "udp port 500" (bit 1) →
 * B0+2 "tcp" (bit 63, the last: bank_end) → RESUME. The first is run.
 */
static void chain_bank(enum xlate_hook hook)
{
	static const char *const texts[] = { "ip", "udp port 500", "tcp" };
	static const __u32 bits[] = { 0, 1, 63 };
	struct chain_fx fx;
	__u32 dir = hook == XLATE_XDP ? VPNCAP_DIR_IN : VPNCAP_DIR_OUT;
	__u32 b0 = VPNCAP_EXPR_BANK(1), end = b0 + 3;
	int fds[3], i;

	chain_setup(&fx, hook);
	for (i = 0; i < 3; i++) {
		struct xlate_chain ch = {
			.state_map_fd = fx.state_fd, .progs_map_fd = fx.progs_fd, .dir = dir,
			.bit = bits[i], .next_slot = b0 + (__u32)i + 1, .bank_end = end,
		};
		__u32 slot = b0 + (__u32)i;

		fds[i] = translate_load(texts[i], hook, &ch);
		assert_int_equal(bpf_map_update_elem(fx.progs_fd, &slot, &fds[i], BPF_ANY), 0);
	}
	state_clear(&fx, dir);
	assert_int_equal((int)run(fds[0], ike_frame()), fx.marker);
	assert_true(state_bits(&fx, dir) == ((1ULL << 0) | (1ULL << 1)));
	state_clear(&fx, dir);
	assert_int_equal((int)run(fds[0], tcp_frame()), fx.marker);
	assert_true(state_bits(&fx, dir) == ((1ULL << 0) | (1ULL << 63)));
	state_clear(&fx, dir);
	assert_int_equal((int)run(fds[0], &frames[49]), fx.marker);   /* frame 50: ARP */
	assert_true(state_bits(&fx, dir) == 0);
	for (i = 0; i < 3; i++)
		close(fds[i]);
	chain_teardown(&fx);
}

static void test_chain_xdp(void **state)
{
	(void)state;
	chain_one(XLATE_XDP);
	chain_bank(XLATE_XDP);
	if (has_frags) {        /* every program of the array loaded for multi-buffer frames */
		xdp_flags = BPF_F_XDP_HAS_FRAGS;
		chain_one(XLATE_XDP);
		chain_bank(XLATE_XDP);
		xdp_flags = 0;
	}
}

static void test_chain_tc(void **state)
{
	(void)state;
	chain_one(XLATE_TC);
	chain_bank(XLATE_TC);
}

/* Can this process load a program that subtracts packet pointers (CAP_PERFMON)? */
static int can_load(void)
{
	struct expr_cbpf c;
	struct xlate_out out;
	char err[256];
	int fd;

	if (expr_compile("len > 0", &c, err, sizeof(err)) ||
	    cbpf_xlate(c.insns, c.len, XLATE_XDP, NULL, &out, err, sizeof(err)))
		return 0;
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "probe", "GPL", out.insns, out.len, NULL);
	expr_cbpf_free(&c);
	xlate_out_free(&out);
	if (fd < 0)
		return errno == EPERM ? 0 : 1;     /* other errors: the test says which */
	close(fd);
	return 1;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_matches_tcpdump),
		cmocka_unit_test(test_raw_programs_match_libpcap),
		cmocka_unit_test(test_chain_xdp),
		cmocka_unit_test(test_chain_tc),
	};
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: %s FRAMES.pcap TABLE\n", argv[0]);
		return 2;
	}
	if (!can_load()) {
		printf("skip: loading BPF programs needs root\n");
		return 77;
	}
	pcap_path = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (read_pcap(pcap_path, keep_frame, NULL) || bad_frames) {
		fprintf(stderr, "%s: not a pcap file of expr_frames.py\n", pcap_path);
		return 1;
	}
	if (read_table(argv[2])) {
		fprintf(stderr, "%s: cannot be read, or more than %d expressions\n", argv[2], EXPRS_MAX);
		return 1;
	}
	if (probe_tc_frames()) {
		fprintf(stderr, "a TC program that returns 0: %s\n", strerror(errno));
		return 1;
	}
	probe_frags();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	while (n_exprs)
		free(exprs[--n_exprs]);
	return rc;
}
