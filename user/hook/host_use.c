// SPDX-License-Identifier: GPL-2.0-only
#include "hook/host_use.h"
#include "hook/netlink.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- pure: messages --------------------------------------------------------- */

static int get_int(const void *data, size_t len, int *v)
{
	uint32_t u;

	if (len != sizeof(u))
		return -1;
	memcpy(&u, data, sizeof(u));
	*v = (int)u;
	return 0;
}

static void get_string(const void *data, size_t len, char *buf, size_t size)
{
	size_t n = strnlen(data, len);

	if (n >= size)
		n = size - 1;
	memcpy(buf, data, n);
	buf[n] = '\0';
}

/* A VXLAN names its lower device inside IFLA_INFO_DATA, not in IFLA_LINK. */
static int vxlan_lower(const void *data, size_t len, int *lower)
{
	const char *p = data;
	const void *v;
	size_t rem = len, vlen;
	uint16_t type;
	int rc;

	while ((rc = nl_next_attr(&p, &rem, &type, &v, &vlen)) > 0)
		if (type == IFLA_VXLAN_LINK && get_int(v, vlen, lower))
			return -1;
	return rc;
}

static int parse_linkinfo(const void *data, size_t len, struct link_fact *f)
{
	const char *p = data;
	const void *v, *info_data = NULL;
	size_t rem = len, vlen, info_len = 0;
	uint16_t type;
	int rc;

	while ((rc = nl_next_attr(&p, &rem, &type, &v, &vlen)) > 0) {
		if (type == IFLA_INFO_KIND)
			get_string(v, vlen, f->kind, sizeof(f->kind));
		else if (type == IFLA_INFO_DATA) {
			info_data = v;
			info_len = vlen;
		}
	}
	if (rc < 0)
		return -1;
	if (info_data && strcmp(f->kind, "vxlan") == 0)
		return vxlan_lower(info_data, info_len, &f->lower);
	return 0;
}

static int store_link_attr(struct link_fact *f, uint16_t type, const void *v, size_t vlen)
{
	int netnsid;

	switch (type) {
	case IFLA_IFNAME:
		get_string(v, vlen, f->name, sizeof(f->name));
		return 0;
	case IFLA_MASTER:
		return get_int(v, vlen, &f->master);
	case IFLA_LINK:
		return get_int(v, vlen, &f->lower);
	case IFLA_LINK_NETNSID:
		if (get_int(v, vlen, &netnsid))
			return -1;
		f->lower_elsewhere = 1;
		return 0;
	case IFLA_LINKINFO:
		return parse_linkinfo(v, vlen, f);
	default:
		return 0;
	}
}

/*
 * Kinds whose IFLA_LINK is a peer, not a lower device. Every other kind
 * with one is taken for an upper device: wrongly so, the capture is inline
 * where bypass would do; the other way round it would take traffic.
 */
static int is_pair_kind(const char *kind)
{
	return !strcmp(kind, "veth") || !strcmp(kind, "netkit") || !strcmp(kind, "vxcan");
}

int host_use_parse_link(const struct nlmsghdr *h, struct link_fact *f)
{
	struct ifinfomsg ifi;
	const char *p;
	const void *v;
	size_t rem, vlen;
	uint16_t type;
	int rc;

	memset(f, 0, sizeof(*f));
	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_SPACE(sizeof(ifi)))
		return -1;
	memcpy(&ifi, NLMSG_DATA(h), sizeof(ifi));
	f->ifindex = ifi.ifi_index;
	p = (const char *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(ifi));
	rem = h->nlmsg_len - NLMSG_SPACE(sizeof(ifi));
	while ((rc = nl_next_attr(&p, &rem, &type, &v, &vlen)) > 0)
		if (store_link_attr(f, type, v, vlen))
			return -1;
	/*
	 * A link is its own IFLA_LINK when it has no lower device, and the two
	 * ends of a pair name each other: neither is the other's upper device.
	 */
	if ((f->lower == f->ifindex && !f->lower_elsewhere) || is_pair_kind(f->kind))
		f->lower = 0;
	return rc < 0 ? -1 : 0;
}

