// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of frames added by reference (output_file_add_epb_ref): a
 * buffered file writes a frame's bytes from the caller's buffer with
 * pwritev(), and the caller may reuse that buffer only once
 * output_io_refs_done() counts the frame.
 *
 * The frames come from a small pool of buffers, reused as soon as the
 * output says their frame is done, as a UMEM frame goes back to the fill
 * ring. Every frame is also encoded into an expected buffer: a buffer
 * reused before its bytes were written would put a later frame's bytes in
 * the file. The binary is linked with --wrap=pwritev: each call's segments
 * are checked against the pool (a frame's bytes written from its buffer,
 * not from a copy), a call can be held at a gate, or fail.
 * They show:
 *  - buffered: the file is exactly the bytes encoded, over two rings' worth
 *    and more than OUTPUT_FILE_EXTENTS frames (both tables wrap), and every
 *    frame byte reached pwritev() straight from its pool buffer;
 *  - with pwritev() held, many more frames than one call's segments are
 *    published; the spans after it are cut at a whole EPB within IOV_MAX
 *    segments, and the file is still exact;
 *  - a failed pwritev(): the frames not written are not done (their buffers
 *    still held) until output_file_discard() drops them; the file keeps
 *    its whole blocks and goes on;
 *  - multi-buffer frames (2 to 5 buffers): every buffer written from where
 *    it is, spans cut only between EPBs; segments that do not add up to
 *    caplen are refused;
 *  - by default frames shorter than OUTPUT_FILE_REF_MIN are copied (nothing
 *    held), longer ones written from their buffers;
 *  - a direct file copies the frame instead (one buffer or several): no
 *    frame is held.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "store/output_file.h"
#include "pcapng.h"
#include "file_bytes.h"

/* ---- the pool, and pwritev() watched ----------------------------------------------- */

#define POOL 1024
#define FRAME_MAX 2048

static uint8_t pool[POOL][FRAME_MAX];
static atomic_ullong pool_bytes_written;  /* bytes pwritev() took from the pool */
static atomic_int max_segments;           /* the most segments one call had */
static atomic_int pwritev_calls;
static atomic_int gate_closed;            /* pwritev() waits while set */
static atomic_int waiting;
static atomic_int fail_next;              /* the next pwritev() fails with ENOSPC */

ssize_t __real_pwritev(int fd, const struct iovec *iov, int cnt, off_t off);

static int in_pool(const void *p)
{
	const uint8_t *b = p;

	return b >= &pool[0][0] && b < &pool[0][0] + sizeof(pool);
}

ssize_t __wrap_pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
	unsigned long long from_pool = 0;
	ssize_t n;
	int i;

	atomic_fetch_add(&pwritev_calls, 1);
	if (cnt > atomic_load(&max_segments))
		atomic_store(&max_segments, cnt);
	if (atomic_load(&gate_closed)) {
		atomic_fetch_add(&waiting, 1);
		while (atomic_load(&gate_closed))
			usleep(1000);
		atomic_fetch_sub(&waiting, 1);
	}
	if (atomic_exchange(&fail_next, 0)) {
		errno = ENOSPC;
		return -1;
	}
	n = __real_pwritev(fd, iov, cnt, off);
	for (i = 0; n > 0 && i < cnt; i++)
		if (in_pool(iov[i].iov_base))
			from_pool += iov[i].iov_len;
	if (n > 0)
		atomic_fetch_add(&pool_bytes_written, from_pool);
	return n;
}

/* ---- a file, the pool's frames, and what the file must hold -------------------------- */

#define MIB ((size_t)1 << 20)
#define EXPECT_MAX (3 * (size_t)OUTPUT_FILE_RING + 16 * MIB)

static const struct pcapng_shb_info shb = { "test", "Linux", "vpncap test_output_file_ref" };
static const struct pcapng_idb_info idb = {
	.linktype = PCAPNG_LINKTYPE_ETHERNET, .snaplen = 262144, .name = "t0",
};

