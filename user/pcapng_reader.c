// SPDX-License-Identifier: GPL-2.0-only
/*
 * PCAPNG reader (see pcapng_reader.h). All length checks are done as
 * "wanted <= bytes left" on size_t values that cannot wrap, so no crafted
 * length can move a pointer outside the buffer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pcapng.h"
#include "pcapng_reader.h"

#define BLOCK_HDR 8u            /* type + total length */
#define BLOCK_MIN 12u           /* header + trailing total length */
#define SHB_MIN 28u             /* block framing + magic, version, section length */
#define SHB_FIXED 16u
#define IDB_FIXED 8u
#define EPB_FIXED 20u
#define ISB_FIXED 12u
#define OPT_HDR 4u
#define SHB_MAJOR 1             /* the only major version defined */

uint16_t pcapng_u16(int swapped, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return swapped ? __builtin_bswap16(v) : v;
}

uint32_t pcapng_u32(int swapped, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return swapped ? __builtin_bswap32(v) : v;
}

uint64_t pcapng_u64(int swapped, const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return swapped ? __builtin_bswap64(v) : v;
}

void pcapng_reader_init(struct pcapng_reader *r, const void *data, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->data = data;
	r->len = data ? len : 0;
}

void pcapng_reader_init_blocks(struct pcapng_reader *r, const void *data, size_t len)
{
	pcapng_reader_init(r, data, len);
	r->in_section = 1;
}

