// SPDX-License-Identifier: GPL-2.0-only
/*
 * vpncap XDP classifier.
 *
 * Parses Ethernet (both MAC addresses), up to two VLAN tags (both IDs kept),
 * IPv4 (with options) or IPv6 (bounded walk over extension headers) with
 * their addresses and fragment facts, then UDP or TCP, and works out the
 * frame's class (IKE, ESP, NAT-T keepalive). The frame is then matched
 * against the active rule set filled by user space, first match wins.
 * Frames that are not IP (ARP, LLDP) reach the rules too, with nothing
 * above the link layer: only rules on the link layer, "every frame" and
 * expressions can take them. An IP frame whose headers cannot be read is
 * not matched.
 *
 * Expressions (tcpdump's syntax, vpncap/abi.h): when the rule set has any,
 * the hook's program first tail-calls the expression programs, and the
 * last of them this program's resume copy (expr_resume), which classifies
 * with their verdicts.
 *
 * Fragments: a matched first fragment records its datagram in frags_map,
 * so the later fragments (which carry no ports) follow it; a later fragment
 * ahead of its first one is taken when its two hosts exchanged matched
 * traffic within host_window_ns (hosts_map), and its datagram is recorded
 * so the rest follow too.
 *
 * What happens to a matching frame depends on the mode (settings.mode):
 * bypass gives it a metadata header (hook timestamp, rule index, queue,
 * class, flags) and redirects it to the AF_XDP socket of its RX queue;
 * inline copies it, with the same facts in a record header, into the
 * capture_ring ring buffer and passes it on, so the host keeps its traffic.
 * A TC egress program (vpncap_tc_egress) classifies transmitted frames the
 * same way and copies the matching ones into the same ring; it never drops.
 * Unmatched frames are passed to the stack or (bypass, on request) dropped.
 *
 * Every header access is bounds-checked against data_end, so a frame cut at
 * any point in the headers the classifier reads is simply "not matched".
 *
 * The kernel in front of it decides a few things, which user space sets as
 * read-only switches before load (kernel_probe.c finds out what the kernel
 * accepts): where bypass puts the per-frame metadata (the metadata area,
 * or in front of the frame for kernels that refuse bpf_xdp_adjust_meta in
 * XDP, or nowhere), and how inline copies read a received frame. The
 * verifier knows a read-only value and never walks a path it turns off, so
 * a helper the kernel refuses may stay in the object.
 *
 * Built twice: plain, and with -DVPNCAP_HW_TIMESTAMPS, which also asks the
 * driver for each matched frame's hardware receive stamp through the XDP RX
 * metadata kfunc (Linux 6.3+, program loaded device-bound). The kfunc is
 * only in the second object: libbpf 1.1 fails the load of an object whose
 * kfunc extern the kernel lacks and has no bpf_ksym_exists() for a weak
 * one, so the plain object, the one Linux 6.1 loads, must not name it.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <xdp/xdp_helpers.h>

#include "vpncap/abi.h"

#define MAX_VLAN_TAGS 2
#define MAX_IPV6_EXT_HDRS 8
#define IPV4_MF 0x2000
#define IPV4_FRAG_OFFSET_MASK 0x1fff
#define IPV6_FRAG_OFFSET_MASK 0xfff8
#define IPV6_FRAG_MF 0x0001
#define VLAN_VID_MASK 0x0fff

#define IKE_PORT 500
#define NATT_PORT 4500
#define IPPROTO_ESP_ 50

/* Extension header numbers (not all in older uapi headers). */
#define NEXTHDR_HOP 0
#define NEXTHDR_ROUTING 43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_AUTH 51
#define NEXTHDR_DEST 60

/* Rule field bits this classifier knows; a rule naming another never matches. */
#define KNOWN_FIELDS VPNCAP_KNOWN_FIELDS
/* Fields that only an IPv4 or IPv6 frame can satisfy. */
#define IP_FIELDS (VPNCAP_F_PROTO | VPNCAP_F_PORT | VPNCAP_F_ADDR | VPNCAP_F_CLASS | \
		   VPNCAP_F_TCP_FLAGS | VPNCAP_F_ADDR_PAIR | VPNCAP_F_PORT_PAIR)

#define FRAG_TRACK_ENTRIES 16384
#define RING_WAKEUP_BYTES (64 * 1024)  /* records waiting before the reader is woken */
#define HOST_TRACK_ENTRIES 4096

/* Set by user space before load; see the top of this file. */
const volatile __u32 meta_place = VPNCAP_META_IN_AREA;   /* enum vpncap_meta_place */
const volatile __u32 xdp_copy = VPNCAP_XDP_COPY_LOAD_BYTES; /* enum vpncap_xdp_copy */
/*
 * 1 in the copy of this program that expression programs tail-call when
 * they are done (VPNCAP_EXPR_RESUME): it classifies with their verdicts
 * instead of starting the chain (see vpncap/abi.h).
 */
const volatile __u32 expr_resume = 0;

#ifdef VPNCAP_HW_TIMESTAMPS
extern int bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx, __u64 *timestamp) __ksym;
#endif

struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

struct ipv6_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, VPNCAP_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VPNCAP_RULESET_SLOTS);
	__type(key, __u32);
	__type(value, struct vpncap_ruleset);
} rules_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vpncap_settings);
} settings_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VPNCAP_DIRS);
	__type(key, __u32);
	__type(value, struct vpncap_counters);
} counters_map SEC(".maps");

/* Inline copies; user space sets the size (--ring-size) before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} capture_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FRAG_TRACK_ENTRIES);
	__type(key, struct vpncap_frag_key);
	__type(value, struct vpncap_frag_val);
} frags_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HOST_TRACK_ENTRIES);
	__type(key, struct vpncap_host_key);
	__type(value, struct vpncap_host_val);
} hosts_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VPNCAP_MAX_RULES);
	__type(key, __u32);
	__type(value, __u64);
} hits_map SEC(".maps");

enum frag_kind {
	FRAG_NONE = 0,          /* not a fragment (or an IPv6 atomic fragment) */
	FRAG_FIRST = 1,         /* offset 0, more fragments follow: carries the ports */
	FRAG_LATER = 2,         /* offset != 0: no transport header */
};