struct rig {
	char dir[64];
	char path[128];
	struct output_io io;
	struct output_file f;
	uint8_t *expect;
	size_t used;
	uint64_t held_until[POOL];      /* a buffer is free once refs_done reaches this */
	uint64_t n;                     /* frames added */
	uint64_t next_buffer;           /* buffers taken */
	uint64_t frame_bytes;           /* their bytes */
	uint64_t seed;
};

static uint32_t rnd(struct rig *r)
{
	r->seed = r->seed * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(r->seed >> 33);
}

static struct rig *rig_start(const char *base, enum output_io_mode mode)
{
	struct rig *r = calloc(1, sizeof(*r));
	char err[256];

	assert_non_null(r);
	r->expect = malloc(EXPECT_MAX);
	assert_non_null(r->expect);
	r->seed = 7;
	snprintf(r->dir, sizeof(r->dir), "%s/test_output_file_ref.XXXXXX", base);
	assert_non_null(mkdtemp(r->dir));
	snprintf(r->path, sizeof(r->path), "%s/out.pcapng", r->dir);
	assert_int_equal(output_io_start(&r->io, mode), 0);
	output_io_set_ref_min(&r->io, 0); /* every frame by reference, however short */
	assert_int_equal(output_file_open(&r->f, &r->io, -1, r->path, OUTPUT_FILE_NEW, err,
					  sizeof(err)), 0);
	assert_int_equal(output_file_begin(&r->f), 0);
	assert_int_equal(output_file_add_shb(&r->f, &shb), 0);
	r->used += pcapng_put_shb(r->expect + r->used, EXPECT_MAX - r->used, &shb);
	assert_int_equal(output_file_add_idb(&r->f, &idb), 0);
	r->used += pcapng_put_idb(r->expect + r->used, EXPECT_MAX - r->used, &idb);
	return r;
}

static void rig_stop(struct rig *r)
{
	output_io_stop(&r->io);
	unlink(r->path);
	rmdir(r->dir);
	free(r->expect);
	free(r);
}

/* The next pool buffer, once the output is done with its last frame (a UMEM's fill ring). */
static unsigned int take_buffer(struct rig *r)
{
	unsigned int b = (unsigned int)(r->next_buffer++ % POOL);
	int spins = 0;

	while (output_io_refs_done(&r->io) < r->held_until[b]) {
		output_file_push(&r->f);
		usleep(100);
		assert_true(++spins < 50000); /* 5 s: a frame never counted done */
	}
	memset(pool[b], 0xEE, FRAME_MAX); /* scribbled, as the NIC would */
	return b;
}

/*
 * One frame of caplen bytes in n_segs pool buffers (a multi-buffer frame
 * when more than one), by reference; into expect as well.
 */
static int add_ref_segs(struct rig *r, uint32_t caplen, unsigned int n_segs)
{
	struct pcapng_epb_info epb = {
		.ts_ns = 1700000000000000000ull + r->n, .caplen = caplen, .origlen = caplen,
	};
	struct iovec segs[8];
	unsigned int bufs[8], s;
	uint8_t whole[8 * FRAME_MAX];
	uint32_t i, at = 0;
	int ret;

	assert_true(n_segs >= 1 && n_segs <= 8 && caplen <= n_segs * FRAME_MAX);
	for (s = 0; s < n_segs; s++) { /* the last one takes what is left */
		uint32_t len = s + 1 < n_segs ? caplen / n_segs : caplen - at;

		bufs[s] = take_buffer(r);
		for (i = 0; i < len; i++)
			whole[at + i] = pool[bufs[s]][i] = (uint8_t)(r->n * 31 + at + i);
		segs[s] = (struct iovec){ pool[bufs[s]], len };
		at += len;
	}
	ret = output_file_add_epb_ref(&r->f, &epb, segs, n_segs);
	if (ret)
		return ret;
	for (s = 0; s < n_segs; s++)
		r->held_until[bufs[s]] = output_io_refs_added(&r->io);
	assert_true(r->used + pcapng_epb_size(&epb) <= EXPECT_MAX);
	r->used += pcapng_put_epb(r->expect + r->used, EXPECT_MAX - r->used, &epb, whole);
	r->n++;
	r->frame_bytes += caplen;
	return 0;
}

