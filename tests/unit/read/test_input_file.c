// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the capture file iterator: classic pcap in both byte orders
 * and both resolutions, pcapng from vpncap's own encoder with unknown blocks
 * and options inserted, SPB and the obsolete PB, if_tsresol 6 and 2^-n,
 * several sections, files on disk (plain, gzip, zstd), and malformed inputs
 * with their exact one-line messages. The reader streams: the same files
 * handed over in pieces of every small size read the same; a file cut
 * inside its last block is a warning after its frames (torn); a zstd bomb
 * is read in bounded memory; a block or a zstd window too large is refused
 * before anything is allocated for it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cmocka.h>

#include "read/input_file.h"
#include "store/compress.h"
#include "pcapng.h"

#define TS0 1700000000123456789ull
#define BUF_MAX 65536

struct buf {
	uint8_t b[BUF_MAX];
	size_t n;
};

static uint8_t frame[256];
static char tmpdir[] = "/tmp/test_input_file.XXXXXX";

static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 3 + 1);
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void raw(struct buf *b, const void *p, size_t n)
{
	assert_true(n <= BUF_MAX - b->n);
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

/* Integers in the file's byte order (big when be). */
static void u16x(struct buf *b, int be, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	if (be) {
		x[0] = (uint8_t)(v >> 8);
		x[1] = (uint8_t)v;
	}
	raw(b, x, 2);
}

static void u32x(struct buf *b, int be, uint32_t v)
{
	if (be) {
		u16x(b, 1, (uint16_t)(v >> 16));
		u16x(b, 1, (uint16_t)v);
	} else {
		u16x(b, 0, (uint16_t)v);
		u16x(b, 0, (uint16_t)(v >> 16));
	}
}

/* Native order, as vpncap's encoder writes. */
static void u16(struct buf *b, uint16_t v)
{
	raw(b, &v, 2);
}

static void u32(struct buf *b, uint32_t v)
{
	raw(b, &v, 4);
}

/* ---- classic pcap ---------------------------------------------------------- */

static void pcap_header(struct buf *b, int be, int nano, uint32_t snaplen)
{
	u32x(b, be, nano ? 0xa1b23c4d : 0xa1b2c3d4);
	u16x(b, be, 2);
	u16x(b, be, 4);
	u32x(b, be, 0);
	u32x(b, be, 0);
	u32x(b, be, snaplen);
	u32x(b, be, 1);
}

static void pcap_record(struct buf *b, int be, uint32_t sec, uint32_t frac, uint32_t caplen,
			uint32_t origlen)
{
	u32x(b, be, sec);
	u32x(b, be, frac);
	u32x(b, be, caplen);
	u32x(b, be, origlen);
	raw(b, frame, caplen);
}

static void expect_frame(struct input_file *f, uint64_t ts, uint32_t caplen, uint32_t origlen,
			 const uint8_t *data)
{
	struct input_file_frame fr;
	char err[256] = "";

	assert_int_equal(input_file_next(f, &fr, err, sizeof(err)), 1);
	assert_true(fr.ts_ns == ts);
	assert_int_equal(fr.caplen, caplen);
	assert_int_equal(fr.origlen, origlen);
	assert_memory_equal(fr.data, data, caplen);
	assert_int_equal(fr.linktype, 1);
}

static void expect_end(struct input_file *f)
{
	struct input_file_frame fr;
	char err[256] = "";

	assert_int_equal(input_file_next(f, &fr, err, sizeof(err)), 0);
	assert_int_equal(input_file_next(f, &fr, err, sizeof(err)), 0);
}

static void expect_error(struct input_file *f, const char *want)
{
	struct input_file_frame fr;
	char err[256] = "";

	assert_int_equal(input_file_next(f, &fr, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	/* Malformed from here on: the same answer again. */
	memset(err, 0, sizeof(err));
	assert_int_equal(input_file_next(f, &fr, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	assert_int_equal(input_file_torn(f), !!strstr(want, ": warning: "));
}

static void test_pcap_orders_and_resolutions(void **state)
{
	(void)state;
	for (int be = 0; be < 2; be++) {
		for (int nano = 0; nano < 2; nano++) {
			struct buf b = { .n = 0 };
			struct input_file *f;
			struct input_file_frame fr;
			char err[256];
			uint32_t frac = nano ? 123456789 : 123456;

			pcap_header(&b, be, nano, 65535);
			pcap_record(&b, be, 1700000000, frac, 60, 60);
			pcap_record(&b, be, 1700000001, frac, 40, 1514);
			f = input_file_open_mem(b.b, b.n, "x.pcap", err, sizeof(err));
			assert_non_null(f);
			expect_frame(f, nano ? TS0 : TS0 - 789, 60, 60, frame);
			assert_int_equal(input_file_next(f, &fr, err, sizeof(err)), 1);
			assert_int_equal(fr.origlen, 1514);
			assert_null(fr.iface);
			assert_int_equal(fr.queue, -1);
			assert_int_equal(fr.dir, DECODE_DIR_UNKNOWN);
			expect_end(f);
			input_file_close(f);
		}
	}
}

static void test_pcap_malformed(void **state)
{
	struct buf b = { .n = 0 };
	struct input_file *f;
	char err[256];

	(void)state;
	pcap_header(&b, 0, 0, 65535);
	pcap_record(&b, 0, 1, 0, 60, 60);
	/* A record announcing more than the file holds. */
	u32x(&b, 0, 2);
	u32x(&b, 0, 0);
	u32x(&b, 0, 100);
	u32x(&b, 0, 100);
	raw(&b, frame, 50);
	f = input_file_open_mem(b.b, b.n, "x.pcap", err, sizeof(err));
	assert_non_null(f);
	expect_frame(f, 1000000000, 60, 60, frame);
	expect_error(f, "x.pcap: warning: torn last record at offset 100 (66 of 116 bytes); the "
		     "frames before it were read");
	input_file_close(f);

	/* An absurd captured length. */
	b.n = 0;
	pcap_header(&b, 1, 0, 65535);
	u32x(&b, 1, 2);
	u32x(&b, 1, 0);
	u32x(&b, 1, 300000);
	u32x(&b, 1, 300000);
	f = input_file_open_mem(b.b, b.n, "x.pcap", err, sizeof(err));
	assert_non_null(f);
	expect_error(f, "x.pcap: record at offset 24: captured length 300000 is larger than the "
		     "snapshot length 65535");
	input_file_close(f);

	/* A torn record header. */
	b.n = 0;
	pcap_header(&b, 0, 1, 65535);
	u32x(&b, 0, 2);
	f = input_file_open_mem(b.b, b.n, "x.pcap", err, sizeof(err));
	expect_error(f, "x.pcap: warning: torn last record at offset 24 (4 of 16 bytes); the "
		     "frames before it were read");
	input_file_close(f);

	/* A record larger than any block vpncap reads: refused, not read. */
	b.n = 0;
	pcap_header(&b, 0, 0, 0xffffffff);
	u32x(&b, 0, 2);
	u32x(&b, 0, 0);
	u32x(&b, 0, 64u << 20);
	u32x(&b, 0, 64u << 20);
	f = input_file_open_mem(b.b, b.n, "x.pcap", err, sizeof(err));
	expect_error(f, "x.pcap: record at offset 24: captured length 67108864 is more than the "
		     "16 MiB vpncap reads");
	input_file_close(f);

	/* Headers. */
	b.n = 0;
	pcap_header(&b, 0, 0, 65535);
	assert_null(input_file_open_mem(b.b, 10, "x.pcap", err, sizeof(err)));
	assert_string_equal(err, "x.pcap: pcap file header truncated (10 of 24 bytes)");
	b.b[4] = 3;
	assert_null(input_file_open_mem(b.b, b.n, "x.pcap", err, sizeof(err)));
	assert_string_equal(err, "x.pcap: unsupported pcap version 3.4");
}

static void test_not_a_capture(void **state)
{
	static const uint8_t junk[] = { 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0 };
	char err[256];

	(void)state;
	assert_null(input_file_open_mem(junk, sizeof(junk), "x.pcap", err, sizeof(err)));
	assert_string_equal(err, "x.pcap: not a pcap or pcapng file (magic 0x12345678)");
	assert_null(input_file_open_mem(junk, 0, "e.pcap", err, sizeof(err)));
	assert_string_equal(err, "e.pcap: not a pcap or pcapng file (empty)");
	assert_null(input_file_open_mem(junk, 3, "s.pcap", err, sizeof(err)));
	assert_string_equal(err, "s.pcap: not a pcap or pcapng file (shorter than 4 bytes)");
	assert_null(input_file_open("/nonexistent/x.pcap", err, sizeof(err)));
	assert_string_equal(err, "/nonexistent/x.pcap: No such file or directory");
	assert_null(input_file_open("/tmp", err, sizeof(err)));
	assert_string_equal(err, "/tmp: is a directory");
}

/* ---- pcapng ------------------------------------------------------------------ */

static void put_shb(struct buf *b)
{
	struct pcapng_shb_info shb = { .hardware = "x86_64", .os = "Linux", .userappl = "test" };

	b->n += pcapng_put_shb(b->b + b->n, BUF_MAX - b->n, &shb);
}

static void put_idb(struct buf *b, const char *name)
{
	struct pcapng_idb_info idb = { .linktype = 1, .snaplen = 65535, .name = name };

	b->n += pcapng_put_idb(b->b + b->n, BUF_MAX - b->n, &idb);
}

static void put_epb(struct buf *b, uint32_t if_id, uint64_t ts, uint32_t caplen, uint32_t flags,
		    int queue)
{
	struct pcapng_epb_info epb = { .if_id = if_id, .ts_ns = ts, .caplen = caplen,
				       .origlen = caplen + 10, .flags = flags,
				       .has_queue = queue >= 0, .queue = (uint32_t)queue };

	b->n += pcapng_put_epb(b->b + b->n, BUF_MAX - b->n, &epb, frame);
}

static void put_isb(struct buf *b)
{
	struct pcapng_isb_info isb = { .if_id = 0, .ts_ns = TS0, .starttime_ns = TS0,
				       .endtime_ns = TS0, .ifrecv = 1, .ifdrop = 0,
				       .filteraccept = PCAPNG_ISB_UNSET, .osdrop = 0,
				       .usrdeliv = 1, .comment = "end" };

	b->n += pcapng_put_isb(b->b + b->n, BUF_MAX - b->n, &isb);
}

/* Any block, native order: body padded, total length front and back. */
static void put_block(struct buf *b, uint32_t type, const void *body, size_t len)
{
	static const uint8_t zero[4];
	size_t pad = (4 - len % 4) % 4;
	uint32_t total = (uint32_t)(12 + len + pad);

	u32(b, type);
	u32(b, total);
	raw(b, body, len);
	raw(b, zero, pad);
	u32(b, total);
}

/* An IDB by hand: an unknown option first, if_tsresol as given, if_name. */
static void put_idb_resol(struct buf *b, uint8_t tsresol, const char *name)
{
	struct buf body = { .n = 0 };
	static const uint8_t unknown[6] = { 1, 2, 3, 4, 5, 6 }, pad[3];

	u16(&body, 1);
	u16(&body, 0);
	u32(&body, 262144);
	u16(&body, 0x7777);             /* unknown option, 6 bytes + 2 padding */
	u16(&body, 6);
	raw(&body, unknown, 6);
	raw(&body, pad, 2);
	u16(&body, 9);                  /* if_tsresol */
	u16(&body, 1);
	raw(&body, &tsresol, 1);
	raw(&body, pad, 3);
	u16(&body, 2);                  /* if_name */
	u16(&body, (uint16_t)strlen(name));
	raw(&body, name, strlen(name));
	raw(&body, pad, (4 - strlen(name) % 4) % 4);
	u32(&body, 0);                  /* opt_endofopt */
	put_block(b, PCAPNG_BT_IDB, body.b, body.n);
}

static void put_spb(struct buf *b, uint32_t origlen, size_t caplen)
{
	struct buf body = { .n = 0 };

	u32(&body, origlen);
	raw(&body, frame, caplen);
	put_block(b, 3, body.b, body.n);
}

/* The obsolete Packet Block, with pack_flags outbound. */
static void put_pb(struct buf *b, uint16_t if_id, uint64_t ts, uint32_t caplen)
{
	struct buf body = { .n = 0 };
	static const uint8_t pad[3];

	u16(&body, if_id);
	u16(&body, 0);
	u32(&body, (uint32_t)(ts >> 32));
	u32(&body, (uint32_t)ts);
	u32(&body, caplen);
	u32(&body, caplen);
	raw(&body, frame, caplen);
	raw(&body, pad, (4 - caplen % 4) % 4);
	u16(&body, 2);
	u16(&body, 4);
	u32(&body, 2);
	u32(&body, 0);
	put_block(b, 2, body.b, body.n);
}

static void test_pcapng_from_encoder(void **state)
{
	static const uint8_t custom[20] = { 0xde, 0xad };
	struct buf *b = calloc(1, sizeof(*b));
	struct input_file *f;
	struct input_file_frame fr;
	char err[256];

	(void)state;
	assert_non_null(b);
	put_shb(b);
	put_block(b, 0x40000bad, custom, 17);   /* unknown/custom block before any IDB */
	put_idb(b, "eth1");
	put_idb(b, NULL);
	put_epb(b, 0, TS0, 60, PCAPNG_EPB_FLAG_INBOUND, 3);
	put_block(b, 0x00000004, custom, 8);    /* a name resolution block */
	put_epb(b, 1, TS0 + 1, 61, PCAPNG_EPB_FLAG_OUTBOUND, -1);
	put_isb(b);
	f = input_file_open_mem(b->b, b->n, "x.pcapng", err, sizeof(err));
	assert_non_null(f);
	assert_int_equal(input_file_next(f, &fr, err, sizeof(err)), 1);
	assert_true(fr.ts_ns == TS0);
	assert_int_equal(fr.caplen, 60);
	assert_int_equal(fr.origlen, 70);
	assert_memory_equal(fr.data, frame, 60);
	assert_string_equal(fr.iface, "eth1");
	assert_int_equal(fr.queue, 3);
	assert_int_equal(fr.dir, DECODE_DIR_IN);
	assert_int_equal(fr.linktype, 1);
	assert_int_equal(input_file_next(f, &fr, err, sizeof(err)), 1);
	assert_true(fr.ts_ns == TS0 + 1);
	assert_null(fr.iface);
	assert_int_equal(fr.queue, -1);
	assert_int_equal(fr.dir, DECODE_DIR_OUT);
	expect_end(f);
	input_file_close(f);
	free(b);
}

static void test_pcapng_resolutions_spb_pb(void **state)
{
	struct buf *b = calloc(1, sizeof(*b));
	struct input_file *f;
	struct input_file_frame fr;
	char err[256];

	(void)state;
	assert_non_null(b);
	put_shb(b);
	put_idb_resol(b, 6, "wan0");            /* microseconds */
	put_idb_resol(b, 0x80 | 10, "tun0");    /* 2^-10 seconds */
	put_pb(b, 0, 1700000000123456ull, 42);
	put_pb(b, 1, (1700000000ull << 10) | 512, 33);
	put_spb(b, 50, 50);
	put_spb(b, 80, 52);                     /* shorter than on the wire */
	f = input_file_open_mem(b->b, b->n, "r.pcapng", err, sizeof(err));
	assert_non_null(f);
	assert_int_equal(input_file_next(f, &fr, err, sizeof(err)), 1);
	assert_true(fr.ts_ns == TS0 - 789);
	assert_int_equal(fr.caplen, 42);
	assert_string_equal(fr.iface, "wan0");
	assert_int_equal(fr.dir, DECODE_DIR_OUT);
	assert_int_equal(input_file_next(f, &fr, err, sizeof(err)), 1);
	assert_true(fr.ts_ns == 1700000000500000000ull);
	assert_string_equal(fr.iface, "tun0");
	assert_int_equal(input_file_next(f, &fr, err, sizeof(err)), 1);
	assert_int_equal(fr.caplen, 50);
	assert_int_equal(fr.origlen, 50);
	assert_true(fr.ts_ns == 0);
	assert_string_equal(fr.iface, "wan0");
	assert_memory_equal(fr.data, frame, 50);
	assert_int_equal(input_file_next(f, &fr, err, sizeof(err)), 1);
	assert_int_equal(fr.caplen, 52);
	assert_int_equal(fr.origlen, 80);
	expect_end(f);
	input_file_close(f);
	free(b);
}

/* Interface ids restart in every section; names of the first stay valid. */
static void test_pcapng_sections(void **state)
{
	struct buf *b = calloc(1, sizeof(*b));
	struct input_file *f;
	struct input_file_frame fr;
	const char *first;
	char err[256], want[256];
	size_t at;

	(void)state;
	assert_non_null(b);
	put_shb(b);
	put_idb(b, "eth1");
	put_epb(b, 0, TS0, 60, 0, -1);
	put_shb(b);
	put_idb(b, "eth2");
	put_epb(b, 0, TS0 + 5, 60, 0, -1);
	at = b->n;
	put_epb(b, 1, TS0 + 6, 60, 0, -1);
	f = input_file_open_mem(b->b, b->n, "s.pcapng", err, sizeof(err));
	assert_non_null(f);
	assert_int_equal(input_file_next(f, &fr, err, sizeof(err)), 1);
	first = fr.iface;
	assert_int_equal(input_file_next(f, &fr, err, sizeof(err)), 1);
	assert_string_equal(fr.iface, "eth2");
	assert_string_equal(first, "eth1");
	snprintf(want, sizeof(want), "s.pcapng: block at offset %zu: packet on interface 1, but "
		 "the section describes 1", at);
	expect_error(f, want);
	input_file_close(f);
	free(b);
}

static void test_pcapng_malformed(void **state)
{
	struct buf *b = calloc(1, sizeof(*b));
	struct input_file *f;
	size_t at;
	char err[256], want[256];

	(void)state;
	assert_non_null(b);
	put_shb(b);
	put_idb(b, "eth1");
	put_epb(b, 0, TS0, 60, 0, -1);
	at = b->n;
	u32(b, PCAPNG_BT_EPB);
	u32(b, 21);
	u32(b, 0);
	f = input_file_open_mem(b->b, b->n, "x.pcapng", err, sizeof(err));
	assert_non_null(f);
	expect_frame(f, TS0, 60, 70, frame);
	snprintf(want, sizeof(want), "x.pcapng: block at offset %zu: total length 21 is not a "
		 "multiple of 4", at);
	expect_error(f, want);
	input_file_close(f);

	/* A packet before any interface. */
	b->n = 0;
	put_shb(b);
	at = b->n;
	put_epb(b, 0, TS0, 60, 0, -1);
	f = input_file_open_mem(b->b, b->n, "x.pcapng", err, sizeof(err));
	snprintf(want, sizeof(want), "x.pcapng: block at offset %zu: packet on interface 0, but "
		 "the section describes 0", at);
	expect_error(f, want);
	input_file_close(f);

	/* if_tsresol 10^-20. */
	b->n = 0;
	put_shb(b);
	at = b->n;
	put_idb_resol(b, 20, "x");
	f = input_file_open_mem(b->b, b->n, "x.pcapng", err, sizeof(err));
	snprintf(want, sizeof(want), "x.pcapng: block at offset %zu: if_tsresol 0x14 is out of "
		 "range", at);
	expect_error(f, want);
	input_file_close(f);

	/* A broken section header fails the open. */
	b->n = 0;
	put_shb(b);
	b->b[8] ^= 0xff;
	assert_null(input_file_open_mem(b->b, b->n, "x.pcapng", err, sizeof(err)));
	assert_string_equal(err, "x.pcapng: block at offset 0: bad byte-order magic 0x1a2b3cb2");
	assert_null(input_file_open_mem(b->b, 20, "x.pcapng", err, sizeof(err)));
	assert_string_equal(err, "x.pcapng: block at offset 0: section header truncated: 20 bytes "
			    "left, needs 28");
	free(b);
}

/* ---- files on disk ------------------------------------------------------------- */

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(p, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

static void read_back(const char *path, size_t frames)
{
	struct input_file *f;
	struct input_file_frame fr;
	char err[512];

	f = input_file_open(path, err, sizeof(err));
	if (!f)
		fail_msg("%s", err);
	for (size_t i = 0; i < frames; i++) {
		assert_int_equal(input_file_next(f, &fr, err, sizeof(err)), 1);
		assert_int_equal(fr.caplen, 60);
		assert_memory_equal(fr.data, frame, 60);
		assert_string_equal(fr.iface, "eth1");
	}
	expect_end(f);
	input_file_close(f);
}

static void test_files_and_compression(void **state)
{
	struct buf *b = calloc(1, sizeof(*b));
	char path[256], out[300], err[512];
	enum compress_kind kinds[] = { COMPRESS_GZIP, COMPRESS_ZSTD };

	(void)state;
	assert_non_null(b);
	put_shb(b);
	put_idb(b, "eth1");
	for (int i = 0; i < 100; i++)
		put_epb(b, 0, TS0 + (uint64_t)i, 60, PCAPNG_EPB_FLAG_INBOUND, 0);
	snprintf(path, sizeof(path), "%s/plain.pcapng", tmpdir);
	write_file(path, b->b, b->n);
	read_back(path, 100);
	for (size_t k = 0; k < 2; k++) {
		snprintf(path, sizeof(path), "%s/set-%zu.pcapng", tmpdir, k);
		write_file(path, b->b, b->n);
		assert_int_equal(compress_file(path, kinds[k], out, sizeof(out), err, sizeof(err)), 0);
		read_back(out, 100);
	}
	/* Truncated compressed data. */
	snprintf(path, sizeof(path), "%s/cut.pcapng", tmpdir);
	write_file(path, b->b, b->n);
	assert_int_equal(compress_file(path, COMPRESS_GZIP, out, sizeof(out), err, sizeof(err)), 0);
	assert_int_equal(truncate(out, 40), 0);
	assert_null(input_file_open(out, err, sizeof(err)));
	assert_non_null(strstr(err, ": gzip data truncated"));
	snprintf(path, sizeof(path), "%s/cut2.pcapng", tmpdir);
	write_file(path, b->b, b->n);
	assert_int_equal(compress_file(path, COMPRESS_ZSTD, out, sizeof(out), err, sizeof(err)), 0);
	assert_int_equal(truncate(out, 30), 0);
	assert_null(input_file_open(out, err, sizeof(err)));
	assert_non_null(strstr(err, ": zstd data truncated"));
	/* An empty file. */
	snprintf(path, sizeof(path), "%s/empty.pcap", tmpdir);
	write_file(path, "", 0);
	assert_null(input_file_open(path, err, sizeof(err)));
	assert_non_null(strstr(err, "empty.pcap: not a pcap or pcapng file (empty)"));
	free(b);
}

/* ---- streaming ------------------------------------------------------------------ */

/* A byte stream handed over piece bytes at a time; EIO from fail_at on. */
struct pieces {
	const uint8_t *p;
	size_t n, pos, piece, fail_at;
};

static ssize_t read_pieces(void *ctx, void *buf, size_t len)
{
	struct pieces *s = ctx;
	size_t k = s->n - s->pos;

	if (s->pos >= s->fail_at) {
		errno = EIO;
		return -1;
	}
	if (k > s->piece)
		k = s->piece;
	if (k > len)
		k = len;
	memcpy(buf, s->p + s->pos, k);
	s->pos += k;
	return (ssize_t)k;
}

/* What a reader gives: every frame (time, lengths, a sum of its bytes), then how it ends. */
static void transcript(struct input_file *f, const char *open_err, char *out, size_t len)
{
	struct input_file_frame fr;
	size_t used = 0;
	char err[256];
	int rc;

	if (!f) {
		snprintf(out, len, "open: %s", open_err);
		return;
	}
	while ((rc = input_file_next(f, &fr, err, sizeof(err))) == 1 && used < len - 80) {
		uint32_t sum = 0;

		for (uint32_t i = 0; i < fr.caplen; i++)
			sum = sum * 31 + fr.data[i];
		used += (size_t)snprintf(out + used, len - used, "%llu %u %u %x %s|",
					 (unsigned long long)fr.ts_ns, fr.caplen, fr.origlen, sum,
					 fr.iface ? fr.iface : "-");
	}
	snprintf(out + used, len - used, "rc %d torn %d %s", rc, input_file_torn(f),
		 rc < 0 ? err : "");
	input_file_close(f);
}

/* Read whole from memory and in pieces of every small size: the same. */
static void same_in_pieces(const uint8_t *p, size_t n)
{
	static const size_t sizes[] = { 1, 2, 3, 5, 7, 13, 64, 4093, 1 << 20 };
	char *want = malloc(1 << 16), *got = malloc(1 << 16), err[256];

	assert_non_null(want);
	assert_non_null(got);
	transcript(input_file_open_mem(p, n, "x", err, sizeof(err)), err, want, 1 << 16);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct pieces src = { .p = p, .n = n, .piece = sizes[i], .fail_at = SIZE_MAX };

		transcript(input_file_open_stream(read_pieces, &src, "x", err, sizeof(err)), err, got,
			   1 << 16);
		if (strcmp(want, got))
			fail_msg("in pieces of %zu:\n%s\nwhole:\n%s", sizes[i], got, want);
	}
	free(want);
	free(got);
}

static size_t zstd_of(const void *p, size_t n, void *out, size_t cap)
{
	size_t z = ZSTD_compress(out, cap, p, n, 3);

	assert_false(ZSTD_isError(z));
	return z;
}

static size_t gzip_of(const void *p, size_t n, void *out, size_t cap)
{
	z_stream zs = { 0 };

	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (Bytef *)p;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	deflateEnd(&zs);
	return cap - zs.avail_out;
}

static void test_streaming_in_pieces(void **state)
{
	static const uint8_t custom[20] = { 0xde, 0xad };
	struct buf *b = calloc(1, sizeof(*b)), *z = calloc(1, sizeof(*z));
	size_t whole, n;

	(void)state;
	assert_non_null(b);
	assert_non_null(z);
	put_shb(b);
	put_block(b, 0x40000bad, custom, 17);
	put_idb(b, "eth1");
	for (int i = 0; i < 50; i++)
		put_epb(b, 0, TS0 + (uint64_t)i, 20 + (uint32_t)i * 4, PCAPNG_EPB_FLAG_INBOUND, i);
	put_shb(b);
	put_idb_resol(b, 0x80 | 10, "tun0");
	put_pb(b, 0, (1700000000ull << 10) | 512, 33);
	put_spb(b, 50, 50);
	put_isb(b);
	whole = b->n;
	same_in_pieces(b->b, whole);
	/* Cut at every place in the last blocks: torn, after the same frames. */
	for (n = whole - 200; n < whole; n += 9)
		same_in_pieces(b->b, n);
	/* Compressed, and two gzip members or zstd frames one after the other. */
	n = gzip_of(b->b, whole, z->b, BUF_MAX);
	same_in_pieces(z->b, n);
	memcpy(z->b + n, z->b, n);
	same_in_pieces(z->b, 2 * n);
	same_in_pieces(z->b, 2 * n - 5);        /* the second member cut */
	n = zstd_of(b->b, whole, z->b, BUF_MAX);
	same_in_pieces(z->b, n);
	memcpy(z->b + n, z->b, n);
	same_in_pieces(z->b, 2 * n);
	same_in_pieces(z->b, 2 * n - 3);
	/* pcap. */
	b->n = 0;
	pcap_header(b, 1, 1, 65535);
	for (int i = 0; i < 40; i++)
		pcap_record(b, 1, 1700000000, (uint32_t)i, 10 + (uint32_t)i, 100);
	same_in_pieces(b->b, b->n);
	same_in_pieces(b->b, b->n - 7);
	free(b);
	free(z);
}

static void test_streaming_torn_and_errors(void **state)
{
	struct buf *b = calloc(1, sizeof(*b));
	struct input_file *f;
	struct input_file_frame fr;
	char err[256], want[256];
	size_t at;

	(void)state;
	assert_non_null(b);
	put_shb(b);
	put_idb(b, "eth1");
	put_epb(b, 0, TS0, 60, 0, -1);
	at = b->n;
	put_epb(b, 0, TS0 + 1, 60, 0, -1);
	/* The last block cut in its middle: the frame before it, then a warning. */
	f = input_file_open_mem(b->b, b->n - 30, "t.pcapng", err, sizeof(err));
	assert_non_null(f);
	expect_frame(f, TS0, 60, 70, frame);
	snprintf(want, sizeof(want), "t.pcapng: warning: torn last block at offset %zu (%zu of %zu "
		 "bytes); the frames before it were read", at, b->n - 30 - at, b->n - at);
	expect_error(f, want);
	input_file_close(f);

	/* A read error is an error, not a tear. */
	struct pieces src = { .p = b->b, .n = b->n, .piece = 16, .fail_at = at + 8 };

	f = input_file_open_stream(read_pieces, &src, "e.pcapng", err, sizeof(err));
	assert_non_null(f);
	expect_frame(f, TS0, 60, 70, frame);
	assert_int_equal(input_file_next(f, &fr, err, sizeof(err)), -1);
	assert_string_equal(err, "e.pcapng: Input/output error");
	assert_int_equal(input_file_torn(f), 0);
	input_file_close(f);

	/* A block larger than vpncap reads: refused from its header alone. */
	b->n = at;
	u32(b, PCAPNG_BT_EPB);
	u32(b, 32u << 20);
	u32(b, 0);
	f = input_file_open_mem(b->b, b->n, "big.pcapng", err, sizeof(err));
	assert_non_null(f);
	expect_frame(f, TS0, 60, 70, frame);
	snprintf(want, sizeof(want), "big.pcapng: block at offset %zu: total length 33554432 is "
		 "more than the 16 MiB vpncap reads", at);
	expect_error(f, want);
	input_file_close(f);
	free(b);
}

/* A frame larger than the window starts with (1 MiB): the window grows for it. */
static void test_streaming_big_block(void **state)
{
	size_t caplen = 3u << 20, n = 0, total = 32 + caplen;
	uint8_t *p = calloc(1, 256 + total);
	struct buf *hdr = calloc(1, sizeof(*hdr));
	struct input_file *f;
	struct input_file_frame fr;
	char err[256];

	(void)state;
	assert_non_null(p);
	assert_non_null(hdr);
	put_shb(hdr);
	put_idb(hdr, "eth1");
	memcpy(p, hdr->b, hdr->n);
	n = hdr->n;
	uint32_t epb[7] = { PCAPNG_BT_EPB, (uint32_t)total, 0, 0, 0, (uint32_t)caplen,
			    (uint32_t)caplen };
	memcpy(p + n, epb, sizeof(epb));
	p[n + 28 + caplen - 1] = 0x5a;
	memcpy(p + n + 28 + caplen, &epb[1], 4);
	n += total;
	f = input_file_open_mem(p, n, "b.pcapng", err, sizeof(err));
	assert_non_null(f);
	assert_int_equal(input_file_next(f, &fr, err, sizeof(err)), 1);
	assert_int_equal(fr.caplen, caplen);
	assert_int_equal(fr.data[caplen - 1], 0x5a);
	expect_end(f);
	input_file_close(f);
	free(p);
	free(hdr);
}

static long maxrss_kib(void)
{
	struct rusage ru;

	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}

/*
 * A zstd bomb: 1 GiB of valid pcapng (EPBs of 65000 zero bytes) in about
 * 100 KiB. Before streaming, the reader inflated it whole; now its memory
 * grows by a few MiB, and the frames are all there.
 */
static void test_zstd_bomb_bounded(void **state)
{
	enum { PER_CHUNK = 64, CHUNKS = 256, CAPLEN = 65000 };
	size_t epb_len = 32 + CAPLEN, chunk_len = PER_CHUNK * epb_len, cap = 1 << 20, n;
	uint8_t *chunk = calloc(1, chunk_len), *bomb = malloc(cap * 8), *zchunk = malloc(cap);
	struct buf *hdr = calloc(1, sizeof(*hdr));
	struct input_file *f;
	struct input_file_frame fr;
	char err[256];
	long before;
	size_t zn, frames = 0;

	(void)state;
	assert_non_null(chunk);
	assert_non_null(bomb);
	assert_non_null(zchunk);
	assert_non_null(hdr);
	for (size_t i = 0; i < PER_CHUNK; i++) {
		uint32_t epb[7] = { PCAPNG_BT_EPB, (uint32_t)epb_len, 0, 0, 0, CAPLEN, CAPLEN };

		memcpy(chunk + i * epb_len, epb, sizeof(epb));
		memcpy(chunk + (i + 1) * epb_len - 4, &epb[1], 4);
	}
	put_shb(hdr);
	put_idb(hdr, "eth1");
	n = zstd_of(hdr->b, hdr->n, bomb, cap);
	zn = zstd_of(chunk, chunk_len, zchunk, cap);
	free(chunk);
	for (int i = 0; i < CHUNKS; i++) {
		assert_true(n + zn <= cap * 8);
		memcpy(bomb + n, zchunk, zn);
		n += zn;
	}
	before = maxrss_kib();
	f = input_file_open_mem(bomb, n, "bomb.pcapng.zst", err, sizeof(err));
	assert_non_null(f);
	while (input_file_next(f, &fr, err, sizeof(err)) == 1)
		frames++;
	expect_end(f);
	input_file_close(f);
	assert_int_equal(frames, PER_CHUNK * CHUNKS);
	if (maxrss_kib() - before > 64 * 1024)
		fail_msg("reading %zu KiB of zstd (%zu MiB inflated) grew the resident size by %ld KiB",
			 n >> 10, (CHUNKS * chunk_len) >> 20, maxrss_kib() - before);
	free(bomb);
	free(zchunk);
	free(hdr);
}

/* A zstd frame that asks for a 128 MiB window (zstd --long) is refused, not allocated. */
static void test_zstd_window_refused(void **state)
{
	struct buf *b = calloc(1, sizeof(*b)), *z = calloc(1, sizeof(*z));
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_inBuffer in;
	ZSTD_outBuffer out;
	char err[256];

	(void)state;
	assert_non_null(b);
	assert_non_null(z);
	assert_non_null(cc);
	put_shb(b);
	put_idb(b, "eth1");
	put_epb(b, 0, TS0, 60, 0, -1);
	assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, 27)));
	in = (ZSTD_inBuffer){ b->b, b->n, 0 };
	out = (ZSTD_outBuffer){ z->b, BUF_MAX, 0 };
	/* Fed before the end is known: the frame header keeps the 128 MiB window. */
	assert_false(ZSTD_isError(ZSTD_compressStream2(cc, &out, &in, ZSTD_e_continue)));
	assert_int_equal(ZSTD_compressStream2(cc, &out, &in, ZSTD_e_end), 0);
	ZSTD_freeCCtx(cc);
	assert_null(input_file_open_mem(z->b, out.pos, "long.zst", err, sizeof(err)));
	assert_string_equal(err, "long.zst: zstd: the data needs a window over 8 MiB (zstd --long "
			    "or --ultra); decompress it first (zstd -d)");
	free(b);
	free(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcap_orders_and_resolutions),
		cmocka_unit_test(test_pcap_malformed),
		cmocka_unit_test(test_not_a_capture),
		cmocka_unit_test(test_pcapng_from_encoder),
		cmocka_unit_test(test_pcapng_resolutions_spb_pb),
		cmocka_unit_test(test_pcapng_sections),
		cmocka_unit_test(test_pcapng_malformed),
		cmocka_unit_test(test_files_and_compression),
		cmocka_unit_test(test_streaming_in_pieces),
		cmocka_unit_test(test_streaming_torn_and_errors),
		cmocka_unit_test(test_streaming_big_block),
		cmocka_unit_test(test_zstd_bomb_bounded),
		cmocka_unit_test(test_zstd_window_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
