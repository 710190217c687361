/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the kernel in front of vpncap accepts, found out rather than
 * assumed: kernels of the same version differ (one 6.18 build accepts
 * bpf_xdp_adjust_meta in XDP, a later one refuses it), and gateways run
 * anything from 5.10 on. Each optional feature is probed by loading a tiny
 * program that uses it (bpf/probes.bpf.c and friends), or, where a load
 * cannot tell without touching an interface, by the kernel's own BTF.
 *
 * The classifier variant, the attach path and what `vpncap list` and the
 * file headers say all come from one struct kernel_features.
 *
 * VPNCAP_KERNEL_LACKS=name,name... makes vpncap treat those features as
 * missing, so tests can force every fallback on a kernel that would take
 * the preferred path; VPNCAP_TRY_LIBXDP=1 makes it try libxdp even where the
 * probe says its dispatcher cannot hold vpncap, so the stages at which
 * libxdp fails can be forced too. Test switches, not options.
 */
#ifndef VPNCAP_HOOK_KERNEL_PROBE_H
#define VPNCAP_HOOK_KERNEL_PROBE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum kfeat {
	KFEAT_ADJUST_META,      /* bpf_xdp_adjust_meta in XDP programs */
	KFEAT_ADJUST_HEAD,      /* bpf_xdp_adjust_head in XDP programs */
	KFEAT_XDP_FRAGS,        /* multi-buffer XDP programs (BPF_F_XDP_HAS_FRAGS), 5.18 */
	KFEAT_XDP_LOAD_BYTES,   /* bpf_xdp_load_bytes and bpf_xdp_get_buff_len, 5.18 */
	KFEAT_PROBE_READ,       /* bpf_probe_read_kernel in XDP programs */
	KFEAT_RINGBUF,          /* BPF ring buffer maps, 5.8 */
	KFEAT_RX_KFUNCS,        /* XDP RX metadata kfuncs (hardware timestamps), 6.3 */
	KFEAT_TCX,              /* tcx links for TC programs, 6.6 */
	KFEAT_DISPATCHER,       /* libxdp's dispatcher can hold a program that moves packet data */
	KFEAT_XSK_SG,           /* multi-buffer AF_XDP sockets (XDP_USE_SG), 6.6 */
	KFEAT_COUNT
};

#define KFEAT_WHY_LEN 160

struct kernel_features {
	char release[65];               /* uname -r */
	int probed;                     /* 1: probes could load programs; 0: nothing is known */
	char unprobed[KFEAT_WHY_LEN];   /* why not (not permitted, ...), when probed is 0 */
	uint32_t have;                  /* bit (1 << enum kfeat): accepted and not denied */
	uint32_t denied;                /* turned off by VPNCAP_KERNEL_LACKS */
	int try_libxdp;                 /* VPNCAP_TRY_LIBXDP=1: attach through libxdp first anyway */
	char why[KFEAT_COUNT][KFEAT_WHY_LEN]; /* for a missing feature: the kernel's refusal */
};

/*
 * Probe every feature (a few ms; a probe that cannot run counts as the
 * feature missing, with the reason). When not even a plain XDP program
 * loads (no privileges), probed is 0, unprobed says why and every feature
 * counts as missing. 0, or -EINVAL with a one-line err when
 * VPNCAP_KERNEL_LACKS names an unknown feature.
 */
int kernel_probe(struct kernel_features *kf, char *err, size_t errlen);

int kernel_has(const struct kernel_features *kf, enum kfeat f);

/*
 * One line for people: "kernel RELEASE features: A B; lacks: C", or why
 * nothing was probed (vpncap --version, capture --check).
 */
void kernel_describe(const struct kernel_features *kf, FILE *f);

/* Short stable name ("adjust_meta"), as in VPNCAP_KERNEL_LACKS and --json. */
const char *kfeat_name(enum kfeat f);
/* What it is, in words ("bpf_xdp_adjust_meta in XDP programs"). */
const char *kfeat_what(enum kfeat f);
/* The Linux version that brought it, "" when not a matter of version. */
const char *kfeat_since(enum kfeat f);

/*
 * What vpncap does without f, given the rest of kf, in words for the user
 * ("timestamps per batch of frames, not per frame"); *costly is 0 when
 * another way loses nothing. Meaningful for a feature kf lacks.
 */
const char *kfeat_effect(const struct kernel_features *kf, enum kfeat f, int *costly);

/* Parse a VPNCAP_KERNEL_LACKS list into a mask. Pure. 0 or -EINVAL with err. */
int kernel_lacks_parse(const char *list, uint32_t *mask, char *err, size_t errlen);

/* Mark the features of mask as missing (denied), as VPNCAP_KERNEL_LACKS does. */
void kernel_deny(struct kernel_features *kf, uint32_t mask);

#endif /* VPNCAP_HOOK_KERNEL_PROBE_H */