static int add_ref(struct rig *r, uint32_t caplen)
{
	return add_ref_segs(r, caplen, 1);
}

static void reset_counters(void)
{
	atomic_store(&pool_bytes_written, 0);
	atomic_store(&max_segments, 0);
	atomic_store(&pwritev_calls, 0);
}

/* ---- buffered: written from the pool, exactly --------------------------------------- */

static void test_frames_written_from_their_buffers(void **state)
{
	struct rig *r = rig_start("/tmp", OUTPUT_IO_BUFFERED);
	size_t target = 2 * (size_t)OUTPUT_FILE_RING + 4321;

	(void)state;
	reset_counters();
	assert_false(r->f.direct);
	while (r->used < target) /* mostly large frames: the ring wraps */
		assert_int_equal(add_ref(r, 1 + rnd(r) % 1600), 0);
	while (r->n < OUTPUT_FILE_EXTENTS + 5000) /* then small ones: the extents wrap */
		assert_int_equal(add_ref(r, 60 + rnd(r) % 8), 0);
	assert_int_equal(output_file_close(&r->f), 0);
	print_message("%llu frames, %zu bytes: %d pwritev() calls, %llu of %llu frame bytes "
		      "from the pool\n", (unsigned long long)r->n, r->used,
		      atomic_load(&pwritev_calls), (unsigned long long)atomic_load(&pool_bytes_written),
		      (unsigned long long)r->frame_bytes);
	assert_int_equal(output_io_refs_done(&r->io), output_io_refs_added(&r->io));
	assert_int_equal(output_io_refs_added(&r->io), r->n);
	assert_int_equal(atomic_load(&pool_bytes_written), r->frame_bytes); /* no copy */
	assert_true(atomic_load(&max_segments) <= (int)OUTPUT_FILE_IOV);
	assert_file_is(r->path, r->expect, r->used);
	rig_stop(r);
}

/* ---- multi-buffer frames ----------------------------------------------------------- */

/*
 * Frames of 2 to 5 buffers (jumbo frames through AF_XDP multi-buffer), among
 * single ones: each buffer written from where it is, the EPB whole, and
 * spans cut only between EPBs (a cut inside one would write its later holes
 * from the ring's stale bytes).
 */
static void test_multi_buffer_frames(void **state)
{
	struct rig *r = rig_start("/tmp", OUTPUT_IO_BUFFERED);
	unsigned int i;

	(void)state;
	reset_counters();
	atomic_store(&gate_closed, 1);
	for (i = 0; i < 10; i++) /* a span stuck: the next one gathers many EPBs at once */
		assert_int_equal(add_ref(r, 100), 0);
	output_file_push(&r->f);
	for (i = 0; i < 3000 && !atomic_load(&waiting); i++)
		usleep(1000);
	assert_int_equal(atomic_load(&waiting), 1);
	for (i = 0; i < 350; i++) { /* some 930 buffers: the pool holds them all */
		unsigned int n_segs = i % 3 ? 2 + i % 4 : 1;

		assert_int_equal(add_ref_segs(r, n_segs * 300 + i % 50, n_segs), 0);
	}
	atomic_store(&gate_closed, 0);
	for (i = 0; i < 20000; i++) {
		unsigned int n_segs = 1 + rnd(r) % 5;

		assert_int_equal(add_ref_segs(r, n_segs * (1 + rnd(r) % 2000), n_segs), 0);
	}
	assert_int_equal(output_file_close(&r->f), 0);
	print_message("%llu frames: %d pwritev() calls, at most %d segments\n",
		      (unsigned long long)r->n, atomic_load(&pwritev_calls),
		      atomic_load(&max_segments));
	assert_int_equal(atomic_load(&pool_bytes_written), r->frame_bytes); /* no copy */
	assert_true(atomic_load(&max_segments) <= (int)OUTPUT_FILE_IOV);
	assert_true(atomic_load(&max_segments) > (int)(OUTPUT_FILE_IOV - 4 * OUTPUT_FILE_MAX_SEGS));
	assert_file_is(r->path, r->expect, r->used);
	rig_stop(r);
}

