// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for what `vpncap show` reads from its command line: a
 * filter (class words expanded, then compiled by libpcap) and a
 * --since/--until time. The input's first line is the time, the rest the
 * filter; a compiled filter is run on the same bytes as a frame.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "read/frame_filter.h"
#include "read/time_bound.h"

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond))                                                 \
			__builtin_trap();                                    \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *nl, expanded[512], err[512];
	struct frame_filter *filter;
	struct time_bound b;
	int n;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	nl = strchr(text, '\n');
	if (nl) {
		*nl = '\0';
		if (!time_bound_parse(text, &b))
			(void)time_bound_ns(&b, 1764237600000000000ull);
	}
	n = frame_filter_expand(nl ? nl + 1 : text, expanded, sizeof(expanded));
	CHECK(n >= 0);
	if ((size_t)n < sizeof(expanded))
		CHECK(strlen(expanded) == (size_t)n);
	filter = frame_filter_new(nl ? nl + 1 : text, err, sizeof(err));
	if (filter) {
		(void)frame_filter_match(filter, 1, data, (uint32_t)size, (uint32_t)size, err,
					 sizeof(err));
		(void)frame_filter_match(filter, 101, data, (uint32_t)size, (uint32_t)size, err,
					 sizeof(err));
		frame_filter_free(filter);
	} else {
		CHECK(memchr(err, 0, sizeof(err)) != NULL);
	}
	free(text);
	return 0;
}
