/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The times of `vpncap show --since/--until`, in UTC (pure):
 *   2026-12-06T14:03:07  2026-12-06 14:03:07  (seconds optional, a fraction
 *   of up to 9 digits and a final Z allowed), 2026-12-06 (midnight), or a
 *   time of day 14:03[:07[.5]] meaning that time on the UTC day of the first
 *   frame read.
 */
#ifndef VPNCAP_READ_TIME_BOUND_H
#define VPNCAP_READ_TIME_BOUND_H

#include <stdint.h>

struct time_bound {
	int set;
	int time_of_day;        /* ns is from midnight, on the first frame's day */
	int64_t ns;             /* else nanoseconds since the epoch (may be < 0) */
};

/* 0 and *out filled, or -1 when s is none of the forms above (or an impossible date). */
int time_bound_parse(const char *s, struct time_bound *out);

/* The bound in nanoseconds since the epoch, first_ns being the first frame's time. */
int64_t time_bound_ns(const struct time_bound *b, uint64_t first_ns);

#endif /* VPNCAP_READ_TIME_BOUND_H */