/* Segments that do not add up to caplen are refused, and nothing is added. */
static void test_segments_must_hold_caplen(void **state)
{
	struct rig *r = rig_start("/tmp", OUTPUT_IO_BUFFERED);
	struct pcapng_epb_info epb = { .ts_ns = 1, .caplen = 100, .origlen = 100 };
	const struct iovec short_segs[2] = { { pool[0], 40 }, { pool[1], 50 } };
	const struct iovec long_segs[2] = { { pool[0], 60 }, { pool[1], 50 } };
	uint64_t size = output_file_size(&r->f);

	(void)state;
	assert_int_equal(output_file_add_epb_ref(&r->f, &epb, short_segs, 2), -EINVAL);
	assert_int_equal(output_file_add_epb_ref(&r->f, &epb, long_segs, 2), -EINVAL);
	assert_int_equal(output_file_add_epb_copy(&r->f, &epb, short_segs, 2), -EINVAL);
	assert_int_equal(output_file_size(&r->f), size);
	assert_int_equal(output_io_refs_added(&r->io), 0);
	assert_int_equal(output_file_close(&r->f), 0);
	assert_file_is(r->path, r->expect, r->used);
	rig_stop(r);
}

/* ---- a span cut to IOV_MAX segments ---------------------------------------------------- */

static void test_span_cut_at_a_whole_block(void **state)
{
	struct rig *r = rig_start("/tmp", OUTPUT_IO_BUFFERED);
	unsigned int i, spins = 0;

	(void)state;
	reset_counters();
	atomic_store(&gate_closed, 1);
	for (i = 0; i < 10; i++)
		assert_int_equal(add_ref(r, 100), 0);
	output_file_push(&r->f); /* a span, stuck in pwritev() */
	while (!atomic_load(&waiting) && spins++ < 5000)
		usleep(1000);
	assert_int_equal(atomic_load(&waiting), 1);
	/*
	 * Meanwhile more frames than a call's segments are published: each
	 * from its own offset into the last pool buffer, which no frame above
	 * took and nothing writes again.
	 */
	for (i = 0; i < 3 * OUTPUT_FILE_IOV; i++) {
		struct pcapng_epb_info epb = {
			.ts_ns = 1800000000000000000ull + i, .caplen = 64, .origlen = 64,
		};
		const uint8_t *frame = &pool[POOL - 1][i % (FRAME_MAX - 64)];
		const struct iovec seg = { (void *)frame, 64 };

		assert_int_equal(output_file_add_epb_ref(&r->f, &epb, &seg, 1), 0);
		r->used += pcapng_put_epb(r->expect + r->used, EXPECT_MAX - r->used, &epb, frame);
	}
	output_file_push(&r->f);
	atomic_store(&gate_closed, 0);
	assert_int_equal(output_file_close(&r->f), 0);
	print_message("%d pwritev() calls, at most %d segments\n", atomic_load(&pwritev_calls),
		      atomic_load(&max_segments));
	assert_true(atomic_load(&max_segments) <= (int)OUTPUT_FILE_IOV);
	/* It was cut: by then no room was left for an EPB of the most segments. */
	assert_true(atomic_load(&max_segments) > (int)(OUTPUT_FILE_IOV - 2 * OUTPUT_FILE_MAX_SEGS - 3));
	assert_file_is(r->path, r->expect, r->used);
	rig_stop(r);
}

/* ---- a failed pwritev() ---------------------------------------------------------------- */

