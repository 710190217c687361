// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of output_file.c's periodic fdatasync, which runs on a sync
 * thread of its own so that the I/O thread goes on writing meanwhile.
 *
 * The test binary is linked with --wrap=pwrite,--wrap=fdatasync: pwrite()
 * calls are counted, and an fdatasync() can be held at a gate until the
 * test opens it, or made to fail with EIO. A test never waits for a held
 * call without a timeout, so code that syncs on the I/O thread, or lets a
 * file go under a running sync, fails these tests instead of hanging them.
 * They show:
 *  - while an fdatasync is held, three rings' worth of blocks are encoded
 *    and reach the file (an I/O thread waiting for the sync would have let
 *    less than one ring in), the sync asked for saw everything written
 *    before the request, and one request makes one fdatasync;
 *  - output_file_detach() and output_file_close() return only once a
 *    held fdatasync has returned, and return its EIO; the next file on the
 *    same output_io is synced through its own descriptor, not the old one,
 *    and does not inherit the error;
 *  - a background fdatasync failing with EIO is returned once, by a later
 *    output_file_sync_start(), and not again at close.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/output_file.h"
#include "pcapng.h"
#include "pcapng_reader.h"

/* ---- the wrapped calls ------------------------------------------------------------ */

ssize_t __real_pwrite(int fd, const void *buf, size_t len, off_t off);
int __real_fdatasync(int fd);

static atomic_int writes;               /* pwrite() calls */
static atomic_int sync_gate_closed;     /* fdatasync() waits while set */
static atomic_int syncs_waiting;        /* fdatasync() calls held at the gate */
static atomic_int syncs_begun;          /* fdatasync() calls */
static atomic_int syncs_returned;       /* fdatasync() calls that returned */
static atomic_int sync_fail_errno;      /* the next fdatasync() fails with this */
static atomic_llong size_at_sync;       /* the file's size when the last fdatasync() began */
static atomic_ullong inode_at_sync;     /* and its inode */

ssize_t __wrap_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	atomic_fetch_add(&writes, 1);
	return __real_pwrite(fd, buf, len, off);
}

int __wrap_fdatasync(int fd)
{
	struct stat st;
	int fail, ret;

	if (fstat(fd, &st) == 0) {
		atomic_store(&size_at_sync, (long long)st.st_size);
		atomic_store(&inode_at_sync, (unsigned long long)st.st_ino);
	}
	atomic_fetch_add(&syncs_begun, 1);
	if (atomic_load(&sync_gate_closed)) {
		atomic_fetch_add(&syncs_waiting, 1);
		while (atomic_load(&sync_gate_closed))
			usleep(1000);
		atomic_fetch_sub(&syncs_waiting, 1);
	}
	fail = atomic_exchange(&sync_fail_errno, 0);
	if (fail) {
		ret = -1;
	} else {
		ret = __real_fdatasync(fd);
		fail = errno;
	}
	atomic_fetch_add(&syncs_returned, 1);
	errno = fail;
	return ret;
}

/* ---- a output_file in a temporary directory ----------------------------------------- */

#define MIB ((uint64_t)1 << 20)
#define FRAME_LEN 1200u
#define WAIT_MS 10000

static const struct pcapng_shb_info shb = { "test", "Linux", "vpncap test_output_file_sync" };
static const struct pcapng_idb_info idb = {
	.linktype = PCAPNG_LINKTYPE_ETHERNET, .snaplen = 262144, .name = "t0",
};

struct rig {
	char dir[64];
	char path[2][128];
	struct output_io io;
	struct output_file f;
	uint64_t epbs;                  /* EPBs added to the file open now */
	uint8_t frame[FRAME_LEN];
};

static void rig_open_file(struct rig *r, unsigned int which)
{
	char err[256];

	assert_int_equal(output_file_open(&r->f, &r->io, -1, r->path[which], OUTPUT_FILE_NEW, err,
					  sizeof(err)), 0);
	assert_int_equal(output_file_begin(&r->f), 0);
	assert_int_equal(output_file_add_shb(&r->f, &shb), 0);
	assert_int_equal(output_file_add_idb(&r->f, &idb), 0);
	r->epbs = 0;
}

static struct rig *rig_start(void)
{
	struct rig *r = calloc(1, sizeof(*r));
	unsigned int i;

