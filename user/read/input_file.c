// SPDX-License-Identifier: GPL-2.0-only
/*
 * Capture file iterator (see input_file.h). The whole file is in memory (mapped,
 * or inflated from gzip/zstd), so both formats are walked with the same
 * "wanted <= bytes left" checks as the PCAPNG reader, which does the block
 * framing of PCAPNG here too. Errors are one line: "NAME: reason".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

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
#define IF_TSRESOL 9
#define IF_TSOFFSET 14
#define EPB_FLAGS 2                     /* also pack_flags of the PB */
#define EPB_QUEUE 6
#define IFNAME_MAX 64
#define MAX_IFACES 65536                /* over all sections: bounds memory */

/* 8 GiB of inflated capture is far beyond a file set member. */
#define INFLATE_MAX ((size_t)8 << 30)

struct iface {
	uint16_t linktype;
	uint32_t snaplen;
	uint64_t units;         /* timestamp units per second */
	int64_t offset_s;       /* if_tsoffset */
	char name[IFNAME_MAX];  /* "" when the IDB has none */
};

struct input_file {
	char *name;
	const uint8_t *data;
	size_t len;
	void *map;              /* mmap of the file, or NULL */
	size_t map_len;
	uint8_t *owned;         /* inflated or read data, or NULL */
	int is_pcapng;
	char error[256];        /* set once malformed: every later call repeats it */
	/* classic pcap */
	size_t off;
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
	uint16_t major;

	if (f->len < PCAP_HDR)
		return fail(f, err, errlen, "pcap file header truncated (%zu of %u bytes)",
			    f->len, PCAP_HDR);
	major = pcap_u16(f, f->data + 4);
	if (major != 2)
		return fail(f, err, errlen, "unsupported pcap version %u.%u", major,
			    pcap_u16(f, f->data + 6));
	f->snaplen = pcap_u32(f, f->data + 16);
	/* The upper bits of the link type carry FCS length and flags. */
	f->linktype = (uint16_t)pcap_u32(f, f->data + 20);
	f->off = PCAP_HDR;
	return 0;
}

