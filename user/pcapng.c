// SPDX-License-Identifier: GPL-2.0-only
/*
 * PCAPNG encoder (see pcapng.h). Every put function first computes the exact
 * size of its block and only then writes, so a block that does not fit leaves
 * dst untouched and the caller can flush and retry with the same info.
 */
#include <string.h>

#include "pcapng.h"

/* Option codes (draft-ietf-opsawg-pcapng, sections 4.1-4.6). */
#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define SHB_HARDWARE 2
#define SHB_OS 3
#define SHB_USERAPPL 4
#define IF_NAME 2
#define IF_DESCRIPTION 3
#define IF_TSRESOL 9
#define IF_FILTER 11
#define EPB_FLAGS 2
#define EPB_QUEUE 6
#define EPB_VERDICT 7
#define ISB_STARTTIME 2
#define ISB_ENDTIME 3
#define ISB_IFRECV 4
#define ISB_IFDROP 5
#define ISB_FILTERACCEPT 6
#define ISB_OSDROP 7
#define ISB_USRDELIV 8

/* if_tsresol value 9: timestamps count units of 10^-9 s. */
#define TSRESOL_NS 9

/* if_filter's first value byte: the filter is a libpcap string. */
#define FILTER_CODE_LIBPCAP 0

/* Option length is a u16; longer strings are cut to this. */
#define OPT_MAX_LEN 0xFFFFu

/* Block type + total length before the body, total length again after. */
#define BLOCK_OVERHEAD 12u
#define OPT_HDR 4u

#define SHB_FIXED 16u   /* magic, major, minor, section length */
#define IDB_FIXED 8u    /* linktype, reserved, snaplen */
#define EPB_FIXED 20u   /* if id, ts high, ts low, caplen, origlen */
#define ISB_FIXED 12u   /* if id, ts high, ts low */

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* Space one option takes, header and padding included. */
static size_t opt_size(size_t len)
{
	return OPT_HDR + pad4(len);
}

/*
 * Length of an optional string, capped at max so the option length fits in
 * 16 bits. NULL and "" both mean "leave the option out": an empty value says
 * nothing and some readers treat zero-length string options as malformed.
 */
static size_t str_len(const char *s, size_t max)
{
	const char *nul;

	if (!s)
		return 0;
	/* memchr, not strlen: never scan a huge string past what we keep. */
	nul = memchr(s, '\0', max);
	return nul ? (size_t)(nul - s) : max;
}

/* Space of a string option, 0 when it is left out. */
static size_t str_opt_size(const char *s)
{
	size_t n = str_len(s, OPT_MAX_LEN);

	return n ? opt_size(n) : 0;
}

/* Options area plus opt_endofopt, which is written only after real options. */
static size_t opts_total(size_t opts)
{
	return opts ? opts + OPT_HDR : 0;
}

/*
 * The writers below never check room: callers size the block first. Each
 * returns the position just past what it wrote.
 */
static uint8_t *put_u16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
	return p + sizeof(v);
}

static uint8_t *put_u32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
	return p + sizeof(v);
}

static uint8_t *put_u64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
	return p + sizeof(v);
}

/* pcapng timestamps are two u32 words, high first, not one native u64. */
static uint8_t *put_ts(uint8_t *p, uint64_t ts)
{
	p = put_u32(p, (uint32_t)(ts >> 32));
	return put_u32(p, (uint32_t)ts);
}

static uint8_t *put_bytes(uint8_t *p, const void *src, size_t n)
{
	if (n)
		memcpy(p, src, n);
	return p + n;
}

/* Zero bytes that take a field of len bytes up to the next 32-bit boundary. */
static uint8_t *put_pad(uint8_t *p, size_t len)
{
	size_t n = pad4(len) - len;

	memset(p, 0, n);
	return p + n;
}

static uint8_t *put_opt_hdr(uint8_t *p, uint16_t code, size_t len)
{
	p = put_u16(p, code);
	return put_u16(p, (uint16_t)len);
}

static uint8_t *put_opt(uint8_t *p, uint16_t code, const void *val, size_t len)
{
	p = put_opt_hdr(p, code, len);
	p = put_bytes(p, val, len);
	return put_pad(p, len);
}

static uint8_t *put_opt_str(uint8_t *p, uint16_t code, const char *s)
{
	size_t n = str_len(s, OPT_MAX_LEN);

	return n ? put_opt(p, code, s, n) : p;
}