	assert_non_null(r);
	snprintf(r->dir, sizeof(r->dir), "/tmp/test_output_file_sync.XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	for (i = 0; i < 2; i++)
		snprintf(r->path[i], sizeof(r->path[i]), "%s/out%u.pcapng", r->dir, i);
	for (i = 0; i < FRAME_LEN; i++)
		r->frame[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(output_io_start(&r->io, OUTPUT_IO_AUTO), 0);
	atomic_store(&sync_gate_closed, 0);
	atomic_store(&sync_fail_errno, 0);
	rig_open_file(r, 0);
	return r;
}

static void rig_stop(struct rig *r)
{
	output_io_stop(&r->io);
	unlink(r->path[0]);
	unlink(r->path[1]);
	rmdir(r->dir);
	free(r);
}

/* EPBs until bytes more are encoded; 0 or the first error (any thread: no assert). */
static int add_frames(struct rig *r, uint64_t bytes)
{
	uint64_t end = output_file_size(&r->f) + bytes;

	while (output_file_size(&r->f) < end) {
		struct pcapng_epb_info epb = {
			.ts_ns = 1700000000000000000ull + r->epbs,
			.caplen = FRAME_LEN,
			.origlen = FRAME_LEN,
		};
		int ret = output_file_add_epb(&r->f, &epb, r->frame);

		if (ret)
			return ret;
		r->epbs++;
	}
	return 0;
}

/* counter reached want (or timeout_ms passed): 1 if it did. */
static int wait_for(atomic_int *counter, int want, int timeout_ms)
{
	for (int i = 0; i < timeout_ms && atomic_load(counter) < want; i++)
		usleep(1000);
	return atomic_load(counter) >= want;
}

static int64_t size_on_disk(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (int64_t)st.st_size;
}

/* The file is valid PCAPNG throughout: its EPBs. */
static uint64_t epbs_in(const char *path)
{
	struct pcapng_reader rd;
	struct pcapng_block blk;
	uint64_t n = 0;
	struct stat st;
	void *map;
	int fd = open(path, O_RDONLY), ret;

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(map != MAP_FAILED);
	pcapng_reader_init(&rd, map, (size_t)st.st_size);
	while ((ret = pcapng_next_block(&rd, &blk)) == 1)
		n += blk.type == PCAPNG_BT_EPB;
	assert_int_equal(ret, 0);
	munmap(map, (size_t)st.st_size);
	close(fd);
	return n;
}

/* ---- writes go on while an fdatasync is held ------------------------------------------- */

/* Plays the writer thread: encodes three rings' worth and flushes it. */
struct adder {
	struct rig *r;
	int ret;
	atomic_int done;
};

static void *add_three_rings(void *arg)
{
	struct adder *a = arg;

	a->ret = add_frames(a->r, 3ull * OUTPUT_FILE_RING);
	if (!a->ret)
		a->ret = output_file_flush(&a->r->f);
	atomic_store(&a->done, 1);
	return NULL;
}

static void test_writes_go_on_while_fdatasync_blocks(void **state)
{
	struct rig *r = rig_start();
	struct adder a = { .r = r };
	int writes0, writes_meanwhile, held_still, done;
	int64_t requested, on_disk_meanwhile;
	pthread_t th;

	(void)state;
	assert_int_equal(add_frames(r, MIB), 0);
	atomic_store(&syncs_begun, 0);
	atomic_store(&sync_gate_closed, 1);
	requested = (int64_t)output_file_size(&r->f);
	assert_int_equal(output_file_sync_start(&r->f), 0);
	assert_true(wait_for(&syncs_waiting, 1, WAIT_MS));

	writes0 = atomic_load(&writes);
	assert_int_equal(pthread_create(&th, NULL, add_three_rings, &a), 0);
	done = wait_for(&a.done, 1, WAIT_MS);
	writes_meanwhile = atomic_load(&writes) - writes0;
	on_disk_meanwhile = size_on_disk(r->path[0]);
	held_still = atomic_load(&syncs_waiting);
	atomic_store(&sync_gate_closed, 0); /* before asserting: the adder must end */
	pthread_join(th, NULL);

	print_message("fdatasync held: %d pwrite() calls, %lld bytes on disk (%lld at the request, "
		      "%u-byte ring); the sync saw %lld bytes\n", writes_meanwhile,
		      (long long)on_disk_meanwhile, (long long)requested, OUTPUT_FILE_RING,
		      (long long)atomic_load(&size_at_sync));
	assert_true(done);
	assert_int_equal(held_still, 1);
	assert_int_equal(a.ret, 0);
	/* Everything encoded reached the file, three rings past the request. */
	assert_true(on_disk_meanwhile == (int64_t)output_file_size(&r->f));
	assert_true(on_disk_meanwhile >= requested + 3 * (int64_t)OUTPUT_FILE_RING);
	assert_true(writes_meanwhile >= 3); /* a span is at most a ring */
	/* The sync came after what was asked for was written, and only once. */
	assert_true(atomic_load(&size_at_sync) >= requested);
	assert_int_equal(atomic_load(&syncs_begun), 1);

	assert_int_equal(output_file_close(&r->f), 0);
	assert_int_equal(epbs_in(r->path[0]), r->epbs);
	rig_stop(r);
}

/* ---- letting a file go waits for its sync ----------------------------------------------- */

enum let_go_by { BY_DETACH, BY_CLOSE };

struct letting_go {
	struct rig *r;
	enum let_go_by by;
	int syncs_before;
	int ret;
	int fd;
	int sync_had_returned;          /* when detach or close returned */
	atomic_int done;
};

static void *let_go(void *arg)
{
	struct letting_go *l = arg;

	if (l->by == BY_DETACH)
		l->ret = output_file_detach(&l->r->f, &l->fd);
	else
		l->ret = output_file_close(&l->r->f);
	l->sync_had_returned = atomic_load(&syncs_returned) > l->syncs_before;
	atomic_store(&l->done, 1);
	return NULL;
}

/* The next file on the same I/O and sync threads: synced through its own descriptor. */
static void check_next_file_synced_alone(struct rig *r)
{
	int returned;
	struct stat st;

	rig_open_file(r, 1);
	assert_int_equal(add_frames(r, MIB), 0);
	returned = atomic_load(&syncs_returned);
	assert_int_equal(output_file_sync_start(&r->f), 0); /* the old error is not carried over */
	assert_true(wait_for(&syncs_returned, returned + 1, WAIT_MS));
	assert_int_equal(stat(r->path[1], &st), 0);
	assert_true(atomic_load(&inode_at_sync) == (unsigned long long)st.st_ino);
	assert_int_equal(output_file_close(&r->f), 0);
	assert_int_equal(epbs_in(r->path[1]), r->epbs);
}

static void check_let_go_waits_for_sync(enum let_go_by by)
{
	struct rig *r = rig_start();
	struct letting_go l = { .r = r, .by = by, .fd = -1 };
	int returned_early;
	pthread_t th;

	assert_int_equal(add_frames(r, MIB), 0);
	atomic_store(&sync_gate_closed, 1);
	atomic_store(&sync_fail_errno, EIO);
	l.syncs_before = atomic_load(&syncs_returned);
	assert_int_equal(output_file_sync_start(&r->f), 0);
	assert_true(wait_for(&syncs_waiting, 1, WAIT_MS));

	assert_int_equal(pthread_create(&th, NULL, let_go, &l), 0);
	usleep(300000);
	returned_early = atomic_load(&l.done);
	atomic_store(&sync_gate_closed, 0);
	pthread_join(th, NULL);

	print_message("%s with an fdatasync held: returned %s it, with %d (%s)\n",
		      by == BY_DETACH ? "detach" : "close",
		      returned_early ? "before" : "after", l.ret, strerror(-l.ret));
	assert_false(returned_early);
	assert_true(l.sync_had_returned);
	assert_int_equal(l.ret, -EIO);
	if (by == BY_DETACH)
		assert_true(l.fd >= 0); /* kept open meanwhile: its number is not reused */
	check_next_file_synced_alone(r);
	if (l.fd >= 0)
		close(l.fd);
	rig_stop(r);
}

static void test_detach_waits_for_a_held_sync_and_returns_its_error(void **state)
{
	(void)state;
	check_let_go_waits_for_sync(BY_DETACH);
}

static void test_close_waits_for_a_held_sync_and_returns_its_error(void **state)
{
	(void)state;
	check_let_go_waits_for_sync(BY_CLOSE);
}

/* ---- a failed background sync is learnt once ---------------------------------------------- */

static void test_failed_sync_returned_once_by_a_later_request(void **state)
{
	struct rig *r = rig_start();
	int i, ret = 0, returned;

	(void)state;
	assert_int_equal(add_frames(r, MIB), 0);
	atomic_store(&sync_fail_errno, EIO);
	returned = atomic_load(&syncs_returned);
	assert_int_equal(output_file_sync_start(&r->f), 0);
	assert_true(wait_for(&syncs_returned, returned + 1, WAIT_MS));
	/* Learnt under the lock just after the call returns: the next requests see it. */
	for (i = 0; i < WAIT_MS && !ret; i++) {
		assert_int_equal(add_frames(r, FRAME_LEN), 0);
		ret = output_file_sync_start(&r->f);
		if (!ret)
			usleep(1000);
	}
	assert_int_equal(ret, -EIO);
	assert_int_equal(output_file_sync_start(&r->f), 0);
	assert_int_equal(output_file_close(&r->f), 0); /* once only */
	assert_int_equal(epbs_in(r->path[0]), r->epbs);
	rig_stop(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writes_go_on_while_fdatasync_blocks),
		cmocka_unit_test(test_detach_waits_for_a_held_sync_and_returns_its_error),
		cmocka_unit_test(test_close_waits_for_a_held_sync_and_returns_its_error),
		cmocka_unit_test(test_failed_sync_returned_once_by_a_later_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
