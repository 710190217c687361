// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of a file set that never lies (issue 17, requirement 2).
 *
 * The binary is linked with --wrap=write,--wrap=pwrite: every write() to a
 * regular file, and every pwrite() that grows one, draws on a budget of
 * bytes, the free space of a pretend disk; a write larger than what is
 * left fails with ENOSPC, and the disk is full from then on (until the
 * test gives space back). Time is the test's own (frames and ticks carry
 * it). They show:
 *  - on a full disk without retention, size rotation never completes an
 *    empty or header-only file: every member holds frames, the written
 *    count is the frames in the files, written + dropped is what was sent,
 *    the state file names the highest member and no .tmp is left;
 *  - the same with time rotation: a file whose frames were all dropped is
 *    never completed;
 *  - "no space left" is logged once per 10 s of the capture's time, and
 *    "writing again" only once frames reach the disk again;
 *  - when space returns, frames are written again and the set rotates on;
 *  - a rotation waits, dropping frames, until the state file can take the
 *    next number, so the state file is never behind the files;
 *  - a state file that is corrupt, wrapped (2^64 - 1) or behind the files
 *    is overridden by the highest number present, one ahead is kept: no
 *    sequence number is used twice, and retention keeps the newest files;
 *    a member at the last number stops the start, saying which;
 *  - leftovers on a full disk: a .part of headers only is removed, one with
 *    frames whose ISBs do not fit stays .part (not .corrupt) for later;
 *  - a next file that could not be created is opened at the next tick.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/fileset.h"
#include "pcapng.h"
#include "pcapng_reader.h"

#define NS_PER_SEC 1000000000ull
#define T0 (1700000000ull * NS_PER_SEC)
#define FRAME_LEN 1000u
#define UNLIMITED (-1ll)

/* ---- the pretend disk ---------------------------------------------------------------- */

ssize_t __real_write(int fd, const void *buf, size_t len);

static atomic_llong disk_left = UNLIMITED;     /* bytes; UNLIMITED: no limit */
static atomic_int no_room_for_state;            /* a new state file cannot be written */

static int is_new_state_file(int fd)
{
	char link[64], path[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	path[n > 0 ? n : 0] = '\0';
	return n > 8 && !strcmp(path + n - 8, ".seq.tmp");
}

/* 0 when len bytes may be written to fd, else -1 with errno ENOSPC. */
static int take_space(int fd, size_t len)
{
	struct stat st;
	long long left;

	if (fd <= 2 || fstat(fd, &st) || !S_ISREG(st.st_mode))
		return 0;
	if (atomic_load(&no_room_for_state) && is_new_state_file(fd)) {
		errno = ENOSPC;
		return -1;
	}
	left = atomic_load(&disk_left);
	while (left != UNLIMITED) {
		if ((long long)len > left) {
			/* What did fit filled the disk (as another writer might). */
			atomic_store(&disk_left, 0);
			errno = ENOSPC;
			return -1;
		}
		if (atomic_compare_exchange_weak(&disk_left, &left, left - (long long)len))
			break;
	}
	return 0;
}

ssize_t __real_pwrite(int fd, const void *buf, size_t len, off_t off);

ssize_t __wrap_write(int fd, const void *buf, size_t len)
{
	return take_space(fd, len) ? -1 : __real_write(fd, buf, len);
}

/* Rewriting bytes a file has takes no space (the state file rewritten in place). */
ssize_t __wrap_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	struct stat st;
	size_t grows = 0;

	if (!fstat(fd, &st) && off + (off_t)len > st.st_size)
		grows = (size_t)(off + (off_t)len - (st.st_size > off ? st.st_size : off));
	return grows && take_space(fd, grows) ? -1 : __real_pwrite(fd, buf, len, off);
}

/* ---- what the set logs ---------------------------------------------------------------- */

static char log_path[PATH_MAX];
static int saved_stderr = -1;

static void capture_log(const char *dir)
{
	int fd;

	snprintf(log_path, sizeof(log_path), "%s.log", dir);
	fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	saved_stderr = dup(2);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
}

static void restore_log(void)
{
	fflush(stderr);
	if (saved_stderr >= 0) {
		dup2(saved_stderr, 2);
		close(saved_stderr);
		saved_stderr = -1;
	}
}

