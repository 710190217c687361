// SPDX-License-Identifier: GPL-2.0-only
/*
 * show's --since and --until (see time_bound.h): every field is range
 * checked, so 25:00 or Feb 30 is refused, never normalised.
 */
#include "read/time_bound.h"

#include <string.h>
#include <time.h>

#define NS 1000000000LL
#define DAY_NS (86400 * NS)

/* Exactly n decimal digits at *s into *v; *s moves past them. */
static int digits(const char **s, int n, int *v)
{
	int acc = 0;

	for (; n > 0; n--, (*s)++) {
		if (**s < '0' || **s > '9')
			return -1;
		acc = acc * 10 + (**s - '0');
	}
	*v = acc;
	return 0;
}

static int days_in_month(int year, int mon)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return days[mon - 1] + (mon == 2 && leap);
}

/* "YYYY-MM-DD" into seconds since the epoch at its midnight. */
static int parse_date(const char **s, int64_t *sec)
{
	int y, mo, d;
	struct tm tm;

	if (digits(s, 4, &y) || *(*s)++ != '-' || digits(s, 2, &mo) || *(*s)++ != '-' ||
	    digits(s, 2, &d))
		return -1;
	/* 1970 to 2261: nanoseconds since the epoch fit in int64_t. */
	if (y < 1970 || y > 2261 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	*sec = (int64_t)timegm(&tm);
	return 0;
}

/* "HH:MM[:SS[.frac]]" into nanoseconds from midnight. */
static int parse_time(const char **s, int64_t *ns)
{
	int h, m, sec = 0, frac_digits = 0;
	int64_t frac = 0;

	if (digits(s, 2, &h) || *(*s)++ != ':' || digits(s, 2, &m) || h > 23 || m > 59)
		return -1;
	if (**s == ':') {
		(*s)++;
		if (digits(s, 2, &sec) || sec > 59)
			return -1;
		if (**s == '.') {
			for ((*s)++; **s >= '0' && **s <= '9'; (*s)++, frac_digits++) {
				if (frac_digits == 9)
					return -1;
				frac = frac * 10 + (**s - '0');
			}
			if (!frac_digits)
				return -1;
			for (; frac_digits < 9; frac_digits++)
				frac *= 10;
		}
	}
	*ns = ((int64_t)h * 3600 + m * 60 + sec) * NS + frac;
	return 0;
}

int time_bound_parse(const char *s, struct time_bound *out)
{
	int64_t day_sec = 0, tod = 0;
	int has_date = 0;

	memset(out, 0, sizeof(*out));
	if (strlen(s) >= 10 && s[4] == '-') {
		if (parse_date(&s, &day_sec))
			return -1;
		has_date = 1;
	}
	if (!has_date || *s == 'T' || *s == ' ') {
		if (has_date)
			s++;
		if (parse_time(&s, &tod))
			return -1;
		if (has_date && *s == 'Z')
			s++;
	}
	if (*s)
		return -1;
	out->set = 1;
	out->time_of_day = !has_date;
	out->ns = day_sec * NS + tod;
	return 0;
}

int64_t time_bound_ns(const struct time_bound *b, uint64_t first_ns)
{
	if (!b->time_of_day)
		return b->ns;
	return (int64_t)(first_ns / DAY_NS) * DAY_NS + b->ns;
}
