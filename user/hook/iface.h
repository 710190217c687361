/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Interface facts the capture needs before it touches anything: index,
 * driver, RX queue count, and whether the host uses the interface for IP
 * (then redirecting frames away from the stack would cut it off).
 */
#ifndef VPNCAP_HOOK_IFACE_H
#define VPNCAP_HOOK_IFACE_H

#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stddef.h>

struct iface_info {
	char name[IF_NAMESIZE];
	int ifindex;
	char driver[32];
	unsigned int rx_queues;
	/* First IPv4 or non-link-local IPv6 address, "" if none. */
	char ip_addr[INET6_ADDRSTRLEN];
};

/* 0 on success; -ENODEV with a message when there is no such interface. */
int iface_lookup(const char *name, struct iface_info *out, char *err, size_t errlen);

/*
 * The interface went away (deleted, unplugged, moved to another network
 * namespace): 1 only when the kernel answers that no interface has this
 * index; 0 while it has one, and when it cannot be asked.
 */
int iface_gone(int ifindex);

/*
 * Bring the link up if it is down: at early boot nothing has configured a
 * capture port yet, and a down link receives nothing. 1 if it was brought
 * up, 0 if it was up already, -errno on failure.
 */
int iface_ensure_up(const char *name);

/*
 * The two facts of iface_lookup() that need no address scan, for callers
 * that walk every interface (vpncap list): the driver (ethtool, "unknown"
 * when it does not answer) and the RX queue count (sysfs, at least 1).
 */
void iface_driver(const char *name, char *buf, size_t len);
unsigned int iface_rx_queue_count(const char *name);

/*
 * Descriptors in the NIC's RX ring (ethtool ETHTOOL_GRINGPARAM, rx_pending):
 * buffers the driver takes from an AF_XDP fill ring and holds until frames
 * arrive. 0 when the driver has no such ring or does not say (veth).
 */
unsigned int iface_rx_ring_pending(const char *name);

/*
 * -i any: which interfaces it captures. An interface that is up, has
 * Ethernet framing (what the classifier parses: ARPHRD_ETHER, so no tun,
 * WireGuard, IP tunnels or CAN) and is not loopback, nor stacked on
 * another interface (a VLAN, macvlan, bridge or bond sees frames its lower
 * interfaces see already; each frame is captured once, where it arrives).
 * Pure, for the unit tests: the device type, its IFF_* flags, and whether
 * it has a lower device.
 */
int iface_any_wants(unsigned int type, unsigned int flags, int stacked);

struct iface_pick {
	int ifindex;
	char name[IF_NAMESIZE];
};

/* The interfaces -i any captures now, by index order; at most max. */
unsigned int iface_list_any(struct iface_pick *out, unsigned int max);

/* True when the host uses this interface for IP traffic. */
static inline int iface_has_ip(const struct iface_info *i)
{
	return i->ip_addr[0] != '\0';
}

#endif /* VPNCAP_HOOK_IFACE_H */