/* Lines of the log that contain text. */
static int log_lines(const char *text)
{
	char line[2048];
	FILE *f = fopen(log_path, "r");
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, text) != NULL;
	fclose(f);
	return n;
}

/* ---- a set in a temporary directory --------------------------------------------------- */

static const struct pcapng_shb_info shb = { "test", "Linux", "vpncap test_fileset_space" };
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
	snprintf(comment, len, "test_fileset_space");
}

struct rig {
	char dir[64];
	struct fileset_config cfg;
	struct fileset fs;
	uint64_t sent;
	union {
		struct frame_rec rec;
		uint8_t bytes[sizeof(struct frame_rec) + FRAME_LEN];
	} frame;
};

static struct rig *rig_new(void)
{
	struct rig *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	snprintf(r->dir, sizeof(r->dir), "/tmp/test_fileset_space.XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	r->cfg = (struct fileset_config){
		.path = r->dir,
		.is_dir = 1,
		.tag = "t0",
		.sync_ns = NS_PER_SEC,
		.shb = &shb,
		.fill_isb = fill_isb,
	};
	memset(r->frame.bytes, 0x5a, sizeof(r->frame.bytes));
	return r;
}

static void rig_open(struct rig *r, uint64_t now)
{
	char err[256] = "";

	r->cfg.idbs = idb_set_new(&idb, 1);
	assert_non_null(r->cfg.idbs);
	if (fileset_open(&r->fs, &r->cfg, err, sizeof(err)))
		fail_msg("fileset_open: %s", err);
	idb_set_unref(r->cfg.idbs);     /* the set holds its own reference */
	assert_int_equal(fileset_start(&r->fs, now, err, sizeof(err)), 0);
}

static void rig_end(struct rig *r)
{
	char cmd[160];

	atomic_store(&disk_left, UNLIMITED);
	atomic_store(&no_room_for_state, 0);
	restore_log();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s.log'", r->dir, r->dir);
	assert_int_equal(system(cmd), 0);
	free(r);
}

static void write_frame(struct rig *r, uint64_t ts)
{
	r->frame.rec = (struct frame_rec){
		.size = sizeof(r->frame.bytes),
		.ts_ns = ts,
		.caplen = FRAME_LEN,
		.origlen = FRAME_LEN,
		.flags = FRAME_REC_TS_HOOK,
	};
	fileset_write(&r->fs, &r->frame.rec);
	r->sent++;
}

/* n frames at pps from *t on, the writer's tick every 100 ms of that time. */
static void send_frames(struct rig *r, uint64_t *t, uint64_t n, uint64_t pps)
{
	uint64_t i, gap = NS_PER_SEC / pps, next_tick = *t;

	for (i = 0; i < n; i++, *t += gap) {
		write_frame(r, *t);
		if (*t >= next_tick) {
			fileset_tick(&r->fs, *t);
			next_tick = *t + NS_PER_SEC / 10;
		}
	}
}

/* ---- the set on disk ---------------------------------------------------------------------- */

struct member_info {
	uint64_t seq;
	long long epbs;         /* -1: not a valid pcapng file */
	long long size;
	int part;
};

#define MAX_MEMBERS 4096

static struct member_info members[MAX_MEMBERS];

/* EPBs in a file, -1 if a block is torn or the file does not start with an SHB. */
static long long count_epbs(const char *path, long long *size)
{
	static uint8_t buf[1 << 22];
	struct pcapng_reader rd;
	struct pcapng_block blk;
	long long epbs = 0;
	int ret, blocks = 0;
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	*size = (long long)n;
	if (n == 0)
		return -1;
	pcapng_reader_init(&rd, buf, n);
	while ((ret = pcapng_next_block(&rd, &blk)) == 1) {
		epbs += blk.type == PCAPNG_BT_EPB;
		blocks++;
	}
	return ret == 0 && blocks ? epbs : -1;
}