/* Counters equal to PCAPNG_ISB_UNSET are left out. */
static uint8_t *put_opt_u64(uint8_t *p, uint16_t code, uint64_t v)
{
	return v == PCAPNG_ISB_UNSET ? p : put_opt(p, code, &v, sizeof(v));
}

static uint8_t *put_opt_ts(uint8_t *p, uint16_t code, uint64_t ts)
{
	if (ts == PCAPNG_ISB_UNSET)
		return p;
	p = put_opt_hdr(p, code, 8);
	return put_ts(p, ts);
}

/* opt_endofopt, only when the block has options at all. */
static uint8_t *put_endofopt(uint8_t *p, const uint8_t *opts_start)
{
	return p == opts_start ? p : put_opt_hdr(p, OPT_ENDOFOPT, 0);
}

static uint8_t *put_block_hdr(uint8_t *p, uint32_t type, size_t total)
{
	p = put_u32(p, type);
	return put_u32(p, (uint32_t)total);
}

/*
 * Total block size, or 0 when the block cannot be encoded at all: its length
 * field is a u32, and the caller's room bounds it too.
 */
static size_t block_size(uint64_t body, size_t room)
{
	uint64_t total = BLOCK_OVERHEAD + body;

	if (total > UINT32_MAX || total > room)
		return 0;
	return (size_t)total;
}

/* ---- Section Header Block ---------------------------------------------- */

static size_t shb_opts_size(const struct pcapng_shb_info *info)
{
	return opts_total(str_opt_size(info->hardware) + str_opt_size(info->os) +
			  str_opt_size(info->userappl));
}

size_t pcapng_put_shb(uint8_t *dst, size_t room, const struct pcapng_shb_info *info)
{
	size_t total = block_size(SHB_FIXED + shb_opts_size(info), room);
	uint8_t *p, *opts;

	if (!total)
		return 0;
	p = put_block_hdr(dst, PCAPNG_BT_SHB, total);
	p = put_u32(p, PCAPNG_BYTE_ORDER_MAGIC);
	p = put_u16(p, 1);                      /* major version */
	p = put_u16(p, 0);                      /* minor version */
	p = put_u64(p, UINT64_MAX);             /* section length: unknown (-1) */
	opts = p;
	p = put_opt_str(p, SHB_HARDWARE, info->hardware);
	p = put_opt_str(p, SHB_OS, info->os);
	p = put_opt_str(p, SHB_USERAPPL, info->userappl);
	p = put_endofopt(p, opts);
	put_u32(p, (uint32_t)total);
	return total;
}

/* ---- Interface Description Block --------------------------------------- */

/* if_filter's value is a code byte then the filter, capped as a whole. */
static size_t filter_len(const char *filter)
{
	return str_len(filter, OPT_MAX_LEN - 1);
}

static size_t idb_opts_size(const struct pcapng_idb_info *info)
{
	size_t flen = filter_len(info->filter);

	return opts_total(str_opt_size(info->comment) + str_opt_size(info->name) +
			  str_opt_size(info->description) + opt_size(1) +
			  (flen ? opt_size(1 + flen) : 0));
}

static uint8_t *put_opt_filter(uint8_t *p, const char *filter)
{
	size_t n = filter_len(filter);
	uint8_t code = FILTER_CODE_LIBPCAP;

	if (!n)
		return p;
	p = put_opt_hdr(p, IF_FILTER, 1 + n);
	p = put_bytes(p, &code, 1);
	p = put_bytes(p, filter, n);
	return put_pad(p, 1 + n);
}

size_t pcapng_put_idb(uint8_t *dst, size_t room, const struct pcapng_idb_info *info)
{
	size_t total = block_size(IDB_FIXED + idb_opts_size(info), room);
	uint8_t tsresol = TSRESOL_NS;
	uint8_t *p, *opts;

	if (!total)
		return 0;
	p = put_block_hdr(dst, PCAPNG_BT_IDB, total);
	p = put_u16(p, info->linktype);
	p = put_u16(p, 0);                      /* reserved */
	p = put_u32(p, info->snaplen);
	opts = p;
	p = put_opt_str(p, OPT_COMMENT, info->comment);
	p = put_opt_str(p, IF_NAME, info->name);
	p = put_opt_str(p, IF_DESCRIPTION, info->description);
	p = put_opt(p, IF_TSRESOL, &tsresol, 1);
	p = put_opt_filter(p, info->filter);
	p = put_endofopt(p, opts);
	put_u32(p, (uint32_t)total);
	return total;
}

