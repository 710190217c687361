// SPDX-License-Identifier: GPL-2.0-only
/*
 * Capture file iterator (see input_file.h). The file is streamed: its bytes
 * (read(2), or inflated from gzip/zstd as they are needed) pass through a
 * window that holds the current block or record whole, so memory stays a
 * few MiB whatever the file's size or compression ratio, and `show -c 1`
 * inflates no more than its first frames. Both formats are walked with the
 * same "wanted <= bytes left" checks as the PCAPNG reader, which does the
 * block framing of PCAPNG here too. Errors are one line: "NAME: reason".
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "read/input_file.h"
#include "pcapng.h"
#include "pcapng_reader.h"

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_HDR 24u
#define PCAP_REC_HDR 16u
/* libpcap refuses records larger than this unless the snaplen says more. */
#define PCAP_MAX_CAPLEN 262144u

#define PCAPNG_BT_PB 0x00000002u        /* obsolete Packet Block */
#define PCAPNG_BT_SPB 0x00000003u
#define PB_FIXED 20u
#define SPB_FIXED 4u
#define IF_NAME 2
#define IF_DESCRIPTION 3
#define IF_TSRESOL 9
#define IF_TSOFFSET 14
#define EPB_FLAGS 2                     /* also pack_flags of the PB */
#define EPB_QUEUE 6
#define IFNAME_MAX 64
#define MAX_IFACES 65536                /* over all sections: bounds memory */

/*
 * Memory: the window starts at 1 MiB and grows only for a block larger
 * than that, up to INPUT_MAX_BLOCK (tcpdump's largest snapshot is 256 KiB);
 * compressed bytes are read RAW_CHUNK at a time; zstd's decompression
 * window is refused above 8 MiB, which every level up to 19 stays within
 * (--long and --ultra go beyond: such a file is decompressed first).
 */
#define WINDOW_START ((size_t)1 << 20)
#define INPUT_MAX_BLOCK ((size_t)16 << 20)
#define RAW_CHUNK ((size_t)128 << 10)
#define ZSTD_WINDOW_LOG_MAX 23

enum codec { CODEC_NONE, CODEC_GZIP, CODEC_ZSTD };

struct iface {
	uint16_t linktype;
	uint32_t snaplen;
	uint64_t units;         /* timestamp units per second */
	int64_t offset_s;       /* if_tsoffset */
	char name[IFNAME_MAX];  /* "" when the IDB has none */
	char host[IFNAME_MAX];  /* "host NAME;" at the start of if_description (vpncap), or "" */
};

struct input_file {
	char *name;
	/* the file's own bytes: read(2), the caller's buffer, or the caller's reader */
	input_file_read_fn *read;
	void *ctx;
	int fd;                 /* -1 when none */
	const uint8_t *mem;
	size_t mem_len, mem_pos;
	uint8_t *raw;           /* RAW_CHUNK bytes read ahead */
	size_t raw_pos, raw_len;
	int raw_eof;
	/* decompression */
	enum codec codec;
	z_stream zs;
	int zs_ready, member_done;
	ZSTD_DStream *ds;
	int zstd_in_frame;      /* bytes of a frame not yet complete were given */
	int codec_end;          /* the compressed stream is over */
	const char *truncated;  /* "gzip" or "zstd" when it ended early */
	/* the window: capture bytes buf[0, len), stream offset base at buf[0] */
	uint8_t *buf;
	size_t cap, len;
	uint64_t base;
	int eof;
	int is_pcapng;
	int torn;               /* error[] says the file ends inside its last block */
	char error[256];        /* set once malformed: every later call repeats it */
	/* classic pcap */
	size_t off;             /* in the window */
	int big_endian, nano;
	uint16_t linktype;
	uint32_t snaplen;
	/* pcapng: interfaces of every section so far, so names stay valid */
	struct pcapng_reader r;
	struct iface **ifs;
	size_t n_ifs, cap_ifs, section_base;
};

__attribute__((format(printf, 4, 5)))
static int fail(struct input_file *f, char *err, size_t errlen, const char *fmt, ...)
{
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(f->error, sizeof(f->error), "%s: %s", f->name, why);
	if (err && errlen)
		snprintf(err, errlen, "%s", f->error);
	return -1;
}

