/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Does the host need an interface's traffic? The one question --mode auto
 * asks before bypass takes matched frames off a port: a frame taken by an
 * AF_XDP socket never reaches the stack, nor any bridge, bond or VLAN above
 * the port. The host may need the traffic when the port
 *   - is enslaved to a master (bridge, bond, team, Open vSwitch, VRF),
 *   - is the lower device of an upper one (VLAN, macvlan, macvtap, ipvlan,
 *     VXLAN), in this network namespace or another,
 *   - has an address (IPv4, or IPv6 other than link-local),
 *   - or a route of any table sends traffic out of it.
 * Asked through rtnetlink, so the answer is the namespace's own whatever
 * /sys shows. When the kernel does not answer, the answer is "maybe":
 * callers treat it as "yes" (inline never takes traffic).
 *
 * Link and route messages are outside input: the parsers check every
 * length, and the unit tests feed them crafted messages.
 */
#ifndef VPNCAP_HOOK_HOST_USE_H
#define VPNCAP_HOOK_HOST_USE_H

#include "hook/iface.h"

#include <linux/netlink.h>
#include <net/if.h>
#include <stddef.h>

enum host_use_kind {
	HOST_USE_NONE,          /* a capture port: nothing on the host uses it */
	HOST_USE_MASTER,
	HOST_USE_UPPER,
	HOST_USE_ADDRESS,
	HOST_USE_ROUTE,
	HOST_USE_UNKNOWN,       /* the kernel did not answer */
};

struct host_use {
	enum host_use_kind kind;
	/* Why, as a clause: "it is a port of bridge obr0"; "" for NONE. */
	char why[160];
};

/* What one RTM_NEWLINK message says of a link, for the checks above. */
struct link_fact {
	int ifindex;
	char name[IF_NAMESIZE];
	char kind[16];          /* IFLA_INFO_KIND: "bridge", "vlan", ... or "" */
	int master;             /* IFLA_MASTER, 0 when none */
	int lower;              /* IFLA_LINK, or a VXLAN's IFLA_VXLAN_LINK; 0 when none */
	int lower_elsewhere;    /* the lower device is in another namespace */
};

/* Ask the kernel about info's interface. Never fails: see HOST_USE_UNKNOWN. */
void host_use_of(const struct iface_info *info, struct host_use *u);

/* ---- pure, for tests -------------------------------------------------------- */

/* 0 and *f from an RTM_NEWLINK message; -1 when it is not one or is malformed. */
int host_use_parse_link(const struct nlmsghdr *h, struct link_fact *f);

/*
 * 1 when an RTM_NEWROUTE message sends traffic out of ifindex (its output
 * interface, or one hop of a multipath route), 0 when not, -1 when
 * malformed. IPv6 link-local and multicast routes, which every interface
 * with IPv6 has, and non-unicast route types do not count.
 */
int host_use_parse_route(const struct nlmsghdr *h, int ifindex);

/*
 * The verdict from the links of the namespace, info's address and whether a
 * route uses the interface (routed: 1, 0, or -1 unknown).
 */
void host_use_judge(const struct iface_info *info, const struct link_fact *links, size_t n,
		    int routed, struct host_use *u);

/* "bridge", "bond", ... for a link kind; the kind itself when not known. */
const char *host_use_kind_word(const char *kind);

#endif /* VPNCAP_HOOK_HOST_USE_H */