/* What the parser learnt about a frame; addresses in network byte order. */
struct frame_info {
	__u32 src[4];           /* IPv4 in src[0], the rest 0 */
	__u32 dst[4];
	__u64 expr_bits;        /* bit i: expression i selected the frame (VPNCAP_F_EXPR) */
	__u32 frag_id;          /* IPv4 identification / IPv6 fragment id, host order */
	__u32 mac_dst_hi;       /* first 4 bytes of the destination MAC, as in the frame */
	__u32 mac_src_hi;
	__u16 mac_dst_lo;       /* last 2 bytes */
	__u16 mac_src_lo;
	__u16 vlan[MAX_VLAN_TAGS];  /* VLAN IDs, outer first */
	__u16 sport;            /* host order, valid if has_ports */
	__u16 dport;
	__u16 ethertype;        /* after the VLAN tags, host order */
	__u8 n_vlans;
	__u8 family;            /* 4 or 6; 0: not IP, or IP too short or malformed to read */
	__u8 l4_proto;          /* after IPv6 extension headers */
	__u8 has_ports;         /* a complete UDP or TCP header was there */
	__u8 klass;             /* VPNCAP_CLASS_* or 0 */
	__u8 frag;              /* enum frag_kind */
	__u8 tcp_flags;         /* the TCP header's flags byte (FIN 0x01 .. CWR 0x80) */
	__u8 pad[7];
};

/*
 * The frame being classified lives in this per-CPU slot rather than on the
 * stack, so the rule loop (a global function, vpncap_match_rules()) can
 * find it with a scalar argument only: Linux before 5.12 accepts no pointer
 * arguments to global functions. XDP runs in softirq and TC egress with
 * bottom halves off, so one CPU never runs two classifications at once.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct frame_info);
} frame_scratch SEC(".maps");

/* Expressions (vpncap/abi.h): the verdicts of the frame being classified, per direction. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VPNCAP_DIRS);
	__type(key, __u32);
	__type(value, struct vpncap_expr_state);
} expr_state SEC(".maps");

/* The expression programs and the resume copy, one array per program type. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, VPNCAP_EXPR_PROG_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} expr_progs_xdp SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, VPNCAP_EXPR_PROG_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} expr_progs_tc SEC(".maps");

struct cursor {
	void *pos;
	void *end;
};

/* Returns a pointer to len bytes at the cursor and advances, or NULL. */
static __always_inline void *cursor_pull(struct cursor *c, __u32 len)
{
	void *p = c->pos;

	if (p + len > c->end)
		return NULL;
	c->pos = p + len;
	return p;
}

/* Ethernet plus up to two 802.1Q / 802.1ad tags; returns the inner ethertype. */
static __always_inline int parse_ethernet(struct cursor *c, struct frame_info *f,
					  __u16 *ethertype)
{
	struct ethhdr *eth = cursor_pull(c, sizeof(*eth));
	__u16 proto;
	int i;

	if (!eth)
		return -1;
	__builtin_memcpy(&f->mac_dst_hi, eth->h_dest, 4);
	__builtin_memcpy(&f->mac_dst_lo, eth->h_dest + 4, 2);
	__builtin_memcpy(&f->mac_src_hi, eth->h_source, 4);
	__builtin_memcpy(&f->mac_src_lo, eth->h_source + 4, 2);
	proto = bpf_ntohs(eth->h_proto);
#pragma unroll
	for (i = 0; i < MAX_VLAN_TAGS; i++) {
		struct vlan_hdr *vlan;

		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		vlan = cursor_pull(c, sizeof(*vlan));
		if (!vlan)
			return -1;
		f->vlan[i] = bpf_ntohs(vlan->tci) & VLAN_VID_MASK;
		f->n_vlans = i + 1;
		proto = bpf_ntohs(vlan->encap_proto);
	}
	*ethertype = proto;
	return 0;
}

/* IPv4 header with options; later fragments carry no transport header. */
static __always_inline int parse_ipv4(struct cursor *c, struct frame_info *f)
{
	struct iphdr *ip = cursor_pull(c, sizeof(*ip));
	__u32 hdr_len;
	__u16 frag_off;

	if (!ip || ip->version != 4)
		return -1;
	hdr_len = ip->ihl * 4;
	if (hdr_len < sizeof(*ip))
		return -1;
	if (!cursor_pull(c, hdr_len - sizeof(*ip)))
		return -1;
	f->family = 4;
	f->src[0] = ip->saddr;
	f->dst[0] = ip->daddr;
	f->l4_proto = ip->protocol;
	frag_off = bpf_ntohs(ip->frag_off);
	if (frag_off & IPV4_FRAG_OFFSET_MASK)
		f->frag = FRAG_LATER;
	else if (frag_off & IPV4_MF)
		f->frag = FRAG_FIRST;
	if (f->frag != FRAG_NONE)
		f->frag_id = bpf_ntohs(ip->id);
	return 0;
}

/*
 * IPv6 header and a bounded walk over extension headers to the transport.
 * The walk ends at a fragment header with a non-zero offset: what follows
 * is the middle of the datagram, and its next header is the protocol.
 */
