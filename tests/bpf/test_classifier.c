// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of the XDP classifier (bpf/classifier.bpf.c) in the kernel: the
 * program is loaded from its skeleton and crafted frames are run through
 * BPF_PROG_TEST_RUN. Needs root (CAP_BPF + CAP_NET_ADMIN) and a BTF kernel.
 *
 * Every frame is built byte by byte by the small builders below. A verdict
 * is decided twice: from the action the program returns and from the deltas
 * of the per-CPU counters (summed over all possible CPUs).
 *
 * The redirect path is exercised in two modes:
 *  - xsks_map empty (what test_run sees unless we fill it): a matched frame
 *    returns XDP_PASS and counts redirect_fail, no metadata is written;
 *  - an AF_XDP socket (created, not bound) in xsks_map[0]: a matched frame
 *    gets the metadata and returns XDP_REDIRECT. test_run (without
 *    BPF_F_TEST_XDP_LIVE_FRAMES) does not perform the redirect; it hands back
 *    the buffer starting at data_meta, so data_out = metadata + frame and
 *    ctx_out.data = sizeof(struct vpncap_meta).
 *
 * Note on test_run (kernel 6.18): when a ctx (ctx_in or only ctx_out) is
 * given, ctx.data_end is the size of the *linear* part of the test buffer
 * and the rest goes to a fragment. A zeroed ctx therefore gives the program
 * an empty linear area. run_frame() always passes ctx_in.data_end = len.
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
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "vpncap/abi.h"
#include "vpncap_classifier.skel.h"
#include "xdp_attach.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif

#define PKT_MAX 1024

#define IP6_HOP 0
#define IP6_ROUTING 43
#define IP6_FRAGMENT 44
#define IP6_AH 51
#define IP6_DEST 60
#define IPPROTO_ESP_ 50

/* ------------------------------------------------------------------------ */
/* Frame builders                                                           */
/* ------------------------------------------------------------------------ */

struct pkt {
	uint8_t b[PKT_MAX];
	size_t len;
	int l3_off;       /* first byte of the IPv4/IPv6 header, -1 if none */
	int l3_ver;       /* 4 or 6 */
	int udp_off;      /* first byte of the UDP header, -1 if none */
};

static void pkt_init(struct pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->l3_off = -1;
	p->udp_off = -1;
}

static uint8_t *put(struct pkt *p, size_t n)
{
	uint8_t *q;

	assert_true(p->len + n <= sizeof(p->b));
	q = p->b + p->len;
	memset(q, 0, n);
	p->len += n;
	return q;
}

static void put_be16(uint8_t *q, uint16_t v)
{
	q[0] = v >> 8;
	q[1] = v & 0xff;
}

static void put_be32(uint8_t *q, uint32_t v)
{
	put_be16(q, v >> 16);
	put_be16(q + 2, v & 0xffff);
}

static void put_bytes(struct pkt *p, const void *data, size_t n)
{
	memcpy(put(p, n), data, n);
}

/* Ethernet II; ethertype is what follows (0x0800, 0x86dd, 0x8100, 0x88a8). */
static void put_eth(struct pkt *p, uint16_t ethertype)
{
	static const uint8_t dst[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
	static const uint8_t src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	uint8_t *q = put(p, 14);

	memcpy(q, dst, 6);
	memcpy(q + 6, src, 6);
	put_be16(q + 12, ethertype);
}

/* One VLAN tag (its TPID is the ethertype of the header before it). */
static void put_vlan(struct pkt *p, uint16_t vid, uint16_t ethertype)
{
	uint8_t *q = put(p, 4);

	put_be16(q, vid & 0x0fff);
	put_be16(q + 2, ethertype);
}

/*
 * IPv4 with opt_words 32-bit words of options (Router Alert, then NOP
 * padding, then End of List). frag is the whole flags+offset field.
 */
static void put_ipv4(struct pkt *p, uint8_t proto, unsigned opt_words, uint16_t frag)
{
	uint8_t *q;
	unsigned i;

	assert_true(opt_words <= 10);
	p->l3_off = (int)p->len;
	p->l3_ver = 4;
	q = put(p, 20 + 4 * opt_words);
	q[0] = 0x40 | (5 + opt_words);
	put_be16(q + 4, 0x1234);          /* identification */
	put_be16(q + 6, frag);
	q[8] = 64;                        /* ttl */
	q[9] = proto;
	put_be32(q + 12, 0xc0000201);     /* 192.0.2.1 */
	put_be32(q + 16, 0xc6336402);     /* 198.51.100.2 */
	if (opt_words) {
		uint8_t *o = q + 20;

		o[0] = 0x94;              /* Router Alert, copied */
		o[1] = 4;
		for (i = 4; i < 4 * opt_words - 1; i++)
			o[i] = 1;         /* NOP */
		o[4 * opt_words - 1] = 0; /* End of Option List */
	}
}

static void put_ipv6(struct pkt *p, uint8_t nexthdr)
{
	uint8_t *q;

	p->l3_off = (int)p->len;
	p->l3_ver = 6;
	q = put(p, 40);
	q[0] = 0x60;
	q[6] = nexthdr;
	q[7] = 64;                        /* hop limit */
	put_be32(q + 8, 0x20010db8);      /* 2001:db8::1 */
	q[23] = 1;
	put_be32(q + 24, 0x20010db8);     /* 2001:db8::2 */
	q[39] = 2;
}

/* Hop-by-hop or destination options: (hdrlen + 1) * 8 bytes, PadN filled. */
static void put_ip6_opts(struct pkt *p, uint8_t nexthdr, uint8_t hdrlen)
{
	size_t n = ((size_t)hdrlen + 1) * 8;
	uint8_t *q = put(p, n);

	q[0] = nexthdr;
	q[1] = hdrlen;
	q[2] = 1;                         /* PadN */
	q[3] = (uint8_t)(n - 4);
}

/* Routing header type 4 (SRH) with one segment. */
static void put_ip6_routing(struct pkt *p, uint8_t nexthdr)
{
	uint8_t *q = put(p, 24);

	q[0] = nexthdr;
	q[1] = 2;                         /* (2 + 1) * 8 = 24 bytes */
	q[2] = 4;                         /* SRH */
	q[3] = 0;                         /* segments left */
	put_be32(q + 8, 0x20010db8);
	q[23] = 2;
}

/* AH with a 12-byte ICV (HMAC-SHA1-96): 24 bytes, payload length 4. */
static void put_ip6_ah(struct pkt *p, uint8_t nexthdr)
{
	uint8_t *q = put(p, 24);

	q[0] = nexthdr;
	q[1] = 24 / 4 - 2;
	put_be32(q + 4, 0x1000);          /* SPI */
	put_be32(q + 8, 1);               /* sequence */
	memset(q + 12, 0xab, 12);
}

/* Fragment header; offset in 8-byte units. */
static void put_ip6_frag(struct pkt *p, uint8_t nexthdr, uint16_t offset, int more)
{
	uint8_t *q = put(p, 8);

	q[0] = nexthdr;
	put_be16(q + 2, (uint16_t)(offset << 3) | (more ? 1 : 0));
	put_be32(q + 4, 0xdecafbad);
}

static void put_udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	uint8_t *q;

	p->udp_off = (int)p->len;
	q = put(p, 8);
	put_be16(q, sport);
	put_be16(q + 2, dport);
}

