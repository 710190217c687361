// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the XDP classifier (bpf/classifier.bpf.c): every
 * input is one frame, run in the kernel through BPF_PROG_TEST_RUN against a
 * rule set that uses every rule field kind (protocol, port range, prefixes,
 * VLAN, MAC, class), with fragment tracking on. Needs root.
 *
 * abort()s when:
 *  - test_run fails (a verifier-accepted program never errors on a frame
 *    of at least ETH_HLEN bytes);
 *  - the action is not XDP_PASS / XDP_DROP / XDP_REDIRECT;
 *  - the per-CPU counters (summed) break the identities of abi.h, or the run
 *    did not count exactly one frame;
 *  - the verdict disagrees with a small reference classifier written here
 *    from the documented semantics (rules, classes, VLAN, IPv4 options and
 *    fragments, IPv6 extension headers, fragment and host tracking), or the
 *    frame came back modified, or the metadata of a redirected frame is
 *    wrong (rule, class, fragment flag), or the matched rule's hit count
 *    did not move by one, or the hits of all rules do not add up to the
 *    matched frames.
 *
 * Fragment tracking is state kept across inputs: the reference keeps its
 * own copy of frags_map and hosts_map. Timeouts are an hour, so nothing
 * expires during a run; both the kernel maps and the copies are emptied
 * before they hold REF_TABLE entries, far below the LRU sizes, so nothing is
 * evicted either and the kernel's state stays exactly the reference's.
 *
 * Every variant of the classifier the kernel accepts (kernel_probe.h: the
 * metadata in the metadata area, in front of the frame or nowhere; inline
 * copies through bpf_xdp_load_bytes or bpf_probe_read_kernel) is loaded on
 * the same maps, and the hash of each input picks one.
 *
 * A hash of the input picks the --unmatched mode (pass/drop), whether an
 * AF_XDP socket (created, never bound) sits in xsks_map[0], and bypass or
 * inline mode, so the redirect_fail path (XDP_PASS, no metadata), the
 * redirect path (XDP_REDIRECT, metadata in front of the frame in data_out)
 * and the inline path (XDP_PASS whatever --unmatched says, the frame
 * unchanged, one capture_ring record with the reference's rule, class and
 * fragment flag and the whole frame) are all covered.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hook/kernel_probe.h"
#include "vpncap/abi.h"
#include "vpncap_classifier.skel.h"
#include "hook/classifier.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif

#define MAX_FRAME 4000
#define REF_MAX_VLAN_TAGS 2
#define REF_MAX_IPV6_EXT_HDRS 8   /* mirrors MAX_IPV6_EXT_HDRS in the classifier */
#define REF_TABLE 512             /* entries kept in each tracking map at most */
#define TRACK_NS 3600000000000ull /* frag_timeout_ns and host_window_ns: one hour */
#define HITS_CHECK_EVERY 1024     /* runs between two checks of the hits total */

#define MAX_VARIANTS 6

static struct vpncap_classifier *skel;       /* the first variant: its maps are everyone's */
static struct vpncap_classifier *variant_skels[MAX_VARIANTS];
static struct classifier_variant variants[MAX_VARIANTS];
static unsigned int n_variants;
static int prog_fd, counters_fd, settings_fd, xsks_fd, hits_fd, frags_fd, hosts_fd;
static enum vpncap_meta_place cur_meta;
static int xsk_fd = -1;
static int ncpus;
static struct vpncap_counters *percpu;
static __u64 *percpu_hits;
static struct vpncap_counters last;     /* totals after the previous run */
static struct vpncap_ruleset ruleset;
static int cur_drop = -1, cur_xsk = -1, cur_inline = -1;
static struct ring_buffer *ring;
static struct {
	unsigned int n;
	struct vpncap_ring_rec hdr;
	uint8_t data[MAX_FRAME];
} rec;
static unsigned long runs;

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

static __u64 read_hits(__u32 rule)
{
	__u64 sum = 0;
	int i;

	if (bpf_map_lookup_elem(hits_fd, &rule, percpu_hits))
		DIE("hits lookup: %s", strerror(errno));
	for (i = 0; i < ncpus; i++)
		sum += percpu_hits[i];
	return sum;
}