static __always_inline int parse_ipv6(struct cursor *c, struct frame_info *f)
{
	struct ipv6hdr *ip6 = cursor_pull(c, sizeof(*ip6));
	__u8 next;
	int i;

	if (!ip6 || ip6->version != 6)
		return -1;
	f->family = 6;
	__builtin_memcpy(f->src, &ip6->saddr, 16);
	__builtin_memcpy(f->dst, &ip6->daddr, 16);
	next = ip6->nexthdr;
#pragma unroll
	for (i = 0; i < MAX_IPV6_EXT_HDRS; i++) {
		struct ipv6_opt_hdr *opt;
		struct ipv6_frag_hdr *frag;
		__u16 frag_off;

		switch (next) {
		case NEXTHDR_HOP:
		case NEXTHDR_ROUTING:
		case NEXTHDR_DEST:
			opt = cursor_pull(c, sizeof(*opt));
			if (!opt)
				return -1;
			next = opt->nexthdr;
			if (!cursor_pull(c, (opt->hdrlen + 1) * 8 - sizeof(*opt)))
				return -1;
			break;
		case NEXTHDR_AUTH:
			opt = cursor_pull(c, sizeof(*opt));
			if (!opt)
				return -1;
			next = opt->nexthdr;
			if (!cursor_pull(c, (opt->hdrlen + 2) * 4 - sizeof(*opt)))
				return -1;
			break;
		case NEXTHDR_FRAGMENT:
			frag = cursor_pull(c, sizeof(*frag));
			if (!frag)
				return -1;
			next = frag->nexthdr;
			frag_off = bpf_ntohs(frag->frag_off);
			if (frag_off & IPV6_FRAG_OFFSET_MASK) {
				f->frag = FRAG_LATER;
				f->frag_id = bpf_ntohl(frag->identification);
				f->l4_proto = next;
				return 0;
			}
			if (frag_off & IPV6_FRAG_MF) {
				f->frag = FRAG_FIRST;
				f->frag_id = bpf_ntohl(frag->identification);
			}
			break;
		default:
			f->l4_proto = next;
			return 0;
		}
	}
	/*
	 * MAX_IPV6_EXT_HDRS headers walked: what follows them is the transport
	 * unless it is yet another extension header (then do not guess).
	 */
	switch (next) {
	case NEXTHDR_HOP:
	case NEXTHDR_ROUTING:
	case NEXTHDR_DEST:
	case NEXTHDR_AUTH:
	case NEXTHDR_FRAGMENT:
		return -1;
	default:
		f->l4_proto = next;
		return 0;
	}
}

/*
 * UDP 4500 carries IKE behind the four-byte non-ESP marker, NAT-T keepalives
 * (one 0xff byte) and ESP (everything else). The UDP length, not the frame
 * length, says how much payload there is: short frames are padded on the wire.
 */
static __always_inline __u8 natt_class(struct cursor *c, __u16 udp_len)
{
	__u8 *p = c->pos;

	if (udp_len == sizeof(struct udphdr) + 1 && (void *)(p + 1) <= c->end && p[0] == 0xff)
		return VPNCAP_CLASS_KEEPALIVE;
	if (udp_len >= sizeof(struct udphdr) + 4 && (void *)(p + 4) <= c->end &&
	    (p[0] | p[1] | p[2] | p[3]) == 0)
		return VPNCAP_CLASS_IKE;
	return VPNCAP_CLASS_ESP;
}

static __always_inline int parse_transport(struct cursor *c, struct frame_info *f)
{
	struct udphdr *udp;
	struct tcphdr *tcp;

	if (f->frag == FRAG_LATER) {
		/* No transport header; the protocol alone may still say ESP. */
		if (f->l4_proto == IPPROTO_ESP_)
			f->klass = VPNCAP_CLASS_ESP;
		return 0;
	}
	switch (f->l4_proto) {
	case IPPROTO_UDP:
		udp = cursor_pull(c, sizeof(*udp));
		if (!udp)
			return -1;
		f->sport = bpf_ntohs(udp->source);
		f->dport = bpf_ntohs(udp->dest);
		f->has_ports = 1;
		/* 4500 first: NAT may map a source port to 500, never the marker. */
		if (f->sport == NATT_PORT || f->dport == NATT_PORT)
			f->klass = natt_class(c, bpf_ntohs(udp->len));
		else if (f->sport == IKE_PORT || f->dport == IKE_PORT)
			f->klass = VPNCAP_CLASS_IKE;
		return 0;
	case IPPROTO_TCP:
		tcp = cursor_pull(c, sizeof(*tcp));
		if (!tcp)
			return -1;
		f->sport = bpf_ntohs(tcp->source);
		f->dport = bpf_ntohs(tcp->dest);
		f->tcp_flags = ((__u8 *)tcp)[13];
		f->has_ports = 1;
		return 0;
	case IPPROTO_ESP_:
		f->klass = VPNCAP_CLASS_ESP;
		return 0;
	default:
		return 0; /* protocol-only rules need no ports */
	}
}

/* Works on XDP and on TC packet pointers alike: both are checked against end. */
/*
 * 0, or -1 when the frame cannot be read: its Ethernet header (and tags)
 * cut, or an IPv4 or IPv6 frame whose IP or transport header is cut or
 * malformed. A frame that is not IP comes out with family 0 and nothing
 * of layer 3 and up: rules on the link layer, "every frame" and
 * expressions can take it, IP rules never do.
 *
 * A broken IP frame is not handed on to the rules as "not IP": every
 * point where a header can fail would then lead into the whole rest of the
 * program, and Linux 7.3's verifier gives up at a million instructions.
 */
static __always_inline int parse_frame(void *data, void *data_end, struct frame_info *f)
{
	struct cursor c = { .pos = data, .end = data_end };
	__u16 ethertype;
	int err;

	if (parse_ethernet(&c, f, &ethertype))
		return -1;
	f->ethertype = ethertype;
	if (ethertype == ETH_P_IP)
		err = parse_ipv4(&c, f);
	else if (ethertype == ETH_P_IPV6)
		err = parse_ipv6(&c, f);
	else
		return 0;
	if (err)
		return -1;
	return parse_transport(&c, f);
}

/* ------------------------------------------------------------------------ */
/* Rules                                                                    */
/* ------------------------------------------------------------------------ */

/* For aligned loads of the rule's byte arrays (4-byte aligned in the map value). */
typedef __u32 __attribute__((may_alias, aligned(4))) u32_bytes;
typedef __u16 __attribute__((may_alias, aligned(2))) u16_bytes;

/*
 * The prefix test is branch-free: every branch in the rule loop multiplies
 * the paths the verifier walks, 64 times over. OPAQUE hides a value from
 * the compiler so it cannot turn the arithmetic back into compare-and-branch.
 */
#define OPAQUE(x) asm volatile("" : "+r"(x))

/* min(x, lim) for 0 <= x, lim < 2^62. */
static __always_inline __s64 min_nb(__s64 x, __s64 lim)
{
	__s64 d = x - lim, below = d >> 63;     /* -1 if x < lim, else 0 */

	OPAQUE(below);
	return lim + (d & below);
}