static void put_tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint8_t flags)
{
	uint8_t *q = put(p, 20);

	put_be16(q, sport);
	put_be16(q + 2, dport);
	put_be32(q + 4, 1000);            /* seq */
	put_be32(q + 8, flags & 0x10 ? 2000 : 0);
	q[12] = 5 << 4;                   /* data offset */
	q[13] = flags;
	put_be16(q + 14, 64240);          /* window */
}

/* IKEv2 IKE_SA_INIT request header (RFC 7296), with the NAT-T non-ESP marker. */
static void put_ike(struct pkt *p, int non_esp_marker)
{
	uint8_t *q;

	if (non_esp_marker)
		put(p, 4);                /* four zero bytes: not ESP */
	q = put(p, 28);
	memcpy(q, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);  /* SPIi; SPIr 0 */
	q[16] = 33;                       /* next payload: SA */
	q[17] = 0x20;                     /* version 2.0 */
	q[18] = 34;                       /* IKE_SA_INIT */
	q[19] = 0x08;                     /* initiator */
	put_be32(q + 24, 28);             /* length */
}

/* ESP header + a little ciphertext. */
static void put_esp(struct pkt *p)
{
	uint8_t *q = put(p, 24);

	put_be32(q, 0xc0ffee01);          /* SPI */
	put_be32(q + 4, 7);               /* sequence */
	memset(q + 8, 0x5a, 16);
}