/* ---- Enhanced Packet Block --------------------------------------------- */

#define VERDICT_LEN 9u  /* type byte + u64 value */

static size_t epb_opts_size(const struct pcapng_epb_info *info)
{
	size_t n = 0;

	if (info->flags)
		n += opt_size(4);
	if (info->has_queue)
		n += opt_size(4);
	if (info->has_verdict)
		n += opt_size(VERDICT_LEN);
	return opts_total(n);
}

/* Body size in 64 bits: a caplen near 4 GiB must not wrap a 32-bit size_t. */
static uint64_t epb_body_size(const struct pcapng_epb_info *info)
{
	return EPB_FIXED + (((uint64_t)info->caplen + 3) & ~(uint64_t)3) +
	       epb_opts_size(info);
}

size_t pcapng_epb_size(const struct pcapng_epb_info *info)
{
	return block_size(epb_body_size(info), SIZE_MAX);
}

static uint8_t *put_opt_verdict(uint8_t *p, uint8_t type, uint64_t verdict)
{
	p = put_opt_hdr(p, EPB_VERDICT, VERDICT_LEN);
	p = put_bytes(p, &type, 1);
	p = put_u64(p, verdict);
	return put_pad(p, VERDICT_LEN);
}

size_t pcapng_put_epb(uint8_t *dst, size_t room, const struct pcapng_epb_info *info,
		      const void *frame)
{
	size_t total = block_size(epb_body_size(info), room);
	uint8_t *p, *opts;

	if (!total)
		return 0;
	p = put_block_hdr(dst, PCAPNG_BT_EPB, total);
	p = put_u32(p, info->if_id);
	p = put_ts(p, info->ts_ns);
	p = put_u32(p, info->caplen);
	p = put_u32(p, info->origlen);
	p = frame ? put_bytes(p, frame, info->caplen) : p + info->caplen; /* NULL: a hole */
	p = put_pad(p, info->caplen);
	opts = p;
	if (info->flags)
		p = put_opt(p, EPB_FLAGS, &info->flags, 4);
	if (info->has_queue)
		p = put_opt(p, EPB_QUEUE, &info->queue, 4);
	if (info->has_verdict)
		p = put_opt_verdict(p, info->verdict_type, info->verdict);
	p = put_endofopt(p, opts);
	put_u32(p, (uint32_t)total);
	return total;
}

/* ---- Interface Statistics Block ---------------------------------------- */

static size_t u64_opt_size(uint64_t v)
{
	return v == PCAPNG_ISB_UNSET ? 0 : opt_size(8);
}

static size_t isb_opts_size(const struct pcapng_isb_info *info)
{
	return opts_total(str_opt_size(info->comment) +
			  u64_opt_size(info->starttime_ns) +
			  u64_opt_size(info->endtime_ns) +
			  u64_opt_size(info->ifrecv) + u64_opt_size(info->ifdrop) +
			  u64_opt_size(info->filteraccept) +
			  u64_opt_size(info->osdrop) + u64_opt_size(info->usrdeliv));
}

size_t pcapng_put_isb(uint8_t *dst, size_t room, const struct pcapng_isb_info *info)
{
	size_t total = block_size(ISB_FIXED + isb_opts_size(info), room);
	uint8_t *p, *opts;

	if (!total)
		return 0;
	p = put_block_hdr(dst, PCAPNG_BT_ISB, total);
	p = put_u32(p, info->if_id);
	p = put_ts(p, info->ts_ns);
	opts = p;
	p = put_opt_str(p, OPT_COMMENT, info->comment);
	p = put_opt_ts(p, ISB_STARTTIME, info->starttime_ns);
	p = put_opt_ts(p, ISB_ENDTIME, info->endtime_ns);
	p = put_opt_u64(p, ISB_IFRECV, info->ifrecv);
	p = put_opt_u64(p, ISB_IFDROP, info->ifdrop);
	p = put_opt_u64(p, ISB_FILTERACCEPT, info->filteraccept);
	p = put_opt_u64(p, ISB_OSDROP, info->osdrop);
	p = put_opt_u64(p, ISB_USRDELIV, info->usrdeliv);
	p = put_endofopt(p, opts);
	put_u32(p, (uint32_t)total);
	return total;
}
