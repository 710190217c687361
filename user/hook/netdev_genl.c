// SPDX-License-Identifier: GPL-2.0-only
#include "hook/netdev_genl.h"
#include "hook/netlink.h"

#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/*
 * The netdev family (include/uapi/linux/netdev.h): Debian 12's headers lack
 * it, so its command and attribute numbers are spelled here.
 */
#define NETDEV_FAMILY "netdev"
#define NETDEV_CMD_DEV_GET 1
#define NETDEV_A_DEV_IFINDEX 1
#define NETDEV_A_DEV_XDP_FEATURES 3             /* Linux 6.3 */
#define NETDEV_A_DEV_XDP_ZC_MAX_SEGS 4          /* Linux 6.3 */
#define NETDEV_A_DEV_XDP_RX_METADATA_FEATURES 5 /* Linux 6.8 */

/* ---- pure: attributes ------------------------------------------------------ */

static int get_u32(const void *data, size_t len, uint32_t *v)
{
	if (len != sizeof(*v))
		return -1;
	memcpy(v, data, sizeof(*v));
	return 0;
}

static int get_u64(const void *data, size_t len, uint64_t *v)
{
	if (len != sizeof(*v))
		return -1;
	memcpy(v, data, sizeof(*v));
	return 0;
}

static int store_dev_attr(struct netdev_dev *d, uint16_t type, const void *data, size_t len)
{
	switch (type) {
	case NETDEV_A_DEV_IFINDEX:
		return get_u32(data, len, &d->ifindex);
	case NETDEV_A_DEV_XDP_FEATURES:
		d->has_xdp_features = 1;
		return get_u64(data, len, &d->xdp_features);
	case NETDEV_A_DEV_XDP_ZC_MAX_SEGS:
		return get_u32(data, len, &d->zc_max_segs);
	case NETDEV_A_DEV_XDP_RX_METADATA_FEATURES:
		d->has_rx_metadata = 1;
		return get_u64(data, len, &d->rx_metadata);
	default:
		return 0;       /* PAD, and whatever later kernels add */
	}
}

int netdev_parse_dev(const void *attrs, size_t len, struct netdev_dev *d)
{
	const char *p = attrs;
	const void *data;
	size_t rem = len, alen;
	uint16_t type;
	int more;

	memset(d, 0, sizeof(*d));
	while ((more = nl_next_attr(&p, &rem, &type, &data, &alen)) > 0)
		if (store_dev_attr(d, type, data, alen))
			break;
	if (more) {
		/* Half a device is no answer: the caller says "unknown" instead. */
		memset(d, 0, sizeof(*d));
		return -EINVAL;
	}
	return 0;
}

enum netdev_rx_ts netdev_rx_ts_of(const struct netdev_dev *d)
{
	if (!d->has_rx_metadata)
		return NETDEV_RX_TS_UNKNOWN;
	return d->rx_metadata & NETDEV_RX_META_TIMESTAMP ? NETDEV_RX_TS_YES : NETDEV_RX_TS_NO;
}

const struct netdev_flag_word netdev_rx_meta_names[] = {
	{ NETDEV_RX_META_TIMESTAMP, "timestamp" },
	{ NETDEV_RX_META_HASH, "hash" },
	{ NETDEV_RX_META_VLAN_TAG, "vlan-tag" },
};
const size_t netdev_rx_meta_count = sizeof(netdev_rx_meta_names) / sizeof(netdev_rx_meta_names[0]);

void netdev_flag_words(const struct netdev_flag_word *table, size_t n, uint64_t bits,
		       const char *sep, char *buf, size_t len)
{
	size_t i, used = 0;

	if (len)
		buf[0] = '\0';
	for (i = 0; i < n; i++) {
		int w;

		if (!(bits & table[i].bit) || used >= len)
			continue;
		w = snprintf(buf + used, len - used, "%s%s", used ? sep : "", table[i].word);
		used += w > 0 ? (size_t)w : 0;
	}
}

void netdev_rx_meta_words(uint64_t rx_metadata, char *buf, size_t len)
{
	netdev_flag_words(netdev_rx_meta_names, netdev_rx_meta_count, rx_metadata, ", ", buf, len);
}

/* ---- talking to the kernel --------------------------------------------------- */

struct genl_req {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	char attrs[64];
};

/* Called with the attributes of each reply message. */
typedef void (*genl_msg_fn)(void *ctx, const void *attrs, size_t len);

static void genl_req_init(struct genl_req *r, uint16_t family, uint8_t cmd, uint16_t flags,
			  uint32_t seq)
{
	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->nh.nlmsg_type = family;
	r->nh.nlmsg_flags = NLM_F_REQUEST | flags;
	r->nh.nlmsg_seq = seq;
	r->gh.cmd = cmd;
	r->gh.version = 1;
}

