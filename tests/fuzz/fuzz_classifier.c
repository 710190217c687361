// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the XDP classifier (bpf/classifier.bpf.c): every
 * input is one frame, run in the kernel through BPF_PROG_TEST_RUN with the
 * product's default rule set (UDP 500, UDP 4500, TCP 443). Needs root.
 *
 * abort()s when:
 *  - test_run fails (a verifier-accepted program never errors on a frame
 *    of at least ETH_HLEN bytes);
 *  - the action is not XDP_PASS / XDP_DROP / XDP_REDIRECT;
 *  - the per-CPU counters (summed) break the identities of abi.h, or the run
 *    did not count exactly one frame;
 *  - the verdict disagrees with a small reference classifier written here
 *    from the documented semantics (rules, VLAN, IPv4 options and fragments,
 *    IPv6 extension headers), or the frame came back modified, or the
 *    metadata of a redirected frame is wrong.
 *
 * A hash of the input picks the --unmatched mode (pass/drop) and whether an
 * AF_XDP socket (created, never bound) sits in xsks_map[0], so both the
 * redirect_fail path (XDP_PASS, no metadata) and the redirect path
 * (XDP_REDIRECT, metadata in front of the frame in data_out) are covered.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

#define MAX_FRAME 4000
#define REF_MAX_VLAN_TAGS 2
#define REF_MAX_IPV6_EXT_HDRS 8   /* mirrors MAX_IPV6_EXT_HDRS in the classifier */

static struct vpncap_classifier *skel;
static int prog_fd, counters_fd, settings_fd, xsks_fd, xsk_fd = -1;
static int ncpus;
static struct vpncap_counters *percpu;
static struct vpncap_counters last;     /* totals after the previous run */
static struct vpncap_ruleset ruleset;
static int cur_drop = -1, cur_xsk = -1;

#define DIE(...) do { fprintf(stderr, "fuzz_classifier: " __VA_ARGS__); \
		      fputc('\n', stderr); abort(); } while (0)

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void read_totals(struct vpncap_counters *sum)
{
	__u32 key = 0;

	if (bpf_map_lookup_elem(counters_fd, &key, percpu))
		DIE("counters lookup: %s", strerror(errno));
	counters_sum(percpu, ncpus, sum);
}

static void check_identities(const struct vpncap_counters *c)
{
	if (c->matched > c->seen)
		DIE("matched %llu > seen %llu", (unsigned long long)c->matched,
		    (unsigned long long)c->seen);
	if (c->matched != c->redirected + c->redirect_fail)
		DIE("matched != redirected + redirect_fail");
	if (c->passed + c->dropped != (c->seen - c->matched) + c->redirect_fail)
		DIE("passed + dropped != unmatched + redirect_fail");
}