/* The set's files (completed and .part), by seq; how many. */
static size_t list_members(const struct rig *r)
{
	char path[PATH_MAX];
	struct fileset_name fn;
	struct dirent *de;
	DIR *d = opendir(r->dir);
	size_t n = 0, i, j;

	assert_non_null(d);
	while ((de = readdir(d)) && n < MAX_MEMBERS) {
		if (!fileset_parse_name(de->d_name, "t0", &fn))
			continue;
		snprintf(path, sizeof(path), "%s/%s", r->dir, de->d_name);
		members[n].seq = fn.seq;
		members[n].part = fn.kind == FILESET_PART;
		members[n].epbs = count_epbs(path, &members[n].size);
		n++;
	}
	closedir(d);
	for (i = 1; i < n; i++) /* insertion sort by seq */
		for (j = i; j > 0 && members[j - 1].seq > members[j].seq; j--) {
			struct member_info t = members[j];

			members[j] = members[j - 1];
			members[j - 1] = t;
		}
	return n;
}

/* The state file's text, "" if missing. */
static const char *state_text(const struct rig *r)
{
	static char text[64];
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/.vpncap-t0.seq", r->dir);
	text[0] = '\0';
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return text;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	return text;
}

static void write_state(const struct rig *r, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/.vpncap-t0.seq", r->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static int state_tmp_left(const struct rig *r)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/.vpncap-t0.seq.tmp", r->dir);
	return access(path, F_OK) == 0;
}

/*
 * Every member complete and holding frames, each seq once; the frames in
 * the files are the written count; the state file names the highest member
 * exactly. Returns the number of members.
 */
static size_t expect_honest_set(struct rig *r)
{
	size_t n = list_members(r), i;
	long long epbs = 0;
	char want[32];

	for (i = 0; i < n; i++) {
		if (members[i].part || members[i].epbs <= 0)
			print_message("member %06llu: %s, %lld bytes, %lld frames\n",
				      (unsigned long long)members[i].seq,
				      members[i].part ? ".part" : "complete", members[i].size,
				      members[i].epbs);
		assert_false(members[i].part);
		assert_true(members[i].epbs > 0);       /* neither empty nor header-only */
		assert_true(i == 0 || members[i].seq > members[i - 1].seq);
		epbs += members[i].epbs;
	}
	assert_int_equal(r->fs.stats.frames_written, epbs);
	assert_int_equal(r->fs.stats.frames_written + r->fs.stats.dropped_disk_full +
				 r->fs.stats.dropped_write_error,
			 r->sent);
	assert_int_equal(r->fs.stats.files_completed, n);
	assert_int_equal(r->fs.stats.files_incomplete, 0);
	assert_true(n > 0);
	snprintf(want, sizeof(want), "%llu\n", (unsigned long long)members[n - 1].seq);
	assert_string_equal(state_text(r), want);
	assert_false(state_tmp_left(r));
	return n;
}

/* ---- a full disk ------------------------------------------------------------------------ */

/* Room for about two and a half 64 KiB files, then 30 s at 250 frames/s with the disk full. */
static void test_full_disk_size_rotation(void **state)
{
	struct rig *r = rig_new();
	uint64_t t = T0;
	size_t n;

	(void)state;
	capture_log(r->dir);
	r->cfg.rotate_bytes = 64 << 10;
	atomic_store(&disk_left, 160 << 10);
	rig_open(r, t);
	send_frames(r, &t, 30 * 250, 250);
	assert_int_equal(fileset_close(&r->fs, t), 0);
	restore_log();
	print_message("%llu frames written, %llu dropped, %d 'no space' lines\n",
		      (unsigned long long)r->fs.stats.frames_written,
		      (unsigned long long)r->fs.stats.dropped_disk_full, log_lines("no space left"));
	/* The disk filled in the first second: lines at about 0-1 s, 10-11 s, 20-21 s. */
	assert_int_equal(log_lines("no space left"), 3);
	assert_int_equal(log_lines("writing again"), 0);
	assert_true(r->fs.stats.dropped_disk_full > 0);
	n = expect_honest_set(r);
	print_message("%zu files\n", n);
	rig_end(r);
}

/* Full from the first byte, rotation by time: no file ever has a frame, none is completed. */
static void test_full_disk_time_rotation(void **state)
{
	struct rig *r = rig_new();
	uint64_t t = T0;

	(void)state;
	capture_log(r->dir);
	r->cfg.rotate_ns = NS_PER_SEC;
	atomic_store(&disk_left, 0);
	rig_open(r, t);
	send_frames(r, &t, 5 * 100, 100);
	assert_int_equal(fileset_close(&r->fs, t), 0);
	restore_log();
	assert_int_equal(list_members(r), 0);
	assert_int_equal(r->fs.stats.files_completed, 0);
	assert_int_equal(r->fs.stats.frames_written, 0);
	assert_int_equal(r->fs.stats.dropped_disk_full, r->sent);
	assert_int_equal(log_lines("no space left"), 1);
	rig_end(r);
}