/* max(x, 0). */
static __always_inline __s64 max0_nb(__s64 x)
{
	__s64 neg = x >> 63;

	OPAQUE(neg);
	return x & ~neg;
}

/* Host-order mask of the first c bits of a 32-bit word, c in [0, 32]. */
static __always_inline __u32 mask32(__s64 c)
{
	return (__u32)(0xffffffff00000000ull >> c);
}

/*
 * Is the frame's source (bit 0) or destination (bit 1) inside the prefix
 * (of the frame's family)? A length past the family's width counts as the
 * full width.
 */
static __always_inline int prefix_match(const struct vpncap_prefix *p, const struct frame_info *f)
{
	const u32_bytes *pw = (const u32_bytes *)p->addr;
	__u32 ms, md, m;
	__s64 len = p->len;
	int w;

	if (f->family == 4) {
		m = mask32(min_nb(len, 32));
		ms = bpf_ntohl(f->src[0] ^ pw[0]) & m;
		md = bpf_ntohl(f->dst[0] ^ pw[0]) & m;
	} else {
		ms = 0;
		md = 0;
#pragma unroll
		for (w = 0; w < 4; w++) {
			m = mask32(min_nb(max0_nb(len - 32 * w), 32));
			ms |= bpf_ntohl(f->src[w] ^ pw[w]) & m;
			md |= bpf_ntohl(f->dst[w] ^ pw[w]) & m;
		}
	}
	return (!ms) | ((!md) << 1);
}

/* PktMon's two addresses: one end in addrs[0], the other in addrs[1]. */
static __always_inline int addr_pair_match(const struct vpncap_rule *r, const struct frame_info *f)
{
	int a, b;

	if (r->addrs[0].family != f->family || r->addrs[1].family != f->family)
		return 0;
	a = prefix_match(&r->addrs[0], f);
	b = prefix_match(&r->addrs[1], f);
	return ((a & 1) && (b & 2)) || ((a & 2) && (b & 1));
}

static __always_inline int mac_is(const __u8 *mac, __u32 hi, __u16 lo)
{
	return *(const u32_bytes *)mac == hi && *(const u16_bytes *)(mac + 4) == lo;
}

/* One MAC either way, or (F_MAC_PAIR) mac at one end and mac2 at the other. */
static __always_inline int mac_match(const struct vpncap_rule *r, const struct frame_info *f)
{
	int s = mac_is(r->mac, f->mac_src_hi, f->mac_src_lo);
	int d = mac_is(r->mac, f->mac_dst_hi, f->mac_dst_lo);

	if (!(r->fields & VPNCAP_F_MAC_PAIR))
		return s || d;
	return (s && mac_is(r->mac2, f->mac_dst_hi, f->mac_dst_lo)) ||
	       (d && mac_is(r->mac2, f->mac_src_hi, f->mac_src_lo));
}

static __always_inline int ports_match(const struct vpncap_rule *r, const struct frame_info *f)
{
	__u16 lo = r->port_lo, hi = r->port_hi;

	if (!f->has_ports)
		return 0;
	if (r->fields & VPNCAP_F_PORT_PAIR)
		return (f->sport == lo && f->dport == r->port2) ||
		       (f->sport == r->port2 && f->dport == lo);
	return (f->sport >= lo && f->sport <= hi) || (f->dport >= lo && f->dport <= hi);
}

static __always_inline int addrs_match(const struct vpncap_rule *r, const struct frame_info *f)
{
	__u32 k;

#pragma unroll
	for (k = 0; k < VPNCAP_RULE_ADDRS; k++) {
		const struct vpncap_prefix *p = &r->addrs[k];

		/* Fresh loads for each prefix (see vpncap_match_rules()). */
		asm volatile("" ::: "memory");
		if (k >= r->n_addrs)
			break;
		if (p->family != f->family)
			continue;       /* also skips unused slots (family 0) */
		if (prefix_match(p, f))
			return 1;
	}
	return 0;
}

/* Does the frame satisfy every field the rule names? */
static __always_inline int rule_match(const struct vpncap_rule *r, const struct frame_info *f)
{
	__u32 fields = r->fields;

	if (fields & ~KNOWN_FIELDS)
		return 0;
	/* No fields: every IP frame; VPNCAP_F_ALL: every frame. */
	if (!f->family && (!fields || (fields & IP_FIELDS)))
		return 0;
	if ((fields & VPNCAP_F_ETHERTYPE) && r->ethertype != f->ethertype)
		return 0;
	if ((fields & VPNCAP_F_EXPR) && !((f->expr_bits >> (r->expr_slot & 63)) & 1))
		return 0;
	if ((fields & VPNCAP_F_PROTO) && r->l4_proto != f->l4_proto)
		return 0;
	if ((fields & (VPNCAP_F_PORT | VPNCAP_F_PORT_PAIR)) && !ports_match(r, f))
		return 0;
	if ((fields & VPNCAP_F_TCP_FLAGS) &&
	    (f->l4_proto != IPPROTO_TCP || !f->has_ports ||
	     (f->tcp_flags & r->tcp_flags) != r->tcp_flags))
		return 0;
	if ((fields & VPNCAP_F_CLASS) && !(r->class_mask & f->klass))
		return 0;
	if (fields & VPNCAP_F_VLAN) {
		__u16 vid = r->vlan_id;

		if (!((f->n_vlans >= 1 && f->vlan[0] == vid) ||
		      (f->n_vlans >= 2 && f->vlan[1] == vid)))
			return 0;
	}
	if ((fields & (VPNCAP_F_MAC | VPNCAP_F_MAC_PAIR)) && !mac_match(r, f))
		return 0;
	if (fields & VPNCAP_F_ADDR_PAIR)
		return addr_pair_match(r, f);
	if ((fields & VPNCAP_F_ADDR) && !addrs_match(r, f))
		return 0;
	return 1;
}

/*
 * Does the frame in frame_scratch match rule i of rule set slot? A global
 * function, so the verifier checks it once, on its own, where the rule and
 * the frame are plain map memory of known size, whatever calls it. Inlined
 * into the loop below, each of the 64 iterations was checked again with
 * every branch of a rule (the pairs, the expression bit, the link layer):
 * Linux 7.3 gave up at a million instructions.
 */
