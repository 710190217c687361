// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the PCAPNG encoder and reader: byte-exact blocks, "does not
 * fit" behaviour, a full encode/read-back round trip, reader error cases,
 * and (when tshark is installed) a check that Wireshark accepts the output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pcapng.h"
#include "pcapng_reader.h"

/*
 * Expected blocks are literal byte arrays. The encoder writes host byte
 * order, so multi-byte fields go through H16/H32/H64 (host order); O16/O32/
 * O64 give the other order, for hand-built byte-swapped sections.
 */
#define LE16(v) (uint8_t)(v), (uint8_t)((v) >> 8)
#define BE16(v) (uint8_t)((v) >> 8), (uint8_t)(v)
#define LE32(v) LE16((v) & 0xFFFF), LE16((uint32_t)(v) >> 16)
#define BE32(v) BE16((uint32_t)(v) >> 16), BE16((v) & 0xFFFF)
#define LE64(v) LE32((uint64_t)(v) & 0xFFFFFFFF), LE32((uint64_t)(v) >> 32)
#define BE64(v) BE32((uint64_t)(v) >> 32), BE32((uint64_t)(v) & 0xFFFFFFFF)

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define H16 LE16
#define H32 LE32
#define H64 LE64
#define O16 BE16
#define O32 BE32
#define O64 BE64
#else
#define H16 BE16
#define H32 BE32
#define H64 BE64
#define O16 LE16
#define O32 LE32
#define O64 LE64
#endif

#define FF8 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF
#define ENDOFOPT H16(0), H16(0)

#define CANARY 0xA5

#define XDP_PASS 2
#define XDP_TX 3
#define XDP_REDIRECT 4

/* A frame whose bytes are easy to recognise: 0x00, 0x01, 0x02, ... */
static uint8_t pattern[256];

static int setup_pattern(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)i;
	return 0;
}

/* ---- helpers ----------------------------------------------------------- */

/* Fills buf with CANARY, encodes into it and checks every byte after. */
#define CHECK_EXACT(expected, call)                                          \
	do {                                                                 \
		uint8_t buf_[sizeof(expected) + 16];                         \
		uint8_t *dst = buf_;                                         \
		size_t n_;                                                   \
		memset(buf_, CANARY, sizeof(buf_));                          \
		n_ = (call);                                                 \
		assert_int_equal(n_, sizeof(expected));                      \
		assert_memory_equal(buf_, expected, sizeof(expected));       \
		for (size_t i_ = sizeof(expected); i_ < sizeof(buf_); i_++)  \
			assert_int_equal(buf_[i_], CANARY);                  \
	} while (0)

static void assert_untouched(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		assert_int_equal(buf[i], CANARY);
}

static int next_ok(struct pcapng_reader *r, struct pcapng_block *blk, uint32_t type)
{
	int rc = pcapng_next_block(r, blk);

	if (rc != 1)
		print_error("reader: rc %d, error \"%s\"\n", rc, r->error);
	assert_int_equal(rc, 1);
	assert_int_equal(blk->type, type);
	return rc;
}

/* Next option, which must exist and have this code and length. */
static const uint8_t *next_opt(struct pcapng_option_iter *it, uint16_t code, uint16_t len)
{
	struct pcapng_option opt;

	assert_int_equal(pcapng_option_next(it, &opt), 1);
	assert_int_equal(opt.code, code);
	assert_int_equal(opt.len, len);
	return opt.value;
}

static void next_opt_str(struct pcapng_option_iter *it, uint16_t code, const char *s)
{
	const uint8_t *v = next_opt(it, code, (uint16_t)strlen(s));

	assert_memory_equal(v, s, strlen(s));
}

static void opts_end(struct pcapng_option_iter *it)
{
	struct pcapng_option opt;

	assert_int_equal(pcapng_option_next(it, &opt), 0);
	assert_int_equal(pcapng_option_next(it, &opt), 0);    /* stays at the end */
}

/* Reading buf must fail at some block; the message must mention all of want. */
static void expect_error(const uint8_t *buf, size_t len, size_t good_blocks,
			 const char *want1, const char *want2)
{
	struct pcapng_reader r;
	struct pcapng_block blk;

	pcapng_reader_init(&r, buf, len);
	for (size_t i = 0; i < good_blocks; i++)
		assert_int_equal(pcapng_next_block(&r, &blk), 1);
	assert_int_equal(pcapng_next_block(&r, &blk), -1);
	print_message("    reader error: %s\n", r.error);
	assert_non_null(strstr(r.error, want1));
	if (want2)
		assert_non_null(strstr(r.error, want2));
	assert_null(strchr(r.error, '\n'));
	/* The error is sticky: the reader does not move past a bad block. */
	assert_int_equal(pcapng_next_block(&r, &blk), -1);
}

/* ---- Section Header Block ---------------------------------------------- */

static const struct pcapng_shb_info shb_info = {
	.hardware = "x86_64",
	.os = "Linux 6.1",
	.userappl = "vpncap 0.1.0",
};

static void test_shb_exact(void **state)
{
	static const uint8_t expected[] = {
		H32(0x0A0D0D0A), H32(76),
		H32(0x1A2B3C4D), H16(1), H16(0), FF8,
		H16(2), H16(6), 'x', '8', '6', '_', '6', '4', 0, 0,
		H16(3), H16(9), 'L', 'i', 'n', 'u', 'x', ' ', '6', '.', '1', 0, 0, 0,
		H16(4), H16(12), 'v', 'p', 'n', 'c', 'a', 'p', ' ', '0', '.', '1', '.', '0',
		ENDOFOPT,
		H32(76),
	};

	(void)state;
	CHECK_EXACT(expected, pcapng_put_shb(dst, sizeof(buf_), &shb_info));
}