static void check_identities(const struct vpncap_counters *c)
{
	if (c->matched > c->seen)
		DIE("matched %llu > seen %llu", (unsigned long long)c->matched,
		    (unsigned long long)c->seen);
	if (c->matched != c->redirected + c->redirect_fail + c->copied + c->ring_full)
		DIE("matched != redirected + redirect_fail + copied + ring_full");
	if (c->passed + c->dropped !=
	    (c->seen - c->matched) + c->redirect_fail + c->copied + c->ring_full)
		DIE("passed + dropped != unmatched + redirect_fail + copied + ring_full");
	if (c->fragments + c->early_fragments > c->matched)
		DIE("fragments + early_fragments > matched");
	if (c->hw_stamped)
		DIE("hw_stamped %llu: the plain program has no hardware stamps",
		    (unsigned long long)c->hw_stamped);
}

/* ------------------------------------------------------------------------ */
/* The rule set: every field kind, and first-match order that matters.     */
/* ------------------------------------------------------------------------ */

static void add_prefix(struct vpncap_rule *r, const char *addr, __u8 len)
{
	struct vpncap_prefix *p = &r->addrs[r->n_addrs++];

	p->family = strchr(addr, ':') ? 6 : 4;
	p->len = len;
	if (inet_pton(p->family == 6 ? AF_INET6 : AF_INET, addr, p->addr) != 1)
		DIE("bad address %s", addr);
	r->fields |= VPNCAP_F_ADDR;
}

static struct vpncap_rule *next_rule(__u32 fields)
{
	struct vpncap_rule *r = &ruleset.rules[ruleset.count++];

	memset(r, 0, sizeof(*r));
	r->fields = fields;
	return r;
}

static void build_rules(void)
{
	static const __u8 mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	struct vpncap_rule *r;

	memset(&ruleset, 0, sizeof(ruleset));
	/* 0: a field bit this classifier does not know: never matches. */
	r = next_rule(VPNCAP_F_PROTO | (1u << 7));
	r->l4_proto = IPPROTO_UDP;
	/* 1: NAT-T keepalives, by class only. */
	r = next_rule(VPNCAP_F_CLASS);
	r->class_mask = VPNCAP_CLASS_KEEPALIVE;
	/* 2: IKE (the product default, UDP 500). */
	r = next_rule(VPNCAP_F_PROTO | VPNCAP_F_PORT);
	r->l4_proto = IPPROTO_UDP;
	r->port_lo = r->port_hi = 500;
	/* 3: IKE or ESP from or to a few odd prefixes. */
	r = next_rule(VPNCAP_F_CLASS);
	r->class_mask = VPNCAP_CLASS_IKE | VPNCAP_CLASS_ESP;
	add_prefix(r, "10.0.0.0", 8);
	add_prefix(r, "198.51.96.0", 21);
	add_prefix(r, "2001:db8::", 61);
	add_prefix(r, "2001:db8:1::1", 128);
	/* 4: NAT-T (UDP 4500, any class). */
	r = next_rule(VPNCAP_F_PROTO | VPNCAP_F_PORT);
	r->l4_proto = IPPROTO_UDP;
	r->port_lo = r->port_hi = 4500;
	/* 5: SSTP-like TCP port range. */
	r = next_rule(VPNCAP_F_PROTO | VPNCAP_F_PORT);
	r->l4_proto = IPPROTO_TCP;
	r->port_lo = 440;
	r->port_hi = 450;
	/* 6: anything UDP on VLAN 100 (outer or inner). */
	r = next_rule(VPNCAP_F_PROTO | VPNCAP_F_VLAN);
	r->l4_proto = IPPROTO_UDP;
	r->vlan_id = 100;
	/* 7: ICMP to or from one MAC. */
	r = next_rule(VPNCAP_F_PROTO | VPNCAP_F_MAC);
	r->l4_proto = IPPROTO_ICMP;
	memcpy(r->mac, mac, 6);
	/* 8: a port range, UDP or TCP, to or from given hosts (one slot unused). */
	r = next_rule(VPNCAP_F_PORT);
	r->port_lo = 8000;
	r->port_hi = 8100;
	add_prefix(r, "192.0.2.1", 32);
	add_prefix(r, "2001:db8::2", 127);
	r->addrs[2].family = 0;         /* an unused slot inside n_addrs */
	r->n_addrs = 3;
	/* 9: ESP by protocol (behind whatever IPv6 extension headers). */
	r = next_rule(VPNCAP_F_PROTO);
	r->l4_proto = 50;
	/* 10: a prefix of length 0 and one past the width, combined with VLAN and class. */
	r = next_rule(VPNCAP_F_VLAN | VPNCAP_F_CLASS);
	r->vlan_id = 0;
	r->class_mask = VPNCAP_CLASS_ESP;
	add_prefix(r, "0.0.0.0", 0);
	add_prefix(r, "2001:db8::1", 200);
}

