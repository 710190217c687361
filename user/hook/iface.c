// SPDX-License-Identifier: GPL-2.0-only
#include "hook/iface.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <net/if_arp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static void read_driver(struct iface_info *info)
{
	struct ethtool_drvinfo drv = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(info->driver, sizeof(info->driver), "unknown");
	if (fd < 0)
		return;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", info->name);
	ifr.ifr_data = (void *)&drv;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0 && drv.driver[0])
		snprintf(info->driver, sizeof(info->driver), "%s", drv.driver);
	close(fd);
}

unsigned int iface_rx_ring_pending(const char *name)
{
	struct ethtool_ringparam ring = { .cmd = ETHTOOL_GRINGPARAM };
	struct ifreq ifr = {};
	unsigned int pending = 0;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return 0;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = (void *)&ring;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0)
		pending = ring.rx_pending;
	close(fd);
	return pending;
}

/* The RX queues the kernel exposes are the ones an AF_XDP socket can bind. */
static unsigned int count_rx_queues(const char *name)
{
	char path[128];
	struct dirent *de;
	unsigned int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", name);
	dir = opendir(path);
	if (!dir)
		return 1;
	while ((de = readdir(dir)))
		if (strncmp(de->d_name, "rx-", 3) == 0)
			n++;
	closedir(dir);
	return n ? n : 1;
}

/*
 * IPv6 link-local addresses are left out: every up interface gets one, and
 * a capture port carrying only fe80:: is not serving anything.
 */
static int is_service_addr(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return 1;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		return !IN6_IS_ADDR_LINKLOCAL(a);
	}
	return 0;
}

static void find_ip_addr(struct iface_info *info)
{
	struct ifaddrs *list, *ifa;

	info->ip_addr[0] = '\0';
	if (getifaddrs(&list))
		return;
	for (ifa = list; ifa; ifa = ifa->ifa_next) {
		const void *addr;

		if (!ifa->ifa_addr || strcmp(ifa->ifa_name, info->name) ||
		    !is_service_addr(ifa->ifa_addr))
			continue;
		if (ifa->ifa_addr->sa_family == AF_INET)
			addr = &((struct sockaddr_in *)ifa->ifa_addr)->sin_addr;
		else
			addr = &((struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr;
		inet_ntop(ifa->ifa_addr->sa_family, addr, info->ip_addr,
			  sizeof(info->ip_addr));
		break;
	}
	freeifaddrs(list);
}

int iface_lookup(const char *name, struct iface_info *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (strlen(name) >= sizeof(out->name)) {
		err_set(err, errlen, "%s: no such interface (name too long)", name);
		return -ENODEV;
	}
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->ifindex = (int)if_nametoindex(name);
	if (!out->ifindex) {
		err_set(err, errlen, "%s: no such interface", name);
		return -ENODEV;
	}
	read_driver(out);
	out->rx_queues = count_rx_queues(name);
	find_ip_addr(out);
	return 0;
}

void iface_driver(const char *name, char *buf, size_t len)
{
	struct iface_info info = {};

	snprintf(info.name, sizeof(info.name), "%s", name);
	read_driver(&info);
	snprintf(buf, len, "%s", info.driver);
}

unsigned int iface_rx_queue_count(const char *name)
{
	return count_rx_queues(name);
}

int iface_gone(int ifindex)
{
	char name[IF_NAMESIZE];

	/* glibc answers ENXIO for "no such device", whatever the ioctl said. */
	return !if_indextoname((unsigned int)ifindex, name) && (errno == ENXIO || errno == ENODEV);
}

int iface_ensure_up(const char *name)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ret = -errno;
	} else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr) ? -errno : 1;
	}
	close(fd);
	return ret;
}

int iface_any_wants(unsigned int type, unsigned int flags, int stacked)
{
	return type == ARPHRD_ETHER && (flags & IFF_UP) && !(flags & IFF_LOOPBACK) && !stacked;
}

/* A number of /sys/class/net/NAME/FILE (decimal or 0x hex); -1 when unreadable. */
static long sysfs_number(const char *name, const char *file)
{
	char path[128], buf[32];
	FILE *f;
	long v = -1;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", name, file);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 0);
	fclose(f);
	return v;
}

/* Has the interface a lower device (sysfs lower_NAME links)? */
static int is_stacked(const char *name)
{
	char path[128];
	struct dirent *de;
	int stacked = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/class/net/%s", name);
	dir = opendir(path);
	if (!dir)
		return 0;
	while (!stacked && (de = readdir(dir)))
		stacked = !strncmp(de->d_name, "lower_", 6);
	closedir(dir);
	return stacked;
}

unsigned int iface_list_any(struct iface_pick *out, unsigned int max)
{
	struct if_nameindex *all = if_nameindex(), *i;
	unsigned int n = 0;
	long type, flags;

	if (!all)
		return 0;
	for (i = all; i->if_index && n < max; i++) {
		type = sysfs_number(i->if_name, "type");
		flags = sysfs_number(i->if_name, "flags");
		if (type < 0 || flags < 0 ||
		    !iface_any_wants((unsigned int)type, (unsigned int)flags, is_stacked(i->if_name)))
			continue;
		out[n].ifindex = (int)i->if_index;
		snprintf(out[n].name, sizeof(out[n].name), "%s", i->if_name);
		n++;
	}
	if_freenameindex(all);
	return n;
}