static void test_shb_no_options(void **state)
{
	static const uint8_t expected[] = {
		H32(0x0A0D0D0A), H32(28),
		H32(0x1A2B3C4D), H16(1), H16(0), FF8,
		H32(28),
	};
	/* "" is left out like NULL. */
	const struct pcapng_shb_info info = { .os = "" };

	(void)state;
	CHECK_EXACT(expected, pcapng_put_shb(dst, sizeof(buf_), &info));
}

/* ---- Interface Description Block --------------------------------------- */

static const struct pcapng_idb_info idb_info = {
	.linktype = PCAPNG_LINKTYPE_ETHERNET,
	.snaplen = 262144,
	.name = "eth0",
	.description = "uplink",
	.filter = "udp port 51820",
};

static void test_idb_exact(void **state)
{
	static const uint8_t expected[] = {
		H32(1), H32(72),
		H16(1), H16(0), H32(262144),
		H16(2), H16(4), 'e', 't', 'h', '0',
		H16(3), H16(6), 'u', 'p', 'l', 'i', 'n', 'k', 0, 0,
		H16(9), H16(1), 9, 0, 0, 0,
		H16(11), H16(15), 0, 'u', 'd', 'p', ' ', 'p', 'o', 'r', 't', ' ',
		'5', '1', '8', '2', '0', 0,
		ENDOFOPT,
		H32(72),
	};

	(void)state;
	CHECK_EXACT(expected, pcapng_put_idb(dst, sizeof(buf_), &idb_info));
}

static void test_idb_minimal(void **state)
{
	/* if_tsresol is always there, so opt_endofopt is too. */
	static const uint8_t expected[] = {
		H32(1), H32(32),
		H16(1), H16(0), H32(65535),
		H16(9), H16(1), 9, 0, 0, 0,
		ENDOFOPT,
		H32(32),
	};
	const struct pcapng_idb_info info = { .linktype = 1, .snaplen = 65535 };

	(void)state;
	CHECK_EXACT(expected, pcapng_put_idb(dst, sizeof(buf_), &info));
}

/* ---- Enhanced Packet Block --------------------------------------------- */

static const uint8_t frame5[] = { 0xDE, 0xAD, 0xBE, 0xEF, 0x42 };

static void test_epb_no_options(void **state)
{
	static const uint8_t expected[] = {
		H32(6), H32(40),
		H32(1), H32(0x01234567), H32(0x89ABCDEF), H32(5), H32(60),
		0xDE, 0xAD, 0xBE, 0xEF, 0x42, 0, 0, 0,
		H32(40),
	};
	const struct pcapng_epb_info info = {
		.if_id = 1, .ts_ns = 0x0123456789ABCDEFull, .caplen = 5, .origlen = 60,
	};

	(void)state;
	CHECK_EXACT(expected, pcapng_put_epb(dst, sizeof(buf_), &info, frame5));
	assert_int_equal(pcapng_epb_size(&info), sizeof(expected));
}

static void test_epb_all_options(void **state)
{
	static const uint8_t expected[] = {
		H32(6), H32(76),
		H32(0), H32(0x01234567), H32(0x89ABCDEF), H32(5), H32(5),
		0xDE, 0xAD, 0xBE, 0xEF, 0x42, 0, 0, 0,
		H16(2), H16(4), H32(PCAPNG_EPB_FLAG_INBOUND),
		H16(6), H16(4), H32(3),
		H16(7), H16(9), PCAPNG_VERDICT_XDP, H64(XDP_REDIRECT), 0, 0, 0,
		ENDOFOPT,
		H32(76),
	};
	const struct pcapng_epb_info info = {
		.ts_ns = 0x0123456789ABCDEFull, .caplen = 5, .origlen = 5,
		.flags = PCAPNG_EPB_FLAG_INBOUND,
		.has_queue = 1, .queue = 3,
		.has_verdict = 1, .verdict_type = PCAPNG_VERDICT_XDP, .verdict = XDP_REDIRECT,
	};

	(void)state;
	CHECK_EXACT(expected, pcapng_put_epb(dst, sizeof(buf_), &info, frame5));
	assert_int_equal(pcapng_epb_size(&info), sizeof(expected));
}

static void test_epb_queue_zero_no_padding(void **state)
{
	/* Queue 0 is still written when has_queue; flags 0 is left out. */
	static const uint8_t expected[] = {
		H32(6), H32(48),
		H32(2), H32(0), H32(7), H32(4), H32(4),
		0xDE, 0xAD, 0xBE, 0xEF,
		H16(6), H16(4), H32(0),
		ENDOFOPT,
		H32(48),
	};
	const struct pcapng_epb_info info = {
		.if_id = 2, .ts_ns = 7, .caplen = 4, .origlen = 4, .has_queue = 1,
	};

	(void)state;
	CHECK_EXACT(expected, pcapng_put_epb(dst, sizeof(buf_), &info, frame5));
}

static void test_epb_verdict_only_empty_frame(void **state)
{
	static const uint8_t expected[] = {
		H32(6), H32(52),
		H32(0), H32(0), H32(0), H32(0), H32(64),
		H16(7), H16(9), PCAPNG_VERDICT_XDP, H64(XDP_PASS), 0, 0, 0,
		ENDOFOPT,
		H32(52),
	};
	const struct pcapng_epb_info info = {
		.origlen = 64, .has_verdict = 1, .verdict_type = PCAPNG_VERDICT_XDP, .verdict = XDP_PASS,
	};

	(void)state;
	/* caplen 0: the frame pointer is never read, NULL is fine. */
	CHECK_EXACT(expected, pcapng_put_epb(dst, sizeof(buf_), &info, NULL));
}

