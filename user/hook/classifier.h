/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Loading and attaching the classifier, and detaching it on every exit path.
 *
 * Order matters: the maps are created and filled (rules, settings, AF_XDP
 * sockets) before the program is attached, so the first frame that reaches
 * the hook already sees the complete configuration.
 *
 * What is loaded follows what the kernel accepts (kernel_probe.h): the
 * variant (where bypass puts the per-frame metadata, how inline copies read
 * a received frame, multi-buffer or not) is chosen before anything is
 * loaded. The program is attached through libxdp's dispatcher where the
 * kernel lets the dispatcher hold it, so other XDP programs can share the
 * hook; otherwise, or when libxdp fails at any stage, vpncap attaches it
 * itself (bpf_xdp_attach), native mode first. Every try starts from a fresh
 * object on the same maps: nothing of a failed load or attach is reused.
 */
#ifndef VPNCAP_HOOK_CLASSIFIER_H
#define VPNCAP_HOOK_CLASSIFIER_H

#include <stddef.h>
#include <xdp/libxdp.h>

#include "hook/kernel_probe.h"
#include "hook/netdev_genl.h"
#include "hook/tc_egress.h"
#include "vpncap/abi.h"

struct vpncap_classifier;
struct vpncap_classifier_hwts;

#define CLASSIFIER_MAX_MAPS 16

/* --xdp-mode: auto tries native, then skb (generic). */
enum xdp_mode_choice { XDP_MODE_CHOICE_AUTO, XDP_MODE_CHOICE_NATIVE, XDP_MODE_CHOICE_SKB };
/*
 * --timestamps: auto = the NIC's hardware stamp where the driver offers one,
 * the hook's software stamp otherwise; hardware = insist on the NIC's;
 * software = always the hook's.
 */
enum ts_choice { TS_CHOICE_AUTO, TS_CHOICE_HARDWARE, TS_CHOICE_SOFTWARE };

/* The classifier as this kernel can run it (read-only switches, load flags). */
struct classifier_variant {
	enum vpncap_meta_place meta;    /* where bypass puts struct vpncap_meta */
	enum vpncap_xdp_copy copy;      /* how inline copies read a received frame */
	int can_copy_rx;                /* inline capture of received frames is possible */
	int frags;                      /* load multi-buffer aware (the driver may still refuse) */
};

/* How the XDP program sits on the interface. */
enum hook_kind {
	HOOK_NONE,                      /* not attached */
	HOOK_DISPATCHER,                /* libxdp's dispatcher: other XDP programs share the hook */
	HOOK_ALONE_LIBXDP,              /* alone, attached by libxdp (its dispatcher refused) */
	HOOK_ALONE_DIRECT,              /* alone, attached by vpncap itself (bpf_xdp_attach) */
};

struct classifier {
	struct vpncap_classifier *skel;
	struct xdp_program *prog;       /* the libxdp program of the last libxdp try */
	const struct kernel_features *kf;
	struct classifier_variant variant;
	int ifindex;
	char ifname[16];
	enum xdp_attach_mode mode;   /* XDP_MODE_UNSPEC while not attached */
	enum hook_kind hook;
	int frags;                   /* loaded multi-buffer aware (xdp.frags) */
	int bpffs;                   /* bpffs is usable (libxdp pins its dispatcher there) */
	int map_fds[CLASSIFIER_MAX_MAPS]; /* our own references to the maps, in object order */
	unsigned int n_map_fds;
	int lock_fd;                 /* held while this vpncap owns the interface, else -1 */
	char lock_path[80];          /* /run/vpncap/<netns>-<ifname>.lock, removed at unlock */
	int keep_lock;               /* classifier_close() leaves it to classifier_unlock() */
	uint32_t active_rules;       /* slot of rules_map the program reads */
	/* Settings, written with every rule set; set them before classifier_apply_rules(). */
	uint64_t frag_timeout_ns;
	uint64_t host_window_ns;
	uint32_t bpf_mode;           /* enum vpncap_mode */
	uint32_t snaplen;            /* inline copies are cut here */
	uint32_t unmatched;          /* as last applied */
	uint32_t xsk_sg;             /* sockets bound with XDP_USE_SG: multi-buffer frames redirected */
	struct tc_egress egress;     /* inline: the TC egress program */
	/*
	 * Timestamps (classifier_set_timestamps() before attach). With hardware
	 * stamps the programs come from hw_skel (same maps as skel), loaded
	 * device-bound and attached alone in native mode: libxdp's dispatcher
	 * cannot run a device-bound program.
	 */
	enum ts_choice ts_want;
	struct vpncap_classifier_hwts *hw_skel;
	int hw_timestamps;           /* 1: the device-bound program with the kfunc is attached */
	char ts_reason[192];         /* why software stamps, "" when hw_timestamps */
	/* Expressions (hook/expr_progs.c): the resume copy, loaded with the first one. */
	struct vpncap_classifier *resume_skel;
	/*
	 * Set before classifier_attach() when the rule set has expressions:
	 * behind libxdp's dispatcher the program is an extension, which owns
	 * the program array, and the resume copy cannot be put in it: the
	 * program goes alone (dispatcher_can_tail_call()).
	 */
	int tail_calls;
};

/* Pure: the variant of the classifier for a kernel with these features. */
void classifier_choose_variant(const struct kernel_features *kf, struct classifier_variant *v);

/*
 * Set an opened, not yet loaded classifier object to the variant: its
 * read-only switches, and the multi-buffer flag (libxdp sets its own).
 */
void classifier_variant_apply(struct vpncap_classifier *skel, const struct classifier_variant *v);

