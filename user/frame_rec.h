/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A captured frame as it travels from a ring to the file: the record the
 * frame path queues, the writer hands the file set and the real-time view
 * decodes. Shared by those layers, so it lives below them all.
 */
#ifndef VPNCAP_FRAME_REC_H
#define VPNCAP_FRAME_REC_H

#include <stdint.h>

#define FRAME_REC_TS_HOOK 0x1u  /* timestamp taken at the XDP or TC hook */
#define FRAME_REC_OUTBOUND 0x2u /* transmitted (TC egress); else received */
#define FRAME_REC_COPIED 0x4u   /* a copy (inline): the frame itself went on to the stack */
#define FRAME_REC_TS_HW 0x8u    /* timestamp taken by the NIC (with FRAME_REC_TS_HOOK) */
#define FRAME_REC_REF 0x10u     /* the bytes stay where the ring put them: a struct frame_ref follows */

/*
 * One frame; caplen bytes of frame data follow, padded to 8, or with
 * FRAME_REC_REF a struct frame_ref to the bytes in the capture ring (an
 * AF_XDP UMEM frame that goes back to the kernel only once the writer has
 * taken them: one copy from the NIC's buffer to the file, not three).
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

/* Where a FRAME_REC_REF record's bytes are, and what gives them back. */
struct frame_ref {
	const uint8_t *data;
	uint64_t token;         /* the producer's: which buffer to give back */
};

_Static_assert(sizeof(struct frame_rec) % 8 == 0, "records are 8-byte aligned in the queue");
_Static_assert(sizeof(struct frame_ref) % 8 == 0, "records are 8-byte aligned in the queue");

/* The caplen bytes of a record's frame, in the record or where it refers to. */
static inline const uint8_t *frame_rec_data(const struct frame_rec *rec)
{
	if (rec->flags & FRAME_REC_REF)
		return ((const struct frame_ref *)(const void *)(rec + 1))->data;
	return (const uint8_t *)(rec + 1);
}

#endif /* VPNCAP_FRAME_REC_H */