static void test_epb_size_matches(void **state)
{
	uint8_t buf[512];

	(void)state;
	for (uint32_t caplen = 0; caplen <= 9; caplen++) {
		for (unsigned opts = 0; opts < 8; opts++) {
			const struct pcapng_epb_info info = {
				.caplen = caplen, .origlen = caplen,
				.flags = (opts & 1) ? PCAPNG_EPB_FLAG_OUTBOUND : 0,
				.has_queue = !!(opts & 2),
				.has_verdict = !!(opts & 4), .verdict_type = PCAPNG_VERDICT_XDP,
			};
			size_t need = pcapng_epb_size(&info);

			assert_int_equal(need % 4, 0);
			memset(buf, CANARY, sizeof(buf));
			assert_int_equal(pcapng_put_epb(buf, need - 1, &info, pattern), 0);
			assert_untouched(buf, sizeof(buf));
			assert_int_equal(pcapng_put_epb(buf, need, &info, pattern), need);
			assert_untouched(buf + need, sizeof(buf) - need);
		}
	}
}

static void test_epb_huge_caplen(void **state)
{
	/* A total length that cannot be a u32 is never encoded. */
	const struct pcapng_epb_info info = { .caplen = UINT32_MAX - 4, .origlen = 1 };
	uint8_t buf[64];

	(void)state;
	memset(buf, CANARY, sizeof(buf));
	assert_int_equal(pcapng_epb_size(&info), 0);
	assert_int_equal(pcapng_put_epb(buf, SIZE_MAX, &info, pattern), 0);
	assert_untouched(buf, sizeof(buf));
}

/* ---- Interface Statistics Block ---------------------------------------- */

static void test_isb_exact(void **state)
{
	static const uint8_t expected[] = {
		H32(5), H32(84),
		H32(0), H32(1), H32(2),
		H16(1), H16(4), 'd', 'o', 'n', 'e',
		H16(2), H16(8), H32(0x11223344), H32(0x55667788),
		H16(4), H16(8), H64(1000),
		H16(6), H16(8), H64(900),
		H16(7), H16(8), H64(0),
		ENDOFOPT,
		H32(84),
	};
	const struct pcapng_isb_info info = {
		.if_id = 0,
		.ts_ns = 0x0000000100000002ull,
		.starttime_ns = 0x1122334455667788ull,
		.endtime_ns = PCAPNG_ISB_UNSET,
		.ifrecv = 1000,
		.ifdrop = PCAPNG_ISB_UNSET,
		.filteraccept = 900,
		.osdrop = 0,                    /* 0 is a value, not "unset" */
		.usrdeliv = PCAPNG_ISB_UNSET,
		.comment = "done",
	};

	(void)state;
	CHECK_EXACT(expected, pcapng_put_isb(dst, sizeof(buf_), &info));
}

static void test_isb_all_options(void **state)
{
	static const uint8_t expected[] = {
		H32(5), H32(112),
		H32(3), H32(0), H32(9),
		H16(2), H16(8), H32(1), H32(2),
		H16(3), H16(8), H32(3), H32(4),
		H16(4), H16(8), H64(10),
		H16(5), H16(8), H64(11),
		H16(6), H16(8), H64(12),
		H16(7), H16(8), H64(13),
		H16(8), H16(8), H64(14),
		ENDOFOPT,
		H32(112),
	};
	const struct pcapng_isb_info info = {
		.if_id = 3, .ts_ns = 9,
		.starttime_ns = 0x0000000100000002ull,
		.endtime_ns = 0x0000000300000004ull,
		.ifrecv = 10, .ifdrop = 11, .filteraccept = 12, .osdrop = 13,
		.usrdeliv = 14,
	};

	(void)state;
	CHECK_EXACT(expected, pcapng_put_isb(dst, sizeof(buf_), &info));
}

static void test_isb_no_options(void **state)
{
	static const uint8_t expected[] = {
		H32(5), H32(24),
		H32(1), H32(0), H32(5),
		H32(24),
	};
	const struct pcapng_isb_info info = {
		.if_id = 1, .ts_ns = 5,
		.starttime_ns = PCAPNG_ISB_UNSET, .endtime_ns = PCAPNG_ISB_UNSET,
		.ifrecv = PCAPNG_ISB_UNSET, .ifdrop = PCAPNG_ISB_UNSET,
		.filteraccept = PCAPNG_ISB_UNSET, .osdrop = PCAPNG_ISB_UNSET,
		.usrdeliv = PCAPNG_ISB_UNSET,
	};

	(void)state;
	CHECK_EXACT(expected, pcapng_put_isb(dst, sizeof(buf_), &info));
}

/* ---- does not fit ------------------------------------------------------ */

static const struct pcapng_isb_info isb_some = {
	.ts_ns = 1, .starttime_ns = PCAPNG_ISB_UNSET, .endtime_ns = 5,
	.ifrecv = 1, .ifdrop = 2, .filteraccept = PCAPNG_ISB_UNSET, .osdrop = 3,
	.usrdeliv = PCAPNG_ISB_UNSET, .comment = "x",
};

static const struct pcapng_epb_info epb_full = {
	.caplen = 5, .origlen = 5, .flags = 1, .has_queue = 1, .has_verdict = 1, .verdict_type = PCAPNG_VERDICT_XDP,
};

/* Encodes with rooms 0 .. size-1 (all refused, nothing written), then size. */
static size_t put_any(int kind, uint8_t *dst, size_t room)
{
	switch (kind) {
	case 0:
		return pcapng_put_shb(dst, room, &shb_info);
	case 1:
		return pcapng_put_idb(dst, room, &idb_info);
	case 2:
		return pcapng_put_epb(dst, room, &epb_full, frame5);
	default:
		return pcapng_put_isb(dst, room, &isb_some);
	}
}

