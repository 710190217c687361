/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a capture on one interface lost to the kernel in front of it (or to
 * its driver), in words: printed once at start and kept in the interface's
 * IDB comment, so a file says how it was made. Pure: the facts come in, the
 * list goes out.
 */
#ifndef VPNCAP_HOOK_DEGRADE_H
#define VPNCAP_HOOK_DEGRADE_H

#include <stddef.h>

#include "hook/kernel_probe.h"
#include "hook/classifier.h"

struct degrade_facts {
	const struct kernel_features *kf;
	int inline_mode;                /* else bypass */
	struct classifier_variant variant; /* as attached */
	enum hook_kind hook;
	int hw_timestamps;              /* the device-bound program is attached (alone by nature) */
	int bpffs;                      /* bpffs was usable */
	int egress_clsact;              /* inline: transmitted frames through clsact, not tcx */
	const char *sg_refused;         /* bypass: the driver's refusal of XDP_USE_SG, or NULL */
};

#define DEGRADE_MAX 8
#define DEGRADE_TEXT 360

struct degradation {
	int notable;                    /* printed at start; otherwise only with -v */
	char text[DEGRADE_TEXT];
};

/* Fill out[] (at most DEGRADE_MAX); returns how many. */
unsigned int degradations_list(const struct degrade_facts *f, struct degradation *out);

/* "kernel RELEASE: TEXT; TEXT", or "" when n is 0. */
void degradations_comment(const struct kernel_features *kf, const struct degradation *d,
			  unsigned int n, char *buf, size_t len);

#endif /* VPNCAP_HOOK_DEGRADE_H */
