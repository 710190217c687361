// SPDX-License-Identifier: GPL-2.0-only
/*
 * Inline capture in the kernel: the XDP program in VPNCAP_MODE_INLINE and
 * the TC egress program, run on crafted frames with BPF_PROG_TEST_RUN, and
 * capture_ring read back through hook/ring_rx.c, as user space does.
 *
 * What is checked for every frame: the verdict (always "go on": XDP_PASS or
 * TC_ACT_UNSPEC, whatever the settings say), the frame handed back
 * unchanged, the counters of the hook's direction, and the ring record:
 * header fields and the copied bytes. A ring of one page shows that a full
 * ring loses the copy, counted, and never the frame; records the reader
 * keeps (the writer copies them from the ring) hold their space until
 * released, so the kernel counts a full ring instead of overwriting them.
 *
 * Run as `test_inline [load_bytes|probe_read]`: the variant vpncap would
 * load on this kernel, with that way of copying a received frame forced
 * (test_variant.h; 77, skipped, where the kernel refuses it). probe_read
 * reads the linear part only, as on kernels without multi-buffer frames,
 * whose tests are then skipped.
 *
 * Needs root (CAP_BPF + CAP_NET_ADMIN) and a BTF kernel.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "test_variant.h"
#include "vpncap/abi.h"
#include "vpncap_classifier.skel.h"
#include "hook/classifier.h"
#include "hook/ring_rx.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif

#define FRAME_MAX 9100
#define RECS_MAX 64
#define SMALL_RING 4096   /* one page: the smallest ring buffer */

struct ring_copy {
	struct vpncap_ring_rec hdr;
	uint8_t data[FRAME_MAX];
};

struct fixture {
	struct vpncap_classifier *skel;
	struct ring_rx rx;
	int rx_open;
	struct vpncap_settings settings;
	struct ring_copy recs[RECS_MAX];
	unsigned int n_recs;
	int keep;                       /* the reader keeps records (released later) */
	struct ring_frame kept[RECS_MAX];
	int ncpus;
};

static struct fixture fx;

/* ---- frames -------------------------------------------------------------- */

/* Ethernet + IPv4 + UDP sport -> dport, payload bytes 0, 1, 2... up to len. */
static size_t udp_frame(uint8_t *f, size_t len, uint16_t sport, uint16_t dport)
{
	static const uint8_t head[] = {
		0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00, /* Ethernet */
		0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0,                   /* IPv4, DF */
		198, 18, 0, 1, 198, 18, 0, 2,
	};
	size_t i, ip_len = len - 14, udp_len = len - 34;

	memcpy(f, head, sizeof(head));
	f[16] = (uint8_t)(ip_len >> 8);
	f[17] = (uint8_t)ip_len;
	f[34] = (uint8_t)(sport >> 8);
	f[35] = (uint8_t)sport;
	f[36] = (uint8_t)(dport >> 8);
	f[37] = (uint8_t)dport;
	f[38] = (uint8_t)(udp_len >> 8);
	f[39] = (uint8_t)udp_len;
	f[40] = f[41] = 0;
	for (i = 42; i < len; i++)
		f[i] = (uint8_t)i;
	return len;
}

/* ---- maps ---------------------------------------------------------------- */

static int on_record(void *ctx, const struct ring_frame *frame)
{
	const struct vpncap_ring_rec *hdr = frame->hdr;
	struct ring_copy *c;

	(void)ctx;
	assert_ptr_equal(frame->data, (const uint8_t *)(hdr + 1));
	assert_true(fx.n_recs < RECS_MAX);
	assert_true(hdr->caplen <= FRAME_MAX);
	fx.kept[fx.n_recs] = *frame;
	c = &fx.recs[fx.n_recs++];
	c->hdr = *hdr;
	memcpy(c->data, frame->data, hdr->caplen);
	return fx.keep;
}

static unsigned int drain(void)
{
	fx.n_recs = 0;
	while (ring_rx_drain(&fx.rx))
		;
	assert_int_equal(fx.rx.malformed, 0);
	return fx.n_recs;
}

static void put_settings(void)
{
	__u32 key = 0;

	assert_int_equal(bpf_map_update_elem(bpf_map__fd(fx.skel->maps.settings_map), &key,
					     &fx.settings, BPF_ANY), 0);
}