static void test_does_not_fit(void **state)
{
	uint8_t buf[256];

	(void)state;
	for (int kind = 0; kind < 4; kind++) {
		size_t size;

		memset(buf, CANARY, sizeof(buf));
		size = put_any(kind, buf, sizeof(buf));
		assert_true(size > 0 && size % 4 == 0);
		assert_untouched(buf + size, sizeof(buf) - size);
		for (size_t room = 0; room < size; room++) {
			memset(buf, CANARY, sizeof(buf));
			assert_int_equal(put_any(kind, buf, room), 0);
			assert_untouched(buf, sizeof(buf));
		}
		assert_int_equal(put_any(kind, buf, size), size);
	}
}

/* ---- long strings ------------------------------------------------------ */

#define LONG_LEN 70000

static void test_long_strings_truncated(void **state)
{
	char *s = malloc(LONG_LEN + 1);
	size_t room = 6 * 65536;
	uint8_t *buf = malloc(room);
	struct pcapng_reader r;
	struct pcapng_block blk;
	struct pcapng_idb_view idb;
	struct pcapng_option_iter it;
	const uint8_t *v;
	size_t n, m;

	(void)state;
	assert_non_null(s);
	assert_non_null(buf);
	memset(s, 'a', LONG_LEN);
	s[LONG_LEN] = '\0';

	/* Each option value is cut to the 16-bit maximum, 65535 bytes. */
	const struct pcapng_shb_info shb = { .hardware = s, .os = s, .userappl = s };
	const struct pcapng_idb_info info = {
		.linktype = 1, .snaplen = 100, .name = s, .filter = s,
	};

	n = pcapng_put_shb(buf, room, &shb);
	assert_int_equal(n, 28 + 3 * (4 + 65536) + 4);
	m = pcapng_put_idb(buf + n, room - n, &info);
	/* name: 4 + 65536; tsresol: 8; filter: code byte + 65534 = 65535. */
	assert_int_equal(m, 20 + (4 + 65536) + 8 + (4 + 65536) + 4);

	pcapng_reader_init(&r, buf, n + m);
	next_ok(&r, &blk, PCAPNG_BT_SHB);
	assert_int_equal(pcapng_block_options(&r, &blk, &it), 0);
	for (int i = 0; i < 3; i++) {
		v = next_opt(&it, (uint16_t)(2 + i), 65535);
		assert_int_equal(v[0], 'a');
		assert_int_equal(v[65534], 'a');
		assert_int_equal(v[65535], 0);         /* padding */
	}
	opts_end(&it);
	next_ok(&r, &blk, PCAPNG_BT_IDB);
	assert_int_equal(pcapng_parse_idb(&r, &blk, &idb), 0);
	v = next_opt(&idb.opts, 2, 65535);
	assert_int_equal(v[65534], 'a');
	next_opt(&idb.opts, 9, 1);
	v = next_opt(&idb.opts, 11, 65535);
	assert_int_equal(v[0], 0);                      /* filter code */
	assert_int_equal(v[1], 'a');
	assert_int_equal(v[65534], 'a');
	opts_end(&idb.opts);
	assert_int_equal(pcapng_next_block(&r, &blk), 0);

	/* Exactly 65535 bytes is not cut. */
	s[65535] = '\0';
	const struct pcapng_idb_info exact = { .name = s };
	assert_int_equal(pcapng_put_idb(buf, room, &exact), 20 + (4 + 65536) + 8 + 4);
	free(buf);
	free(s);
}

/* ---- read back --------------------------------------------------------- */

static const struct pcapng_idb_info rb_idb[2] = {
	{ .linktype = PCAPNG_LINKTYPE_ETHERNET, .snaplen = 9000, .name = "wg0-peer",
	  .description = "WireGuard uplink", .filter = "udp port 51820" },
	{ .linktype = PCAPNG_LINKTYPE_ETHERNET, .snaplen = 128, .name = "eth1" },
};

static const struct pcapng_epb_info rb_epb[] = {
	{ .if_id = 0, .ts_ns = 1700000000123456789ull, .caplen = 60, .origlen = 60,
	  .flags = PCAPNG_EPB_FLAG_INBOUND, .has_queue = 1, .queue = 2,
	  .has_verdict = 1, .verdict_type = PCAPNG_VERDICT_XDP, .verdict = XDP_REDIRECT },
	{ .if_id = 1, .ts_ns = 1700000000123456790ull, .caplen = 5, .origlen = 1514,
	  .flags = PCAPNG_EPB_FLAG_OUTBOUND },
	/* Inline capture of a transmitted frame: TC verdict TC_ACT_UNSPEC (-1). */
	{ .if_id = 0, .ts_ns = 1700000000123456791ull, .caplen = 60, .origlen = 60,
	  .flags = PCAPNG_EPB_FLAG_OUTBOUND, .has_queue = 1, .queue = 1,
	  .has_verdict = 1, .verdict_type = PCAPNG_VERDICT_TC, .verdict = UINT64_MAX },
	{ .if_id = 0, .ts_ns = 1700000001000000000ull, .caplen = 0, .origlen = 42 },
	{ .if_id = 1, .ts_ns = 1700000002999999999ull, .caplen = 67, .origlen = 67,
	  .has_verdict = 1, .verdict_type = PCAPNG_VERDICT_XDP, .verdict = XDP_TX },
	{ .if_id = 0, .ts_ns = 1700000003000000001ull, .caplen = 64, .origlen = 64,
	  .has_queue = 1, .queue = 0 },
};
#define RB_NEPB (sizeof(rb_epb) / sizeof(rb_epb[0]))