static void write_settings(int drop, int inline_mode)
{
	struct vpncap_settings s = {
		.unmatched = drop ? VPNCAP_UNMATCHED_DROP : VPNCAP_UNMATCHED_PASS,
		.active_rules = 1,
		.frag_timeout_ns = TRACK_NS,
		.host_window_ns = TRACK_NS,
		.mode = inline_mode ? VPNCAP_MODE_INLINE : VPNCAP_MODE_BYPASS,
	};
	__u32 key = 0;

	if (bpf_map_update_elem(settings_fd, &key, &s, BPF_ANY))
		DIE("settings update: %s", strerror(errno));
	cur_drop = drop;
	cur_inline = inline_mode;
}

static int on_record(void *ctx, void *data, size_t size)
{
	const struct vpncap_ring_rec *hdr = data;

	(void)ctx;
	if (size < sizeof(*hdr) || hdr->caplen > size - sizeof(*hdr) || hdr->caplen > MAX_FRAME)
		DIE("ring record of %zu bytes claims %u", size, hdr->caplen);
	rec.n++;
	rec.hdr = *hdr;
	memcpy(rec.data, hdr + 1, hdr->caplen);
	return 0;
}

/* The records of the last run (0 or 1 expected). */
static unsigned int drain_ring(void)
{
	rec.n = 0;
	if (ring_buffer__consume(ring) < 0)
		DIE("ring_buffer__consume: %s", strerror(errno));
	return rec.n;
}

static void clear_map(int fd)
{
	__u8 key[64];

	while (bpf_map_get_next_key(fd, NULL, key) == 0)
		if (bpf_map_delete_elem(fd, key))
			DIE("map delete: %s", strerror(errno));
}

/* ------------------------------------------------------------------------ */
/* Reference copies of frags_map and hosts_map                              */
/* ------------------------------------------------------------------------ */

struct ref_entry {
	__u8 key[40];
	int rule;
};

static struct ref_entry ref_frags[REF_TABLE], ref_hosts[REF_TABLE];
static unsigned n_frags, n_hosts;

static int ref_get(const struct ref_entry *t, unsigned n, const __u8 *key)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (!memcmp(t[i].key, key, sizeof(t[i].key)))
			return t[i].rule;
	return -1;
}

static void ref_put(struct ref_entry *t, unsigned *n, const __u8 *key, int rule)
{
	unsigned i;

	for (i = 0; i < *n; i++) {
		if (!memcmp(t[i].key, key, sizeof(t[i].key))) {
			t[i].rule = rule;
			return;
		}
	}
	if (*n == REF_TABLE)
		DIE("reference table full");
	memcpy(t[*n].key, key, sizeof(t[*n].key));
	t[*n].rule = rule;
	(*n)++;
}

/* Start over (kernel and reference) before a run could overflow a table. */
static void maybe_reset_tracking(void)
{
	if (n_frags + 2 < REF_TABLE && n_hosts + 1 < REF_TABLE)
		return;
	clear_map(frags_fd);
	clear_map(hosts_fd);
	n_frags = n_hosts = 0;
}

/* A variant on the maps of the first one (they are the same object's maps). */
static struct vpncap_classifier *load_variant(const struct classifier_variant *v)
{
	struct vpncap_classifier *s = vpncap_classifier__open();
	struct bpf_map *map, *shared = NULL;

	if (!s)
		return NULL;
	if (skel) {
		bpf_object__for_each_map(map, s->obj) {
			if (bpf_map__is_internal(map))
				continue;
			shared = bpf_object__find_map_by_name(skel->obj, bpf_map__name(map));
			if (!shared || bpf_map__reuse_fd(map, bpf_map__fd(shared)))
				DIE("cannot share map %s", bpf_map__name(map));
		}
	}
	classifier_variant_apply(s, v);
	if (vpncap_classifier__load(s)) {
		vpncap_classifier__destroy(s);
		return NULL;
	}
	return s;
}

