// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sizes and durations. Parsed by hand rather than with strtoull, which would
 * silently accept leading spaces, a sign ("-1" wraps to UINT64_MAX) and
 * saturate on overflow; an operator's typo must be an error, not a limit.
 */
#include "units.h"

#include <string.h>

/* Leading decimal digits into *v; -1 when there are none or on overflow. */
static int parse_digits(const char **sp, uint64_t *v)
{
	const char *s = *sp;
	uint64_t acc = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (acc > (UINT64_MAX - d) / 10)
			return -1;
		acc = acc * 10 + d;
	}
	*sp = s;
	*v = acc;
	return 0;
}

static int mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
	if (b != 0 && a > UINT64_MAX / b)
		return -1;
	*out = a * b;
	return 0;
}

/*
 * Multiplier of a size suffix, or 0 when the suffix is not one. "B" alone
 * (bytes) is accepted; "iB" only after a prefix, since "4096iB" is nonsense.
 */
static uint64_t size_multiplier(const char *suf)
{
	static const struct {
		char prefix;
		unsigned int shift;
	} prefixes[] = {
		{ 'k', 10 }, { 'K', 10 }, { 'M', 20 }, { 'G', 30 }, { 'T', 40 },
	};
	size_t i;

	if (*suf == '\0' || strcmp(suf, "B") == 0)
		return 1;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (*suf != prefixes[i].prefix)
			continue;
		suf++;
		if (*suf == '\0' || strcmp(suf, "B") == 0 || strcmp(suf, "iB") == 0)
			return (uint64_t)1 << prefixes[i].shift;
		return 0;
	}
	return 0;
}

int parse_size(const char *s, uint64_t *bytes)
{
	uint64_t n, mult;

	if (!s || parse_digits(&s, &n) < 0)
		return -1;
	mult = size_multiplier(s);
	if (mult == 0 || mul_u64(n, mult, &n) < 0)
		return -1;
	*bytes = n;
	return 0;
}

/*
 * Milliseconds per unit, or 0 when not a unit. Lower case only: "M" would
 * read as months to some, so it is refused rather than guessed.
 */
static uint64_t duration_multiplier(const char *unit)
{
	static const struct {
		const char *name;
		uint64_t ms;
	} units[] = {
		{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60 * 1000 },
		{ "h", 3600 * 1000 }, { "d", 86400 * 1000 },
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(unit, units[i].name) == 0)
			return units[i].ms;
	return 0;
}

int parse_duration(const char *s, uint64_t *ms)
{
	uint64_t n, mult;

	if (!s || parse_digits(&s, &n) < 0)
		return -1;
	mult = duration_multiplier(s);
	if (mult == 0 || mul_u64(n, mult, &n) < 0)
		return -1;
	*ms = n;
	return 0;
}