static const struct pcapng_isb_info rb_isb = {
	.if_id = 1, .ts_ns = 1700000004000000000ull,
	.starttime_ns = 1700000000000000000ull, .endtime_ns = 1700000004000000000ull,
	.ifrecv = 100, .ifdrop = PCAPNG_ISB_UNSET, .filteraccept = 7, .osdrop = 3,
	.usrdeliv = PCAPNG_ISB_UNSET, .comment = "final statistics",
};

/* SHB, 2 IDBs, the EPBs (frames from pattern), ISB; returns bytes used. */
static size_t build_capture(uint8_t *buf, size_t room)
{
	size_t off = 0, n;

	n = pcapng_put_shb(buf, room, &shb_info);
	assert_true(n > 0);
	off += n;
	for (int i = 0; i < 2; i++) {
		n = pcapng_put_idb(buf + off, room - off, &rb_idb[i]);
		assert_true(n > 0);
		off += n;
	}
	for (size_t i = 0; i < RB_NEPB; i++) {
		n = pcapng_put_epb(buf + off, room - off, &rb_epb[i], pattern + i);
		assert_int_equal(n, pcapng_epb_size(&rb_epb[i]));
		off += n;
	}
	n = pcapng_put_isb(buf + off, room - off, &rb_isb);
	assert_true(n > 0);
	return off + n;
}

static void check_idb(struct pcapng_reader *r, const struct pcapng_block *blk,
		      const struct pcapng_idb_info *want)
{
	struct pcapng_idb_view idb;
	const uint8_t *v;

	assert_int_equal(pcapng_parse_idb(r, blk, &idb), 0);
	assert_int_equal(idb.linktype, want->linktype);
	assert_int_equal(idb.snaplen, want->snaplen);
	next_opt_str(&idb.opts, 2, want->name);
	if (want->description)
		next_opt_str(&idb.opts, 3, want->description);
	v = next_opt(&idb.opts, 9, 1);
	assert_int_equal(v[0], 9);
	if (want->filter) {
		v = next_opt(&idb.opts, 11, (uint16_t)(1 + strlen(want->filter)));
		assert_int_equal(v[0], 0);
		assert_memory_equal(v + 1, want->filter, strlen(want->filter));
	}
	opts_end(&idb.opts);
}

static void check_epb(struct pcapng_reader *r, const struct pcapng_block *blk,
		      const struct pcapng_epb_info *want, const uint8_t *frame)
{
	struct pcapng_epb_view epb;
	const uint8_t *v;

	assert_int_equal(pcapng_parse_epb(r, blk, &epb), 0);
	assert_int_equal(epb.if_id, want->if_id);
	assert_int_equal(epb.ts_raw, want->ts_ns);
	assert_int_equal(epb.caplen, want->caplen);
	assert_int_equal(epb.origlen, want->origlen);
	if (want->caplen)
		assert_memory_equal(epb.frame, frame, want->caplen);
	if (want->flags) {
		v = next_opt(&epb.opts, 2, 4);
		assert_int_equal(pcapng_u32(0, v), want->flags);
	}
	if (want->has_queue) {
		v = next_opt(&epb.opts, 6, 4);
		assert_int_equal(pcapng_u32(0, v), want->queue);
	}
	if (want->has_verdict) {
		v = next_opt(&epb.opts, 7, 9);
		assert_int_equal(v[0], want->verdict_type);
		assert_int_equal(pcapng_u64(0, v + 1), want->verdict);
	}
	opts_end(&epb.opts);
}

/* isb_starttime/endtime are two u32 words, high first. */
static uint64_t ts_opt(const uint8_t *v)
{
	return (uint64_t)pcapng_u32(0, v) << 32 | pcapng_u32(0, v + 4);
}

static void check_isb(struct pcapng_reader *r, const struct pcapng_block *blk,
		      const struct pcapng_isb_info *want)
{
	struct pcapng_option_iter it;

	assert_int_equal(blk->body_len >= 12, 1);
	assert_int_equal(pcapng_u32(0, blk->body), want->if_id);
	assert_int_equal(ts_opt(blk->body + 4), want->ts_ns);
	assert_int_equal(pcapng_block_options(r, blk, &it), 0);
	next_opt_str(&it, 1, want->comment);
	assert_int_equal(ts_opt(next_opt(&it, 2, 8)), want->starttime_ns);
	assert_int_equal(ts_opt(next_opt(&it, 3, 8)), want->endtime_ns);
	assert_int_equal(pcapng_u64(0, next_opt(&it, 4, 8)), want->ifrecv);
	/* ifdrop (5) is unset, so left out. */
	assert_int_equal(pcapng_u64(0, next_opt(&it, 6, 8)), want->filteraccept);
	assert_int_equal(pcapng_u64(0, next_opt(&it, 7, 8)), want->osdrop);
	opts_end(&it);
}

static void test_read_back(void **state)
{
	uint8_t buf[2048];
	size_t len = build_capture(buf, sizeof(buf));
	struct pcapng_reader r;
	struct pcapng_block blk;
	struct pcapng_option_iter it;

	(void)state;
	pcapng_reader_init(&r, buf, len);
	next_ok(&r, &blk, PCAPNG_BT_SHB);
	assert_int_equal(blk.offset, 0);
	assert_int_equal(blk.total_len, 76);
	assert_int_equal(blk.body_len, 64);
	assert_int_equal(r.swapped, 0);
	assert_int_equal(r.in_section, 1);
	assert_int_equal(pcapng_u32(0, blk.body), PCAPNG_BYTE_ORDER_MAGIC);
	assert_int_equal(pcapng_u64(0, blk.body + 8), UINT64_MAX);
	assert_int_equal(pcapng_block_options(&r, &blk, &it), 0);
	next_opt_str(&it, 2, shb_info.hardware);
	next_opt_str(&it, 3, shb_info.os);
	next_opt_str(&it, 4, shb_info.userappl);
	opts_end(&it);

	for (int i = 0; i < 2; i++) {
		next_ok(&r, &blk, PCAPNG_BT_IDB);
		check_idb(&r, &blk, &rb_idb[i]);
	}
	for (size_t i = 0; i < RB_NEPB; i++) {
		size_t off = r.off;

		next_ok(&r, &blk, PCAPNG_BT_EPB);
		assert_int_equal(blk.offset, off);
		assert_int_equal(blk.total_len, pcapng_epb_size(&rb_epb[i]));
		check_epb(&r, &blk, &rb_epb[i], pattern + i);
	}
	next_ok(&r, &blk, PCAPNG_BT_ISB);
	check_isb(&r, &blk, &rb_isb);
	assert_int_equal(r.off, len);
	assert_int_equal(pcapng_next_block(&r, &blk), 0);
	assert_int_equal(pcapng_next_block(&r, &blk), 0);
}