static int pcap_next(struct input_file *f, struct input_file_frame *fr, char *err, size_t errlen)
{
	size_t left = f->len - f->off;
	const uint8_t *h = f->data + f->off;
	uint32_t caplen, frac;

	if (!left)
		return 0;
	if (left < PCAP_REC_HDR)
		return fail(f, err, errlen, "record at offset %zu: header truncated (%zu of %u bytes)",
			    f->off, left, PCAP_REC_HDR);
	caplen = pcap_u32(f, h + 8);
	if (caplen > PCAP_MAX_CAPLEN && caplen > f->snaplen)
		return fail(f, err, errlen,
			    "record at offset %zu: captured length %u is larger than the snapshot length %u",
			    f->off, caplen, f->snaplen);
	if (caplen > left - PCAP_REC_HDR)
		return fail(f, err, errlen,
			    "record at offset %zu: captured length %u runs past the end (%zu bytes left)",
			    f->off, caplen, left - PCAP_REC_HDR);
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

static int idb_options(struct input_file *f, struct pcapng_option_iter *it, struct iface *ifc,
		       const struct pcapng_block *blk, char *err, size_t errlen)
{
	struct pcapng_option o;

	while (pcapng_option_next(it, &o) == 1) {
		if (o.code == IF_NAME)
			copy_name(ifc->name, o.value, o.len);
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

static int pcapng_next(struct input_file *f, struct input_file_frame *fr, char *err, size_t errlen)
{
	struct pcapng_block blk;
	int rc;

	while ((rc = pcapng_next_block(&f->r, &blk)) == 1) {
		if (blk.type == PCAPNG_BT_EPB)
			return epb_frame(f, &blk, fr, err, errlen);
		if (blk.type == PCAPNG_BT_SPB)
			return spb_frame(f, &blk, fr, err, errlen);
		if (blk.type == PCAPNG_BT_PB)
			return pb_frame(f, &blk, fr, err, errlen);
		if (pcapng_other(f, &blk, err, errlen))
			return -1;
	}
	if (rc < 0)
		return fail(f, err, errlen, "%s", f->r.error);
	return 0;
}

static int pcapng_open(struct input_file *f, char *err, size_t errlen)
{
	struct pcapng_block blk;

	pcapng_reader_init(&f->r, f->data, f->len);
	/* The section header is read now so a broken one fails the open. */
	if (pcapng_next_block(&f->r, &blk) != 1)
		return fail(f, err, errlen, "%s", f->r.error);
	f->is_pcapng = 1;
	return 0;
}

/* ---- compressed files -------------------------------------------------------- */

static int grow(struct input_file *f, size_t *cap, size_t used, char *err, size_t errlen)
{
	size_t ncap = *cap ? *cap * 2 : 1 << 20;
	uint8_t *p;

	if (used >= INFLATE_MAX)
		return fail(f, err, errlen, "inflates to more than %zu GiB", INFLATE_MAX >> 30);
	if (ncap > INFLATE_MAX)
		ncap = INFLATE_MAX;
	p = realloc(f->owned, ncap);
	if (!p)
		return fail(f, err, errlen, "out of memory inflating the file");
	f->owned = p;
	*cap = ncap;
	return 0;
}

/* gzip, concatenated members included (what `cat a.gz b.gz` gives). */
static int inflate_gzip(struct input_file *f, const uint8_t *in, size_t inlen, size_t *outlen,
			char *err, size_t errlen)
{
	z_stream zs = { 0 };
	size_t cap = 0, used = 0, pos = 0;
	int rc = Z_OK;

	if (inflateInit2(&zs, 15 + 16) != Z_OK)
		return fail(f, err, errlen, "gzip: cannot initialise zlib");
	while (rc != Z_STREAM_END || (pos < inlen && in[pos] == 0x1f)) {
		if (rc == Z_STREAM_END)
			inflateReset(&zs);
		if (used == cap && grow(f, &cap, used, err, errlen))
			break;
		zs.next_in = (Bytef *)(in + pos);
		zs.avail_in = (uInt)(inlen - pos > UINT32_MAX ? UINT32_MAX : inlen - pos);
		zs.next_out = f->owned + used;
		zs.avail_out = (uInt)(cap - used > UINT32_MAX ? UINT32_MAX : cap - used);
		rc = inflate(&zs, Z_NO_FLUSH);
		pos = (size_t)((const uint8_t *)zs.next_in - in);
		used = (size_t)(zs.next_out - f->owned);
		if (rc == Z_BUF_ERROR && pos == inlen) {
			fail(f, err, errlen, "gzip data truncated");
			break;
		}
		if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
			fail(f, err, errlen, "gzip: %s", zs.msg ? zs.msg : "corrupt data");
			break;
		}
	}
	inflateEnd(&zs);
	*outlen = used;
	return rc == Z_STREAM_END && !f->error[0] ? 0 : -1;
}

static int inflate_zstd(struct input_file *f, const uint8_t *in, size_t inlen, size_t *outlen,
			char *err, size_t errlen)
{
	ZSTD_DStream *ds = ZSTD_createDStream();
	ZSTD_inBuffer ib = { in, inlen, 0 };
	size_t cap = 0, rc = 1;
	ZSTD_outBuffer ob = { NULL, 0, 0 };

	if (!ds)
		return fail(f, err, errlen, "out of memory");
	while (ib.pos < ib.size || (rc && ob.pos == ob.size)) {
		if (ob.pos == ob.size) {
			if (grow(f, &cap, ob.pos, err, errlen))
				break;
			ob.dst = f->owned;
			ob.size = cap;
		}
		rc = ZSTD_decompressStream(ds, &ob, &ib);
		if (ZSTD_isError(rc)) {
			fail(f, err, errlen, "zstd: %s", ZSTD_getErrorName(rc));
			break;
		}
		if (ib.pos == ib.size && ob.pos < ob.size)
			break;          /* all input used and the output had room */
	}
	ZSTD_freeDStream(ds);
	*outlen = ob.pos;
	if (f->error[0])
		return -1;
	if (rc)
		return fail(f, err, errlen, "zstd data truncated");
	return 0;
}

static int is_gzip(const uint8_t *p, size_t n)
{
	return n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

static int is_zstd(const uint8_t *p, size_t n)
{
	return n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd;
}

static int decompress(struct input_file *f, char *err, size_t errlen)
{
	const uint8_t *in = f->data;
	uint8_t *prev = f->owned;       /* a file read from a pipe */
	size_t n = 0;
	int rc;

	f->owned = NULL;
	if (is_gzip(in, f->len))
		rc = inflate_gzip(f, in, f->len, &n, err, errlen);
	else
		rc = inflate_zstd(f, in, f->len, &n, err, errlen);
	free(prev);
	if (f->map) {
		munmap(f->map, f->map_len);
		f->map = NULL;
	}
	f->data = f->owned;
	f->len = n;
	return rc;
}

/* ---- opening ------------------------------------------------------------------ */

static int detect(struct input_file *f, char *err, size_t errlen)
{
	const uint8_t *p = f->data;
	uint32_t be;

	if (is_gzip(p, f->len) || is_zstd(p, f->len)) {
		if (decompress(f, err, errlen))
			return -1;
		p = f->data;
	}
	if (f->len < 4)
		return fail(f, err, errlen, "not a pcap or pcapng file (%s)",
			    f->len ? "shorter than 4 bytes" : "empty");
	be = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	if (be == PCAPNG_BT_SHB)
		return pcapng_open(f, err, errlen);
	if (be == PCAP_MAGIC_US || be == PCAP_MAGIC_NS || __builtin_bswap32(be) == PCAP_MAGIC_US ||
	    __builtin_bswap32(be) == PCAP_MAGIC_NS) {
		f->big_endian = be == PCAP_MAGIC_US || be == PCAP_MAGIC_NS;
		f->nano = be == PCAP_MAGIC_NS || __builtin_bswap32(be) == PCAP_MAGIC_NS;
		return pcap_open(f, err, errlen);
	}
	return fail(f, err, errlen, "not a pcap or pcapng file (magic 0x%08x)", be);
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

struct input_file *input_file_open_mem(const void *data, size_t len, const char *name, char *err,
				       size_t errlen)
{
	struct input_file *f = input_file_new(name, err, errlen);

	if (!f)
		return NULL;
	f->data = data;
	f->len = data ? len : 0;
	return finish_open(f, err, errlen);
}

/* A pipe or a device: read it all. */
static int read_all(struct input_file *f, int fd, char *err, size_t errlen)
{
	size_t cap = 0;
	ssize_t n;

	for (;;) {
		if (f->len == cap && grow(f, &cap, f->len, err, errlen))
			return -1;
		n = read(fd, f->owned + f->len, cap - f->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(f, err, errlen, "%s", strerror(errno));
		if (!n)
			break;
		f->len += (size_t)n;
	}
	f->data = f->owned;
	return 0;
}

static int load(struct input_file *f, int fd, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st))
		return fail(f, err, errlen, "%s", strerror(errno));
	if (S_ISDIR(st.st_mode))
		return fail(f, err, errlen, "is a directory");
	if (!S_ISREG(st.st_mode))
		return read_all(f, fd, err, errlen);
	if (!st.st_size)
		return 0;
	f->map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (f->map == MAP_FAILED) {
		f->map = NULL;
		return fail(f, err, errlen, "cannot map: %s", strerror(errno));
	}
	f->map_len = (size_t)st.st_size;
	madvise(f->map, f->map_len, MADV_SEQUENTIAL);
	f->data = f->map;
	f->len = f->map_len;
	return 0;
}

struct input_file *input_file_open(const char *path, char *err, size_t errlen)
{
	struct input_file *f = input_file_new(path, err, errlen);
	int fd, rc;

	if (!f)
		return NULL;
	fd = !strcmp(path, "-") ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fail(f, err, errlen, "%s", strerror(errno));
		input_file_close(f);
		return NULL;
	}
	rc = load(f, fd, err, errlen);
	close(fd);
	if (rc) {
		input_file_close(f);
		return NULL;
	}
	return finish_open(f, err, errlen);
}

int input_file_next(struct input_file *f, struct input_file_frame *frame, char *err, size_t errlen)
{
	if (f->error[0]) {
		if (err && errlen)
			snprintf(err, errlen, "%s", f->error);
		return -1;
	}
	memset(frame, 0, sizeof(*frame));
	frame->queue = -1;
	return f->is_pcapng ? pcapng_next(f, frame, err, errlen) : pcap_next(f, frame, err, errlen);
}

void input_file_close(struct input_file *f)
{
	size_t i;

	if (!f)
		return;
	if (f->map)
		munmap(f->map, f->map_len);
	for (i = 0; i < f->n_ifs; i++)
		free(f->ifs[i]);
	free(f->ifs);
	free(f->owned);
	free(f->name);
	free(f);
}
