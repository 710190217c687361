// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the capture -> writer queue (frame_queue): records of every
 * size survive a round trip field by field and byte by byte; the ring wraps
 * (pad records, and end gaps too small for one) without corruption; a full
 * queue refuses with -ENOSPC and loses or repeats nothing; capacity
 * rounding; frame_queue_wait's three outcomes; and a fast producer against a
 * slow consumer in two threads, where drops are counted, order is kept and
 * memory never grows. frame_queue_pushv gathers segments byte for byte; a
 * consumer of two queues sharing one bell is woken by a publish on either.
 * A napping consumer sleeps through small publishes, and is woken early by
 * a queue filled past a quarter (judged on the consumer's real position,
 * not an old one) or by a close. Reference records (frame_queue_push_ref)
 * point at the producer's bytes, and each buffer comes back through the
 * reclaim function exactly once, in order, and only after the consumer has
 * released its record: a producer that reuses buffers only then never
 * changes bytes the consumer still reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "path/frame_queue.h"

#define MIB ((size_t)1 << 20)
#define HDR sizeof(struct frame_rec)
#define ALIGN8(x) (((x) + 7u) & ~(size_t)7u)

/* ---- the expected content of record number seq ------------------------- */

static uint8_t data_byte(uint64_t seq, size_t i)
{
	uint32_t h = (uint32_t)(seq * 2654435761u) ^ (uint32_t)(i * 40503u) ^ (uint32_t)(i >> 8);

	return (uint8_t)(h ^ (h >> 11) ^ (h >> 19));
}

static void make_hdr(struct frame_rec *h, uint64_t seq, uint32_t caplen)
{
	memset(h, 0, sizeof(*h));
	h->size = 0xDEADBEEF;   /* ignored by push: it sets its own */
	h->if_id = (uint32_t)(seq % 7);
	h->ts_ns = seq * 1000003ull + 0x1234567890ull;
	h->caplen = caplen;
	h->origlen = caplen + (uint32_t)(seq % 3);
	h->queue = (uint32_t)(seq % 64);
	h->flags = (uint32_t)(seq & 1) ? FRAME_REC_TS_HOOK : 0;
}

static uint8_t *scratch;        /* frame data, large enough for any frame */
static size_t scratch_len;

static const uint8_t *make_data(uint64_t seq, uint32_t caplen)
{
	assert_true(caplen <= scratch_len);
	for (size_t i = 0; i < caplen; i++)
		scratch[i] = data_byte(seq, i);
	return scratch;
}

static int push_seq(struct frame_queue *q, uint64_t seq, uint32_t caplen)
{
	struct frame_rec h;

	make_hdr(&h, seq, caplen);
	return frame_queue_push(q, &h, make_data(seq, caplen));
}

/* Every field, every byte, and the record lies whole inside the ring. */
static void check_rec(const struct frame_queue *q, const struct frame_rec *r, uint64_t seq,
		      uint32_t caplen)
{
	const uint8_t *d = (const uint8_t *)(r + 1);
	struct frame_rec want;

	make_hdr(&want, seq, caplen);
	assert_non_null(r);
	assert_true((const uint8_t *)r >= q->buf);
	assert_int_equal(((uintptr_t)r) % 8, 0);
	assert_int_equal(r->size, ALIGN8(HDR + caplen));
	assert_true((const uint8_t *)r + r->size <= q->buf + q->cap);
	assert_int_equal(r->if_id, want.if_id);
	assert_true(r->ts_ns == want.ts_ns);
	assert_int_equal(r->caplen, want.caplen);
	assert_int_equal(r->origlen, want.origlen);
	assert_int_equal(r->queue, want.queue);
	assert_int_equal(r->flags, want.flags);
	for (size_t i = 0; i < caplen; i++) {
		if (d[i] != data_byte(seq, i)) {
			print_error("record %llu: byte %zu is %u, expected %u\n",
				    (unsigned long long)seq, i, d[i], data_byte(seq, i));
			fail();
		}
	}
}

/* ---- a model of what must come out, in order --------------------------- */

#define MODEL_SLOTS (1u << 16)  /* > records a 4 MiB queue can hold (4 MiB / 32) */

struct model {
	uint64_t pushed;        /* next sequence number to push */
	uint64_t popped;        /* next sequence number expected out */
	uint32_t caplen[MODEL_SLOTS];
};

static struct model *model_new(void)
{
	struct model *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	return m;
}

static int model_push(struct frame_queue *q, struct model *m, uint32_t caplen)
{
	int rc = push_seq(q, m->pushed, caplen);

	if (rc == 0) {
		assert_true(m->pushed - m->popped < MODEL_SLOTS);
		m->caplen[m->pushed % MODEL_SLOTS] = caplen;
		m->pushed++;
	}
	return rc;
}

/* Takes up to max published records (checking each), then releases. */
static size_t model_pop(struct frame_queue *q, struct model *m, size_t max)
{
	const struct frame_rec *r;
	size_t n = 0;

	while (n < max && (r = frame_queue_peek(q))) {
		assert_true(m->popped < m->pushed);
		check_rec(q, r, m->popped, m->caplen[m->popped % MODEL_SLOTS]);
		/* peek without consume gives the same record again */
		assert_ptr_equal(frame_queue_peek(q), r);
		frame_queue_consume(q, r);
		m->popped++;
		n++;
	}
	frame_queue_release(q);
	return n;
}

static void model_drain(struct frame_queue *q, struct model *m)
{
	model_pop(q, m, SIZE_MAX);
	assert_true(m->popped == m->pushed);
	assert_null(frame_queue_peek(q));
}

static void queue_init(struct frame_queue *q, size_t cap)
{
	assert_int_equal(frame_queue_init(q, cap), 0);
	assert_non_null(q->buf);
	if (scratch_len < q->cap) {
		free(scratch);
		scratch = malloc(q->cap);
		assert_non_null(scratch);
		scratch_len = q->cap;
	}
}

static size_t ring_off(const struct frame_queue *q, uint64_t pos)
{
	return (size_t)(pos & (q->cap - 1));
}

static int teardown_group(void **state)
{
	(void)state;
	free(scratch);
	scratch = NULL;
	scratch_len = 0;
	return 0;
}

