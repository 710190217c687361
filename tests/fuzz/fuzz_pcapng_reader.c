// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the PCAPNG reader: walks every block of the input,
 * decodes EPBs and IDBs, iterates every option area and touches every byte
 * the reader hands out, so ASan catches any view that points outside the
 * input. Structural invariants the reader promises are checked with a trap,
 * and the streaming promise of pcapng_next_block_wants(): a block is read
 * from exactly the bytes it says it wants (a reader moved to a window that
 * ends there gives the same block), and with fewer the reader fails.
 */
#include <stddef.h>
#include <stdint.h>

#include "pcapng.h"
#include "pcapng_reader.h"

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond))                                                 \
			__builtin_trap();                                    \
	} while (0)

/* Folded into a volatile so the loads below are not optimised away. */
static volatile uint8_t sink;

static void touch(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc ^= p[i];
	sink ^= acc;
}

static int inside(const uint8_t *data, size_t size, const uint8_t *p, size_t n)
{
	return p >= data && n <= size && (size_t)(p - data) <= size - n;
}

static void walk_options(const uint8_t *data, size_t size, struct pcapng_option_iter *it)
{
	struct pcapng_option opt;

	while (pcapng_option_next(it, &opt) == 1) {
		CHECK(opt.code != 0);
		CHECK(inside(data, size, opt.value, opt.len));
		touch(opt.value, opt.len);
	}
}

static void walk_epb(const uint8_t *data, size_t size, const struct pcapng_reader *r,
		     const struct pcapng_block *blk)
{
	struct pcapng_epb_view epb;

	if (pcapng_parse_epb(r, blk, &epb))
		return;
	CHECK(inside(data, size, epb.frame, epb.caplen));
	touch(epb.frame, epb.caplen);
	walk_options(data, size, &epb.opts);
}

static void walk_idb(const uint8_t *data, size_t size, const struct pcapng_reader *r,
		     const struct pcapng_block *blk)
{
	struct pcapng_idb_view idb;

	if (pcapng_parse_idb(r, blk, &idb))
		return;
	walk_options(data, size, &idb.opts);
}

/*
 * The block at r's position, from a copy of the reader over a window that
 * holds only the bytes wants() asked for, at a made-up stream offset.
 */
static void check_wants(const struct pcapng_reader *r, size_t wants, int rc,
			const struct pcapng_block *blk)
{
	size_t left = r->len - r->off, base = 1000;
	struct pcapng_reader w = *r;
	struct pcapng_block wb;

	if (!wants || !left)    /* a malformed header, or the clean end */
		return;
	if (wants > left) {
		CHECK(rc == -1);        /* short of bytes: the reader must fail */
		return;
	}
	pcapng_reader_move(&w, r->data + r->off, wants, 0, base);
	CHECK(pcapng_next_block(&w, &wb) == rc);
	if (rc == 1)
		CHECK(wb.total_len == blk->total_len && wb.type == blk->type &&
		      wb.offset == base && w.off == wants);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcapng_reader r;
	struct pcapng_block blk;
	struct pcapng_option_iter it;
	size_t prev_off = 0;
	int rc;

	pcapng_reader_init(&r, data, size);
	for (;;) {
		struct pcapng_reader before = r;
		size_t wants = pcapng_next_block_wants(&r);

		rc = pcapng_next_block(&r, &blk);
		check_wants(&before, wants, rc, &blk);
		if (rc != 1)
			break;
		/* Blocks tile the input: each starts where the last one ended. */
		CHECK(blk.offset == prev_off);
		CHECK(blk.total_len >= 12 && blk.total_len % 4 == 0);
		CHECK(blk.body_len == (size_t)blk.total_len - 12);
		CHECK(blk.body == data + blk.offset + 8);
		CHECK(inside(data, size, data + blk.offset, blk.total_len));
		touch(blk.body, blk.body_len);
		prev_off = r.off;

		if (blk.type == PCAPNG_BT_EPB)
			walk_epb(data, size, &r, &blk);
		else if (blk.type == PCAPNG_BT_IDB)
			walk_idb(data, size, &r, &blk);
		if (pcapng_block_options(&r, &blk, &it) == 0)
			walk_options(data, size, &it);
	}
	if (rc == 0)
		CHECK(r.off == size);
	else
		CHECK(r.error[0] != '\0' && r.off == prev_off);
	return 0;
}