/* ---- reader: odd but valid input --------------------------------------- */

/* A whole section in the other byte order, then one in host order. */
static const uint8_t swapped_file[] = {
	/* SHB */
	O32(0x0A0D0D0A), O32(28), O32(0x1A2B3C4D), O16(1), O16(0), FF8, O32(28),
	/* IDB, if_tsresol 6 (microseconds) */
	O32(1), O32(32), O16(1), O16(0), O32(65535),
	O16(9), O16(1), 6, 0, 0, 0, ENDOFOPT, O32(32),
	/* unknown block type */
	O32(0x0BAD0BAD), O32(16), 1, 2, 3, 4, O32(16),
	/* EPB, 3-byte frame, epb_flags; options end without opt_endofopt */
	O32(6), O32(44), O32(0), O32(1), O32(2), O32(3), O32(1500),
	'a', 'b', 'c', 0, O16(2), O16(4), O32(2), O32(44),
	/* ISB with one counter and an unknown option code */
	O32(5), O32(48), O32(0), O32(0), O32(7),
	O16(0x1234), O16(3), 'x', 'y', 'z', 0,
	O16(4), O16(8), O64(12345), ENDOFOPT, O32(48),
	/* second section, host byte order, no blocks */
	H32(0x0A0D0D0A), H32(28), H32(0x1A2B3C4D), H16(1), H16(0), FF8, H32(28),
};

static void test_reader_swapped_section(void **state)
{
	struct pcapng_reader r;
	struct pcapng_block blk;
	struct pcapng_idb_view idb;
	struct pcapng_epb_view epb;
	struct pcapng_option_iter it;
	const uint8_t *v;

	(void)state;
	pcapng_reader_init(&r, swapped_file, sizeof(swapped_file));
	next_ok(&r, &blk, PCAPNG_BT_SHB);
	assert_int_equal(r.swapped, 1);
	assert_int_equal(pcapng_block_options(&r, &blk, &it), 0);
	opts_end(&it);

	next_ok(&r, &blk, PCAPNG_BT_IDB);
	assert_int_equal(pcapng_parse_idb(&r, &blk, &idb), 0);
	assert_int_equal(idb.linktype, 1);
	assert_int_equal(idb.snaplen, 65535);
	assert_int_equal(next_opt(&idb.opts, 9, 1)[0], 6);
	opts_end(&idb.opts);

	next_ok(&r, &blk, 0x0BAD0BAD);                 /* handed over, not fatal */
	assert_int_equal(blk.body_len, 4);
	assert_int_equal(pcapng_block_options(&r, &blk, &it), -1);
	assert_int_equal(pcapng_parse_epb(&r, &blk, &epb), -1);

	next_ok(&r, &blk, PCAPNG_BT_EPB);
	assert_int_equal(pcapng_parse_epb(&r, &blk, &epb), 0);
	assert_int_equal(epb.if_id, 0);
	assert_int_equal(epb.ts_raw, 0x0000000100000002ull);
	assert_int_equal(epb.caplen, 3);
	assert_int_equal(epb.origlen, 1500);
	assert_memory_equal(epb.frame, "abc", 3);
	v = next_opt(&epb.opts, 2, 4);
	assert_int_equal(pcapng_u32(epb.opts.swapped, v), PCAPNG_EPB_FLAG_OUTBOUND);
	opts_end(&epb.opts);

	next_ok(&r, &blk, PCAPNG_BT_ISB);
	assert_int_equal(pcapng_u32(r.swapped, blk.body + 8), 7);
	assert_int_equal(pcapng_block_options(&r, &blk, &it), 0);
	assert_memory_equal(next_opt(&it, 0x1234, 3), "xyz", 3);
	v = next_opt(&it, 4, 8);
	assert_int_equal(pcapng_u64(it.swapped, v), 12345);
	opts_end(&it);

	next_ok(&r, &blk, PCAPNG_BT_SHB);
	assert_int_equal(r.swapped, 0);
	assert_int_equal(pcapng_next_block(&r, &blk), 0);
}

static void test_reader_empty(void **state)
{
	struct pcapng_reader r;
	struct pcapng_block blk;

	(void)state;
	pcapng_reader_init(&r, NULL, 0);
	assert_int_equal(pcapng_next_block(&r, &blk), 0);
	pcapng_reader_init(&r, pattern, 0);
	assert_int_equal(pcapng_next_block(&r, &blk), 0);
}

/* ---- reader: malformed input ------------------------------------------- */

#define SHB_HOST H32(0x0A0D0D0A), H32(28), H32(0x1A2B3C4D), H16(1), H16(0), FF8, H32(28)

static void test_reader_truncated_block(void **state)
{
	static const uint8_t buf[] = { SHB_HOST, H32(6), H32(32), 0, 0 };

	(void)state;
	expect_error(buf, sizeof(buf), 1, "block at offset 28", "truncated");
}