static void setup(void)
{
	struct vpncap_settings s = { .unmatched = VPNCAP_UNMATCHED_PASS };
	__u32 key = 0;

	libbpf_set_print(quiet);
	skel = vpncap_classifier__open_and_load();
	if (!skel)
		DIE("cannot load the classifier (root and a BTF kernel needed): %s",
		    strerror(errno));
	prog_fd = bpf_program__fd(skel->progs.vpncap_xdp);
	counters_fd = bpf_map__fd(skel->maps.counters_map);
	settings_fd = bpf_map__fd(skel->maps.settings_map);
	xsks_fd = bpf_map__fd(skel->maps.xsks_map);
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		DIE("libbpf_num_possible_cpus: %d", ncpus);
	percpu = calloc(ncpus, sizeof(*percpu));
	if (!percpu)
		abort();

	/* The product default: IKE, NAT-T, SSTP. */
	memset(&ruleset, 0, sizeof(ruleset));
	ruleset.rules[0].l4_proto = IPPROTO_UDP;
	ruleset.rules[0].port = 500;
	ruleset.rules[1].l4_proto = IPPROTO_UDP;
	ruleset.rules[1].port = 4500;
	ruleset.rules[2].l4_proto = IPPROTO_TCP;
	ruleset.rules[2].port = 443;
	ruleset.count = 3;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.rules_map), &key, &ruleset, BPF_ANY) ||
	    bpf_map_update_elem(settings_fd, &key, &s, BPF_ANY))
		DIE("map update: %s", strerror(errno));
	cur_drop = 0;

	xsk_fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (xsk_fd >= 0 && (bpf_map_update_elem(xsks_fd, &key, &xsk_fd, BPF_ANY) ||
			    bpf_map_delete_elem(xsks_fd, &key))) {
		close(xsk_fd);
		xsk_fd = -1;
	}
	cur_xsk = 0;
	read_totals(&last);
	check_identities(&last);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setup();
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Reference classifier: returns the first matching rule index, or -1.      */
/* ------------------------------------------------------------------------ */

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static int ref_classify(const uint8_t *d, size_t len)
{
	size_t off = 14;
	unsigned type, proto, sport = 0, dport = 0, i;

	if (len < 14)
		return -1;
	type = be16(d + 12);
	for (i = 0; i < REF_MAX_VLAN_TAGS && (type == ETH_P_8021Q || type == ETH_P_8021AD); i++) {
		if (off + 4 > len)
			return -1;
		type = be16(d + off + 2);
		off += 4;
	}
	if (type == ETH_P_IP) {
		size_t ihl;

		if (off + 20 > len || d[off] >> 4 != 4)
			return -1;
		ihl = (size_t)(d[off] & 0x0f) * 4;
		if (ihl < 20 || off + ihl > len)
			return -1;
		if (be16(d + off + 6) & 0x1fff)
			return -1;      /* non-first fragment */
		proto = d[off + 9];
		off += ihl;
	} else if (type == ETH_P_IPV6) {
		if (off + 40 > len || d[off] >> 4 != 6)
			return -1;
		proto = d[off + 6];
		off += 40;
		for (i = 0;; i++) {
			size_t hlen;

			if (proto != 0 && proto != 43 && proto != 60 && proto != 51 && proto != 44)
				break;
			if (i == REF_MAX_IPV6_EXT_HDRS)
				return -1;
			if (off + 2 > len)
				return -1;
			if (proto == 44) {
				if (off + 8 > len || (be16(d + off + 2) & 0xfff8))
					return -1;
				hlen = 8;
			} else if (proto == 51) {
				hlen = ((size_t)d[off + 1] + 2) * 4;
			} else {
				hlen = ((size_t)d[off + 1] + 1) * 8;
			}
			if (off + hlen > len)
				return -1;
			proto = d[off];
			off += hlen;
		}
	} else {
		return -1;
	}
	if (proto == IPPROTO_UDP || proto == IPPROTO_TCP) {
		if (off + (proto == IPPROTO_UDP ? 8 : 20) > len)
			return -1;
		sport = be16(d + off);
		dport = be16(d + off + 2);
	}
	for (i = 0; i < ruleset.count && i < VPNCAP_MAX_RULES; i++) {
		const struct vpncap_rule *r = &ruleset.rules[i];

		if (r->l4_proto == 0 || r->l4_proto != proto)
			continue;
		if (r->port == 0 || r->port == sport || r->port == dport)
			return (int)i;
	}
	return -1;
}

/* ------------------------------------------------------------------------ */

static uint32_t fnv1a(const uint8_t *d, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *d++) * 16777619u;
	return h;
}