/* ---- round trip ----------------------------------------------------------- */

static void test_round_trip_sizes(void **state)
{
	struct frame_queue q;
	struct model *m = model_new();
	uint32_t sizes[] = { 0, 1, 7, 8, 9, 23, 24, 25, 1500, 9000, 65535, 0 /* max */ };
	size_t n = sizeof(sizes) / sizeof(sizes[0]);

	(void)state;
	queue_init(&q, 1);
	sizes[n - 1] = (uint32_t)frame_queue_max_frame(&q);

	/* One at a time: nothing visible before publish, gone after consume. */
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(model_push(&q, m, sizes[i]), 0);
		assert_null(frame_queue_peek(&q));
		frame_queue_publish(&q);
		assert_int_equal(model_pop(&q, m, SIZE_MAX), 1);
		assert_null(frame_queue_peek(&q));
		assert_true(atomic_load(&q.tail) == atomic_load(&q.head));
	}

	/* All of them in one batch (the max frame alone fills half the ring). */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(model_push(&q, m, sizes[i]), 0);
	assert_null(frame_queue_peek(&q));
	frame_queue_publish(&q);
	assert_int_equal(model_pop(&q, m, SIZE_MAX), n);
	model_drain(&q, m);

	frame_queue_destroy(&q);
	assert_null(q.buf);
	frame_queue_destroy(&q); /* twice is harmless */
	free(m);
}

/* The header's size field is the queue's business, and only it. */
static void test_size_field_set_by_push(void **state)
{
	struct frame_queue q;
	struct frame_rec h;
	const struct frame_rec *r;

	(void)state;
	queue_init(&q, 1);
	for (uint32_t c = 0; c <= 64; c++) {
		make_hdr(&h, c, c);
		h.size = c * 1000u + 3u; /* nonsense */
		assert_int_equal(frame_queue_push(&q, &h, make_data(c, c)), 0);
		assert_int_equal(h.size, c * 1000u + 3u); /* caller's header untouched */
		frame_queue_publish(&q);
		r = frame_queue_peek(&q);
		check_rec(&q, r, c, c);
		assert_int_equal(r->size % 8, 0);
		assert_true(r->size >= HDR + c && r->size < HDR + c + 8);
		frame_queue_consume(&q, r);
		frame_queue_release(&q);
	}
	frame_queue_destroy(&q);
}

/* ---- wrap-around ---------------------------------------------------------- */

/*
 * Pushes filler records (consuming all but `keep` of the oldest as it goes)
 * until the write position is exactly `target` bytes into the ring; no
 * filler crosses the end. Needs (target - position) mod cap to be 0 or >= 32.
 */
static void fill_to(struct frame_queue *q, struct model *m, size_t target, size_t keep)
{
	size_t pos = ring_off(q, q->prod_head);
	size_t r = (target + q->cap - pos) & (q->cap - 1);

	/* Fillers never cross the end: that would add a pad record. */
	assert_true(target == 0 || target >= pos);
	assert_true(r == 0 || r >= HDR);
	while (r) {
		size_t need = r > 8192 ? 4096 : r;

		while (model_push(q, m, (uint32_t)(need - HDR)) == -ENOSPC) {
			frame_queue_publish(q);
			assert_true(model_pop(q, m, 1) == 1);
		}
		r -= need;
		frame_queue_publish(q);
		if (m->pushed - m->popped > keep)
			model_pop(q, m, (size_t)(m->pushed - m->popped - keep));
	}
	assert_int_equal(ring_off(q, q->prod_head), target & (q->cap - 1));
}

static void test_wrap_gaps(void **state)
{
	/* Bytes left at the end when the next record does not fit: 0 is an exact
	 * fit, 8..24 leave no room for a pad header, 32 and up get a pad record. */
	static const size_t gaps[] = { 0, 8, 16, 24, 32, 40, 48, 56, 64, 128, 1000, 4096 };
	struct frame_queue q;
	struct model *m = model_new();
	uint64_t laps;

	(void)state;
	queue_init(&q, 1);
	for (int round = 0; round < 3; round++) {
		for (size_t g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++) {
			size_t keep = (size_t)(round + g) % 4; /* records still unread across the end */
			uint32_t caplen = (uint32_t)(gaps[g] + 100); /* never fits in the gap */
			uint64_t before;

			fill_to(&q, m, q.cap - gaps[g], keep);
			before = q.prod_head;
			if (gaps[g] == 0) {
				/* The last record ended exactly at the end: next starts at 0. */
				assert_int_equal(ring_off(&q, q.prod_head), 0);
			}
			assert_int_equal(model_push(&q, m, caplen), 0);
			/* Whatever the gap, the record went to the start of the ring. */
			assert_int_equal(q.prod_head - before, gaps[g] + ALIGN8(HDR + caplen));
			assert_int_equal(ring_off(&q, q.prod_head), ALIGN8(HDR + caplen));
			/* And one more right behind it. */
			assert_int_equal(model_push(&q, m, 1), 0);
			frame_queue_publish(&q);
			model_drain(&q, m);
		}
	}
	laps = q.prod_head / q.cap;
	print_message("wrap gaps: %llu laps\n", (unsigned long long)laps);
	/* One lap per case, but the very first (gap 0 from position 0) needs none. */
	assert_true(laps >= 3 * sizeof(gaps) / sizeof(gaps[0]) - 1);
	frame_queue_destroy(&q);
	free(m);
}