/* Full for a while, then space returns: frames are written again, the set rotates on. */
static void test_space_returns(void **state)
{
	struct rig *r = rig_new();
	uint64_t t = T0, before, dropped;
	size_t n;
	int again;

	(void)state;
	capture_log(r->dir);
	r->cfg.rotate_bytes = 64 << 10;
	atomic_store(&disk_left, 100 << 10);
	rig_open(r, t);
	send_frames(r, &t, 5 * 250, 250);       /* full after about 0.4 s */
	before = r->fs.stats.frames_written;
	dropped = r->fs.stats.dropped_disk_full;
	again = log_lines("writing again");
	atomic_store(&disk_left, UNLIMITED);
	send_frames(r, &t, 5 * 250, 250);
	assert_int_equal(fileset_close(&r->fs, t), 0);
	restore_log();              /* cmocka says what failed on stderr */
	assert_true(dropped > 0);
	assert_int_equal(again, 0);
	n = expect_honest_set(r);
	print_message("%zu files; %llu frames written before space returned, %llu in all\n", n,
		      (unsigned long long)before, (unsigned long long)r->fs.stats.frames_written);
	/* Nearly all of the last 5 s are on disk, in 64 KiB files. */
	assert_true(r->fs.stats.frames_written - before >= 5 * 250 - 250);
	assert_true(n >= 1 + (5 * 250 - 250) * FRAME_LEN / (64 << 10));
	assert_int_equal(log_lines("no space left"), 1);
	assert_int_equal(log_lines("writing again"), 1);
	rig_end(r);
}

/*
 * Room for frames but none for a new state file (there is none yet): file
 * 000001 is not created before the state file can say 1. The rotation
 * waits, dropping frames, and goes on once it can.
 */
static void test_rotation_waits_for_state_file(void **state)
{
	struct rig *r = rig_new();
	uint64_t t = T0, written, dropped;
	size_t files;
	int no_space, again;

	(void)state;
	capture_log(r->dir);
	r->cfg.rotate_bytes = 64 << 10;
	atomic_store(&no_room_for_state, 1);
	rig_open(r, t);
	send_frames(r, &t, 2 * 250, 250);       /* file 0 is full after about 0.25 s */
	written = r->fs.stats.frames_written;
	dropped = r->fs.stats.dropped_disk_full;
	files = list_members(r);
	no_space = log_lines("no space left");
	atomic_store(&no_room_for_state, 0);
	send_frames(r, &t, 2 * 250, 250);
	again = log_lines("writing again");
	assert_int_equal(fileset_close(&r->fs, t), 0);
	restore_log();
	assert_int_equal(files, 1);             /* 000000.part alone */
	assert_true(written < 70 && dropped > 2 * 250 - 70);
	assert_int_equal(no_space, 1);
	assert_int_equal(again, 1);
	/* Back within ROTATE_RETRY_NS: at most 100 ms of frames lost after. */
	assert_true(r->fs.stats.frames_written - written >= 2 * 250 - 26);
	expect_honest_set(r);
	rig_end(r);
}

/* ---- sequence numbers ----------------------------------------------------------------- */

/* A set of files 000000 .. 000005, one per second, each with frames. */
static struct rig *six_files(void)
{
	struct rig *r = rig_new();
	uint64_t t = T0;

	r->cfg.rotate_ns = NS_PER_SEC;
	rig_open(r, t);
	send_frames(r, &t, 6 * 10, 10);
	assert_int_equal(fileset_close(&r->fs, t), 0);
	assert_int_equal(list_members(r), 6);
	assert_int_equal(members[5].seq, 5);
	assert_string_equal(state_text(r), "5\n");
	return r;
}

/* The set again on state, 3 files; the seqs of the new files. */
static void rerun(struct rig *r, const char *state, uint64_t max_files, uint64_t *first_new)
{
	uint64_t t = T0 + 100 * NS_PER_SEC;

	write_state(r, state);
	r->cfg.retention.max_files = max_files;
	r->sent = 0;
	rig_open(r, t);
	*first_new = r->fs.seq;
	send_frames(r, &t, 3 * 10, 10);
	assert_int_equal(fileset_close(&r->fs, t), 0);
}