/* Rule 0: UDP 500 (class IKE) with a snaplen; rule 1: UDP 4500. */
static void put_rules(uint32_t rule0_snaplen)
{
	struct vpncap_ruleset set;
	__u32 slot = 0;

	memset(&set, 0, sizeof(set));
	set.count = 2;
	set.rules[0].fields = VPNCAP_F_PROTO | VPNCAP_F_PORT;
	set.rules[0].l4_proto = 17;
	set.rules[0].port_lo = set.rules[0].port_hi = 500;
	set.rules[0].snaplen = rule0_snaplen;
	set.rules[1] = set.rules[0];
	set.rules[1].port_lo = set.rules[1].port_hi = 4500;
	set.rules[1].snaplen = 0;
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(fx.skel->maps.rules_map), &slot, &set,
					     BPF_ANY), 0);
}

static void read_counters(__u32 dir, struct vpncap_counters *sum)
{
	struct vpncap_counters *v = calloc((size_t)fx.ncpus, sizeof(*v));

	assert_non_null(v);
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(fx.skel->maps.counters_map), &dir, v), 0);
	counters_sum(v, fx.ncpus, sum);
	free(v);
}

/* The identities of abi.h, for one hook's counters. */
static void assert_identities(const struct vpncap_counters *c)
{
	assert_true(c->matched <= c->seen);
	assert_true(c->matched == c->redirected + c->redirect_fail + c->copied + c->ring_full);
	assert_true(c->passed + c->dropped ==
		    c->seen - c->matched + c->redirect_fail + c->copied + c->ring_full);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- runs ---------------------------------------------------------------- */

struct run {
	__u32 retval;
	struct vpncap_counters d;       /* counter deltas of the hook's direction */
	uint8_t out[FRAME_MAX + 256];
	__u32 out_len;
	uint64_t t0, t1;
};

static void delta(const struct vpncap_counters *a, const struct vpncap_counters *b,
		  struct vpncap_counters *d)
{
	d->seen = b->seen - a->seen;
	d->matched = b->matched - a->matched;
	d->redirected = b->redirected - a->redirected;
	d->passed = b->passed - a->passed;
	d->dropped = b->dropped - a->dropped;
	d->copied = b->copied - a->copied;
	d->ring_full = b->ring_full - a->ring_full;
	d->truncated = b->truncated - a->truncated;
	d->hw_stamped = b->hw_stamped - a->hw_stamped;
}

/* XDP: linear bytes in the linear area, the rest in fragments (multi-buffer). */
static void run_xdp(const uint8_t *f, size_t len, size_t linear, struct run *r)
{
	struct vpncap_counters before, after;
	struct xdp_md ctx_in = { .data_end = (__u32)linear };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f, .data_size_in = (__u32)len,
		    .data_out = r->out, .data_size_out = sizeof(r->out), .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in), .repeat = 1);

	read_counters(VPNCAP_DIR_IN, &before);
	r->t0 = mono_ns();
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(fx.skel->progs.vpncap_xdp),
						&opts), 0);
	r->t1 = mono_ns();
	read_counters(VPNCAP_DIR_IN, &after);
	assert_identities(&after);
	delta(&before, &after, &r->d);
	r->retval = opts.retval;
	r->out_len = opts.data_size_out;
	assert_int_equal(r->d.seen, 1);
}

static void run_tc(const uint8_t *f, size_t len, struct run *r)
{
	struct vpncap_counters before, after;
	struct __sk_buff skb = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f, .data_size_in = (__u32)len,
		    .data_out = r->out, .data_size_out = sizeof(r->out), .ctx_in = &skb,
		    .ctx_size_in = sizeof(skb), .repeat = 1);

	read_counters(VPNCAP_DIR_OUT, &before);
	r->t0 = mono_ns();
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(fx.skel->progs.vpncap_tc_egress),
						&opts), 0);
	r->t1 = mono_ns();
	read_counters(VPNCAP_DIR_OUT, &after);
	assert_identities(&after);
	delta(&before, &after, &r->d);
	r->retval = opts.retval;
	r->out_len = opts.data_size_out;
	assert_int_equal(r->d.seen, 1);
}

