// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of a set's file completion off the writer thread: fsync,
 * close, rename and the directory's fsync run on post_jobs.c's completion
 * thread while the writer goes on with the next file.
 *
 * The test binary is linked with --wrap=fsync: an fsync of a chosen .part
 * file (or of the set's directory) made on any thread but the test's own,
 * which plays the writer thread, waits at a gate until the test opens it.
 * An fsync of a .part file on the writer's thread is counted, never held,
 * so a writer that completes files itself fails these tests instead of
 * hanging them. They show:
 *  - while the first file's fsync is held, the set has rotated and the
 *    next file's frames reach its .part on disk, the first file is still
 *    .part and its --on-rotate command has not run; once released, it gets
 *    its final name, and the command sees that name (not the .part);
 *  - fileset_close() returns only after a held completion finished, with
 *    every file under its final name;
 *  - with POST_JOBS_COMPLETING files held, the next file is completed on
 *    the writer thread, nothing counted as lost, and every --on-rotate
 *    command still runs in file order;
 *  - retention counts a file being completed once, even after its rename,
 *    and never deletes it;
 *  - a file whose fsync fails stays .part, gets no --on-rotate, and the
 *    next start repairs it;
 *  - files_completed counts only files that reached their final name, on
 *    either thread, files_incomplete those left .part (the first named, and
 *    why), and fileset_close() then fails;
 *  - each file's ISB counts that file's own frames by timestamp source,
 *    and each IDB's timestamp slot says the same once the file ends;
 *  - the probe of a set's directory does what the set will do, with the
 *    privileges it is run with (the capabilities vpncap keeps after start).
 */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/fileset.h"
#include "path/frame_queue.h"
#include "pcapng.h"
#include "pcapng_reader.h"
#include "privileges.h"

#define NS_PER_SEC 1000000000ull
#define T0 (1700000000ull * NS_PER_SEC)        /* a whole second: file k spans [T0 + k s, +1 s) */
#define FRAME_LEN 1000u
#define WAIT_MS 5000

/* ---- the wrapped fsync ------------------------------------------------------------ */

int __real_fsync(int fd);

static pthread_t writer_thread;         /* the test's thread */
static char set_dir[PATH_MAX];          /* the set's directory, resolved */
static atomic_int gate_closed;
static atomic_int gate_every_part;      /* hold every .part, not only gate_seq's */
static atomic_int gate_dir;             /* hold the directory's fsync too */
static char gate_seq[32];               /* "-000000.pcapng.part" */
static atomic_int fsyncs_held;          /* waiting at the gate now */
static atomic_int writer_part_fsyncs;   /* .part files fsynced on the writer thread */
static char failing_seq[32];            /* an fsync of this .part fails with EIO */

static int ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), e = strlen(end);

	return n >= e && !strcmp(s + n - e, end);
}

/* 1 when an fsync of path on a thread other than the writer's waits at the gate. */
static int held(const char *path)
{
	if (!atomic_load(&gate_closed))
		return 0;
	if (ends_with(path, ".part"))
		return atomic_load(&gate_every_part) || ends_with(path, gate_seq);
	return atomic_load(&gate_dir) && !strcmp(path, set_dir);
}

