/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PCAPNG reader: a pure, bounds-checked block iterator over a memory buffer.
 *
 * Reads files from any writer (either byte order, several sections, unknown
 * block types and options skipped). Used by `vpncap show` and `report`
 * (read/input_file.c, which streams a file through a window with
 * pcapng_next_block_wants() and pcapng_reader_move()), by recovery of torn
 * files, by the writer to walk its own unwritten blocks, and by the tests.
 * It never reads outside the buffer it was given.
 */
#ifndef VPNCAP_PCAPNG_READER_H
#define VPNCAP_PCAPNG_READER_H

#include <stddef.h>
#include <stdint.h>

struct pcapng_reader {
	const uint8_t *data;
	size_t len;
	size_t off;             /* offset of the next block */
	int swapped;            /* current section is in the other byte order */
	int in_section;         /* an SHB was seen */
	char error[128];        /* set when pcapng_next_block() returns -1 */
	size_t base;            /* stream offset of data[0] (pcapng_reader_move); else 0 */
};

/* One block, as found; body excludes the 8-byte header and 4-byte trailer. */
struct pcapng_block {
	uint32_t type;
	uint32_t total_len;
	size_t offset;          /* of the block within the buffer */
	const uint8_t *body;
	size_t body_len;
};

/* One option inside a block's option area. */
struct pcapng_option {
	uint16_t code;
	uint16_t len;
	const uint8_t *value;
};

struct pcapng_option_iter {
	const uint8_t *pos;
	const uint8_t *end;
	int swapped;
};

/* Decoded fixed part of an Enhanced Packet Block. */
struct pcapng_epb_view {
	uint32_t if_id;
	uint64_t ts_raw;        /* timestamp in units of the interface's tsresol */
	uint32_t caplen;
	uint32_t origlen;
	const uint8_t *frame;
	struct pcapng_option_iter opts;
};

/* Decoded fixed part of an Interface Description Block. */
struct pcapng_idb_view {
	uint16_t linktype;
	uint32_t snaplen;
	struct pcapng_option_iter opts;
};

void pcapng_reader_init(struct pcapng_reader *r, const void *data, size_t len);

/*
 * A run of whole blocks in host byte order, inside a section whose SHB is
 * elsewhere: what vpncap's own writer holds before it reaches the file.
 */
void pcapng_reader_init_blocks(struct pcapng_reader *r, const void *data, size_t len);

/* 1: block returned; 0: clean end of buffer; -1: malformed (r->error says why). */
int pcapng_next_block(struct pcapng_reader *r, struct pcapng_block *blk);

/*
 * Reading a stream through a window: how many bytes from the reader's
 * position the next block needs, as far as the bytes there tell (12 until
 * its header is there, 28 for a section header, then its total length);
 * 0 when no more bytes can help (a malformed header: pcapng_next_block()
 * says why). When fewer bytes are there, pcapng_next_block() would fail
 * for want of them alone.
 */
size_t pcapng_next_block_wants(const struct pcapng_reader *r);

/*
 * The reader goes on in a new window over the same stream: data[0] is the
 * stream's byte base, the next block is at data[off]. The section state is
 * kept; block offsets and messages stay those of the stream.
 */
void pcapng_reader_move(struct pcapng_reader *r, const void *data, size_t len, size_t off,
			size_t base);

/* Parse helpers; 0 on success, -1 when the block body is too short. */
int pcapng_parse_epb(const struct pcapng_reader *r, const struct pcapng_block *blk,
		     struct pcapng_epb_view *out);
int pcapng_parse_idb(const struct pcapng_reader *r, const struct pcapng_block *blk,
		     struct pcapng_idb_view *out);
/* Options of SHB and ISB (after their fixed fields). */
int pcapng_block_options(const struct pcapng_reader *r, const struct pcapng_block *blk,
			 struct pcapng_option_iter *out);

/* 1: option returned; 0: opt_endofopt or end of area; -1: malformed. */
int pcapng_option_next(struct pcapng_option_iter *it, struct pcapng_option *opt);

/* Integer readers honouring the section's byte order. */
uint16_t pcapng_u16(int swapped, const uint8_t *p);
uint32_t pcapng_u32(int swapped, const uint8_t *p);
uint64_t pcapng_u64(int swapped, const uint8_t *p);

#endif /* VPNCAP_PCAPNG_READER_H */
