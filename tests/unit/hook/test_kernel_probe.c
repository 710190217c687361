// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pure decisions that follow the kernel probe: which classifier variant
 * each of the 1024 feature sets gets, what vpncap says each lack costs,
 * which degradations a capture reports (and which only with -v), and the
 * VPNCAP_KERNEL_LACKS list. No kernel needed: the feature sets are made up.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hook/degrade.h"
#include "hook/kernel_probe.h"
#include "hook/classifier.h"

#define ALL ((1u << KFEAT_COUNT) - 1)
#define BIT(f) (1u << (f))

static struct kernel_features with(uint32_t have)
{
	struct kernel_features kf;
	int f;

	memset(&kf, 0, sizeof(kf));
	snprintf(kf.release, sizeof(kf.release), "6.99.0-test");
	kf.probed = 1;
	kf.have = have;
	for (f = 0; f < KFEAT_COUNT; f++)
		if (!(have & BIT(f)))
			snprintf(kf.why[f], sizeof(kf.why[f]), "refused (%s)", kfeat_name((enum kfeat)f));
	return kf;
}

static void test_variant_for_every_feature_set(void **state)
{
	uint32_t have;

	(void)state;
	for (have = 0; have <= ALL; have++) {
		struct kernel_features kf = with(have);
		struct classifier_variant v;
		int meta = !!(have & BIT(KFEAT_ADJUST_META)), head = !!(have & BIT(KFEAT_ADJUST_HEAD));
		int load = !!(have & BIT(KFEAT_XDP_LOAD_BYTES)), probe = !!(have & BIT(KFEAT_PROBE_READ));

		classifier_choose_variant(&kf, &v);
		assert_int_equal(v.meta, meta ? VPNCAP_META_IN_AREA :
					 head ? VPNCAP_META_IN_HEAD : VPNCAP_META_NONE);
		assert_int_equal(v.copy, load ? VPNCAP_XDP_COPY_LOAD_BYTES : VPNCAP_XDP_COPY_PROBE_READ);
		assert_int_equal(v.can_copy_rx, !!(have & BIT(KFEAT_RINGBUF)) && (load || probe));
		assert_int_equal(v.frags, !!(have & BIT(KFEAT_XDP_FRAGS)));
	}
}

/* A lack that another way covers costs nothing; each missing feature has words. */
static void test_effects(void **state)
{
	struct kernel_features kf = with(ALL & ~BIT(KFEAT_ADJUST_META));
	int costly, f;

	(void)state;
	assert_non_null(strstr(kfeat_effect(&kf, KFEAT_ADJUST_META, &costly), "in front of it"));
	assert_int_equal(costly, 0);
	kf = with(ALL & ~BIT(KFEAT_ADJUST_META) & ~BIT(KFEAT_ADJUST_HEAD));
	assert_non_null(strstr(kfeat_effect(&kf, KFEAT_ADJUST_META, &costly), "per batch"));
	assert_int_equal(costly, 1);
	assert_non_null(strstr(kfeat_effect(&kf, KFEAT_ADJUST_HEAD, &costly), "per batch"));
	assert_int_equal(costly, 1);
	kf = with(ALL & ~BIT(KFEAT_XDP_LOAD_BYTES));
	assert_non_null(strstr(kfeat_effect(&kf, KFEAT_XDP_LOAD_BYTES, &costly),
			       "bpf_probe_read_kernel"));
	assert_int_equal(costly, 0);
	kf = with(ALL & ~BIT(KFEAT_XDP_LOAD_BYTES) & ~BIT(KFEAT_PROBE_READ));
	assert_non_null(strstr(kfeat_effect(&kf, KFEAT_PROBE_READ, &costly), "no inline"));
	assert_int_equal(costly, 1);
	kf = with(0);
	for (f = 0; f < KFEAT_COUNT; f++) {
		assert_true(strlen(kfeat_effect(&kf, (enum kfeat)f, &costly)) > 10);
		assert_true(strlen(kfeat_name((enum kfeat)f)) > 2);
		assert_true(strlen(kfeat_what((enum kfeat)f)) > 10);
	}
}

static unsigned int list_for(const struct kernel_features *kf, int inline_mode,
			     enum hook_kind hook, int bpffs, struct degradation *d)
{
	struct degrade_facts f = {
		.kf = kf, .inline_mode = inline_mode, .hook = hook, .bpffs = bpffs,
	};

	classifier_choose_variant(kf, &f.variant);
	return degradations_list(&f, d);
}

static int has_line(const struct degradation *d, unsigned int n, const char *words, int notable)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (strstr(d[i].text, words) && d[i].notable == notable)
			return 1;
	return 0;
}