int __wrap_fsync(int fd)
{
	char link[64], path[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	path[n > 0 ? n : 0] = '\0';
	if (pthread_equal(pthread_self(), writer_thread)) {
		if (ends_with(path, ".part"))
			atomic_fetch_add(&writer_part_fsyncs, 1);
	} else if (held(path)) {
		atomic_fetch_add(&fsyncs_held, 1);
		while (held(path))
			usleep(1000);
		atomic_fetch_sub(&fsyncs_held, 1);
	}
	if (failing_seq[0] && ends_with(path, failing_seq)) {
		errno = EIO;
		return -1;
	}
	return __real_fsync(fd);
}

static void close_gate(const char *seq_part, int every_part, int dir)
{
	snprintf(gate_seq, sizeof(gate_seq), "%s", seq_part ? seq_part : "-none-");
	atomic_store(&gate_every_part, every_part);
	atomic_store(&gate_dir, dir);
	atomic_store(&gate_closed, 1);
}

static void open_gate(void)
{
	atomic_store(&gate_closed, 0);
}

/* ---- a set in a temporary directory ---------------------------------------------- */

static const struct pcapng_shb_info shb = { "test", "Linux", "vpncap test_fileset_completion" };
static const struct pcapng_idb_info idb = {
	.linktype = PCAPNG_LINKTYPE_ETHERNET, .snaplen = 262144, .name = "t0",
};

static void fill_isb(void *ctx, unsigned int if_id, struct pcapng_isb_info *isb,
		     char *comment, size_t len)
{
	(void)ctx;
	(void)if_id;
	isb->starttime_ns = isb->endtime_ns = isb->ts_ns;
	isb->ifrecv = isb->ifdrop = isb->filteraccept = isb->osdrop = PCAPNG_ISB_UNSET;
	snprintf(comment, len, "test_fileset_completion");
}

struct rig {
	char dir[64];
	char hook[128];                 /* the --on-rotate command */
	char hook_log[128];             /* "ok NAME" or "early NAME" per call */
	struct fileset fs;
	union {
		struct frame_rec rec;
		uint8_t bytes[sizeof(struct frame_rec) + FRAME_LEN];
	} frame;
};

/*
 * The hook says whether it was given the final name with the .part gone:
 * only then did it run after the rename.
 */
static void write_hook(struct rig *r)
{
	FILE *f;

	snprintf(r->hook, sizeof(r->hook), "%s/hook.sh", r->dir);
	snprintf(r->hook_log, sizeof(r->hook_log), "%s/hook.log", r->dir);
	f = fopen(r->hook, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n"
		   "if [ -f \"$1\" ] && [ ! -e \"$1.part\" ]; then s=ok; else s=early; fi\n"
		   "echo \"$s ${1##*-}\" >> '%s'\n", r->hook_log);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(r->hook, 0755), 0);
}

static struct rig *rig_start_with(uint64_t max_files, const struct pcapng_idb_info *idbs,
				  unsigned int n_idbs)
{
	struct fileset_config cfg = {
		.is_dir = 1,
		.tag = "t0",
		.rotate_ns = NS_PER_SEC,
		.retention = { .max_files = max_files },
		.sync_ns = 1,           /* each tick flushes and fdatasyncs */
		.shb = &shb,
		.idbs = idb_set_new(idbs, n_idbs),
		.fill_isb = fill_isb,
	};
	struct rig *r = calloc(1, sizeof(*r));
	char err[256];

	assert_non_null(r);
	snprintf(r->dir, sizeof(r->dir), "/tmp/test_fileset_completion.XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	assert_non_null(realpath(r->dir, set_dir));
	write_hook(r);
	cfg.path = r->dir;
	cfg.on_rotate = r->hook;
	memset(r->frame.bytes, 0x5a, sizeof(r->frame.bytes));
	writer_thread = pthread_self();
	atomic_store(&writer_part_fsyncs, 0);
	assert_non_null(cfg.idbs);
	assert_int_equal(fileset_open(&r->fs, &cfg, err, sizeof(err)), 0);
	idb_set_unref(cfg.idbs);        /* the file set holds its own reference */
	assert_int_equal(fileset_start(&r->fs, T0, err, sizeof(err)), 0);
	return r;
}

static struct rig *rig_start(uint64_t max_files)
{
	return rig_start_with(max_files, &idb, 1);
}

static void rig_end(struct rig *r)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
	assert_int_equal(system(cmd), 0);
	free(r);
}