/* Tiny deterministic PRNG (xorshift64*), so a failure reproduces. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

/* Many laps of random sizes and random consumer batches: the model holds. */
static void test_wrap_random(void **state)
{
	struct frame_queue q;
	struct model *m = model_new();
	unsigned int seen_gap[5] = { 0 }; /* 0, 8, 16, 24, >= 32 left at the end */
	uint64_t full = 0;

	(void)state;
	queue_init(&q, 1);
	while (q.prod_head < 400 * (uint64_t)q.cap) {
		uint64_t r = rnd();
		uint32_t caplen;
		size_t left;
		int rc;

		if (r % 4099 == 0)
			caplen = (uint32_t)((r >> 8) % (frame_queue_max_frame(&q) + 1));
		else if (r % 2 == 0)
			caplen = (uint32_t)((r >> 8) % 64);
		else
			caplen = (uint32_t)((r >> 8) % 1600);
		left = q.cap - ring_off(&q, q.prod_head);
		rc = model_push(&q, m, caplen);
		if (rc == 0) {
			if (left < ALIGN8(HDR + caplen))
				seen_gap[left >= 32 ? 4 : left / 8]++;
			else if (left == ALIGN8(HDR + caplen))
				seen_gap[0]++;
		} else {
			assert_int_equal(rc, -ENOSPC);
			full++;
		}
		if (rc || r % 509 == 0) {
			frame_queue_publish(&q);
			model_pop(&q, m, (size_t)((r >> 32) % 400));
		}
		/* Never more in flight than the ring holds. */
		assert_true(q.prod_head - atomic_load(&q.tail) <= q.cap);
	}
	frame_queue_publish(&q);
	model_drain(&q, m);
	print_message("random wrap: %llu laps, end gaps 0:%u 8:%u 16:%u 24:%u pad:%u, %llu full\n",
		      (unsigned long long)(q.prod_head / q.cap), seen_gap[0], seen_gap[1],
		      seen_gap[2], seen_gap[3], seen_gap[4], (unsigned long long)full);
	assert_true(full > 0);
	/* Gaps too small for a pad header, and pad records, both happened. */
	assert_true(seen_gap[0] > 0); /* exact fits */
	assert_true(seen_gap[1] + seen_gap[2] + seen_gap[3] > 0);
	assert_true(seen_gap[4] > 0);
	frame_queue_destroy(&q);
	free(m);
}

/* ---- full queue ----------------------------------------------------------- */

static void test_full_queue(void **state)
{
	struct frame_queue q;
	struct model *m = model_new();
	const uint32_t caplen = 100; /* 136-byte records: the ring is not a multiple */
	const size_t rec = ALIGN8(HDR + caplen);
	uint64_t n, head_before;
	const struct frame_rec *r;

	(void)state;
	queue_init(&q, 1);
	while (model_push(&q, m, caplen) == 0)
		;
	n = m->pushed;
	assert_int_equal(n, q.cap / rec);
	/* Refused again and again; nothing moves, nothing is visible yet. */
	head_before = q.prod_head;
	for (int i = 0; i < 10; i++) {
		assert_int_equal(push_seq(&q, 999999, caplen), -ENOSPC);
		assert_int_equal(push_seq(&q, 999999, 0), -ENOSPC);
	}
	assert_true(q.prod_head == head_before);
	assert_null(frame_queue_peek(&q));
	frame_queue_publish(&q);

	/* Consumed but not released: still no room for the producer. */
	r = frame_queue_peek(&q);
	check_rec(&q, r, 0, caplen);
	frame_queue_consume(&q, r);
	m->popped++;
	assert_int_equal(push_seq(&q, 999999, caplen), -ENOSPC);
	/* Released: exactly one more fits (it wraps: pad + record == the freed room). */
	frame_queue_release(&q);
	assert_int_equal(model_push(&q, m, caplen), 0);
	assert_int_equal(model_push(&q, m, caplen), -ENOSPC);
	frame_queue_publish(&q);

	/* Out come 1..n exactly once each, in order. */
	model_drain(&q, m);
	assert_true(m->popped == n + 1);

	/* Empty again: a full ring's worth fits once more. */
	while (model_push(&q, m, caplen) == 0)
		;
	frame_queue_publish(&q);
	model_drain(&q, m);
	assert_true(m->popped > 2 * n);
	frame_queue_destroy(&q);
	free(m);
}

static void test_oversized_frame(void **state)
{
	struct frame_queue q;
	struct model *m = model_new();
	size_t max;

	(void)state;
	queue_init(&q, 1);
	max = frame_queue_max_frame(&q);
	assert_int_equal(max, q.cap / 2 - HDR);
	assert_int_equal(push_seq(&q, 1, (uint32_t)max + 1), -ENOSPC);
	assert_int_equal(push_seq(&q, 1, (uint32_t)max + 8), -ENOSPC);
	assert_int_equal(push_seq(&q, 1, (uint32_t)q.cap), -ENOSPC);
	assert_true(q.prod_head == 0);
	{
		/* UINT32_MAX with no data behind it: refused before any copy. */
		struct frame_rec h;

		make_hdr(&h, 1, UINT32_MAX);
		assert_int_equal(frame_queue_push(&q, &h, scratch), -ENOSPC);
	}
	assert_true(q.prod_head == 0);
	/* The largest one fits, twice in a row at any position. */
	assert_int_equal(model_push(&q, m, 5), 0);
	assert_int_equal(model_push(&q, m, (uint32_t)max), 0);
	frame_queue_publish(&q);
	model_drain(&q, m);
	assert_int_equal(model_push(&q, m, (uint32_t)max), 0);
	assert_int_equal(model_push(&q, m, (uint32_t)max), -ENOSPC); /* wraps: pad + max > free */
	frame_queue_publish(&q);
	model_drain(&q, m);
	assert_int_equal(model_push(&q, m, (uint32_t)max), 0);
	frame_queue_publish(&q);
	model_drain(&q, m);
	frame_queue_destroy(&q);
	free(m);
}

/*
 * A ring of 16 GiB (--queue-size allows 16G) must still never take a frame
 * whose record size does not fit the 32-bit size field. Only the size
 * arithmetic runs: the ring is never touched, so no memory is needed.
 */
static void test_max_frame_fits_size_field(void **state)
{
	struct frame_queue q;
	struct frame_rec h;

	(void)state;
	memset(&q, 0, sizeof(q));
	q.cap = (size_t)16 << 30;
	q.buf = NULL;
	assert_true(frame_queue_max_frame(&q) + HDR + 7 <= UINT32_MAX);
	make_hdr(&h, 0, UINT32_MAX - 3);
	assert_int_equal(frame_queue_push(&q, &h, NULL), -ENOSPC);
	make_hdr(&h, 0, UINT32_MAX);
	assert_int_equal(frame_queue_push(&q, &h, NULL), -ENOSPC);
	assert_true(q.prod_head == 0);
}