static void test_degradations(void **state)
{
	struct degradation d[DEGRADE_MAX];
	struct kernel_features kf = with(ALL);
	char comment[4096];
	unsigned int n;

	(void)state;
	/* Everything there, dispatcher used: nothing to say, no IDB comment. */
	n = list_for(&kf, 0, HOOK_DISPATCHER, 1, d);
	assert_int_equal(n, 0);
	degradations_comment(&kf, d, n, comment, sizeof(comment));
	assert_string_equal(comment, "");

	/* This machine's kind: no adjust_meta (costs nothing: -v only), no dispatcher (said). */
	kf = with(ALL & ~BIT(KFEAT_ADJUST_META) & ~BIT(KFEAT_DISPATCHER));
	n = list_for(&kf, 0, HOOK_ALONE_DIRECT, 1, d);
	assert_int_equal(n, 2);
	assert_true(has_line(d, n, "in front of it", 0));
	assert_true(has_line(d, n, "attached alone", 1));
	assert_true(has_line(d, n, "refused (dispatcher)", 1));
	degradations_comment(&kf, d, n, comment, sizeof(comment));
	assert_true(!strncmp(comment, "kernel 6.99.0-test: ", 20));
	assert_non_null(strstr(comment, "; the XDP program is attached alone"));
	/* Inline keeps no per-frame metadata in front of frames: nothing to say about it. */
	n = list_for(&kf, 1, HOOK_ALONE_DIRECT, 1, d);
	assert_false(has_line(d, n, "in front of it", 0));

	/* Neither helper: per-batch stamps, said at start. */
	kf = with(ALL & ~BIT(KFEAT_ADJUST_META) & ~BIT(KFEAT_ADJUST_HEAD));
	n = list_for(&kf, 0, HOOK_DISPATCHER, 1, d);
	assert_true(has_line(d, n, "timestamps per batch", 1));

	/* The dispatcher is fine, but bpffs is not there: alone, and why. */
	kf = with(ALL);
	n = list_for(&kf, 0, HOOK_ALONE_DIRECT, 0, d);
	assert_true(has_line(d, n, "no writable bpffs", 1));
	n = list_for(&kf, 0, HOOK_ALONE_LIBXDP, 1, d);
	assert_true(has_line(d, n, "could not load its dispatcher", 1));

	/* Linux 5.10: no frags, probe_read copies inline (-v), clsact (tc_egress said it). */
	kf = with(ALL & ~BIT(KFEAT_XDP_FRAGS) & ~BIT(KFEAT_XDP_LOAD_BYTES) & ~BIT(KFEAT_TCX));
	{
		struct degrade_facts f = { .kf = &kf, .inline_mode = 1, .hook = HOOK_DISPATCHER,
					   .bpffs = 1, .egress_clsact = 1 };

		classifier_choose_variant(&kf, &f.variant);
		n = degradations_list(&f, d);
	}
	assert_true(has_line(d, n, "frames larger than a page are not seen", 1));
	assert_true(has_line(d, n, "bpf_probe_read_kernel", 0));
	assert_true(has_line(d, n, "clsact", 0));

	/* Sockets without multi-buffer: the reason given is kept, and said. */
	{
		struct degrade_facts f = { .kf = &kf, .hook = HOOK_DISPATCHER, .bpffs = 1,
					   .sg_refused = "eth9 queue 0: refused by the driver" };

		classifier_choose_variant(&kf, &f.variant);
		n = degradations_list(&f, d);
	}
	assert_true(has_line(d, n, "eth9 queue 0: refused by the driver; frames larger", 1));
}

static void test_lacks_list(void **state)
{
	char err[256];
	uint32_t mask;

	(void)state;
	assert_int_equal(kernel_lacks_parse(NULL, &mask, err, sizeof(err)), 0);
	assert_int_equal(mask, 0);
	assert_int_equal(kernel_lacks_parse("", &mask, err, sizeof(err)), 0);
	assert_int_equal(mask, 0);
	assert_int_equal(kernel_lacks_parse("tcx,adjust_meta,,tcx", &mask, err, sizeof(err)), 0);
	assert_int_equal(mask, BIT(KFEAT_TCX) | BIT(KFEAT_ADJUST_META));
	assert_int_equal(kernel_lacks_parse("tcx,adjust", &mask, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "VPNCAP_KERNEL_LACKS: unknown kernel feature 'adjust'");
	assert_int_equal(kernel_lacks_parse("TCX", &mask, err, sizeof(err)), -EINVAL);
}

static void test_deny(void **state)
{
	struct kernel_features kf = with(ALL);

	(void)state;
	kernel_deny(&kf, BIT(KFEAT_DISPATCHER) | BIT(KFEAT_XSK_SG));
	assert_false(kernel_has(&kf, KFEAT_DISPATCHER));
	assert_false(kernel_has(&kf, KFEAT_XSK_SG));
	assert_true(kernel_has(&kf, KFEAT_TCX));
	assert_int_equal(kf.denied, BIT(KFEAT_DISPATCHER) | BIT(KFEAT_XSK_SG));
	assert_string_equal(kf.why[KFEAT_DISPATCHER], "turned off by VPNCAP_KERNEL_LACKS");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_variant_for_every_feature_set),
		cmocka_unit_test(test_effects),
		cmocka_unit_test(test_degradations),
		cmocka_unit_test(test_lacks_list),
		cmocka_unit_test(test_deny),
	};

	return cmocka_run_group_tests_name("kernel probe decisions", tests, NULL, NULL);
}
