// SPDX-License-Identifier: GPL-2.0-only
/*
 * Does the host use a port? The rtnetlink messages host_use.c reads
 * (links: master, lower device, kind; routes: output interface, multipath
 * hops, IPv6 housekeeping) crafted here, malformed ones included, and the
 * verdict --mode auto takes from them. The real kernel's answers are
 * checked end to end by tests/e2e/host_traffic.sh and the kernel matrix.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "hook/host_use.h"

/* One message being built, aligned as the kernel's are. */
struct msg {
	union {
		struct nlmsghdr h;
		char buf[1024];
	};
};

static void msg_init(struct msg *m, uint16_t type, const void *hdr, size_t hdrlen)
{
	memset(m, 0, sizeof(*m));
	m->h.nlmsg_type = type;
	m->h.nlmsg_len = NLMSG_LENGTH(hdrlen);
	memcpy(NLMSG_DATA(&m->h), hdr, hdrlen);
	m->h.nlmsg_len = NLMSG_ALIGN(m->h.nlmsg_len);
}

/* An attribute; returns it, so a nest can be closed with msg_end_nest(). */
static struct nlattr *msg_put(struct msg *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(m->buf + NLMSG_ALIGN(m->h.nlmsg_len));

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	m->h.nlmsg_len = NLMSG_ALIGN(m->h.nlmsg_len) + NLA_ALIGN(a->nla_len);
	return a;
}

static void msg_put_u32(struct msg *m, uint16_t type, uint32_t v)
{
	msg_put(m, type, &v, sizeof(v));
}

static void msg_end_nest(struct msg *m, struct nlattr *a)
{
	a->nla_len = (uint16_t)(m->buf + m->h.nlmsg_len - (char *)a);
}

static void link_msg(struct msg *m, int ifindex, const char *name)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };

	msg_init(m, RTM_NEWLINK, &ifi, sizeof(ifi));
	msg_put(m, IFLA_IFNAME, name, strlen(name) + 1);
}

static void link_kind(struct msg *m, const char *kind)
{
	struct nlattr *info = msg_put(m, IFLA_LINKINFO | NLA_F_NESTED, NULL, 0);

	msg_put(m, IFLA_INFO_KIND, kind, strlen(kind) + 1);
	msg_end_nest(m, info);
}

static void test_link_port_of_bridge(void **state)
{
	struct link_fact f;
	struct msg m;

	(void)state;
	link_msg(&m, 7, "vc0");
	msg_put_u32(&m, IFLA_MASTER, 9);
	msg_put_u32(&m, IFLA_LINK, 7);          /* a link without lower device: itself */
	assert_int_equal(host_use_parse_link(&m.h, &f), 0);
	assert_int_equal(f.ifindex, 7);
	assert_string_equal(f.name, "vc0");
	assert_int_equal(f.master, 9);
	assert_int_equal(f.lower, 0);

	link_msg(&m, 9, "obr0");
	link_kind(&m, "bridge");
	assert_int_equal(host_use_parse_link(&m.h, &f), 0);
	assert_string_equal(f.kind, "bridge");
	assert_int_equal(f.master, 0);
}

static void test_link_uppers(void **state)
{
	struct nlattr *info, *data;
	struct link_fact f;
	struct msg m;

	(void)state;
	link_msg(&m, 12, "mv0");
	msg_put_u32(&m, IFLA_LINK, 7);
	link_kind(&m, "macvlan");
	assert_int_equal(host_use_parse_link(&m.h, &f), 0);
	assert_int_equal(f.lower, 7);
	assert_string_equal(f.kind, "macvlan");
	assert_false(f.lower_elsewhere);

	/* In another namespace: the index is that namespace's, not ours. */
	msg_put_u32(&m, IFLA_LINK_NETNSID, 0);
	assert_int_equal(host_use_parse_link(&m.h, &f), 0);
	assert_true(f.lower_elsewhere);

	/* The ends of a veth pair name each other: peers, not upper devices. */
	link_msg(&m, 21, "la0");
	msg_put_u32(&m, IFLA_LINK, 7);
	link_kind(&m, "veth");
	assert_int_equal(host_use_parse_link(&m.h, &f), 0);
	assert_int_equal(f.lower, 0);

	/* A VXLAN names its lower device inside IFLA_INFO_DATA. */
	link_msg(&m, 13, "vx0");
	info = msg_put(&m, IFLA_LINKINFO | NLA_F_NESTED, NULL, 0);
	msg_put(&m, IFLA_INFO_KIND, "vxlan", 6);
	data = msg_put(&m, IFLA_INFO_DATA | NLA_F_NESTED, NULL, 0);
	msg_put_u32(&m, IFLA_VXLAN_ID, 42);
	msg_put_u32(&m, IFLA_VXLAN_LINK, 7);
	msg_end_nest(&m, data);
	msg_end_nest(&m, info);
	assert_int_equal(host_use_parse_link(&m.h, &f), 0);
	assert_int_equal(f.lower, 7);
	assert_string_equal(f.kind, "vxlan");
}

