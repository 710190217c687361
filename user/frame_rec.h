/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A captured frame as it travels from a ring to the file: the record the
 * frame path queues, the writer hands the file set and the real-time view
 * decodes. Shared by those layers, so it lives below them all.
 */
#ifndef VPNCAP_FRAME_REC_H
#define VPNCAP_FRAME_REC_H

#include <stdint.h>
#include <sys/uio.h>

#define FRAME_REC_TS_HOOK 0x1u  /* timestamp taken at the XDP or TC hook */
#define FRAME_REC_OUTBOUND 0x2u /* transmitted (TC egress); else received */
#define FRAME_REC_COPIED 0x4u   /* a copy (inline): the frame itself went on to the stack */
#define FRAME_REC_TS_HW 0x8u    /* timestamp taken by the NIC (with FRAME_REC_TS_HOOK) */
#define FRAME_REC_REF 0x10u     /* the bytes stay where the ring put them: struct frame_refs follows */

/*
 * One frame; caplen bytes of frame data follow, padded to 8, or with
 * FRAME_REC_REF a struct frame_refs to the bytes in the capture ring (AF_XDP
 * UMEM buffers, one or several for a multi-buffer frame, or a BPF ring
 * buffer record), which go back to the kernel only once the file has them.
 */
struct frame_rec {
	uint32_t size;          /* whole record, header included, multiple of 8 */
	uint32_t if_id;
	uint64_t ts_ns;
	uint32_t caplen;
	uint32_t origlen;
	uint32_t queue;
	uint32_t flags;         /* FRAME_REC_* */
};

/* One buffer of a FRAME_REC_REF record: where its bytes are, and what gives it back. */
struct frame_ref {
	const uint8_t *data;
	uint64_t token;         /* the producer's: which buffer to give back */
	uint32_t len;           /* bytes of the frame in it */
	uint32_t pad;
};

/* A FRAME_REC_REF record's body: its buffers, in the frame's order. */
struct frame_refs {
	uint32_t n;
	uint32_t pad;
	struct frame_ref seg[];
};

/* Buffers of one frame at most: 64 KiB in AF_XDP's 4 KiB ones, plus one. */
#define FRAME_REC_MAX_SEGS 17

_Static_assert(sizeof(struct frame_rec) % 8 == 0, "records are 8-byte aligned in the queue");
_Static_assert(sizeof(struct frame_ref) % 8 == 0, "records are 8-byte aligned in the queue");
_Static_assert(sizeof(struct frame_refs) % 8 == 0, "records are 8-byte aligned in the queue");

static inline const struct frame_refs *frame_rec_refs(const struct frame_rec *rec)
{
	return (const struct frame_refs *)(const void *)(rec + 1);
}

/*
 * A record's frame bytes, in the record or where it refers to: the first
 * buffer's (all of them but for a multi-buffer frame; frame_rec_segments
 * gives every one).
 */
static inline const uint8_t *frame_rec_data(const struct frame_rec *rec)
{
	if (rec->flags & FRAME_REC_REF)
		return frame_rec_refs(rec)->seg[0].data;
	return (const uint8_t *)(rec + 1);
}

/*
 * The caplen bytes of a record's frame as segments, in order (at most
 * FRAME_REC_MAX_SEGS, the last one cut at caplen). Returns how many.
 */
static inline unsigned int frame_rec_segments(const struct frame_rec *rec, struct iovec *iov)
{
	const struct frame_refs *refs;
	uint32_t left = rec->caplen;
	unsigned int i, n = 0;

	if (!(rec->flags & FRAME_REC_REF)) {
		iov[0] = (struct iovec){ (void *)(rec + 1), rec->caplen };
		return 1;
	}
	refs = frame_rec_refs(rec);
	for (i = 0; i < refs->n && i < FRAME_REC_MAX_SEGS && left; i++) {
		uint32_t take = refs->seg[i].len < left ? refs->seg[i].len : left;

		iov[n++] = (struct iovec){ (void *)refs->seg[i].data, take };
		left -= take;
	}
	return n;
}

#endif /* VPNCAP_FRAME_REC_H */
