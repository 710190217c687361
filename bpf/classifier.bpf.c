// SPDX-License-Identifier: GPL-2.0-only
/*
 * vpncap XDP classifier.
 *
 * Parses Ethernet, up to two VLAN tags, IPv4 (with options) or IPv6 (bounded
 * walk over extension headers), then UDP or TCP, and matches the frame against
 * the rule table filled by user space. Matching frames get a metadata header
 * (hook timestamp, rule index, queue) and are redirected to the AF_XDP socket
 * of their RX queue; the rest are passed to the stack or dropped.
 *
 * Every header access is bounds-checked against data_end, so a frame cut at
 * any point is simply "not matched".
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <xdp/xdp_helpers.h>

#include "vpncap/abi.h"

#define MAX_VLAN_TAGS 2
#define MAX_IPV6_EXT_HDRS 8
#define IPV4_FRAG_OFFSET_MASK 0x1fff

/* Extension header numbers (not all in older uapi headers). */
#define NEXTHDR_HOP 0
#define NEXTHDR_ROUTING 43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_AUTH 51
#define NEXTHDR_DEST 60

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
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vpncap_counters);
} counters_map SEC(".maps");

/* Ports of the transport header, in host order; l4_proto says which header. */
struct flow_ports {
	__u8 l4_proto;
	__u16 sport;
	__u16 dport;
};

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
static __always_inline int parse_ethernet(struct cursor *c, __u16 *ethertype)
{
	struct ethhdr *eth = cursor_pull(c, sizeof(*eth));
	__u16 proto;
	int i;

	if (!eth)
		return -1;
	proto = bpf_ntohs(eth->h_proto);
#pragma unroll
	for (i = 0; i < MAX_VLAN_TAGS; i++) {
		struct vlan_hdr *vlan;

		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		vlan = cursor_pull(c, sizeof(*vlan));
		if (!vlan)
			return -1;
		proto = bpf_ntohs(vlan->encap_proto);
	}
	*ethertype = proto;
	return 0;
}

/* IPv4 header with options; non-first fragments carry no transport header. */
static __always_inline int parse_ipv4(struct cursor *c, __u8 *l4_proto)
{
	struct iphdr *ip = cursor_pull(c, sizeof(*ip));
	__u32 hdr_len;

	if (!ip || ip->version != 4)
		return -1;
	hdr_len = ip->ihl * 4;
	if (hdr_len < sizeof(*ip))
		return -1;
	if (!cursor_pull(c, hdr_len - sizeof(*ip)))
		return -1;
	if (bpf_ntohs(ip->frag_off) & IPV4_FRAG_OFFSET_MASK)
		return -1;
	*l4_proto = ip->protocol;
	return 0;
}

/* IPv6 header and a bounded walk over extension headers to the transport. */
static __always_inline int parse_ipv6(struct cursor *c, __u8 *l4_proto)
{
	struct ipv6hdr *ip6 = cursor_pull(c, sizeof(*ip6));
	__u8 next;
	int i;

	if (!ip6 || ip6->version != 6)
		return -1;
	next = ip6->nexthdr;
#pragma unroll
	for (i = 0; i < MAX_IPV6_EXT_HDRS; i++) {
		struct ipv6_opt_hdr *opt;
		struct ipv6_frag_hdr *frag;

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
			/* Offset is the upper 13 bits; only the first fragment has ports. */
			if (bpf_ntohs(frag->frag_off) & ~7)
				return -1;
			next = frag->nexthdr;
			break;
		default:
			*l4_proto = next;
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
		*l4_proto = next;
		return 0;
	}
}

static __always_inline int parse_transport(struct cursor *c, struct flow_ports *fp)
{
	struct udphdr *udp;
	struct tcphdr *tcp;

	switch (fp->l4_proto) {
	case IPPROTO_UDP:
		udp = cursor_pull(c, sizeof(*udp));
		if (!udp)
			return -1;
		fp->sport = bpf_ntohs(udp->source);
		fp->dport = bpf_ntohs(udp->dest);
		return 0;
	case IPPROTO_TCP:
		tcp = cursor_pull(c, sizeof(*tcp));
		if (!tcp)
			return -1;
		fp->sport = bpf_ntohs(tcp->source);
		fp->dport = bpf_ntohs(tcp->dest);
		return 0;
	default:
		return 0; /* protocol-only rules (e.g. ESP) need no ports */
	}
}

