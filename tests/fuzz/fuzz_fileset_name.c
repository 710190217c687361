// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for fileset_parse_name. The input is "tag\0name" (split
 * at the first NUL; without one the whole input is the tag and the name is
 * empty). Retention deletes whatever parses, so the parser must be exact.
 *
 * abort()s when:
 *  - the answer depends on whether out is given;
 *  - a member does not format back (fileset_format_name fails);
 *  - the formatted name is not a member of the same tag, or parses to a
 *    different seq, start or kind;
 *  - the formatted name is longer than the input (only leading zeros of the
 *    seq may be dropped, never anything added).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/fileset_name.h"

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond))                                                 \
			abort();                                             \
	} while (0)

static void check_round_trip(const char *tag, const char *name, const struct fileset_name *a)
{
	size_t cap = strlen(name) + 1;
	struct fileset_name b;
	char *buf = malloc(cap);
	int n;

	CHECK(buf);
	n = fileset_format_name(buf, cap, tag, a->start_sec, a->seq, a->kind);
	CHECK(n > 0 && (size_t)n < cap);
	CHECK(fileset_parse_name(buf, tag, &b) == 1);
	CHECK(b.seq == a->seq && b.start_sec == a->start_sec && b.kind == a->kind);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* One copy, NUL-terminated twice: tag first, then the name. */
	char *buf = malloc(size + 2);
	const char *tag, *name;
	struct fileset_name out;
	size_t tl;
	int r;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = '\0';
	tag = buf;
	tl = strlen(tag);
	name = tl < size ? buf + tl + 1 : buf + size + 1;

	r = fileset_parse_name(name, tag, &out);
	CHECK(r == 0 || r == 1);
	CHECK(fileset_parse_name(name, tag, NULL) == r);
	if (r == 1)
		check_round_trip(tag, name, &out);
	free(buf);
	return 0;
}