/* ---- capacity ------------------------------------------------------------- */

static void expect_cap(size_t ask, size_t want)
{
	struct frame_queue q;

	assert_int_equal(frame_queue_init(&q, ask), 0);
	assert_true(q.cap == want);
	assert_non_null(q.buf);
	assert_int_equal((uintptr_t)q.buf % 64, 0);
	assert_true(frame_queue_max_frame(&q) == want / 2 - HDR);
	assert_true(atomic_load(&q.head) == 0 && atomic_load(&q.tail) == 0);
	assert_null(frame_queue_peek(&q));
	frame_queue_destroy(&q);
}

static void test_capacity_rounding(void **state)
{
	(void)state;
	expect_cap(0, MIB);
	expect_cap(1, MIB);
	expect_cap(4096, MIB);
	expect_cap(MIB - 1, MIB);
	expect_cap(MIB, MIB);
	expect_cap(MIB + 1, 2 * MIB);
	expect_cap(3 * MIB, 4 * MIB);
	expect_cap(4 * MIB, 4 * MIB);
	expect_cap(5 * MIB, 8 * MIB);
	expect_cap(32 * MIB, 32 * MIB);
	expect_cap(33 * MIB, 64 * MIB);
}

/* ---- frame_queue_wait ----------------------------------------------------- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct later {
	struct frame_queue *q;
	int delay_ms;
	int push;               /* push and publish one record */
	int close;              /* then close */
	int failed;             /* set by the thread: no cmocka asserts off the main thread */
};

static void *do_later(void *arg)
{
	struct later *l = arg;

	usleep((useconds_t)l->delay_ms * 1000);
	if (l->push) {
		if (push_seq(l->q, 42, 42))
			l->failed = 1;
		frame_queue_publish(l->q);
	}
	if (l->close)
		frame_queue_close(l->q);
	return NULL;
}

static void test_wait_timeout(void **state)
{
	struct frame_queue q;
	uint64_t t0, dt;

	(void)state;
	queue_init(&q, 1);
	for (int i = 0; i < 3; i++) {
		t0 = now_ms();
		assert_int_equal(frame_queue_wait(&q, 60), 1); /* not closed: keep going */
		dt = now_ms() - t0;
		assert_true(dt >= 50);
		assert_true(dt < 2000);
		assert_null(frame_queue_peek(&q));
	}
	/* Pushed but not published does not wake anyone. */
	assert_int_equal(push_seq(&q, 1, 10), 0);
	t0 = now_ms();
	assert_int_equal(frame_queue_wait(&q, 60), 1);
	assert_true(now_ms() - t0 >= 50);
	assert_null(frame_queue_peek(&q));
	frame_queue_destroy(&q);
}

static void test_wait_data(void **state)
{
	struct frame_queue q;
	struct later l = { .q = &q, .delay_ms = 80, .push = 1 };
	pthread_t th;
	uint64_t t0, dt;

	(void)state;
	queue_init(&q, 1);
	/* Already published: returns at once. */
	assert_int_equal(push_seq(&q, 7, 7), 0);
	frame_queue_publish(&q);
	t0 = now_ms();
	assert_int_equal(frame_queue_wait(&q, 10000), 1);
	assert_true(now_ms() - t0 < 1000);
	check_rec(&q, frame_queue_peek(&q), 7, 7);
	frame_queue_consume(&q, frame_queue_peek(&q));
	frame_queue_release(&q);

	/* Published while asleep: woken long before the timeout. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pthread_create(&th, NULL, do_later, &l), 0);
		t0 = now_ms();
		while (!frame_queue_peek(&q))
			assert_int_equal(frame_queue_wait(&q, 10000), 1);
		dt = now_ms() - t0;
		assert_true(dt < 5000);
		pthread_join(th, NULL);
		assert_false(l.failed);
		check_rec(&q, frame_queue_peek(&q), 42, 42);
		frame_queue_consume(&q, frame_queue_peek(&q));
		frame_queue_release(&q);
	}
	frame_queue_destroy(&q);
}

static void test_wait_close(void **state)
{
	struct frame_queue q;
	struct later l = { .q = &q, .delay_ms = 80, .close = 1 };
	const struct frame_rec *r;
	pthread_t th;
	uint64_t t0;

	(void)state;
	/* Closed with records left (one not even published): 1 until drained. */
	queue_init(&q, 1);
	assert_int_equal(push_seq(&q, 1, 11), 0);
	frame_queue_publish(&q);
	assert_int_equal(push_seq(&q, 2, 22), 0);
	frame_queue_close(&q);
	assert_int_equal(frame_queue_wait(&q, 10), 1);
	r = frame_queue_peek(&q);
	check_rec(&q, r, 1, 11);
	frame_queue_consume(&q, r);
	assert_int_equal(frame_queue_wait(&q, 10), 1);
	r = frame_queue_peek(&q);
	check_rec(&q, r, 2, 22);
	frame_queue_consume(&q, r);
	frame_queue_release(&q);
	t0 = now_ms();
	assert_int_equal(frame_queue_wait(&q, 10000), 0);
	assert_int_equal(frame_queue_wait(&q, 10000), 0);
	assert_true(now_ms() - t0 < 1000);
	assert_null(frame_queue_peek(&q));
	frame_queue_destroy(&q);

	/* Closed, empty, while the consumer sleeps: it wakes and sees the end. */
	queue_init(&q, 1);
	assert_int_equal(pthread_create(&th, NULL, do_later, &l), 0);
	t0 = now_ms();
	while (frame_queue_wait(&q, 10000))
		assert_null(frame_queue_peek(&q));
	assert_true(now_ms() - t0 < 5000);
	pthread_join(th, NULL);
	frame_queue_destroy(&q);

	/* Push, publish and close from the other side while waiting. */
	queue_init(&q, 1);
	l.push = 1;
	assert_int_equal(pthread_create(&th, NULL, do_later, &l), 0);
	{
		int got = 0;

		while (frame_queue_wait(&q, 10000)) {
			while ((r = frame_queue_peek(&q))) {
				check_rec(&q, r, 42, 42);
				frame_queue_consume(&q, r);
				got++;
			}
			frame_queue_release(&q);
		}
		assert_int_equal(got, 1);
	}
	pthread_join(th, NULL);
	assert_false(l.failed);
	frame_queue_destroy(&q);
}

