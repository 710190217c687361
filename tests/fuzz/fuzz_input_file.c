// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the capture file iterator, through input_file_open_mem:
 * pcap, pcapng and gzip/zstd-compressed inputs. Every frame handed out is
 * read in full (ASan catches a view outside the window) and decoded; errors
 * must be one non-empty line, and stay errors. The reader streams through a
 * window, so the same input is read again through input_file_open_stream in
 * pieces of 1 to 64 bytes (the size from the input's length): every frame,
 * the end, the message and the torn flag must be the same, wherever the
 * window boundaries fall. Only corrupt compressed data may differ: zlib and
 * libzstd name the same damage differently (and find it a block later or
 * sooner) as the input comes in other pieces; both reads must fail then.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

struct pieces {
	const uint8_t *p;
	size_t n, pos, piece;
};

static ssize_t read_pieces(void *ctx, void *buf, size_t len)
{
	struct pieces *s = ctx;
	size_t k = s->n - s->pos;

	if (k > s->piece)
		k = s->piece;
	if (k > len)
		k = len;
	memcpy(buf, s->p + s->pos, k);
	s->pos += k;
	return (ssize_t)k;
}

/* What a reader gave: a digest of every frame, how it ended, and its message. */
struct outcome {
	uint64_t digest;
	int frames, rc, torn;
	char err[256];
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	return (h ^ v) * 0x100000001b3ULL;
}

static void read_all(struct input_file *f, struct outcome *o)
{
	struct input_file_frame fr;
	struct decoded d;
	char line[512];

	o->rc = 0;
	for (o->frames = 0; o->frames < MAX_FRAMES &&
	     (o->rc = input_file_next(f, &fr, o->err, sizeof(o->err))) == 1; o->frames++) {
		struct decode_line l = { .ts_ns = fr.ts_ns, .iface = fr.iface, .queue = fr.queue,
					 .dir = fr.dir, .caplen = fr.caplen, .origlen = fr.origlen };

		touch(fr.data, fr.caplen);
		if (fr.iface)
			CHECK(strlen(fr.iface) < 64);
		decode_packet(fr.linktype, fr.data, fr.caplen, &d);
		CHECK(decode_format_line(&l, &d, line, sizeof(line)) == strlen(line));
		o->digest = mix(mix(mix(o->digest, fr.ts_ns), fr.caplen), fr.origlen);
		for (uint32_t i = 0; i < fr.caplen; i++)
			o->digest = mix(o->digest, fr.data[i]);
	}
	o->torn = o->rc < 0 ? input_file_torn(f) : 0;
	if (o->rc < 0) {
		check_err(o->err);
		CHECK(input_file_next(f, &fr, line, sizeof(line)) == -1);
		CHECK(!strcmp(line, o->err));
	}
	input_file_close(f);
}

static int codec_error(const char *err)
{
	return strstr(err, "fuzz: zstd: ") == err || strstr(err, "fuzz: gzip: ") == err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pieces src = { .p = data, .n = size, .piece = 1 + size % 64 };
	struct outcome whole = { 0 }, pieces = { 0 };
	struct input_file *f;
	char err[256] = "", err2[256] = "";

	f = input_file_open_mem(data, size, "fuzz", err, sizeof(err));
	if (!f)
		check_err(err);
	else
		read_all(f, &whole);
	f = input_file_open_stream(read_pieces, &src, "fuzz", err2, sizeof(err2));
	if (f)
		read_all(f, &pieces);
	else
		check_err(err2);
	if (codec_error(err[0] ? err : whole.err) || codec_error(err2[0] ? err2 : pieces.err)) {
		CHECK((err[0] || whole.rc < 0) && (err2[0] || pieces.rc < 0));
		return 0;
	}
	CHECK(!strcmp(err, err2));
	if (!f)
		return 0;
	CHECK(whole.frames == pieces.frames && whole.digest == pieces.digest);
	CHECK(whole.rc == pieces.rc && whole.torn == pieces.torn && !strcmp(whole.err, pieces.err));
	return 0;
}