static void expect_seqs(size_t n, const uint64_t *want, size_t nwant)
{
	size_t i;

	for (i = 0; i < n; i++)
		print_message("  member %06llu\n", (unsigned long long)members[i].seq);
	assert_int_equal(n, nwant);
	for (i = 0; i < n; i++)
		assert_int_equal(members[i].seq, want[i]);
}

/* The state file wrapped to 2^64 - 1: no number reused, retention keeps the newest. */
static void test_wrapped_state_file(void **state)
{
	static const uint64_t want[] = { 4, 5, 6, 7, 8 };
	struct rig *r = six_files();
	uint64_t first;

	(void)state;
	capture_log(r->dir);
	rerun(r, "18446744073709551615\n", 5, &first);
	restore_log();
	assert_int_equal(first, 6);
	expect_seqs(list_members(r), want, 5);
	assert_string_equal(state_text(r), "8\n");
	assert_int_equal(log_lines(".vpncap-t0.seq"), 1);       /* says it was overridden */
	rig_end(r);
}

/* Corrupt, behind or ahead: the next file comes after both the state and every file. */
static void test_state_file_overridden(void **state)
{
	static const struct {
		const char *text;
		uint64_t first;
	} cases[] = {
		{ "", 6 },
		{ "abc\n", 6 },
		{ "12abc\n", 6 },
		{ "-1\n", 6 },
		{ "2\n", 6 },                           /* behind the files */
		{ "99999999999999999999999\n", 6 },     /* beyond 2^64 */
		{ "9\n", 10 },                          /* ahead: its numbers were used */
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rig *r = six_files();
		uint64_t first;

		print_message("state file \"%s\"\n", cases[i].text);
		rerun(r, cases[i].text, 0, &first);
		assert_int_equal(first, cases[i].first);
		assert_int_equal(list_members(r), 9);
		rig_end(r);
	}
}

/* The first n bytes of member seq's file copied to a .part of seq as_seq. */
static void copy_as_part(const struct rig *r, uint64_t seq, long long n, uint64_t as_seq)
{
	char from[PATH_MAX], to[PATH_MAX], name[256];
	static uint8_t buf[1 << 20];
	struct fileset_name fn;
	struct dirent *de;
	size_t got;
	DIR *d = opendir(r->dir);
	FILE *f;

	assert_non_null(d);
	from[0] = '\0';
	while ((de = readdir(d)))
		if (fileset_parse_name(de->d_name, "t0", &fn) && fn.seq == seq &&
		    fn.kind == FILESET_COMPLETE)
			snprintf(from, sizeof(from), "%s/%s", r->dir, de->d_name);
	closedir(d);
	f = fopen(from, "rb");
	assert_non_null(f);
	got = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (n < 0 || (size_t)n > got)
		n = (long long)got;
	fileset_format_name(name, sizeof(name), "t0", (int64_t)(T0 / NS_PER_SEC) + 50, as_seq,
			    FILESET_PART);
	snprintf(to, sizeof(to), "%s/%s", r->dir, name);
	f = fopen(to, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, (size_t)n, f), (size_t)n);
	assert_int_equal(fclose(f), 0);
}