__noinline int vpncap_rule_matches(__u32 slot, __u32 i)
{
	const struct vpncap_ruleset *set;
	const struct frame_info *f;
	__u32 zero = 0;

	set = bpf_map_lookup_elem(&rules_map, &slot);
	f = bpf_map_lookup_elem(&frame_scratch, &zero);
	if (!set || !f || i >= VPNCAP_MAX_RULES)
		return 0;
	/* The bound on the register that indexes (clang checked a copy). */
	asm volatile("%0 &= %1" : "+r"(i) : "i"(VPNCAP_MAX_RULES - 1));
	return rule_match(&set->rules[i], f);
}

/* Index of the first rule of rule set slot that the frame matches, or -1. */
__noinline int vpncap_match_rules(__u32 slot)
{
	const struct vpncap_ruleset *set;
	__u32 count, i;

	set = bpf_map_lookup_elem(&rules_map, &slot);
	if (!set)
		return -1;
	count = set->count;
	for (i = 0; i < VPNCAP_MAX_RULES; i++) {
		if (i >= count)
			break;
		if (vpncap_rule_matches(slot, i))
			return (int)i;
	}
	return -1;
}

/* ------------------------------------------------------------------------ */
/* Fragment and host tracking                                               */
/* ------------------------------------------------------------------------ */

static __always_inline void frag_key(struct vpncap_frag_key *k, const struct frame_info *f)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->family = f->family;
	k->id = f->frag_id;
	__builtin_memcpy(k->src, f->src, 16);
	__builtin_memcpy(k->dst, f->dst, 16);
}

/* src <= dst as unsigned big-endian numbers? */
static __always_inline int addr_le(const __u32 *a, const __u32 *b)
{
	int w;

#pragma unroll
	for (w = 0; w < 4; w++) {
		__u32 x = bpf_ntohl(a[w]), y = bpf_ntohl(b[w]);

		if (x != y)
			return x < y;
	}
	return 1;
}

/* The host pair, lower address first, so both directions share the key. */
static __always_inline void host_key(struct vpncap_host_key *k, const struct frame_info *f)
{
	int src_low = addr_le(f->src, f->dst);

	__builtin_memset(k, 0, sizeof(*k));
	k->family = f->family;
	__builtin_memcpy(k->a, src_low ? f->src : f->dst, 16);
	__builtin_memcpy(k->b, src_low ? f->dst : f->src, 16);
}

static __always_inline void frag_remember(const struct frame_info *f, __u16 rule, __u64 now,
					  __u64 timeout)
{
	struct vpncap_frag_key k;
	struct vpncap_frag_val v = {};

	frag_key(&k, f);
	/* Saturate: a huge timeout means "until evicted". */
	v.expires_ns = timeout > ~0ull - now ? ~0ull : now + timeout;
	v.rule = rule;
	bpf_map_update_elem(&frags_map, &k, &v, BPF_ANY);
}

/* A later fragment of a datagram whose first fragment matched: its rule, or -1. */
static __always_inline int frag_lookup(const struct frame_info *f, __u64 now)
{
	struct vpncap_frag_key k;
	struct vpncap_frag_val *v;

	frag_key(&k, f);
	v = bpf_map_lookup_elem(&frags_map, &k);
	if (!v || now >= v->expires_ns)
		return -1;
	return v->rule < VPNCAP_MAX_RULES ? v->rule : -1;
}

/* The rule of the last matched frame between the two hosts within window, or -1. */
static __always_inline int host_lookup(const struct frame_info *f, __u64 now, __u64 window)
{
	struct vpncap_host_key k;
	struct vpncap_host_val *v;
	__u64 last;

	host_key(&k, f);
	v = bpf_map_lookup_elem(&hosts_map, &k);
	if (!v)
		return -1;
	last = v->last_ns;
	if (now > last && now - last > window)
		return -1;
	return v->rule < VPNCAP_MAX_RULES ? v->rule : -1;
}

/* Every matched frame refreshes its host pair (in place when present). */
static __always_inline void host_refresh(const struct frame_info *f, __u16 rule, __u64 now)
{
	struct vpncap_host_key k;
	struct vpncap_host_val *v, nv = {};

	host_key(&k, f);
	v = bpf_map_lookup_elem(&hosts_map, &k);
	if (v) {
		v->last_ns = now;
		v->rule = rule;
		return;
	}
	nv.last_ns = now;
	nv.rule = rule;
	bpf_map_update_elem(&hosts_map, &k, &nv, BPF_NOEXIST);
}

/* ------------------------------------------------------------------------ */
/* Classification, shared by the XDP and the TC hook                        */
/* ------------------------------------------------------------------------ */

/* The settings, read once per frame: the whole frame uses one rule set. */
struct hook_config {
	struct vpncap_ruleset *set;
	__u32 slot;             /* of set in rules_map */
	__u64 frag_timeout;
	__u64 host_window;
	__u32 unmatched;
	__u32 mode;
	__u32 snaplen;
	__u32 xsk_sg;
};

/* What classify() found for a matching frame. */
struct match {
	__u64 now;              /* bpf_ktime_get_ns() at the hook */
	__u64 hw_ns;            /* the driver's receive stamp, 0 if none */
	__u32 rule;             /* index of the first matching rule */
	__u8 klass;             /* VPNCAP_CLASS_* */
	__u8 flags;             /* VPNCAP_META_* */
};

static __always_inline int read_config(struct hook_config *hc)
{
	struct vpncap_settings *settings;
	__u32 key = 0, slot;

	settings = bpf_map_lookup_elem(&settings_map, &key);
	if (!settings)
		return -1;
	slot = settings->active_rules & 1;
	hc->unmatched = settings->unmatched;
	hc->mode = settings->mode;
	hc->snaplen = settings->snaplen;
	hc->xsk_sg = settings->xsk_sg;
	hc->frag_timeout = settings->frag_timeout_ns;
	hc->host_window = settings->host_window_ns;
	hc->slot = slot;
	hc->set = bpf_map_lookup_elem(&rules_map, &slot);
	return hc->set ? 0 : -1;
}

