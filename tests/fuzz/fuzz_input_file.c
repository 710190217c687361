// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the capture file iterator, through input_file_open_mem:
 * pcap, pcapng and gzip/zstd-compressed inputs. Every frame handed out is
 * read in full (ASan catches a view outside the input or the inflated copy)
 * and decoded; errors must be one non-empty line, and stay errors.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "read/input_file.h"
#include "read/decode.h"

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond))                                                 \
			__builtin_trap();                                    \
	} while (0)

#define MAX_FRAMES 100000

static volatile uint8_t sink;

static void touch(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc ^= p[i];
	sink ^= acc;
}

static void check_err(const char *err)
{
	CHECK(!strncmp(err, "fuzz: ", 6) && err[6]);
	CHECK(!strchr(err, '\n'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input_file_frame fr;
	struct decoded d;
	struct input_file *f;
	char err[256] = "", line[512];
	int rc = 0, n;

	f = input_file_open_mem(data, size, "fuzz", err, sizeof(err));
	if (!f) {
		check_err(err);
		return 0;
	}
	for (n = 0; n < MAX_FRAMES && (rc = input_file_next(f, &fr, err, sizeof(err))) == 1; n++) {
		struct decode_line l = { .ts_ns = fr.ts_ns, .iface = fr.iface, .queue = fr.queue,
					 .dir = fr.dir, .caplen = fr.caplen, .origlen = fr.origlen };

		touch(fr.data, fr.caplen);
		if (fr.iface)
			CHECK(strlen(fr.iface) < 64);
		decode_packet(fr.linktype, fr.data, fr.caplen, &d);
		CHECK(decode_format_line(&l, &d, line, sizeof(line)) == strlen(line));
	}
	if (rc < 0) {
		check_err(err);
		CHECK(input_file_next(f, &fr, err, sizeof(err)) == -1);
	}
	input_file_close(f);
	return 0;
}
