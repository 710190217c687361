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

/* One frame; caplen bytes of frame data follow, padded to 8. */
struct frame_rec {
	uint32_t size;          /* whole record, header included, multiple of 8 */
	uint32_t if_id;
	uint64_t ts_ns;
	uint32_t caplen;
	uint32_t origlen;
	uint32_t queue;
	uint32_t flags;         /* FRAME_REC_* */
};

_Static_assert(sizeof(struct frame_rec) % 8 == 0, "records are 8-byte aligned in the queue");

#endif /* VPNCAP_FRAME_REC_H */