/* Records why the block at off is malformed; always returns -1. */
__attribute__((format(printf, 3, 4)))
static int fail(struct pcapng_reader *r, size_t off, const char *fmt, ...)
{
	int n = snprintf(r->error, sizeof(r->error), "block at offset %zu: ", r->base + off);
	va_list ap;

	if (n < 0 || (size_t)n >= sizeof(r->error))
		return -1;
	va_start(ap, fmt);
	vsnprintf(r->error + n, sizeof(r->error) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * The SHB's byte-order magic decides how the rest of its section is read;
 * the SHB block type itself is a palindrome, so it reads the same both ways.
 * Returns the section's "swapped" flag, or -1 after recording the error.
 */
static int shb_byte_order(struct pcapng_reader *r, const uint8_t *b, size_t left)
{
	uint32_t magic;
	int swapped;

	if (left < SHB_MIN)
		return fail(r, r->off, "section header truncated: %zu bytes left, needs %u",
			    left, SHB_MIN);
	magic = pcapng_u32(0, b + BLOCK_HDR);
	if (magic == PCAPNG_BYTE_ORDER_MAGIC)
		swapped = 0;
	else if (magic == __builtin_bswap32(PCAPNG_BYTE_ORDER_MAGIC))
		swapped = 1;
	else
		return fail(r, r->off, "bad byte-order magic 0x%08x", (unsigned)magic);
	if (pcapng_u16(swapped, b + BLOCK_HDR + 4) != SHB_MAJOR)
		return fail(r, r->off, "unsupported section version %u",
			    (unsigned)pcapng_u16(swapped, b + BLOCK_HDR + 4));
	return swapped;
}

/* Checks the framing of a block of total length tl at r->off. */
static int check_length(struct pcapng_reader *r, const uint8_t *b, size_t left,
			uint32_t tl, int swapped, int is_shb)
{
	if (tl < (is_shb ? SHB_MIN : BLOCK_MIN))
		return fail(r, r->off, "total length %u is too small", (unsigned)tl);
	if (tl % 4)
		return fail(r, r->off, "total length %u is not a multiple of 4", (unsigned)tl);
	if (tl > left)
		return fail(r, r->off, "total length %u runs past the end (%zu bytes left)",
			    (unsigned)tl, left);
	if (pcapng_u32(swapped, b + tl - 4) != tl)
		return fail(r, r->off, "trailing length %u does not match total length %u",
			    (unsigned)pcapng_u32(swapped, b + tl - 4), (unsigned)tl);
	return 0;
}

int pcapng_next_block(struct pcapng_reader *r, struct pcapng_block *blk)
{
	size_t left = r->off < r->len ? r->len - r->off : 0;
	int swapped = r->swapped;
	const uint8_t *b;
	int is_shb;
	uint32_t tl;

	if (!left)
		return 0;
	b = r->data + r->off;   /* only now: data may be NULL when len is 0 */
	if (left < BLOCK_MIN)
		return fail(r, r->off, "truncated: %zu bytes left, a block needs at least %u",
			    left, BLOCK_MIN);
	is_shb = pcapng_u32(0, b) == PCAPNG_BT_SHB;
	if (is_shb) {
		swapped = shb_byte_order(r, b, left);
		if (swapped < 0)
			return -1;
	} else if (!r->in_section) {
		return fail(r, r->off, "type 0x%08x, but a file must start with a section header",
			    (unsigned)pcapng_u32(0, b));
	}
	tl = pcapng_u32(swapped, b + 4);
	if (check_length(r, b, left, tl, swapped, is_shb))
		return -1;
	/* Commit the section state only for a well-formed block. */
	if (is_shb) {
		r->swapped = swapped;
		r->in_section = 1;
	}
	blk->type = pcapng_u32(swapped, b);
	blk->total_len = tl;
	blk->offset = r->base + r->off;
	blk->body = b + BLOCK_HDR;
	blk->body_len = tl - BLOCK_MIN;
	r->off += tl;
	return 1;
}

size_t pcapng_next_block_wants(const struct pcapng_reader *r)
{
	size_t left = r->off < r->len ? r->len - r->off : 0;
	int swapped = r->swapped, is_shb;
	const uint8_t *b;
	uint32_t magic, tl;

	if (left < BLOCK_MIN)
		return BLOCK_MIN;
	b = r->data + r->off;
	is_shb = pcapng_u32(0, b) == PCAPNG_BT_SHB;
	if (is_shb) {
		if (left < SHB_MIN)
			return SHB_MIN;
		magic = pcapng_u32(0, b + BLOCK_HDR);
		if (magic != PCAPNG_BYTE_ORDER_MAGIC &&
		    magic != __builtin_bswap32(PCAPNG_BYTE_ORDER_MAGIC))
			return 0;
		swapped = magic != PCAPNG_BYTE_ORDER_MAGIC;
		if (pcapng_u16(swapped, b + BLOCK_HDR + 4) != SHB_MAJOR)
			return 0;
	} else if (!r->in_section) {
		return 0;
	}
	tl = pcapng_u32(swapped, b + 4);
	if (tl < (is_shb ? SHB_MIN : BLOCK_MIN) || tl % 4)
		return 0;
	return tl;
}

void pcapng_reader_move(struct pcapng_reader *r, const void *data, size_t len, size_t off,
			size_t base)
{
	r->data = data;
	r->len = data ? len : 0;
	r->off = off;
	r->base = base;
}

static void opts_init(struct pcapng_option_iter *it, const struct pcapng_reader *r,
		      const uint8_t *pos, const uint8_t *end)
{
	it->pos = pos;
	it->end = end;
	it->swapped = r->swapped;
}

/* Padded frame length in 64 bits, so caplen 0xFFFFFFFF cannot wrap. */
static uint64_t padded(uint32_t n)
{
	return ((uint64_t)n + 3) & ~(uint64_t)3;
}

int pcapng_parse_epb(const struct pcapng_reader *r, const struct pcapng_block *blk,
		     struct pcapng_epb_view *out)
{
	const uint8_t *b = blk->body;
	int sw = r->swapped;
	uint64_t framespace;

	if (blk->type != PCAPNG_BT_EPB || blk->body_len < EPB_FIXED)
		return -1;
	out->caplen = pcapng_u32(sw, b + 12);
	framespace = padded(out->caplen);
	if (framespace > blk->body_len - EPB_FIXED)
		return -1;
	out->if_id = pcapng_u32(sw, b);
	out->ts_raw = (uint64_t)pcapng_u32(sw, b + 4) << 32 | pcapng_u32(sw, b + 8);
	out->origlen = pcapng_u32(sw, b + 16);
	out->frame = b + EPB_FIXED;
	opts_init(&out->opts, r, b + EPB_FIXED + framespace, b + blk->body_len);
	return 0;
}

int pcapng_parse_idb(const struct pcapng_reader *r, const struct pcapng_block *blk,
		     struct pcapng_idb_view *out)
{
	const uint8_t *b = blk->body;

	if (blk->type != PCAPNG_BT_IDB || blk->body_len < IDB_FIXED)
		return -1;
	out->linktype = pcapng_u16(r->swapped, b);
	out->snaplen = pcapng_u32(r->swapped, b + 4);
	opts_init(&out->opts, r, b + IDB_FIXED, b + blk->body_len);
	return 0;
}

/*
 * SHB and ISB have fixed parts of constant size; IDB and EPB are accepted
 * too for convenience. Other block types have no options known here.
 */
int pcapng_block_options(const struct pcapng_reader *r, const struct pcapng_block *blk,
			 struct pcapng_option_iter *out)
{
	struct pcapng_epb_view epb;
	struct pcapng_idb_view idb;
	size_t fixed;

	switch (blk->type) {
	case PCAPNG_BT_SHB:
		fixed = SHB_FIXED;
		break;
	case PCAPNG_BT_ISB:
		fixed = ISB_FIXED;
		break;
	case PCAPNG_BT_IDB:
		if (pcapng_parse_idb(r, blk, &idb))
			return -1;
		*out = idb.opts;
		return 0;
	case PCAPNG_BT_EPB:
		if (pcapng_parse_epb(r, blk, &epb))
			return -1;
		*out = epb.opts;
		return 0;
	default:
		return -1;
	}
	if (blk->body_len < fixed)
		return -1;
	opts_init(out, r, blk->body + fixed, blk->body + blk->body_len);
	return 0;
}

int pcapng_option_next(struct pcapng_option_iter *it, struct pcapng_option *opt)
{
	size_t left = (size_t)(it->end - it->pos);
	uint16_t code, len;

	if (!left)
		return 0;
	if (left < OPT_HDR)
		return -1;
	code = pcapng_u16(it->swapped, it->pos);
	len = pcapng_u16(it->swapped, it->pos + 2);
	if (code == 0) {
		/* opt_endofopt: anything after it is not options. */
		it->pos = it->end;
		return 0;
	}
	if (((size_t)len + 3) / 4 * 4 > left - OPT_HDR)
		return -1;
	opt->code = code;
	opt->len = len;
	opt->value = it->pos + OPT_HDR;
	it->pos += OPT_HDR + ((size_t)len + 3) / 4 * 4;
	return 1;
}