static int window_need(struct input_file *f, size_t *pos, size_t want);

/*
 * The file ends inside the unit (block or record) at window offset pos:
 * every frame before it was returned, so this is a warning, not damage.
 */
static int torn(struct input_file *f, const char *unit, size_t pos, size_t want)
{
	uint64_t at = f->base + pos;

	f->torn = 1;
	if (f->truncated)
		return fail(f, NULL, 0, "warning: %s data truncated after %" PRIu64 " bytes of "
			    "capture; the frames before were read", f->truncated, f->base + f->len);
	return fail(f, NULL, 0, "warning: torn last %s at offset %" PRIu64 " (%zu of %zu bytes); "
		    "the frames before it were read", unit, at, f->len - pos, want);
}

/* The end of the capture bytes: 0, or a warning when compressed data was cut. */
static int at_end(struct input_file *f, size_t pos)
{
	return f->truncated ? torn(f, "block", pos, 0) : 0;
}

/* ---- classic pcap ---------------------------------------------------------- */

static uint32_t pcap_u32(const struct input_file *f, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	if (f->big_endian == (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__))
		v = __builtin_bswap32(v);
	return v;
}

static uint16_t pcap_u16(const struct input_file *f, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	if (f->big_endian == (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__))
		v = __builtin_bswap16(v);
	return v;
}

static int pcap_open(struct input_file *f, char *err, size_t errlen)
{
	const uint8_t *h;
	uint16_t major;
	int rc = window_need(f, &f->off, PCAP_HDR);

	if (rc < 0)
		return -1;
	if (!rc && f->truncated)
		return fail(f, err, errlen, "%s data truncated", f->truncated);
	if (!rc)
		return fail(f, err, errlen, "pcap file header truncated (%zu of %u bytes)",
			    f->len, PCAP_HDR);
	h = f->buf;
	major = pcap_u16(f, h + 4);
	if (major != 2)
		return fail(f, err, errlen, "unsupported pcap version %u.%u", major,
			    pcap_u16(f, h + 6));
	f->snaplen = pcap_u32(f, h + 16);
	/* The upper bits of the link type carry FCS length and flags. */
	f->linktype = (uint16_t)pcap_u32(f, h + 20);
	f->off = PCAP_HDR;
	return 0;
}

static int pcap_next(struct input_file *f, struct input_file_frame *fr, char *err, size_t errlen)
{
	uint64_t at = f->base + f->off;
	const uint8_t *h;
	uint32_t caplen, frac;
	int rc = window_need(f, &f->off, PCAP_REC_HDR);

	if (rc < 0)
		return -1;
	if (!rc)
		return f->len == f->off ? at_end(f, f->off)
					: torn(f, "record", f->off, PCAP_REC_HDR);
	h = f->buf + f->off;
	caplen = pcap_u32(f, h + 8);
	if (caplen > PCAP_MAX_CAPLEN && caplen > f->snaplen)
		return fail(f, err, errlen,
			    "record at offset %" PRIu64 ": captured length %u is larger than the "
			    "snapshot length %u", at, caplen, f->snaplen);
	if (caplen > INPUT_MAX_BLOCK - PCAP_REC_HDR)
		return fail(f, err, errlen, "record at offset %" PRIu64 ": captured length %u is "
			    "more than the %zu MiB vpncap reads", at, caplen, INPUT_MAX_BLOCK >> 20);
	rc = window_need(f, &f->off, PCAP_REC_HDR + caplen);
	if (rc < 0)
		return -1;
	if (!rc)
		return torn(f, "record", f->off, PCAP_REC_HDR + caplen);
	h = f->buf + f->off;
	frac = pcap_u32(f, h + 4);
	fr->ts_ns = (uint64_t)pcap_u32(f, h) * 1000000000u + (f->nano ? frac : (uint64_t)frac * 1000u);
	fr->caplen = caplen;
	fr->origlen = pcap_u32(f, h + 12);
	fr->data = h + PCAP_REC_HDR;
	fr->linktype = f->linktype;
	f->off += PCAP_REC_HDR + caplen;
	return 1;
}

/* ---- pcapng ---------------------------------------------------------------- */