/* The frame went on unchanged. */
static void assert_untouched(const struct run *r, const uint8_t *f, size_t len)
{
	assert_int_equal(r->out_len, len);
	assert_memory_equal(r->out, f, len);
}

/* One record: header as expected, the first caplen bytes of the frame. */
static void assert_record(const struct ring_copy *c, const struct run *r, const uint8_t *f,
			  size_t len, uint32_t caplen, uint16_t rule, uint8_t ring_flags)
{
	assert_int_equal(c->hdr.origlen, len);
	assert_int_equal(c->hdr.caplen, caplen);
	assert_int_equal(c->hdr.rule, rule);
	assert_int_equal(c->hdr.ring_flags, ring_flags);
	/* The plain program never claims a hardware stamp. */
	assert_int_equal(c->hdr.flags & VPNCAP_META_HW_TS, 0);
	assert_true(c->hdr.hw_ns == 0);
	assert_int_equal(r->d.hw_stamped, 0);
	assert_int_equal(c->hdr.klass, rule == 0 ? VPNCAP_CLASS_IKE : VPNCAP_CLASS_ESP);
	assert_true(c->hdr.hook_ns >= r->t0 && c->hdr.hook_ns <= r->t1);
	assert_memory_equal(c->data, f, caplen);
}

/* ---- fixture ------------------------------------------------------------- */

static int silence_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static struct classifier_variant variant;  /* main() chooses */

/* Multi-buffer frames exist only where bpf_xdp_load_bytes reads them. */
static int multi_buffer(void)
{
	return variant.frags && variant.copy == VPNCAP_XDP_COPY_LOAD_BYTES;
}

static int load(uint32_t ring_bytes)
{
	struct classifier_variant v = variant;

	libbpf_set_print(silence_libbpf);
	fx.skel = vpncap_classifier__open();
	if (!fx.skel)
		return -1;
	bpf_map__set_max_entries(fx.skel->maps.capture_ring, ring_bytes);
	/* As vpncap loads it where the driver accepts multi-buffer programs. */
	v.frags = multi_buffer();
	classifier_variant_apply(fx.skel, &v);
	if (vpncap_classifier__load(fx.skel)) {
		fprintf(stderr, "cannot load the classifier (root and a BTF kernel needed): %s\n",
			strerror(errno));
		return -1;
	}
	if (ring_rx_open(&fx.rx, bpf_map__fd(fx.skel->maps.capture_ring), on_record, NULL))
		return -1;
	fx.rx_open = 1;
	fx.ncpus = libbpf_num_possible_cpus();
	return fx.ncpus > 0 ? 0 : -1;
}

static int setup_big_ring(void **state)
{
	(void)state;
	return load(1u << 20);
}

static int setup_small_ring(void **state)
{
	(void)state;
	return load(SMALL_RING);
}

static int teardown(void **state)
{
	(void)state;
	if (fx.rx_open)
		ring_rx_close(&fx.rx);
	vpncap_classifier__destroy(fx.skel);
	memset(&fx, 0, sizeof(fx));
	return 0;
}

/* Inline, whole frames, unmatched frames passed: then each test changes what it needs. */
static int test_setup(void **state)
{
	(void)state;
	memset(&fx.settings, 0, sizeof(fx.settings));
	fx.settings.mode = VPNCAP_MODE_INLINE;
	put_settings();
	put_rules(0);
	fx.keep = 0;
	drain();
	return 0;
}

/* ---- tests: XDP ---------------------------------------------------------- */

static void test_xdp_copy_and_pass(void **state)
{
	static uint8_t f[FRAME_MAX];
	static struct run r;
	size_t len = udp_frame(f, 300, 40000, 500);

	(void)state;
	run_xdp(f, len, len, &r);
	assert_int_equal(r.retval, XDP_PASS);
	assert_untouched(&r, f, len);
	assert_int_equal(r.d.matched, 1);
	assert_int_equal(r.d.copied, 1);
	assert_int_equal(r.d.redirected, 0);
	assert_int_equal(drain(), 1);
	assert_record(&fx.recs[0], &r, f, len, (uint32_t)len, 0, 0);
}