/* ---- two threads: fast producer, slow consumer ---------------------------- */

#define STRESS_RECORDS 2000000u
#define STRESS_PUBLISH 64

struct stress {
	struct frame_queue q;
	uint8_t *buf0;
	size_t cap0;
	uint64_t attempts, pushed, dropped;     /* producer */
	uint64_t received, last_seq;            /* consumer */
	int prod_bad, bad;
};

static uint32_t stress_caplen(uint64_t seq)
{
	return 8 + (uint32_t)(seq % 57);
}

static void stress_fill(uint8_t *d, uint64_t seq)
{
	uint32_t c = stress_caplen(seq);

	memcpy(d, &seq, sizeof(seq));
	for (uint32_t i = 8; i < c; i++)
		d[i] = data_byte(seq, i);
}

static void *stress_producer(void *arg)
{
	struct stress *s = arg;
	uint8_t data[128];
	struct frame_rec h;

	for (uint64_t seq = 0; seq < STRESS_RECORDS; seq++) {
		memset(&h, 0, sizeof(h));
		h.if_id = (uint32_t)(seq % 16);
		h.ts_ns = seq;
		h.caplen = stress_caplen(seq);
		h.origlen = h.caplen + 1000;
		h.queue = (uint32_t)(seq % 3);
		stress_fill(data, seq);
		s->attempts++;
		if (frame_queue_push(&s->q, &h, data) == -ENOSPC)
			s->dropped++;
		else
			s->pushed++;
		if ((seq + 1) % STRESS_PUBLISH == 0)
			frame_queue_publish(&s->q);
		if (s->q.buf != s->buf0 || s->q.cap != s->cap0 ||
		    s->q.prod_head - atomic_load(&s->q.tail) > s->cap0)
			s->prod_bad = 1;
	}
	frame_queue_close(&s->q);
	return NULL;
}

static int stress_check(struct stress *s, const struct frame_rec *r)
{
	const uint8_t *d = (const uint8_t *)(r + 1);
	uint64_t seq;

	if ((const uint8_t *)r < s->buf0 || (const uint8_t *)r + r->size > s->buf0 + s->cap0)
		return -1;
	seq = r->ts_ns;
	if (s->received && seq <= s->last_seq)
		return -1; /* order lost, or a record seen twice */
	if (seq >= STRESS_RECORDS || r->caplen != stress_caplen(seq) ||
	    r->origlen != r->caplen + 1000 || r->if_id != seq % 16 || r->queue != seq % 3 ||
	    r->flags || r->size != ALIGN8(HDR + r->caplen) || memcmp(d, &seq, sizeof(seq)))
		return -1;
	for (uint32_t i = 8; i < r->caplen; i++)
		if (d[i] != data_byte(seq, i))
			return -1;
	s->last_seq = seq;
	return 0;
}

static void test_two_threads(void **state)
{
	struct stress *s = calloc(1, sizeof(*s));
	const struct frame_rec *r;
	pthread_t th;
	uint64_t t0;

	(void)state;
	assert_non_null(s);
	assert_int_equal(frame_queue_init(&s->q, MIB), 0);
	s->buf0 = s->q.buf;
	s->cap0 = s->q.cap;
	assert_true(s->cap0 == MIB);
	t0 = now_ms();
	assert_int_equal(pthread_create(&th, NULL, stress_producer, s), 0);

	while (frame_queue_wait(&s->q, 100)) {
		while ((r = frame_queue_peek(&s->q))) {
			if (stress_check(s, r)) {
				print_error("bad record after %llu received (seq %llu)\n",
					    (unsigned long long)s->received,
					    (unsigned long long)r->ts_ns);
				s->bad = 1;
				break;
			}
			frame_queue_consume(&s->q, r);
			s->received++;
			if (s->received % 1000 == 0) {
				frame_queue_release(&s->q);
				usleep(1000); /* a slow disk */
			}
		}
		frame_queue_release(&s->q);
		if (s->bad)
			break;
	}
	pthread_join(th, NULL);
	assert_false(s->bad);
	assert_false(s->prod_bad);
	assert_true(s->attempts == STRESS_RECORDS);
	assert_true(s->received == s->pushed);
	assert_true(s->received + s->dropped == s->attempts);
	assert_true(s->dropped > 0);
	assert_true(s->received > 0);
	/* The queue never allocated or grew. */
	assert_ptr_equal(s->q.buf, s->buf0);
	assert_true(s->q.cap == s->cap0);
	print_message("two threads: %llu pushed, %llu received, %llu dropped in %llu ms\n",
		      (unsigned long long)s->attempts, (unsigned long long)s->received,
		      (unsigned long long)s->dropped, (unsigned long long)(now_ms() - t0));
	frame_queue_destroy(&s->q);
	free(s);
}

/* ---- frames in several segments ------------------------------------------------ */

static void test_pushv_gathers_segments(void **state)
{
	static const size_t cuts[][4] = {
		{ 1500, 0, 0, 0 }, { 3, 0, 100, 1397 }, { 60, 60, 60, 1320 }, { 0, 0, 0, 1500 },
	};
	struct frame_queue q;
	struct iovec iov[4];
	struct frame_rec h;
	const uint8_t *data;
	unsigned int c, i;

	(void)state;
	queue_init(&q, 1);
	for (c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
		size_t off = 0;

		data = make_data(c, 1500);
		for (i = 0; i < 4; i++) {
			iov[i].iov_base = (void *)(data + off);
			iov[i].iov_len = cuts[c][i];
			off += cuts[c][i];
		}
		/* caplen below the segments' total: only the first caplen bytes. */
		make_hdr(&h, c, 1500 - (uint32_t)c * 100);
		assert_int_equal(frame_queue_pushv(&q, &h, iov, 4), 0);
		frame_queue_publish(&q);
		check_rec(&q, frame_queue_peek(&q), c, 1500 - (uint32_t)c * 100);
		frame_queue_consume(&q, frame_queue_peek(&q));
		frame_queue_release(&q);
	}
	/* Segments shorter than caplen: refused, nothing claimed. */
	make_hdr(&h, 9, 1501);
	assert_int_equal(frame_queue_pushv(&q, &h, iov, 4), -EINVAL);
	assert_true(q.prod_head == atomic_load(&q.head));
	/* A full queue refuses pushv as it refuses push. */
	make_hdr(&h, 10, 1400);
	iov[0].iov_base = (void *)make_data(10, 1400);
	iov[0].iov_len = 1400;
	while (frame_queue_pushv(&q, &h, iov, 1) == 0)
		;
	assert_int_equal(frame_queue_pushv(&q, &h, iov, 1), -ENOSPC);
	frame_queue_destroy(&q);
}