/* One frame at T0 + ns stamped as flags say, as the writer thread gives it to the set. */
static void write_frame_stamped(struct rig *r, uint64_t ns, uint32_t flags)
{
	r->frame.rec = (struct frame_rec){
		.size = sizeof(r->frame.bytes),
		.ts_ns = T0 + ns,
		.caplen = FRAME_LEN,
		.origlen = FRAME_LEN,
		.flags = flags,
	};
	fileset_write(&r->fs, &r->frame.rec);
}

static void write_frame(struct rig *r, uint64_t ns)
{
	write_frame_stamped(r, ns, FRAME_REC_TS_HOOK);
}

/* The path of member seq with suffix (".pcapng" or ".pcapng.part"), if it exists. */
static int member(const struct rig *r, unsigned int seq, const char *suffix, char *path,
		  size_t len)
{
	char end[64];
	struct dirent *de;
	DIR *d = opendir(r->dir);
	int found = 0;

	assert_non_null(d);
	snprintf(end, sizeof(end), "-%06u%s", seq, suffix);
	while (!found && (de = readdir(d)))
		if (!strncmp(de->d_name, "vpncap-t0-", 10) && ends_with(de->d_name, end)) {
			snprintf(path, len, "%s/%s", r->dir, de->d_name);
			found = 1;
		}
	closedir(d);
	return found;
}

static int has(const struct rig *r, unsigned int seq, const char *suffix)
{
	char path[PATH_MAX];

	return member(r, seq, suffix, path, sizeof(path));
}

static long long size_of(const struct rig *r, unsigned int seq, const char *suffix)
{
	char path[PATH_MAX];
	struct stat st;

	if (!member(r, seq, suffix, path, sizeof(path)) || stat(path, &st))
		return -1;
	return (long long)st.st_size;
}

static char *hook_calls(const struct rig *r)
{
	static char text[4096];
	FILE *f = fopen(r->hook_log, "r");
	size_t n = 0;

	if (f) {
		n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
	}
	text[n] = '\0';
	return text;
}

/* "ok 000000.pcapng\n" ... for seqs first..last. */
static void hook_calls_in_order(char *buf, size_t len, unsigned int first, unsigned int last)
{
	size_t used = 0;
	unsigned int s;

	buf[0] = '\0';
	for (s = first; s <= last; s++)
		used += (size_t)snprintf(buf + used, len - used, "ok %06u.pcapng\n", s);
}

static int wait_for_held(int n)
{
	int i;

	for (i = 0; i < WAIT_MS && atomic_load(&fsyncs_held) != n; i++)
		usleep(1000);
	return atomic_load(&fsyncs_held) == n;
}

static int wait_for_member(const struct rig *r, unsigned int seq, const char *suffix)
{
	int i;

	for (i = 0; i < WAIT_MS && !has(r, seq, suffix); i++)
		usleep(1000);
	return has(r, seq, suffix);
}

static int wait_for_size(const struct rig *r, unsigned int seq, long long size)
{
	int i;

	for (i = 0; i < WAIT_MS && size_of(r, seq, ".pcapng.part") < size; i++)
		usleep(1000);
	return size_of(r, seq, ".pcapng.part") >= size;
}

static int wait_for_hook_calls(const struct rig *r, const char *want)
{
	int i;

	for (i = 0; i < WAIT_MS && strcmp(hook_calls(r), want); i++)
		usleep(1000);
	return !strcmp(hook_calls(r), want);
}

static void expect_nothing_lost(const struct fileset_stats *st, uint64_t frames)
{
	assert_int_equal(st->frames_written, frames);
	assert_int_equal(st->dropped_disk_full, 0);
	assert_int_equal(st->dropped_min_free, 0);
	assert_int_equal(st->dropped_write_error, 0);
}

/* ---- the writer goes on while a completion waits ------------------------------------ */

