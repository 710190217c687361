/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The timeline of `vpncap report`: when the capture had frames, and the
 * panels its chart draws. Files far apart in time (a capture this morning
 * and one three days later) would squash every burst of activity into a
 * thin line at either end of one axis; instead each burst gets a panel of
 * its own, with its own buckets, and the chart marks the break between.
 *
 * Activity is kept as at most TIMELINE_SPANS spans of whole seconds,
 * sorted and disjoint: a frame inside or next to a span costs a compare
 * or two; a frame that opens a new span when all are taken merges the two
 * spans closest together (greedy, so for frames in time order the spans
 * end up cut at the largest gaps exactly). Memory is fixed, whatever the
 * capture. Pure: no I/O, no allocation.
 *
 * A burst ends at a gap longer than both TIMELINE_GAP_MIN_NS (5 min) and
 * TIMELINE_GAP_PERCENT (10 %) of the whole capture: a gap that long is
 * where one axis would waste most of its width on nothing, and shorter
 * pauses (a quiet minute in an hour) stay on the axis, where they are
 * information. At most TIMELINE_MAX_PANELS panels: the largest gaps win.
 */
#ifndef VPNCAP_CMD_REPORT_TIMELINE_H
#define VPNCAP_CMD_REPORT_TIMELINE_H

#include <stdint.h>

#define TIMELINE_SPANS 64
#define TIMELINE_MAX_PANELS 4
#define TIMELINE_GAP_MIN_NS (UINT64_C(300) * 1000000000)
#define TIMELINE_GAP_PERCENT 10

/* Whole seconds since the epoch, both included. */
struct timeline_span {
	uint64_t first, last;
};

/* All zero is empty: report_new()'s calloc makes one. */
struct timeline_activity {
	uint64_t first_ns, last_ns;     /* of the frames noted */
	unsigned int n;
	struct timeline_span span[TIMELINE_SPANS + 1];  /* one more while merging */
};

/* Buckets [first, first + buckets) of the series; bucket i covers
 * [start_ns + i * step_ns, start_ns + (i + 1) * step_ns). */
struct timeline_panel {
	uint64_t start_ns, last_ns;     /* its first and last frame (about: seconds between panels) */
	uint64_t step_ns;
	unsigned int first, buckets;
};

struct timeline_layout {
	unsigned int npanels, buckets;
	struct timeline_panel panel[TIMELINE_MAX_PANELS];
};

/* One frame at ts_ns. */
void timeline_note(struct timeline_activity *a, uint64_t ts_ns);

/* A panel per burst, sharing `buckets` buckets: each panel gets at least
 * buckets / (2 * panels) of them, the rest in proportion to its length.
 * No activity: one panel at 0. */
void timeline_layout(const struct timeline_activity *a, unsigned int buckets,
		     struct timeline_layout *l);

/* One panel from first_ns to last_ns (the JSON's series). */
void timeline_linear(uint64_t first_ns, uint64_t last_ns, unsigned int buckets,
		     struct timeline_layout *l);

/* Where bucket b (< l->buckets) begins, and where the next begins. */
uint64_t timeline_bucket_start(const struct timeline_layout *l, unsigned int b);
uint64_t timeline_bucket_end(const struct timeline_layout *l, unsigned int b);

#endif