/*
 * Does the frame match? Later fragments follow their datagram's first
 * fragment, or a recent exchange of their two hosts. Counts the match and
 * the rule's hit. 1 with m filled, or 0.
 */
static __always_inline int classify(void *data, void *data_end, const struct hook_config *hc,
				    __u64 expr_bits, struct vpncap_counters *cnt, struct match *m)
{
	struct frame_info *f;
	__u32 rule_key, zero = 0;
	__u64 now, *hits;
	__u8 flags = 0;
	int rule = -1;

	f = bpf_map_lookup_elem(&frame_scratch, &zero);
	if (!f)
		return 0;
	__builtin_memset(f, 0, sizeof(*f));
	if (parse_frame(data, data_end, f))
		return 0;
	f->expr_bits = expr_bits;
	/* The clock only for frames that need it: fragments and matches. */
	now = f->frag != FRAG_NONE ? bpf_ktime_get_ns() : 0;

	/* A later fragment follows its datagram's first fragment's rule. */
	if (f->frag == FRAG_LATER && hc->frag_timeout) {
		rule = frag_lookup(f, now);
		if (rule >= 0) {
			flags = VPNCAP_META_FRAGMENT;
			cnt->fragments++;
		}
	}
	if (rule < 0) {
		rule = vpncap_match_rules(hc->slot);
		/* A matched first fragment: its later fragments will follow. */
		if (rule >= 0 && f->frag == FRAG_FIRST && hc->frag_timeout)
			frag_remember(f, rule, now, hc->frag_timeout);
	}
	/* A fragment ahead of its first one: taken if its hosts talked lately. */
	if (rule < 0 && f->frag == FRAG_LATER && hc->host_window) {
		rule = host_lookup(f, now, hc->host_window);
		if (rule >= 0) {
			flags = VPNCAP_META_FRAGMENT;
			cnt->early_fragments++;
			if (hc->frag_timeout)
				frag_remember(f, rule, now, hc->frag_timeout);
		}
	}
	if (rule < 0 || rule >= VPNCAP_MAX_RULES)
		return 0;
	if (!now)
		now = bpf_ktime_get_ns();
	if (hc->host_window && f->family)
		host_refresh(f, rule, now);
	cnt->matched++;
	rule_key = rule;
	hits = bpf_map_lookup_elem(&hits_map, &rule_key);
	if (hits)
		(*hits)++;
	m->now = now;
	m->hw_ns = 0;
	m->rule = rule_key;
	m->klass = f->klass;
	m->flags = flags;
	return 1;
}

/* ------------------------------------------------------------------------ */
/* Inline: copies into capture_ring                                         */
/* ------------------------------------------------------------------------ */

/* Bytes to copy: the frame, cut at the rule's snaplen, the capture's, the ring's limit. */
static __always_inline __u32 copy_len(const struct hook_config *hc, const struct match *m,
				      __u32 len, struct vpncap_counters *cnt)
{
	/*
	 * classify() only gives rules below VPNCAP_MAX_RULES (a power of two);
	 * the mask bounds the very register that indexes, which older verifiers
	 * (Linux 6.1) need: they lose a bound checked on a copy spilled to the stack.
	 */
	__u32 snap = hc->snaplen, rule_snap = hc->set->rules[m->rule & (VPNCAP_MAX_RULES - 1)].snaplen;

	if (rule_snap && (!snap || rule_snap < snap))
		snap = rule_snap;
	if (snap && len > snap)
		len = snap;
	if (len > VPNCAP_RING_MAX_COPY) {
		len = VPNCAP_RING_MAX_COPY;
		cnt->truncated++;
	}
	return len;
}

/*
 * One record of room bytes of frame (a constant in each inlined copy: the
 * verifier wants a known reservation size). 0 when submitted, -1 when the
 * ring had no room, -2 when the frame could not be read.
 */