/* Callers put a few small attributes: they always fit attrs[]. */
static void genl_put(struct genl_req *r, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

struct genl_reply {
	genl_msg_fn fn;
	void *ctx;
};

/* A generic netlink message: its attributes after the family header. */
static void genl_message(void *ctx, const struct nlmsghdr *h)
{
	const struct genl_reply *g = ctx;

	if (h->nlmsg_len >= NLMSG_LENGTH(GENL_HDRLEN))
		g->fn(g->ctx, (const char *)NLMSG_DATA(h) + GENL_HDRLEN,
		      h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
}

static int genl_talk(int fd, struct genl_req *r, genl_msg_fn fn, void *ctx)
{
	struct genl_reply g = { .fn = fn, .ctx = ctx };

	return nl_talk(fd, &r->nh, genl_message, &g);
}

static void family_id_msg(void *ctx, const void *attrs, size_t len)
{
	const char *p = attrs;
	const void *data;
	size_t rem = len, alen;
	uint16_t type;

	while (nl_next_attr(&p, &rem, &type, &data, &alen) > 0)
		if (type == CTRL_ATTR_FAMILY_ID && alen >= sizeof(uint16_t))
			memcpy(ctx, data, sizeof(uint16_t));
}

/* The id of a generic netlink family; -ENOENT when the kernel lacks it. */
static int genl_family(int fd, const char *name)
{
	struct genl_req r;
	uint16_t id = 0;
	int ret;

	genl_req_init(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0, 1);
	genl_put(&r, CTRL_ATTR_FAMILY_NAME, name, strlen(name) + 1);
	ret = genl_talk(fd, &r, family_id_msg, &id);
	if (ret)
		return ret;
	return id ? id : -ENOENT;
}

/* A socket and the netdev family's id; -ENOENT before Linux 6.3. */
static int netdev_open(int *family)
{
	int fd = nl_open(NETLINK_GENERIC);

	if (fd < 0)
		return fd;
	*family = genl_family(fd, NETDEV_FAMILY);
	if (*family < 0) {
		close(fd);
		return *family;
	}
	return fd;
}

struct dump_ctx {
	netdev_dev_fn fn;
	void *ctx;
};

static void dump_msg(void *ctx, const void *attrs, size_t len)
{
	struct dump_ctx *dc = ctx;
	struct netdev_dev d;

	if (!netdev_parse_dev(attrs, len, &d) && d.ifindex)
		dc->fn(dc->ctx, &d);
}

int netdev_dump(netdev_dev_fn fn, void *ctx)
{
	struct dump_ctx dc = { .fn = fn, .ctx = ctx };
	struct genl_req r;
	int family, ret;
	int fd = netdev_open(&family);

	if (fd < 0)
		return fd;
	genl_req_init(&r, (uint16_t)family, NETDEV_CMD_DEV_GET, NLM_F_DUMP, 2);
	ret = genl_talk(fd, &r, dump_msg, &dc);
	close(fd);
	return ret;
}

struct get_ctx {
	struct netdev_dev *d;
	int ret;                /* -ENODEV until the device's message came */
};

static void get_msg(void *ctx, const void *attrs, size_t len)
{
	struct get_ctx *gc = ctx;
	uint32_t want = gc->d->ifindex;

	if (netdev_parse_dev(attrs, len, gc->d) || gc->d->ifindex != want) {
		memset(gc->d, 0, sizeof(*gc->d));
		gc->d->ifindex = want;
		gc->ret = -EINVAL;
		return;
	}
	gc->ret = 0;
}

int netdev_get(int ifindex, struct netdev_dev *d)
{
	uint32_t index = (uint32_t)ifindex;
	struct get_ctx gc = { .d = d, .ret = -ENODEV };
	struct genl_req r;
	int family, ret;
	int fd = netdev_open(&family);

	memset(d, 0, sizeof(*d));
	if (fd < 0)
		return fd;
	d->ifindex = index;
	genl_req_init(&r, (uint16_t)family, NETDEV_CMD_DEV_GET, 0, 2);
	genl_put(&r, NETDEV_A_DEV_IFINDEX, &index, sizeof(index));
	ret = genl_talk(fd, &r, get_msg, &gc);
	close(fd);
	return ret ? ret : gc.ret;
}

enum netdev_rx_ts netdev_rx_timestamp(int ifindex)
{
	struct netdev_dev d;

	if (netdev_get(ifindex, &d))
		return NETDEV_RX_TS_UNKNOWN;
	return netdev_rx_ts_of(&d);
}