static void test_link_malformed(void **state)
{
	struct link_fact f;
	struct msg m;
	struct nlattr *a;

	(void)state;
	link_msg(&m, 7, "vc0");
	a = msg_put(&m, IFLA_MASTER, "\1\0", 2);        /* not 4 bytes */
	(void)a;
	assert_int_equal(host_use_parse_link(&m.h, &f), -1);

	link_msg(&m, 7, "vc0");
	a = msg_put(&m, IFLA_MASTER, "\1\0\0\0", 4);
	a->nla_len = 200;                               /* longer than the message */
	assert_int_equal(host_use_parse_link(&m.h, &f), -1);

	link_msg(&m, 7, "vc0");
	m.h.nlmsg_type = RTM_NEWROUTE;
	assert_int_equal(host_use_parse_link(&m.h, &f), -1);
	m.h.nlmsg_type = RTM_NEWLINK;
	m.h.nlmsg_len = NLMSG_LENGTH(4);                /* shorter than ifinfomsg */
	assert_int_equal(host_use_parse_link(&m.h, &f), -1);

	/* A name without its NUL, longer than a name can be: cut, terminated. */
	link_msg(&m, 7, "x");
	msg_put(&m, IFLA_IFNAME, "abcdefghijklmnopqrstuvwxyz", 26);
	assert_int_equal(host_use_parse_link(&m.h, &f), 0);
	assert_int_equal(strlen(f.name), IF_NAMESIZE - 1);
}

static void route_msg(struct msg *m, int family, unsigned char type, unsigned char dst_len)
{
	struct rtmsg rt = { .rtm_family = family, .rtm_type = type, .rtm_dst_len = dst_len,
			    .rtm_table = RT_TABLE_MAIN };

	msg_init(m, RTM_NEWROUTE, &rt, sizeof(rt));
}

static void test_routes(void **state)
{
	struct in_addr v4;
	struct in6_addr v6;
	struct msg m;

	(void)state;
	inet_pton(AF_INET, "198.18.41.0", &v4);
	route_msg(&m, AF_INET, RTN_UNICAST, 24);
	msg_put(&m, RTA_DST, &v4, sizeof(v4));
	msg_put_u32(&m, RTA_OIF, 7);
	assert_int_equal(host_use_parse_route(&m.h, 7), 1);
	assert_int_equal(host_use_parse_route(&m.h, 8), 0);

	/* Broadcast and multicast routes come with addresses, not with use. */
	route_msg(&m, AF_INET, RTN_BROADCAST, 32);
	msg_put_u32(&m, RTA_OIF, 7);
	assert_int_equal(host_use_parse_route(&m.h, 7), 0);

	/* Every IPv6 interface has fe80::/64 and ff00::/8: housekeeping. */
	inet_pton(AF_INET6, "fe80::", &v6);
	route_msg(&m, AF_INET6, RTN_UNICAST, 64);
	msg_put(&m, RTA_DST, &v6, sizeof(v6));
	msg_put_u32(&m, RTA_OIF, 7);
	assert_int_equal(host_use_parse_route(&m.h, 7), 0);
	inet_pton(AF_INET6, "ff00::", &v6);
	route_msg(&m, AF_INET6, RTN_UNICAST, 8);
	msg_put(&m, RTA_DST, &v6, sizeof(v6));
	msg_put_u32(&m, RTA_OIF, 7);
	assert_int_equal(host_use_parse_route(&m.h, 7), 0);
	inet_pton(AF_INET6, "2001:db8:41::", &v6);
	route_msg(&m, AF_INET6, RTN_UNICAST, 48);
	msg_put(&m, RTA_DST, &v6, sizeof(v6));
	msg_put_u32(&m, RTA_OIF, 7);
	assert_int_equal(host_use_parse_route(&m.h, 7), 1);
	/* A default route (no RTA_DST) out of the port uses it. */
	route_msg(&m, AF_INET6, RTN_UNICAST, 0);
	msg_put_u32(&m, RTA_OIF, 7);
	assert_int_equal(host_use_parse_route(&m.h, 7), 1);
}