static void test_reader_runs_past_end(void **state)
{
	/* The header is complete but the block claims more than is there. */
	static const uint8_t buf[] = {
		SHB_HOST, H32(6), H32(32), H32(0), H32(0), H32(0), H32(0),
	};

	(void)state;
	expect_error(buf, sizeof(buf), 1, "block at offset 28", "runs past the end");
}

static void test_reader_length_not_multiple_of_4(void **state)
{
	static const uint8_t buf[] = { SHB_HOST, H32(6), H32(13), H32(0), H32(0), H32(13) };

	(void)state;
	expect_error(buf, sizeof(buf), 1, "block at offset 28",
		     "total length 13 is not a multiple of 4");
}

static void test_reader_length_too_small(void **state)
{
	static const uint8_t buf[] = { SHB_HOST, H32(6), H32(8), H32(8) };
	static const uint8_t shb[] = {
		H32(0x0A0D0D0A), H32(24), H32(0x1A2B3C4D), H16(1), H16(0), FF8, H32(24),
	};

	(void)state;
	expect_error(buf, sizeof(buf), 1, "block at offset 28", "total length 8 is too small");
	/* An SHB needs 28 bytes for its fixed fields. */
	expect_error(shb, sizeof(shb), 0, "block at offset 0", "too small");
}

static void test_reader_trailer_mismatch(void **state)
{
	static const uint8_t buf[] = { SHB_HOST, H32(6), H32(16), H32(0), H32(20) };

	(void)state;
	expect_error(buf, sizeof(buf), 1, "block at offset 28",
		     "trailing length 20 does not match total length 16");
}

static void test_reader_first_not_shb(void **state)
{
	static const uint8_t buf[] = { H32(1), H32(20), H16(1), H16(0), H32(0), H32(20) };

	(void)state;
	expect_error(buf, sizeof(buf), 0, "block at offset 0", "section header");
}

/* The writer's own unwritten blocks: no SHB before them, host byte order. */
static void test_reader_blocks_without_shb(void **state)
{
	static const uint8_t buf[] = {
		H32(6), H32(40),
		H32(3), H32(0), H32(1), H32(5), H32(60),
		0xDE, 0xAD, 0xBE, 0xEF, 0x42, 0, 0, 0,
		H32(40),
		H32(1), H32(20), H16(1), H16(0), H32(0), H32(20),
	};
	struct pcapng_reader r;
	struct pcapng_block blk;
	struct pcapng_epb_view epb;

	(void)state;
	pcapng_reader_init_blocks(&r, buf, sizeof(buf));
	assert_int_equal(pcapng_next_block(&r, &blk), 1);
	assert_int_equal(pcapng_parse_epb(&r, &blk, &epb), 0);
	assert_int_equal(epb.if_id, 3);
	assert_int_equal(epb.caplen, 5);
	assert_int_equal(pcapng_next_block(&r, &blk), 1);
	assert_int_equal(blk.type, PCAPNG_BT_IDB);
	assert_int_equal(pcapng_next_block(&r, &blk), 0);
	/* a torn last block ends the walk, it is not read past */
	pcapng_reader_init_blocks(&r, buf, sizeof(buf) - 4);
	assert_int_equal(pcapng_next_block(&r, &blk), 1);
	assert_int_equal(pcapng_next_block(&r, &blk), -1);
}

static void test_reader_bad_magic(void **state)
{
	static const uint8_t buf[] = {
		H32(0x0A0D0D0A), H32(28), H32(0x1A2B3C4E), H16(1), H16(0), FF8, H32(28),
	};

	(void)state;
	expect_error(buf, sizeof(buf), 0, "block at offset 0", "byte-order magic");
}

static void test_reader_bad_version(void **state)
{
	static const uint8_t buf[] = {
		H32(0x0A0D0D0A), H32(28), H32(0x1A2B3C4D), H16(2), H16(0), FF8, H32(28),
	};

	(void)state;
	expect_error(buf, sizeof(buf), 0, "block at offset 0", "version 2");
}

static void test_reader_truncated_shb(void **state)
{
	static const uint8_t buf[] = { SHB_HOST, H32(0x0A0D0D0A), H32(28), H32(0x1A2B3C4D) };

	(void)state;
	expect_error(buf, sizeof(buf), 1, "block at offset 28", "truncated");
}

static void test_reader_swapped_bad_trailer(void **state)
{
	/* A swapped section whose EPB trailer was written in the wrong order. */
	static const uint8_t buf[] = {
		O32(0x0A0D0D0A), O32(28), O32(0x1A2B3C4D), O16(1), O16(0), FF8, O32(28),
		O32(6), O32(32), O32(0), O32(0), O32(0), O32(0), O32(0), H32(32),
	};

	(void)state;
	expect_error(buf, sizeof(buf), 1, "block at offset 28", "trailing length");
}

static void test_reader_swapped_bad_length(void **state)
{
	/* 13 in the section's order; 0x0D000000 if misread in host order. */
	static const uint8_t buf[] = {
		O32(0x0A0D0D0A), O32(28), O32(0x1A2B3C4D), O16(1), O16(0), FF8, O32(28),
		O32(6), O32(13), O32(0), O32(0), O32(13),
	};

	(void)state;
	expect_error(buf, sizeof(buf), 1, "block at offset 28", "total length 13");
}

