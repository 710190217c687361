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

/* Capacity of one rule set. */
#define VPNCAP_MAX_RULES 64

/* Room in the XSKMAP: one slot per RX queue index. */
#define VPNCAP_MAX_QUEUES 256

/*
 * A rule (a named filter of `vpncap filter add`): every field named in
 * `fields` must match; a frame is captured if any rule matches. Ports are
 * host byte order, addresses network byte order.
 */
#define VPNCAP_F_PROTO (1u << 0)        /* l4_proto (IP protocol, after extension headers) */
#define VPNCAP_F_PORT  (1u << 1)        /* port_lo..port_hi, source or destination (UDP/TCP) */
#define VPNCAP_F_ADDR  (1u << 2)        /* any of addrs[], source or destination */
#define VPNCAP_F_VLAN  (1u << 3)        /* vlan_id in the outer or the inner tag */
#define VPNCAP_F_MAC   (1u << 4)        /* mac as source or destination */
#define VPNCAP_F_CLASS (1u << 5)        /* the frame's class is in class_mask */
/*
 * PktMon's fields (issue 18). Frames that are not IPv4 or IPv6 (ARP, LLDP,
 * ...) reach the rules too: a rule naming any IP field (PROTO, PORT, ADDR,
 * CLASS, TCP_FLAGS, the pairs) never matches them; fields 0 still means
 * "every IP frame".
 */
#define VPNCAP_F_ETHERTYPE (1u << 6)    /* ethertype after the VLAN tags (host order) */
#define VPNCAP_F_TCP_FLAGS (1u << 7)    /* TCP with every bit of tcp_flags set */
#define VPNCAP_F_ADDR_PAIR (1u << 8)    /* between addrs[0] and addrs[1], either way (with F_ADDR) */
#define VPNCAP_F_PORT_PAIR (1u << 9)    /* between ports port_lo and port2, either way */
#define VPNCAP_F_MAC_PAIR  (1u << 10)   /* between mac and mac2, either way */
#define VPNCAP_F_EXPR      (1u << 11)   /* expression expr_slot selected the frame */
#define VPNCAP_F_ALL       (1u << 12)   /* every frame, IP or not (--rules all) */
#define VPNCAP_KNOWN_FIELDS ((1u << 13) - 1)

/* Classes the classifier tells apart (bits of class_mask, value of meta.klass). */
#define VPNCAP_CLASS_IKE       (1u << 0) /* UDP 500; UDP 4500 starting with the non-ESP marker */
#define VPNCAP_CLASS_ESP       (1u << 1) /* IP protocol 50; ESP-in-UDP on 4500 */
#define VPNCAP_CLASS_KEEPALIVE (1u << 2) /* NAT-T keepalive: a single 0xff byte on UDP 4500 */

#define VPNCAP_RULE_ADDRS 4

struct vpncap_prefix {
	__u8 family;     /* 4 or 6; 0 = slot unused */
	__u8 len;        /* prefix length in bits */
	__u8 pad[2];
	__u8 addr[16];   /* IPv4 in the first 4 bytes */
};

struct vpncap_rule {
	__u32 fields;    /* VPNCAP_F_*; 0 in a live slot matches every IP frame */
	__u8 l4_proto;
	__u8 class_mask; /* VPNCAP_CLASS_* */
	__u16 vlan_id;
	__u16 port_lo;
	__u16 port_hi;
	__u32 snaplen;   /* bytes kept of a matching frame; 0 = all (applied in user space) */
	__u8 mac[6];
	__u8 n_addrs;
	__u8 pad;
	struct vpncap_prefix addrs[VPNCAP_RULE_ADDRS];
	__u8 mac2[6];    /* F_MAC_PAIR: the other end */
	__u16 ethertype; /* F_ETHERTYPE, host order */
	__u16 port2;     /* F_PORT_PAIR: port_lo is one end, port2 the other */
	__u8 tcp_flags;  /* F_TCP_FLAGS: TCP flag bits (FIN 0x01 .. CWR 0x80) all set */
	__u8 expr_slot;  /* F_EXPR: the expression's index in the rule set, < VPNCAP_MAX_EXPRS */
	__u32 pad2;
};

