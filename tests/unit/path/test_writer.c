// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the writing path as a whole: frame queues -> writer thread
 * -> file set -> output_file's ring and I/O thread -> a file in a
 * temporary directory, read back with the PCAPNG reader.
 *
 * The test binary is linked with --wrap=write,--wrap=pwrite,--wrap=malloc,...
 * so it sees every write() and pwrite() (output_file.c's spans) and every
 * allocation vpncap's code makes:
 *  - steady state: no allocation per frame, and no more write calls than
 *    one per OUTPUT_FILE_PIECE written (plus one per lap of the ring and a
 *    small constant), and at least one per lap of the ring;
 *  - the ring: while the I/O thread is stuck in a write(), the writer
 *    thread still takes frames off the queue (encoding never waits for the
 *    file system unless the ring is full);
 *  - the periodic sync (--wrap=fdatasync too): while the fdatasync the
 *    file set asked for is stuck, the writer takes three rings' worth of
 *    frames off the queue and every one reaches the file;
 *  - a write failing with ENOSPC, learnt a piece or so later: frames written
 *    plus frames dropped is exactly what was pushed, and the file holds
 *    exactly the frames counted as written;
 *  - the merge of several queues: records come out in time order, all of
 *    them, and writer_finish drains every queue.
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
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "store/fileset.h"
#include "path/frame_queue.h"
#include "pcapng.h"
#include "pcapng_reader.h"
#include "path/writer.h"

/* ---- the wrapped calls ------------------------------------------------------------ */

ssize_t __real_write(int fd, const void *buf, size_t len);
ssize_t __real_pwrite(int fd, const void *buf, size_t len, off_t off);
int __real_fdatasync(int fd);
void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);

static atomic_ulong writes;             /* write() calls */
static atomic_ulong allocations;        /* malloc, calloc, realloc calls */
static atomic_int write_gate_closed;    /* write() waits while set */
static atomic_int writes_waiting;       /* write() calls stuck at the gate */
static atomic_int failing_writes;       /* the next N write() calls fail with ENOSPC */
static atomic_int sync_gate_closed;     /* fdatasync() waits while set */
static atomic_int syncs_waiting;        /* fdatasync() calls stuck at the gate */