static void test_xdp_unmatched_never_dropped_inline(void **state)
{
	static uint8_t f[FRAME_MAX];
	static struct run r;
	size_t len = udp_frame(f, 100, 40000, 53);

	(void)state;
	/* --unmatched drop belongs to bypass; inline must ignore it. */
	fx.settings.unmatched = VPNCAP_UNMATCHED_DROP;
	put_settings();
	run_xdp(f, len, len, &r);
	assert_int_equal(r.retval, XDP_PASS);
	assert_untouched(&r, f, len);
	assert_int_equal(r.d.matched, 0);
	assert_int_equal(r.d.dropped, 0);
	assert_int_equal(drain(), 0);
}

/* Every size class boundary: the record holds exactly the frame. */
static void test_xdp_size_classes(void **state)
{
	static const size_t lens[] = { 60, 128, 129, 256, 257, 1024, 1025, 1514, 1537, 2048,
				       2049, 3000 };
	static uint8_t f[FRAME_MAX];
	static struct run r;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		len = udp_frame(f, lens[i], 4500, 4500);
		f[42] = 0x11; /* not the non-ESP marker: ESP-in-UDP, rule 1 */
		run_xdp(f, len, len, &r);
		assert_int_equal(r.retval, XDP_PASS);
		assert_int_equal(drain(), 1);
		assert_record(&fx.recs[0], &r, f, len, (uint32_t)len, 1, 0);
	}
}

/* A jumbo frame in fragments (multi-buffer): copied whole through bpf_xdp_load_bytes. */
static void test_xdp_multi_buffer(void **state)
{
	static uint8_t f[FRAME_MAX];
	static struct run r;
	size_t len = udp_frame(f, 9000, 40000, 500);

	(void)state;
	if (!multi_buffer())
		skip();
	run_xdp(f, len, 1500, &r);
	assert_int_equal(r.retval, XDP_PASS);
	assert_int_equal(drain(), 1);
	assert_record(&fx.recs[0], &r, f, len, (uint32_t)len, 0, 0);
}

/* Bypass cannot hand a multi-buffer frame to AF_XDP without XDP_USE_SG: copy, pass. */
static void test_bypass_multi_buffer_copied(void **state)
{
	static uint8_t f[FRAME_MAX];
	static struct run r;
	size_t len = udp_frame(f, 4000, 40000, 500);

	(void)state;
	if (!multi_buffer())
		skip();
	fx.settings.mode = VPNCAP_MODE_BYPASS;
	put_settings();
	run_xdp(f, len, 1000, &r);
	assert_int_equal(r.retval, XDP_PASS);
	assert_int_equal(r.d.copied, 1);
	assert_int_equal(r.d.redirected, 0);
	assert_int_equal(drain(), 1);
	assert_record(&fx.recs[0], &r, f, len, (uint32_t)len, 0, 0);

	/* A single-buffer frame in bypass is not copied (it goes to AF_XDP). */
	len = udp_frame(f, 200, 40000, 500);
	run_xdp(f, len, len, &r);
	assert_int_equal(r.d.copied, 0);
	assert_int_equal(drain(), 0);
}

/*
 * Sockets bound with XDP_USE_SG take multi-buffer frames: with xsk_sg set,
 * bypass redirects them like the others (test_run reports the verdict; an
 * unbound AF_XDP socket is enough to fill the XSKMAP slot).
 */
static void test_bypass_multi_buffer_redirected_with_sg(void **state)
{
	static uint8_t f[FRAME_MAX];
	static struct run r;
	size_t len = udp_frame(f, 4000, 40000, 500);
	int xsk = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	int xsks_fd = bpf_map__fd(fx.skel->maps.xsks_map);
	__u32 key = 0;

	(void)state;
	if (xsk < 0 || !multi_buffer())
		skip();
	assert_int_equal(bpf_map_update_elem(xsks_fd, &key, &xsk, BPF_ANY), 0);
	fx.settings.mode = VPNCAP_MODE_BYPASS;
	fx.settings.xsk_sg = 1;
	put_settings();
	run_xdp(f, len, 1000, &r);
	assert_int_equal(r.retval, XDP_REDIRECT);
	assert_int_equal(r.d.redirected, 1);
	assert_int_equal(r.d.copied, 0);
	assert_int_equal(r.d.passed, 0);
	assert_int_equal(drain(), 0);

	/* The same frame without XDP_USE_SG sockets: copied and passed, as before. */
	fx.settings.xsk_sg = 0;
	put_settings();
	run_xdp(f, len, 1000, &r);
	assert_int_equal(r.retval, XDP_PASS);
	assert_int_equal(r.d.redirected, 0);
	assert_int_equal(r.d.copied, 1);
	assert_int_equal(drain(), 1);
	assert_record(&fx.recs[0], &r, f, len, (uint32_t)len, 0, 0);

	assert_int_equal(bpf_map_delete_elem(xsks_fd, &key), 0);
	close(xsk);
}