static void test_failed_write_holds_until_discarded(void **state)
{
	struct rig *r = rig_start("/tmp", OUTPUT_IO_BUFFERED);
	uint64_t done, dropped;
	size_t on_disk;
	unsigned int i;

	(void)state;
	for (i = 0; i < 3000; i++)
		assert_int_equal(add_ref(r, 1 + rnd(r) % 1500), 0);
	assert_int_equal(output_file_flush(&r->f), 0);
	assert_int_equal(output_io_refs_done(&r->io), r->n);
	on_disk = r->used;
	for (i = 0; i < 40; i++) /* fewer than a span's extents, within the pool */
		assert_int_equal(add_ref(r, 1 + rnd(r) % 1500), 0);
	atomic_store(&fail_next, 1);
	assert_int_equal(output_file_flush(&r->f), -ENOSPC);
	done = output_io_refs_done(&r->io);
	assert_int_equal(done, r->n - 40); /* the 40 are still held */
	assert_int_equal(r->f.bytes_written, on_disk);
	assert_file_is(r->path, r->expect, on_disk);
	dropped = output_file_discard(&r->f);
	assert_int_equal(dropped, 40);
	assert_int_equal(output_io_refs_done(&r->io), r->n); /* dropped: free again */
	r->used = on_disk;
	for (i = 0; i < 500; i++)
		assert_int_equal(add_ref(r, 1 + rnd(r) % 1500), 0);
	assert_int_equal(output_file_close(&r->f), 0);
	assert_file_is(r->path, r->expect, r->used);
	rig_stop(r);
}

/* ---- the default: short frames copied ------------------------------------------------ */

/* Below OUTPUT_FILE_REF_MIN a frame is copied (nothing held); at it, written from its buffer. */
static void test_short_frames_copied_by_default(void **state)
{
	struct rig *r = rig_start("/tmp", OUTPUT_IO_BUFFERED);
	unsigned int i;

	(void)state;
	output_io_set_ref_min(&r->io, OUTPUT_FILE_REF_MIN);
	reset_counters();
	for (i = 0; i < 100; i++)
		assert_int_equal(add_ref(r, 1 + i * 13 % (OUTPUT_FILE_REF_MIN - 1)), 0);
	assert_int_equal(output_io_refs_added(&r->io), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(add_ref_segs(r, OUTPUT_FILE_REF_MIN + i * 300, 3), 0);
	assert_int_equal(output_io_refs_added(&r->io), 30); /* three buffers each */
	assert_int_equal(output_file_close(&r->f), 0);
	assert_int_equal(output_io_refs_done(&r->io), 30);
	assert_true(atomic_load(&pool_bytes_written) > 0);
	assert_file_is(r->path, r->expect, r->used);
	rig_stop(r);
}

/* ---- direct: the one copy ---------------------------------------------------------------- */

static void test_direct_file_copies(void **state)
{
	struct rig *r = rig_start("/tmp", OUTPUT_IO_AUTO);
	unsigned int i;

	(void)state;
	if (!r->f.direct) { /* /tmp is not ext4, xfs or btrfs here */
		output_file_close(&r->f);
		rig_stop(r);
		skip();
	}
	reset_counters();
	for (i = 0; i < 2000; i++)
		assert_int_equal(add_ref_segs(r, 1 + rnd(r) % 1500, 1 + i % 3), 0);
	assert_int_equal(output_io_refs_added(&r->io), 0); /* none held */
	assert_int_equal(output_file_close(&r->f), 0);
	assert_int_equal(atomic_load(&pwritev_calls), 0);
	assert_file_is(r->path, r->expect, r->used);
	rig_stop(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames_written_from_their_buffers),
		cmocka_unit_test(test_multi_buffer_frames),
		cmocka_unit_test(test_segments_must_hold_caplen),
		cmocka_unit_test(test_span_cut_at_a_whole_block),
		cmocka_unit_test(test_failed_write_holds_until_discarded),
		cmocka_unit_test(test_short_frames_copied_by_default),
		cmocka_unit_test(test_direct_file_copies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