/* Every metadata placement and copy mode this kernel accepts. */
static void load_variants(void)
{
	static const enum kfeat meta_needs[] = { KFEAT_ADJUST_META, KFEAT_ADJUST_HEAD, KFEAT_COUNT };
	static const enum kfeat copy_needs[] = { KFEAT_XDP_LOAD_BYTES, KFEAT_PROBE_READ };
	struct kernel_features kf;
	struct classifier_variant base;
	char err[256];
	int m, c;

	if (kernel_probe(&kf, err, sizeof(err)))
		DIE("%s", err);
	classifier_choose_variant(&kf, &base);
	for (m = 0; m < 3; m++)
		for (c = 0; c < 2; c++) {
			struct classifier_variant v = base;

			if ((meta_needs[m] != KFEAT_COUNT && !kernel_has(&kf, meta_needs[m])) ||
			    !kernel_has(&kf, copy_needs[c]))
				continue;
			v.meta = (enum vpncap_meta_place)m;
			v.copy = (enum vpncap_xdp_copy)c;
			v.frags = 0;    /* every input is one linear frame */
			variant_skels[n_variants] = load_variant(&v);
			if (!variant_skels[n_variants])
				DIE("cannot load the classifier (meta %d, copy %d; root and a BTF kernel needed): %s",
				    m, c, strerror(errno));
			if (!skel)
				skel = variant_skels[n_variants];
			variants[n_variants++] = v;
		}
	if (!n_variants)
		DIE("kernel %s accepts no variant of the classifier", kf.release);
}

static void setup(void)
{
	__u32 key = 1;

	libbpf_set_print(quiet);
	load_variants();
	prog_fd = bpf_program__fd(skel->progs.vpncap_xdp);
	counters_fd = bpf_map__fd(skel->maps.counters_map);
	settings_fd = bpf_map__fd(skel->maps.settings_map);
	xsks_fd = bpf_map__fd(skel->maps.xsks_map);
	hits_fd = bpf_map__fd(skel->maps.hits_map);
	frags_fd = bpf_map__fd(skel->maps.frags_map);
	hosts_fd = bpf_map__fd(skel->maps.hosts_map);
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		DIE("libbpf_num_possible_cpus: %d", ncpus);
	percpu = calloc(ncpus, sizeof(*percpu));
	percpu_hits = calloc(ncpus, sizeof(*percpu_hits));
	if (!percpu || !percpu_hits)
		abort();

	/* The rule set lives in slot 1: the program must follow active_rules. */
	build_rules();
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.rules_map), &key, &ruleset, BPF_ANY))
		DIE("rules update: %s", strerror(errno));
	write_settings(0, 0);
	ring = ring_buffer__new(bpf_map__fd(skel->maps.capture_ring), on_record, NULL, NULL);
	if (!ring)
		DIE("ring_buffer__new: %s", strerror(errno));

	key = 0;
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

