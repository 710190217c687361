// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the report's timeline: activity spans (in order, out of
 * order, bounded, merged where closest) and the panels: one for a steady
 * capture, one per burst when files are days apart, pauses shorter than
 * the threshold kept on the axis, at most TIMELINE_MAX_PANELS, buckets
 * shared with a floor, and each panel's buckets covering its frames.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/report_timeline.h"

#define SEC UINT64_C(1000000000)
#define T0 (UINT64_C(1764237600) * SEC) /* 2025-11-27T10:00:00Z */
#define DAY (86400 * SEC)

static void note_range(struct timeline_activity *a, uint64_t from, uint64_t seconds)
{
	uint64_t s;

	for (s = 0; s < seconds; s++)
		timeline_note(a, from + s * SEC + 123);
}

static void contiguous_seconds_are_one_span(void **state)
{
	struct timeline_activity a = { 0 };

	(void)state;
	note_range(&a, T0, 600);
	timeline_note(&a, T0 + 5 * SEC);        /* again, inside */
	assert_int_equal(a.n, 1);
	assert_int_equal(a.span[0].first, T0 / SEC);
	assert_int_equal(a.span[0].last, T0 / SEC + 599);
	assert_int_equal(a.first_ns, T0 + 123);
	assert_int_equal(a.last_ns, T0 + 599 * SEC + 123);
}

static void out_of_order_frames_fill_and_join(void **state)
{
	struct timeline_activity a = { 0 };

	(void)state;
	timeline_note(&a, T0 + 10 * SEC);
	timeline_note(&a, T0);
	timeline_note(&a, T0 + 5 * SEC);
	assert_int_equal(a.n, 3);
	assert_true(a.span[0].first < a.span[1].first && a.span[1].first < a.span[2].first);
	/* 6..9 and 1..4 bridge the gaps: one span again */
	note_range(&a, T0 + 6 * SEC, 4);
	note_range(&a, T0 + 1 * SEC, 4);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.span[0].last - a.span[0].first, 10);
	assert_int_equal(a.first_ns, T0);
}

static void spans_are_bounded_and_largest_gaps_survive(void **state)
{
	struct timeline_activity a = { 0 };
	unsigned int i;

	(void)state;
	/* 1000 single seconds 3 s apart, and two gaps of a day */
	for (i = 0; i < 1000; i++)
		timeline_note(&a, T0 + (uint64_t)i * 3 * SEC + (i >= 400 ? DAY : 0) + (i >= 700 ? DAY : 0));
	assert_int_equal(a.n, TIMELINE_SPANS);
	for (i = 0; i + 1 < a.n; i++)
		assert_true(a.span[i].last < a.span[i + 1].first);
	/* the day-long gaps are still between spans */
	for (i = 0; i + 1 < a.n; i++)
		if (a.span[i + 1].first - a.span[i].last > 86000)
			break;
	assert_true(i + 1 < a.n);
}

static void steady_capture_is_one_linear_panel(void **state)
{
	struct timeline_activity a = { 0 };
	struct timeline_layout l, lin;

	(void)state;
	note_range(&a, T0, 3600);
	timeline_note(&a, T0 + 3700 * SEC);     /* a pause of 100 s: below 5 min */
	timeline_layout(&a, 120, &l);
	assert_int_equal(l.npanels, 1);
	assert_int_equal(l.buckets, 120);
	timeline_linear(a.first_ns, a.last_ns, 120, &lin);
	assert_memory_equal(&l.panel[0], &lin.panel[0], sizeof(lin.panel[0]));
	assert_int_equal(timeline_bucket_start(&l, 0), a.first_ns);
	assert_true(timeline_bucket_end(&l, 119) > a.last_ns);
}