/* write() and pwrite() alike (output_file.c pwrite()s its spans): 0 to go on, or -1. */
static int wrapped_write(void)
{
	atomic_fetch_add(&writes, 1);
	if (atomic_load(&write_gate_closed)) {
		atomic_fetch_add(&writes_waiting, 1);
		while (atomic_load(&write_gate_closed))
			usleep(1000);
		atomic_fetch_sub(&writes_waiting, 1);
	}
	if (atomic_load(&failing_writes) > 0) {
		atomic_fetch_sub(&failing_writes, 1);
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

ssize_t __wrap_write(int fd, const void *buf, size_t len)
{
	return wrapped_write() ? -1 : __real_write(fd, buf, len);
}

ssize_t __wrap_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	return wrapped_write() ? -1 : __real_pwrite(fd, buf, len, off);
}

int __wrap_fdatasync(int fd)
{
	if (atomic_load(&sync_gate_closed)) {
		atomic_fetch_add(&syncs_waiting, 1);
		while (atomic_load(&sync_gate_closed))
			usleep(1000);
		atomic_fetch_sub(&syncs_waiting, 1);
	}
	return __real_fdatasync(fd);
}

void *__wrap_malloc(size_t size)
{
	atomic_fetch_add(&allocations, 1);
	return __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	atomic_fetch_add(&allocations, 1);
	return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	atomic_fetch_add(&allocations, 1);
	return __real_realloc(p, size);
}

/* ---- a capture in a temporary directory ----------------------------------------------- */

#define MIB ((size_t)1 << 20)
#define NS_PER_SEC 1000000000ull

static const struct pcapng_shb_info shb = { "test", "Linux", "vpncap test_writer" };
static const struct pcapng_idb_info idbs[2] = {
	{ .linktype = PCAPNG_LINKTYPE_ETHERNET, .snaplen = 262144, .name = "t0" },
	{ .linktype = PCAPNG_LINKTYPE_ETHERNET, .snaplen = 262144, .name = "t1" },
};

static void fill_isb(void *ctx, unsigned int if_id, struct pcapng_isb_info *isb,
		     char *comment, size_t len)
{
	(void)ctx;
	(void)if_id;
	isb->starttime_ns = isb->endtime_ns = isb->ts_ns;
	isb->ifrecv = isb->ifdrop = isb->filteraccept = isb->osdrop = PCAPNG_ISB_UNSET;
	snprintf(comment, len, "test_writer");
}

struct rig {
	char dir[64];
	char path[128];
	struct frame_queue queues[2];
	struct frame_queue *qp[2];
	unsigned int n_queues;
	struct fileset fs;
	struct writer w;
	uint8_t frame[2048];
	/* Called for each EPB as rig_finish() reads the file back, when set. */
	void (*on_epb)(const struct pcapng_epb_view *epb);
};

static struct rig *rig_open(unsigned int n_queues, size_t queue_bytes, uint64_t sync_ns,
			    enum output_io_mode io_mode)
{
	struct fileset_config cfg = {
		.is_dir = 0,
		.tag = "t0",
		.sync_ns = sync_ns,
		.output_io = io_mode,
		.shb = &shb,
		.idbs = idb_set_new(idbs, 2),
		.fill_isb = fill_isb,
	};
	struct rig *r = calloc(1, sizeof(*r));
	char err[256];
	unsigned int i;

	assert_non_null(r);
	snprintf(r->dir, sizeof(r->dir), "/tmp/test_writer.XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	snprintf(r->path, sizeof(r->path), "%s/out.pcapng", r->dir);
	cfg.path = r->path;
	for (i = 0; i < sizeof(r->frame); i++)
		r->frame[i] = (uint8_t)(i * 7 + 1);
	r->n_queues = n_queues;
	for (i = 0; i < n_queues; i++) {
		assert_int_equal(frame_queue_init(&r->queues[i], queue_bytes), 0);
		r->qp[i] = &r->queues[i];
	}
	assert_non_null(cfg.idbs);
	assert_int_equal(fileset_open(&r->fs, &cfg, err, sizeof(err)), 0);
	idb_set_unref(cfg.idbs);        /* the file set holds its own reference */
	assert_int_equal(fileset_start(&r->fs, clock_real_ns(), err, sizeof(err)), 0);
	return r;
}

static struct rig *rig_start_syncing(unsigned int n_queues, size_t queue_bytes,
				     uint64_t sync_ns)
{
	return rig_open(n_queues, queue_bytes, sync_ns, OUTPUT_IO_AUTO);
}

static struct rig *rig_start(unsigned int n_queues, size_t queue_bytes)
{
	return rig_start_syncing(n_queues, queue_bytes, 3600 * NS_PER_SEC); /* no periodic sync */
}

static void rig_run_writer(struct rig *r)
{
	assert_int_equal(writer_start(&r->w, r->qp, r->n_queues, &r->fs), 0);
}

/* Finish, close, and read the file back: the frames' timestamps in file order. */
static size_t rig_finish(struct rig *r, uint64_t **ts_out)
{
	struct pcapng_reader rd;
	struct pcapng_block blk;
	uint64_t *ts = NULL;
	size_t n = 0, cap = 0;
	struct stat st;
	void *map;
	unsigned int i;
	int fd, ret;

	writer_finish(&r->w);
	assert_int_equal(fileset_close(&r->fs, clock_real_ns()), 0);
	fd = open(r->path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(map != MAP_FAILED);
	pcapng_reader_init(&rd, map, (size_t)st.st_size);
	while ((ret = pcapng_next_block(&rd, &blk)) == 1) {
		struct pcapng_epb_view epb;

		if (blk.type != PCAPNG_BT_EPB)
			continue;
		assert_int_equal(pcapng_parse_epb(&rd, &blk, &epb), 0);
		if (r->on_epb)
			r->on_epb(&epb);
		if (n == cap) {
			cap = cap ? 2 * cap : 4096;
			ts = realloc(ts, cap * sizeof(*ts));
			assert_non_null(ts);
		}
		ts[n++] = epb.ts_raw;
	}
	assert_int_equal(ret, 0); /* the whole file is valid PCAPNG */
	munmap(map, (size_t)st.st_size);
	close(fd);
	unlink(r->path);
	rmdir(r->dir);
	for (i = 0; i < r->n_queues; i++)
		frame_queue_destroy(&r->queues[i]);
	*ts_out = ts;
	return n;
}

static void push_one(struct rig *r, unsigned int qi, uint64_t ts, uint32_t len)
{
	struct frame_rec rec = {
		.if_id = qi,
		.ts_ns = ts,
		.caplen = len,
		.origlen = len,
		.queue = qi,
	};
	const struct timespec pause = { 0, 100000 };

	while (frame_queue_push(&r->queues[qi], &rec, r->frame)) {
		frame_queue_publish(&r->queues[qi]);
		nanosleep(&pause, NULL); /* the capture would drop; a test waits */
	}
}

/* Everything pushed so far taken by the writer (or timeout_ms passed): 1 if taken. */
static int wait_drained(struct frame_queue *q, int timeout_ms)
{
	for (int i = 0; i < timeout_ms; i++) {
		if (atomic_load(&q->tail) == q->prod_head)
			return 1;
		usleep(1000);
	}
	return atomic_load(&q->tail) == q->prod_head;
}

static uint64_t ts_base(void)
{
	return 1700000000ull * NS_PER_SEC;
}

/* ---- steady state: syscalls and allocations ----------------------------------------- */

#define STEADY_FRAMES 40000u
#define STEADY_LEN 1200u

static void test_steady_state_writes_and_allocations(void **state)
{
	struct rig *r = rig_start(1, 8 * MIB);
	unsigned long writes0, allocs0, writes1, allocs1;
	uint64_t size0, size1, i, *ts;
	size_t n;

	(void)state;
	rig_run_writer(r);
	/* Warm-up: the writer thread runs, the first buffer has gone out. */
	for (i = 0; i < 4000; i++)
		push_one(r, 0, ts_base() + i, STEADY_LEN);
	frame_queue_publish(&r->queues[0]);
	assert_true(wait_drained(&r->queues[0], 10000));
	usleep(200000); /* a tick or two of housekeeping */
	writes0 = atomic_load(&writes);
	allocs0 = atomic_load(&allocations);
	size0 = output_file_size(&r->fs.file); /* less than two pieces of it not yet written */

	for (i = 0; i < STEADY_FRAMES; i++) {
		push_one(r, 0, ts_base() + 4000 + i, STEADY_LEN);
		if (i % 64 == 63)
			frame_queue_publish(&r->queues[0]);
	}
	frame_queue_publish(&r->queues[0]);
	assert_true(wait_drained(&r->queues[0], 10000));
	usleep(200000);
	writes1 = atomic_load(&writes);
	allocs1 = atomic_load(&allocations);
	size1 = output_file_size(&r->fs.file); /* read while the writer idles */

	print_message("%u frames of %u B: %lu write() calls for %llu bytes (%u-byte pieces, "
		      "%u-byte ring), %lu allocations\n", STEADY_FRAMES, STEADY_LEN,
		      writes1 - writes0, (unsigned long long)(size1 - size0), OUTPUT_FILE_PIECE,
		      OUTPUT_FILE_RING, allocs1 - allocs0);
	assert_true(allocs1 == allocs0);
	/* Spans of a piece or more; shorter only where a lap of the ring ends. */
	assert_true(writes1 - writes0 <= (size1 - size0) / OUTPUT_FILE_PIECE +
		    (size1 - size0) / OUTPUT_FILE_RING + 3);
	assert_true(writes1 - writes0 >= (size1 - size0) / OUTPUT_FILE_RING);

	n = rig_finish(r, &ts);
	assert_int_equal(n, 4000 + STEADY_FRAMES);
	assert_true(r->fs.stats.frames_written == n);
	free(ts);
	free(r);
}

/* ---- the ring: a stuck write() does not stop encoding ------------------------------------ */

static void test_encoding_goes_on_while_a_write_blocks(void **state)
{
	struct rig *r = rig_start(1, 32 * MIB);
	/*
	 * About 3/4 of the ring in EPBs (6 MiB, what the two 4 MiB buffers of
	 * old took too): the first piece goes out and its write() blocks, the
	 * rest is encoded meanwhile.
	 */
	const uint64_t frames = (OUTPUT_FILE_RING / 4 * 3) / 1300;
	uint64_t i, *ts;
	int drained;

	(void)state;
	rig_run_writer(r);
	atomic_store(&write_gate_closed, 1);
	for (i = 0; i < frames; i++)
		push_one(r, 0, ts_base() + i, 1200);
	frame_queue_publish(&r->queues[0]);
	drained = wait_drained(&r->queues[0], 5000);
	print_message("write() calls stuck: %d; queue drained meanwhile: %s\n",
		      atomic_load(&writes_waiting), drained ? "yes" : "no");
	assert_int_equal(atomic_load(&writes_waiting), 1);
	atomic_store(&write_gate_closed, 0);
	assert_true(drained);
	assert_int_equal(rig_finish(r, &ts), frames);
	free(ts);
	free(r);
}

/* ---- the periodic sync: a stuck fdatasync does not stop writing ---------------------------- */

static int wait_syncs_waiting(int timeout_ms)
{
	for (int i = 0; i < timeout_ms && !atomic_load(&syncs_waiting); i++)
		usleep(1000);
	return atomic_load(&syncs_waiting);
}

static void test_writing_goes_on_while_fdatasync_blocks(void **state)
{
	/* A sync asked at every tick of the writer; the queue holds all frames pushed. */
	struct rig *r = rig_start_syncing(1, 32 * MIB, NS_PER_SEC / 100);
	const uint64_t warm_up = 100, frames = 3 * OUTPUT_FILE_RING / 1200;
	uint64_t i, *ts;
	int stuck, stuck_after, drained;

	(void)state;
	atomic_store(&sync_gate_closed, 1);
	rig_run_writer(r);
	for (i = 0; i < warm_up; i++)
		push_one(r, 0, ts_base() + i, 1200);
	frame_queue_publish(&r->queues[0]);
	stuck = wait_syncs_waiting(5000); /* the writer ticks every 100 ms */
	for (; i < warm_up + frames; i++) {
		push_one(r, 0, ts_base() + i, 1200);
		if (i % 64 == 63)
			frame_queue_publish(&r->queues[0]);
	}
	frame_queue_publish(&r->queues[0]);
	/* Taken off the queue means encoded into the ring: 3 rings, so 2 written. */
	drained = wait_drained(&r->queues[0], 10000);
	stuck_after = atomic_load(&syncs_waiting);
	atomic_store(&sync_gate_closed, 0);
	print_message("fdatasync stuck: %d; %llu frames of 1200 B drained meanwhile: %s\n",
		      stuck_after, (unsigned long long)frames, drained ? "yes" : "no");
	assert_int_equal(stuck, 1);
	assert_int_equal(stuck_after, 1);
	assert_true(drained);
	assert_int_equal(rig_finish(r, &ts), warm_up + frames);
	assert_true(r->fs.stats.dropped_write_error == 0);
	free(ts);
	free(r);
}

/* ---- ENOSPC learnt late: counts stay exact --------------------------------------------- */

static void test_disk_full_counts_exact(void **state)
{
	struct rig *r = rig_start(1, 32 * MIB);
	const uint64_t frames = 20000;
	uint64_t i, *ts;
	size_t n;

	(void)state;
	rig_run_writer(r);
	for (i = 0; i < frames; i++) {
		if (i == frames / 4)
			atomic_store(&failing_writes, 3); /* a span, its retry, and the next */
		push_one(r, 0, ts_base() + i, 1000);
		if (i % 64 == 63)
			frame_queue_publish(&r->queues[0]);
	}
	n = rig_finish(r, &ts);
	print_message("%llu pushed: %llu written, %llu dropped (disk full), %llu write errors\n",
		      (unsigned long long)frames, (unsigned long long)r->fs.stats.frames_written,
		      (unsigned long long)r->fs.stats.dropped_disk_full,
		      (unsigned long long)r->fs.stats.dropped_write_error);
	assert_int_equal(atomic_load(&failing_writes), 0);
	assert_true(r->fs.stats.dropped_disk_full > 0);
	assert_true(r->fs.stats.frames_written + r->fs.stats.dropped_disk_full +
		    r->fs.stats.dropped_write_error == frames);
	assert_true(n == r->fs.stats.frames_written);
	for (i = 1; i < n; i++)
		assert_true(ts[i] > ts[i - 1]);
	free(ts);
	free(r);
}

/* ---- several queues ---------------------------------------------------------------------- */

/* Both queues full before the writer starts: a perfect merge, and finish drains both. */
static void test_merge_in_time_order(void **state)
{
	struct rig *r = rig_start(2, 4 * MIB);
	const uint64_t per_queue = 3000;
	uint64_t i, *ts;
	size_t n;

	(void)state;
	for (i = 0; i < per_queue; i++) {
		push_one(r, 0, ts_base() + 2 * i, 100);         /* even times */
		push_one(r, 1, ts_base() + 2 * i + 1, 60);      /* odd times */
	}
	/* Both published before the writer looks: it sees every head from the start. */
	frame_queue_publish(&r->queues[0]);
	frame_queue_publish(&r->queues[1]);
	rig_run_writer(r);
	n = rig_finish(r, &ts);
	assert_int_equal(n, 2 * per_queue);
	for (i = 0; i < n; i++)
		assert_true(ts[i] == ts_base() + i);
	free(ts);
	free(r);
}

struct producer {
	struct rig *r;
	unsigned int qi;
	uint64_t count;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	uint64_t i;

	for (i = 0; i < p->count; i++) {
		/* Queue qi carries times = qi (mod 2), rising: the file must keep each queue's order. */
		push_one(p->r, p->qi, ts_base() + 2 * i + p->qi, 64 + (uint32_t)(i % 200));
		if (i % 64 == 63)
			frame_queue_publish(&p->r->queues[p->qi]);
	}
	frame_queue_publish(&p->r->queues[p->qi]);
	return NULL;
}

static void test_two_producers_all_written(void **state)
{
	struct rig *r = rig_start(2, 1 * MIB);
	struct producer p[2] = { { r, 0, 200000 }, { r, 1, 150000 } };
	uint64_t last[2] = { 0, 0 }, got[2] = { 0, 0 }, *ts;
	pthread_t th[2];
	size_t n, i;

	(void)state;
	rig_run_writer(r);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, produce, &p[i]), 0);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	n = rig_finish(r, &ts);
	assert_int_equal(n, p[0].count + p[1].count);
	for (i = 0; i < n; i++) {
		unsigned int qi = (unsigned int)(ts[i] & 1);

		assert_true(got[qi] == 0 || ts[i] > last[qi]);
		last[qi] = ts[i];
		got[qi]++;
	}
	assert_true(got[0] == p[0].count && got[1] == p[1].count);
	free(ts);
	free(r);
}

/* ---- frames held by reference until written ------------------------------------------ */

/*
 * Each producer has a small pool of buffers, reused as soon as the queue
 * gives one back (reclaim), as a UMEM frame goes back to the fill ring,
 * and writes its frame's sequence number and queue into it. The file is
 * buffered, so the file set writes each frame from its buffer after the
 * writer has moved on: a buffer given back before its frame was written
 * would put a later number into the file.
 */
#define REF_POOL 64
#define REF_LEN 200u

struct ref_producer {
	struct rig *r;
	unsigned int qi;
	uint64_t count;
	uint8_t bufs[REF_POOL][REF_LEN];
	unsigned int free_stack[REF_POOL];
	unsigned int n_free;
};

static void ref_back(void *ctx, uint64_t token)
{
	struct ref_producer *p = ctx;

	assert_true(p->n_free < REF_POOL);
	p->free_stack[p->n_free++] = (unsigned int)token;
}

static void *produce_refs(void *arg)
{
	struct ref_producer *p = arg;
	struct frame_queue *q = &p->r->queues[p->qi];
	uint64_t seq = 0;

	while (seq < p->count) {
		struct frame_rec rec = {
			.if_id = p->qi, .ts_ns = ts_base() + 2 * seq + p->qi,
			.caplen = REF_LEN, .origlen = REF_LEN, .queue = p->qi,
		};
		unsigned int b;

		if (!p->n_free && !frame_queue_reclaim(q)) {
			frame_queue_publish(q);
			usleep(50);
			continue;
		}
		b = p->free_stack[--p->n_free];
		memset(p->bufs[b], (int)(seq & 0xff), REF_LEN);
		memcpy(p->bufs[b], &seq, sizeof(seq));
		p->bufs[b][8] = (uint8_t)p->qi;
		if (frame_queue_push_ref(q, &rec, p->bufs[b], b)) {
			p->free_stack[p->n_free++] = b;
			continue;
		}
		seq++;
		if (!(seq % 16))
			frame_queue_publish(q);
	}
	frame_queue_publish(q);
	while (frame_queue_refs_out(q)) { /* the pool comes home: everything written */
		frame_queue_reclaim(q);
		usleep(100);
	}
	return NULL;
}

static atomic_ulong ref_frames_checked;

static void check_ref_frame(const struct pcapng_epb_view *epb)
{
	unsigned int qi = (unsigned int)(epb->ts_raw & 1);
	uint64_t seq = (epb->ts_raw - ts_base() - qi) / 2, seen;

	assert_int_equal(epb->caplen, REF_LEN);
	memcpy(&seen, epb->frame, sizeof(seen));
	assert_int_equal(seen, seq);
	assert_int_equal(epb->frame[8], qi);
	assert_int_equal(epb->frame[REF_LEN - 1], seq & 0xff);
	atomic_fetch_add(&ref_frames_checked, 1);
}

static void test_records_held_until_written(void **state)
{
	struct rig *r = rig_open(2, 1 * MIB, 3600 * NS_PER_SEC, OUTPUT_IO_BUFFERED);
	struct ref_producer *p = calloc(2, sizeof(*p));
	uint64_t *ts;
	pthread_t th[2];
	unsigned int i, b;
	size_t n;

	(void)state;
	assert_non_null(p);
	assert_false(r->fs.file.direct);
	output_io_set_ref_min(&r->fs.io, 0); /* every frame written from its buffer */
	for (i = 0; i < 2; i++) {
		p[i] = (struct ref_producer){ .r = r, .qi = i, .count = 100000 };
		for (b = 0; b < REF_POOL; b++)
			p[i].free_stack[p[i].n_free++] = b;
		frame_queue_set_reclaim(&r->queues[i], ref_back, &p[i], REF_POOL / 2);
	}
	rig_run_writer(r);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, produce_refs, &p[i]), 0);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	print_message("%llu frames by reference written from pools of %d buffers\n",
		      (unsigned long long)fileset_refs_added(&r->fs), REF_POOL);
	assert_int_equal(fileset_refs_added(&r->fs), p[0].count + p[1].count);
	atomic_store(&ref_frames_checked, 0);
	r->on_epb = check_ref_frame;
	n = rig_finish(r, &ts);
	assert_int_equal(n, p[0].count + p[1].count);
	assert_int_equal(atomic_load(&ref_frames_checked), n);
	free(ts);
	free(p);
	free(r);
}

static void test_bad_queue_counts(void **state)
{
	struct writer w;
	struct fileset fs;
	struct frame_queue *none[1] = { NULL };

	(void)state;
	memset(&w, 0, sizeof(w));
	assert_int_equal(writer_start(&w, none, 0, &fs), -EINVAL);
	assert_int_equal(writer_start(&w, none, WRITER_MAX_QUEUES + 1, &fs), -EINVAL);
	assert_false(w.started);
	writer_finish(&w); /* harmless on a writer that never started */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steady_state_writes_and_allocations),
		cmocka_unit_test(test_encoding_goes_on_while_a_write_blocks),
		cmocka_unit_test(test_writing_goes_on_while_fdatasync_blocks),
		cmocka_unit_test(test_disk_full_counts_exact),
		cmocka_unit_test(test_merge_in_time_order),
		cmocka_unit_test(test_two_producers_all_written),
		cmocka_unit_test(test_records_held_until_written),
		cmocka_unit_test(test_bad_queue_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
