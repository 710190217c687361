// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of show's --since/--until times: every accepted form to its
 * nanosecond, a time of day placed on the first frame's UTC day, and the
 * forms refused (impossible dates and times are never normalised).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "read/time_bound.h"

#define NS 1000000000LL
/* 2026-12-06T00:00:00Z */
#define DEC6 (1796515200LL * NS)

static int64_t absolute(const char *s)
{
	struct time_bound b;

	assert_int_equal(time_bound_parse(s, &b), 0);
	assert_int_equal(b.set, 1);
	assert_int_equal(b.time_of_day, 0);
	return b.ns;
}

static void test_absolute(void **state)
{
	(void)state;
	assert_int_equal(absolute("2026-12-06"), DEC6);
	assert_int_equal(absolute("2026-12-06T14:03:07"), DEC6 + (14 * 3600 + 3 * 60 + 7) * NS);
	assert_int_equal(absolute("2026-12-06 14:03:07"), DEC6 + (14 * 3600 + 3 * 60 + 7) * NS);
	assert_int_equal(absolute("2026-12-06T14:03:07Z"), DEC6 + (14 * 3600 + 3 * 60 + 7) * NS);
	assert_int_equal(absolute("2026-12-06T14:03"), DEC6 + (14 * 3600 + 3 * 60) * NS);
	assert_int_equal(absolute("2026-12-06T14:03:07.5"), DEC6 + (14 * 3600 + 3 * 60 + 7) * NS + NS / 2);
	assert_int_equal(absolute("2026-12-06T00:00:00.000000001Z"), DEC6 + 1);
	assert_int_equal(absolute("1970-01-01"), 0);
	assert_int_equal(absolute("2024-02-29T23:59:59"), 1709251199LL * NS);
}

static void test_time_of_day(void **state)
{
	struct time_bound b;
	uint64_t first = (uint64_t)(DEC6 + 22 * 3600 * NS + 123); /* 22:00 and a bit */

	(void)state;
	assert_int_equal(time_bound_parse("14:03:07", &b), 0);
	assert_int_equal(b.time_of_day, 1);
	assert_int_equal(b.ns, (14 * 3600 + 3 * 60 + 7) * NS);
	/* On the first frame's day, even when earlier than it. */
	assert_int_equal(time_bound_ns(&b, first), DEC6 + (14 * 3600 + 3 * 60 + 7) * NS);
	assert_int_equal(time_bound_parse("23:59", &b), 0);
	assert_int_equal(time_bound_ns(&b, first), DEC6 + (23 * 3600 + 59 * 60) * NS);
	assert_int_equal(time_bound_parse("00:00:00.25", &b), 0);
	assert_int_equal(time_bound_ns(&b, first), DEC6 + NS / 4);
	/* An absolute bound ignores the first frame. */
	assert_int_equal(time_bound_parse("2026-12-05", &b), 0);
	assert_int_equal(time_bound_ns(&b, first), DEC6 - 86400 * NS);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"", "now", "-10m", "14", "14:3", "14:03:7", "24:00", "23:60", "23:59:60",
		"14:03:07.", "14:03:07.1234567891", "14:03:07Z", "14:03Z",
		"2026-12-06T", "2026-12-06 ", "2026-12-06T14", "2026-12-06T14:03:07+01:00",
		"2026-13-01", "2026-02-29", "2026-04-31", "2026-00-10", "2026-12-00",
		"1969-12-31", "2262-01-01", "2026-1-6", "2026/12/06", "2026-12-06x",
		"2026-12-06T14:03:07ZZ", "20261206T140307Z",
	};
	struct time_bound b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (time_bound_parse(bad[i], &b) != -1)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(b.set, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absolute),
		cmocka_unit_test(test_time_of_day),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