/* At exit: how much of each path the run reached. */
static void summary(void)
{
	fprintf(stderr, "fuzz_classifier: seen %llu, matched %llu (fragments %llu, early %llu)\n",
		(unsigned long long)last.seen, (unsigned long long)last.matched,
		(unsigned long long)last.fragments, (unsigned long long)last.early_fragments);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setup();
	atexit(summary);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Reference classifier                                                     */
/* ------------------------------------------------------------------------ */

enum { REF_FRAG_NONE, REF_FRAG_FIRST, REF_FRAG_LATER };
enum { VIA_RULE, VIA_FRAGS, VIA_HOSTS };

struct ref_frame {
	__u8 mac_dst[6], mac_src[6];
	unsigned n_vlans, vlan[2];
	unsigned family;                /* 4 or 6 */
	__u8 src[16], dst[16];          /* IPv4 in the first 4 bytes, rest 0 */
	unsigned l4, has_ports, sport, dport, klass, frag;
	__u32 frag_id;
};

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static __u32 be32(const uint8_t *p)
{
	return (__u32)be16(p) << 16 | be16(p + 2);
}

/* UDP 4500: keepalive, IKE behind the non-ESP marker, or ESP (by the UDP length). */
static unsigned ref_natt_class(const uint8_t *d, size_t len, size_t payload, unsigned ulen)
{
	if (ulen == 9 && payload + 1 <= len && d[payload] == 0xff)
		return VPNCAP_CLASS_KEEPALIVE;
	if (ulen >= 12 && payload + 4 <= len && !(d[payload] | d[payload + 1] |
						    d[payload + 2] | d[payload + 3]))
		return VPNCAP_CLASS_IKE;
	return VPNCAP_CLASS_ESP;
}

/* Parse like the classifier; 0 if it can be matched at all, -1 if not. */
static int ref_parse(const uint8_t *d, size_t len, struct ref_frame *f)
{
	size_t off = 14;
	unsigned type, i;

	memset(f, 0, sizeof(*f));
	if (len < 14)
		return -1;
	memcpy(f->mac_dst, d, 6);
	memcpy(f->mac_src, d + 6, 6);
	type = be16(d + 12);
	for (i = 0; i < REF_MAX_VLAN_TAGS && (type == ETH_P_8021Q || type == ETH_P_8021AD); i++) {
		if (off + 4 > len)
			return -1;
		f->vlan[i] = be16(d + off) & 0x0fff;
		f->n_vlans = i + 1;
		type = be16(d + off + 2);
		off += 4;
	}
	if (type == ETH_P_IP) {
		size_t ihl;
		unsigned frag;

		if (off + 20 > len || d[off] >> 4 != 4)
			return -1;
		ihl = (size_t)(d[off] & 0x0f) * 4;
		if (ihl < 20 || off + ihl > len)
			return -1;
		f->family = 4;
		memcpy(f->src, d + off + 12, 4);
		memcpy(f->dst, d + off + 16, 4);
		f->l4 = d[off + 9];
		frag = be16(d + off + 6);
		if (frag & 0x1fff)
			f->frag = REF_FRAG_LATER;
		else if (frag & 0x2000)
			f->frag = REF_FRAG_FIRST;
		if (f->frag != REF_FRAG_NONE)
			f->frag_id = be16(d + off + 4);
		off += ihl;
	} else if (type == ETH_P_IPV6) {
		unsigned proto;

		if (off + 40 > len || d[off] >> 4 != 6)
			return -1;
		f->family = 6;
		memcpy(f->src, d + off + 8, 16);
		memcpy(f->dst, d + off + 24, 16);
		proto = d[off + 6];
		off += 40;
		for (i = 0;; i++) {
			size_t hlen;

			if (proto != 0 && proto != 43 && proto != 60 && proto != 51 && proto != 44) {
				f->l4 = proto;
				break;
			}
			if (i == REF_MAX_IPV6_EXT_HDRS)
				return -1;
			if (off + 2 > len)
				return -1;
			if (proto == 44) {
				unsigned fo;

				if (off + 8 > len)
					return -1;
				fo = be16(d + off + 2);
				proto = d[off];
				if (fo & 0xfff8) {
					f->frag = REF_FRAG_LATER;
					f->frag_id = be32(d + off + 4);
					f->l4 = proto;
					break;          /* no transport in a later fragment */
				}
				if (fo & 1) {
					f->frag = REF_FRAG_FIRST;
					f->frag_id = be32(d + off + 4);
				}
				off += 8;
				continue;
			}
			if (proto == 51)
				hlen = ((size_t)d[off + 1] + 2) * 4;
			else
				hlen = ((size_t)d[off + 1] + 1) * 8;
			if (off + hlen > len)
				return -1;
			proto = d[off];
			off += hlen;
		}
	} else {
		return -1;
	}
	if (f->frag == REF_FRAG_LATER) {
		if (f->l4 == 50)
			f->klass = VPNCAP_CLASS_ESP;
		return 0;
	}
	if (f->l4 == IPPROTO_UDP || f->l4 == IPPROTO_TCP) {
		if (off + (f->l4 == IPPROTO_UDP ? 8 : 20) > len)
			return -1;
		f->sport = be16(d + off);
		f->dport = be16(d + off + 2);
		f->has_ports = 1;
		if (f->l4 == IPPROTO_UDP) {
			if (f->sport == 4500 || f->dport == 4500)
				f->klass = ref_natt_class(d, len, off + 8, be16(d + off + 4));
			else if (f->sport == 500 || f->dport == 500)
				f->klass = VPNCAP_CLASS_IKE;
		}
	} else if (f->l4 == 50) {
		f->klass = VPNCAP_CLASS_ESP;
	}
	return 0;
}

static int ref_in_prefix(const __u8 *addr, const struct vpncap_prefix *p, unsigned width)
{
	unsigned len = p->len < width ? p->len : width, i;

	for (i = 0; i < len; i++)
		if ((addr[i / 8] ^ p->addr[i / 8]) & (0x80 >> (i % 8)))
			return 0;
	return 1;
}

static int ref_rule_match(const struct vpncap_rule *r, const struct ref_frame *f)
{
	unsigned k;

	if (r->fields & ~0x3fu)
		return 0;
	if ((r->fields & VPNCAP_F_PROTO) && r->l4_proto != f->l4)
		return 0;
	if ((r->fields & VPNCAP_F_PORT) &&
	    (!f->has_ports || ((f->sport < r->port_lo || f->sport > r->port_hi) &&
			       (f->dport < r->port_lo || f->dport > r->port_hi))))
		return 0;
	if ((r->fields & VPNCAP_F_CLASS) && !(r->class_mask & f->klass))
		return 0;
	if ((r->fields & VPNCAP_F_VLAN) &&
	    !((f->n_vlans >= 1 && f->vlan[0] == r->vlan_id) ||
	      (f->n_vlans >= 2 && f->vlan[1] == r->vlan_id)))
		return 0;
	if ((r->fields & VPNCAP_F_MAC) && memcmp(r->mac, f->mac_src, 6) &&
	    memcmp(r->mac, f->mac_dst, 6))
		return 0;
	if (r->fields & VPNCAP_F_ADDR) {
		for (k = 0; k < VPNCAP_RULE_ADDRS && k < r->n_addrs; k++) {
			const struct vpncap_prefix *p = &r->addrs[k];
			unsigned width = f->family == 4 ? 32 : 128;

			if (p->family != f->family)
				continue;
			if (ref_in_prefix(f->src, p, width) || ref_in_prefix(f->dst, p, width))
				break;
		}
		if (k == VPNCAP_RULE_ADDRS || k >= r->n_addrs)
			return 0;
	}
	return 1;
}

static void ref_frag_key(const struct ref_frame *f, __u8 *key)
{
	struct vpncap_frag_key k;

	memset(key, 0, 40);
	memset(&k, 0, sizeof(k));
	k.family = (__u8)f->family;
	k.id = f->frag_id;
	memcpy(k.src, f->src, 16);
	memcpy(k.dst, f->dst, 16);
	memcpy(key, &k, sizeof(k));
}

static void ref_host_key(const struct ref_frame *f, __u8 *key)
{
	int src_low = memcmp(f->src, f->dst, 16) <= 0;

	memset(key, 0, 40);
	key[0] = (__u8)f->family;
	memcpy(key + 4, src_low ? f->src : f->dst, 16);
	memcpy(key + 20, src_low ? f->dst : f->src, 16);
}

/*
 * The first matching rule index (or -1) and how it matched, updating the
 * reference tracking tables the way the classifier updates its maps.
 */
static int ref_classify(const uint8_t *d, size_t len, int *via, unsigned *klass)
{
	struct ref_frame f;
	__u8 fkey[40], hkey[40];
	int rule = -1;
	unsigned i;

	*via = VIA_RULE;
	*klass = 0;
	if (ref_parse(d, len, &f))
		return -1;
	*klass = f.klass;
	ref_frag_key(&f, fkey);
	ref_host_key(&f, hkey);
	if (f.frag == REF_FRAG_LATER) {
		rule = ref_get(ref_frags, n_frags, fkey);
		if (rule >= 0)
			*via = VIA_FRAGS;
	}
	if (rule < 0) {
		for (i = 0; i < ruleset.count && i < VPNCAP_MAX_RULES; i++) {
			if (ref_rule_match(&ruleset.rules[i], &f)) {
				rule = (int)i;
				break;
			}
		}
		if (rule >= 0 && f.frag == REF_FRAG_FIRST)
			ref_put(ref_frags, &n_frags, fkey, rule);
	}
	if (rule < 0 && f.frag == REF_FRAG_LATER) {
		rule = ref_get(ref_hosts, n_hosts, hkey);
		if (rule >= 0) {
			*via = VIA_HOSTS;
			ref_put(ref_frags, &n_frags, fkey, rule);
		}
	}
	if (rule >= 0)
		ref_put(ref_hosts, &n_hosts, hkey, rule);
	return rule;
}

/* ------------------------------------------------------------------------ */

static uint32_t fnv1a(const uint8_t *d, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *d++) * 16777619u;
	return h;
}

