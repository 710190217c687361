/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `vpncap list`: every interface of the current network namespace with what
 * a capture needs to know about it (driver, queues, addresses, which XDP
 * modes it can take, what is attached, whether vpncap captures on it).
 *
 * Gathering talks to the kernel (getifaddrs, ethtool, generic netlink
 * through netdev_genl.c, bpf()); printing is pure and works on an array of struct list_entry, so
 * the table and the JSON are tested from fixed data.
 */
#ifndef VPNCAP_CMD_LIST_H
#define VPNCAP_CMD_LIST_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Unknown, for the facts a kernel or a missing privilege can hide. */
#define LIST_UNKNOWN (-1)

/* NETDEV_XDP_ACT_* of the netdev generic netlink family (Linux 6.3). */
enum {
	LIST_XDP_BASIC = 1,
	LIST_XDP_REDIRECT = 2,
	LIST_XDP_NDO_XMIT = 4,
	LIST_XDP_XSK_ZEROCOPY = 8,
	LIST_XDP_HW_OFFLOAD = 16,
	LIST_XDP_RX_SG = 32,
	LIST_XDP_NDO_XMIT_SG = 64,
};

/* One XDP program on the hook; at most one per mode. */
struct list_prog {
	uint32_t id;
	const char *mode;            /* "native", "skb" or "hw" */
	char name[16];               /* "" when unknown (needs CAP_SYS_ADMIN) */
	/* Through libxdp's dispatcher: its component programs, space separated. */
	char components[128];
	uint32_t vpncap_id;          /* vpncap_xdp itself, direct or a component; 0 if none */
};

/*
 * What vpncap's program on the port does with matched frames, read from its
 * settings map: what the kernel runs, not what was asked for. Bypass takes
 * them off the port, so no other capture there sees them.
 */
enum list_capture_mode {
	LIST_CAPTURE_NONE = 0,       /* no vpncap program on the port */
	LIST_CAPTURE_BYPASS,
	LIST_CAPTURE_INLINE,
};

struct list_entry {
	int ifindex;
	char name[IF_NAMESIZE];
	char driver[32];
	char mac[96];                /* "" for links without a hardware address */
	unsigned int flags;          /* IFF_*, with IFF_LOWER_UP */
	char operstate[16];          /* as in sysfs: "up", "down", "unknown", ... */
	int mtu;                     /* LIST_UNKNOWN */
	unsigned int rx_queues;
	char **ipv4, **ipv6;         /* "ADDR/PREFIX", allocated */
	size_t n_ipv4, n_ipv6;
	int features_known;          /* 0 before Linux 6.3 (no netdev family) */
	uint64_t xdp_features;       /* LIST_XDP_* */
	uint32_t zc_max_segs;
	int rx_meta_known;           /* 0 before Linux 6.8 (no xdp-rx-metadata-features) */
	uint64_t rx_metadata;        /* NETDEV_RX_META_* (netdev_genl.h) */
	int progs_known;             /* 0 when bpf_xdp_query failed */
	struct list_prog progs[3];
	int n_progs;
	int capturing;               /* 1, 0 or LIST_UNKNOWN (lock file unreadable) */
	int capture_mode;            /* enum list_capture_mode, or LIST_UNKNOWN */
};

struct list_opts {
	int json;
	int help;
};

extern const char list_usage[];

/* Options of `vpncap list` (argv[0] = "list"). 0, or -1 with one line in err. */
int list_parse_args(int argc, char **argv, struct list_opts *o, char *err, size_t errlen);

/* Prefix length of a netmask of len bytes: its leading one bits. */
unsigned int list_prefix_len(const unsigned char *mask, size_t len);

/* The feature words, space separated ("redirect ndo-xmit rx-sg"); basic left out. */
void list_feature_words(uint64_t features, char *buf, size_t len);


/* "vpncap" for vpncap's own program, "libxdp" for the dispatcher, else NULL. */
const char *list_prog_owner(const struct list_prog *p);

/* "UP", "NO-CARRIER" (up, no link) or "DOWN", from the flags. */
const char *list_state(const struct list_entry *e);

/* Append an address ("ADDR/PREFIX") to e->ipv4 or e->ipv6. 0 or -ENOMEM. */
int list_add_addr(struct list_entry *e, int ipv6, const char *addr);

void list_print_table(FILE *f, const struct list_entry *e, size_t n);
/* The interfaces as a JSON array (the "interfaces" of `vpncap list --json`). */
void list_print_json(FILE *f, const struct list_entry *e, size_t n);

struct kernel_features;
/* What the kernel has and, for what it lacks, the reason and what it costs. */
void list_print_kernel(FILE *f, const struct kernel_features *kf);
/* The same as the "kernel" object of `vpncap list --json`. */
void list_print_kernel_json(FILE *f, const struct kernel_features *kf);

/* Release what list_add_addr() allocated. */
void list_entries_free(struct list_entry *e, size_t n);


#endif /* VPNCAP_CMD_LIST_H */
