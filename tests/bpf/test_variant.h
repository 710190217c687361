/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which classifier variant a BPF test loads: the one vpncap would load on
 * the kernel in front of it (kernel_probe + classifier_choose_variant),
 * with the one choice named on the command line forced, so both sides of
 * every fallback run on every kernel that accepts them:
 *   area | head | none          where bypass puts the metadata
 *   load_bytes | probe_read     how inline copies read a received frame
 * A choice the kernel refuses is not tested: the program says why and exits
 * 77, which ctest counts as skipped (SKIP_RETURN_CODE), never as passed.
 */
#ifndef VPNCAP_TEST_VARIANT_H
#define VPNCAP_TEST_VARIANT_H

#include <stdio.h>
#include <string.h>

#include "hook/kernel_probe.h"
#include "hook/classifier.h"

#define TEST_SKIPPED 77

static const struct {
	const char *word;
	int is_meta;            /* else a copy mode */
	int value;
	enum kfeat needs;       /* KFEAT_COUNT: nothing */
} test_variant_words[] = {
	{ "area", 1, VPNCAP_META_IN_AREA, KFEAT_ADJUST_META },
	{ "head", 1, VPNCAP_META_IN_HEAD, KFEAT_ADJUST_HEAD },
	{ "none", 1, VPNCAP_META_NONE, KFEAT_COUNT },
	{ "load_bytes", 0, VPNCAP_XDP_COPY_LOAD_BYTES, KFEAT_XDP_LOAD_BYTES },
	{ "probe_read", 0, VPNCAP_XDP_COPY_PROBE_READ, KFEAT_PROBE_READ },
};

/* 0 with *v set; TEST_SKIPPED; or 2 on bad usage. */
static inline int test_variant(int argc, char **argv, struct classifier_variant *v)
{
	struct kernel_features kf;
	char err[256];
	size_t i, n = sizeof(test_variant_words) / sizeof(test_variant_words[0]);

	if (kernel_probe(&kf, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	classifier_choose_variant(&kf, v);
	printf("kernel %s; classifier variant: metadata %d, copy %d, frags %d\n", kf.release,
	       v->meta, v->copy, v->frags);
	if (argc < 2)
		return 0;
	for (i = 0; i < n && strcmp(argv[1], test_variant_words[i].word); i++)
		;
	if (i == n) {
		fprintf(stderr, "usage: %s [area|head|none|load_bytes|probe_read]\n", argv[0]);
		return 2;
	}
	if (test_variant_words[i].needs != KFEAT_COUNT && !kernel_has(&kf, test_variant_words[i].needs)) {
		printf("SKIPPED: '%s' needs %s, which kernel %s refuses (%s)\n", argv[1],
		       kfeat_what(test_variant_words[i].needs), kf.release,
		       kf.why[test_variant_words[i].needs]);
		return TEST_SKIPPED;
	}
	if (test_variant_words[i].is_meta)
		v->meta = (enum vpncap_meta_place)test_variant_words[i].value;
	else
		v->copy = (enum vpncap_xdp_copy)test_variant_words[i].value;
	printf("forced: %s\n", argv[1]);
	return 0;
}

#endif /* VPNCAP_TEST_VARIANT_H */