static void set_mode(int drop, int xsk, int inline_mode)
{
	__u32 key = 0;

	if (drop != cur_drop || inline_mode != cur_inline)
		write_settings(drop, inline_mode);
	if (xsk != cur_xsk) {
		if (xsk ? bpf_map_update_elem(xsks_fd, &key, &xsk_fd, BPF_ANY)
			: bpf_map_delete_elem(xsks_fd, &key))
			DIE("xsks_map update: %s", strerror(errno));
		cur_xsk = xsk;
	}
}

/* On a disagreement: what each side has for this frame's datagram and host pair. */
static void dump_tracking(const uint8_t *d, size_t len)
{
	struct vpncap_frag_val fv;
	struct vpncap_host_val hv;
	struct ref_frame f;
	__u8 fkey[40], hkey[40];

	if (ref_parse(d, len, &f))
		return;
	ref_frag_key(&f, fkey);
	ref_host_key(&f, hkey);
	fprintf(stderr, "frame: family %u l4 %u frag %u id %#x class %u ports %u %u->%u\n",
		f.family, f.l4, f.frag, f.frag_id, f.klass, f.has_ports, f.sport, f.dport);
	fprintf(stderr, "reference: datagram rule %d, hosts rule %d\n",
		ref_get(ref_frags, n_frags, fkey), ref_get(ref_hosts, n_hosts, hkey));
	fprintf(stderr, "kernel: datagram rule %d, hosts rule %d\n",
		bpf_map_lookup_elem(frags_fd, fkey, &fv) ? -1 : fv.rule,
		bpf_map_lookup_elem(hosts_fd, hkey, &hv) ? -1 : hv.rule);
}