/* ---- one consumer, two queues, one bell ------------------------------------------ */

struct late_publish {
	struct frame_queue *q;
	int delay_ms;
};

static void *publish_later(void *arg)
{
	struct late_publish *l = arg;

	usleep((useconds_t)l->delay_ms * 1000);
	assert_int_equal(push_seq(l->q, 5, 50), 0);
	frame_queue_publish(l->q);
	return NULL;
}

static void test_wait_any_woken_by_either_queue(void **state)
{
	struct frame_queue q[2];
	struct frame_queue *qs[2] = { &q[0], &q[1] };
	struct frame_bell bell;
	pthread_t th;
	uint64_t t0;
	unsigned int k;

	(void)state;
	queue_init(&q[0], 1);
	queue_init(&q[1], 1);
	assert_int_equal(frame_bell_init(&bell), 0);
	frame_queue_set_bell(&q[0], &bell);
	frame_queue_set_bell(&q[1], &bell);
	for (k = 0; k < 2; k++) {
		struct late_publish l = { qs[k], 80 };

		/* A 10 s timeout: only the publish can end the wait early. */
		assert_int_equal(pthread_create(&th, NULL, publish_later, &l), 0);
		t0 = now_ms();
		while (!frame_queue_peek(qs[k]))
			assert_int_equal(frame_queue_wait_any(qs, 2, &bell, 10000), 1);
		assert_true(now_ms() - t0 < 5000);
		pthread_join(th, NULL);
		check_rec(qs[k], frame_queue_peek(qs[k]), 5, 50);
		frame_queue_consume(qs[k], frame_queue_peek(qs[k]));
		frame_queue_release(qs[k]);
	}
	/* Ends only when both are closed and empty. */
	frame_queue_close(&q[0]);
	t0 = now_ms();
	assert_int_equal(frame_queue_wait_any(qs, 2, &bell, 60), 1);
	assert_true(now_ms() - t0 >= 50);
	frame_queue_close(&q[1]);
	assert_int_equal(frame_queue_wait_any(qs, 2, &bell, 10000), 0);
	frame_queue_set_bell(&q[0], NULL);
	frame_queue_set_bell(&q[1], NULL);
	frame_bell_destroy(&bell);
	frame_queue_destroy(&q[0]);
	frame_queue_destroy(&q[1]);
}

/* ---- napping --------------------------------------------------------------- */

struct nap_feed {
	struct frame_queue *q;
	int delay_ms;
	size_t bytes;           /* pushed as 1000-byte frames, then one publish */
	int close;
	int failed;
};

static void *feed_later(void *arg)
{
	struct nap_feed *f = arg;
	size_t done = 0;
	uint64_t seq = 0;

	usleep((useconds_t)f->delay_ms * 1000);
	while (done < f->bytes) {
		if (push_seq(f->q, seq++, 1000))
			f->failed = 1;
		done += 1000 + HDR;
	}
	frame_queue_publish(f->q);
	if (f->close)
		frame_queue_close(f->q);
	return NULL;
}

/* Nap for nap_ms while feed runs; the nap's length in ms. */
static uint64_t nap_during(struct frame_queue *q, struct nap_feed *feed, long nap_ms)
{
	pthread_t th;
	uint64_t t0, dt;

	feed->q = q;
	assert_int_equal(pthread_create(&th, NULL, feed_later, feed), 0);
	t0 = now_ms();
	frame_queue_nap(&q->own_bell, nap_ms * 1000); /* the queue rings its own bell */
	dt = now_ms() - t0;
	pthread_join(th, NULL);
	assert_false(feed->failed);
	return dt;
}

static void drain_all(struct frame_queue *q)
{
	const struct frame_rec *r;

	while ((r = frame_queue_peek(q)))
		frame_queue_consume(q, r);
	frame_queue_release(q);
}

static void test_nap(void **state)
{
	struct frame_queue q;
	struct nap_feed small = { .delay_ms = 50, .bytes = 1000 };
	struct nap_feed big = { .delay_ms = 50, .bytes = 300 * 1024 };
	struct nap_feed closing = { .delay_ms = 50, .close = 1 };

	(void)state;
	queue_init(&q, 1); /* 1 MiB: the urgent mark is 256 KiB */
	/* One small batch does not cut the nap short: the records wait for it. */
	assert_true(nap_during(&q, &small, 800) >= 700);
	assert_non_null(frame_queue_peek(&q));
	drain_all(&q);

	/* A quarter of the queue does. */
	assert_true(nap_during(&q, &big, 5000) < 2500);
	assert_non_null(frame_queue_peek(&q));

	/* Once that is consumed, a small batch is small again (the producer looks at the real tail). */
	drain_all(&q);
	assert_true(nap_during(&q, &small, 800) >= 700);
	drain_all(&q);

	/* A close wakes it at once. */
	assert_true(nap_during(&q, &closing, 5000) < 2500);
	frame_queue_destroy(&q);
}


/* ---- reference records ------------------------------------------------------ */

struct reclaimed {
	uint64_t tokens[32768];
	unsigned int n;
};

static void note_reclaim(void *ctx, uint64_t token)
{
	struct reclaimed *r = ctx;

	assert_true(r->n < 32768);
	r->tokens[r->n++] = token;
}

