// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of the XDP classifier (bpf/classifier.bpf.c) in the kernel: the
 * program is loaded from its skeleton and crafted frames are run through
 * BPF_PROG_TEST_RUN. Needs root (CAP_BPF + CAP_NET_ADMIN) and a BTF kernel.
 *
 * Every frame is built byte by byte by the small builders below. A verdict
 * is decided twice: from the action the program returns and from the deltas
 * of the per-CPU counters (summed over all possible CPUs), and a match also
 * from the per-rule hits_map.
 *
 * Every test starts with empty frags_map and hosts_map and the product's
 * fragment settings (30 s timeout, 10 s host window), so fragment state
 * never leaks from one test into the next.
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
 * Run as `test_classifier [area|head|none]`: the classifier variant vpncap
 * would load on this kernel, with that metadata placement forced
 * (test_variant.h); a placement the kernel refuses exits 77 (skipped).
 * With head, the metadata is the first bytes of data_out as with area (the
 * frame moved, not the metadata); with none, a redirected frame comes back
 * as it went in.
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
#include <arpa/inet.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "test_variant.h"
#include "vpncap/abi.h"
#include "vpncap_classifier.skel.h"
#include "hook/classifier.h"

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
static void put_ip6_frag_id(struct pkt *p, uint8_t nexthdr, uint16_t offset, int more,
			    uint32_t id)
{
	uint8_t *q = put(p, 8);

	q[0] = nexthdr;
	put_be16(q + 2, (uint16_t)(offset << 3) | (more ? 1 : 0));
	put_be32(q + 4, id);
}