/* Routes every IPv6 interface has: link-local and multicast destinations. */
static int ipv6_housekeeping(const struct rtmsg *rt, const void *dst, size_t len)
{
	const uint8_t *a = dst;

	if (rt->rtm_family != AF_INET6 || len != 16)
		return 0;
	return (a[0] == 0xfe && (a[1] & 0xc0) == 0x80 && rt->rtm_dst_len >= 10) ||
	       (a[0] == 0xff && rt->rtm_dst_len >= 8);
}

/* 1 when a hop of RTA_MULTIPATH leaves through ifindex; -1 when malformed. */
static int multipath_uses(const void *data, size_t len, int ifindex)
{
	const char *p = data;

	while (len) {
		struct rtnexthop nh;
		size_t step;

		if (len < sizeof(nh))
			return -1;
		memcpy(&nh, p, sizeof(nh));
		if (nh.rtnh_len < sizeof(nh) || nh.rtnh_len > len)
			return -1;
		if (nh.rtnh_ifindex == ifindex)
			return 1;
		step = RTNH_ALIGN(nh.rtnh_len);
		if (step > len)
			step = len;
		p += step;
		len -= step;
	}
	return 0;
}

int host_use_parse_route(const struct nlmsghdr *h, int ifindex)
{
	struct rtmsg rt;
	const char *p;
	const void *v, *dst = NULL;
	size_t rem, vlen, dst_len = 0;
	uint16_t type;
	int rc, oif = 0, uses = 0;

	if (h->nlmsg_type != RTM_NEWROUTE || h->nlmsg_len < NLMSG_SPACE(sizeof(rt)))
		return -1;
	memcpy(&rt, NLMSG_DATA(h), sizeof(rt));
	p = (const char *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(rt));
	rem = h->nlmsg_len - NLMSG_SPACE(sizeof(rt));
	while ((rc = nl_next_attr(&p, &rem, &type, &v, &vlen)) > 0) {
		if (type == RTA_OIF && get_int(v, vlen, &oif))
			return -1;
		if (type == RTA_DST) {
			dst = v;
			dst_len = vlen;
		}
		if (type == RTA_MULTIPATH && (rc = multipath_uses(v, vlen, ifindex)) != 0) {
			if (rc < 0)
				return -1;
			uses = 1;
		}
	}
	if (rc < 0)
		return -1;
	if (rt.rtm_type != RTN_UNICAST && rt.rtm_type != RTN_LOCAL)
		return 0;
	if (dst && ipv6_housekeeping(&rt, dst, dst_len))
		return 0;
	return uses || (ifindex && oif == ifindex);
}

/* ---- pure: the verdict ---------------------------------------------------------- */

const char *host_use_kind_word(const char *kind)
{
	static const struct {
		const char *kind, *word;
	} words[] = {
		{ "bridge", "bridge" }, { "bond", "bond" }, { "team", "team" },
		{ "openvswitch", "Open vSwitch" }, { "vrf", "VRF" }, { "vlan", "VLAN" },
		{ "macvlan", "macvlan" }, { "macvtap", "macvtap" }, { "ipvlan", "ipvlan" },
		{ "ipvtap", "ipvtap" }, { "vxlan", "VXLAN" }, { "", "device" },
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(kind, words[i].kind) == 0)
			return words[i].word;
	return kind;
}

static const struct link_fact *link_by_index(const struct link_fact *links, size_t n, int ifindex)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (links[i].ifindex == ifindex)
			return &links[i];
	return NULL;
}

static int find_master(const struct iface_info *info, const struct link_fact *links, size_t n,
		       struct host_use *u)
{
	const struct link_fact *me = link_by_index(links, n, info->ifindex), *m;

	if (!me || !me->master)
		return 0;
	m = link_by_index(links, n, me->master);
	u->kind = HOST_USE_MASTER;
	if (m)
		snprintf(u->why, sizeof(u->why), "it is a port of %s %s",
			 host_use_kind_word(m->kind), m->name);
	else
		snprintf(u->why, sizeof(u->why), "it is a port of the device with index %d",
			 me->master);
	return 1;
}

/*
 * An upper device whose lower one is in another namespace (IFLA_LINK_NETNSID)
 * names that namespace's index, which says nothing about ours. An upper
 * device moved into another namespace is not in this dump at all: the one
 * use this cannot see (README says so).
 */
