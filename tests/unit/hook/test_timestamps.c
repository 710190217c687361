// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-frame timestamps: the hook's stamp when the frame carries valid
 * metadata, otherwise one clock reading per batch (and which one was used).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "clock.h"
#include "hook/xsk_rx.h"

#define HEADROOM 256

/* A UMEM-like chunk: one buffer, headroom for the metadata, then the frame. */
struct chunk {
	uint8_t *frame;
};

static struct chunk new_chunk(void)
{
	static uint8_t storage[HEADROOM + 64] __attribute__((aligned(8)));
	struct chunk c;

	memset(storage, 0, sizeof(storage));
	c.frame = storage + HEADROOM;
	return c;
}

static void put_meta(struct chunk *c, uint64_t hook_ns, uint16_t rule, uint16_t magic)
{
	struct vpncap_meta m = { .hook_ns = hook_ns, .rule = rule, .magic = magic, .rx_queue = 3 };

	memcpy(c->frame - sizeof(m), &m, sizeof(m));
}

static void test_meta_with_magic_is_used(void **state)
{
	struct chunk c = new_chunk();
	const struct vpncap_meta *m;

	(void)state;
	put_meta(&c, 123456789, 2, VPNCAP_META_MAGIC);
	m = xsk_frame_meta(c.frame);
	assert_non_null(m);
	assert_int_equal(m->hook_ns, 123456789);
	assert_int_equal(m->rule, 2);
	assert_int_equal(m->rx_queue, 3);
}

static void test_meta_without_magic_is_ignored(void **state)
{
	struct chunk c = new_chunk();

	(void)state;
	assert_null(xsk_frame_meta(c.frame));
	put_meta(&c, 1, 0, VPNCAP_META_MAGIC ^ 1);
	assert_null(xsk_frame_meta(c.frame));
}

/* A buffer returned to the kernel must not keep a valid-looking stamp. */
static void test_meta_cleared_on_release(void **state)
{
	struct chunk c = new_chunk();

	(void)state;
	put_meta(&c, 42, 0, VPNCAP_META_MAGIC);
	xsk_frame_meta_clear(c.frame);
	assert_null(xsk_frame_meta(c.frame));
}

static void test_hook_stamp_converted(void **state)
{
	struct vc_clock clk = { .mono_to_real_ns = 1000000000000ll };
	uint64_t hook = 5000, batch = 0, ts = 0;

	(void)state;
	assert_int_equal(clock_frame_ns(&clk, &hook, &batch, &ts), 1);
	assert_int_equal(ts, 1000000005000ull);
	assert_int_equal(batch, 0); /* no clock reading taken */
}

static void test_batch_reading_taken_once_and_shared(void **state)
{
	struct vc_clock clk = { 0 };
	uint64_t batch = 0, ts1 = 0, ts2 = 0, hook = 7, ts3 = 0, before, after;

	(void)state;
	before = clock_real_ns();
	assert_int_equal(clock_frame_ns(&clk, NULL, &batch, &ts1), 0);
	after = clock_real_ns();
	assert_in_range(ts1, before, after);
	assert_int_equal(batch, ts1);
	assert_int_equal(clock_frame_ns(&clk, NULL, &batch, &ts2), 0);
	assert_int_equal(ts2, ts1); /* same batch, same reading */
	assert_int_equal(clock_frame_ns(&clk, &hook, &batch, &ts3), 1);
	assert_int_equal(ts3, 7);   /* a stamped frame in the batch keeps its own */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meta_with_magic_is_used),
		cmocka_unit_test(test_meta_without_magic_is_ignored),
		cmocka_unit_test(test_meta_cleared_on_release),
		cmocka_unit_test(test_hook_stamp_converted),
		cmocka_unit_test(test_batch_reading_taken_once_and_shared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