/* The capture's snaplen, the rule's, and the smaller of both. */
static void test_snaplen(void **state)
{
	static uint8_t f[FRAME_MAX];
	static struct run r;
	size_t len = udp_frame(f, 1400, 40000, 500);

	(void)state;
	fx.settings.snaplen = 100;
	put_settings();
	run_xdp(f, len, len, &r);
	assert_int_equal(drain(), 1);
	assert_record(&fx.recs[0], &r, f, len, 100, 0, 0);

	fx.settings.snaplen = 0;
	put_settings();
	put_rules(80);
	run_xdp(f, len, len, &r);
	assert_int_equal(drain(), 1);
	assert_record(&fx.recs[0], &r, f, len, 80, 0, 0);

	fx.settings.snaplen = 64;
	put_settings();
	run_xdp(f, len, len, &r);
	assert_int_equal(drain(), 1);
	assert_record(&fx.recs[0], &r, f, len, 64, 0, 0);
}

/* ---- tests: TC egress ---------------------------------------------------- */

static void test_tc_copy_outbound(void **state)
{
	static uint8_t f[FRAME_MAX];
	static struct run r;
	size_t len = udp_frame(f, 700, 500, 500);

	(void)state;
	run_tc(f, len, &r);
	assert_int_equal(r.retval, (__u32)TC_ACT_UNSPEC);
	assert_untouched(&r, f, len);
	assert_int_equal(r.d.matched, 1);
	assert_int_equal(r.d.copied, 1);
	assert_int_equal(drain(), 1);
	assert_record(&fx.recs[0], &r, f, len, (uint32_t)len, 0, VPNCAP_RING_OUTBOUND);
}

static void test_tc_unmatched_goes_on(void **state)
{
	static uint8_t f[FRAME_MAX];
	static struct run r;
	size_t len = udp_frame(f, 100, 40000, 53);

	(void)state;
	fx.settings.unmatched = VPNCAP_UNMATCHED_DROP; /* egress never drops */
	put_settings();
	run_tc(f, len, &r);
	assert_int_equal(r.retval, (__u32)TC_ACT_UNSPEC);
	assert_untouched(&r, f, len);
	assert_int_equal(r.d.matched, 0);
	assert_int_equal(r.d.passed, 1);
	assert_int_equal(drain(), 0);
}

static void test_tc_snaplen(void **state)
{
	static uint8_t f[FRAME_MAX];
	static struct run r;
	size_t len = udp_frame(f, 1400, 500, 500);

	(void)state;
	fx.settings.snaplen = 128;
	put_settings();
	run_tc(f, len, &r);
	assert_int_equal(drain(), 1);
	assert_record(&fx.recs[0], &r, f, len, 128, 0, VPNCAP_RING_OUTBOUND);
}

/* ---- tests: a full ring -------------------------------------------------- */

/*
 * A one-page ring and nobody reading it: after a few 1400-byte copies it is
 * full. Every frame still goes on; the lost copies are counted; reading the
 * ring frees room and copies resume.
 */