/*
 * Expressions (libpcap filter syntax): each is compiled by user space,
 * classic BPF translated into one XDP and one TC program. The classifier,
 * when the active rule set has expressions, zeroes expr_state[dir], notes
 * its rule-set slot there and tail-calls the first program of that slot's
 * bank in expr_progs; each program sets its bit in expr_state.bits when it
 * selects the frame and tail-calls the next one of the bank, the last (an
 * empty next slot) tail-calls VPNCAP_EXPR_RESUME: the classifier's own code
 * loaded again, which reads the bits and goes on as for any frame. A tail
 * call that fails ends in the frame being passed on untouched.
 */
#define VPNCAP_MAX_EXPRS 8
#define VPNCAP_EXPR_RESUME 0
/* First expr_progs slot of rule-set slot s's expressions. */
#define VPNCAP_EXPR_BANK(s) (1u + (s) * VPNCAP_MAX_EXPRS)
#define VPNCAP_EXPR_PROG_SLOTS (1u + 2 * VPNCAP_MAX_EXPRS)

struct vpncap_expr_state {
	__u64 bits;        /* bit i: expression i selected the frame */
	__u32 rules_slot;  /* the rule set the frame is classified with */
	__u32 pad;
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
	__u32 n_exprs;                  /* expressions of this set (expr_progs bank), 0..VPNCAP_MAX_EXPRS */
	struct vpncap_rule rules[VPNCAP_MAX_RULES];
};

/* What to do with frames that match no rule. */
enum vpncap_unmatched {
	VPNCAP_UNMATCHED_PASS = 0,      /* hand to the host stack (default) */
	VPNCAP_UNMATCHED_DROP = 1,      /* dedicated capture port: drop early */
};

/*
 * How matched frames reach user space.
 * BYPASS: redirected into the AF_XDP socket of their queue, so the host
 * stack never sees them: right for a SPAN or TAP port.
 * INLINE: copied (up to the snaplen) into capture_ring and passed on, so the
 * host keeps its traffic: right on the VPN gateway itself. Transmitted frames
 * are copied the same way by the TC egress program.
 */
enum vpncap_mode {
	VPNCAP_MODE_BYPASS = 0,
	VPNCAP_MODE_INLINE = 1,
};

/* Runtime settings, ARRAY map entry key 0, written by user space before attach. */
struct vpncap_settings {
	__u32 unmatched;                /* enum vpncap_unmatched (ingress only; egress always passes) */
	__u32 active_rules;             /* slot of rules_map in use (0 or 1) */
	__u64 frag_timeout_ns;          /* how long a matched datagram's fragments are followed */
	__u64 host_window_ns;           /* fragments ahead of their first one: hosts seen this recently */
	__u32 mode;                     /* enum vpncap_mode, for frames received */
	__u32 snaplen;                  /* bytes copied into capture_ring at most; 0 = all */
	/*
	 * 1 when every AF_XDP socket of the interface is bound with XDP_USE_SG
	 * (Linux 6.6+): bypass then redirects multi-buffer frames like the
	 * others. 0: a socket would refuse them, so they are copied into
	 * capture_ring and passed instead.
	 */
	__u32 xsk_sg;
	__u32 pad;
};

/*
 * Fragments. A matched first fragment (IPv4 offset 0 with MF, or an IPv6
 * fragment header at offset 0) records its datagram in frags_map, so later
 * fragments, which carry no ports, are captured too. Every matched frame
 * records its host pair in hosts_map, so fragments that arrive before their
 * first fragment are captured when the hosts talked matched traffic within
 * host_window_ns. Both maps are LRU: bounded, the oldest entries go first.
 */
struct vpncap_frag_key {
	__u8 family;     /* 4 or 6 */
	__u8 pad[3];
	__u32 id;        /* IPv4 identification or IPv6 fragment identification */
	__u8 src[16];
	__u8 dst[16];
};

struct vpncap_frag_val {
	__u64 expires_ns;
	__u16 rule;
	__u16 pad[3];
};

/* A host pair, lower address first, so both directions share an entry. */
struct vpncap_host_key {
	__u8 family;
	__u8 pad[3];
	__u8 a[16];
	__u8 b[16];
};

struct vpncap_host_val {
	__u64 last_ns;   /* last matched frame between the two */
	__u16 rule;
	__u16 pad[3];
};

/*
 * Per-CPU counters (PERCPU_ARRAY, key VPNCAP_DIR_IN for the XDP hook,
 * VPNCAP_DIR_OUT for the TC egress hook). Identity kept by the classifier:
 * seen = matched + unmatched, matched = redirected + redirect_fail + copied +
 * ring_full, passed + dropped = unmatched + redirect_fail + copied + ring_full
 * (a copied frame, or one whose copy found the ring full, goes on to the
 * stack). fragments and early_fragments count frames that are in matched
 * too, so fragments + early_fragments <= matched.
 */