static void test_next_file_written_while_fsync_blocks(void **state)
{
	struct rig *r;
	long long headers;
	char want[256];
	uint64_t i;

	(void)state;
	close_gate("-000000.pcapng.part", 0, 0);
	r = rig_start(0);
	for (i = 0; i < 10; i++)
		write_frame(r, i * 1000);
	write_frame(r, NS_PER_SEC); /* rotates: file 0 ends, file 1 opens */
	assert_int_equal(atomic_load(&writer_part_fsyncs), 0);
	assert_true(wait_for_held(1));
	headers = size_of(r, 1, ".pcapng.part"); /* written at open, before any frame */
	assert_true(headers > 0);
	for (i = 1; i < 50; i++)
		write_frame(r, NS_PER_SEC + i * 1000);
	fileset_tick(&r->fs, T0 + NS_PER_SEC + NS_PER_SEC / 2);
	print_message("file 0 held in fsync; file 1: %lld bytes of headers, then frames\n",
		      headers);
	assert_true(wait_for_size(r, 1, headers + 50 * FRAME_LEN));
	assert_true(has(r, 0, ".pcapng.part"));
	assert_false(has(r, 0, ".pcapng"));
	usleep(100000);
	assert_string_equal(hook_calls(r), ""); /* nothing runs before the rename */
	assert_int_equal(atomic_load(&fsyncs_held), 1);

	open_gate();
	assert_true(wait_for_member(r, 0, ".pcapng"));
	assert_false(has(r, 0, ".pcapng.part"));
	assert_true(wait_for_hook_calls(r, "ok 000000.pcapng\n"));
	assert_int_equal(fileset_close(&r->fs, T0 + NS_PER_SEC + NS_PER_SEC / 2), 0);
	hook_calls_in_order(want, sizeof(want), 0, 1);
	assert_string_equal(hook_calls(r), want);
	assert_true(has(r, 1, ".pcapng"));
	assert_false(has(r, 1, ".pcapng.part"));
	assert_int_equal(r->fs.stats.files_completed, 2);
	expect_nothing_lost(&r->fs.stats, 60);
	assert_int_equal(r->fs.post.completions, 1);
	assert_int_equal(r->fs.post.skipped, 0);
	rig_end(r);
}

/* ---- the end of the set waits ------------------------------------------------------- */

static atomic_int released;

static void *release_later(void *arg)
{
	(void)arg;
	usleep(300000);
	atomic_store(&released, 1);
	open_gate();
	return NULL;
}

static void test_close_waits_for_completion(void **state)
{
	struct rig *r;
	pthread_t th;

	(void)state;
	close_gate("-000000.pcapng.part", 0, 0);
	r = rig_start(0);
	write_frame(r, 0);
	write_frame(r, NS_PER_SEC);
	assert_true(wait_for_held(1));
	atomic_store(&released, 0);
	assert_int_equal(pthread_create(&th, NULL, release_later, NULL), 0);
	assert_int_equal(fileset_close(&r->fs, T0 + NS_PER_SEC + 1), 0);
	assert_int_equal(atomic_load(&released), 1); /* returned only after the release */
	pthread_join(th, NULL);
	assert_true(has(r, 0, ".pcapng") && has(r, 1, ".pcapng"));
	assert_false(has(r, 0, ".pcapng.part") || has(r, 1, ".pcapng.part"));
	assert_string_equal(hook_calls(r), "ok 000000.pcapng\nok 000001.pcapng\n");
	rig_end(r);
}

/* ---- a full completion queue --------------------------------------------------------- */