static void bursts_days_apart_get_a_panel_each(void **state)
{
	struct timeline_activity a = { 0 };
	struct timeline_layout l;
	unsigned int i, total = 0;

	(void)state;
	note_range(&a, T0, 60);                         /* a minute */
	note_range(&a, T0 + 3 * DAY, 7200);             /* two hours, three days later */
	timeline_layout(&a, 120, &l);
	assert_int_equal(l.npanels, 2);
	assert_int_equal(l.panel[0].start_ns, a.first_ns);
	assert_int_equal(l.panel[1].last_ns, a.last_ns);
	assert_int_equal(l.panel[1].start_ns, T0 + 3 * DAY);
	assert_true(l.panel[0].last_ns < l.panel[1].start_ns);
	/* the floor: a quarter each; the longer burst gets the rest */
	assert_true(l.panel[0].buckets >= 30 && l.panel[0].buckets < 40);
	for (i = 0; i < l.npanels; i++) {
		const struct timeline_panel *p = &l.panel[i];

		assert_int_equal(p->first, total);
		total += p->buckets;
		/* the panel's buckets cover its frames */
		assert_int_equal(timeline_bucket_start(&l, p->first), p->start_ns);
		assert_true(timeline_bucket_end(&l, p->first + p->buckets - 1) > p->last_ns);
	}
	assert_int_equal(total, 120);
	/* bucket 0 of panel 1 begins at its own start, not days before */
	assert_int_equal(timeline_bucket_start(&l, l.panel[1].first), T0 + 3 * DAY);
}

static void threshold_is_the_larger_of_five_minutes_and_a_tenth(void **state)
{
	struct timeline_activity a = { 0 }, b = { 0 };
	struct timeline_layout l;

	(void)state;
	/* 10 h of capture with a 50 min pause: under 10 % of 10 h + 50 min */
	note_range(&a, T0, 5 * 3600);
	note_range(&a, T0 + 5 * 3600 * SEC + 50 * 60 * SEC, 5 * 3600);
	timeline_layout(&a, 120, &l);
	assert_int_equal(l.npanels, 1);
	/* 2 min, a pause of 4 min, 2 min: over 10 %, under 5 min */
	note_range(&b, T0, 120);
	note_range(&b, T0 + 360 * SEC, 120);
	timeline_layout(&b, 120, &l);
	assert_int_equal(l.npanels, 1);
	/* ... and a pause of 6 min: two panels */
	memset(&b, 0, sizeof(b));
	note_range(&b, T0, 120);
	note_range(&b, T0 + 481 * SEC, 120);
	timeline_layout(&b, 120, &l);
	assert_int_equal(l.npanels, 2);
}

static void at_most_max_panels_the_largest_gaps_win(void **state)
{
	struct timeline_activity a = { 0 };
	struct timeline_layout l;
	unsigned int i;

	(void)state;
	/* six bursts, the gaps 1, 5, 2, 4, 3 days */
	static const unsigned int gap[] = { 1, 5, 2, 4, 3 };
	uint64_t t = T0;

	for (i = 0; i < 6; i++) {
		note_range(&a, t, 30);
		if (i < 5)
			t += gap[i] * DAY;
	}
	timeline_layout(&a, 120, &l);
	assert_int_equal(l.npanels, TIMELINE_MAX_PANELS);
	/* cut at the 5, 4 and 3 day gaps: panels 1+2 | 3+4 | 5 | 6 (by start day) */
	assert_int_equal(l.panel[0].start_ns, a.first_ns);
	assert_int_equal(l.panel[1].start_ns, T0 + 6 * DAY);
	assert_int_equal(l.panel[2].start_ns, T0 + 12 * DAY);
	assert_int_equal(l.panel[3].start_ns, T0 + 15 * DAY);
	for (i = 0; i < l.npanels; i++)
		assert_true(l.panel[i].buckets >= 120 / (2 * TIMELINE_MAX_PANELS));
}

static void nothing_noted_is_one_empty_panel(void **state)
{
	struct timeline_activity a = { 0 };
	struct timeline_layout l;

	(void)state;
	timeline_layout(&a, 120, &l);
	assert_int_equal(l.npanels, 1);
	assert_int_equal(l.panel[0].buckets, 120);
	assert_int_equal(l.panel[0].step_ns, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(contiguous_seconds_are_one_span),
		cmocka_unit_test(out_of_order_frames_fill_and_join),
		cmocka_unit_test(spans_are_bounded_and_largest_gaps_survive),
		cmocka_unit_test(steady_capture_is_one_linear_panel),
		cmocka_unit_test(bursts_days_apart_get_a_panel_each),
		cmocka_unit_test(threshold_is_the_larger_of_five_minutes_and_a_tenth),
		cmocka_unit_test(at_most_max_panels_the_largest_gaps_win),
		cmocka_unit_test(nothing_noted_is_one_empty_panel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
