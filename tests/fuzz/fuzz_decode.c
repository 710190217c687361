// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the frame decoder: the input is an Ethernet frame
 * (decode_frame), and again, after its first byte chose a link type, a frame
 * of that link type (decode_packet). Summaries and lines are built into
 * buffers of several sizes; the promises of decode.h are checked with a trap:
 * lengths as returned, NUL-terminated, no control bytes without colour.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "read/decode.h"

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond))                                                 \
			__builtin_trap();                                    \
	} while (0)

static const uint16_t linktypes[] = { 1, 101, 113, 228, 229, 276, 12, 0 };

static void check_text(const char *s, size_t n, size_t room)
{
	CHECK(n < room);
	CHECK(strlen(s) == n);
	for (size_t i = 0; i < n; i++)
		CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

static void render(const struct decoded *d, size_t caplen)
{
	static const size_t rooms[] = { 1, 7, 40, 100, 512 };
	struct decode_line l = { .ts_ns = 1700000000123456789ull, .iface = "eth0", .queue = 2,
				 .dir = DECODE_DIR_IN, .caplen = (uint32_t)caplen,
				 .origlen = (uint32_t)caplen + 3, .colour = 0 };
	char buf[512];

	for (size_t i = 0; i < sizeof(rooms) / sizeof(rooms[0]); i++) {
		check_text(buf, decode_summary(d, buf, rooms[i]), rooms[i]);
		check_text(buf, decode_format_line(&l, d, buf, rooms[i]), rooms[i]);
	}
	l.colour = 1;
	CHECK(decode_format_line(&l, d, buf, sizeof(buf)) == strlen(buf));
}

static void check_decoded(const struct decoded *d)
{
	CHECK(d->ike.n_notify <= DECODE_MAX_NOTIFY);
	CHECK(memchr(d->tcp.sni, 0, sizeof(d->tcp.sni)) != NULL);
	CHECK(memchr(d->src, 0, sizeof(d->src)) != NULL);
	CHECK(d->family == 0 || d->family == 4 || d->family == 6);
	if (d->kind == DECODE_FRAGMENT)
		CHECK(d->frag_offset != 0 && !d->has_ports);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decoded d;

	decode_frame(data, size, &d);
	check_decoded(&d);
	render(&d, size);
	if (size) {
		uint16_t lt = linktypes[data[0] % (sizeof(linktypes) / sizeof(linktypes[0]))];

		decode_packet(lt, data + 1, size - 1, &d);
		check_decoded(&d);
		render(&d, size - 1);
	}
	return 0;
}