static void set_mode(int drop, int xsk)
{
	__u32 key = 0;

	if (drop != cur_drop) {
		struct vpncap_settings s = {
			.unmatched = drop ? VPNCAP_UNMATCHED_DROP : VPNCAP_UNMATCHED_PASS,
		};

		if (bpf_map_update_elem(settings_fd, &key, &s, BPF_ANY))
			DIE("settings update: %s", strerror(errno));
		cur_drop = drop;
	}
	if (xsk != cur_xsk) {
		if (xsk ? bpf_map_update_elem(xsks_fd, &key, &xsk_fd, BPF_ANY)
			: bpf_map_delete_elem(xsks_fd, &key))
			DIE("xsks_map update: %s", strerror(errno));
		cur_xsk = xsk;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[MAX_FRAME + 256];
	struct vpncap_counters now, d;
	struct xdp_md ctx_in, ctx_out;
	uint32_t h;
	int want, err;
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	if (!skel)
		setup();
	if (size < ETH_HLEN)
		return 0;
	if (size > MAX_FRAME)
		size = MAX_FRAME;

	h = fnv1a(data, size);
	set_mode(h & 1, xsk_fd >= 0 && (h & 2));

	memset(&ctx_in, 0, sizeof(ctx_in));
	memset(&ctx_out, 0, sizeof(ctx_out));
	ctx_in.data_end = (__u32)size;  /* all of it linear (see test_classifier.c) */
	opts.data_in = data;
	opts.data_size_in = (__u32)size;
	opts.data_out = out;
	opts.data_size_out = sizeof(out);
	opts.ctx_in = &ctx_in;
	opts.ctx_size_in = sizeof(ctx_in);
	opts.ctx_out = &ctx_out;
	opts.ctx_size_out = sizeof(ctx_out);
	opts.repeat = 1;

	err = bpf_prog_test_run_opts(prog_fd, &opts);
	if (err)
		DIE("test_run failed on a %zu-byte frame: %s", size, strerror(errno));
	if (opts.retval != XDP_PASS && opts.retval != XDP_DROP && opts.retval != XDP_REDIRECT)
		DIE("unexpected action %u", opts.retval);

	read_totals(&now);
	check_identities(&now);
	d.seen = now.seen - last.seen;
	d.matched = now.matched - last.matched;
	d.redirected = now.redirected - last.redirected;
	d.redirect_fail = now.redirect_fail - last.redirect_fail;
	d.passed = now.passed - last.passed;
	d.dropped = now.dropped - last.dropped;
	last = now;
	if (d.seen != 1)
		DIE("seen moved by %llu", (unsigned long long)d.seen);

	want = ref_classify(data, size);
	if (want < 0) {
		__u32 verdict = cur_drop ? XDP_DROP : XDP_PASS;

		if (d.matched)
			DIE("matched, reference says no match");
		if (opts.retval != verdict || d.passed != (verdict == XDP_PASS) ||
		    d.dropped != (verdict == XDP_DROP))
			DIE("unmatched verdict %u, want %u", opts.retval, verdict);
	} else if (!d.matched) {
		DIE("no match, reference says rule %d", want);
	} else if (cur_xsk) {
		struct vpncap_meta meta;

		if (opts.retval != XDP_REDIRECT || d.redirected != 1 || d.passed || d.dropped)
			DIE("matched with a socket: action %u", opts.retval);
		if (ctx_out.data != sizeof(meta) || opts.data_size_out != sizeof(meta) + size)
			DIE("no metadata in front of the frame (data %u, out %u)",
			    ctx_out.data, opts.data_size_out);
		memcpy(&meta, out, sizeof(meta));
		if (meta.magic != VPNCAP_META_MAGIC || meta.rule != want || meta.rx_queue != 0)
			DIE("bad metadata: magic %#x rule %u queue %u", meta.magic, meta.rule,
			    meta.rx_queue);
		if (memcmp(out + sizeof(meta), data, size))
			DIE("frame modified");
		return 0;
	} else {
		if (opts.retval != XDP_PASS || d.redirect_fail != 1 || d.passed != 1)
			DIE("matched without a socket: action %u", opts.retval);
	}
	if (ctx_out.data != 0 || opts.data_size_out != size || memcmp(out, data, size))
		DIE("frame modified or metadata on a frame that was not redirected");
	return 0;
}
