// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the hook-clock conversion (clock.c): a measured offset maps
 * CLOCK_MONOTONIC to CLOCK_REALTIME within a few ms, re-measuring happens
 * only once the interval has passed, and the conversion itself is plain
 * integer arithmetic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "clock.h"

#define MS 1000000ull
#define SEC 1000000000ull

static uint64_t abs_diff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/* Both clocks tick, in ns, and agree with clock_gettime(). */
static void test_clocks_read(void **state)
{
	struct timespec ts;
	uint64_t a, b, sys;

	(void)state;
	a = clock_mono_ns();
	b = clock_mono_ns();
	assert_true(b >= a);
	assert_true(a > 0);

	clock_gettime(CLOCK_REALTIME, &ts);
	sys = (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
	assert_true(abs_diff(clock_real_ns(), sys) < 5 * MS);

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sys = (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
	assert_true(abs_diff(clock_mono_ns(), sys) < 5 * MS);
}

static void test_sync_offset(void **state)
{
	struct vc_clock c;
	uint64_t before, after;

	(void)state;
	for (int round = 0; round < 20; round++) {
		memset(&c, 0xA5, sizeof(c));
		before = clock_mono_ns();
		clock_sync(&c);
		after = clock_mono_ns();

		/* The measurement moment is recorded, on the monotonic clock. */
		assert_true(c.synced_mono_ns >= before);
		assert_true(c.synced_mono_ns <= after);

		/* A hook stamp taken now converts to (about) the wall clock now. */
		uint64_t mono = clock_mono_ns();
		uint64_t wall = clock_hook_to_wall(&c, mono);
		uint64_t real = clock_real_ns();

		if (abs_diff(wall, real) >= 5 * MS) {
			print_error("round %d: wall %llu real %llu\n", round,
				    (unsigned long long)wall, (unsigned long long)real);
			fail();
		}
		/* Offset is REALTIME - MONOTONIC. */
		assert_true(abs_diff((uint64_t)((int64_t)real - (int64_t)mono),
				     (uint64_t)c.mono_to_real_ns) < 5 * MS);
	}
}

static void test_maybe_resync_waits(void **state)
{
	struct vc_clock c;
	const int64_t sentinel = 123456789;
	uint64_t now;

	(void)state;
	/* Measured just now: an hour's interval does not re-measure. */
	now = clock_mono_ns();
	c.mono_to_real_ns = sentinel;
	c.synced_mono_ns = now;
	clock_maybe_resync(&c, 3600 * SEC);
	assert_int_equal(c.mono_to_real_ns, sentinel);
	assert_int_equal(c.synced_mono_ns, now);

	/* Measured 0.5 s ago, interval 1 s: still nothing. */
	c.synced_mono_ns = clock_mono_ns() - SEC / 2;
	now = c.synced_mono_ns;
	clock_maybe_resync(&c, SEC);
	assert_int_equal(c.mono_to_real_ns, sentinel);
	assert_int_equal(c.synced_mono_ns, now);
}

static void test_maybe_resync_after_interval(void **state)
{
	struct vc_clock c;
	const int64_t sentinel = 123456789;
	uint64_t before, after, stale;

	(void)state;
	/* Measured 2 s ago, interval 1 s: re-measured. */
	before = clock_mono_ns();
	stale = before - 2 * SEC;
	c.mono_to_real_ns = sentinel;
	c.synced_mono_ns = stale;
	clock_maybe_resync(&c, SEC);
	after = clock_mono_ns();
	assert_true(c.mono_to_real_ns != sentinel);
	assert_true(c.synced_mono_ns >= before && c.synced_mono_ns <= after);
	assert_true(abs_diff(clock_hook_to_wall(&c, clock_mono_ns()), clock_real_ns()) <
		    5 * MS);

	/* Exactly at the interval counts as due. */
	c.mono_to_real_ns = sentinel;
	c.synced_mono_ns = clock_mono_ns() - SEC;
	clock_maybe_resync(&c, SEC);
	assert_true(c.mono_to_real_ns != sentinel);

	/* Interval 0: every call re-measures. */
	c.mono_to_real_ns = sentinel;
	c.synced_mono_ns = clock_mono_ns();
	clock_maybe_resync(&c, 0);
	assert_true(c.mono_to_real_ns != sentinel);

	/* Really waiting past a short interval also re-measures. */
	clock_sync(&c);
	c.mono_to_real_ns = sentinel;
	stale = c.synced_mono_ns;
	{
		struct timespec nap = { 0, 20 * 1000 * 1000 };

		nanosleep(&nap, NULL);
	}
	clock_maybe_resync(&c, 10 * MS);
	assert_true(c.mono_to_real_ns != sentinel);
	assert_true(c.synced_mono_ns >= stale + 10 * MS);
}

/* The conversion is exact: mono + offset, no rounding, either sign. */
static void test_conversion_exact(void **state)
{
	struct vc_clock c = { 0 };

	(void)state;
	c.mono_to_real_ns = 1700000000123456789ll;
	assert_true(clock_hook_to_wall(&c, 0) == 1700000000123456789ull);
	assert_true(clock_hook_to_wall(&c, 1) == 1700000000123456790ull);
	assert_true(clock_hook_to_wall(&c, 987654321987ull) ==
		    1700000000123456789ull + 987654321987ull);

	/* Wall clock behind the monotonic one (RTC unset, boot in 1970). */
	c.mono_to_real_ns = -1000;
	assert_true(clock_hook_to_wall(&c, 5000) == 4000);
	assert_true(clock_hook_to_wall(&c, 1000) == 0);
	c.mono_to_real_ns = -(int64_t)(3600 * SEC);
	assert_true(clock_hook_to_wall(&c, 7200 * SEC + 17) == 3600 * SEC + 17);

	c.mono_to_real_ns = 0;
	assert_true(clock_hook_to_wall(&c, 42) == 42);

	/* The measurement time plays no part in the conversion. */
	c.mono_to_real_ns = 10;
	c.synced_mono_ns = 999;
	assert_true(clock_hook_to_wall(&c, 5) == 15);
	c.synced_mono_ns = 0;
	assert_true(clock_hook_to_wall(&c, 5) == 15);

	/* Every ns maps to a distinct ns: differences are kept. */
	c.mono_to_real_ns = 1700000000000000000ll;
	for (uint64_t m = 1000; m < 1100; m++)
		assert_true(clock_hook_to_wall(&c, m + 1) - clock_hook_to_wall(&c, m) == 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clocks_read),
		cmocka_unit_test(test_sync_offset),
		cmocka_unit_test(test_maybe_resync_waits),
		cmocka_unit_test(test_maybe_resync_after_interval),
		cmocka_unit_test(test_conversion_exact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