static void test_refs_come_back_after_release(void **state)
{
	static uint8_t bufs[8][100];
	struct reclaimed got = { .n = 0 };
	struct frame_queue q;
	struct frame_rec h;
	const struct frame_rec *r;
	unsigned int i;

	(void)state;
	queue_init(&q, 1);
	assert_int_equal(frame_queue_push_ref(&q, &h, bufs[0], 1), -EINVAL); /* no reclaim set */
	frame_queue_set_reclaim(&q, note_reclaim, &got, 0);
	for (i = 0; i < 8; i++) {
		make_hdr(&h, i, 100);
		memset(bufs[i], (int)i, sizeof(bufs[i]));
		if (i == 3) /* a copied record among them */
			assert_int_equal(frame_queue_push(&q, &h, make_data(i, 100)), 0);
		else
			assert_int_equal(frame_queue_push_ref(&q, &h, bufs[i], 100 + i), 0);
	}
	frame_queue_publish(&q);
	assert_int_equal(frame_queue_refs_out(&q), 7);
	for (i = 0; i < 5; i++) {
		r = frame_queue_peek(&q);
		assert_non_null(r);
		assert_int_equal(r->caplen, 100);
		assert_int_equal(r->size, i == 3 ? ALIGN8(HDR + 100) :
						    ALIGN8(HDR + sizeof(struct frame_refs) +
							   sizeof(struct frame_ref)));
		if (i == 3) {
			assert_false(r->flags & FRAME_REC_REF);
			assert_memory_equal(frame_rec_data(r), make_data(3, 100), 100);
		} else {
			assert_true(r->flags & FRAME_REC_REF);
			assert_ptr_equal(frame_rec_data(r), bufs[i]);
		}
		frame_queue_consume(&q, r);
	}
	/* Consumed but not released: nothing may come back yet. */
	assert_int_equal(frame_queue_reclaim(&q), 0);
	assert_int_equal(got.n, 0);
	frame_queue_release(&q);
	assert_int_equal(frame_queue_reclaim(&q), 4);
	assert_int_equal(got.n, 4);
	assert_int_equal(got.tokens[0], 100);
	assert_int_equal(got.tokens[1], 101);
	assert_int_equal(got.tokens[2], 102);
	assert_int_equal(got.tokens[3], 104);
	assert_int_equal(frame_queue_refs_out(&q), 3);
	drain_all(&q);
	assert_int_equal(frame_queue_reclaim(&q), 3);
	assert_int_equal(got.tokens[6], 107);
	assert_int_equal(frame_queue_reclaim(&q), 0);
	frame_queue_destroy(&q);
}

/*
 * A multi-buffer frame by reference: every buffer's token comes back, in
 * order, once its record is released; the record gives the segments in
 * order, cut at caplen; bad segment lists are refused.
 */