static void test_full_ring_loses_copies_not_frames(void **state)
{
	static uint8_t f[FRAME_MAX];
	static struct run r;
	size_t len = udp_frame(f, 1400, 40000, 500);
	uint64_t copied = 0, lost = 0;
	unsigned int i, n;

	(void)state;
	for (i = 0; i < 10; i++) {
		run_xdp(f, len, len, &r);
		assert_int_equal(r.retval, XDP_PASS);
		assert_untouched(&r, f, len);
		copied += r.d.copied;
		lost += r.d.ring_full;
		run_tc(f, len, &r);
		assert_int_equal(r.retval, (__u32)TC_ACT_UNSPEC);
		assert_untouched(&r, f, len);
		copied += r.d.copied;
		lost += r.d.ring_full;
	}
	assert_true(copied >= 1);
	assert_true(lost >= 10);
	assert_int_equal(copied + lost, 20);
	n = drain();
	assert_int_equal(n, copied);
	for (i = 0; i < n; i++)
		assert_memory_equal(fx.recs[i].data, f, len);

	run_xdp(f, len, len, &r);
	assert_int_equal(r.d.copied, 1);
	assert_int_equal(drain(), 1);
}

/*
 * Records the reader keeps hold their space: the kernel counts the copies
 * that no longer fit as a full ring and never writes over a kept record;
 * released, in order, the space is the kernel's again.
 */
static void test_kept_records_hold_their_space(void **state)
{
	static uint8_t f[FRAME_MAX], g[FRAME_MAX];
	static struct run r;
	size_t len = udp_frame(f, 1400, 40000, 500), glen;
	uint64_t copied = 0;
	unsigned int i, n;

	(void)state;
	memcpy(g, f, len);
	g[len - 1] ^= 0xff;     /* a later frame, told apart by its last byte */
	glen = len;
	fx.keep = 1;
	for (i = 0; i < 4; i++) {
		run_xdp(f, len, len, &r);
		copied += r.d.copied;
	}
	n = drain();
	assert_true(n >= 1);
	assert_int_equal(n, copied);
	assert_int_equal(ring_rx_kept(&fx.rx), n);
	/* The ring is as full as the kernel sees it: every later copy is lost, counted. */
	for (i = 0; i < 6; i++) {
		run_xdp(g, glen, glen, &r);
		assert_int_equal(r.retval, XDP_PASS);
		assert_int_equal(r.d.copied, 0);
		assert_int_equal(r.d.ring_full, 1);
	}
	/* The kept records, read in place, are still the first frames. */
	for (i = 0; i < n; i++)
		assert_memory_equal(fx.kept[i].data, f, len);
	for (i = 0; i < n; i++)
		ring_rx_release(&fx.rx, fx.kept[i].end);
	assert_int_equal(ring_rx_kept(&fx.rx), 0);
	fx.keep = 0;
	run_xdp(g, glen, glen, &r);
	assert_int_equal(r.d.copied, 1);
	assert_int_equal(drain(), 1);
	assert_memory_equal(fx.recs[0].data, g, glen);
}

int main(int argc, char **argv)
{
	int ret = test_variant(argc, argv, &variant);
	const struct CMUnitTest big_ring[] = {
		cmocka_unit_test_setup(test_xdp_copy_and_pass, test_setup),
		cmocka_unit_test_setup(test_xdp_unmatched_never_dropped_inline, test_setup),
		cmocka_unit_test_setup(test_xdp_size_classes, test_setup),
		cmocka_unit_test_setup(test_xdp_multi_buffer, test_setup),
		cmocka_unit_test_setup(test_bypass_multi_buffer_copied, test_setup),
		cmocka_unit_test_setup(test_bypass_multi_buffer_redirected_with_sg, test_setup),
		cmocka_unit_test_setup(test_snaplen, test_setup),
		cmocka_unit_test_setup(test_tc_copy_outbound, test_setup),
		cmocka_unit_test_setup(test_tc_unmatched_goes_on, test_setup),
		cmocka_unit_test_setup(test_tc_snaplen, test_setup),
	};
	const struct CMUnitTest small_ring[] = {
		cmocka_unit_test_setup(test_full_ring_loses_copies_not_frames, test_setup),
		cmocka_unit_test_setup(test_kept_records_hold_their_space, test_setup),
	};
	int failed;

	if (ret)
		return ret;
	failed = cmocka_run_group_tests_name("inline, 1 MiB ring", big_ring, setup_big_ring,
					     teardown);
	failed += cmocka_run_group_tests_name("inline, one-page ring", small_ring,
					      setup_small_ring, teardown);
	return failed;
}
