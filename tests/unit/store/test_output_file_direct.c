// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE /* O_DIRECT */
/*
 * Unit tests of output_file.c's two ways of writing (direct: O_DIRECT
 * spans from the mirrored ring, the partial last block through the page
 * cache; buffered), on a file in /tmp (ext4, xfs or btrfs on a build
 * machine: direct) and in /dev/shm (tmpfs: buffered).
 *
 * Every block added is also encoded into an expected buffer by the same
 * encoder: whatever the way, the file must be exactly those bytes, no
 * padding, no gap, whatever the flushes and syncs between them. The test
 * binary is linked with --wrap=pwrite so a write can be cut short and the
 * next one fail (a disk that fills in the middle of a span). They show:
 *  - /tmp's file is written direct: O_DIRECT really set on the descriptor
 *    (fcntl F_GETFL) and most pwrite()s made with it; /dev/shm's buffered,
 *    and --output-io direct refuses it with one clear line;
 *  - blocks of random sizes, some crossing the end of the ring (its
 *    mirror), with flushes and syncs at odd offsets: the file is the bytes
 *    encoded, and its size is no multiple of 4096;
 *  - a span cut short and failed: the file is cut back to its last whole
 *    block (those bytes intact), the unwritten blocks are the ones
 *    dropped, and the file goes on where they began;
 *  - output_file_patch of bytes already written survives the next direct
 *    span, which writes their block again from the ring;
 *  - a direct span torn by a crash (zeros where the end should be, or the
 *    file short) recovers to the longest valid prefix.
 */
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
#include <sys/vfs.h>
#include <unistd.h>

#include "store/output_file.h"
#include "store/recover.h"
#include "pcapng.h"
#include "file_bytes.h"
#include "pcapng_reader.h"

/* ---- pwrite(), cut short on demand --------------------------------------------------- */

ssize_t __real_pwrite(int fd, const void *buf, size_t len, off_t off);

static atomic_int cut_next;     /* the next pwrite() writes half (4 KiB aligned), the one after fails */
static atomic_int fail_next;
static atomic_int direct_writes, writes;

ssize_t __wrap_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	int flags = fcntl(fd, F_GETFL);

	atomic_fetch_add(&writes, 1);
	if (flags >= 0 && (flags & O_DIRECT))
		atomic_fetch_add(&direct_writes, 1);
	if (atomic_exchange(&fail_next, 0)) {
		errno = ENOSPC;
		return -1;
	}
	if (atomic_exchange(&cut_next, 0) && len > 8192) {
		atomic_store(&fail_next, 1);
		return __real_pwrite(fd, buf, (len / 2) & ~(size_t)4095, off);
	}
	return __real_pwrite(fd, buf, len, off);
}

/* ---- a file and what it must hold ----------------------------------------------------- */

#define MIB ((size_t)1 << 20)
#define EXPECT_MAX (4 * (size_t)OUTPUT_FILE_RING + 16 * MIB)

static const struct pcapng_shb_info shb = { "test", "Linux", "vpncap test_output_file_direct" };
static const struct pcapng_idb_info idb = {
	.linktype = PCAPNG_LINKTYPE_ETHERNET, .snaplen = 262144, .name = "t0",
};

struct rig {
	char dir[64];
	char path[128];
	struct output_io io;
	struct output_file f;
	uint8_t *expect;                /* the bytes the file must hold */
	size_t used;
	uint8_t frame[16384];
	uint64_t seed;
	uint64_t n;
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
	size_t i;