static void test_full_queue_completes_on_writer_thread(void **state)
{
	const unsigned int held_files = POST_JOBS_COMPLETING;
	struct rig *r;
	char want[2048];
	unsigned int s;

	(void)state;
	close_gate(NULL, 1, 0);
	r = rig_start(0);
	/* Files 0 .. held_files - 1 go to the completion thread, file held_files cannot. */
	for (s = 0; s <= held_files + 1; s++)
		write_frame(r, s * NS_PER_SEC);
	assert_true(wait_for_held(1));
	print_message("%u files held, file %u completed by the writer (%d fsyncs there)\n",
		      held_files, held_files, atomic_load(&writer_part_fsyncs));
	assert_int_equal(atomic_load(&writer_part_fsyncs), 1);
	assert_true(has(r, held_files, ".pcapng"));
	for (s = 0; s < held_files; s++)
		assert_true(has(r, s, ".pcapng.part") && !has(r, s, ".pcapng"));
	/* Only the file the writer completed itself is complete yet. */
	assert_int_equal(r->fs.stats.files_completed, 1);
	assert_int_equal(r->fs.stats.files_incomplete, 0);
	expect_nothing_lost(&r->fs.stats, held_files + 2);
	usleep(100000);
	assert_string_equal(hook_calls(r), ""); /* file held_files's waits for its elders' */

	open_gate();
	assert_int_equal(fileset_close(&r->fs, T0 + (held_files + 1) * NS_PER_SEC + 1), 0);
	for (s = 0; s <= held_files + 1; s++)
		assert_true(has(r, s, ".pcapng") && !has(r, s, ".pcapng.part"));
	hook_calls_in_order(want, sizeof(want), 0, held_files + 1);
	assert_string_equal(hook_calls(r), want);
	assert_int_equal(r->fs.stats.files_completed, held_files + 2);
	assert_int_equal(r->fs.post.completions, held_files);
	assert_int_equal(r->fs.post.completion_failures, 0);
	assert_int_equal(r->fs.post.skipped, 0);
	rig_end(r);
}

/* ---- retention and a file being completed ------------------------------------------- */

static void test_retention_counts_completing_file_once(void **state)
{
	struct rig *r;

	(void)state;
	/* File 0 held after its rename, in the directory's fsync: named, not yet complete. */
	close_gate(NULL, 0, 1);
	r = rig_start(3);
	write_frame(r, 0);
	write_frame(r, NS_PER_SEC);
	assert_true(wait_for_held(1));
	assert_true(has(r, 0, ".pcapng"));
	/* 0 (renamed, completing), 1 (waiting), 2 (current): 3 files, none to delete. */
	write_frame(r, 2 * NS_PER_SEC);
	assert_true(has(r, 0, ".pcapng"));
	assert_int_equal(r->fs.stats.files_deleted, 0);
	/* 4 files: 0 is the oldest, but still being completed: it goes later. */
	write_frame(r, 3 * NS_PER_SEC);
	assert_true(has(r, 0, ".pcapng"));
	assert_int_equal(r->fs.stats.files_deleted, 0);

	open_gate();
	assert_int_equal(fileset_close(&r->fs, T0 + 3 * NS_PER_SEC + 1), 0);
	assert_false(has(r, 0, ".pcapng"));
	assert_true(has(r, 1, ".pcapng") && has(r, 2, ".pcapng") && has(r, 3, ".pcapng"));
	assert_int_equal(r->fs.stats.files_deleted, 1);
	rig_end(r);
}

/* ---- a failed fsync ------------------------------------------------------------------ */