static void test_refs_of_several_buffers(void **state)
{
	static uint8_t bufs[6][100];
	const struct frame_ref segs[3] = {
		{ .data = bufs[0], .token = 10, .len = 100 },
		{ .data = bufs[1], .token = 11, .len = 100 },
		{ .data = bufs[2], .token = 12, .len = 60 },
	};
	struct frame_ref many[FRAME_REC_MAX_SEGS + 1];
	struct reclaimed got = { .n = 0 };
	struct iovec iov[FRAME_REC_MAX_SEGS] = { { 0 } };
	struct frame_queue q;
	struct frame_rec h;
	const struct frame_rec *r;
	unsigned int i;

	(void)state;
	queue_init(&q, 1);
	frame_queue_set_reclaim(&q, note_reclaim, &got, 0);
	make_hdr(&h, 0, 230); /* the last buffer is cut at caplen */
	assert_int_equal(frame_queue_push_refs(&q, &h, segs, 3), 0);
	make_hdr(&h, 1, 100);
	assert_int_equal(frame_queue_push_ref(&q, &h, bufs[3], 13), 0);
	make_hdr(&h, 2, 261); /* more than the buffers hold */
	assert_int_equal(frame_queue_push_refs(&q, &h, segs, 3), -EINVAL);
	assert_int_equal(frame_queue_push_refs(&q, &h, segs, 0), -EINVAL);
	for (i = 0; i <= FRAME_REC_MAX_SEGS; i++)
		many[i] = (struct frame_ref){ .data = bufs[4], .token = 99, .len = 100 };
	make_hdr(&h, 2, 100);
	assert_int_equal(frame_queue_push_refs(&q, &h, many, FRAME_REC_MAX_SEGS + 1), -EINVAL);
	frame_queue_publish(&q);
	assert_int_equal(frame_queue_refs_out(&q), 4); /* buffers, not records */
	r = frame_queue_peek(&q);
	assert_non_null(r);
	assert_int_equal(frame_rec_segments(r, iov), 3);
	assert_ptr_equal(iov[0].iov_base, bufs[0]);
	assert_ptr_equal(iov[2].iov_base, bufs[2]);
	assert_int_equal(iov[0].iov_len + iov[1].iov_len + iov[2].iov_len, 230);
	assert_int_equal(iov[2].iov_len, 30);
	assert_ptr_equal(frame_rec_data(r), bufs[0]);
	frame_queue_consume(&q, r);
	assert_int_equal(frame_queue_reclaim(&q), 0); /* consumed, not released */
	frame_queue_release(&q);
	assert_int_equal(frame_queue_reclaim(&q), 3);
	assert_int_equal(got.n, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(got.tokens[i], 10 + i);
	drain_all(&q);
	assert_int_equal(frame_queue_reclaim(&q), 1);
	assert_int_equal(got.tokens[3], 13);
	assert_int_equal(frame_queue_refs_out(&q), 0);
	frame_queue_destroy(&q);
}

/* Space given back up to a position noted earlier, not up to what was consumed since. */
static void test_release_to_a_noted_position(void **state)
{
	static uint8_t bufs[4][64];
	struct reclaimed got = { .n = 0 };
	struct frame_queue q;
	struct frame_rec h;
	uint64_t noted;
	unsigned int i;

	(void)state;
	queue_init(&q, 1);
	frame_queue_set_reclaim(&q, note_reclaim, &got, 0);
	for (i = 0; i < 4; i++) {
		make_hdr(&h, i, 64);
		assert_int_equal(frame_queue_push_ref(&q, &h, bufs[i], i), 0);
	}
	frame_queue_publish(&q);
	for (i = 0; i < 2; i++)
		frame_queue_consume(&q, frame_queue_peek(&q));
	noted = frame_queue_consumed(&q);
	for (i = 0; i < 2; i++)
		frame_queue_consume(&q, frame_queue_peek(&q));
	frame_queue_release_to(&q, noted);
	assert_int_equal(frame_queue_reclaim(&q), 2); /* the first two only */
	assert_int_equal(got.tokens[1], 1);
	frame_queue_release_to(&q, frame_queue_consumed(&q));
	assert_int_equal(frame_queue_reclaim(&q), 2);
	assert_int_equal(got.tokens[3], 3);
	frame_queue_destroy(&q);
}

/* A full queue of references frees room only by reclaiming them, across the ring's end. */
static void test_refs_full_queue_reclaims_to_make_room(void **state)
{
	struct reclaimed got = { .n = 0 };
	struct frame_queue q;
	struct frame_rec h;
	uint64_t pushed = 0, taken = 0;
	unsigned int round;

	(void)state;
	queue_init(&q, 1);
	frame_queue_set_reclaim(&q, note_reclaim, &got, 0);
	for (round = 0; round < 3; round++) {
		const struct frame_rec *r;
		unsigned int n = 0;

		/* Big copied records fill the ring unevenly, so references meet its end. */
		make_hdr(&h, pushed, 1000);
		while (frame_queue_push(&q, &h, make_data(pushed, 1000)) == 0 && n++ < 900 + 37 * round)
			;
		make_hdr(&h, pushed, 60);
		while (frame_queue_push_ref(&q, &h, scratch, pushed) == 0)
			pushed++;
		frame_queue_publish(&q);
		assert_true(got.n == taken); /* nothing released: nothing came back */
		while ((r = frame_queue_peek(&q))) {
			if (r->flags & FRAME_REC_REF)
				taken++;
			frame_queue_consume(&q, r);
		}
		frame_queue_release(&q);
		got.n = 0;
		/* The next push finds the room by reclaiming: every reference once, in order. */
		assert_int_equal(frame_queue_push(&q, &h, make_data(0, 60)), 0);
		assert_true(got.n > 0);
		assert_int_equal(frame_queue_refs_out(&q), 0);
		drain_all(&q);
		taken = 0;
		got.n = 0;
	}
	frame_queue_destroy(&q);
}

/*
 * A producer with a small pool of buffers, each reused only once reclaimed,
 * writes a record's sequence number into its buffer; the consumer checks it
 * while it holds the record. A buffer given back too early would show a
 * later number.
 */
#define POOL 48
struct ref_stress {
	struct frame_queue q;
	uint64_t bufs[POOL][8];
	unsigned int free_stack[POOL];
	unsigned int n_free;
	uint64_t total;
	int failed;
};

static void pool_back(void *ctx, uint64_t token)
{
	struct ref_stress *s = ctx;

	if (s->n_free >= POOL)
		s->failed = 1;
	else
		s->free_stack[s->n_free++] = (unsigned int)token;
}

static void *ref_producer(void *arg)
{
	struct ref_stress *s = arg;
	struct frame_rec h;
	uint64_t seq = 0;

	while (seq < s->total) {
		unsigned int b;

		if (!s->n_free && !frame_queue_reclaim(&s->q)) {
			frame_queue_publish(&s->q);
			continue;
		}
		b = s->free_stack[--s->n_free];
		s->bufs[b][0] = seq;
		make_hdr(&h, seq, sizeof(s->bufs[b]));
		if (frame_queue_push_ref(&s->q, &h, s->bufs[b], b)) {
			s->free_stack[s->n_free++] = b;
			continue;
		}
		seq++;
		if (!(seq % 16))
			frame_queue_publish(&s->q);
	}
	frame_queue_close(&s->q);
	return NULL;
}

static void test_refs_two_threads(void **state)
{
	struct ref_stress *s = calloc(1, sizeof(*s));
	const struct frame_rec *r;
	uint64_t expect = 0;
	pthread_t th;
	unsigned int i;

	(void)state;
	assert_non_null(s);
	queue_init(&s->q, 1);
	frame_queue_set_reclaim(&s->q, pool_back, s, 0);
	for (i = 0; i < POOL; i++)
		s->free_stack[s->n_free++] = i;
	s->total = 300000;
	assert_int_equal(pthread_create(&th, NULL, ref_producer, s), 0);
	while (frame_queue_wait(&s->q, 1000)) {
		while ((r = frame_queue_peek(&s->q))) {
			const uint64_t *seen = (const uint64_t *)(const void *)frame_rec_data(r);

			assert_int_equal(r->ts_ns, expect * 1000003ull + 0x1234567890ull);
			if (expect % 7 == 0)
				sched_yield(); /* let the producer run while we hold it */
			assert_int_equal(seen[0], expect);
			expect++;
			frame_queue_consume(&s->q, r);
			if (!(expect % 5))
				frame_queue_release(&s->q);
		}
		frame_queue_release(&s->q);
	}
	pthread_join(th, NULL);
	assert_int_equal(expect, s->total);
	assert_false(s->failed);
	frame_queue_destroy(&s->q);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_sizes),
		cmocka_unit_test(test_size_field_set_by_push),
		cmocka_unit_test(test_wrap_gaps),
		cmocka_unit_test(test_wrap_random),
		cmocka_unit_test(test_full_queue),
		cmocka_unit_test(test_oversized_frame),
		cmocka_unit_test(test_max_frame_fits_size_field),
		cmocka_unit_test(test_capacity_rounding),
		cmocka_unit_test(test_wait_timeout),
		cmocka_unit_test(test_wait_data),
		cmocka_unit_test(test_wait_close),
		cmocka_unit_test(test_two_threads),
		cmocka_unit_test(test_pushv_gathers_segments),
		cmocka_unit_test(test_wait_any_woken_by_either_queue),
		cmocka_unit_test(test_nap),
		cmocka_unit_test(test_refs_come_back_after_release),
		cmocka_unit_test(test_refs_full_queue_reclaims_to_make_room),
		cmocka_unit_test(test_refs_two_threads),
		cmocka_unit_test(test_refs_of_several_buffers),
		cmocka_unit_test(test_release_to_a_noted_position),
	};

	return cmocka_run_group_tests(tests, NULL, teardown_group);
}
