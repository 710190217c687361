// SPDX-License-Identifier: GPL-2.0-only
/* The timeline of `vpncap report`: activity spans and panels (see report_timeline.h). */
#include "cmd/report_timeline.h"

#include <string.h>

#define NS UINT64_C(1000000000)

/* ---- activity ------------------------------------------------------------- */

/* The two spans closest together become one. */
static void merge_closest(struct timeline_activity *a)
{
	unsigned int i, best = 0;
	uint64_t gap = UINT64_MAX;

	for (i = 0; i + 1 < a->n; i++) {
		uint64_t g = a->span[i + 1].first - a->span[i].last;

		if (g < gap) {
			gap = g;
			best = i;
		}
	}
	a->span[best].last = a->span[best + 1].last;
	memmove(&a->span[best + 1], &a->span[best + 2], (a->n - best - 2) * sizeof(a->span[0]));
	a->n--;
}

static void insert_span(struct timeline_activity *a, unsigned int i, uint64_t sec)
{
	memmove(&a->span[i + 1], &a->span[i], (a->n - i) * sizeof(a->span[0]));
	a->span[i] = (struct timeline_span){ sec, sec };
	a->n++;
	if (a->n > TIMELINE_SPANS)
		merge_closest(a);
}

void timeline_note(struct timeline_activity *a, uint64_t ts_ns)
{
	uint64_t sec = ts_ns / NS;
	unsigned int i;

	if (!a->n) {
		a->first_ns = a->last_ns = ts_ns;
		insert_span(a, 0, sec);
		return;
	}
	a->first_ns = ts_ns < a->first_ns ? ts_ns : a->first_ns;
	a->last_ns = ts_ns > a->last_ns ? ts_ns : a->last_ns;
	/* The span that ends at or after sec - 1; frames mostly come in order,
	 * so from the end. */
	for (i = a->n; i > 0 && a->span[i - 1].last + 1 >= sec; i--)
		;
	if (i == a->n || a->span[i].first > sec + 1) {
		insert_span(a, i, sec);
		return;
	}
	/* Inside span i or touching it: it grows, and may now touch the next. */
	if (sec < a->span[i].first)
		a->span[i].first = sec;
	if (sec > a->span[i].last)
		a->span[i].last = sec;
	if (i + 1 < a->n && a->span[i].last + 1 >= a->span[i + 1].first) {
		a->span[i].last = a->span[i + 1].last;
		memmove(&a->span[i + 1], &a->span[i + 2], (a->n - i - 2) * sizeof(a->span[0]));
		a->n--;
	}
}

/* ---- panels ------------------------------------------------------------------ */

/* The gaps (after span j) that end a burst, at most max of them, the
 * largest first; *n of them in cut[], in span order. */
static void find_breaks(const struct timeline_activity *a, unsigned int max, unsigned int *cut,
			unsigned int *n)
{
	uint64_t whole = a->last_ns - a->first_ns;
	uint64_t least = whole / 100 * TIMELINE_GAP_PERCENT;
	int taken[TIMELINE_SPANS] = { 0 };
	unsigned int j, k;

	if (least < TIMELINE_GAP_MIN_NS)
		least = TIMELINE_GAP_MIN_NS;
	*n = 0;
	while (*n < max) {
		uint64_t gap = 0;
		unsigned int best = 0;

		for (j = 0; j + 1 < a->n; j++) {
			uint64_t g = (a->span[j + 1].first - a->span[j].last - 1) * NS;

			if (!taken[j] && g > least && g > gap) {
				gap = g;
				best = j;
			}
		}
		if (!gap)
			break;
		taken[best] = 1;
		(*n)++;
	}
	for (j = 0, k = 0; j + 1 < a->n; j++)
		if (taken[j])
			cut[k++] = j;
}

/* Buckets to each panel: a floor each, the rest by length; what rounding
 * leaves goes to the longest. */
static void share_buckets(struct timeline_layout *l, unsigned int buckets)
{
	unsigned int floor = buckets / (2 * l->npanels), rest = buckets - floor * l->npanels;
	unsigned int i, longest = 0, given = 0;
	double whole = 0;

	for (i = 0; i < l->npanels; i++)
		whole += (double)(l->panel[i].last_ns - l->panel[i].start_ns) + 1;
	for (i = 0; i < l->npanels; i++) {
		struct timeline_panel *p = &l->panel[i];
		double len = (double)(p->last_ns - p->start_ns) + 1;

		p->buckets = floor + (unsigned int)(rest * (len / whole));
		given += p->buckets;
		if (p->last_ns - p->start_ns > l->panel[longest].last_ns - l->panel[longest].start_ns)
			longest = i;
	}
	l->panel[longest].buckets += buckets - given;
	for (i = 0, given = 0; i < l->npanels; i++) {
		struct timeline_panel *p = &l->panel[i];

		p->first = given;
		given += p->buckets;
		p->step_ns = (p->last_ns - p->start_ns) / p->buckets + 1;
	}
}

void timeline_layout(const struct timeline_activity *a, unsigned int buckets,
		     struct timeline_layout *l)
{
	unsigned int cut[TIMELINE_MAX_PANELS - 1], ncut, i, from = 0;

	if (!a->n) {
		timeline_linear(0, 0, buckets, l);
		return;
	}
	find_breaks(a, buckets >= 2 * TIMELINE_MAX_PANELS ? TIMELINE_MAX_PANELS - 1 : 0, cut, &ncut);
	memset(l, 0, sizeof(*l));
	l->buckets = buckets;
	l->npanels = ncut + 1;
	for (i = 0; i <= ncut; i++) {
		unsigned int to = i < ncut ? cut[i] : a->n - 1;
		struct timeline_panel *p = &l->panel[i];

		/* The exact first and last frame at either end; between panels,
		 * the seconds of the spans. */
		p->start_ns = i ? a->span[from].first * NS : a->first_ns;
		p->last_ns = i < ncut ? (a->span[to].last + 1) * NS - 1 : a->last_ns;
		if (p->last_ns < p->start_ns)
			p->last_ns = p->start_ns;
		from = to + 1;
	}
	share_buckets(l, buckets);
}

void timeline_linear(uint64_t first_ns, uint64_t last_ns, unsigned int buckets,
		     struct timeline_layout *l)
{
	memset(l, 0, sizeof(*l));
	l->npanels = 1;
	l->buckets = buckets;
	l->panel[0] = (struct timeline_panel){
		.start_ns = first_ns, .last_ns = last_ns,
		.step_ns = (last_ns - first_ns) / buckets + 1, .first = 0, .buckets = buckets,
	};
}

static const struct timeline_panel *panel_of(const struct timeline_layout *l, unsigned int b)
{
	unsigned int i;

	for (i = 0; i + 1 < l->npanels && b >= l->panel[i + 1].first; i++)
		;
	return &l->panel[i];
}

uint64_t timeline_bucket_start(const struct timeline_layout *l, unsigned int b)
{
	const struct timeline_panel *p = panel_of(l, b);

	return p->start_ns + (b - p->first) * p->step_ns;
}

uint64_t timeline_bucket_end(const struct timeline_layout *l, unsigned int b)
{
	const struct timeline_panel *p = panel_of(l, b);

	return p->start_ns + (b - p->first + 1) * p->step_ns;
}