static void test_fsync_failure_leaves_part(void **state)
{
	struct fileset_config cfg;
	struct rig *r;
	char err[256];

	(void)state;
	open_gate();
	snprintf(failing_seq, sizeof(failing_seq), "-000000.pcapng.part");
	r = rig_start(0);
	cfg = r->fs.cfg;
	idb_set_ref(cfg.idbs);          /* for the second open: close drops the set's */
	write_frame(r, 0);
	write_frame(r, NS_PER_SEC);
	assert_int_equal(fileset_close(&r->fs, T0 + NS_PER_SEC + 1), -EIO);
	failing_seq[0] = '\0';
	assert_true(has(r, 0, ".pcapng.part") && !has(r, 0, ".pcapng"));
	assert_true(has(r, 1, ".pcapng"));
	assert_string_equal(hook_calls(r), "ok 000001.pcapng\n");
	assert_int_equal(r->fs.post.completion_failures, 1);
	assert_int_equal(r->fs.stats.files_completed, 1);
	assert_int_equal(r->fs.stats.files_incomplete, 1);
	assert_true(ends_with(r->fs.incomplete_first, "-000000.pcapng.part"));
	assert_string_equal(r->fs.incomplete_why, "fsync: Input/output error");

	/* The next start repairs it like any file left by a crash. */
	assert_int_equal(fileset_open(&r->fs, &cfg, err, sizeof(err)), 0);
	idb_set_unref(cfg.idbs);
	assert_int_equal(r->fs.stats.files_recovered, 1);
	assert_int_equal(fileset_close(&r->fs, T0 + 2 * NS_PER_SEC), 0);
	assert_true(has(r, 0, ".pcapng") && !has(r, 0, ".pcapng.part"));
	rig_end(r);
}

/* ---- the true counts: renames that fail ---------------------------------------------- */

/* A directory where member seq's final name goes: its rename fails (EISDIR). */
static void block_final_name(const struct rig *r, unsigned int seq)
{
	char name[512], path[PATH_MAX];

	fileset_format_name(name, sizeof(name), "t0", (int64_t)(T0 / NS_PER_SEC) + seq, seq,
			    FILESET_COMPLETE);
	snprintf(path, sizeof(path), "%s/%s", r->dir, name);
	assert_int_equal(mkdir(path, 0750), 0);
}

static void test_rename_failures_counted(void **state)
{
	struct rig *r;

	(void)state;
	open_gate();
	r = rig_start(0);
	block_final_name(r, 1);         /* completed on the completion thread */
	block_final_name(r, 2);         /* the last: completed by the writer at close */
	write_frame(r, 0);
	write_frame(r, NS_PER_SEC);
	write_frame(r, 2 * NS_PER_SEC);
	assert_int_equal(fileset_close(&r->fs, T0 + 2 * NS_PER_SEC + 1), -EISDIR);
	assert_true(has(r, 0, ".pcapng") && has(r, 1, ".pcapng.part") && has(r, 2, ".pcapng.part"));
	assert_int_equal(r->fs.stats.files_completed, 1);
	assert_int_equal(r->fs.stats.files_incomplete, 2);
	assert_true(ends_with(r->fs.incomplete_first, "-000001.pcapng.part"));
	assert_string_equal(r->fs.incomplete_why, "rename: Is a directory");
	assert_string_equal(hook_calls(r), "ok 000000.pcapng\n");
	rig_end(r);
}

static void test_all_completed_counted(void **state)
{
	struct rig *r;

	(void)state;
	open_gate();
	r = rig_start(0);
	write_frame(r, 0);
	write_frame(r, NS_PER_SEC);
	write_frame(r, 2 * NS_PER_SEC);
	assert_int_equal(fileset_close(&r->fs, T0 + 2 * NS_PER_SEC + 1), 0);
	assert_int_equal(r->fs.stats.files_completed, 3);
	assert_int_equal(r->fs.stats.files_incomplete, 0);
	assert_string_equal(r->fs.incomplete_first, "");
	rig_end(r);
}

/* ---- each file's ISB: its own frames by timestamp source ----------------------------- */

/* 1 when member seq (complete) contains text. */
static int file_says(const struct rig *r, unsigned int seq, const char *text)
{
	char path[PATH_MAX];
	static char buf[1 << 20];
	size_t n;
	FILE *f;

	if (!member(r, seq, ".pcapng", path, sizeof(path)))
		return 0;
	f = fopen(path, "rb");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return memmem(buf, n, text, strlen(text)) != NULL;
}