/* Every match counts one hit of its rule: the hits add up to matched. */
static void check_hits_total(const struct vpncap_counters *c)
{
	__u64 sum = 0;
	__u32 i;

	for (i = 0; i < VPNCAP_MAX_RULES; i++)
		sum += read_hits(i);
	if (sum != c->matched)
		DIE("hits add up to %llu, matched %llu", (unsigned long long)sum,
		    (unsigned long long)c->matched);
}

/* Inline: a matched frame is copied whole (no snaplen here) with the reference's facts. */
static void check_inline(const uint8_t *data, size_t size, int want, int via, unsigned klass,
			 const struct vpncap_counters *d)
{
	unsigned int n = drain_ring();

	if (want < 0) {
		if (n || d->copied || d->ring_full)
			DIE("inline: a copy of an unmatched frame");
		return;
	}
	if (n != 1 || d->copied != 1 || d->ring_full || d->redirected || d->redirect_fail ||
	    d->passed != 1)
		DIE("inline: matched frame gave %u records (copied %llu, ring full %llu)", n,
		    (unsigned long long)d->copied, (unsigned long long)d->ring_full);
	if (rec.hdr.rule != want || rec.hdr.klass != klass || rec.hdr.ring_flags ||
	    rec.hdr.flags != (via == VIA_RULE ? 0 : VPNCAP_META_FRAGMENT) || rec.hdr.hw_ns)
		DIE("inline: record rule %u (want %d), class %u (want %u), flags %#x", rec.hdr.rule,
		    want, rec.hdr.klass, klass, rec.hdr.flags);
	if (rec.hdr.origlen != size || rec.hdr.caplen != size || memcmp(rec.data, data, size))
		DIE("inline: record of %u/%u bytes, frame of %zu", rec.hdr.caplen, rec.hdr.origlen,
		    size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[MAX_FRAME + 256];
	struct vpncap_counters now, d;
	struct xdp_md ctx_in, ctx_out;
	__u64 hits_before = 0;
	unsigned klass;
	uint32_t h;
	int want, via, err;
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	if (!skel)
		setup();
	if (size < ETH_HLEN)
		return 0;
	if (size > MAX_FRAME)
		size = MAX_FRAME;

	h = fnv1a(data, size);
	set_mode(h & 1, xsk_fd >= 0 && (h & 2), !!(h & 4));
	prog_fd = bpf_program__fd(variant_skels[(h >> 3) % n_variants]->progs.vpncap_xdp);
	cur_meta = variants[(h >> 3) % n_variants].meta;
	maybe_reset_tracking();

	/* The reference first (it updates its tables as the program will). */
	want = ref_classify(data, size, &via, &klass);
	if (want >= 0)
		hits_before = read_hits((__u32)want);

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
	d.fragments = now.fragments - last.fragments;
	d.early_fragments = now.early_fragments - last.early_fragments;
	d.copied = now.copied - last.copied;
	d.ring_full = now.ring_full - last.ring_full;
	last = now;
	if (d.seen != 1)
		DIE("seen moved by %llu", (unsigned long long)d.seen);
	if (++runs % HITS_CHECK_EVERY == 0)
		check_hits_total(&now);

	if (want < 0) {
		__u32 verdict = cur_drop && !cur_inline ? XDP_DROP : XDP_PASS;

		if (d.matched)
			DIE("matched, reference says no match");
		if (opts.retval != verdict || d.passed != (verdict == XDP_PASS) ||
		    d.dropped != (verdict == XDP_DROP) || d.fragments || d.early_fragments)
			DIE("unmatched verdict %u, want %u", opts.retval, verdict);
	} else if (!d.matched) {
		DIE("no match, reference says rule %d", want);
	} else {
		if (d.fragments != (via == VIA_FRAGS) || d.early_fragments != (via == VIA_HOSTS))
			DIE("fragments %llu, early %llu; reference says via %d",
			    (unsigned long long)d.fragments,
			    (unsigned long long)d.early_fragments, via);
		if (read_hits((__u32)want) != hits_before + 1) {
			dump_tracking(data, size);
			DIE("hits of rule %d did not move by one", want);
		}
	}
	if (cur_inline) {
		check_inline(data, size, want, via, klass, &d);
	} else if (drain_ring()) {
		DIE("a ring record in bypass mode for a single-buffer frame");
	}
	if (want >= 0 && cur_xsk && !cur_inline) {
		struct vpncap_meta meta;

		if (opts.retval != XDP_REDIRECT || d.redirected != 1 || d.passed || d.dropped)
			DIE("matched with a socket: action %u", opts.retval);
		if (cur_meta == VPNCAP_META_NONE) {
			if (ctx_out.data != 0 || opts.data_size_out != size || memcmp(out, data, size))
				DIE("frame modified (no metadata in this variant)");
			return 0;
		}
		/* In the metadata area, data follows it; in front of the frame, data is it. */
		if (ctx_out.data != (cur_meta == VPNCAP_META_IN_AREA ? sizeof(meta) : 0) ||
		    opts.data_size_out != sizeof(meta) + size)
			DIE("no metadata in front of the frame (data %u, out %u)",
			    ctx_out.data, opts.data_size_out);
		memcpy(&meta, out, sizeof(meta));
		if (meta.magic != VPNCAP_META_MAGIC || meta.rule != want || meta.rx_queue != 0)
			DIE("bad metadata: magic %#x rule %u (want %d) queue %u", meta.magic,
			    meta.rule, want, meta.rx_queue);
		if (meta.klass != klass ||
		    meta.flags != (via == VIA_RULE ? 0 : VPNCAP_META_FRAGMENT) || meta.hw_ns)
			DIE("bad metadata: class %u (want %u), flags %#x (via %d)", meta.klass,
			    klass, meta.flags, via);
		if (memcmp(out + sizeof(meta), data, size))
			DIE("frame modified");
		return 0;
	}
	if (want >= 0 && !cur_inline &&
	    (opts.retval != XDP_PASS || d.redirect_fail != 1 || d.passed != 1))
		DIE("matched without a socket: action %u", opts.retval);
	if (cur_inline && opts.retval != XDP_PASS)
		DIE("inline: action %u, never anything but XDP_PASS", opts.retval);
	if (ctx_out.data != 0 || opts.data_size_out != size || memcmp(out, data, size))
		DIE("frame modified or metadata on a frame that was not redirected");
	return 0;
}