#define VPNCAP_DIR_IN 0
#define VPNCAP_DIR_OUT 1
#define VPNCAP_DIRS 2

struct vpncap_counters {
	__u64 seen;           /* frames that reached the hook */
	__u64 matched;        /* frames that matched a rule */
	__u64 redirected;     /* matched and handed to bpf_redirect_map() */
	__u64 redirect_fail;  /* matched but no AF_XDP socket on that queue */
	__u64 passed;         /* returned XDP_PASS */
	__u64 dropped;        /* returned XDP_DROP (--unmatched drop) */
	__u64 fragments;      /* matched as a later fragment of a matched datagram */
	__u64 early_fragments;/* matched as a fragment ahead of its first, by host pair */
	__u64 copied;         /* matched and copied into capture_ring */
	__u64 ring_full;      /* matched, but capture_ring had no room: copy lost, frame passed */
	__u64 truncated;      /* copied, but cut at VPNCAP_RING_MAX_COPY below the snaplen */
	__u64 hw_stamped;     /* matched frames with a hardware stamp (VPNCAP_META_HW_TS) */
};

/*
 * Per-rule hits: PERCPU_ARRAY hits_map of VPNCAP_MAX_RULES __u64, by rule
 * index. Every matched frame (fragments included) counts one hit of the rule
 * in its metadata, so the hits add up to matched.
 */

/* Marks a metadata area written by this classifier (not stale UMEM bytes). */
#define VPNCAP_META_MAGIC 0x5643u /* "VC" */

/*
 * Per-frame metadata of a redirected frame (bypass), where enum
 * vpncap_meta_place below says: in the XDP metadata area right before the
 * frame (in the UMEM at desc.addr - sizeof(struct vpncap_meta)), or as the
 * first bytes of the descriptor's data. Size must be a multiple of 4 and at
 * most 32 bytes (kernel limit on XDP metadata).
 */
#define VPNCAP_META_FRAGMENT 0x1u /* a fragment matched through frags_map or hosts_map */
/*
 * hw_ns holds the NIC's receive stamp: set only by the device-bound program
 * (bpf_xdp_metadata_rx_timestamp, Linux 6.3+) when the driver returned 0
 * and a non-zero stamp. The stamp is in the NIC's clock (usually its PTP
 * hardware clock), not CLOCK_MONOTONIC.
 */
#define VPNCAP_META_HW_TS 0x2u

/*
 * Where bypass puts struct vpncap_meta, chosen by user space from what the
 * kernel accepts (a read-only setting of the loaded program):
 * AREA: the XDP metadata area (bpf_xdp_adjust_meta), right before the frame.
 * HEAD: prepended to the frame itself (bpf_xdp_adjust_head), for kernels
 *       that refuse adjust_meta in XDP; the consumer strips it before writing.
 *       A frame that cannot take it is copied through capture_ring instead,
 *       so a frame in the socket always starts with it.
 * NONE: no per-frame metadata; user space stamps frames per batch.
 */
enum vpncap_meta_place {
	VPNCAP_META_IN_AREA = 0,
	VPNCAP_META_IN_HEAD = 1,
	VPNCAP_META_NONE = 2,
};

/*
 * How the XDP program copies a received frame into capture_ring, chosen the
 * same way: bpf_xdp_load_bytes (Linux 5.18; all fragments of a multi-buffer
 * frame), or bpf_probe_read_kernel of the linear part (older kernels, which
 * have no multi-buffer frames).
 */
enum vpncap_xdp_copy {
	VPNCAP_XDP_COPY_LOAD_BYTES = 0,
	VPNCAP_XDP_COPY_PROBE_READ = 1,
};

struct vpncap_meta {
	__u64 hook_ns;        /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) at the hook */
	__u16 rule;           /* index of the first matching rule */
	__u16 magic;          /* VPNCAP_META_MAGIC */
	__u16 rx_queue;       /* ctx->rx_queue_index */
	__u8 klass;           /* VPNCAP_CLASS_* of the frame, 0 if none */
	__u8 flags;           /* VPNCAP_META_* */
	__u64 hw_ns;          /* hardware receive stamp if flags has VPNCAP_META_HW_TS, else 0 */
};

