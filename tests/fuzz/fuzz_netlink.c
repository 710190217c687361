// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the readers of the kernel's netlink answers: link
 * and route messages (hook/host_use.c, which decide whether --mode auto may
 * take a port's traffic) and netdev device attributes (hook/netdev_genl.c).
 * The input is one message; its first byte picks the reader.
 *
 * abort()s when:
 *  - a reader answers other than 0/-1 (links), 1/0/-1 (routes) or 0/-EINVAL
 *    (netdev), or a refused netdev message leaves half a device;
 *  - a link's name or kind is not NUL-terminated within its field;
 *  - the verdict on a parsed link names no reason for a use, or one for none.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/rtnetlink.h>

#include "hook/host_use.h"
#include "hook/netdev_genl.h"

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond))                                                 \
			abort();                                             \
	} while (0)

static void check_link(const struct nlmsghdr *h)
{
	struct iface_info info;
	struct link_fact f;
	struct host_use u;
	int ret = host_use_parse_link(h, &f);

	CHECK(ret == 0 || ret == -1);
	if (ret)
		return;
	CHECK(memchr(f.name, '\0', sizeof(f.name)) && memchr(f.kind, '\0', sizeof(f.kind)));
	memset(&info, 0, sizeof(info));
	info.ifindex = f.master ? f.ifindex : f.lower;
	host_use_judge(&info, &f, 1, 0, &u);
	CHECK((u.kind == HOST_USE_NONE) == (u.why[0] == '\0'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nlmsghdr *h;
	struct netdev_dev d;
	int ret;

	if (size < 1 + sizeof(*h))
		return 0;
	/* Aligned, as the kernel's messages are; the length is what came. */
	h = malloc(size - 1);
	CHECK(h);
	memcpy(h, data + 1, size - 1);
	h->nlmsg_len = (uint32_t)(size - 1);
	switch (data[0] % 3) {
	case 0:
		h->nlmsg_type = RTM_NEWLINK;
		check_link(h);
		break;
	case 1:
		h->nlmsg_type = RTM_NEWROUTE;
		ret = host_use_parse_route(h, (int)(data[0] >> 2));
		CHECK(ret >= -1 && ret <= 1);
		break;
	default:
		ret = netdev_parse_dev((const char *)h + sizeof(*h), size - 1 - sizeof(*h), &d);
		CHECK(ret == 0 || ret == -EINVAL);
		CHECK(!ret || (!d.ifindex && !d.has_xdp_features && !d.has_rx_metadata));
		break;
	}
	free(h);
	return 0;
}
