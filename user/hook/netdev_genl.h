/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The netdev generic netlink family: what a driver says it can do with XDP
 * (xdp-features, Linux 6.3) and which XDP RX metadata it hands a
 * device-bound program (xdp-rx-metadata-features, Linux 6.8). `vpncap list`
 * shows both; hook/classifier.c asks for the RX timestamp before it loads a
 * device-bound program that would take the hook alone.
 *
 * The kernel's answer is outside input: netdev_parse_dev() checks every
 * length, and the unit tests feed it crafted attributes.
 */
#ifndef VPNCAP_HOOK_NETDEV_GENL_H
#define VPNCAP_HOOK_NETDEV_GENL_H

#include <stddef.h>
#include <stdint.h>

/*
 * enum netdev_xdp_rx_metadata of include/uapi/linux/netdev.h (Linux 6.8).
 * Debian 12's headers predate the family, so the values are spelled here,
 * under names of our own so a newer header never clashes with them.
 */
enum {
	NETDEV_RX_META_TIMESTAMP = 1,
	NETDEV_RX_META_HASH = 2,
	NETDEV_RX_META_VLAN_TAG = 4,
};

/* One device as NETDEV_CMD_DEV_GET describes it. */
struct netdev_dev {
	uint32_t ifindex;               /* 0: the message named no device */
	int has_xdp_features;           /* 0: no NETDEV_A_DEV_XDP_FEATURES */
	uint64_t xdp_features;          /* NETDEV_XDP_ACT_* (LIST_XDP_* in cmd/list.h) */
	uint32_t zc_max_segs;
	int has_rx_metadata;            /* 0 before Linux 6.8 */
	uint64_t rx_metadata;           /* NETDEV_RX_META_* */
};

/* Does the driver read the NIC's receive stamp for a device-bound program? */
enum netdev_rx_ts {
	NETDEV_RX_TS_UNKNOWN,   /* kernel < 6.8 (no attribute) or no netdev family */
	NETDEV_RX_TS_NO,
	NETDEV_RX_TS_YES,
};

/*
 * The attributes of one reply (what follows the genetlink header), len
 * bytes. Unknown attributes are skipped; a known one of the wrong size, or
 * an attribute running past the end, makes the whole message -EINVAL.
 */
int netdev_parse_dev(const void *attrs, size_t len, struct netdev_dev *d);

/* What one device's answer says about RX timestamps. */
enum netdev_rx_ts netdev_rx_ts_of(const struct netdev_dev *d);

/* A flag bit and the word the kernel's netdev spec gives it. */
struct netdev_flag_word {
	uint64_t bit;
	const char *word;
};

/* The RX metadata flags in order: timestamp, hash, vlan-tag. */
extern const struct netdev_flag_word netdev_rx_meta_names[];
extern const size_t netdev_rx_meta_count;

/*
 * The words of the bits set in bits, in table order, joined by sep, into
 * buf (always terminated; cut when too small). Bits not in the table are
 * left out.
 */
void netdev_flag_words(const struct netdev_flag_word *table, size_t n, uint64_t bits,
		       const char *sep, char *buf, size_t len);

/* The RX metadata words, ", "-separated ("timestamp, hash"); "" for none. */
void netdev_rx_meta_words(uint64_t rx_metadata, char *buf, size_t len);

typedef void (*netdev_dev_fn)(void *ctx, const struct netdev_dev *d);

/*
 * Every device of the current network namespace, one call each (malformed
 * messages left out). 0, -ENOENT without the netdev family (Linux < 6.3),
 * or -errno.
 */
int netdev_dump(netdev_dev_fn fn, void *ctx);

/* One device. 0, -ENOENT without the family, -ENODEV, -EINVAL or -errno. */
int netdev_get(int ifindex, struct netdev_dev *d);

/* netdev_get() boiled down to the question hook/classifier.c asks; never fails. */
enum netdev_rx_ts netdev_rx_timestamp(int ifindex);

#endif /* VPNCAP_HOOK_NETDEV_GENL_H */