/*
 * capture_ring (BPF_MAP_TYPE_RINGBUF): one record per copied frame, this
 * header then caplen bytes of the frame. The reservation is rounded up to a
 * size class (a constant the verifier needs), so records carry spare bytes
 * after the frame; caplen says how many are frame.
 */
#define VPNCAP_RING_MAX_COPY 65536u

#define VPNCAP_RING_OUTBOUND 0x1u  /* transmitted (TC egress); else received (XDP) */

struct vpncap_ring_rec {
	__u64 hook_ns;        /* bpf_ktime_get_ns() at the hook */
	__u32 origlen;        /* length of the whole frame (all fragments of a multi-buffer frame) */
	__u32 caplen;         /* frame bytes that follow */
	__u16 rule;           /* index of the matching rule */
	__u16 queue;          /* RX queue (XDP) or TX queue mapping (TC) */
	__u8 klass;           /* VPNCAP_CLASS_* */
	__u8 flags;           /* VPNCAP_META_* */
	__u8 ring_flags;      /* VPNCAP_RING_* */
	__u8 pad;
	__u64 hw_ns;          /* as in vpncap_meta (received frames only; TC egress: 0) */
};

/*
 * Layout promises both compilers must keep: every size is the sum of the
 * fields (no hidden padding), so clang -target bpf and the host compiler
 * agree byte for byte. A failing line names the struct that changed.
 */
#define VPNCAP_ABI_SIZE(type, bytes) \
	_Static_assert(sizeof(type) == (bytes), #type ": size changed or hidden padding")
#define VPNCAP_ABI_AT(type, field, off) \
	_Static_assert(__builtin_offsetof(type, field) == (off), #type "." #field ": moved")

VPNCAP_ABI_SIZE(struct vpncap_prefix, 20);
VPNCAP_ABI_AT(struct vpncap_prefix, addr, 4);
VPNCAP_ABI_SIZE(struct vpncap_rule, 24 + VPNCAP_RULE_ADDRS * 20 + 16);
VPNCAP_ABI_AT(struct vpncap_rule, snaplen, 12);
VPNCAP_ABI_AT(struct vpncap_rule, addrs, 24);
VPNCAP_ABI_AT(struct vpncap_rule, mac2, 24 + VPNCAP_RULE_ADDRS * 20);
VPNCAP_ABI_SIZE(struct vpncap_expr_state, 16);
_Static_assert(VPNCAP_MAX_EXPRS <= 64, "expression bits are one __u64");
VPNCAP_ABI_SIZE(struct vpncap_ruleset, 8 + VPNCAP_MAX_RULES * sizeof(struct vpncap_rule));
VPNCAP_ABI_SIZE(struct vpncap_settings, 40);
/* the flip between rule sets is one aligned 32-bit store */
VPNCAP_ABI_AT(struct vpncap_settings, active_rules, 4);
VPNCAP_ABI_AT(struct vpncap_settings, frag_timeout_ns, 8);
VPNCAP_ABI_AT(struct vpncap_settings, xsk_sg, 32);
VPNCAP_ABI_SIZE(struct vpncap_frag_key, 40);
VPNCAP_ABI_SIZE(struct vpncap_frag_val, 16);
VPNCAP_ABI_SIZE(struct vpncap_host_key, 36);
VPNCAP_ABI_SIZE(struct vpncap_host_val, 16);
VPNCAP_ABI_SIZE(struct vpncap_counters, 12 * 8);
/* XDP metadata: a multiple of 4 bytes and at most 32 (the kernel's limits) */
VPNCAP_ABI_SIZE(struct vpncap_meta, 24);
_Static_assert(sizeof(struct vpncap_meta) % 4 == 0 && sizeof(struct vpncap_meta) <= 32,
	       "XDP metadata: a multiple of 4 bytes, at most 32");
VPNCAP_ABI_AT(struct vpncap_meta, magic, 10);
VPNCAP_ABI_AT(struct vpncap_meta, hw_ns, 16);
/* ring records start 8-byte aligned and the frame follows the header */
VPNCAP_ABI_SIZE(struct vpncap_ring_rec, 32);
_Static_assert(sizeof(struct vpncap_ring_rec) % 8 == 0, "ring record header: 8-byte multiple");
VPNCAP_ABI_AT(struct vpncap_ring_rec, hw_ns, 24);
_Static_assert(VPNCAP_RULESET_SLOTS == 2, "the flip toggles between two rule sets");
_Static_assert(VPNCAP_MAX_RULES <= 0xffff, "rule indexes are __u16 in meta and records");

#endif /* VPNCAP_ABI_H */