static void test_isb_counts_this_files_stamps(void **state)
{
	struct rig *r;

	(void)state;
	open_gate();
	r = rig_start(0);
	write_frame_stamped(r, 0, FRAME_REC_TS_HOOK | FRAME_REC_TS_HW);
	write_frame_stamped(r, 1000, FRAME_REC_TS_HOOK);
	write_frame_stamped(r, 2000, FRAME_REC_TS_HOOK);
	write_frame_stamped(r, 3000, 0);
	write_frame_stamped(r, NS_PER_SEC, 0);          /* file 1: per batch only */
	write_frame_stamped(r, NS_PER_SEC + 1000, 0);
	write_frame_stamped(r, 2 * NS_PER_SEC, FRAME_REC_TS_HOOK | FRAME_REC_TS_HW);
	assert_int_equal(fileset_close(&r->fs, T0 + 2 * NS_PER_SEC + 1), 0);
	assert_true(file_says(r, 0, "writer: this file: 4 frames, timestamps mixed: 1 by the nic, 2 at the hook, 1 per batch;"));
	assert_true(file_says(r, 1, "writer: this file: 2 frames, timestamps all per batch (no per-frame metadata);"));
	assert_true(file_says(r, 2, "writer: this file: 1 frames, timestamps all by the nic;"));
	assert_false(file_says(r, 1, "by the nic;"));
	rig_end(r);
}

/* Every block of member seq reads back whole (the slots kept their size). */
static int file_whole(const struct rig *r, unsigned int seq)
{
	static uint8_t buf[1 << 20];
	struct pcapng_reader rd;
	struct pcapng_block blk;
	char path[PATH_MAX];
	int ret, blocks = 0;
	size_t n;
	FILE *f;

	if (!member(r, seq, ".pcapng", path, sizeof(path)) || !(f = fopen(path, "rb")))
		return 0;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	pcapng_reader_init(&rd, buf, n);
	while ((ret = pcapng_next_block(&rd, &blk)) == 1)
		blocks++;
	return ret == 0 && blocks > 3;
}

static void test_idb_slot_says_what_the_frames_got(void **state)
{
	char slot[FILESET_TS_SLOT_LEN + 1], desc[2][300], want[FILESET_TS_SLOT_LEN + 1];
	struct pcapng_idb_info idbs[2] = { idb, idb };
	struct rig *r;
	unsigned int i;

	(void)state;
	open_gate();
	fileset_ts_slot(slot, sizeof(slot));
	assert_int_equal(strlen(slot), FILESET_TS_SLOT_LEN);
	for (i = 0; i < 2; i++) {
		snprintf(desc[i], sizeof(desc[i]), "driver t%u; stamping: anything; %s", i, slot);
		idbs[i].description = desc[i];
	}
	r = rig_start_with(0, idbs, 2);
	write_frame_stamped(r, 0, FRAME_REC_TS_HOOK);
	write_frame_stamped(r, 1000, FRAME_REC_TS_HOOK);
	r->frame.rec.if_id = 1;
	write_frame_stamped(r, 2000, 0);        /* interface 0 again: the helper resets if_id */
	write_frame_stamped(r, NS_PER_SEC, FRAME_REC_TS_HOOK | FRAME_REC_TS_HW);
	assert_int_equal(fileset_close(&r->fs, T0 + NS_PER_SEC + 1), 0);

	snprintf(want, sizeof(want), "%-*s", FILESET_TS_SLOT_LEN,
		 "timestamps mixed: 0 by the nic, 2 at the hook, 1 per batch, of this file's 3 frames");
	assert_true(file_says(r, 0, want));
	snprintf(want, sizeof(want), "%-*s", FILESET_TS_SLOT_LEN,
		 "timestamps: none, no frame of this interface in this file");
	assert_true(file_says(r, 0, want));     /* interface 1 */
	snprintf(want, sizeof(want), "%-*s", FILESET_TS_SLOT_LEN,
		 "timestamps by the nic (xdp rx metadata): all 1 frames of this file");
	assert_true(file_says(r, 1, want));
	assert_false(file_says(r, 0, FILESET_TS_PENDING));
	assert_false(file_says(r, 1, FILESET_TS_PENDING));
	assert_true(file_whole(r, 0) && file_whole(r, 1));
	rig_end(r);
}