static __always_inline int parse_frame(struct xdp_md *ctx, struct flow_ports *fp)
{
	struct cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	__u16 ethertype;
	int err;

	if (parse_ethernet(&c, &ethertype))
		return -1;
	if (ethertype == ETH_P_IP)
		err = parse_ipv4(&c, &fp->l4_proto);
	else if (ethertype == ETH_P_IPV6)
		err = parse_ipv6(&c, &fp->l4_proto);
	else
		return -1;
	if (err)
		return -1;
	return parse_transport(&c, fp);
}

/* Index of the first rule the flow matches, or -1. */
static __always_inline int match_rules(const struct vpncap_ruleset *set,
				       const struct flow_ports *fp)
{
	__u32 count = set->count;
	__u32 i;

	for (i = 0; i < VPNCAP_MAX_RULES; i++) {
		const struct vpncap_rule *r = &set->rules[i];

		if (i >= count)
			break;
		/* l4_proto 0 marks an unused slot (abi.h); IPv4 protocol 0 must not hit it. */
		if (r->l4_proto == 0 || r->l4_proto != fp->l4_proto)
			continue;
		if (r->port == 0 || r->port == fp->sport || r->port == fp->dport)
			return (int)i;
	}
	return -1;
}

/* Put the hook timestamp in front of the frame; failure only loses the stamp. */
static __always_inline void write_meta(struct xdp_md *ctx, __u16 rule)
{
	struct vpncap_meta *meta;
	void *data;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*meta)))
		return;
	meta = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if ((void *)(meta + 1) > data)
		return;
	meta->hook_ns = bpf_ktime_get_ns();
	meta->rule = rule;
	meta->magic = VPNCAP_META_MAGIC;
	meta->rx_queue = ctx->rx_queue_index;
}

static __always_inline int unmatched_verdict(struct vpncap_counters *cnt,
					     const struct vpncap_settings *s)
{
	if (s->unmatched == VPNCAP_UNMATCHED_DROP) {
		cnt->dropped++;
		return XDP_DROP;
	}
	cnt->passed++;
	return XDP_PASS;
}

/* Let other programs on the libxdp dispatcher run after us on XDP_PASS. */
struct {
	__uint(priority, 10);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(vpncap_xdp);

SEC("xdp")
int vpncap_xdp(struct xdp_md *ctx)
{
	struct flow_ports fp = {};
	struct vpncap_settings *settings;
	struct vpncap_counters *cnt;
	struct vpncap_ruleset *set;
	__u32 key = 0, slot, queue = ctx->rx_queue_index;
	int rule;

	cnt = bpf_map_lookup_elem(&counters_map, &key);
	settings = bpf_map_lookup_elem(&settings_map, &key);
	if (!cnt || !settings)
		return XDP_PASS;
	/* One read of the active slot: the whole frame uses that one rule set. */
	slot = settings->active_rules & 1;
	set = bpf_map_lookup_elem(&rules_map, &slot);
	if (!set)
		return XDP_PASS;
	cnt->seen++;

	if (parse_frame(ctx, &fp))
		return unmatched_verdict(cnt, settings);
	rule = match_rules(set, &fp);
	if (rule < 0)
		return unmatched_verdict(cnt, settings);
	cnt->matched++;

	if (!bpf_map_lookup_elem(&xsks_map, &queue)) {
		/* No socket on this queue (not chosen with -q): leave it to the stack. */
		cnt->redirect_fail++;
		cnt->passed++;
		return XDP_PASS;
	}
	write_meta(ctx, rule);
	cnt->redirected++;
	return bpf_redirect_map(&xsks_map, queue, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