	assert_non_null(r);
	r->expect = malloc(EXPECT_MAX);
	assert_non_null(r->expect);
	r->seed = 42;
	for (i = 0; i < sizeof(r->frame); i++)
		r->frame[i] = (uint8_t)(i * 13 + 7);
	snprintf(r->dir, sizeof(r->dir), "%s/test_output_file_direct.XXXXXX", base);
	assert_non_null(mkdtemp(r->dir));
	snprintf(r->path, sizeof(r->path), "%s/out.pcapng", r->dir);
	assert_int_equal(output_io_start(&r->io, mode), 0);
	assert_int_equal(output_file_open(&r->f, &r->io, -1, r->path, OUTPUT_FILE_NEW, err,
					  sizeof(err)), 0);
	assert_int_equal(output_file_begin(&r->f), 0);
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

static void add_headers(struct rig *r)
{
	assert_int_equal(output_file_add_shb(&r->f, &shb), 0);
	r->used += pcapng_put_shb(r->expect + r->used, EXPECT_MAX - r->used, &shb);
	assert_int_equal(output_file_add_idb(&r->f, &idb), 0);
	r->used += pcapng_put_idb(r->expect + r->used, EXPECT_MAX - r->used, &idb);
}

/* One EPB of caplen bytes, into the file and the expected bytes alike. */
static int add_epb(struct rig *r, uint32_t caplen)
{
	struct pcapng_epb_info epb = {
		.ts_ns = 1700000000000000000ull + r->n, .caplen = caplen, .origlen = caplen,
	};
	int ret;

	r->frame[0] = (uint8_t)r->n; /* no two frames alike */
	ret = output_file_add_epb(&r->f, &epb, r->frame);
	if (ret)
		return ret;
	assert_true(r->used + pcapng_epb_size(&epb) <= EXPECT_MAX);
	r->used += pcapng_put_epb(r->expect + r->used, EXPECT_MAX - r->used, &epb, r->frame);
	r->n++;
	return 0;
}

static int fd_has_odirect(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	assert_true(flags >= 0);
	return (flags & O_DIRECT) != 0;
}

static int on_tmpfs(const char *dir)
{
	struct statfs sfs;

	return !statfs(dir, &sfs) && sfs.f_type == 0x01021994;
}

/* ---- the way chosen --------------------------------------------------------------------- */

static void test_tmp_is_direct_with_odirect_set(void **state)
{
	struct statfs sfs;
	struct rig *r;

	(void)state;
	assert_int_equal(statfs("/tmp", &sfs), 0);
	if (!output_io_fs_takes_direct((long)sfs.f_type)) {
		print_message("/tmp is no ext4, xfs or btrfs here: skipped\n");
		skip();
	}
	r = rig_start("/tmp", OUTPUT_IO_AUTO);
	assert_true(r->f.direct);
	assert_string_equal(output_file_io_name(&r->f), "direct");
	assert_true(r->f.align >= 4096 && !(r->f.align & (r->f.align - 1)));
	assert_true(fd_has_odirect(r->f.fd));
	assert_int_equal(output_file_close(&r->f), 0);
	rig_stop(r);
}

static void test_tmpfs_is_buffered_and_direct_refused(void **state)
{
	char err[512] = "";
	struct rig *r;
	struct output_io io;
	struct output_file f;
	char path[128];

	(void)state;
	if (!on_tmpfs("/dev/shm")) {
		print_message("/dev/shm is no tmpfs here: skipped\n");
		skip();
	}
	r = rig_start("/dev/shm", OUTPUT_IO_AUTO);
	assert_false(r->f.direct);
	assert_false(fd_has_odirect(r->f.fd));
	assert_int_equal(output_file_close(&r->f), 0);

	/* --output-io direct: refused, one line, and nothing left behind. */
	snprintf(path, sizeof(path), "%s/direct.pcapng", r->dir);
	assert_int_equal(output_io_start(&io, OUTPUT_IO_DIRECT), 0);
	assert_int_equal(output_file_open(&f, &io, -1, path, OUTPUT_FILE_NEW, err, sizeof(err)),
			 -EINVAL);
	print_message("%s\n", err);
	assert_non_null(strstr(err, "--output-io direct: the file system (tmpfs) refuses O_DIRECT"));
	assert_null(strchr(err, '\n'));
	assert_int_equal(access(path, F_OK), -1);
	output_io_stop(&io);
	rig_stop(r);
}

static void test_buffered_forced_on_tmp(void **state)
{
	struct rig *r = rig_start("/tmp", OUTPUT_IO_BUFFERED);

	(void)state;
	assert_false(r->f.direct);
	assert_false(fd_has_odirect(r->f.fd));
	assert_int_equal(output_file_close(&r->f), 0);
	rig_stop(r);
}

/* ---- exactly the bytes encoded -------------------------------------------------------- */

/*
 * Random blocks (up to 16 KiB), over four rings' worth, so that many cross
 * the ring's end; now and then a flush or a background sync at whatever
 * offset the file has reached.
 */
static void check_exact_bytes(const char *base, enum output_io_mode mode)
{
	struct rig *r = rig_start(base, mode);
	size_t target = 4 * (size_t)OUTPUT_FILE_RING + 12345;
	unsigned int flushes = 0, syncs = 0;
	int w0 = atomic_load(&writes), d0 = atomic_load(&direct_writes), dw, all;

	add_headers(r);
	while (r->used < target) {
		uint32_t x = rnd(r);

		assert_int_equal(add_epb(r, 1 + x % 16000), 0);
		if (x % 997 == 0) {
			assert_int_equal(output_file_flush(&r->f), 0);
			assert_true(r->f.bytes_written == r->used);
			flushes++;
		} else if (x % 1499 == 0) {
			assert_int_equal(output_file_sync_start(&r->f), 0);
			syncs++;
		}
	}
	/* Mid-file, after a flush: the file is the bytes so far, its last block partial. */
	assert_int_equal(output_file_flush(&r->f), 0);
	assert_file_is(r->path, r->expect, r->used);
	assert_int_equal(add_epb(r, 77), 0);
	assert_int_equal(output_file_close(&r->f), 0);
	dw = atomic_load(&direct_writes) - d0;
	all = atomic_load(&writes) - w0;
	print_message("%s, %s: %zu bytes (%zu mod 4096), %u flushes, %u syncs: %d pwrite() calls, "
		      "%d with O_DIRECT\n", base, mode == OUTPUT_IO_AUTO ? "auto" : "buffered",
		      r->used, r->used % 4096, flushes, syncs, all, dw);
	assert_file_is(r->path, r->expect, r->used);
	assert_true(r->used % 4096 != 0);
	if (mode == OUTPUT_IO_BUFFERED || on_tmpfs(base))
		assert_int_equal(dw, 0);
	else
		assert_true(dw > all / 2); /* the partial blocks at flushes are the others */
	rig_stop(r);
}

static void test_exact_bytes_direct(void **state)
{
	(void)state;
	check_exact_bytes("/tmp", OUTPUT_IO_AUTO);
}

static void test_exact_bytes_buffered(void **state)
{
	(void)state;
	check_exact_bytes("/tmp", OUTPUT_IO_BUFFERED);
}

static void test_exact_bytes_tmpfs(void **state)
{
	(void)state;
	if (!on_tmpfs("/dev/shm"))
		skip();
	check_exact_bytes("/dev/shm", OUTPUT_IO_AUTO);
}

/* ---- a failed span ------------------------------------------------------------------- */

/* The file cut back to whole blocks, those intact; the rest dropped; the file goes on. */
static void check_failed_span(const char *base, enum output_io_mode mode)
{
	struct rig *r = rig_start(base, mode);
	const uint8_t *data;
	size_t on_disk, unwritten, i;
	uint64_t dropped;
	int ret = 0;

	add_headers(r);
	for (i = 0; i < 3000; i++)
		assert_int_equal(add_epb(r, 1 + rnd(r) % 3000), 0);
	assert_int_equal(output_file_flush(&r->f), 0);
	for (i = 0; i < 2000; i++)
		assert_int_equal(add_epb(r, 1 + rnd(r) % 3000), 0);
	atomic_store(&cut_next, 1);
	ret = output_file_flush(&r->f);
	assert_int_equal(ret, -ENOSPC);
	on_disk = (size_t)r->f.bytes_written;
	print_message("%s: a span cut short and failed: %zu of %zu bytes kept\n",
		      r->f.direct ? "direct" : "buffered", on_disk, r->used);
	assert_true(on_disk < r->used);
	assert_file_is(r->path, r->expect, on_disk); /* whole blocks, intact */
	unwritten = output_file_unwritten(&r->f, &data);
	assert_int_equal(unwritten, r->used - on_disk);
	assert_memory_equal(data, r->expect + on_disk, unwritten); /* contiguous, in order */
	dropped = output_file_discard(&r->f);
	assert_true(dropped > 0);
	r->used = on_disk;
	for (i = 0; i < 500; i++)
		assert_int_equal(add_epb(r, 1 + rnd(r) % 3000), 0);
	assert_int_equal(output_file_close(&r->f), 0);
	assert_file_is(r->path, r->expect, r->used);
	rig_stop(r);
}

static void test_failed_span_direct(void **state)
{
	(void)state;
	check_failed_span("/tmp", OUTPUT_IO_AUTO);
}

static void test_failed_span_buffered(void **state)
{
	(void)state;
	check_failed_span("/tmp", OUTPUT_IO_BUFFERED);
}

/* ---- patching written bytes ------------------------------------------------------------ */

static void test_patch_survives_the_next_span(void **state)
{
	struct rig *r = rig_start("/tmp", OUTPUT_IO_AUTO);
	static const char words[] = "patched";
	size_t at, i;

	(void)state;
	add_headers(r);
	assert_int_equal(add_epb(r, 100), 0);
	assert_int_equal(output_file_flush(&r->f), 0); /* a partial first block, written */
	at = r->used - 60; /* inside the frame, in the block the next span starts with */
	assert_int_equal(output_file_patch(&r->f, at, words, sizeof(words) - 1), 0);
	memcpy(r->expect + at, words, sizeof(words) - 1);
	assert_int_equal(output_file_patch(&r->f, r->used, "x", 1), -EINVAL); /* not written */
	for (i = 0; i < 2000; i++)
		assert_int_equal(add_epb(r, 1 + rnd(r) % 3000), 0);
	assert_int_equal(output_file_close(&r->f), 0);
	assert_file_is(r->path, r->expect, r->used);
	rig_stop(r);
}

/* ---- a span torn by a crash ------------------------------------------------------------- */

static void test_torn_direct_span_recovers_to_valid_prefix(void **state)
{
	struct rig *r = rig_start("/tmp", OUTPUT_IO_AUTO);
	struct recover_result res;
	char err[256];
	size_t i, torn, blocks_end;
	uint8_t *copy;

	(void)state;
	add_headers(r);
	for (i = 0; i < 1000; i++)
		assert_int_equal(add_epb(r, 1 + rnd(r) % 3000), 0);
	assert_int_equal(output_file_close(&r->f), 0);
	blocks_end = r->used;
	/* The end of a span never reached the disk: a 4 KiB-aligned stretch of zeros. */
	torn = (r->used / 2) & ~(size_t)4095;
	copy = malloc(r->used);
	assert_non_null(copy);
	memcpy(copy, r->expect, r->used);
	memset(copy + torn, 0, 3 * 4096);
	assert_int_equal(recover_scan(copy, r->used, &res, err, sizeof(err)), 0);
	assert_true(res.valid_len <= torn && res.valid_len + 3000 + 64 > torn);
	assert_int_equal(recover_scan(r->expect, res.valid_len, &res, err, sizeof(err)), 0);
	assert_int_equal(res.cut_bytes, 0); /* a prefix of whole, valid blocks */
	/* The file short, cut at an aligned offset inside a block. */
	assert_int_equal(recover_scan(r->expect, torn, &res, err, sizeof(err)), 0);
	assert_true(res.valid_len <= torn && res.cut_bytes == torn - res.valid_len);
	assert_true(res.valid_len < blocks_end);
	free(copy);
	rig_stop(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tmp_is_direct_with_odirect_set),
		cmocka_unit_test(test_tmpfs_is_buffered_and_direct_refused),
		cmocka_unit_test(test_buffered_forced_on_tmp),
		cmocka_unit_test(test_exact_bytes_direct),
		cmocka_unit_test(test_exact_bytes_buffered),
		cmocka_unit_test(test_exact_bytes_tmpfs),
		cmocka_unit_test(test_failed_span_direct),
		cmocka_unit_test(test_failed_span_buffered),
		cmocka_unit_test(test_patch_survives_the_next_span),
		cmocka_unit_test(test_torn_direct_span_recovers_to_valid_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