static void put_ip6_frag(struct pkt *p, uint8_t nexthdr, uint16_t offset, int more)
{
	put_ip6_frag_id(p, nexthdr, offset, more, 0xdecafbad);
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

/* NAT-T keepalive (RFC 3948): one 0xff byte. */
static void put_keepalive(struct pkt *p)
{
	*put(p, 1) = 0xff;
}

/* Rewrite the addresses of a built frame (call pkt_finish() again after). */
static void set_v4_addrs(struct pkt *p, uint32_t src, uint32_t dst)
{
	assert_int_equal(p->l3_ver, 4);
	put_be32(p->b + p->l3_off + 12, src);
	put_be32(p->b + p->l3_off + 16, dst);
}

static void set_v6_addrs(struct pkt *p, const uint8_t *src, const uint8_t *dst)
{
	assert_int_equal(p->l3_ver, 6);
	if (src)
		memcpy(p->b + p->l3_off + 8, src, 16);
	if (dst)
		memcpy(p->b + p->l3_off + 24, dst, 16);
}

static void set_v4_id(struct pkt *p, uint16_t id)
{
	assert_int_equal(p->l3_ver, 4);
	put_be16(p->b + p->l3_off + 4, id);
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
static int prog_fd, rules_fd, settings_fd, counters_fd, xsks_fd, hits_fd, frags_fd, hosts_fd;
static int ncpus;
static int xsk_fd = -1;         /* unbound AF_XDP socket, -1 if unavailable */
static struct vpncap_settings settings;     /* what settings_map holds */
static struct classifier_variant variant;    /* what was loaded (main() chooses) */

#define DEFAULT_FRAG_TIMEOUT_NS 30000000000ull  /* the product defaults */
#define DEFAULT_HOST_WINDOW_NS 10000000000ull
#define KLASS_ANY 0xff                          /* expect_match*: do not check meta.klass */

/*
 * Sums of the per-run deltas: the last test checks that the counters moved
 * only inside our runs (each run's deltas are checked where it happens).
 */
static struct {
	uint64_t runs, matched, redirected, redirect_fail, dropped, fragments, early_fragments;
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

/* hits_map, summed over the CPUs, for every rule index. */
static void read_hits(uint64_t hits[VPNCAP_MAX_RULES])
{
	__u64 *v = calloc(ncpus, sizeof(*v));
	__u32 key;
	int i;

	assert_non_null(v);
	for (key = 0; key < VPNCAP_MAX_RULES; key++) {
		assert_int_equal(bpf_map_lookup_elem(hits_fd, &key, v), 0);
		hits[key] = 0;
		for (i = 0; i < ncpus; i++)
			hits[key] += v[i];
	}
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
	assert_true(c->fragments + c->early_fragments <= c->matched);
}

static void put_settings(void)
{
	__u32 key = 0;

	assert_int_equal(bpf_map_update_elem(settings_fd, &key, &settings, BPF_ANY), 0);
}

/* Write a rule set into the slot the program reads (settings.active_rules). */
/* The active rule set: rules[0..count), with n_exprs expressions. */
static void set_rules_exprs(const struct vpncap_rule *rules, unsigned count, unsigned n_exprs)
{
	struct vpncap_ruleset set;
	__u32 key = settings.active_rules & 1;

	assert_true(count <= VPNCAP_MAX_RULES);
	memset(&set, 0, sizeof(set));
	set.count = count;
	set.n_exprs = n_exprs;
	if (count)
		memcpy(set.rules, rules, count * sizeof(*rules));
	assert_int_equal(bpf_map_update_elem(rules_fd, &key, &set, BPF_ANY), 0);
}

static void set_rules(const struct vpncap_rule *rules, unsigned count)
{
	set_rules_exprs(rules, count, 0);
}

/* A rule on protocol and port range (0, 0: protocol only). */
static struct vpncap_rule rule_pp(uint8_t proto, uint16_t lo, uint16_t hi)
{
	struct vpncap_rule r;

	memset(&r, 0, sizeof(r));
	r.fields = VPNCAP_F_PROTO | (lo || hi ? VPNCAP_F_PORT : 0);
	r.l4_proto = proto;
	r.port_lo = lo;
	r.port_hi = hi;
	return r;
}

static struct vpncap_rule rule_fields(uint32_t fields)
{
	struct vpncap_rule r;

	memset(&r, 0, sizeof(r));
	r.fields = fields;
	return r;
}

/* Add "ADDR/LEN" (IPv4 or IPv6 text) to the rule's prefixes and set F_ADDR. */
static void rule_add_prefix(struct vpncap_rule *r, const char *addr, uint8_t len)
{
	struct vpncap_prefix *p;

	assert_true(r->n_addrs < VPNCAP_RULE_ADDRS);
	p = &r->addrs[r->n_addrs++];
	memset(p, 0, sizeof(*p));
	p->family = strchr(addr, ':') ? 6 : 4;
	p->len = len;
	assert_int_equal(inet_pton(p->family == 6 ? AF_INET6 : AF_INET, addr, p->addr), 1);
	r->fields |= VPNCAP_F_ADDR;
}

static void set_default_rules(void)
{
	struct vpncap_rule def[3];

	def[0] = rule_pp(IPPROTO_UDP, 500, 500);
	def[1] = rule_pp(IPPROTO_UDP, 4500, 4500);
	def[2] = rule_pp(IPPROTO_TCP, 443, 443);
	set_rules(def, 3);
}

static void set_one_rule(const struct vpncap_rule *r)
{
	set_rules(r, 1);
}

static void set_unmatched(__u32 mode)
{
	settings.unmatched = mode;
	put_settings();
}

static void set_frag_times(uint64_t timeout_ns, uint64_t window_ns)
{
	settings.frag_timeout_ns = timeout_ns;
	settings.host_window_ns = window_ns;
	put_settings();
}

static void clear_map(int fd, size_t key_size)
{
	uint8_t key[64];

	assert_true(key_size <= sizeof(key));
	while (bpf_map_get_next_key(fd, NULL, key) == 0)
		assert_int_equal(bpf_map_delete_elem(fd, key), 0);
}

static unsigned map_entries(int fd, size_t key_size)
{
	uint8_t key[64], next[64];
	unsigned n = 0;
	void *prev = NULL;

	assert_true(key_size <= sizeof(key));
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	return n;
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
	uint64_t hits[VPNCAP_MAX_RULES];  /* hits_map deltas over the run */
	uint8_t out[PKT_MAX + 64];
	__u32 out_len;
	struct xdp_md ctx;              /* ctx_out */
	uint64_t t0, t1;                /* CLOCK_MONOTONIC around the run */
};

static void run_frame(const uint8_t *data, size_t len, struct run_result *r)
{
	struct vpncap_counters before, after;
	uint64_t hits_before[VPNCAP_MAX_RULES];
	struct xdp_md ctx_in;
	unsigned i;
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

	read_hits(hits_before);
	read_counters(&before);
	r->t0 = now_ns();
	r->err = bpf_prog_test_run_opts(prog_fd, &opts);
	r->t1 = now_ns();
	read_counters(&after);
	read_hits(r->hits);
	for (i = 0; i < VPNCAP_MAX_RULES; i++)
		r->hits[i] -= hits_before[i];

	r->retval = opts.retval;
	r->out_len = opts.data_size_out;
	r->d.seen = after.seen - before.seen;
	r->d.matched = after.matched - before.matched;
	r->d.redirected = after.redirected - before.redirected;
	r->d.redirect_fail = after.redirect_fail - before.redirect_fail;
	r->d.passed = after.passed - before.passed;
	r->d.dropped = after.dropped - before.dropped;
	r->d.fragments = after.fragments - before.fragments;
	r->d.early_fragments = after.early_fragments - before.early_fragments;
	expect_total.runs++;
	expect_total.matched += r->d.matched;
	expect_total.redirected += r->d.redirected;
	expect_total.redirect_fail += r->d.redirect_fail;
	expect_total.dropped += r->d.dropped;
	expect_total.fragments += r->d.fragments;
	expect_total.early_fragments += r->d.early_fragments;
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

/* Exactly one hit, on rule (or none at all for rule < 0). */
static void assert_hits(const struct run_result *r, int rule)
{
	unsigned i;

	for (i = 0; i < VPNCAP_MAX_RULES; i++)
		if (r->hits[i] != ((int)i == rule))
			fail_msg("hits_map[%u] moved by %llu, expected rule %d", i,
				 (unsigned long long)r->hits[i], rule);
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
	assert_int_equal(r.d.fragments, 0);
	assert_int_equal(r.d.early_fragments, 0);
	assert_hits(&r, -1);
	assert_frame_plain(&r, data, len);
}

static void expect_unmatched(const struct pkt *p, __u32 verdict)
{
	expect_unmatched_len(p->b, p->len, verdict);
}

/* How a frame is expected to match. */
enum via {
	VIA_RULE,       /* by a rule of its own */
	VIA_FRAGS,      /* a later fragment of a matched datagram (frags_map) */
	VIA_HOSTS,      /* a fragment ahead of its first, by host pair (hosts_map) */
};

static void assert_via(const struct run_result *r, const struct pkt *p, unsigned rule,
		       enum via via)
{
	if (!r->d.matched)
		fail_msg("%zu-byte frame did not match (expected rule %u)", p->len, rule);
	assert_int_equal(r->d.fragments, via == VIA_FRAGS);
	assert_int_equal(r->d.early_fragments, via == VIA_HOSTS);
	assert_hits(r, (int)rule);
}

/* Empty xsks_map: counted as a redirect failure and handed to the stack. */
static void expect_match_no_socket(const struct pkt *p, unsigned rule, enum via via)
{
	struct run_result r;

	set_xsk(0);
	run_frame(p->b, p->len, &r);
	assert_via(&r, p, rule, via);
	assert_int_equal(r.retval, XDP_PASS);
	assert_int_equal(r.d.redirect_fail, 1);
	assert_int_equal(r.d.redirected, 0);
	assert_int_equal(r.d.passed, 1);
	assert_int_equal(r.d.dropped, 0);
	assert_frame_plain(&r, p->b, p->len);
}

/*
 * Socket in xsks_map[0]: redirected, metadata in front of the frame. In
 * the metadata area (area) or the frame itself (head), data_out holds the
 * metadata then the frame; with none, only the frame.
 */
static void expect_match_socket(const struct pkt *p, unsigned rule, unsigned klass,
				enum via via)
{
	struct vpncap_meta meta;
	struct run_result r;

	set_xsk(1);
	run_frame(p->b, p->len, &r);
	set_xsk(0);
	assert_via(&r, p, rule, via);
	assert_int_equal(r.retval, XDP_REDIRECT);
	assert_int_equal(r.d.redirected, 1);
	assert_int_equal(r.d.redirect_fail, 0);
	assert_int_equal(r.d.passed, 0);
	assert_int_equal(r.d.dropped, 0);

	if (variant.meta == VPNCAP_META_NONE) {
		assert_frame_plain(&r, p->b, p->len);
		return;
	}
	/* data_out starts at data_meta; ctx_out offsets are relative to it. */
	assert_int_equal(r.ctx.data_meta, 0);
	assert_int_equal(r.ctx.data, variant.meta == VPNCAP_META_IN_AREA ? sizeof(meta) : 0);
	assert_int_equal(r.ctx.data_end, sizeof(meta) + p->len);
	assert_int_equal(r.out_len, sizeof(meta) + p->len);
	assert_memory_equal(r.out + sizeof(meta), p->b, p->len);

	memcpy(&meta, r.out, sizeof(meta));
	assert_int_equal(meta.magic, VPNCAP_META_MAGIC);
	assert_int_equal(meta.rule, rule);
	assert_int_equal(meta.rx_queue, 0);
	assert_int_equal(meta.flags, via == VIA_RULE ? 0 : VPNCAP_META_FRAGMENT);
	assert_true(meta.hw_ns == 0);   /* the plain program: no hardware stamp, ever */
	if (klass != KLASS_ANY)
		assert_int_equal(meta.klass, klass);
	if (meta.hook_ns < r.t0 || meta.hook_ns > r.t1)
		fail_msg("hook_ns %llu outside [%llu, %llu]",
			 (unsigned long long)meta.hook_ns,
			 (unsigned long long)r.t0, (unsigned long long)r.t1);
}

/* A frame matching by its own rule, checked with and (if possible) without a socket. */
static void expect_match_k(const struct pkt *p, unsigned rule, unsigned klass)
{
	expect_match_no_socket(p, rule, VIA_RULE);
	if (xsk_fd >= 0)
		expect_match_socket(p, rule, klass, VIA_RULE);
}

static void expect_match(const struct pkt *p, unsigned rule)
{
	expect_match_k(p, rule, KLASS_ANY);
}

/*
 * One run only (fragment state changes with each match): with the socket
 * when there is one, so the metadata is checked too.
 */
static void expect_match_once(const struct pkt *p, unsigned rule, unsigned klass, enum via via)
{
	if (xsk_fd >= 0)
		expect_match_socket(p, rule, klass, via);
	else
		expect_match_no_socket(p, rule, via);
}

/* ------------------------------------------------------------------------ */
/* Fixtures                                                                 */
/* ------------------------------------------------------------------------ */

static int group_setup(void **state)
{
	(void)state;
	libbpf_set_print(silence_libbpf);
	skel = vpncap_classifier__open();
	if (skel) {
		classifier_variant_apply(skel, &variant);
		if (vpncap_classifier__load(skel)) {
			vpncap_classifier__destroy(skel);
			skel = NULL;
		}
	}
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
	hits_fd = bpf_map__fd(skel->maps.hits_map);
	frags_fd = bpf_map__fd(skel->maps.frags_map);
	hosts_fd = bpf_map__fd(skel->maps.hosts_map);
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

/*
 * Every test starts from the product defaults: default rules in slot 0,
 * pass, no socket, fragment tracking on with the default times, and no
 * fragment or host state left by an earlier test.
 */
static int test_setup(void **state)
{
	(void)state;
	memset(&settings, 0, sizeof(settings));
	settings.unmatched = VPNCAP_UNMATCHED_PASS;
	settings.active_rules = 0;
	settings.frag_timeout_ns = DEFAULT_FRAG_TIMEOUT_NS;
	settings.host_window_ns = DEFAULT_HOST_WINDOW_NS;
	put_settings();
	set_default_rules();
	set_xsk(0);
	clear_map(frags_fd, sizeof(struct vpncap_frag_key));
	clear_map(hosts_fd, sizeof(struct vpncap_host_key));
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Tests: parsing (the default rules: UDP 500, UDP 4500, TCP 443)           */
/* ------------------------------------------------------------------------ */

static void test_ike_udp500_ipv4(void **state)
{
	struct pkt p;

	(void)state;
	ike_v4(&p, 500);
	expect_match_k(&p, 0, VPNCAP_CLASS_IKE);
}

static void test_ike_udp4500_ipv4(void **state)
{
	struct pkt p;

	(void)state;
	ike_v4(&p, 4500);
	assert_memory_equal(p.b + 14 + 20 + 8, "\0\0\0\0", 4);  /* non-ESP marker */
	expect_match_k(&p, 1, VPNCAP_CLASS_IKE);
}

static void test_ike_udp500_ipv6(void **state)
{
	struct pkt p;

	(void)state;
	ike_v6(&p, 500);
	expect_match_k(&p, 0, VPNCAP_CLASS_IKE);
}

static void test_ike_udp4500_ipv6(void **state)
{
	struct pkt p;

	(void)state;
	ike_v6(&p, 4500);
	assert_memory_equal(p.b + 14 + 40 + 8, "\0\0\0\0", 4);
	expect_match_k(&p, 1, VPNCAP_CLASS_IKE);
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
	/* The matched first fragment recorded its datagram. */
	assert_int_equal(map_entries(frags_fd, sizeof(struct vpncap_frag_key)), 1);
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
	expect_match_k(&p, 1, VPNCAP_CLASS_IKE);
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
	expect_match_once(&p, 0, VPNCAP_CLASS_IKE, VIA_RULE);

	/* Now the later fragments follow it. */
	put_be16(p.b + 14 + 6, 0x2000 | (1480 / 8));
	pkt_finish(&p);
	expect_match_once(&p, 0, 0, VIA_FRAGS);
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
	expect_match_k(&p, 2, 0);
	tcp_v4(&p, 443, 51000);         /* server to client */
	expect_match_k(&p, 2, 0);

	pkt_init(&p);
	put_eth(&p, ETH_P_IPV6);
	put_ipv6(&p, IPPROTO_TCP);
	put_tcp(&p, 443, 40000, 0x12);  /* SYN-ACK */
	pkt_finish(&p);
	expect_match_k(&p, 2, 0);
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

/* ------------------------------------------------------------------------ */
/* Tests: rule fields                                                       */
/* ------------------------------------------------------------------------ */

static void esp_v4(struct pkt *p)
{
	pkt_init(p);
	put_eth(p, ETH_P_IP);
	put_ipv4(p, IPPROTO_ESP_, 0, 0);
	put_esp(p);
	pkt_finish(p);
}

static void esp_v6(struct pkt *p)
{
	pkt_init(p);
	put_eth(p, ETH_P_IPV6);
	put_ipv6(p, IP6_DEST);
	put_ip6_opts(p, IPPROTO_ESP_, 0);
	put_esp(p);
	pkt_finish(p);
}

static void udp_v6(struct pkt *p, uint16_t sport, uint16_t dport)
{
	static const uint8_t payload[12] = { 0xab, 0xcd, 1, 0, 0, 1 };

	pkt_init(p);
	put_eth(p, ETH_P_IPV6);
	put_ipv6(p, IPPROTO_UDP);
	put_udp(p, sport, dport);
	put_bytes(p, payload, sizeof(payload));
	pkt_finish(p);
}

static void test_protocol_only_rule_esp(void **state)
{
	struct vpncap_rule esp = rule_pp(IPPROTO_ESP_, 0, 0);
	struct pkt p;

	(void)state;
	set_one_rule(&esp);
	esp_v4(&p);
	expect_match_k(&p, 0, VPNCAP_CLASS_ESP);
	esp_v6(&p);
	expect_match_k(&p, 0, VPNCAP_CLASS_ESP);

	/* Only ESP: IKE and DNS do not match now. */
	ike_v4(&p, 500);
	expect_unmatched(&p, XDP_PASS);
	udp_v4(&p, 40000, 53);
	expect_unmatched(&p, XDP_PASS);
}

static void test_udp_any_port_rule(void **state)
{
	struct vpncap_rule rules[3];
	struct pkt p;

	(void)state;
	rules[0] = rule_pp(IPPROTO_TCP, 443, 443);
	rules[1] = rule_pp(IPPROTO_UDP, 0, 0);
	rules[2] = rule_pp(IPPROTO_UDP, 500, 500);
	set_rules(rules, 3);
	udp_v4(&p, 40000, 53);
	expect_match(&p, 1);
	ike_v4(&p, 500);                /* first matching rule wins */
	expect_match(&p, 1);
	tcp_v4(&p, 40000, 80);
	expect_unmatched(&p, XDP_PASS);
}

static void test_port_range(void **state)
{
	struct vpncap_rule r = rule_pp(IPPROTO_UDP, 1000, 2000);
	struct pkt p;

	(void)state;
	set_one_rule(&r);
	/* Both ends are in the range, as destination or as source. */
	udp_v4(&p, 40000, 1000);
	expect_match(&p, 0);
	udp_v4(&p, 40000, 2000);
	expect_match(&p, 0);
	udp_v4(&p, 1000, 40000);
	expect_match(&p, 0);
	udp_v4(&p, 2000, 53);
	expect_match(&p, 0);
	udp_v6(&p, 1500, 53);
	expect_match(&p, 0);
	udp_v6(&p, 53, 1999);
	expect_match(&p, 0);
	/* Just outside, on both sides. */
	udp_v4(&p, 999, 2001);
	expect_unmatched(&p, XDP_PASS);
	udp_v6(&p, 2001, 999);
	expect_unmatched(&p, XDP_PASS);
	udp_v4(&p, 0, 65535);
	expect_unmatched(&p, XDP_PASS);
	/* The protocol still counts. */
	tcp_v4(&p, 40000, 1500);
	expect_unmatched(&p, XDP_PASS);

	/* A port range without a protocol: UDP or TCP, never a frame without ports. */
	r = rule_fields(VPNCAP_F_PORT);
	r.port_lo = 440;
	r.port_hi = 500;
	set_one_rule(&r);
	tcp_v4(&p, 40000, 443);
	expect_match(&p, 0);
	ike_v6(&p, 500);
	expect_match(&p, 0);
	esp_v4(&p);
	expect_unmatched(&p, XDP_PASS);
	/* Full range 0-65535: every UDP and TCP frame. */
	r.port_lo = 0;
	r.port_hi = 65535;
	set_one_rule(&r);
	udp_v4(&p, 1, 2);
	expect_match(&p, 0);
	esp_v6(&p);
	expect_unmatched(&p, XDP_PASS);
	/* Inverted range: nothing. */
	r.port_lo = 2000;
	r.port_hi = 1000;
	set_one_rule(&r);
	udp_v4(&p, 1500, 1500);
	expect_unmatched(&p, XDP_PASS);
}

/* One rule with one prefix; does the 192.0.2.1 -> 198.51.100.2 UDP 500 frame match? */
static void check_v4_prefix(const char *addr, uint8_t len, int want)
{
	struct vpncap_rule r = rule_fields(0);
	struct pkt p;

	rule_add_prefix(&r, addr, len);
	set_one_rule(&r);
	ike_v4(&p, 500);
	if (want)
		expect_match(&p, 0);
	else
		expect_unmatched(&p, XDP_PASS);
}

/* Same with the 2001:db8::1 -> 2001:db8::2 UDP 500 frame. */
static void check_v6_prefix(const char *addr, uint8_t len, int want)
{
	struct vpncap_rule r = rule_fields(0);
	struct pkt p;

	rule_add_prefix(&r, addr, len);
	set_one_rule(&r);
	ike_v6(&p, 500);
	if (want)
		expect_match(&p, 0);
	else
		expect_unmatched(&p, XDP_PASS);
}

static void test_addr_ipv4(void **state)
{
	struct vpncap_rule r;
	struct pkt p;

	(void)state;
	check_v4_prefix("192.0.2.1", 32, 1);        /* source, exact */
	check_v4_prefix("198.51.100.2", 32, 1);     /* destination, exact */
	check_v4_prefix("192.0.2.3", 32, 0);
	check_v4_prefix("198.51.100.3", 32, 0);
	check_v4_prefix("0.0.0.0", 0, 1);           /* /0: every IPv4 frame */
	check_v4_prefix("10.1.2.3", 0, 1);          /* host bits ignored, all of them */
	check_v4_prefix("192.0.2.0", 24, 1);
	check_v4_prefix("192.0.2.77", 24, 1);       /* host bits ignored */
	check_v4_prefix("192.0.3.0", 24, 0);
	check_v4_prefix("198.51.96.0", 21, 1);      /* 198.51.96.0 - 198.51.103.255 */
	check_v4_prefix("198.51.103.255", 21, 1);
	check_v4_prefix("198.51.104.0", 21, 0);     /* the next /21 */
	check_v4_prefix("198.51.88.0", 21, 0);      /* the one before */
	check_v4_prefix("192.0.2.0", 31, 1);        /* .0 and .1 */
	check_v4_prefix("192.0.2.2", 31, 0);        /* .2 and .3 */
	check_v4_prefix("128.0.0.0", 1, 1);         /* 192.0.2.1 has the top bit */
	check_v4_prefix("0.0.0.0", 1, 0);           /* neither address is below 128/1 */
	check_v4_prefix("192.0.2.1", 40, 1);        /* past 32: taken as 32 */
	check_v4_prefix("192.0.2.2", 40, 0);

	/* An IPv4 prefix never matches IPv6, even /0. */
	r = rule_fields(0);
	rule_add_prefix(&r, "0.0.0.0", 0);
	set_one_rule(&r);
	ike_v6(&p, 500);
	expect_unmatched(&p, XDP_PASS);
	esp_v6(&p);
	expect_unmatched(&p, XDP_PASS);
	esp_v4(&p);
	expect_match(&p, 0);
}

static void test_addr_ipv6(void **state)
{
	struct vpncap_rule r;
	struct pkt p;

	(void)state;
	check_v6_prefix("2001:db8::1", 128, 1);
	check_v6_prefix("2001:db8::2", 128, 1);
	check_v6_prefix("2001:db8::3", 128, 0);
	check_v6_prefix("2001:db8::1:1", 128, 0);
	check_v6_prefix("::", 0, 1);
	check_v6_prefix("2001:db8::", 32, 1);
	check_v6_prefix("2001:db9::", 32, 0);
	check_v6_prefix("2001:db8::", 64, 1);
	check_v6_prefix("2001:db8:0:1::", 64, 0);
	check_v6_prefix("2001:db8::", 61, 1);       /* 2001:db8:0:0::/61 to 2001:db8:0:7:... */
	check_v6_prefix("2001:db8:0:7::", 61, 1);   /* host bits ignored */
	check_v6_prefix("2001:db8:0:8::", 61, 0);   /* bit 60 differs */
	check_v6_prefix("2001:db8::", 96, 1);
	check_v6_prefix("2001:db8::1:0:0", 96, 0);
	check_v6_prefix("2001:db8::", 127, 1);      /* ::0 and ::1: the source */
	check_v6_prefix("2001:db8::2", 127, 1);     /* ::2 and ::3: the destination */
	check_v6_prefix("2001:db8::4", 127, 0);
	check_v6_prefix("2001:db8::3", 126, 1);     /* ::0 to ::3, host bits ignored */
	check_v6_prefix("2001:db8::4", 126, 0);
	check_v6_prefix("2001:db8::", 100, 1);
	check_v6_prefix("2001:db8::1000:0", 100, 0); /* bit 99 differs */
	check_v6_prefix("2001:db8::2", 200, 1);     /* past 128: taken as 128 */

	/* An IPv6 prefix never matches IPv4. */
	r = rule_fields(0);
	rule_add_prefix(&r, "::", 0);
	set_one_rule(&r);
	ike_v4(&p, 500);
	expect_unmatched(&p, XDP_PASS);
	esp_v6(&p);
	expect_match(&p, 0);
}

/* Up to four prefixes, any may match; n_addrs bounds them; family 0 is an unused slot. */
static void test_addr_list(void **state)
{
	struct vpncap_rule r = rule_fields(VPNCAP_F_PROTO);
	struct pkt p;

	(void)state;
	r.l4_proto = IPPROTO_UDP;
	rule_add_prefix(&r, "203.0.113.0", 24);
	rule_add_prefix(&r, "2001:db8:ffff::", 48);
	rule_add_prefix(&r, "2001:db8::2", 128);      /* the IPv6 destination */
	rule_add_prefix(&r, "198.51.100.0", 22);      /* the IPv4 destination */
	set_one_rule(&r);
	ike_v4(&p, 500);
	expect_match(&p, 0);
	ike_v6(&p, 4500);
	expect_match(&p, 0);

	/* The fourth slot is beyond n_addrs = 3: IPv4 no longer matches. */
	r.n_addrs = 3;
	set_one_rule(&r);
	ike_v4(&p, 500);
	expect_unmatched(&p, XDP_PASS);
	ike_v6(&p, 500);
	expect_match(&p, 0);

	/* A slot with family 0 is unused even within n_addrs. */
	r.n_addrs = 4;
	r.addrs[2].family = 0;
	set_one_rule(&r);
	ike_v6(&p, 500);
	expect_unmatched(&p, XDP_PASS);
	ike_v4(&p, 500);
	expect_match(&p, 0);

	/* F_ADDR with no prefix at all matches nothing. */
	r.n_addrs = 0;
	set_one_rule(&r);
	ike_v4(&p, 500);
	expect_unmatched(&p, XDP_PASS);

	/* Addresses of other hosts: a frame between 203.0.113.5 and 192.0.2.1. */
	r.n_addrs = 1;
	set_one_rule(&r);
	ike_v4(&p, 500);
	set_v4_addrs(&p, 0xc0000201, 0xcb007105);
	pkt_finish(&p);
	expect_match(&p, 0);
	set_v4_addrs(&p, 0xcb007205, 0xc0000201);     /* 203.0.114.5 */
	pkt_finish(&p);
	expect_unmatched(&p, XDP_PASS);
}

/* IPv4 or IPv6 UDP 500 frame behind no, one or two VLAN tags. */
static void vlan_frame(struct pkt *p, int family, int n, uint16_t outer, uint16_t inner)
{
	pkt_init(p);
	if (n == 0) {
		put_eth(p, family == 4 ? ETH_P_IP : ETH_P_IPV6);
	} else if (n == 1) {
		put_eth(p, ETH_P_8021Q);
		put_vlan(p, outer, family == 4 ? ETH_P_IP : ETH_P_IPV6);
	} else {
		put_eth(p, ETH_P_8021AD);
		put_vlan(p, outer, ETH_P_8021Q);
		put_vlan(p, inner, family == 4 ? ETH_P_IP : ETH_P_IPV6);
	}
	if (family == 4)
		put_ipv4(p, IPPROTO_UDP, 0, 0);
	else
		put_ipv6(p, IPPROTO_UDP);
	put_udp(p, 500, 500);
	put_ike(p, 0);
	pkt_finish(p);
}

static void test_vlan(void **state)
{
	struct vpncap_rule r = rule_fields(VPNCAP_F_VLAN);
	struct pkt p;
	int family;

	(void)state;
	r.vlan_id = 100;
	set_one_rule(&r);
	for (family = 4; family <= 6; family += 2) {
		vlan_frame(&p, family, 0, 0, 0);
		expect_unmatched(&p, XDP_PASS);
		vlan_frame(&p, family, 1, 100, 0);
		expect_match(&p, 0);
		vlan_frame(&p, family, 1, 101, 0);
		expect_unmatched(&p, XDP_PASS);
		vlan_frame(&p, family, 2, 100, 200);    /* outer */
		expect_match(&p, 0);
		vlan_frame(&p, family, 2, 300, 100);    /* inner */
		expect_match(&p, 0);
		vlan_frame(&p, family, 2, 300, 200);
		expect_unmatched(&p, XDP_PASS);
	}
	/* The PCP and DEI bits of the TCI are not part of the ID. */
	vlan_frame(&p, 4, 1, 100, 0);
	p.b[14] |= 0xf0;
	expect_match(&p, 0);

	/* VLAN 0 is a tag with ID 0 (priority tag), not "untagged". */
	r.vlan_id = 0;
	set_one_rule(&r);
	vlan_frame(&p, 4, 0, 0, 0);
	expect_unmatched(&p, XDP_PASS);
	vlan_frame(&p, 6, 1, 0, 0);
	expect_match(&p, 0);
	vlan_frame(&p, 6, 2, 5, 0);
	expect_match(&p, 0);
}

static void test_mac(void **state)
{
	static const uint8_t src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	static const uint8_t dst[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
	struct vpncap_rule r = rule_fields(VPNCAP_F_MAC);
	struct pkt p4, p6;

	(void)state;
	ike_v4(&p4, 500);
	ike_v6(&p6, 4500);
	memcpy(r.mac, src, 6);
	set_one_rule(&r);
	expect_match(&p4, 0);
	expect_match(&p6, 0);
	memcpy(r.mac, dst, 6);
	set_one_rule(&r);
	expect_match(&p4, 0);
	expect_match(&p6, 0);

	/* Differs in the last byte, then in the first. */
	memcpy(r.mac, dst, 6);
	r.mac[5] = 0x03;
	set_one_rule(&r);
	expect_unmatched(&p4, XDP_PASS);
	expect_unmatched(&p6, XDP_PASS);
	memcpy(r.mac, src, 6);
	r.mac[0] = 0x00;
	set_one_rule(&r);
	expect_unmatched(&p4, XDP_PASS);
	expect_unmatched(&p6, XDP_PASS);

	/* PktMon's -m: the MAC alone takes a frame that is not IP too (ARP). */
	memcpy(r.mac, src, 6);
	set_one_rule(&r);
	pkt_init(&p4);
	put_eth(&p4, ETH_P_ARP);
	put(&p4, 28);
	expect_match(&p4, 0);

	/* Two MACs: frames between them, either way, and no others. */
	r = rule_fields(VPNCAP_F_MAC | VPNCAP_F_MAC_PAIR);
	memcpy(r.mac, dst, 6);
	memcpy(r.mac2, src, 6);
	set_one_rule(&r);
	ike_v4(&p4, 500);
	expect_match(&p4, 0);
	r.mac2[5] = 0x07;
	set_one_rule(&r);
	expect_unmatched(&p4, XDP_PASS);
}

/* An ARP request (28 bytes after Ethernet). */
static void arp_frame(struct pkt *p)
{
	pkt_init(p);
	put_eth(p, ETH_P_ARP);
	put(p, 28);
}

/* Frames that are not IP: only link-layer rules and "every frame" take them. */
static void test_not_ip(void **state)
{
	struct vpncap_rule r = rule_fields(VPNCAP_F_ETHERTYPE);
	struct pkt arp, p4;

	(void)state;
	arp_frame(&arp);
	ike_v4(&p4, 500);
	r.ethertype = ETH_P_ARP;
	set_one_rule(&r);
	expect_match(&arp, 0);
	expect_unmatched(&p4, XDP_PASS);
	r.ethertype = ETH_P_IP;
	set_one_rule(&r);
	expect_unmatched(&arp, XDP_PASS);
	expect_match(&p4, 0);

	r = rule_fields(VPNCAP_F_ALL);
	set_one_rule(&r);
	expect_match(&arp, 0);
	expect_match(&p4, 0);

	/* fields 0 stays "every IP frame"; an IP field never takes ARP. */
	r = rule_fields(0);
	set_one_rule(&r);
	expect_unmatched(&arp, XDP_PASS);
	expect_match(&p4, 0);
	r = rule_fields(VPNCAP_F_ALL | VPNCAP_F_PROTO);
	r.l4_proto = 0;
	set_one_rule(&r);
	expect_unmatched(&arp, XDP_PASS);
}

/* PktMon's -t TCP FLAGS: every named flag set. */
static void test_tcp_flags(void **state)
{
	struct vpncap_rule r = rule_fields(VPNCAP_F_TCP_FLAGS);
	struct pkt syn, synack;

	(void)state;
	pkt_init(&syn);
	put_eth(&syn, ETH_P_IP);
	put_ipv4(&syn, IPPROTO_TCP, 0, 0);
	put_tcp(&syn, 40000, 443, 0x02);
	pkt_finish(&syn);
	pkt_init(&synack);
	put_eth(&synack, ETH_P_IP);
	put_ipv4(&synack, IPPROTO_TCP, 0, 0);
	put_tcp(&synack, 443, 40000, 0x12);
	pkt_finish(&synack);

	r.tcp_flags = 0x02;
	set_one_rule(&r);
	expect_match(&syn, 0);
	expect_match(&synack, 0);
	r.tcp_flags = 0x12;
	set_one_rule(&r);
	expect_unmatched(&syn, XDP_PASS);
	expect_match(&synack, 0);
	r.tcp_flags = 0x04;
	set_one_rule(&r);
	expect_unmatched(&synack, XDP_PASS);
}

/* PktMon's two ports and two addresses: traffic between them, either way. */
static void test_pairs(void **state)
{
	struct vpncap_rule r = rule_fields(VPNCAP_F_PORT | VPNCAP_F_PORT_PAIR);
	struct pkt p;

	(void)state;
	udp_v4(&p, 4500, 500);
	r.port_lo = r.port_hi = 500;
	r.port2 = 4500;
	set_one_rule(&r);
	expect_match(&p, 0);
	r.port_lo = r.port_hi = 4500;
	r.port2 = 500;
	set_one_rule(&r);
	expect_match(&p, 0);
	r.port2 = 4500;
	set_one_rule(&r);
	expect_unmatched(&p, XDP_PASS);

	/* 192.0.2.1 -> 198.51.100.2 (the frame builder's addresses) */
	r = rule_fields(VPNCAP_F_ADDR_PAIR);
	rule_add_prefix(&r, "198.51.100.0", 24);
	rule_add_prefix(&r, "192.0.2.1", 32);
	set_one_rule(&r);
	expect_match(&p, 0);
	r = rule_fields(VPNCAP_F_ADDR_PAIR);
	rule_add_prefix(&r, "192.0.2.1", 32);
	rule_add_prefix(&r, "192.0.2.0", 24);
	set_one_rule(&r);
	expect_unmatched(&p, XDP_PASS);       /* both ends in one prefix: not between the two */
	r = rule_fields(VPNCAP_F_ADDR_PAIR);
	rule_add_prefix(&r, "192.0.2.1", 32);
	rule_add_prefix(&r, "2001:db8::", 32);
	set_one_rule(&r);
	expect_unmatched(&p, XDP_PASS);
}

/*
 * An expression rule with no expression programs loaded: the chain has no
 * first program, the classifier goes on with no verdicts, the rule never
 * matches and the frame is passed on untouched (the programs themselves are
 * tested in test_expr).
 */
static void test_expr_without_programs(void **state)
{
	struct vpncap_rule r[2];
	struct pkt p;

	(void)state;
	r[0] = rule_fields(VPNCAP_F_EXPR);
	r[0].expr_slot = 0;
	r[1] = rule_fields(VPNCAP_F_ALL);
	ike_v4(&p, 500);
	set_rules_exprs(r, 2, 1);
	expect_match(&p, 1);
	set_rules_exprs(r, 1, 1);
	expect_unmatched(&p, XDP_PASS);
}

/* UDP sport -> dport carrying ESP (a non-zero SPI). */
static void esp_in_udp(struct pkt *p, int family)
{
	pkt_init(p);
	put_eth(p, family == 4 ? ETH_P_IP : ETH_P_IPV6);
	if (family == 4)
		put_ipv4(p, IPPROTO_UDP, 0, 0);
	else
		put_ipv6(p, IPPROTO_UDP);
	put_udp(p, 4500, 4500);
	put_esp(p);
	pkt_finish(p);
}

static void keepalive(struct pkt *p, int family, uint8_t byte)
{
	pkt_init(p);
	put_eth(p, family == 4 ? ETH_P_IP : ETH_P_IPV6);
	if (family == 4)
		put_ipv4(p, IPPROTO_UDP, 0, 0);
	else
		put_ipv6(p, IPPROTO_UDP);
	put_udp(p, 4500, 4500);
	put_keepalive(p);
	p->b[p->len - 1] = byte;
	pkt_finish(p);
}

static void test_classes(void **state)
{
	struct vpncap_rule rules[3];
	struct pkt p;
	int family;

	(void)state;
	rules[0] = rule_fields(VPNCAP_F_CLASS);
	rules[0].class_mask = VPNCAP_CLASS_IKE;
	rules[1] = rule_fields(VPNCAP_F_CLASS);
	rules[1].class_mask = VPNCAP_CLASS_ESP;
	rules[2] = rule_fields(VPNCAP_F_CLASS);
	rules[2].class_mask = VPNCAP_CLASS_KEEPALIVE;
	set_rules(rules, 3);

	for (family = 4; family <= 6; family += 2) {
		/* IKE on 500 (no marker) and on 4500 (behind the non-ESP marker). */
		if (family == 4)
			ike_v4(&p, 500);
		else
			ike_v6(&p, 500);
		expect_match_k(&p, 0, VPNCAP_CLASS_IKE);
		if (family == 4)
			ike_v4(&p, 4500);
		else
			ike_v6(&p, 4500);
		expect_match_k(&p, 0, VPNCAP_CLASS_IKE);
		/* ESP in UDP 4500, and ESP as IP protocol 50. */
		esp_in_udp(&p, family);
		expect_match_k(&p, 1, VPNCAP_CLASS_ESP);
		if (family == 4)
			esp_v4(&p);
		else
			esp_v6(&p);
		expect_match_k(&p, 1, VPNCAP_CLASS_ESP);
		/* A keepalive is one 0xff byte. */
		keepalive(&p, family, 0xff);
		expect_match_k(&p, 2, VPNCAP_CLASS_KEEPALIVE);
		/* One other byte is not a keepalive (nor IKE): ESP by elimination. */
		keepalive(&p, family, 0x00);
		expect_match_k(&p, 1, VPNCAP_CLASS_ESP);
		/* Nor are two bytes 0xff, or ESP whose SPI starts with 0xff. */
		keepalive(&p, family, 0xff);
		*put(&p, 1) = 0xff;
		pkt_finish(&p);
		expect_match_k(&p, 1, VPNCAP_CLASS_ESP);
		esp_in_udp(&p, family);
		p.b[p.udp_off + 8] = 0xff;
		expect_match_k(&p, 1, VPNCAP_CLASS_ESP);
		/* No class: DNS, TCP 500, UDP 501. */
		if (family == 4)
			udp_v4(&p, 40000, 53);
		else
			udp_v6(&p, 40000, 53);
		expect_unmatched(&p, XDP_PASS);
		if (family == 4)
			udp_v4(&p, 501, 40000);
		else
			udp_v6(&p, 40000, 4501);
		expect_unmatched(&p, XDP_PASS);
	}
	tcp_v4(&p, 40000, 500);
	expect_unmatched(&p, XDP_PASS);
	tcp_v4(&p, 40000, 4500);
	expect_unmatched(&p, XDP_PASS);

	/* One port is enough: IKE from an ephemeral port to 500, and NAT-T to 4500. */
	udp_v4(&p, 40000, 500);
	expect_match_k(&p, 0, VPNCAP_CLASS_IKE);
	pkt_init(&p);
	put_eth(&p, ETH_P_IP);
	put_ipv4(&p, IPPROTO_UDP, 0, 0);
	put_udp(&p, 61000, 4500);
	put_ike(&p, 1);
	pkt_finish(&p);
	expect_match_k(&p, 0, VPNCAP_CLASS_IKE);

	/* A keepalive in a frame padded to the Ethernet minimum: the UDP length decides. */
	keepalive(&p, 4, 0xff);
	put(&p, 60 - p.len);
	expect_match_k(&p, 2, VPNCAP_CLASS_KEEPALIVE);
	/* An empty UDP 4500 datagram padded with zeros is no IKE marker. */
	pkt_init(&p);
	put_eth(&p, ETH_P_IP);
	put_ipv4(&p, IPPROTO_UDP, 0, 0);
	put_udp(&p, 4500, 4500);
	pkt_finish(&p);
	put(&p, 60 - p.len);
	expect_match_k(&p, 1, VPNCAP_CLASS_ESP);

	/* A mask may name several classes. */
	rules[0].class_mask = VPNCAP_CLASS_IKE | VPNCAP_CLASS_KEEPALIVE;
	set_rules(rules, 1);
	keepalive(&p, 6, 0xff);
	expect_match_k(&p, 0, VPNCAP_CLASS_KEEPALIVE);
	ike_v6(&p, 500);
	expect_match_k(&p, 0, VPNCAP_CLASS_IKE);
	esp_v6(&p);
	expect_unmatched(&p, XDP_PASS);

	/* Matched by another field, the frame still carries its class in the metadata. */
	rules[0] = rule_pp(IPPROTO_UDP, 0, 0);
	set_rules(rules, 1);
	esp_in_udp(&p, 6);
	expect_match_k(&p, 0, VPNCAP_CLASS_ESP);
	udp_v6(&p, 40000, 53);
	expect_match_k(&p, 0, 0);
}

/* Every field kind in one rule, on IPv4 and IPv6; each one alone can veto. */
static void test_all_fields(void **state)
{
	static const uint8_t src_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	struct vpncap_rule base, r;
	struct pkt p4, p6;
	int i;

	(void)state;
	base = rule_pp(IPPROTO_UDP, 4000, 5000);
	base.fields |= VPNCAP_F_VLAN | VPNCAP_F_MAC | VPNCAP_F_CLASS;
	base.vlan_id = 200;
	memcpy(base.mac, src_mac, 6);
	base.class_mask = VPNCAP_CLASS_IKE;
	rule_add_prefix(&base, "198.51.100.0", 24);
	rule_add_prefix(&base, "2001:db8::", 64);

	for (i = 0; i < 2; i++) {
		struct pkt *p = i ? &p6 : &p4;

		pkt_init(p);
		put_eth(p, ETH_P_8021AD);
		put_vlan(p, 100, ETH_P_8021Q);
		put_vlan(p, 200, i ? ETH_P_IPV6 : ETH_P_IP);
		if (i)
			put_ipv6(p, IPPROTO_UDP);
		else
			put_ipv4(p, IPPROTO_UDP, 0, 0);
		put_udp(p, 4500, 4500);
		put_ike(p, 1);
		pkt_finish(p);
	}
	set_one_rule(&base);
	expect_match_k(&p4, 0, VPNCAP_CLASS_IKE);
	expect_match_k(&p6, 0, VPNCAP_CLASS_IKE);

	for (i = 0; i < 6; i++) {
		r = base;
		switch (i) {
		case 0: r.l4_proto = IPPROTO_TCP; break;
		case 1: r.port_lo = 4501; break;
		case 2: r.addrs[0].addr[2] = 99; r.addrs[1].addr[7] = 9; break;
		case 3: r.vlan_id = 300; break;
		case 4: r.mac[5] = 9; break;
		case 5: r.class_mask = VPNCAP_CLASS_ESP | VPNCAP_CLASS_KEEPALIVE; break;
		}
		set_one_rule(&r);
		expect_unmatched(&p4, XDP_PASS);
		expect_unmatched(&p6, XDP_PASS);
	}
}

/* fields 0 matches every IP frame; a field bit the classifier does not know, none. */
static void test_fields_zero_and_unknown(void **state)
{
	struct vpncap_rule rules[2];
	struct pkt p;

	(void)state;
	rules[0] = rule_fields(0);
	set_rules(rules, 1);
	/* IPv4 protocol 0 with a zero "transport". */
	pkt_init(&p);
	put_eth(&p, ETH_P_IP);
	put_ipv4(&p, 0, 0, 0);
	put(&p, 8);
	pkt_finish(&p);
	expect_match_k(&p, 0, 0);
	udp_v6(&p, 1, 2);
	expect_match(&p, 0);
	/* A later fragment matches it by itself (no fragment state involved). */
	pkt_init(&p);
	put_eth(&p, ETH_P_IPV6);
	put_ipv6(&p, IP6_FRAGMENT);
	put_ip6_frag(&p, IPPROTO_UDP, 100, 0);
	put(&p, 16);
	pkt_finish(&p);
	expect_match_k(&p, 0, 0);
	/* Not IP. */
	pkt_init(&p);
	put_eth(&p, ETH_P_ARP);
	put(&p, 28);
	expect_unmatched(&p, XDP_PASS);

	rules[0] = rule_fields(1u << 6);
	rules[1] = rule_pp(IPPROTO_UDP, 500, 500);
	set_rules(rules, 2);
	ike_v4(&p, 500);
	expect_match(&p, 1);
	udp_v4(&p, 40000, 53);
	expect_unmatched(&p, XDP_PASS);
	rules[0] = rule_fields(VPNCAP_F_PROTO | 0x80000000u);
	rules[0].l4_proto = IPPROTO_UDP;
	set_rules(rules, 2);
	ike_v6(&p, 500);
	expect_match(&p, 1);
}

static void test_first_match_and_hits(void **state)
{
	struct vpncap_rule rules[4];
	uint64_t before[VPNCAP_MAX_RULES], after[VPNCAP_MAX_RULES];
	uint64_t runs = xsk_fd >= 0 ? 2 : 1;    /* expect_match runs each frame that often */
	struct pkt p;
	unsigned i;

	(void)state;
	rules[0] = rule_pp(IPPROTO_TCP, 443, 443);
	rules[1] = rule_pp(IPPROTO_UDP, 500, 500);
	rules[2] = rule_fields(VPNCAP_F_CLASS);
	rules[2].class_mask = VPNCAP_CLASS_IKE | VPNCAP_CLASS_ESP;
	rules[3] = rule_fields(0);
	set_rules(rules, 4);
	read_hits(before);
	ike_v4(&p, 500);                /* rules 1, 2 and 3 match: 1 wins */
	expect_match(&p, 1);
	ike_v6(&p, 500);
	expect_match(&p, 1);
	ike_v4(&p, 4500);               /* 2 and 3 */
	expect_match(&p, 2);
	esp_v6(&p);
	expect_match(&p, 2);
	udp_v4(&p, 40000, 53);          /* 3 only */
	expect_match(&p, 3);
	tcp_v4(&p, 443, 40000);         /* 0 and 3 */
	expect_match(&p, 0);
	read_hits(after);
	assert_int_equal(after[0] - before[0], 1 * runs);
	assert_int_equal(after[1] - before[1], 2 * runs);
	assert_int_equal(after[2] - before[2], 2 * runs);
	assert_int_equal(after[3] - before[3], 1 * runs);
	for (i = 4; i < VPNCAP_MAX_RULES; i++)
		assert_int_equal(after[i] - before[i], 0);
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
		set.rules[0] = rule_pp(IPPROTO_UDP, 500, 500);
		assert_int_equal(bpf_map_update_elem(rules_fd, &key, &set, BPF_ANY), 0);
		ike_v4(&p, 500);
		expect_unmatched(&p, XDP_PASS);
	}
}

/* Each rule with protocol, a port range and two prefixes, as in the benchmark. */
static void test_64_rules_last_matches(void **state)
{
	struct vpncap_rule rules[VPNCAP_MAX_RULES];
	struct pkt p;
	unsigned i;

	(void)state;
	for (i = 0; i < VPNCAP_MAX_RULES - 1; i++) {
		rules[i] = rule_pp(i & 1 ? IPPROTO_TCP : IPPROTO_UDP, (uint16_t)(1000 + i),
				   (uint16_t)(1000 + i));
		rule_add_prefix(&rules[i], "198.51.100.0", 24);
		rule_add_prefix(&rules[i], "2001:db8::", 64);
	}
	rules[VPNCAP_MAX_RULES - 1] = rule_pp(IPPROTO_UDP, 500, 500);
	rule_add_prefix(&rules[VPNCAP_MAX_RULES - 1], "203.0.113.0", 24);
	rule_add_prefix(&rules[VPNCAP_MAX_RULES - 1], "192.0.2.0", 24);
	set_rules(rules, VPNCAP_MAX_RULES);

	ike_v4(&p, 500);
	expect_match(&p, VPNCAP_MAX_RULES - 1);
	udp_v4(&p, 40000, 1000 + 62);   /* rule 62 (UDP 1062) */
	expect_match(&p, 62);
	udp_v4(&p, 40000, 53);
	expect_unmatched(&p, XDP_PASS);
	ike_v6(&p, 500);                /* rule 63 names no IPv6 prefix */
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

/* The program reads the slot settings.active_rules names (its low bit). */
static void test_active_rules_slot(void **state)
{
	struct vpncap_rule dns = rule_pp(IPPROTO_UDP, 53, 53);
	struct pkt ike, q;

	(void)state;
	ike_v4(&ike, 500);
	udp_v4(&q, 40000, 53);
	settings.active_rules = 1;      /* set_rules() writes the slot in use */
	set_rules(&dns, 1);
	settings.active_rules = 0;
	put_settings();
	expect_match(&ike, 0);
	expect_unmatched(&q, XDP_PASS);
	settings.active_rules = 1;
	put_settings();
	expect_unmatched(&ike, XDP_PASS);
	expect_match(&q, 0);
	settings.active_rules = 2;      /* low bit 0 */
	put_settings();
	expect_match(&ike, 0);
	settings.active_rules = 3;      /* low bit 1 */
	put_settings();
	expect_match(&q, 0);
	settings.active_rules = 0;
	put_settings();
}

/* ------------------------------------------------------------------------ */
/* Tests: fragments                                                         */
/* ------------------------------------------------------------------------ */

#define V4_A 0xc0000201u        /* 192.0.2.1, the builders' source */
#define V4_B 0xc6336402u        /* 198.51.100.2, the builders' destination */
static const uint8_t V6_A[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t V6_B[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
static const uint8_t V6_C[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 3 };

#define FRAG_PART 24            /* bytes of the datagram in each fragment */
#define FRAG_COUNT 3

/*
 * A 72-byte UDP datagram (header + IKE + padding) from sport to dport, and
 * its fragment idx (0, 1 or 2) of FRAG_PART bytes each. The later parts
 * start with bytes that would read as UDP 500 -> 500, so a classifier that
 * took them for a transport header would match them by the rules.
 */
static void dgram(uint8_t d[FRAG_PART * FRAG_COUNT], uint16_t sport, uint16_t dport)
{
	unsigned i;

	memset(d, 0, FRAG_PART * FRAG_COUNT);
	put_be16(d, sport);
	put_be16(d + 2, dport);
	put_be16(d + 4, FRAG_PART * FRAG_COUNT);
	memcpy(d + 8, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	for (i = 1; i < FRAG_COUNT; i++) {
		put_be16(d + i * FRAG_PART, 500);
		put_be16(d + i * FRAG_PART + 2, 500);
	}
}

static void frag_v4(struct pkt *p, unsigned idx, uint16_t sport, uint16_t dport, uint16_t id)
{
	uint8_t d[FRAG_PART * FRAG_COUNT];
	uint16_t field = (uint16_t)(idx * FRAG_PART / 8) | (idx + 1 < FRAG_COUNT ? 0x2000 : 0);

	dgram(d, sport, dport);
	pkt_init(p);
	put_eth(p, ETH_P_IP);
	put_ipv4(p, IPPROTO_UDP, 0, field);
	set_v4_id(p, id);
	put_bytes(p, d + idx * FRAG_PART, FRAG_PART);
	pkt_finish(p);
}

static void frag_v6(struct pkt *p, unsigned idx, uint16_t sport, uint16_t dport, uint32_t id)
{
	uint8_t d[FRAG_PART * FRAG_COUNT];

	dgram(d, sport, dport);
	pkt_init(p);
	put_eth(p, ETH_P_IPV6);
	put_ipv6(p, IP6_FRAGMENT);
	put_ip6_frag_id(p, IPPROTO_UDP, (uint16_t)(idx * FRAG_PART / 8),
			idx + 1 < FRAG_COUNT, id);
	put_bytes(p, d + idx * FRAG_PART, FRAG_PART);
	pkt_finish(p);
}

/* Fragment idx of the UDP 500 datagram `id`, family 4 or 6, from A to B (or B to A). */
static void frag(struct pkt *p, int family, unsigned idx, uint32_t id, int reverse)
{
	if (family == 4) {
		frag_v4(p, idx, 500, 500, (uint16_t)id);
		if (reverse)
			set_v4_addrs(p, V4_B, V4_A);
	} else {
		frag_v6(p, idx, 500, 500, id);
		if (reverse)
			set_v6_addrs(p, V6_B, V6_A);
	}
	pkt_finish(p);
}

static void test_fragments_in_order(void **state)
{
	struct pkt p;
	int family;

	(void)state;
	for (family = 4; family <= 6; family += 2) {
		frag(&p, family, 0, 0x4242, 0);
		expect_match_once(&p, 0, VPNCAP_CLASS_IKE, VIA_RULE);
		frag(&p, family, 1, 0x4242, 0);
		expect_match_once(&p, 0, 0, VIA_FRAGS);
		frag(&p, family, 2, 0x4242, 0);
		expect_match_once(&p, 0, 0, VIA_FRAGS);
		/* Duplicates (retransmissions) follow too, until the entry expires. */
		expect_match_once(&p, 0, 0, VIA_FRAGS);
	}
	/* IPv6 with the fragment header behind hop-by-hop and destination options. */
	pkt_init(&p);
	put_eth(&p, ETH_P_IPV6);
	put_ipv6(&p, IP6_HOP);
	put_ip6_opts(&p, IP6_DEST, 0);
	put_ip6_opts(&p, IP6_FRAGMENT, 1);
	put_ip6_frag_id(&p, IPPROTO_UDP, 0, 1, 77);
	put_udp(&p, 4500, 4500);
	put_esp(&p);
	pkt_finish(&p);
	put_be16(p.b + p.udp_off + 4, 3000);    /* the whole datagram's UDP length */
	expect_match_once(&p, 1, VPNCAP_CLASS_ESP, VIA_RULE);
	pkt_init(&p);
	put_eth(&p, ETH_P_IPV6);
	put_ipv6(&p, IP6_HOP);
	put_ip6_opts(&p, IP6_FRAGMENT, 0);
	put_ip6_frag_id(&p, IPPROTO_UDP, 1000 / 8, 1, 77);
	put(&p, 40);
	pkt_finish(&p);
	expect_match_once(&p, 1, 0, VIA_FRAGS);
	assert_int_equal(map_entries(frags_fd, sizeof(struct vpncap_frag_key)), 3);
}

/* Fragments that must not follow a matched datagram. */
static void test_fragments_not_matched(void **state)
{
	struct pkt p;

	(void)state;
	set_frag_times(DEFAULT_FRAG_TIMEOUT_NS, 0);     /* no host window: only frags_map */
	frag(&p, 4, 0, 0x4242, 0);
	expect_match_once(&p, 0, VPNCAP_CLASS_IKE, VIA_RULE);
	frag(&p, 6, 0, 0x4242, 0);
	expect_match_once(&p, 0, VPNCAP_CLASS_IKE, VIA_RULE);

	/* Another identification. */
	frag(&p, 4, 1, 0x4243, 0);
	expect_unmatched(&p, XDP_PASS);
	frag(&p, 6, 1, 0x4243, 0);
	expect_unmatched(&p, XDP_PASS);
	/* The other direction is another datagram. */
	frag(&p, 4, 1, 0x4242, 1);
	expect_unmatched(&p, XDP_PASS);
	frag(&p, 6, 2, 0x4242, 1);
	expect_unmatched(&p, XDP_PASS);
	/* Another host. */
	frag(&p, 4, 1, 0x4242, 0);
	set_v4_addrs(&p, V4_A, 0xc6336403);
	pkt_finish(&p);
	expect_unmatched(&p, XDP_PASS);
	frag(&p, 6, 1, 0x4242, 0);
	set_v6_addrs(&p, V6_C, NULL);
	pkt_finish(&p);
	expect_unmatched(&p, XDP_PASS);

	/* The same fragment matches once its hosts are in the window. */
	set_frag_times(DEFAULT_FRAG_TIMEOUT_NS, DEFAULT_HOST_WINDOW_NS);
	ike_v4(&p, 500);
	expect_match_once(&p, 0, VPNCAP_CLASS_IKE, VIA_RULE);
	frag(&p, 4, 1, 0x4243, 0);
	expect_match_once(&p, 0, 0, VIA_HOSTS);

	/* An unmatched first fragment records nothing. */
	set_frag_times(DEFAULT_FRAG_TIMEOUT_NS, 0);
	frag_v4(&p, 0, 40000, 53, 0x5000);
	expect_unmatched(&p, XDP_PASS);
	frag_v4(&p, 1, 40000, 53, 0x5000);
	expect_unmatched(&p, XDP_PASS);

	/* An IPv6 atomic fragment (offset 0, M 0) is a whole datagram: nothing to follow. */
	pkt_init(&p);
	put_eth(&p, ETH_P_IPV6);
	put_ipv6(&p, IP6_FRAGMENT);
	put_ip6_frag_id(&p, IPPROTO_UDP, 0, 0, 0x600d);
	put_udp(&p, 500, 500);
	put_ike(&p, 0);
	pkt_finish(&p);
	clear_map(frags_fd, sizeof(struct vpncap_frag_key));
	expect_match_once(&p, 0, VPNCAP_CLASS_IKE, VIA_RULE);
	assert_int_equal(map_entries(frags_fd, sizeof(struct vpncap_frag_key)), 0);
	/* Neither is an unfragmented IPv4 datagram. */
	ike_v4(&p, 500);
	expect_match_once(&p, 0, VPNCAP_CLASS_IKE, VIA_RULE);
	assert_int_equal(map_entries(frags_fd, sizeof(struct vpncap_frag_key)), 0);
}

/* Every hosts_map key has the lower address first (abi.h), and real rule numbers. */
static void assert_host_keys_ordered(void)
{
	struct vpncap_host_key key, next;
	struct vpncap_host_val val;
	void *prev = NULL;

	while (bpf_map_get_next_key(hosts_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		assert_true(key.family == 4 || key.family == 6);
		assert_true(memcmp(key.a, key.b, key.family == 4 ? 4 : 16) < 0);
		assert_memory_equal(key.pad, "\0\0\0", 3);
		if (key.family == 4) {
			static const uint8_t zero[12];

			assert_memory_equal(key.a + 4, zero, 12);
			assert_memory_equal(key.b + 4, zero, 12);
		}
		assert_int_equal(bpf_map_lookup_elem(hosts_fd, &key, &val), 0);
		assert_true(val.rule < VPNCAP_MAX_RULES);
		assert_true(val.last_ns > 0 && val.last_ns <= now_ns());
	}
}

/* Last fragment first, with matched traffic between the hosts just before. */
static void test_fragments_reversed_after_traffic(void **state)
{
	struct pkt p;
	int family;

	(void)state;
	for (family = 4; family <= 6; family += 2) {
		/* NAT-T traffic, rule 1, from A to B. */
		if (family == 4)
			ike_v4(&p, 4500);
		else
			ike_v6(&p, 4500);
		expect_match_once(&p, 1, VPNCAP_CLASS_IKE, VIA_RULE);
		/* A datagram from B to A, fragments in reverse order. */
		frag(&p, family, 2, 0x77, 1);
		expect_match_once(&p, 1, 0, VIA_HOSTS);  /* the rule of the host pair */
		frag(&p, family, 1, 0x77, 1);
		expect_match_once(&p, 1, 0, VIA_FRAGS);  /* recorded by the one before */
		frag(&p, family, 0, 0x77, 1);
		expect_match_once(&p, 0, VPNCAP_CLASS_IKE, VIA_RULE);  /* by its own ports */
		/* Now the datagram follows the first fragment's rule. */
		frag(&p, family, 2, 0x77, 1);
		expect_match_once(&p, 0, 0, VIA_FRAGS);
	}
	assert_int_equal(map_entries(hosts_fd, sizeof(struct vpncap_host_key)), 2);
	assert_host_keys_ordered();
}

/* Last fragment first and no traffic between the hosts before: only the first matches. */
static void test_fragments_reversed_no_traffic(void **state)
{
	struct pkt p;
	int family;

	(void)state;
	for (family = 4; family <= 6; family += 2) {
		frag(&p, family, 2, 0x99, 0);
		expect_unmatched(&p, XDP_PASS);
		frag(&p, family, 1, 0x99, 0);
		expect_unmatched(&p, XDP_PASS);
		frag(&p, family, 0, 0x99, 0);
		expect_match_once(&p, 0, VPNCAP_CLASS_IKE, VIA_RULE);
	}
	/* Unmatched frames between two hosts never open the window. */
	clear_map(frags_fd, sizeof(struct vpncap_frag_key));
	clear_map(hosts_fd, sizeof(struct vpncap_host_key));
	udp_v4(&p, 40000, 53);
	expect_unmatched(&p, XDP_PASS);
	frag(&p, 4, 2, 0x100, 0);
	expect_unmatched(&p, XDP_PASS);
	assert_int_equal(map_entries(hosts_fd, sizeof(struct vpncap_host_key)), 0);
}

static void test_fragments_expiry(void **state)
{
	struct pkt p;

	(void)state;
	/* frags_map entries: 1 ms, no host window. */
	set_frag_times(1000000, 0);
	frag(&p, 4, 0, 0x1111, 0);
	expect_match_once(&p, 0, VPNCAP_CLASS_IKE, VIA_RULE);
	frag(&p, 6, 0, 0x1111, 0);
	expect_match_once(&p, 0, VPNCAP_CLASS_IKE, VIA_RULE);
	usleep(20000);
	frag(&p, 4, 1, 0x1111, 0);
	expect_unmatched(&p, XDP_PASS);
	frag(&p, 6, 2, 0x1111, 0);
	expect_unmatched(&p, XDP_PASS);

	/* hosts_map: a 1 ms window. */
	set_frag_times(DEFAULT_FRAG_TIMEOUT_NS, 1000000);
	ike_v6(&p, 500);
	expect_match_once(&p, 0, VPNCAP_CLASS_IKE, VIA_RULE);
	usleep(20000);
	frag(&p, 6, 2, 0x2222, 0);
	expect_unmatched(&p, XDP_PASS);

	/* An expired datagram between hosts still in the window: an early fragment again. */
	set_frag_times(1000000, DEFAULT_HOST_WINDOW_NS);
	frag(&p, 4, 0, 0x3333, 0);
	expect_match_once(&p, 0, VPNCAP_CLASS_IKE, VIA_RULE);
	usleep(20000);
	frag(&p, 4, 1, 0x3333, 0);
	expect_match_once(&p, 0, 0, VIA_HOSTS);

	/* Timeout and window 0: fragment tracking off. */
	set_frag_times(0, 0);
	clear_map(frags_fd, sizeof(struct vpncap_frag_key));
	frag(&p, 6, 0, 0x4444, 0);
	expect_match_once(&p, 0, VPNCAP_CLASS_IKE, VIA_RULE);
	assert_int_equal(map_entries(frags_fd, sizeof(struct vpncap_frag_key)), 0);
	frag(&p, 6, 1, 0x4444, 0);
	expect_unmatched(&p, XDP_PASS);
}

/* Runs last: the counters over the whole run. */
static void test_counter_identities(void **state)
{
	uint64_t hits[VPNCAP_MAX_RULES], hits_sum = 0;
	struct vpncap_counters c;
	unsigned i;

	(void)state;
	read_counters(&c);
	assert_identities(&c);
	assert_true(c.seen > 0);
	assert_int_equal(c.seen, expect_total.runs);
	assert_int_equal(c.matched, expect_total.matched);
	assert_int_equal(c.redirected, expect_total.redirected);
	assert_int_equal(c.redirect_fail, expect_total.redirect_fail);
	assert_int_equal(c.dropped, expect_total.dropped);
	assert_int_equal(c.fragments, expect_total.fragments);
	assert_int_equal(c.early_fragments, expect_total.early_fragments);
	assert_int_equal(c.passed, c.seen - c.matched - c.dropped + c.redirect_fail);
	assert_true(c.fragments > 0);
	assert_true(c.early_fragments > 0);
	read_hits(hits);
	for (i = 0; i < VPNCAP_MAX_RULES; i++)
		hits_sum += hits[i];
	assert_int_equal(hits_sum, c.matched);  /* every match counts one rule hit */
	if (xsk_fd >= 0)
		assert_true(c.redirected > 0);
}

int main(int argc, char **argv)
{
	int ret = test_variant(argc, argv, &variant);
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
		cmocka_unit_test_setup(test_port_range, test_setup),
		cmocka_unit_test_setup(test_addr_ipv4, test_setup),
		cmocka_unit_test_setup(test_addr_ipv6, test_setup),
		cmocka_unit_test_setup(test_addr_list, test_setup),
		cmocka_unit_test_setup(test_vlan, test_setup),
		cmocka_unit_test_setup(test_mac, test_setup),
		cmocka_unit_test_setup(test_not_ip, test_setup),
		cmocka_unit_test_setup(test_tcp_flags, test_setup),
		cmocka_unit_test_setup(test_pairs, test_setup),
		cmocka_unit_test_setup(test_expr_without_programs, test_setup),
		cmocka_unit_test_setup(test_classes, test_setup),
		cmocka_unit_test_setup(test_all_fields, test_setup),
		cmocka_unit_test_setup(test_fields_zero_and_unknown, test_setup),
		cmocka_unit_test_setup(test_first_match_and_hits, test_setup),
		cmocka_unit_test_setup(test_empty_rule_set, test_setup),
		cmocka_unit_test_setup(test_64_rules_last_matches, test_setup),
		cmocka_unit_test_setup(test_active_rules_slot, test_setup),
		cmocka_unit_test_setup(test_fragments_in_order, test_setup),
		cmocka_unit_test_setup(test_fragments_not_matched, test_setup),
		cmocka_unit_test_setup(test_fragments_reversed_after_traffic, test_setup),
		cmocka_unit_test_setup(test_fragments_reversed_no_traffic, test_setup),
		cmocka_unit_test_setup(test_fragments_expiry, test_setup),
		cmocka_unit_test_setup(test_counter_identities, test_setup),
	};

	if (ret)
		return ret;
	return cmocka_run_group_tests_name("classifier", tests, group_setup, group_teardown);
}
