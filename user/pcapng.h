/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PCAPNG encoder: a pure module, no I/O and no allocation.
 *
 * Each pcapng_put_* function encodes one block into dst (host byte order, as
 * the format allows; the SHB byte-order magic tells readers) and returns the
 * number of bytes written, or 0 when the block does not fit in room. Callers
 * batch blocks into a large buffer and flush it themselves. Every block and
 * option is padded to 32 bits and ends with its repeated total length.
 *
 * Reference: draft-ietf-opsawg-pcapng (IETF), sections 4.1-4.6.
 */
#ifndef VPNCAP_PCAPNG_H
#define VPNCAP_PCAPNG_H

#include <stddef.h>
#include <stdint.h>

#define PCAPNG_BT_SHB 0x0A0D0D0Au
#define PCAPNG_BT_IDB 0x00000001u
#define PCAPNG_BT_EPB 0x00000006u
/* Where an EPB's frame data begins: type, length, interface, time (2), caplen, origlen. */
#define PCAPNG_EPB_DATA_OFFSET 28u
#define PCAPNG_BT_ISB 0x00000005u
#define PCAPNG_BYTE_ORDER_MAGIC 0x1A2B3C4Du

#define PCAPNG_LINKTYPE_ETHERNET 1

/* EPB flags, bits 0-1: direction. */
#define PCAPNG_EPB_FLAG_INBOUND 0x1u
#define PCAPNG_EPB_FLAG_OUTBOUND 0x2u

/* epb_verdict type octet: whose verdict the value is. */
#define PCAPNG_VERDICT_TC 1     /* a Linux eBPF TC program: TC_ACT_* */
#define PCAPNG_VERDICT_XDP 2    /* a Linux eBPF XDP program: XDP_* */

/* Strings may be NULL: the option is then left out. */
struct pcapng_shb_info {
	const char *hardware;   /* shb_hardware */
	const char *os;         /* shb_os */
	const char *userappl;   /* shb_userappl */
};

struct pcapng_idb_info {
	uint16_t linktype;      /* PCAPNG_LINKTYPE_ETHERNET */
	uint32_t snaplen;
	const char *name;       /* if_name */
	const char *description;/* if_description */
	const char *filter;     /* if_filter, written with code 0 (libpcap string) */
	const char *comment;    /* opt_comment, or NULL */
	/* if_tsresol is always 9 (nanoseconds). */
};

struct pcapng_epb_info {
	uint32_t if_id;
	uint64_t ts_ns;         /* wall clock, ns since the epoch */
	uint32_t caplen;        /* bytes of frame data that follow */
	uint32_t origlen;       /* length on the wire */
	uint32_t flags;         /* epb_flags; 0 = option left out */
	int has_queue;          /* write epb_queue */
	uint32_t queue;
	int has_verdict;        /* write epb_verdict */
	uint8_t verdict_type;   /* PCAPNG_VERDICT_TC or PCAPNG_VERDICT_XDP */
	uint64_t verdict;       /* XDP action, e.g. XDP_REDIRECT, or TC action (TC_ACT_UNSPEC = -1) */
};

/* Any counter set to PCAPNG_ISB_UNSET is left out of the block. */
#define PCAPNG_ISB_UNSET UINT64_MAX

struct pcapng_isb_info {
	uint32_t if_id;
	uint64_t ts_ns;         /* when the statistics were taken */
	uint64_t starttime_ns;  /* isb_starttime */
	uint64_t endtime_ns;    /* isb_endtime */
	uint64_t ifrecv;        /* isb_ifrecv */
	uint64_t ifdrop;        /* isb_ifdrop */
	uint64_t filteraccept;  /* isb_filteraccept */
	uint64_t osdrop;        /* isb_osdrop */
	uint64_t usrdeliv;      /* isb_usrdeliv */
	const char *comment;    /* opt_comment, may be NULL */
};

size_t pcapng_put_shb(uint8_t *dst, size_t room, const struct pcapng_shb_info *info);
size_t pcapng_put_idb(uint8_t *dst, size_t room, const struct pcapng_idb_info *info);
/*
 * frame NULL: the caplen bytes of frame data at PCAPNG_EPB_DATA_OFFSET are
 * left as they are (a hole the caller fills, or writes from elsewhere);
 * everything else, the padding after them too, is written.
 */
size_t pcapng_put_epb(uint8_t *dst, size_t room, const struct pcapng_epb_info *info,
		      const void *frame);
size_t pcapng_put_isb(uint8_t *dst, size_t room, const struct pcapng_isb_info *info);

/* Exact size pcapng_put_epb() needs for this block, to reserve room first. */
size_t pcapng_epb_size(const struct pcapng_epb_info *info);

#endif /* VPNCAP_PCAPNG_H */
