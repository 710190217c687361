// SPDX-License-Identifier: GPL-2.0-only
/*
 * File set names. Parsing is deliberately strict: retention deletes what
 * parses, so anything that merely resembles a member (another tag, a stray
 * suffix, an impossible date) must be left alone.
 */
#include "store/fileset_name.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define NAME_PREFIX "vpncap-"
#define STAMP_LEN 16 /* 20261127T101500Z */

static const struct {
	enum fileset_kind kind;
	const char *suffix;
} kinds[] = {
	{ FILESET_COMPLETE, ".pcapng" },
	{ FILESET_PART, ".pcapng.part" },
	{ FILESET_GZIP, ".pcapng.gz" },
	{ FILESET_ZSTD, ".pcapng.zst" },
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

static const char *kind_suffix(enum fileset_kind kind)
{
	size_t i;

	for (i = 0; i < N_KINDS; i++)
		if (kinds[i].kind == kind)
			return kinds[i].suffix;
	return NULL;
}

/*
 * Characters safe in a file name and unambiguous in a tag: no '/', no '+'
 * (the separator), no spaces or control characters.
 */
static int tag_char_ok(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || strchr("._-@:", c) != NULL;
}

static int iface_name_ok(const char *name)
{
	if (!name || *name == '\0')
		return 0;
	for (; *name; name++)
		if (!tag_char_ok(*name))
			return 0;
	return 1;
}

int fileset_make_tag(char *buf, size_t len, const char *const *ifaces, unsigned int n)
{
	size_t used = 0;
	unsigned int i;

	if (!buf || len == 0)
		return -1;
	buf[0] = '\0';
	if (n == 0 || !ifaces)
		return -1;
	for (i = 0; i < n; i++) {
		size_t l, need;

		if (!iface_name_ok(ifaces[i]))
			goto fail;
		l = strlen(ifaces[i]);
		need = l + (i > 0) + 1; /* separator and terminating NUL */
		if (need > len - used)
			goto fail;
		if (i > 0)
			buf[used++] = '+';
		memcpy(buf + used, ifaces[i], l + 1);
		used += l;
	}
	return 0;
fail:
	/* Never leave a truncated tag that could name another set. */
	buf[0] = '\0';
	return -1;
}

int fileset_format_name(char *buf, size_t len, const char *tag, int64_t start_sec,
			uint64_t seq, enum fileset_kind kind)
{
	const char *suffix = kind_suffix(kind);
	time_t t = (time_t)start_sec;
	struct tm tm;

	if (!suffix || !tag || (int64_t)t != start_sec || !gmtime_r(&t, &tm))
		return -1;
	/* The stamp is fixed width: a year outside 0000..9999 could not parse back. */
	if (tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return -1;
	return snprintf(buf, len, NAME_PREFIX "%s-%04d%02d%02dT%02d%02d%02dZ-%0*llu%s",
			tag, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			tm.tm_min, tm.tm_sec, FILESET_SEQ_DIGITS,
			(unsigned long long)seq, suffix);
}

/* n decimal digits at s into *v; -1 on anything else. */
static int fixed_digits(const char *s, int n, int *v)
{
	int acc = 0;

	for (; n > 0; n--, s++) {
		if (*s < '0' || *s > '9')
			return -1;
		acc = acc * 10 + (*s - '0');
	}
	*v = acc;
	return 0;
}

static int days_in_month(int year, int mon /* 1..12 */)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return days[mon - 1] + (mon == 2 && leap);
}

/*
 * "YYYYMMDDTHHMMSSZ" at s into seconds since the epoch. Fields are range
 * checked so that timegm never normalises (Feb 30 is not Mar 2): the name
 * then formats back to itself. Leap seconds (:60) are refused for the same
 * reason.
 */
static int parse_stamp(const char *s, int64_t *sec)
{
	int y, mo, d, h, mi, se;
	struct tm tm;

	if (fixed_digits(s, 4, &y) || fixed_digits(s + 4, 2, &mo) ||
	    fixed_digits(s + 6, 2, &d) || s[8] != 'T' ||
	    fixed_digits(s + 9, 2, &h) || fixed_digits(s + 11, 2, &mi) ||
	    fixed_digits(s + 13, 2, &se) || s[15] != 'Z')
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || se > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*sec = (int64_t)timegm(&tm);
	return 0;
}

/* s is exactly one of the suffixes, up to the end of the name. */
static int parse_kind(const char *s, enum fileset_kind *kind)
{
	size_t i;

	for (i = 0; i < N_KINDS; i++) {
		if (strcmp(s, kinds[i].suffix) == 0) {
			*kind = kinds[i].kind;
			return 0;
		}
	}
	return -1;
}

/* At least FILESET_SEQ_DIGITS digits that fit in u64; *sp moves past them. */
static int parse_seq(const char **sp, uint64_t *seq)
{
	const char *s = *sp;
	uint64_t acc = 0;

	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (acc > (UINT64_MAX - d) / 10)
			return -1;
		acc = acc * 10 + d;
	}
	if (s - *sp < FILESET_SEQ_DIGITS)
		return -1;
	*sp = s;
	*seq = acc;
	return 0;
}

int fileset_parse_name(const char *name, const char *tag, struct fileset_name *out)
{
	size_t pre = strlen(NAME_PREFIX), tl;
	struct fileset_name r;

	if (!name || !tag || *tag == '\0')
		return 0;
	tl = strlen(tag);
	/*
	 * Exact prefix and tag, then the fixed-width stamp must follow at
	 * once: "eth0" can therefore never claim a file of "eth0+eth1" or
	 * "eth01".
	 */
	if (strncmp(name, NAME_PREFIX, pre) != 0 || strncmp(name + pre, tag, tl) != 0)
		return 0;
	name += pre + tl;
	/* parse_stamp stops at the first wrong byte, so never reads past NUL. */
	if (*name++ != '-' || parse_stamp(name, &r.start_sec) < 0)
		return 0;
	name += STAMP_LEN;
	if (*name++ != '-')
		return 0;
	if (parse_seq(&name, &r.seq) < 0 || parse_kind(name, &r.kind) < 0)
		return 0;
	if (out)
		*out = r;
	return 1;
}

uint64_t fileset_next_boundary(uint64_t now_ns, uint64_t period_ns)
{
	uint64_t next;

	/* No period means no rotation: a boundary that never comes. */
	if (period_ns == 0)
		return UINT64_MAX;
	next = (now_ns / period_ns) * period_ns;
	/* Past the year 2554 there is no later boundary in u64: saturate. */
	if (next > UINT64_MAX - period_ns)
		return UINT64_MAX;
	return next + period_ns;
}