static void test_reader_bad_bodies(void **state)
{
	static const uint8_t buf[] = {
		SHB_HOST,
		/* EPB whose caplen (9, padded 12) exceeds its 8 frame bytes */
		H32(6), H32(40), H32(0), H32(0), H32(0), H32(9), H32(9), H32(0), H32(0), H32(40),
		/* EPB too short for its fixed fields */
		H32(6), H32(16), H32(0), H32(16),
		/* IDB too short */
		H32(1), H32(16), H32(0), H32(16),
		/* ISB too short */
		H32(5), H32(16), H32(0), H32(16),
		/* IDB whose option claims more than the area holds */
		H32(1), H32(28), H16(1), H16(0), H32(0), H16(2), H16(5), 'e', 't', 'h', '0', H32(28),
		/* IDB whose only option has length 0 and fills the area */
		H32(1), H32(24), H16(1), H16(0), H32(0), H16(2), H16(0), H32(24),
	};
	struct pcapng_reader r;
	struct pcapng_block blk;
	struct pcapng_epb_view epb;
	struct pcapng_idb_view idb;
	struct pcapng_option_iter it;
	struct pcapng_option opt;

	(void)state;
	pcapng_reader_init(&r, buf, sizeof(buf));
	next_ok(&r, &blk, PCAPNG_BT_SHB);
	next_ok(&r, &blk, PCAPNG_BT_EPB);
	assert_int_equal(pcapng_parse_epb(&r, &blk, &epb), -1);
	next_ok(&r, &blk, PCAPNG_BT_EPB);
	assert_int_equal(pcapng_parse_epb(&r, &blk, &epb), -1);
	next_ok(&r, &blk, PCAPNG_BT_IDB);
	assert_int_equal(pcapng_parse_idb(&r, &blk, &idb), -1);
	assert_int_equal(pcapng_parse_epb(&r, &blk, &epb), -1);   /* wrong type */
	next_ok(&r, &blk, PCAPNG_BT_ISB);
	assert_int_equal(pcapng_block_options(&r, &blk, &it), -1);

	next_ok(&r, &blk, PCAPNG_BT_IDB);
	assert_int_equal(pcapng_parse_idb(&r, &blk, &idb), 0);
	assert_int_equal(pcapng_option_next(&idb.opts, &opt), -1);
	assert_int_equal(pcapng_option_next(&idb.opts, &opt), -1); /* sticky */

	/* Option header with a zero length, and the iterator cut mid-header. */
	next_ok(&r, &blk, PCAPNG_BT_IDB);
	assert_int_equal(pcapng_parse_idb(&r, &blk, &idb), 0);
	assert_int_equal(pcapng_option_next(&idb.opts, &opt), 1);
	assert_int_equal(opt.code, 2);
	assert_int_equal(opt.len, 0);
	opts_end(&idb.opts);
	idb.opts.pos = blk.body + 8;
	idb.opts.end = blk.body + 10;
	assert_int_equal(pcapng_option_next(&idb.opts, &opt), -1);
	assert_int_equal(pcapng_next_block(&r, &blk), 0);
}

/* ---- Wireshark agrees -------------------------------------------------- */

static void test_tshark_reads_it(void **state)
{
	char path[] = "/tmp/test_pcapng_XXXXXX";
	char cmd[256], line[256], expect[64];
	uint8_t buf[2048];
	size_t len, i = 0;
	FILE *f, *p;
	int fd, status;

	(void)state;
	if (system("command -v tshark >/dev/null 2>&1") != 0) {
		print_message("    tshark not installed, skipping\n");
		skip();
	}
	len = build_capture(buf, sizeof(buf));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);

	snprintf(cmd, sizeof(cmd),
		 "tshark -r %s -T fields -e frame.len -e frame.interface_id "
		 "-e frame.time_epoch 2>/dev/null", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		assert_true(i < RB_NEPB);
		snprintf(expect, sizeof(expect), "%u\t%u\t%llu.%09llu\n",
			 rb_epb[i].origlen, rb_epb[i].if_id,
			 (unsigned long long)(rb_epb[i].ts_ns / 1000000000u),
			 (unsigned long long)(rb_epb[i].ts_ns % 1000000000u));
		assert_string_equal(line, expect);
		i++;
	}
	status = pclose(p);
	unlink(path);
	assert_int_equal(status, 0);
	assert_int_equal(i, RB_NEPB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shb_exact),
		cmocka_unit_test(test_shb_no_options),
		cmocka_unit_test(test_idb_exact),
		cmocka_unit_test(test_idb_minimal),
		cmocka_unit_test(test_epb_no_options),
		cmocka_unit_test(test_epb_all_options),
		cmocka_unit_test(test_epb_queue_zero_no_padding),
		cmocka_unit_test(test_epb_verdict_only_empty_frame),
		cmocka_unit_test(test_epb_size_matches),
		cmocka_unit_test(test_epb_huge_caplen),
		cmocka_unit_test(test_isb_exact),
		cmocka_unit_test(test_isb_all_options),
		cmocka_unit_test(test_isb_no_options),
		cmocka_unit_test(test_does_not_fit),
		cmocka_unit_test(test_long_strings_truncated),
		cmocka_unit_test(test_read_back),
		cmocka_unit_test(test_reader_swapped_section),
		cmocka_unit_test(test_reader_empty),
		cmocka_unit_test(test_reader_truncated_block),
		cmocka_unit_test(test_reader_runs_past_end),
		cmocka_unit_test(test_reader_length_not_multiple_of_4),
		cmocka_unit_test(test_reader_length_too_small),
		cmocka_unit_test(test_reader_blocks_without_shb),
		cmocka_unit_test(test_reader_trailer_mismatch),
		cmocka_unit_test(test_reader_first_not_shb),
		cmocka_unit_test(test_reader_bad_magic),
		cmocka_unit_test(test_reader_bad_version),
		cmocka_unit_test(test_reader_truncated_shb),
		cmocka_unit_test(test_reader_swapped_bad_trailer),
		cmocka_unit_test(test_reader_swapped_bad_length),
		cmocka_unit_test(test_reader_bad_bodies),
		cmocka_unit_test(test_tshark_reads_it),
	};

	return cmocka_run_group_tests(tests, setup_pattern, NULL);
}