static void test_route_multipath(void **state)
{
	char hops[2 * sizeof(struct rtnexthop)];
	struct rtnexthop nh = { .rtnh_len = sizeof(nh) };
	struct nlattr *a;
	struct msg m;

	(void)state;
	nh.rtnh_ifindex = 5;
	memcpy(hops, &nh, sizeof(nh));
	nh.rtnh_ifindex = 7;
	memcpy(hops + sizeof(nh), &nh, sizeof(nh));
	route_msg(&m, AF_INET, RTN_UNICAST, 0);
	msg_put(&m, RTA_MULTIPATH, hops, sizeof(hops));
	assert_int_equal(host_use_parse_route(&m.h, 7), 1);
	assert_int_equal(host_use_parse_route(&m.h, 5), 1);
	assert_int_equal(host_use_parse_route(&m.h, 6), 0);

	/* A hop that claims more than the attribute holds. */
	nh.rtnh_len = 200;
	memcpy(hops, &nh, sizeof(nh));
	route_msg(&m, AF_INET, RTN_UNICAST, 0);
	a = msg_put(&m, RTA_MULTIPATH, hops, sizeof(hops));
	(void)a;
	assert_int_equal(host_use_parse_route(&m.h, 6), -1);
}

static struct iface_info port(int ifindex, const char *addr)
{
	struct iface_info i;

	memset(&i, 0, sizeof(i));
	i.ifindex = ifindex;
	snprintf(i.name, sizeof(i.name), "vc0");
	snprintf(i.ip_addr, sizeof(i.ip_addr), "%s", addr);
	return i;
}

static void test_judge(void **state)
{
	struct link_fact links[] = {
		{ .ifindex = 7, .name = "vc0", .master = 9 },
		{ .ifindex = 9, .name = "obr0", .kind = "bridge" },
		{ .ifindex = 12, .name = "mv0", .kind = "macvlan", .lower = 3 },
		{ .ifindex = 13, .name = "ct0", .kind = "macvlan", .lower = 4, .lower_elsewhere = 1 },
		{ .ifindex = 14, .name = "bond0", .kind = "bond" },
		{ .ifindex = 15, .name = "eth5", .master = 14 },
	};
	struct iface_info i;
	struct host_use u;

	(void)state;
	i = port(7, "");
	host_use_judge(&i, links, 6, 0, &u);
	assert_int_equal(u.kind, HOST_USE_MASTER);
	assert_string_equal(u.why, "it is a port of bridge obr0");

	i = port(15, "");
	host_use_judge(&i, links, 6, 0, &u);
	assert_string_equal(u.why, "it is a port of bond bond0");

	i = port(3, "198.18.40.1");     /* the upper device is named before the address */
	host_use_judge(&i, links, 6, 0, &u);
	assert_int_equal(u.kind, HOST_USE_UPPER);
	assert_string_equal(u.why, "it is the lower device of macvlan mv0");

	i = port(4, "");                /* index 4 of another namespace: not ours */
	host_use_judge(&i, links, 6, 0, &u);
	assert_int_equal(u.kind, HOST_USE_NONE);
	assert_string_equal(u.why, "");

	i = port(4, "2001:db8::1");
	host_use_judge(&i, links, 6, 0, &u);
	assert_int_equal(u.kind, HOST_USE_ADDRESS);
	assert_string_equal(u.why, "it has the address 2001:db8::1");

	i = port(4, "");
	host_use_judge(&i, links, 6, 1, &u);
	assert_int_equal(u.kind, HOST_USE_ROUTE);
	host_use_judge(&i, links, 6, -1, &u);
	assert_int_equal(u.kind, HOST_USE_UNKNOWN);     /* unsure: the host may need it */

	/* A master the dump did not show (it raced away): still a port. */
	i = port(7, "");
	host_use_judge(&i, links, 1, 0, &u);
	assert_string_equal(u.why, "it is a port of the device with index 9");
}

static void test_kind_words(void **state)
{
	(void)state;
	assert_string_equal(host_use_kind_word("openvswitch"), "Open vSwitch");
	assert_string_equal(host_use_kind_word("vlan"), "VLAN");
	assert_string_equal(host_use_kind_word("team"), "team");
	assert_string_equal(host_use_kind_word("geneve"), "geneve");
	assert_string_equal(host_use_kind_word(""), "device");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_port_of_bridge),
		cmocka_unit_test(test_link_uppers),
		cmocka_unit_test(test_link_malformed),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_route_multipath),
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_kind_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
