// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of retention_select and retention_oldest_first. Victims must
 * be completed files only, oldest (lowest seq) first whatever the input
 * order, and never more than n; the file being written counts against both
 * limits but is never a victim.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/retention.h"

#define MAXN 4000
#define NO_CURRENT 0, 0

static size_t victims[MAXN];

/* Runs retention_select and checks victims are the seqs in want, in order. */
static void expect_victims(const struct retained_file *files, size_t n, uint64_t max_files,
			   uint64_t max_bytes, int has_current, uint64_t current_bytes,
			   const uint64_t *want, size_t nwant)
{
	struct retention_policy p = { .max_files = max_files, .max_bytes = max_bytes };
	size_t got, i;

	got = retention_select(files, n, &p, has_current, current_bytes, victims);
	assert_int_equal(got, nwant);
	for (i = 0; i < got; i++) {
		assert_true(victims[i] < n);
		assert_int_equal(files[victims[i]].seq, want[i]);
	}
}

#define VICTIMS(...) ((const uint64_t[]){ __VA_ARGS__ }), \
	(sizeof((const uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t))
#define NONE NULL, 0

/* Five files of 100 bytes, seq 1..5, given in order. */
static const struct retained_file five[] = {
	{ 1, 100, 0 }, { 2, 100, 0 }, { 3, 100, 0 }, { 4, 100, 0 }, { 5, 100, 0 },
};

static void test_no_limits(void **state)
{
	(void)state;
	expect_victims(five, 5, 0, 0, NO_CURRENT, NONE);
	expect_victims(five, 5, 0, 0, 1, UINT64_MAX, NONE);
}

static void test_empty(void **state)
{
	struct retention_policy p = { .max_files = 1, .max_bytes = 1 };

	(void)state;
	assert_int_equal(retention_select(five, 0, &p, 1, 1000, victims), 0);
	assert_int_equal(retention_select(NULL, 0, &p, 0, 0, NULL), 0);
	retention_oldest_first(NULL, 0, NULL);
}

static void test_max_files_no_current(void **state)
{
	(void)state;
	expect_victims(five, 5, 3, 0, NO_CURRENT, VICTIMS(1, 2));
	expect_victims(five, 5, 5, 0, NO_CURRENT, NONE);
	expect_victims(five, 5, 6, 0, NO_CURRENT, NONE);
	expect_victims(five, 5, 1, 0, NO_CURRENT, VICTIMS(1, 2, 3, 4));
}

static void test_max_files_ring(void **state)
{
	(void)state;
	/* With a file being written, max_files N keeps N-1 completed ones. */
	expect_victims(five, 5, 3, 0, 1, 0, VICTIMS(1, 2, 3));
	expect_victims(five, 5, 6, 0, 1, 0, NONE);
	expect_victims(five, 5, 5, 0, 1, 0, VICTIMS(1));
	expect_victims(five, 5, 1, 0, 1, 0, VICTIMS(1, 2, 3, 4, 5));
}

static void test_max_bytes(void **state)
{
	(void)state;
	/* No current: 500 bytes in all. */
	expect_victims(five, 5, 0, 500, NO_CURRENT, NONE);
	expect_victims(five, 5, 0, 499, NO_CURRENT, VICTIMS(1));
	expect_victims(five, 5, 0, 300, NO_CURRENT, VICTIMS(1, 2));
	expect_victims(five, 5, 0, 99, NO_CURRENT, VICTIMS(1, 2, 3, 4, 5));
	/* The current file's size counts: 150 + 500. */
	expect_victims(five, 5, 0, 650, 1, 150, NONE);
	expect_victims(five, 5, 0, 649, 1, 150, VICTIMS(1));
	expect_victims(five, 5, 0, 450, 1, 150, VICTIMS(1, 2));
	/* has_current = 0: current_bytes is ignored. */
	expect_victims(five, 5, 0, 500, 0, 1000, NONE);
}

static void test_current_over_budget(void **state)
{
	(void)state;
	/* All completed files go, and never more than n. */
	expect_victims(five, 5, 0, 1000, 1, 1001, VICTIMS(1, 2, 3, 4, 5));
	expect_victims(five, 5, 0, 1, 1, UINT64_MAX, VICTIMS(1, 2, 3, 4, 5));
	expect_victims(five, 5, 2, 1000, 1, 5000, VICTIMS(1, 2, 3, 4, 5));
}

static void test_both_limits(void **state)
{
	(void)state;
	/* max_files binds (keeps 3), max_bytes would keep 4. */
	expect_victims(five, 5, 3, 400, NO_CURRENT, VICTIMS(1, 2));
	/* max_bytes binds (keeps 2), max_files would keep 4. */
	expect_victims(five, 5, 4, 200, NO_CURRENT, VICTIMS(1, 2, 3));
	/* With current: files keeps 2, bytes (350 - 50) keeps 3. */
	expect_victims(five, 5, 3, 350, 1, 50, VICTIMS(1, 2, 3));
	/* With current: bytes (250 - 50) keeps 2, files keeps 4. */
	expect_victims(five, 5, 5, 250, 1, 50, VICTIMS(1, 2, 3));
	expect_victims(five, 5, 10, 10000, 1, 50, NONE);
}

static void test_out_of_order(void **state)
{
	static const struct retained_file files[] = {
		{ 70, 10, 0 }, { 30, 10, 0 }, { 90, 10, 0 }, { 10, 10, 0 }, { 50, 10, 0 }, { 1000000, 10, 0 },
	};

	(void)state;
	expect_victims(files, 6, 3, 0, NO_CURRENT, VICTIMS(10, 30, 50));
	expect_victims(files, 6, 3, 0, 1, 0, VICTIMS(10, 30, 50, 70));
	expect_victims(files, 6, 0, 25, NO_CURRENT, VICTIMS(10, 30, 50, 70));
	expect_victims(files, 6, 0, 10, 1, 1, VICTIMS(10, 30, 50, 70, 90, 1000000));
}

static void test_uneven_sizes(void **state)
{
	/* A huge file in the middle: deleting oldest first removes it too. */
	static const struct retained_file files[] = {
		{ 3, 10, 0 }, { 2, UINT64_MAX, 0 }, { 1, 10, 0 }, { 4, UINT64_MAX - 5, 0 },
	};

	(void)state;
	expect_victims(files, 3, 0, 100, NO_CURRENT, VICTIMS(1, 2));
	expect_victims(files, 3, 0, UINT64_MAX, NO_CURRENT, VICTIMS(1, 2));
	expect_victims(files, 4, 0, UINT64_MAX, NO_CURRENT, VICTIMS(1, 2, 3));
	expect_victims(files, 4, 0, UINT64_MAX, 1, 5, VICTIMS(1, 2, 3));
	expect_victims(files, 4, 0, UINT64_MAX, 1, 6, VICTIMS(1, 2, 3, 4));
	expect_victims(files, 4, 0, 0, 1, UINT64_MAX, NONE);
}

static void test_oldest_first(void **state)
{
	static const struct retained_file files[] = {
		{ 5, 0, 0 }, { 2, 0, 0 }, { UINT64_MAX, 0, 0 }, { 0, 0, 0 }, { 3, 0, 0 },
	};
	static const size_t want[] = { 3, 1, 4, 0, 2 };
	size_t order[5], one;

	(void)state;
	retention_oldest_first(files, 5, order);
	assert_memory_equal(order, want, sizeof(want));
	retention_oldest_first(files, 1, &one);
	assert_int_equal(one, 0);
}

/* Reference: delete the oldest while over a limit, with exact totals. */
static size_t reference(const struct retained_file *f, size_t n, uint64_t max_files,
			uint64_t max_bytes, int has_current, uint64_t current_bytes,
			const size_t *order)
{
	unsigned __int128 bytes = has_current ? current_bytes : 0;
	uint64_t count = n + (has_current ? 1 : 0);
	size_t i, del = 0;

	for (i = 0; i < n; i++)
		bytes += f[i].size;
	while (del < n && ((max_files && count > max_files) || (max_bytes && bytes > max_bytes))) {
		bytes -= f[order[del]].size;
		count--;
		del++;
	}
	return del;
}

/*
 * A set an older vpncap numbered twice (a wrapped state file): of two files
 * with one seq the earlier start goes first, whatever the listing order,
 * so the newest files are kept.
 */
static void test_same_seq_newer_start_kept(void **state)
{
	static const struct retained_file twice[] = {
		{ .seq = 4, .size = 100, .start_sec = 2000 },   /* the new run's 000004 */
		{ .seq = 5, .size = 100, .start_sec = 1005 },   /* the old run's 000005 */
		{ .seq = 4, .size = 100, .start_sec = 1004 },   /* the old run's 000004 */
		{ .seq = 5, .size = 100, .start_sec = 2001 },   /* the new run's 000005 */
		{ .seq = 6, .size = 100, .start_sec = 2002 },
	};
	struct retention_policy p = { .max_files = 3 };
	size_t got;

	(void)state;
	got = retention_select(twice, 5, &p, 0, 0, victims);
	assert_int_equal(got, 2);
	assert_int_equal(victims[0], 2);        /* old 000004 */
	assert_int_equal(victims[1], 0);        /* new 000004: seq still rules */
	p.max_files = 4;
	got = retention_select(twice, 5, &p, 0, 0, victims);
	assert_int_equal(got, 1);
	assert_int_equal(victims[0], 2);
	p.max_files = 2;
	got = retention_select(twice, 5, &p, 0, 0, victims);
	assert_int_equal(got, 3);
	assert_int_equal(victims[2], 1);        /* old 000005 before new 000005 */
}

static void test_many_against_reference(void **state)
{
	static struct retained_file files[MAXN];
	static size_t order[MAXN];
	size_t n = 3000, i, round;

	(void)state;
	srand(12345);
	/* Distinct seqs in shuffled order, random sizes. */
	for (i = 0; i < n; i++)
		files[i].seq = (uint64_t)i * 7 + 3;
	for (i = n - 1; i > 0; i--) {
		size_t j = (size_t)rand() % (i + 1);
		uint64_t t = files[i].seq;

		files[i].seq = files[j].seq;
		files[j].seq = t;
	}
	for (round = 0; round < 200; round++) {
		struct retention_policy p = {
			.max_files = (uint64_t)(rand() % 4) ? (uint64_t)(rand() % 3500) : 0,
			.max_bytes = (uint64_t)(rand() % 4) ? (uint64_t)rand() * 1000 : 0,
		};
		int has_current = rand() % 2;
		uint64_t current = (uint64_t)rand() * 10;
		size_t got;

		for (i = 0; i < n; i++)
			files[i].size = (uint64_t)rand() % 2000000;
		retention_oldest_first(files, n, order);
		for (i = 1; i < n; i++)
			assert_true(files[order[i - 1]].seq < files[order[i]].seq);
		got = retention_select(files, n, &p, has_current, current, victims);
		assert_int_equal(got, reference(files, n, p.max_files, p.max_bytes,
						has_current, current, order));
		assert_memory_equal(victims, order, got * sizeof(size_t));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_limits),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_max_files_no_current),
		cmocka_unit_test(test_max_files_ring),
		cmocka_unit_test(test_max_bytes),
		cmocka_unit_test(test_current_over_budget),
		cmocka_unit_test(test_both_limits),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_uneven_sizes),
		cmocka_unit_test(test_oldest_first),
		cmocka_unit_test(test_same_seq_newer_start_kept),
		cmocka_unit_test(test_many_against_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
