/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Clock: turns the XDP hook's CLOCK_MONOTONIC stamps into wall-clock
 * nanoseconds. The offset is re-measured at run time (about once a second) so
 * NTP steps show up in the file within a second, while each frame keeps the
 * precise moment it reached the hook.
 */
#ifndef VPNCAP_CLOCK_H
#define VPNCAP_CLOCK_H

#include <stdint.h>

struct vc_clock {
	int64_t mono_to_real_ns;  /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	uint64_t synced_mono_ns;  /* when the offset was measured */
	int64_t tai_to_real_ns;   /* CLOCK_REALTIME - CLOCK_TAI in whole seconds (0 or -37 s) */
};

uint64_t clock_mono_ns(void);
uint64_t clock_real_ns(void);

/* Measure the offset now (best of a few bracketed readings). */
void clock_sync(struct vc_clock *c);

/* Re-measure if the last measurement is older than interval_ns. */
void clock_maybe_resync(struct vc_clock *c, uint64_t interval_ns);

/* Wall-clock ns for a CLOCK_MONOTONIC stamp taken at the hook. */
uint64_t clock_hook_to_wall(const struct vc_clock *c, uint64_t mono_ns);

/*
 * Timestamp of one frame: the hook's stamp when the frame has one (hook_ns
 * not NULL), else one wall-clock reading shared by its whole batch
 * (*batch_ns is 0 until the first frame of the batch needs it).
 * Returns 1 when the hook's stamp was used, 0 for the batch reading.
 */
int clock_frame_ns(const struct vc_clock *c, const uint64_t *hook_ns, uint64_t *batch_ns,
		   uint64_t *out_ns);

#endif /* VPNCAP_CLOCK_H */