/* "libxdp dispatcher", "single program (libxdp)", "single program (direct attach)" */
const char *hook_kind_name(enum hook_kind kind);

/*
 * Mount bpffs on /sys/fs/bpf if nothing is mounted there (libxdp pins its
 * dispatcher there). Without it vpncap attaches its program itself.
 */
int bpffs_ensure_mounted(char *err, size_t errlen);

/*
 * Take the interface (one vpncap per interface and network namespace), open
 * the object and create its maps, capture_ring of ring_bytes (a power of
 * two), and choose the variant kf allows (kf must outlive c); nothing
 * touches the interface yet.
 */
int classifier_open(struct classifier *c, const char *ifname, int ifindex, uint64_t ring_bytes,
		    const struct kernel_features *kf, char *err, size_t errlen);

/*
 * Install a rule set and the unmatched action, atomically for the frames:
 * the set goes into the slot not in use, then one store makes it active.
 * Works before and after attach (reload). 0 or -errno.
 */
int classifier_apply_rules(struct classifier *c, const struct vpncap_ruleset *set,
			   uint32_t unmatched);
int classifier_xsks_map_fd(const struct classifier *c);
int classifier_ring_fd(const struct classifier *c);

/* An object just opened takes the maps vpncap created and filled, in order. */
int classifier_reuse_maps(struct classifier *c, struct bpf_object *obj);

/* Can the program libxdp's dispatcher runs tail-call into the expressions? */
int dispatcher_can_tail_call(const struct kernel_features *kf);

/*
 * Switch what the XDP program does with matched frames (enum vpncap_mode),
 * in one store, keeping the rules. 0 or -errno.
 */
int classifier_set_mode(struct classifier *c, uint32_t bpf_mode);

/*
 * Multi-buffer frames in bypass: on = 1 when user space bound every AF_XDP
 * socket of the interface with XDP_USE_SG (Linux 6.6+); they are then
 * redirected like the others instead of copied into capture_ring. One
 * settings store, before or after attach. 0 or -errno.
 */
int classifier_set_xsk_sg(struct classifier *c, int on);

/*
 * Where frame timestamps come from; call before classifier_attach().
 * TS_CHOICE_AUTO: try the device-bound program that reads the NIC's receive
 * stamp unless the driver says it has none (Linux 6.8+); if the kernel
 * (< 6.3) or the driver refuses it, log one line and attach the plain
 * program. TS_CHOICE_HARDWARE: any of that fails the attach.
 * TS_CHOICE_SOFTWARE: the plain program only. After the attach,
 * c->hw_timestamps and c->ts_reason say what was chosen.
 */
void classifier_set_timestamps(struct classifier *c, enum ts_choice want);

/* Why the device-bound program is not tried; TS_WHY_NONE: it is. */
enum ts_why {
	TS_WHY_NONE,
	TS_WHY_SOFTWARE,        /* --timestamps software */
	TS_WHY_SKB_MODE,        /* --xdp-mode skb: generic XDP runs no device-bound program */
	TS_WHY_NO_KFUNCS,       /* kernel < 6.3 */
	TS_WHY_DRIVER,          /* the driver's xdp-rx-metadata-features lack timestamp */
};

enum ts_action {
	TS_TRY_DEVICE_BOUND,    /* then, with auto, the plain program if it is refused */
	TS_PLAIN,
	TS_FAIL,                /* --timestamps hardware that cannot be had */
};

struct ts_plan {
	enum ts_action action;
	enum ts_why why;
};

/*
 * What classifier_attach() does about timestamps before it touches the
 * interface, from the choice, --xdp-mode, whether the kernel has the RX
 * metadata kfuncs and what the driver says. Pure.
 */
struct ts_plan classifier_ts_plan(enum ts_choice want, enum xdp_mode_choice xdp_mode,
				  int have_kfuncs, enum netdev_rx_ts driver);

/*
 * Attach: native first with AUTO, then SKB (hardware timestamps: native
 * only); in each mode through libxdp's dispatcher where the kernel allows
 * it, else directly. Afterwards c->mode, c->hook and c->frags say how.
 */
int classifier_attach(struct classifier *c, enum xdp_mode_choice want,
		      char *err, size_t errlen);

/* Attach the TC egress program (after classifier_attach(), which loads it). */
int classifier_attach_egress(struct classifier *c, char *err, size_t errlen);

/* Sum of the per-CPU counters of one hook (VPNCAP_DIR_IN: XDP, VPNCAP_DIR_OUT: TC). */
int classifier_read_counters(const struct classifier *c, __u32 dir,
			     struct vpncap_counters *sum);

/* Hits per rule index (hits_map summed over CPUs); n entries. 0 or -errno. */
int classifier_read_hits(const struct classifier *c, uint64_t *hits, unsigned int n);

/* Add up ncpu per-CPU values of counters_map, as a lookup returns them. */
void counters_sum(const struct vpncap_counters *per_cpu, int ncpu,
		  struct vpncap_counters *sum);

/* Take the programs off the interface, keeping the maps readable; safe to call twice. */
void classifier_detach(struct classifier *c);

/*
 * Detach (if attached) and free everything, the interface lock included
 * unless keep_lock is set; safe to call twice.
 */
void classifier_close(struct classifier *c);

/*
 * Let the next vpncap have the interface: after classifier_close() of a
 * classifier with keep_lock, once the caller's AF_XDP sockets are closed
 * too (a newcomer binding the same queues before would be refused).
 */
void classifier_unlock(struct classifier *c);

const char *xdp_mode_name(enum xdp_attach_mode mode);

#endif /* VPNCAP_HOOK_CLASSIFIER_H */