static int find_upper(const struct iface_info *info, const struct link_fact *links, size_t n,
		      struct host_use *u)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (links[i].lower != info->ifindex || links[i].lower_elsewhere)
			continue;
		u->kind = HOST_USE_UPPER;
		snprintf(u->why, sizeof(u->why), "it is the lower device of %s %s",
			 host_use_kind_word(links[i].kind), links[i].name);
		return 1;
	}
	return 0;
}

void host_use_judge(const struct iface_info *info, const struct link_fact *links, size_t n,
		    int routed, struct host_use *u)
{
	memset(u, 0, sizeof(*u));
	if (find_master(info, links, n, u) || find_upper(info, links, n, u))
		return;
	if (iface_has_ip(info)) {
		u->kind = HOST_USE_ADDRESS;
		snprintf(u->why, sizeof(u->why), "it has the address %s", info->ip_addr);
	} else if (routed > 0) {
		u->kind = HOST_USE_ROUTE;
		snprintf(u->why, sizeof(u->why), "routes send traffic out of it");
	} else if (routed < 0) {
		u->kind = HOST_USE_UNKNOWN;
		snprintf(u->why, sizeof(u->why), "its routes cannot be read");
	}
}

/* ---- talking to the kernel ------------------------------------------------------- */

struct rt_req {
	struct nlmsghdr nh;
	union {
		struct ifinfomsg ifi;
		struct rtmsg rt;
	};
	char attrs[16];
};

/*
 * A dump of TYPE; oif > 0 asks the kernel to send only the routes out of
 * that interface (strict checking, Linux 4.20): a gateway with a full
 * routing table is asked every second, and its routes need not all cross
 * the socket. An older kernel ignores the filter, and every route is
 * checked here instead.
 */
static int rtnl_dump(uint16_t type, size_t hdrlen, int oif, nl_msg_fn fn, void *ctx)
{
	struct rt_req r = {};
	int fd = nl_open(NETLINK_ROUTE), ret, one = 1;

	if (fd < 0)
		return fd;
	r.nh.nlmsg_len = NLMSG_LENGTH(hdrlen);
	r.nh.nlmsg_type = type;
	r.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	r.nh.nlmsg_seq = 1;
	if (oif > 0 &&
	    !setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one))) {
		struct nlattr *a = (struct nlattr *)((char *)&r + NLMSG_ALIGN(r.nh.nlmsg_len));
		uint32_t v = (uint32_t)oif;

		a->nla_type = RTA_OIF;
		a->nla_len = NLA_HDRLEN + sizeof(v);
		memcpy((char *)a + NLA_HDRLEN, &v, sizeof(v));
		r.nh.nlmsg_len = NLMSG_ALIGN(r.nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
	}
	ret = nl_talk(fd, &r.nh, fn, ctx);
	close(fd);
	return ret;
}

struct link_list {
	struct link_fact *links;
	size_t n, cap;
	int failed;
};

static void link_message(void *ctx, const struct nlmsghdr *h)
{
	struct link_list *l = ctx;
	struct link_fact f;

	if (host_use_parse_link(h, &f))
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct link_fact *more = realloc(l->links, cap * sizeof(*more));

		if (!more) {
			l->failed = 1;
			return;
		}
		l->links = more;
		l->cap = cap;
	}
	l->links[l->n++] = f;
}

struct route_scan {
	int ifindex;
	int used;
};

static void route_message(void *ctx, const struct nlmsghdr *h)
{
	struct route_scan *s = ctx;

	if (host_use_parse_route(h, s->ifindex) > 0)
		s->used = 1;
}

void host_use_of(const struct iface_info *info, struct host_use *u)
{
	struct link_list l = {};
	struct route_scan rs = { .ifindex = info->ifindex };
	int ret, routed;

	ret = rtnl_dump(RTM_GETLINK, sizeof(struct ifinfomsg), 0, link_message, &l);
	if (ret || l.failed) {
		free(l.links);
		memset(u, 0, sizeof(*u));
		u->kind = HOST_USE_UNKNOWN;
		snprintf(u->why, sizeof(u->why), "its links cannot be read (%s)",
			 strerror(ret ? -ret : ENOMEM));
		return;
	}
	routed = rtnl_dump(RTM_GETROUTE, sizeof(struct rtmsg), info->ifindex, route_message, &rs) ?
		 -1 : rs.used;
	host_use_judge(info, l.links, l.n, routed, u);
	free(l.links);
}