/* if_tsresol: bit 7 clear = 10^-n seconds, set = 2^-n; 0 when out of range. */
static uint64_t tsresol_units(uint8_t v)
{
	uint64_t u = 1;
	unsigned int i, n = v & 0x7f;

	if (v & 0x80)
		return n < 64 ? (uint64_t)1 << n : 0;
	if (n > 19)
		return 0;
	for (i = 0; i < n; i++)
		u *= 10;
	return u;
}

static void copy_name(char *dst, const uint8_t *src, size_t n)
{
	size_t i;

	if (n > IFNAME_MAX - 1)
		n = IFNAME_MAX - 1;
	for (i = 0; i < n && src[i]; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
	dst[i] = '\0';
}

/* vpncap's if_description starts "host NAME; ": which machine captured. */
static void description_host(char *dst, const uint8_t *v, size_t len)
{
	size_t n;

	if (len < 6 || memcmp(v, "host ", 5))
		return;
	for (n = 5; n < len && v[n] != ';'; n++)
		;
	if (n < len)
		copy_name(dst, v + 5, n - 5);
}

static int idb_options(struct input_file *f, struct pcapng_option_iter *it, struct iface *ifc,
		       const struct pcapng_block *blk, char *err, size_t errlen)
{
	struct pcapng_option o;

	while (pcapng_option_next(it, &o) == 1) {
		if (o.code == IF_NAME)
			copy_name(ifc->name, o.value, o.len);
		else if (o.code == IF_DESCRIPTION)
			description_host(ifc->host, o.value, o.len);
		else if (o.code == IF_TSRESOL && o.len >= 1)
			ifc->units = tsresol_units(o.value[0]);
		else if (o.code == IF_TSOFFSET && o.len >= 8)
			ifc->offset_s = (int64_t)pcapng_u64(it->swapped, o.value);
		if (o.code == IF_TSRESOL && !ifc->units)
			return fail(f, err, errlen, "block at offset %zu: if_tsresol 0x%02x is out of range",
				    blk->offset, o.len ? o.value[0] : 0);
	}
	return 0;
}

static int add_iface(struct input_file *f, const struct pcapng_block *blk, char *err, size_t errlen)
{
	struct pcapng_idb_view idb;
	struct iface *ifc;

	if (pcapng_parse_idb(&f->r, blk, &idb))
		return fail(f, err, errlen, "block at offset %zu: interface description too short",
			    blk->offset);
	if (f->n_ifs == MAX_IFACES)
		return fail(f, err, errlen, "block at offset %zu: more than %u interfaces",
			    blk->offset, MAX_IFACES);
	if (f->n_ifs == f->cap_ifs) {
		size_t cap = f->cap_ifs ? f->cap_ifs * 2 : 8;
		struct iface **ifs = realloc(f->ifs, cap * sizeof(*ifs));

		if (!ifs)
			return fail(f, err, errlen, "out of memory");
		f->ifs = ifs;
		f->cap_ifs = cap;
	}
	ifc = calloc(1, sizeof(*ifc));
	if (!ifc)
		return fail(f, err, errlen, "out of memory");
	f->ifs[f->n_ifs++] = ifc;       /* owned by f from here, even on error */
	ifc->linktype = idb.linktype;
	ifc->snaplen = idb.snaplen;
	ifc->units = 1000000;           /* the default if_tsresol is 6 */
	return idb_options(f, &idb.opts, ifc, blk, err, errlen);
}

/* The interface a packet block names, in the current section. */
static struct iface *iface_of(struct input_file *f, const struct pcapng_block *blk, uint32_t id,
			      char *err, size_t errlen)
{
	if (id >= f->n_ifs - f->section_base) {
		fail(f, err, errlen, "block at offset %zu: packet on interface %u, but the section "
		     "describes %zu", blk->offset, id, f->n_ifs - f->section_base);
		return NULL;
	}
	return f->ifs[f->section_base + id];
}

static uint64_t to_ns(const struct iface *ifc, uint64_t ts)
{
	uint64_t sec = ts / ifc->units, frac = ts % ifc->units;
	uint64_t ns = (uint64_t)((unsigned __int128)frac * 1000000000u / ifc->units);

	return (sec + (uint64_t)ifc->offset_s) * 1000000000u + ns;
}

static void fill_frame(struct input_file_frame *fr, const struct iface *ifc)
{
	fr->linktype = ifc->linktype;
	fr->iface = ifc->name[0] ? ifc->name : NULL;
	fr->host = ifc->host[0] ? ifc->host : NULL;
	fr->queue = -1;
	fr->dir = DECODE_DIR_UNKNOWN;
}

/* epb_flags / pack_flags and epb_queue; a malformed option area is ignored. */
static void packet_options(struct pcapng_option_iter *it, struct input_file_frame *fr)
{
	struct pcapng_option o;

	while (pcapng_option_next(it, &o) == 1) {
		if (o.code == EPB_FLAGS && o.len == 4) {
			uint32_t fl = pcapng_u32(it->swapped, o.value) & 3;

			fr->dir = fl == PCAPNG_EPB_FLAG_INBOUND ? DECODE_DIR_IN
				: fl == PCAPNG_EPB_FLAG_OUTBOUND ? DECODE_DIR_OUT : DECODE_DIR_UNKNOWN;
		} else if (o.code == EPB_QUEUE && o.len == 4) {
			uint32_t q = pcapng_u32(it->swapped, o.value);

			fr->queue = q > INT32_MAX ? -1 : (int)q;
		}
	}
}

static int epb_frame(struct input_file *f, const struct pcapng_block *blk,
		     struct input_file_frame *fr, char *err, size_t errlen)
{
	struct pcapng_epb_view epb;
	struct iface *ifc;

	if (pcapng_parse_epb(&f->r, blk, &epb))
		return fail(f, err, errlen, "block at offset %zu: enhanced packet block shorter than "
			    "its captured length", blk->offset);
	ifc = iface_of(f, blk, epb.if_id, err, errlen);
	if (!ifc)
		return -1;
	fill_frame(fr, ifc);
	fr->ts_ns = to_ns(ifc, epb.ts_raw);
	fr->caplen = epb.caplen;
	fr->origlen = epb.origlen;
	fr->data = epb.frame;
	packet_options(&epb.opts, fr);
	return 1;
}

/* Simple Packet Block: no timestamp, interface 0, caplen from the snaplen. */
static int spb_frame(struct input_file *f, const struct pcapng_block *blk,
		     struct input_file_frame *fr, char *err, size_t errlen)
{
	struct iface *ifc;
	size_t caplen;

	if (blk->body_len < SPB_FIXED)
		return fail(f, err, errlen, "block at offset %zu: simple packet block too short",
			    blk->offset);
	ifc = iface_of(f, blk, 0, err, errlen);
	if (!ifc)
		return -1;
	fill_frame(fr, ifc);
	fr->ts_ns = 0;
	fr->origlen = pcapng_u32(f->r.swapped, blk->body);
	caplen = blk->body_len - SPB_FIXED;
	if (caplen > fr->origlen)
		caplen = fr->origlen;   /* the rest is padding */
	if (ifc->snaplen && caplen > ifc->snaplen)
		caplen = ifc->snaplen;
	fr->caplen = (uint32_t)caplen;
	fr->data = blk->body + SPB_FIXED;
	return 1;
}

/* The obsolete Packet Block: like an EPB with a 16-bit interface id. */
static int pb_frame(struct input_file *f, const struct pcapng_block *blk,
		    struct input_file_frame *fr, char *err, size_t errlen)
{
	const uint8_t *b = blk->body;
	int sw = f->r.swapped;
	struct pcapng_option_iter it;
	struct iface *ifc;
	uint32_t caplen;
	size_t space;

	if (blk->body_len < PB_FIXED)
		return fail(f, err, errlen, "block at offset %zu: packet block too short", blk->offset);
	caplen = pcapng_u32(sw, b + 12);
	space = ((size_t)caplen + 3) & ~(size_t)3;
	if (caplen > blk->body_len - PB_FIXED || space > blk->body_len - PB_FIXED)
		return fail(f, err, errlen, "block at offset %zu: packet block shorter than its "
			    "captured length", blk->offset);
	ifc = iface_of(f, blk, pcapng_u16(sw, b), err, errlen);
	if (!ifc)
		return -1;
	fill_frame(fr, ifc);
	fr->ts_ns = to_ns(ifc, (uint64_t)pcapng_u32(sw, b + 4) << 32 | pcapng_u32(sw, b + 8));
	fr->caplen = caplen;
	fr->origlen = pcapng_u32(sw, b + 16);
	fr->data = b + PB_FIXED;
	it.pos = b + PB_FIXED + space;
	it.end = b + blk->body_len;
	it.swapped = sw;
	packet_options(&it, fr);
	return 1;
}

/* One block that is not a packet: 0 to go on, -1 on error. */
static int pcapng_other(struct input_file *f, const struct pcapng_block *blk, char *err,
			size_t errlen)
{
	if (blk->type == PCAPNG_BT_SHB)
		f->section_base = f->n_ifs;     /* interface ids restart per section */
	else if (blk->type == PCAPNG_BT_IDB)
		return add_iface(f, blk, err, errlen);
	return 0;                       /* ISB, NRB, DSB, custom, unknown */
}

/* pcapng_need: window_need() at the reader's position, the reader moved along. */
static int pcapng_need(struct input_file *f, size_t want)
{
	size_t pos = f->r.off;
	int rc = window_need(f, &pos, want);

	pcapng_reader_move(&f->r, f->buf, f->len, pos, (size_t)f->base);
	return rc;
}

/*
 * The next block, read into the window whole first: like
 * pcapng_next_block(), and -1 with a warning (f->torn) when the capture
 * ends inside it.
 */
static int pcapng_block(struct input_file *f, struct pcapng_block *blk)
{
	size_t want;
	int rc = 1;

	while ((want = pcapng_next_block_wants(&f->r)) > f->r.len - f->r.off) {
		if (want > INPUT_MAX_BLOCK)
			return fail(f, NULL, 0, "block at offset %" PRIu64 ": total length %zu is "
				    "more than the %zu MiB vpncap reads", f->base + f->r.off, want,
				    INPUT_MAX_BLOCK >> 20);
		rc = pcapng_need(f, want);
		if (rc <= 0)
			break;
	}
	if (rc < 0)
		return -1;
	if (!rc && f->r.off == f->r.len)
		return at_end(f, f->r.off);
	if (pcapng_next_block(&f->r, blk) == 1)
		return 1;
	if (!rc)        /* the reader's message stays in f->r.error for the open */
		return torn(f, "block", f->r.off, want);
	return fail(f, NULL, 0, "%s", f->r.error);
}

static int pcapng_next(struct input_file *f, struct input_file_frame *fr, char *err, size_t errlen)
{
	struct pcapng_block blk;
	int rc;

	while ((rc = pcapng_block(f, &blk)) == 1) {
		if (blk.type == PCAPNG_BT_EPB)
			return epb_frame(f, &blk, fr, err, errlen);
		if (blk.type == PCAPNG_BT_SPB)
			return spb_frame(f, &blk, fr, err, errlen);
		if (blk.type == PCAPNG_BT_PB)
			return pb_frame(f, &blk, fr, err, errlen);
		if (pcapng_other(f, &blk, err, errlen))
			return -1;
	}
	return rc;
}

static int pcapng_open(struct input_file *f, char *err, size_t errlen)
{
	struct pcapng_block blk;

	pcapng_reader_init(&f->r, f->buf, f->len);
	/* The section header is read now so a broken one fails the open. */
	if (pcapng_block(f, &blk) == 1) {
		f->is_pcapng = 1;
		return 0;
	}
	if (f->torn && f->truncated)    /* no frame before it: an error, not a warning */
		return fail(f, err, errlen, "%s data truncated", f->truncated);
	if (f->torn)
		return fail(f, err, errlen, "%s", f->r.error);
	return -1;
}

/* ---- the file's bytes ---------------------------------------------------------- */

static ssize_t read_fd(void *ctx, void *buf, size_t len)
{
	return read(*(const int *)ctx, buf, len);
}

static ssize_t read_mem(void *ctx, void *buf, size_t len)
{
	struct input_file *f = ctx;
	size_t n = f->mem_len - f->mem_pos;

	if (n > len)
		n = len;
	if (n)
		memcpy(buf, f->mem + f->mem_pos, n);
	f->mem_pos += n;
	return (ssize_t)n;
}

/* Up to len bytes of the file; 0 at its end; -1 after recording the error. */
static ssize_t raw_read(struct input_file *f, void *buf, size_t len)
{
	ssize_t n;

	if (f->raw_eof)
		return 0;
	do
		n = f->read(f->ctx, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return fail(f, NULL, 0, "%s", strerror(errno));
	if (!n)
		f->raw_eof = 1;
	return n;
}

/* More compressed bytes once the read-ahead is used up; -1 on a read error. */
static int raw_refill(struct input_file *f)
{
	ssize_t n;

	if (f->raw_pos < f->raw_len || f->raw_eof)
		return 0;
	n = raw_read(f, f->raw, RAW_CHUNK);
	if (n < 0)
		return -1;
	f->raw_pos = 0;
	f->raw_len = (size_t)n;
	return 0;
}

/* ---- decompression, as the window asks -------------------------------------------- */

/* Uncompressed: the bytes read ahead to see the format, then straight from the file. */
static ssize_t plain_produce(struct input_file *f, uint8_t *out, size_t len)
{
	size_t n = f->raw_len - f->raw_pos;

	if (!n)
		return raw_read(f, out, len);
	if (n > len)
		n = len;
	memcpy(out, f->raw + f->raw_pos, n);
	f->raw_pos += n;
	return (ssize_t)n;
}

/*
 * Between gzip members: another one only when the next byte starts one
 * (concatenated members are what `cat a.gz b.gz` gives); anything else
 * after the last member is ignored, as gzip -d does.
 */
static int gzip_next_member(struct input_file *f)
{
	if (raw_refill(f))
		return -1;
	if (f->raw_pos == f->raw_len || f->raw[f->raw_pos] != 0x1f) {
		f->codec_end = 1;
		return 0;
	}
	inflateReset(&f->zs);
	f->member_done = 0;
	return 0;
}

/* zlib's inflate keeps a 32 KiB window: memory is the same for any ratio. */
static ssize_t gzip_produce(struct input_file *f, uint8_t *out, size_t len)
{
	uInt room = (uInt)(len > UINT32_MAX ? UINT32_MAX : len);
	z_stream *zs = &f->zs;
	int rc;

	zs->next_out = out;
	zs->avail_out = room;
	while (zs->avail_out == room && !f->codec_end) {
		if (f->member_done) {
			if (gzip_next_member(f))
				return -1;
			continue;
		}
		if (raw_refill(f))
			return -1;
		zs->next_in = f->raw + f->raw_pos;
		zs->avail_in = (uInt)(f->raw_len - f->raw_pos);
		rc = inflate(zs, Z_NO_FLUSH);
		f->raw_pos = f->raw_len - zs->avail_in;
		if (rc == Z_STREAM_END) {
			f->member_done = 1;
		} else if (rc == Z_BUF_ERROR && f->raw_pos == f->raw_len && f->raw_eof) {
			f->truncated = "gzip";
			f->codec_end = 1;
		} else if (rc != Z_OK && rc != Z_BUF_ERROR) {
			return fail(f, NULL, 0, "gzip: %s", zs->msg ? zs->msg : "corrupt data");
		}
	}
	return (ssize_t)(room - zs->avail_out);
}

static int zstd_fail(struct input_file *f, size_t rc)
{
	if (ZSTD_getErrorCode(rc) == ZSTD_error_frameParameter_windowTooLarge)
		return fail(f, NULL, 0, "zstd: the data needs a window over %u MiB (zstd --long or "
			    "--ultra); decompress it first (zstd -d)", 1u << (ZSTD_WINDOW_LOG_MAX - 20));
	return fail(f, NULL, 0, "zstd: %s", ZSTD_getErrorName(rc));
}

/* Frames one after another, as zstd writes and concatenates them. */
static ssize_t zstd_produce(struct input_file *f, uint8_t *out, size_t len)
{
	ZSTD_outBuffer ob = { out, len, 0 };

	while (!ob.pos && !f->codec_end) {
		ZSTD_inBuffer ib;
		size_t rc;

		if (raw_refill(f))
			return -1;
		ib.src = f->raw + f->raw_pos;
		ib.size = f->raw_len - f->raw_pos;
		ib.pos = 0;
		rc = ZSTD_decompressStream(f->ds, &ob, &ib);
		f->raw_pos += ib.pos;
		if (ZSTD_isError(rc))
			return zstd_fail(f, rc);
		/* rc is 0 only when a frame is complete and all its bytes given out. */
		if (!rc)
			f->zstd_in_frame = 0;
		else if (ib.pos)
			f->zstd_in_frame = 1;
		if (!ob.pos && f->raw_pos == f->raw_len && f->raw_eof) {
			f->truncated = f->zstd_in_frame ? "zstd" : NULL;
			f->codec_end = 1;
		}
	}
	return (ssize_t)ob.pos;
}

static ssize_t produce(struct input_file *f, uint8_t *out, size_t len)
{
	switch (f->codec) {
	case CODEC_GZIP:
		return gzip_produce(f, out, len);
	case CODEC_ZSTD:
		return zstd_produce(f, out, len);
	default:
		return plain_produce(f, out, len);
	}
}

/* ---- the window ----------------------------------------------------------------- */

static int window_grow(struct input_file *f, size_t want)
{
	size_t cap = f->cap ? f->cap : WINDOW_START;
	uint8_t *p;

	while (cap < want)
		cap *= 2;
	p = realloc(f->buf, cap);
	if (!p)
		return fail(f, NULL, 0, "out of memory");
	f->buf = p;
	f->cap = cap;
	return 0;
}

/*
 * want bytes readable at buf + *pos: what is left of the window moves to
 * its front (*pos becomes 0) and more is read in. 1: they are there; 0:
 * the capture ends first; -1: error. Pointers into the window are stale
 * after a call.
 */
static int window_need(struct input_file *f, size_t *pos, size_t want)
{
	ssize_t n;

	if (f->len - *pos >= want)
		return 1;
	if (*pos) {
		memmove(f->buf, f->buf + *pos, f->len - *pos);
		f->len -= *pos;
		f->base += *pos;
		*pos = 0;
	}
	if (want > f->cap && window_grow(f, want))
		return -1;
	while (f->len < want && !f->eof) {
		n = produce(f, f->buf + f->len, f->cap - f->len);
		if (n < 0)
			return -1;
		f->eof = !n;
		f->len += (size_t)n;
	}
	return f->len >= want;
}

/* ---- opening ------------------------------------------------------------------ */

static int is_gzip(const uint8_t *p, size_t n)
{
	return n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

static int is_zstd(const uint8_t *p, size_t n)
{
	return n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd;
}

/* The first bytes of the file, enough to tell its compression. */
static int raw_sniff(struct input_file *f)
{
	ssize_t n;

	f->raw = calloc(1, RAW_CHUNK);
	if (!f->raw)
		return fail(f, NULL, 0, "out of memory");
	while (f->raw_len < 4 && !f->raw_eof) {
		n = raw_read(f, f->raw + f->raw_len, RAW_CHUNK - f->raw_len);
		if (n < 0)
			return -1;
		f->raw_len += (size_t)n;
	}
	return 0;
}

static int codec_start(struct input_file *f)
{
	if (is_gzip(f->raw, f->raw_len)) {
		f->codec = CODEC_GZIP;
		if (inflateInit2(&f->zs, 15 + 16) != Z_OK)
			return fail(f, NULL, 0, "gzip: cannot initialise zlib");
		f->zs_ready = 1;
	} else if (is_zstd(f->raw, f->raw_len)) {
		f->codec = CODEC_ZSTD;
		f->ds = ZSTD_createDStream();
		if (!f->ds || ZSTD_isError(ZSTD_DCtx_setParameter(f->ds, ZSTD_d_windowLogMax,
								  ZSTD_WINDOW_LOG_MAX)))
			return fail(f, NULL, 0, "out of memory");
	}
	return 0;
}

/* The format from the first 4 bytes of capture: 0, or -1 with f->error set. */
static int open_format(struct input_file *f)
{
	const uint8_t *p = f->buf;
	uint32_t be = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];

	if (be == PCAPNG_BT_SHB)
		return pcapng_open(f, NULL, 0);
	if (be == PCAP_MAGIC_US || be == PCAP_MAGIC_NS || __builtin_bswap32(be) == PCAP_MAGIC_US ||
	    __builtin_bswap32(be) == PCAP_MAGIC_NS) {
		f->big_endian = be == PCAP_MAGIC_US || be == PCAP_MAGIC_NS;
		f->nano = be == PCAP_MAGIC_NS || __builtin_bswap32(be) == PCAP_MAGIC_NS;
		return pcap_open(f, NULL, 0);
	}
	return fail(f, NULL, 0, "not a pcap or pcapng file (magic 0x%08x)", be);
}

static int detect(struct input_file *f, char *err, size_t errlen)
{
	int rc = -1;

	if (!raw_sniff(f) && !codec_start(f))
		rc = window_need(f, &f->off, 4);
	if (!rc && f->truncated)
		rc = fail(f, NULL, 0, "%s data truncated", f->truncated);
	else if (!rc)
		rc = fail(f, NULL, 0, "not a pcap or pcapng file (%s)",
			  f->len ? "shorter than 4 bytes" : "empty");
	else if (rc > 0)
		rc = open_format(f);
	if (rc && err && errlen)
		snprintf(err, errlen, "%s", f->error);
	return rc;
}

static struct input_file *input_file_new(const char *name, char *err, size_t errlen)
{
	struct input_file *f = calloc(1, sizeof(*f));

	if (f)
		f->name = strdup(name);
	if (!f || !f->name) {
		free(f);
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	f->fd = -1;
	return f;
}

static struct input_file *finish_open(struct input_file *f, char *err, size_t errlen)
{
	if (detect(f, err, errlen)) {
		input_file_close(f);
		return NULL;
	}
	return f;
}

struct input_file *input_file_open_stream(input_file_read_fn *read, void *ctx, const char *name,
					  char *err, size_t errlen)
{
	struct input_file *f = input_file_new(name, err, errlen);

	if (!f)
		return NULL;
	f->read = read;
	f->ctx = ctx;
	return finish_open(f, err, errlen);
}

struct input_file *input_file_open_mem(const void *data, size_t len, const char *name, char *err,
				       size_t errlen)
{
	struct input_file *f = input_file_new(name, err, errlen);

	if (!f)
		return NULL;
	f->mem = data;
	f->mem_len = data ? len : 0;
	f->read = read_mem;
	f->ctx = f;
	return finish_open(f, err, errlen);
}

struct input_file *input_file_open(const char *path, char *err, size_t errlen)
{
	struct input_file *f = input_file_new(path, err, errlen);
	struct stat st;

	if (!f)
		return NULL;
	f->fd = !strcmp(path, "-") ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0 || fstat(f->fd, &st)) {
		fail(f, err, errlen, "%s", strerror(errno));
		input_file_close(f);
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		fail(f, err, errlen, "is a directory");
		input_file_close(f);
		return NULL;
	}
	if (S_ISREG(st.st_mode))
		posix_fadvise(f->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	f->read = read_fd;
	f->ctx = &f->fd;
	return finish_open(f, err, errlen);
}

int input_file_next(struct input_file *f, struct input_file_frame *frame, char *err, size_t errlen)
{
	int rc;

	if (!f->error[0]) {
		memset(frame, 0, sizeof(*frame));
		frame->queue = -1;
		rc = f->is_pcapng ? pcapng_next(f, frame, err, errlen)
				  : pcap_next(f, frame, err, errlen);
		if (rc >= 0)
			return rc;
	}
	if (err && errlen)
		snprintf(err, errlen, "%s", f->error);
	return -1;
}

int input_file_torn(const struct input_file *f)
{
	return f->torn;
}

void input_file_close(struct input_file *f)
{
	size_t i;

	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	if (f->zs_ready)
		inflateEnd(&f->zs);
	ZSTD_freeDStream(f->ds);
	for (i = 0; i < f->n_ifs; i++)
		free(f->ifs[i]);
	free(f->ifs);
	free(f->raw);
	free(f->buf);
	free(f->name);
	free(f);
}