/* Bytes of the SHB and IDB at the start of member seq. */
static long long headers_of(const struct rig *r, uint64_t seq)
{
	char path[PATH_MAX], name[256];
	static uint8_t buf[1 << 20];
	struct pcapng_reader rd;
	struct pcapng_block blk;
	size_t n;
	FILE *f;

	fileset_format_name(name, sizeof(name), "t0", (int64_t)(T0 / NS_PER_SEC) + (int64_t)seq,
			    seq, FILESET_COMPLETE);
	snprintf(path, sizeof(path), "%s/%s", r->dir, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	pcapng_reader_init(&rd, buf, n);
	while (pcapng_next_block(&rd, &blk) == 1)
		if (blk.type != PCAPNG_BT_SHB && blk.type != PCAPNG_BT_IDB)
			return (long long)blk.offset;
	fail();
	return 0;
}

/*
 * Leftovers of a crash on a full disk: a .part of headers only is removed
 * (as a member it would say nothing), a .part with frames whose closing
 * ISBs do not fit stays .part (it is not corrupt) until a start with room
 * repairs it. Their numbers are not used again.
 */
static void test_leftovers_on_full_disk(void **state)
{
	struct rig *r = six_files();
	uint64_t first;
	size_t n;

	(void)state;
	copy_as_part(r, 0, headers_of(r, 0), 6);
	copy_as_part(r, 1, -1, 7);
	atomic_store(&disk_left, 0);
	capture_log(r->dir);
	rig_open(r, T0 + 100 * NS_PER_SEC);
	first = r->fs.seq;
	assert_int_equal(fileset_close(&r->fs, T0 + 101 * NS_PER_SEC), 0);
	restore_log();
	assert_int_equal(first, 8);
	assert_int_equal(r->fs.stats.files_recovered, 0);
	n = list_members(r);
	assert_int_equal(n, 7);                 /* 0 .. 5 and the .part of 7 */
	assert_int_equal(members[6].seq, 7);
	assert_true(members[6].part);
	assert_int_equal(log_lines("left as .part, the next start tries again"), 1);
	assert_int_equal(log_lines("removed, no frame in it"), 1);

	atomic_store(&disk_left, UNLIMITED);
	rig_open(r, T0 + 200 * NS_PER_SEC);
	assert_int_equal(r->fs.stats.files_recovered, 1);
	assert_true(r->fs.seq >= 8);
	assert_int_equal(fileset_close(&r->fs, T0 + 201 * NS_PER_SEC), 0);
	n = list_members(r);
	assert_false(members[6].part);
	assert_int_equal(members[6].epbs, 10);
	rig_end(r);
}

/*
 * The next file cannot be created at a rotation (here a directory holds
 * its name): frames are counted as dropped, and the next tick opens one,
 * under the same number.
 */
static void test_reopen_after_failed_open(void **state)
{
	struct rig *r = rig_new();
	char name[256], path[PATH_MAX];
	uint64_t t = T0;
	size_t n;

	(void)state;
	r->cfg.rotate_ns = NS_PER_SEC;
	rig_open(r, t);
	fileset_format_name(name, sizeof(name), "t0", (int64_t)(T0 / NS_PER_SEC) + 1, 1,
			    FILESET_PART);
	snprintf(path, sizeof(path), "%s/%s", r->dir, name);
	assert_int_equal(mkdir(path, 0750), 0);
	capture_log(r->dir);
	send_frames(r, &t, 15, 10);             /* 0.0 .. 1.4 s: file 1 cannot open at 1 s */
	restore_log();
	assert_false(r->fs.file_open);
	assert_int_equal(r->fs.stats.dropped_write_error, 5);
	assert_int_equal(rmdir(path), 0);
	capture_log(r->dir);
	send_frames(r, &t, 5, 10);              /* 1.5 .. 1.9 s: the tick after 1.5 s reopens */
	assert_int_equal(fileset_close(&r->fs, t), 0);
	restore_log();
	assert_int_equal(r->fs.stats.dropped_write_error, 6);
	n = list_members(r);
	assert_int_equal(n, 2);
	assert_int_equal(members[1].seq, 1);
	assert_int_equal(members[1].epbs, 4);
	assert_int_equal(log_lines("writing again in"), 1);
	rig_end(r);
}

/* A member numbered at the end of the numbers: the set refuses to start, saying which. */
static void test_numbers_used_up(void **state)
{
	struct rig *r = rig_new();
	char path[PATH_MAX], err[512] = "";
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/vpncap-t0-20231114T221320Z-999999999999999999.pcapng",
		 r->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fclose(f), 0);
	r->cfg.idbs = idb_set_new(&idb, 1);
	assert_int_equal(fileset_open(&r->fs, &r->cfg, err, sizeof(err)), -ERANGE);
	idb_set_unref(r->cfg.idbs);
	assert_non_null(strstr(err, "sequence number 999999999999999999, the last there is"));
	rig_end(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_disk_size_rotation),
		cmocka_unit_test(test_full_disk_time_rotation),
		cmocka_unit_test(test_space_returns),
		cmocka_unit_test(test_rotation_waits_for_state_file),
		cmocka_unit_test(test_wrapped_state_file),
		cmocka_unit_test(test_state_file_overridden),
		cmocka_unit_test(test_numbers_used_up),
		cmocka_unit_test(test_leftovers_on_full_disk),
		cmocka_unit_test(test_reopen_after_failed_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