static __always_inline int ring_put(void *ctx, int is_xdp, const struct vpncap_ring_rec *hdr,
				    __u64 caplen, const __u64 room)
{
	struct vpncap_ring_rec *rec;
	__u64 last;
	int err;

	rec = bpf_ringbuf_reserve(&capture_ring, sizeof(*rec) + room, 0);
	if (!rec)
		return -1;
	/*
	 * The caller's size class already bounds caplen (at least an Ethernet
	 * header, at most room), but the verifier must see 1 <= length <= room
	 * on the very register passed. Clamping the index of the last byte and
	 * adding one gives that on every verifier: Linux 6.1's learns no lower
	 * bound from "!= 0", and a 32-bit value would be compared through a
	 * zero-extended copy.
	 */
	last = caplen - 1;
	OPAQUE(last);
	if (last > room - 1)
		last = room - 1;
	*rec = *hdr;
	rec->caplen = last + 1;
	if (!is_xdp)
		err = bpf_skb_load_bytes(ctx, 0, rec + 1, last + 1);
	else if (xdp_copy == VPNCAP_XDP_COPY_LOAD_BYTES)
		err = bpf_xdp_load_bytes(ctx, 0, rec + 1, last + 1);
	else    /* linear frames only there: caplen is at most data_end - data */
		err = bpf_probe_read_kernel(rec + 1, last + 1,
					    (void *)(long)((struct xdp_md *)ctx)->data);
	if (err) {
		bpf_ringbuf_discard(rec, BPF_RB_NO_WAKEUP);
		return -2;
	}
	/*
	 * Wake the reader only once a batch is waiting: a wakeup per record
	 * costs more than the copy. At low rates the capture loop's 100 ms poll
	 * timeout picks the records up anyway.
	 */
	bpf_ringbuf_submit(rec, bpf_ringbuf_query(&capture_ring, BPF_RB_AVAIL_DATA) >=
			   RING_WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
	return 0;
}

/* The smallest size class that holds caplen bytes: at most twice the need. */

static __always_inline int ring_put_sized(void *ctx, int is_xdp,
					  const struct vpncap_ring_rec *hdr, __u32 caplen)
{
	if (caplen <= 128)
		return ring_put(ctx, is_xdp, hdr, caplen, 128);
	if (caplen <= 256)
		return ring_put(ctx, is_xdp, hdr, caplen, 256);
	if (caplen <= 512)
		return ring_put(ctx, is_xdp, hdr, caplen, 512);
	if (caplen <= 1024)
		return ring_put(ctx, is_xdp, hdr, caplen, 1024);
	if (caplen <= 1536)
		return ring_put(ctx, is_xdp, hdr, caplen, 1536);
	if (caplen <= 2048)
		return ring_put(ctx, is_xdp, hdr, caplen, 2048);
	if (caplen <= 4096)
		return ring_put(ctx, is_xdp, hdr, caplen, 4096);
	if (caplen <= 9216)
		return ring_put(ctx, is_xdp, hdr, caplen, 9216);
	if (caplen <= 16384)
		return ring_put(ctx, is_xdp, hdr, caplen, 16384);
	if (caplen <= 32768)
		return ring_put(ctx, is_xdp, hdr, caplen, 32768);
	return ring_put(ctx, is_xdp, hdr, caplen, VPNCAP_RING_MAX_COPY);
}

/* Copy a matching frame into the ring; a full ring loses the copy, never the frame. */
static __always_inline void copy_frame(void *ctx, int is_xdp, const struct hook_config *hc,
				       struct vpncap_counters *cnt, const struct match *m,
				       __u32 len, __u32 queue, __u8 ring_flags)
{
	struct vpncap_ring_rec hdr = {
		.hook_ns = m->now,
		.origlen = len,
		.rule = m->rule,
		.queue = queue,
		.klass = m->klass,
		.flags = m->flags,
		.ring_flags = ring_flags,
		.hw_ns = m->hw_ns,
	};

	if (ring_put_sized(ctx, is_xdp, &hdr, copy_len(hc, m, len, cnt)))
		cnt->ring_full++;
	else
		cnt->copied++;
}

/* ------------------------------------------------------------------------ */
/* Bypass: redirect into AF_XDP                                             */
/* ------------------------------------------------------------------------ */

#define META_LEN ((int)sizeof(struct vpncap_meta))

static __always_inline void fill_meta(struct vpncap_meta *meta, const struct xdp_md *ctx,
				      const struct match *m)
{
	meta->hook_ns = m->now;
	meta->rule = m->rule;
	meta->magic = VPNCAP_META_MAGIC;
	meta->rx_queue = ctx->rx_queue_index;
	meta->klass = m->klass;
	meta->flags = m->flags;
	meta->hw_ns = m->hw_ns;
}

/*
 * In the metadata area. A refusal only loses the stamp: the consumer
 * trusts only a magic it finds there.
 */
static __always_inline int meta_in_area(struct xdp_md *ctx, const struct match *m)
{
	struct vpncap_meta *meta;

	if (bpf_xdp_adjust_meta(ctx, -META_LEN))
		return 0;
	meta = (void *)(long)ctx->data_meta;
	if ((void *)(meta + 1) > (void *)(long)ctx->data)
		return 0;
	fill_meta(meta, ctx, m);
	return 0;
}

/* In front of the frame: 1, or -1 when there is no headroom for it. */
static __always_inline int meta_in_head(struct xdp_md *ctx, const struct match *m)
{
	struct vpncap_meta *meta;

	if (bpf_xdp_adjust_head(ctx, -META_LEN))
		return -1;
	meta = (void *)(long)ctx->data;
	if ((void *)(meta + 1) > (void *)(long)ctx->data_end) {
		bpf_xdp_adjust_head(ctx, META_LEN);
		return -1;
	}
	fill_meta(meta, ctx, m);
	return 1;
}

/*
 * The metadata of a frame about to be redirected, where meta_place says.
 * 1: the frame now starts with it (HEAD), so a redirect that does not
 * happen must take it off again; 0: it went into the metadata area, or
 * nowhere (NONE); -1: HEAD could not prepend it, and the frame must not
 * reach the socket, whose reader strips the first bytes of every frame.
 */
static __always_inline int put_meta(struct xdp_md *ctx, const struct match *m)
{
	if (meta_place == VPNCAP_META_IN_AREA)
		return meta_in_area(ctx, m);
	if (meta_place == VPNCAP_META_IN_HEAD)
		return meta_in_head(ctx, m);
	return 0;
}

/*
 * The driver's receive stamp of a matched frame. Drivers answer 0 with a
 * zero stamp when they have none for this frame (veth for a frame from its
 * peer's stack, a NIC with stamping off), so both are needed for the flag.
 */
static __always_inline void hw_timestamp(struct xdp_md *ctx, struct match *m,
					 struct vpncap_counters *cnt)
{
#ifdef VPNCAP_HW_TIMESTAMPS
	__u64 ns = 0;

	if (bpf_xdp_metadata_rx_timestamp(ctx, &ns) || !ns)
		return;
	m->hw_ns = ns;
	m->flags |= VPNCAP_META_HW_TS;
	cnt->hw_stamped++;
#else
	(void)ctx;
	(void)m;
	(void)cnt;
#endif
}

/* Inline never drops: the host's traffic goes on whatever the settings say. */
static __always_inline int unmatched_verdict(struct vpncap_counters *cnt,
					     const struct hook_config *hc)
{
	if (hc->unmatched == VPNCAP_UNMATCHED_DROP && hc->mode == VPNCAP_MODE_BYPASS) {
		cnt->dropped++;
		return XDP_DROP;
	}
	cnt->passed++;
	return XDP_PASS;
}

/* ------------------------------------------------------------------------ */
/* Expressions                                                              */
/* ------------------------------------------------------------------------ */

/*
 * The hook's own program: when the rule set has expressions, hand the frame
 * to the first expression program of its bank. Returns only when there is
 * none (the bank is empty): the frame is then classified with no verdicts.
 * The device-bound program (hardware stamps) may not tail-call at all.
 */
static __always_inline void expr_chain_start(void *ctx, void *progs, __u32 dir,
					     const struct hook_config *hc)
{
#ifndef VPNCAP_HW_TIMESTAMPS
	struct vpncap_expr_state *st;

	if (!hc->set->n_exprs)
		return;
	st = bpf_map_lookup_elem(&expr_state, &dir);
	if (!st)
		return;
	st->bits = 0;
	st->rules_slot = hc->slot;
	bpf_tail_call(ctx, progs, VPNCAP_EXPR_BANK(hc->slot & 1));
#else
	(void)ctx, (void)progs, (void)dir, (void)hc;
#endif
}

/*
 * The resume copy: the verdicts and the rule set the chain ran for. The
 * rule set is the one the chain started with, even if user space flipped
 * active_rules in between: the bits belong to that set's expressions.
 */
static __always_inline int expr_chain_result(__u32 dir, struct hook_config *hc, __u64 *bits)
{
	struct vpncap_expr_state *st = bpf_map_lookup_elem(&expr_state, &dir);
	__u32 slot;

	if (!st)
		return -1;
	slot = st->rules_slot & 1;
	*bits = st->bits;
	hc->slot = slot;
	hc->set = bpf_map_lookup_elem(&rules_map, &slot);
	return hc->set ? 0 : -1;
}

/*
 * Counts the frame and runs the expressions (the hook's own program), or
 * picks up their verdicts (the resume copy). 0, or -1: pass the frame on.
 */
static __always_inline int expr_run(void *ctx, void *progs, __u32 dir, struct hook_config *hc,
				    struct vpncap_counters *cnt, __u64 *bits)
{
	*bits = 0;
	if (expr_resume)
		return expr_chain_result(dir, hc, bits);
	cnt->seen++;
	expr_chain_start(ctx, progs, dir, hc);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Entry points                                                             */
/* ------------------------------------------------------------------------ */

/* Let other programs on the libxdp dispatcher run after us on XDP_PASS. */
struct {
	__uint(priority, 10);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(vpncap_xdp);

/*
 * Received frames. User space loads this program multi-buffer aware
 * (BPF_F_XDP_HAS_FRAGS) where the driver accepts that: a jumbo frame, or a
 * GRO frame on veth, is then seen whole through bpf_xdp_load_bytes(), and a
 * veth peer keeps GSO. Elsewhere (virtio-net on Linux 6.1) it is loaded
 * without, and every frame fits the linear area.
 */
SEC("xdp")
int vpncap_xdp(struct xdp_md *ctx)
{
	__u32 key = VPNCAP_DIR_IN, queue = ctx->rx_queue_index;
	void *data, *data_end;
	struct vpncap_counters *cnt;
	struct hook_config hc;
	struct match m;
	__u64 len, bits;
	int placed;

	cnt = bpf_map_lookup_elem(&counters_map, &key);
	if (!cnt || read_config(&hc))
		return XDP_PASS;
	if (expr_run(ctx, &expr_progs_xdp, key, &hc, cnt, &bits)) {
		cnt->passed++;
		return XDP_PASS;
	}
	/*
	 * The frame's pointers only after the tail call: a tail call that
	 * returns may have changed the packet for all the verifier knows, and
	 * Linux 6.12 takes every packet pointer from before it as unusable.
	 */
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (!classify(data, data_end, &hc, bits, cnt, &m))
		return unmatched_verdict(cnt, &hc);
	hw_timestamp(ctx, &m, cnt);

	/*
	 * Inline copies. So does bypass for a multi-buffer frame when the
	 * sockets were bound without XDP_USE_SG (they cannot take it): the
	 * frame then goes on to the stack rather than being lost. Kernels
	 * without bpf_xdp_get_buff_len (5.18) have no multi-buffer frames.
	 */
	len = xdp_copy == VPNCAP_XDP_COPY_LOAD_BYTES ? bpf_xdp_get_buff_len(ctx) :
						       (__u64)(data_end - data);
	if (hc.mode == VPNCAP_MODE_INLINE || (len > (__u64)(data_end - data) && !hc.xsk_sg))
		goto copy;
	if (!bpf_map_lookup_elem(&xsks_map, &queue)) {
		/* No socket on this queue (not chosen with -q): leave it to the stack. */
		cnt->redirect_fail++;
		cnt->passed++;
		return XDP_PASS;
	}
	placed = put_meta(ctx, &m);
	if (placed < 0)
		goto copy;      /* no headroom for the metadata: copied and passed instead */
	if (bpf_redirect_map(&xsks_map, queue, XDP_PASS) == XDP_REDIRECT) {
		cnt->redirected++;
		return XDP_REDIRECT;
	}
	/* The socket went away since the lookup: the stack gets the frame as it came. */
	if (placed)
		bpf_xdp_adjust_head(ctx, META_LEN);
	cnt->redirect_fail++;
	cnt->passed++;
	return XDP_PASS;
copy:
	copy_frame(ctx, 1, &hc, cnt, &m, len, queue, 0);
	cnt->passed++;
	return XDP_PASS;
}

/* The linear part of a transmitted skb nearly always holds its headers. */
#define EGRESS_PULL_BYTES 64

/*
 * Transmitted frames (TC egress, through a tcx link or a clsact filter):
 * matching ones are copied; every frame goes on, and TC_ACT_UNSPEC lets
 * the programs after this one decide.
 */
SEC("tc")
int vpncap_tc_egress(struct __sk_buff *skb)
{
	__u32 key = VPNCAP_DIR_OUT, want;
	struct vpncap_counters *cnt;
	struct hook_config hc;
	struct match m;
	__u64 bits;

	cnt = bpf_map_lookup_elem(&counters_map, &key);
	if (!cnt || read_config(&hc))
		return TC_ACT_UNSPEC;
	if (expr_run(skb, &expr_progs_tc, key, &hc, cnt, &bits)) {
		cnt->passed++;
		return TC_ACT_UNSPEC;
	}
	want = skb->len < EGRESS_PULL_BYTES ? skb->len : EGRESS_PULL_BYTES;
	if ((__u32)(skb->data_end - skb->data) < want)
		bpf_skb_pull_data(skb, want);
	if (classify((void *)(long)skb->data, (void *)(long)skb->data_end, &hc, bits, cnt, &m))
		copy_frame(skb, 0, &hc, cnt, &m, skb->len, skb->queue_mapping,
			   VPNCAP_RING_OUTBOUND);
	cnt->passed++;
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "GPL";
