// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of parse_size and parse_duration: every suffix and unit, the
 * u64 boundaries, and the typos an operator makes, which must fail rather
 * than turn into some other limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "units.h"

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define GiB (1024ull * MiB)
#define TiB (1024ull * GiB)

static void size_ok(const char *s, uint64_t want)
{
	uint64_t v = 12345;

	if (parse_size(s, &v) != 0)
		fail_msg("parse_size(\"%s\") failed", s);
	assert_int_equal(v, want);
}

static void size_bad(const char *s)
{
	uint64_t v = 12345;

	if (parse_size(s, &v) != -1)
		fail_msg("parse_size(\"%s\") accepted", s);
	assert_int_equal(v, 12345); /* untouched on error */
}

static void dur_ok(const char *s, uint64_t want_ms)
{
	uint64_t v = 12345;

	if (parse_duration(s, &v) != 0)
		fail_msg("parse_duration(\"%s\") failed", s);
	assert_int_equal(v, want_ms);
}

static void dur_bad(const char *s)
{
	uint64_t v = 12345;

	if (parse_duration(s, &v) != -1)
		fail_msg("parse_duration(\"%s\") accepted", s);
	assert_int_equal(v, 12345);
}

static void test_size_suffixes(void **state)
{
	(void)state;
	size_ok("0", 0);
	size_ok("4096", 4096);
	size_ok("4096B", 4096);
	size_ok("1k", KiB);
	size_ok("1K", KiB);
	size_ok("2kB", 2 * KiB);
	size_ok("2KiB", 2 * KiB);
	size_ok("256M", 256 * MiB);
	size_ok("256MB", 256 * MiB);
	size_ok("256MiB", 256 * MiB);
	size_ok("1G", GiB);
	size_ok("1GB", GiB);
	size_ok("1GiB", GiB);
	size_ok("3T", 3 * TiB);
	size_ok("3TB", 3 * TiB);
	size_ok("3TiB", 3 * TiB);
	size_ok("007", 7);
}

static void test_size_bounds(void **state)
{
	(void)state;
	size_ok("18446744073709551615", UINT64_MAX);
	size_bad("18446744073709551616");
	size_bad("99999999999999999999999");
	size_ok("18014398509481983K", 18014398509481983ull * KiB);
	size_bad("18014398509481984K");
	size_ok("17179869183G", 17179869183ull * GiB);
	size_bad("17179869184G");
	size_ok("16777215T", 16777215ull * TiB);
	size_bad("16777216T");
	size_bad("16384P"); /* 2^64, and P is not a suffix anyway */
	size_bad("1P");
}

static void test_size_bad(void **state)
{
	static const char *const bad[] = {
		"", "M", "B", "iB", "-1", "+1", " 1", "1 ", "1.5G", "10 M", "10X",
		"1m", "1g", "1t", "1MiBB", "1Mi", "1iB", "1MB ", "1KK", "0x10",
		"1e3", "1,000", "1_000", "1b", "1mb", "1\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		size_bad(bad[i]);
	assert_int_equal(parse_size(NULL, &(uint64_t){ 0 }), -1);
}

static void test_duration_units(void **state)
{
	(void)state;
	dur_ok("0", 0);
	dur_ok("30", 30000);
	dur_ok("500ms", 500);
	dur_ok("0ms", 0);
	dur_ok("30s", 30000);
	dur_ok("15m", 15 * 60000ull);
	dur_ok("1h", 3600000);
	dur_ok("1d", 86400000);
	dur_ok("7d", 7 * 86400000ull);
	dur_ok("0015m", 15 * 60000ull);
}

static void test_duration_bounds(void **state)
{
	(void)state;
	dur_ok("18446744073709551615ms", UINT64_MAX);
	dur_bad("18446744073709551616ms");
	dur_ok("18446744073709551", 18446744073709551000ull);
	dur_bad("18446744073709552");
	dur_ok("18446744073709551s", 18446744073709551000ull);
	dur_bad("18446744073709552s");
	dur_ok("307445734561825m", 307445734561825ull * 60000);
	dur_bad("307445734561826m");
	dur_ok("5124095576030h", 5124095576030ull * 3600000);
	dur_bad("5124095576031h");
	dur_ok("213503982334d", 213503982334ull * 86400000);
	dur_bad("213503982335d");
	dur_bad("99999999999999999999d");
}

static void test_duration_bad(void **state)
{
	static const char *const bad[] = {
		"", "m", "s", "ms", "-1", "+1", "-1s", " 1s", "1s ", "1.5h", "1.5",
		"10 m", "10X", "1h30m", "1H", "1M", "1S", "1D", "1MS", "1sec", "1min",
		"1hr", "1mss", "1sm", "1y", "1w", "1us", "0x10", "1e3",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		dur_bad(bad[i]);
	assert_int_equal(parse_duration(NULL, &(uint64_t){ 0 }), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_suffixes),
		cmocka_unit_test(test_size_bounds),
		cmocka_unit_test(test_size_bad),
		cmocka_unit_test(test_duration_units),
		cmocka_unit_test(test_duration_bounds),
		cmocka_unit_test(test_duration_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