static uint16_t csum16(const uint8_t *d, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)d[i] << 8 | d[i + 1];
	if (n & 1)
		s += (uint32_t)d[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Length fields and the IPv4 header checksum (UDP checksum left 0). */
static void pkt_finish(struct pkt *p)
{
	if (p->l3_off >= 0 && p->l3_ver == 4) {
		uint8_t *ip = p->b + p->l3_off;
		size_t ihl = (ip[0] & 0x0f) * 4;

		put_be16(ip + 2, (uint16_t)(p->len - p->l3_off));
		put_be16(ip + 10, 0);
		put_be16(ip + 10, csum16(ip, ihl));
	} else if (p->l3_off >= 0 && p->l3_ver == 6) {
		put_be16(p->b + p->l3_off + 4, (uint16_t)(p->len - p->l3_off - 40));
	}
	if (p->udp_off >= 0)
		put_be16(p->b + p->udp_off + 4, (uint16_t)(p->len - p->udp_off));
}

/* Ready-made frames. */
static void ike_v4(struct pkt *p, uint16_t port)
{
	pkt_init(p);
	put_eth(p, ETH_P_IP);
	put_ipv4(p, IPPROTO_UDP, 0, 0x4000 /* DF */);
	put_udp(p, port, port);
	put_ike(p, port == 4500);
	pkt_finish(p);
}

static void ike_v6(struct pkt *p, uint16_t port)
{
	pkt_init(p);
	put_eth(p, ETH_P_IPV6);
	put_ipv6(p, IPPROTO_UDP);
	put_udp(p, port, port);
	put_ike(p, port == 4500);
	pkt_finish(p);
}

static void udp_v4(struct pkt *p, uint16_t sport, uint16_t dport)
{
	static const uint8_t payload[12] = { 0xab, 0xcd, 1, 0, 0, 1 };

	pkt_init(p);
	put_eth(p, ETH_P_IP);
	put_ipv4(p, IPPROTO_UDP, 0, 0);
	put_udp(p, sport, dport);
	put_bytes(p, payload, sizeof(payload));
	pkt_finish(p);
}

static void tcp_v4(struct pkt *p, uint16_t sport, uint16_t dport)
{
	pkt_init(p);
	put_eth(p, ETH_P_IP);
	put_ipv4(p, IPPROTO_TCP, 0, 0x4000);
	put_tcp(p, sport, dport, 0x02 /* SYN */);
	pkt_finish(p);
}

/* QinQ + IPv6 + hop-by-hop + routing + dest opts + fragment + UDP 500, no payload. */
static void qinq_v6_ext_udp500(struct pkt *p)
{
	pkt_init(p);
	put_eth(p, ETH_P_8021AD);
	put_vlan(p, 100, ETH_P_8021Q);
	put_vlan(p, 200, ETH_P_IPV6);
	put_ipv6(p, IP6_HOP);
	put_ip6_opts(p, IP6_ROUTING, 0);
	put_ip6_routing(p, IP6_DEST);
	put_ip6_opts(p, IP6_FRAGMENT, 1);
	put_ip6_frag(p, IPPROTO_UDP, 0, 1);
	put_udp(p, 500, 500);
	pkt_finish(p);
}

/* IPv4 with 40 bytes of options + TCP 443 (SYN, no options, no payload). */
static void v4opts_tcp443(struct pkt *p)
{
	pkt_init(p);
	put_eth(p, ETH_P_IP);
	put_ipv4(p, IPPROTO_TCP, 10, 0);
	put_tcp(p, 49152, 443, 0x02);
	pkt_finish(p);
}

/* ------------------------------------------------------------------------ */
/* Program, maps and runs                                                   */
/* ------------------------------------------------------------------------ */

static struct vpncap_classifier *skel;
static int prog_fd, rules_fd, settings_fd, counters_fd, xsks_fd;
static int ncpus;
static int xsk_fd = -1;         /* unbound AF_XDP socket, -1 if unavailable */

/*
 * Sums of the per-run deltas: the last test checks that the counters moved
 * only inside our runs (each run's deltas are checked where it happens).
 */
static struct {
	uint64_t runs, matched, redirected, redirect_fail, dropped;
} expect_total;

static int silence_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void read_counters(struct vpncap_counters *sum)
{
	struct vpncap_counters *v = calloc(ncpus, sizeof(*v));
	__u32 key = 0;

	assert_non_null(v);
	assert_int_equal(bpf_map_lookup_elem(counters_fd, &key, v), 0);
	counters_sum(v, ncpus, sum);
	free(v);
}

/* The identities documented in abi.h (unmatched = seen - matched). */
static void assert_identities(const struct vpncap_counters *c)
{
	uint64_t unmatched;

	assert_true(c->matched <= c->seen);
	unmatched = c->seen - c->matched;
	assert_int_equal(c->matched, c->redirected + c->redirect_fail);
	assert_int_equal(c->passed + c->dropped, unmatched + c->redirect_fail);
}

static void set_rules(const struct vpncap_rule *rules, unsigned count)
{
	struct vpncap_ruleset set;
	__u32 key = 0;

	assert_true(count <= VPNCAP_MAX_RULES);
	memset(&set, 0, sizeof(set));
	set.count = count;
	if (count)
		memcpy(set.rules, rules, count * sizeof(*rules));
	assert_int_equal(bpf_map_update_elem(rules_fd, &key, &set, BPF_ANY), 0);
}

static void set_default_rules(void)
{
	static const struct vpncap_rule def[] = {
		{ .l4_proto = IPPROTO_UDP, .port = 500 },
		{ .l4_proto = IPPROTO_UDP, .port = 4500 },
		{ .l4_proto = IPPROTO_TCP, .port = 443 },
	};

	set_rules(def, 3);
}

static void set_unmatched(__u32 mode)
{
	struct vpncap_settings s = { .unmatched = mode };
	__u32 key = 0;

	assert_int_equal(bpf_map_update_elem(settings_fd, &key, &s, BPF_ANY), 0);
}

/* Put the AF_XDP socket in xsks_map[0] (on) or empty the slot (off). */
static void set_xsk(int on)
{
	__u32 key = 0;
	int err;

	if (on) {
		assert_true(xsk_fd >= 0);
		assert_int_equal(bpf_map_update_elem(xsks_fd, &key, &xsk_fd, BPF_ANY), 0);
	} else {
		err = bpf_map_delete_elem(xsks_fd, &key);
		assert_true(err == 0 || errno == ENOENT);
	}
}

struct run_result {
	int err;
	__u32 retval;
	struct vpncap_counters d;       /* counter deltas over the run */
	uint8_t out[PKT_MAX + 64];
	__u32 out_len;
	struct xdp_md ctx;              /* ctx_out */
	uint64_t t0, t1;                /* CLOCK_MONOTONIC around the run */
};

static void run_frame(const uint8_t *data, size_t len, struct run_result *r)
{
	struct vpncap_counters before, after;
	struct xdp_md ctx_in;
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	memset(r, 0, sizeof(*r));
	memset(&ctx_in, 0, sizeof(ctx_in));
	ctx_in.data_end = (__u32)len;   /* whole frame in the linear area */
	opts.data_in = data;
	opts.data_size_in = (__u32)len;
	opts.data_out = r->out;
	opts.data_size_out = sizeof(r->out);
	opts.ctx_in = &ctx_in;
	opts.ctx_size_in = sizeof(ctx_in);
	opts.ctx_out = &r->ctx;
	opts.ctx_size_out = sizeof(r->ctx);
	opts.repeat = 1;

	read_counters(&before);
	r->t0 = now_ns();
	r->err = bpf_prog_test_run_opts(prog_fd, &opts);
	r->t1 = now_ns();
	read_counters(&after);

	r->retval = opts.retval;
	r->out_len = opts.data_size_out;
	r->d.seen = after.seen - before.seen;
	r->d.matched = after.matched - before.matched;
	r->d.redirected = after.redirected - before.redirected;
	r->d.redirect_fail = after.redirect_fail - before.redirect_fail;
	r->d.passed = after.passed - before.passed;
	r->d.dropped = after.dropped - before.dropped;
	expect_total.runs++;
	expect_total.matched += r->d.matched;
	expect_total.redirected += r->d.redirected;
	expect_total.redirect_fail += r->d.redirect_fail;
	expect_total.dropped += r->d.dropped;
	assert_identities(&after);

	if (r->err)
		fail_msg("test_run failed for a %zu-byte frame: %s", len, strerror(errno));
	assert_int_equal(r->d.seen, 1);
}

/* The frame came back unchanged and without metadata. */
static void assert_frame_plain(const struct run_result *r, const uint8_t *data, size_t len)
{
	assert_int_equal(r->ctx.data_meta, 0);
	assert_int_equal(r->ctx.data, 0);
	assert_int_equal(r->ctx.data_end, len);
	assert_int_equal(r->out_len, len);
	assert_memory_equal(r->out, data, len);
}

static void expect_unmatched_len(const uint8_t *data, size_t len, __u32 verdict)
{
	struct run_result r;

	run_frame(data, len, &r);
	if (r.d.matched)
		fail_msg("%zu-byte frame matched, expected no match", len);
	assert_int_equal(r.retval, verdict);
	assert_int_equal(r.d.redirected, 0);
	assert_int_equal(r.d.redirect_fail, 0);
	assert_int_equal(r.d.passed, verdict == XDP_PASS);
	assert_int_equal(r.d.dropped, verdict == XDP_DROP);
	assert_frame_plain(&r, data, len);
}

static void expect_unmatched(const struct pkt *p, __u32 verdict)
{
	expect_unmatched_len(p->b, p->len, verdict);
}

/* Empty xsks_map: counted as a redirect failure and handed to the stack. */
static void expect_match_no_socket(const struct pkt *p)
{
	struct run_result r;

	set_xsk(0);
	run_frame(p->b, p->len, &r);
	if (!r.d.matched)
		fail_msg("%zu-byte frame did not match", p->len);
	assert_int_equal(r.retval, XDP_PASS);
	assert_int_equal(r.d.redirect_fail, 1);
	assert_int_equal(r.d.redirected, 0);
	assert_int_equal(r.d.passed, 1);
	assert_int_equal(r.d.dropped, 0);
	assert_frame_plain(&r, p->b, p->len);
}

/* Socket in xsks_map[0]: redirected, metadata in front of the frame. */
static void expect_match_socket(const struct pkt *p, unsigned rule)
{
	struct vpncap_meta meta;
	struct run_result r;

	set_xsk(1);
	run_frame(p->b, p->len, &r);
	set_xsk(0);
	if (!r.d.matched)
		fail_msg("%zu-byte frame did not match", p->len);
	assert_int_equal(r.retval, XDP_REDIRECT);
	assert_int_equal(r.d.redirected, 1);
	assert_int_equal(r.d.redirect_fail, 0);
	assert_int_equal(r.d.passed, 0);
	assert_int_equal(r.d.dropped, 0);

	/* data_out starts at data_meta; ctx_out offsets are relative to it. */
	assert_int_equal(r.ctx.data_meta, 0);
	assert_int_equal(r.ctx.data, sizeof(meta));
	assert_int_equal(r.ctx.data_end, sizeof(meta) + p->len);
	assert_int_equal(r.out_len, sizeof(meta) + p->len);
	assert_memory_equal(r.out + sizeof(meta), p->b, p->len);

	memcpy(&meta, r.out, sizeof(meta));
	assert_int_equal(meta.magic, VPNCAP_META_MAGIC);
	assert_int_equal(meta.rule, rule);
	assert_int_equal(meta.rx_queue, 0);
	if (meta.hook_ns < r.t0 || meta.hook_ns > r.t1)
		fail_msg("hook_ns %llu outside [%llu, %llu]",
			 (unsigned long long)meta.hook_ns,
			 (unsigned long long)r.t0, (unsigned long long)r.t1);
}

/* A matching frame, checked with and (if possible) without a socket. */
static void expect_match(const struct pkt *p, unsigned rule)
{
	expect_match_no_socket(p);
	if (xsk_fd >= 0)
		expect_match_socket(p, rule);
}

/* ------------------------------------------------------------------------ */
/* Fixtures                                                                 */
/* ------------------------------------------------------------------------ */

static int group_setup(void **state)
{
	(void)state;
	libbpf_set_print(silence_libbpf);
	skel = vpncap_classifier__open_and_load();
	if (!skel) {
		fprintf(stderr, "cannot load the classifier (root and a BTF kernel needed): %s\n",
			strerror(errno));
		return -1;
	}
	prog_fd = bpf_program__fd(skel->progs.vpncap_xdp);
	rules_fd = bpf_map__fd(skel->maps.rules_map);
	settings_fd = bpf_map__fd(skel->maps.settings_map);
	counters_fd = bpf_map__fd(skel->maps.counters_map);
	xsks_fd = bpf_map__fd(skel->maps.xsks_map);
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		return -1;

	/* An AF_XDP socket need not be bound to sit in an XSKMAP. */
	xsk_fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (xsk_fd >= 0) {
		__u32 key = 0;

		if (bpf_map_update_elem(xsks_fd, &key, &xsk_fd, BPF_ANY) ||
		    bpf_map_delete_elem(xsks_fd, &key)) {
			close(xsk_fd);
			xsk_fd = -1;
		}
	}
	if (xsk_fd < 0)
		fprintf(stderr, "note: no AF_XDP socket for xsks_map; metadata checks skipped\n");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (xsk_fd >= 0)
		close(xsk_fd);
	vpncap_classifier__destroy(skel);
	return 0;
}

/* Every test starts from the product defaults: default rules, pass, no socket. */
static int test_setup(void **state)
{
	(void)state;
	set_default_rules();
	set_unmatched(VPNCAP_UNMATCHED_PASS);
	set_xsk(0);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Tests                                                                    */
/* ------------------------------------------------------------------------ */

static void test_ike_udp500_ipv4(void **state)
{
	struct pkt p;

	(void)state;
	ike_v4(&p, 500);
	expect_match(&p, 0);
}

static void test_ike_udp4500_ipv4(void **state)
{
	struct pkt p;

	(void)state;
	ike_v4(&p, 4500);
	assert_memory_equal(p.b + 14 + 20 + 8, "\0\0\0\0", 4);  /* non-ESP marker */
	expect_match(&p, 1);
}

static void test_ike_udp500_ipv6(void **state)
{
	struct pkt p;

	(void)state;
	ike_v6(&p, 500);
	expect_match(&p, 0);
}

static void test_ike_udp4500_ipv6(void **state)
{
	struct pkt p;

	(void)state;
	ike_v6(&p, 4500);
	assert_memory_equal(p.b + 14 + 40 + 8, "\0\0\0\0", 4);
	expect_match(&p, 1);
}

static void test_ipv4_options(void **state)
{
	unsigned words;
	struct pkt p;

	(void)state;
	for (words = 1; words <= 10; words++) {
		pkt_init(&p);
		put_eth(&p, ETH_P_IP);
		put_ipv4(&p, IPPROTO_UDP, words, 0);
		put_udp(&p, 500, 500);
		put_ike(&p, 0);
		pkt_finish(&p);
		assert_int_equal(p.b[14] & 0x0f, 5 + words);
		expect_match(&p, 0);
	}
	/* ihl < 5 is not IPv4 we can parse. */
	ike_v4(&p, 500);
	p.b[14] = 0x44;
	expect_unmatched(&p, XDP_PASS);
}

static void test_ipv6_hop_dest_frag(void **state)
{
	struct pkt p;

	(void)state;
	pkt_init(&p);
	put_eth(&p, ETH_P_IPV6);
	put_ipv6(&p, IP6_HOP);
	put_ip6_opts(&p, IP6_DEST, 0);
	put_ip6_opts(&p, IP6_FRAGMENT, 2);
	put_ip6_frag(&p, IPPROTO_UDP, 0, 1);   /* first fragment, more follow */
	put_udp(&p, 500, 500);
	put_ike(&p, 0);
	pkt_finish(&p);
	expect_match(&p, 0);
}

static void test_ipv6_routing_ah(void **state)
{
	struct pkt p;

	(void)state;
	pkt_init(&p);
	put_eth(&p, ETH_P_IPV6);
	put_ipv6(&p, IP6_ROUTING);
	put_ip6_routing(&p, IP6_AH);
	put_ip6_ah(&p, IPPROTO_UDP);
	put_udp(&p, 4500, 4500);
	put_ike(&p, 1);
	pkt_finish(&p);
	expect_match(&p, 1);
}

/* n extension headers (hop-by-hop first, then destination options) before UDP 500. */
static void v6_ext_chain(struct pkt *p, int n)
{
	int i;

	pkt_init(p);
	put_eth(p, ETH_P_IPV6);
	put_ipv6(p, IP6_HOP);
	for (i = 0; i < n; i++)
		put_ip6_opts(p, i == n - 1 ? IPPROTO_UDP : IP6_DEST, 0);
	put_udp(p, 500, 500);
	pkt_finish(p);
}

static void test_ipv6_too_many_ext_headers(void **state)
{
	struct pkt p;
	int i;

	(void)state;
	/*
	 * The walk is bounded at 8 extension headers (MAX_IPV6_EXT_HDRS in the
	 * classifier): a chain of 8 still reaches UDP, a chain of 9 does not.
	 */
	v6_ext_chain(&p, 7);
	expect_match(&p, 0);
	v6_ext_chain(&p, 8);
	expect_match(&p, 0);
	v6_ext_chain(&p, 9);
	expect_unmatched(&p, XDP_PASS);

	/* 16 destination options headers: past any sane bound, never matched. */
	pkt_init(&p);
	put_eth(&p, ETH_P_IPV6);
	put_ipv6(&p, IP6_DEST);
	for (i = 0; i < 16; i++)
		put_ip6_opts(&p, i == 15 ? IPPROTO_UDP : IP6_DEST, 0);
	put_udp(&p, 500, 500);
	pkt_finish(&p);
	expect_unmatched(&p, XDP_PASS);
}

static void test_ipv4_non_first_fragment(void **state)
{
	struct pkt p;

	(void)state;
	/* Offset 1480 bytes; the bytes at the "transport" spot look like UDP 500. */
	pkt_init(&p);
	put_eth(&p, ETH_P_IP);
	put_ipv4(&p, IPPROTO_UDP, 0, 1480 / 8);
	put_udp(&p, 500, 500);
	put_ike(&p, 0);
	pkt_finish(&p);
	expect_unmatched(&p, XDP_PASS);

	/* Same with MF set (a middle fragment). */
	put_be16(p.b + 14 + 6, 0x2000 | (1480 / 8));
	pkt_finish(&p);
	expect_unmatched(&p, XDP_PASS);

	/* The first fragment (offset 0, MF) carries the ports and matches. */
	put_be16(p.b + 14 + 6, 0x2000);
	pkt_finish(&p);
	expect_match(&p, 0);
}

static void test_ipv6_non_first_fragment(void **state)
{
	struct pkt p;

	(void)state;
	pkt_init(&p);
	put_eth(&p, ETH_P_IPV6);
	put_ipv6(&p, IP6_FRAGMENT);
	put_ip6_frag(&p, IPPROTO_UDP, 1448 / 8, 0);
	put_udp(&p, 500, 500);
	put_ike(&p, 0);
	pkt_finish(&p);
	expect_unmatched(&p, XDP_PASS);

	/* Smallest non-zero offset, behind hop-by-hop. */
	pkt_init(&p);
	put_eth(&p, ETH_P_IPV6);
	put_ipv6(&p, IP6_HOP);
	put_ip6_opts(&p, IP6_FRAGMENT, 0);
	put_ip6_frag(&p, IPPROTO_UDP, 1, 1);
	put_udp(&p, 500, 500);
	pkt_finish(&p);
	expect_unmatched(&p, XDP_PASS);
}

static void test_single_vlan(void **state)
{
	struct pkt p;

	(void)state;
	pkt_init(&p);
	put_eth(&p, ETH_P_8021Q);
	put_vlan(&p, 42, ETH_P_IP);
	put_ipv4(&p, IPPROTO_UDP, 0, 0);
	put_udp(&p, 500, 500);
	put_ike(&p, 0);
	pkt_finish(&p);
	expect_match(&p, 0);
}

static void test_qinq(void **state)
{
	struct pkt p;

	(void)state;
	pkt_init(&p);
	put_eth(&p, ETH_P_8021AD);
	put_vlan(&p, 100, ETH_P_8021Q);
	put_vlan(&p, 200, ETH_P_IP);
	put_ipv4(&p, IPPROTO_UDP, 0, 0);
	put_udp(&p, 500, 500);
	put_ike(&p, 0);
	pkt_finish(&p);
	expect_match(&p, 0);

	pkt_init(&p);
	put_eth(&p, ETH_P_8021AD);
	put_vlan(&p, 100, ETH_P_8021Q);
	put_vlan(&p, 200, ETH_P_IPV6);
	put_ipv6(&p, IPPROTO_UDP);
	put_udp(&p, 500, 500);
	put_ike(&p, 0);
	pkt_finish(&p);
	expect_match(&p, 0);

	/* A third tag is more than the classifier walks: not matched. */
	pkt_init(&p);
	put_eth(&p, ETH_P_8021AD);
	put_vlan(&p, 100, ETH_P_8021Q);
	put_vlan(&p, 200, ETH_P_8021Q);
	put_vlan(&p, 300, ETH_P_IP);
	put_ipv4(&p, IPPROTO_UDP, 0, 0);
	put_udp(&p, 500, 500);
	pkt_finish(&p);
	expect_unmatched(&p, XDP_PASS);
}

static void test_tcp443_both_directions(void **state)
{
	struct pkt p;

	(void)state;
	tcp_v4(&p, 51000, 443);         /* client to server */
	expect_match(&p, 2);
	tcp_v4(&p, 443, 51000);         /* server to client */
	expect_match(&p, 2);

	pkt_init(&p);
	put_eth(&p, ETH_P_IPV6);
	put_ipv6(&p, IPPROTO_TCP);
	put_tcp(&p, 443, 40000, 0x12);  /* SYN-ACK */
	pkt_finish(&p);
	expect_match(&p, 2);
}

static void test_dns_http_not_matched(void **state)
{
	struct pkt p;

	(void)state;
	udp_v4(&p, 40000, 53);
	expect_unmatched(&p, XDP_PASS);
	udp_v4(&p, 53, 40000);
	expect_unmatched(&p, XDP_PASS);
	tcp_v4(&p, 40000, 80);
	expect_unmatched(&p, XDP_PASS);
	tcp_v4(&p, 80, 40000);
	expect_unmatched(&p, XDP_PASS);
	/* Right port, wrong protocol: TCP 500 and UDP 443. */
	tcp_v4(&p, 40000, 500);
	expect_unmatched(&p, XDP_PASS);
	udp_v4(&p, 40000, 443);
	expect_unmatched(&p, XDP_PASS);

	/* Not IP at all: ARP. */
	pkt_init(&p);
	put_eth(&p, ETH_P_ARP);
	put(&p, 28);
	expect_unmatched(&p, XDP_PASS);
}

/* Cut the frame at every length from 14 to len - 1: never matched, never an error. */
static void cut_everywhere(const struct pkt *p)
{
	size_t cut;

	if (xsk_fd >= 0)
		set_xsk(1);     /* a wrong match would show as XDP_REDIRECT */
	for (cut = 14; cut < p->len; cut++)
		expect_unmatched_len(p->b, cut, XDP_PASS);
	set_unmatched(VPNCAP_UNMATCHED_DROP);
	for (cut = 14; cut < p->len; cut++)
		expect_unmatched_len(p->b, cut, XDP_DROP);
	set_unmatched(VPNCAP_UNMATCHED_PASS);
	set_xsk(0);
}

static void test_truncated_qinq_ipv6_ext_udp500(void **state)
{
	struct pkt p;

	(void)state;
	qinq_v6_ext_udp500(&p);
	assert_int_equal(p.len, 14 + 8 + 40 + 8 + 24 + 16 + 8 + 8);
	expect_match(&p, 0);            /* the control: the whole frame matches */
	cut_everywhere(&p);
}

static void test_truncated_ipv4_options_tcp443(void **state)
{
	struct pkt p;

	(void)state;
	v4opts_tcp443(&p);
	assert_int_equal(p.len, 14 + 60 + 20);
	expect_match(&p, 2);            /* the control: the whole frame matches */
	cut_everywhere(&p);
}

static void test_unmatched_drop(void **state)
{
	struct pkt p;

	(void)state;
	set_unmatched(VPNCAP_UNMATCHED_DROP);
	udp_v4(&p, 40000, 53);
	expect_unmatched(&p, XDP_DROP);
	tcp_v4(&p, 40000, 80);
	expect_unmatched(&p, XDP_DROP);
	/* IKE still matches; with no socket on the queue it goes to the stack. */
	ike_v4(&p, 500);
	expect_match(&p, 0);
	ike_v6(&p, 4500);
	expect_match(&p, 1);
}

static void test_protocol_only_rule_esp(void **state)
{
	static const struct vpncap_rule esp[] = {
		{ .l4_proto = IPPROTO_ESP_, .port = 0 },
	};
	struct pkt p;

	(void)state;
	set_rules(esp, 1);
	pkt_init(&p);
	put_eth(&p, ETH_P_IP);
	put_ipv4(&p, IPPROTO_ESP_, 0, 0);
	put_esp(&p);
	pkt_finish(&p);
	expect_match(&p, 0);

	pkt_init(&p);
	put_eth(&p, ETH_P_IPV6);
	put_ipv6(&p, IP6_DEST);
	put_ip6_opts(&p, IPPROTO_ESP_, 0);
	put_esp(&p);
	pkt_finish(&p);
	expect_match(&p, 0);

	/* Only ESP: IKE and DNS do not match now. */
	ike_v4(&p, 500);
	expect_unmatched(&p, XDP_PASS);
	udp_v4(&p, 40000, 53);
	expect_unmatched(&p, XDP_PASS);
}

static void test_udp_any_port_rule(void **state)
{
	static const struct vpncap_rule rules[] = {
		{ .l4_proto = IPPROTO_TCP, .port = 443 },
		{ .l4_proto = IPPROTO_UDP, .port = 0 },
		{ .l4_proto = IPPROTO_UDP, .port = 500 },
	};
	struct pkt p;

	(void)state;
	set_rules(rules, 3);
	udp_v4(&p, 40000, 53);
	expect_match(&p, 1);
	ike_v4(&p, 500);                /* first matching rule wins */
	expect_match(&p, 1);
	tcp_v4(&p, 40000, 80);
	expect_unmatched(&p, XDP_PASS);
}

static void test_empty_rule_set(void **state)
{
	struct pkt p;

	(void)state;
	set_rules(NULL, 0);
	ike_v4(&p, 500);
	expect_unmatched(&p, XDP_PASS);
	ike_v6(&p, 4500);
	expect_unmatched(&p, XDP_PASS);
	tcp_v4(&p, 40000, 443);
	expect_unmatched(&p, XDP_PASS);

	/* Rules beyond count are not live. */
	{
		struct vpncap_ruleset set;
		__u32 key = 0;

		memset(&set, 0, sizeof(set));
		set.count = 0;
		set.rules[0].l4_proto = IPPROTO_UDP;
		set.rules[0].port = 500;
		assert_int_equal(bpf_map_update_elem(rules_fd, &key, &set, BPF_ANY), 0);
		ike_v4(&p, 500);
		expect_unmatched(&p, XDP_PASS);
	}
}

static void test_64_rules_last_matches(void **state)
{
	struct vpncap_rule rules[VPNCAP_MAX_RULES];
	struct pkt p;
	unsigned i;

	(void)state;
	for (i = 0; i < VPNCAP_MAX_RULES - 1; i++) {
		rules[i].l4_proto = i & 1 ? IPPROTO_TCP : IPPROTO_UDP;
		rules[i].pad = 0;
		rules[i].port = (uint16_t)(1000 + i);
	}
	rules[VPNCAP_MAX_RULES - 1].l4_proto = IPPROTO_UDP;
	rules[VPNCAP_MAX_RULES - 1].pad = 0;
	rules[VPNCAP_MAX_RULES - 1].port = 500;
	set_rules(rules, VPNCAP_MAX_RULES);

	ike_v4(&p, 500);
	expect_match(&p, VPNCAP_MAX_RULES - 1);
	udp_v4(&p, 40000, 1000 + 62);   /* rule 62 (UDP 1062) */
	expect_match(&p, 62);
	udp_v4(&p, 40000, 53);
	expect_unmatched(&p, XDP_PASS);

	/* A count past the table is clamped to it, not an error. */
	{
		struct vpncap_ruleset set;
		__u32 key = 0;

		memset(&set, 0, sizeof(set));
		memcpy(set.rules, rules, sizeof(rules));
		set.count = 1000;
		assert_int_equal(bpf_map_update_elem(rules_fd, &key, &set, BPF_ANY), 0);
		ike_v4(&p, 500);
		expect_match(&p, VPNCAP_MAX_RULES - 1);
	}
}

/* A slot with l4_proto 0 is unused (abi.h), even inside count. */
static void test_unused_slot_never_matches(void **state)
{
	static const struct vpncap_rule rules[] = {
		{ .l4_proto = 0, .port = 0 },
		{ .l4_proto = IPPROTO_UDP, .port = 500 },
	};
	struct pkt p;

	(void)state;
	set_rules(rules, 2);
	/* IPv4 protocol 0 with a zero "transport": must not hit the unused slot. */
	pkt_init(&p);
	put_eth(&p, ETH_P_IP);
	put_ipv4(&p, 0, 0, 0);
	put(&p, 8);
	pkt_finish(&p);
	expect_unmatched(&p, XDP_PASS);
	ike_v4(&p, 500);
	expect_match(&p, 1);
}

/* Runs last: the counters over the whole run. */
static void test_counter_identities(void **state)
{
	struct vpncap_counters c;

	(void)state;
	read_counters(&c);
	assert_identities(&c);
	assert_true(c.seen > 0);
	assert_int_equal(c.seen, expect_total.runs);
	assert_int_equal(c.matched, expect_total.matched);
	assert_int_equal(c.redirected, expect_total.redirected);
	assert_int_equal(c.redirect_fail, expect_total.redirect_fail);
	assert_int_equal(c.dropped, expect_total.dropped);
	assert_int_equal(c.passed, c.seen - c.matched - c.dropped + c.redirect_fail);
	if (xsk_fd >= 0)
		assert_true(c.redirected > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_ike_udp500_ipv4, test_setup),
		cmocka_unit_test_setup(test_ike_udp4500_ipv4, test_setup),
		cmocka_unit_test_setup(test_ike_udp500_ipv6, test_setup),
		cmocka_unit_test_setup(test_ike_udp4500_ipv6, test_setup),
		cmocka_unit_test_setup(test_ipv4_options, test_setup),
		cmocka_unit_test_setup(test_ipv6_hop_dest_frag, test_setup),
		cmocka_unit_test_setup(test_ipv6_routing_ah, test_setup),
		cmocka_unit_test_setup(test_ipv6_too_many_ext_headers, test_setup),
		cmocka_unit_test_setup(test_ipv4_non_first_fragment, test_setup),
		cmocka_unit_test_setup(test_ipv6_non_first_fragment, test_setup),
		cmocka_unit_test_setup(test_single_vlan, test_setup),
		cmocka_unit_test_setup(test_qinq, test_setup),
		cmocka_unit_test_setup(test_tcp443_both_directions, test_setup),
		cmocka_unit_test_setup(test_dns_http_not_matched, test_setup),
		cmocka_unit_test_setup(test_truncated_qinq_ipv6_ext_udp500, test_setup),
		cmocka_unit_test_setup(test_truncated_ipv4_options_tcp443, test_setup),
		cmocka_unit_test_setup(test_unmatched_drop, test_setup),
		cmocka_unit_test_setup(test_protocol_only_rule_esp, test_setup),
		cmocka_unit_test_setup(test_udp_any_port_rule, test_setup),
		cmocka_unit_test_setup(test_empty_rule_set, test_setup),
		cmocka_unit_test_setup(test_64_rules_last_matches, test_setup),
		cmocka_unit_test_setup(test_unused_slot_never_matches, test_setup),
		cmocka_unit_test_setup(test_counter_identities, test_setup),
	};

	return cmocka_run_group_tests_name("classifier", tests, group_setup, group_teardown);
}
