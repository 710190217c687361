// SPDX-License-Identifier: GPL-2.0-only
/*
 * frame_path.c: what a producer thread does to a frame before the writer
 * queue: caplen (capture and filter snaplen), --count places shared by all
 * producers, the timestamp source (NIC, hook, batch; NIC stamps in UTC or
 * TAI, or refused when they disagree), multi-segment frames, a full queue.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "path/frame_path.h"

#define QUEUE_BYTES (1u << 20)
#define SEC 1000000000ull

struct fixture {
	struct frame_path path;
	struct frame_out out;
	uint8_t frame[2000];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	/* As a capture with the default snaplen, to a file, without --count. */
	frame_path_init(&f->path, 262144, 1, 0, NULL);
	assert_int_equal(frame_out_init(&f->out, QUEUE_BYTES), 0);
	memset(f->frame, 0xab, sizeof(f->frame));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	frame_out_destroy(&f->out);
	frame_path_destroy(&f->path);
	free(f);
	return 0;
}

/* A frame as the AF_XDP consumer hands it over, stamped at the hook now. */
static struct captured frame_of(struct fixture *f, uint32_t len, uint32_t rule)
{
	return (struct captured){
		.data = f->frame, .len = len, .origlen = len, .n_segs = 1,
		.rule = rule, .stamped = 1, .hook_ns = clock_mono_ns(),
	};
}

/* Put one frame, publish, and take the record the writer would see. */
static const struct frame_rec *put_and_take(struct fixture *f, const struct captured *c)
{
	uint64_t batch_ns = 0;

	frame_out_put(&f->path, &f->out, 0, c, &batch_ns);
	frame_out_publish(&f->path, &f->out);
	return frame_queue_peek(&f->out.queue);
}

static void consume(struct fixture *f, const struct frame_rec *rec)
{
	frame_queue_consume(&f->out.queue, rec);
	frame_queue_release(&f->out.queue);
}

static void test_caplen_capture_and_filter_snaplen(void **state)
{
	struct fixture *f = *state;
	static struct vpncap_ruleset rules = { .count = 4, .rules[3].snaplen = 100 };
	struct captured c;
	const struct frame_rec *rec;

	f->path.snaplen = 1500;
	frame_path_set_rules(&f->path, &rules);
	c = frame_of(f, 1800, 0);
	rec = put_and_take(f, &c);
	assert_non_null(rec);
	assert_int_equal(rec->caplen, 1500);
	assert_int_equal(rec->origlen, 1800);
	consume(f, rec);
	c = frame_of(f, 1800, 3);
	rec = put_and_take(f, &c);
	assert_int_equal(rec->caplen, 100);
	consume(f, rec);
	c = frame_of(f, 1800, VPNCAP_MAX_RULES); /* no rule known: the capture's snaplen */
	rec = put_and_take(f, &c);
	assert_int_equal(rec->caplen, 1500);
	consume(f, rec);
}

static void test_count_is_shared_by_producers(void **state)
{
	struct fixture *f = *state;
	struct frame_out second;
	struct captured c = frame_of(f, 64, 0);
	uint64_t batch_ns = 0;
	int i;

	assert_int_equal(frame_out_init(&second, QUEUE_BYTES), 0);
	f->path.count = 5;
	for (i = 0; i < 4; i++) {
		frame_out_put(&f->path, &f->out, 0, &c, &batch_ns);
		frame_out_put(&f->path, &second, 0, &c, &batch_ns);
	}
	assert_true(frame_path_count_reached(&f->path));
	assert_int_equal(COUNT_READ(f->out.per_if[0].queued) + COUNT_READ(second.per_if[0].queued), 5);
	assert_int_equal(COUNT_READ(f->out.per_if[0].after_count) +
			 COUNT_READ(second.per_if[0].after_count), 3);
	frame_out_destroy(&second);
}

static void test_full_queue_gives_the_place_back(void **state)
{
	struct fixture *f = *state;
	struct captured c = frame_of(f, 1500, 0);
	uint64_t batch_ns = 0, queued, full;
	int i;

	f->path.count = 100000;
	for (i = 0; i < 2000; i++) /* 1 MiB of queue holds fewer than 2000 x 1500 B */
		frame_out_put(&f->path, &f->out, 0, &c, &batch_ns);
	queued = COUNT_READ(f->out.per_if[0].queued);
	full = COUNT_READ(f->out.per_if[0].queue_full);
	assert_true(full > 0);
	assert_int_equal(queued + full, 2000);
	/* Frames the queue refused are not counted against --count. */
	assert_int_equal(atomic_load(&f->path.reserved), queued);
}

static void test_timestamp_sources(void **state)
{
	struct fixture *f = *state;
	struct captured c = frame_of(f, 64, 0);
	uint64_t wall = clock_hook_to_wall(&f->out.clock, c.hook_ns);
	const struct frame_rec *rec;

	/* A NIC stamp close to the hook's, in UTC: kept as is. */
	c.hw_stamped = 1;
	c.hw_ns = wall - 1234;
	rec = put_and_take(f, &c);
	assert_int_equal(rec->ts_ns, wall - 1234);
	consume(f, rec);
	assert_int_equal(COUNT_READ(f->out.per_if[0].ts_hw), 1);
	/* A NIC clock on TAI (37 s ahead), when the kernel knows the offset: moved to UTC. */
	f->out.clock.tai_to_real_ns = -37 * (int64_t)SEC;
	c.hw_ns = wall + 37 * SEC + 500;
	rec = put_and_take(f, &c);
	assert_int_equal(rec->ts_ns, wall + 500);
	consume(f, rec);
	/* A free-running NIC clock (counts from its reset): the hook's stamp instead. */
	c.hw_ns = 5 * SEC;
	rec = put_and_take(f, &c);
	assert_int_equal(rec->ts_ns, wall);
	assert_true(rec->flags & FRAME_REC_TS_HOOK);
	consume(f, rec);
	assert_int_equal(COUNT_READ(f->out.per_if[0].ts_hw), 2);
	assert_int_equal(COUNT_READ(f->out.per_if[0].ts_hook), 1);
	/* No metadata at all: one wall-clock reading for the batch. */
	c.stamped = 0;
	c.hw_stamped = 0;
	rec = put_and_take(f, &c);
	assert_false(rec->flags & FRAME_REC_TS_HOOK);
	consume(f, rec);
	assert_int_equal(COUNT_READ(f->out.per_if[0].ts_batch), 1);
}

static void test_segments_are_gathered(void **state)
{
	struct fixture *f = *state;
	static uint8_t a[3840], b[3840], d[1320];
	struct iovec segs[3] = { { a, sizeof(a) }, { b, sizeof(b) }, { d, sizeof(d) } };
	struct captured c = frame_of(f, 9000, 0);
	const struct frame_rec *rec;
	const uint8_t *data;

	memset(a, 1, sizeof(a));
	memset(b, 2, sizeof(b));
	memset(d, 3, sizeof(d));
	c.data = a;
	c.segs = segs;
	c.n_segs = 3;
	rec = put_and_take(f, &c);
	assert_non_null(rec);
	assert_int_equal(rec->caplen, 9000);
	data = (const uint8_t *)(rec + 1);
	assert_int_equal(data[0], 1);
	assert_int_equal(data[3839], 1);
	assert_int_equal(data[3840], 2);
	assert_int_equal(data[7680], 3);
	assert_int_equal(data[8999], 3);
	consume(f, rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_caplen_capture_and_filter_snaplen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_is_shared_by_producers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_queue_gives_the_place_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timestamp_sources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_segments_are_gathered, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
