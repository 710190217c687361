/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vpncap ABI: the structs that cross the kernel/user boundary.
 *
 * This header is included by the XDP program (bpf/classifier.bpf.c) and by
 * user space. It uses only fixed-width kernel types so both sides agree on
 * layout; every struct is padded explicitly so no hidden padding differs
 * between clang -target bpf and the host compiler.
 */
#ifndef VPNCAP_ABI_H
#define VPNCAP_ABI_H

#include <linux/types.h>

/* Capacity of one rule set. Issue 5 grows the rule kinds, not this limit. */
#define VPNCAP_MAX_RULES 64

/* Room in the XSKMAP: one slot per RX queue index. */
#define VPNCAP_MAX_QUEUES 256

/* Ports are host byte order in rules; the classifier converts once per frame. */
struct vpncap_rule {
	__u8 l4_proto;   /* IPPROTO_UDP, IPPROTO_TCP, ... ; 0 = slot unused */
	__u8 pad;
	__u16 port;      /* matches source or destination; 0 = any port */
};

/*
 * The rule table: an ARRAY map of VPNCAP_RULESET_SLOTS rule sets. The
 * classifier reads the slot named by settings.active_rules; user space
 * writes a new set into the other slot, then flips active_rules with one
 * 32-bit store, so no frame ever sees half of an old and half of a new set.
 */
#define VPNCAP_RULESET_SLOTS 2

struct vpncap_ruleset {
	__u32 count;                    /* rules[0..count) are live */
	__u32 pad;
	struct vpncap_rule rules[VPNCAP_MAX_RULES];
};

/* What to do with frames that match no rule. */
enum vpncap_unmatched {
	VPNCAP_UNMATCHED_PASS = 0,      /* hand to the host stack (default) */
	VPNCAP_UNMATCHED_DROP = 1,      /* dedicated capture port: drop early */
};

/* Runtime settings, ARRAY map entry key 0, written by user space before attach. */
struct vpncap_settings {
	__u32 unmatched;                /* enum vpncap_unmatched */
	__u32 active_rules;             /* slot of rules_map in use (0 or 1) */
};

/*
 * Per-CPU counters (PERCPU_ARRAY, key 0). Identity kept by the classifier:
 * seen = matched + unmatched, matched = redirected + redirect_fail,
 * passed + dropped = unmatched + redirect_fail.
 */
struct vpncap_counters {
	__u64 seen;           /* frames that reached the hook */
	__u64 matched;        /* frames that matched a rule */
	__u64 redirected;     /* matched and handed to bpf_redirect_map() */
	__u64 redirect_fail;  /* matched but no AF_XDP socket on that queue */
	__u64 passed;         /* returned XDP_PASS */
	__u64 dropped;        /* returned XDP_DROP (--unmatched drop) */
};

/* Marks a metadata area written by this classifier (not stale UMEM bytes). */
#define VPNCAP_META_MAGIC 0x5643u /* "VC" */

/*
 * Per-frame metadata, placed by the classifier in the XDP metadata area
 * right before the frame (bpf_xdp_adjust_meta). In the UMEM it sits at
 * desc.addr - sizeof(struct vpncap_meta). Size must be a multiple of 4 and
 * at most 32 bytes (kernel limit on XDP metadata).
 */
struct vpncap_meta {
	__u64 hook_ns;        /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) at the hook */
	__u16 rule;           /* index of the first matching rule */
	__u16 magic;          /* VPNCAP_META_MAGIC */
	__u32 rx_queue;       /* ctx->rx_queue_index */
};

#endif /* VPNCAP_ABI_H */