/* ---- the probe of the directory --------------------------------------------------- */

static char probe_err[512];

static int probe(void *arg)
{
	struct rig *r = arg;

	probe_err[0] = '\0';
	return fileset_probe_dir(&r->fs, probe_err, sizeof(probe_err)) ? -1 : 0;
}

static int dir_entries(const char *path)
{
	struct dirent *de;
	DIR *d = opendir(path);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strncmp(de->d_name, ".vpncap-t0.probe", 16) == 0;
	closedir(d);
	return n;
}

static void test_probe_dir_as_kept(void **state)
{
	struct privileges_extra base = { 0 }, dac = { .dac_override = 1 };
	char err[512];
	struct rig *r;
	int ret;

	(void)state;
	open_gate();
	r = rig_start(0);
	assert_int_equal(fileset_probe_dir(&r->fs, err, sizeof(err)), 0);
	assert_int_equal(dir_entries(r->dir), 0);               /* nothing left behind */
	assert_int_equal(chmod(r->dir, 0555), 0);
	/* What vpncap keeps after start has no CAP_DAC_OVERRIDE: refused, at create. */
	assert_int_equal(privileges_run_as_kept(&base, probe, r), -1);
	assert_string_equal(probe_err, "create .vpncap-t0.probe: Permission denied");
	ret = fileset_probe_dir(&r->fs, err, sizeof(err));
	if (geteuid() == 0) {
		/* This thread (root, every capability) may; so may a thread that keeps it. */
		assert_int_equal(ret, 0);
		assert_int_equal(privileges_run_as_kept(&dac, probe, r), 0);
	} else {
		assert_int_equal(ret, -EACCES);
		assert_string_equal(err, "create .vpncap-t0.probe: Permission denied");
	}
	assert_int_equal(dir_entries(r->dir), 0);
	assert_int_equal(chmod(r->dir, 0750), 0);
	assert_int_equal(fileset_close(&r->fs, T0 + 1), 0);
	rig_end(r);
}

static int refuse_dir(void *ctx, const struct fileset *fs, char *err, size_t errlen)
{
	(void)ctx;
	snprintf(err, errlen, "%s: refused", fs->dir);
	return -EACCES;
}

/* fileset_open asks before it writes anything in the directory (no lock, no state). */
static void test_check_dir_refusal_writes_nothing(void **state)
{
	struct fileset_config cfg = {
		.is_dir = 1,
		.tag = "t0",
		.shb = &shb,
		.fill_isb = fill_isb,
		.check_dir = refuse_dir,
	};
	char dir[64] = "/tmp/test_fileset_completion.XXXXXX", err[256] = "";
	struct fileset fs;
	struct dirent *de;
	DIR *d;
	int n = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	cfg.path = dir;
	assert_int_equal(fileset_open(&fs, &cfg, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, ": refused"));
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."));
	closedir(d);
	assert_int_equal(n, 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next_file_written_while_fsync_blocks),
		cmocka_unit_test(test_close_waits_for_completion),
		cmocka_unit_test(test_full_queue_completes_on_writer_thread),
		cmocka_unit_test(test_retention_counts_completing_file_once),
		cmocka_unit_test(test_fsync_failure_leaves_part),
		cmocka_unit_test(test_rename_failures_counted),
		cmocka_unit_test(test_all_completed_counted),
		cmocka_unit_test(test_isb_counts_this_files_stamps),
		cmocka_unit_test(test_idb_slot_says_what_the_frames_got),
		cmocka_unit_test(test_probe_dir_as_kept),
		cmocka_unit_test(test_check_dir_refusal_writes_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
