// SPDX-License-Identifier: GPL-2.0-only
#include "clock.h"

#include <time.h>

#define SYNC_TRIES 5

static uint64_t read_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t clock_mono_ns(void)
{
	return read_clock(CLOCK_MONOTONIC);
}

uint64_t clock_real_ns(void)
{
	return read_clock(CLOCK_REALTIME);
}

/*
 * Read REALTIME between two MONOTONIC readings and keep the tightest bracket:
 * a preemption between the reads would otherwise skew the offset.
 */
void clock_sync(struct vc_clock *c)
{
	uint64_t best_gap = UINT64_MAX;
	int i;

	for (i = 0; i < SYNC_TRIES; i++) {
		uint64_t before = clock_mono_ns();
		uint64_t real = clock_real_ns();
		uint64_t after = clock_mono_ns();
		uint64_t gap = after - before;

		if (gap < best_gap) {
			best_gap = gap;
			c->mono_to_real_ns = (int64_t)(real - (before + gap / 2));
			c->synced_mono_ns = after;
		}
	}
	/* 0 unless ptp4l, chrony or ntpd told the kernel the TAI-UTC offset (37 s in 2026). */
	c->tai_to_real_ns = (int64_t)(clock_real_ns() - read_clock(CLOCK_TAI));
	c->tai_to_real_ns = (c->tai_to_real_ns - 500000000) / 1000000000 * 1000000000;
}

void clock_maybe_resync(struct vc_clock *c, uint64_t interval_ns)
{
	if (clock_mono_ns() - c->synced_mono_ns >= interval_ns)
		clock_sync(c);
}

uint64_t clock_hook_to_wall(const struct vc_clock *c, uint64_t mono_ns)
{
	return (uint64_t)((int64_t)mono_ns + c->mono_to_real_ns);
}

int clock_frame_ns(const struct vc_clock *c, const uint64_t *hook_ns, uint64_t *batch_ns,
		   uint64_t *out_ns)
{
	if (hook_ns) {
		*out_ns = clock_hook_to_wall(c, *hook_ns);
		return 1;
	}
	if (!*batch_ns)
		*batch_ns = clock_real_ns();
	*out_ns = *batch_ns;
	return 0;
}
