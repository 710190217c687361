// SPDX-License-Identifier: GPL-2.0-only
/*
 * The life of a set's file: opened as .part, headers, frames, then ended in
 * two halves. Its content ends on the writer thread: encoded frames flushed
 * (a failure drops and counts them), then ISBs written and flushed, so the
 * counters in the ISBs tell the truth. Its completion (fsync, close, rename
 * to the final name, fsync of the directory) goes with the file's
 * descriptor to post_jobs.c's completion thread, and the writer opens the
 * next file at once: an fsync can take hundreds of milliseconds on a real
 * disk, and at line rate the frame queues would overflow meanwhile.
 * Compression and --on-rotate follow the rename, in file order. When too
 * many files wait (a stalled disk) or the set ends, the writer completes
 * the file itself.
 *
 * A file being completed is neither the current file nor, until renamed, a
 * completed member: retention counts it as a member (by its size), so that
 * --max-files and --max-bytes delete exactly what they did before, and
 * never deletes it. files_completed counts a file once its completion is
 * done (renamed), files_incomplete one whose completion failed (left .part),
 * whichever thread did it: the summary and the exit status tell the truth.
 */
#define _GNU_SOURCE /* memmem */
#include "store/fileset.h"
#include "store/output_check.h"
#include "log.h"
#include "pcapng_reader.h"
#include "store/recover.h"
#include "textfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_SEC 1000000000ull
#define SPACE_LOG_INTERVAL_NS (10 * NS_PER_SEC)
#define ROTATE_RETRY_NS (NS_PER_SEC / 10)  /* a rotation waiting for space tries again */
#define ISB_ROOM_PER_IFACE 1024  /* what the closing ISBs may add to a file */
#define CORRUPT_SUFFIX ".corrupt"

/* ---- names and the directory ------------------------------------------- */

static int member_path(const struct fileset *fs, char *buf, size_t len, uint64_t seq,
		       int64_t start_sec, enum fileset_kind kind)
{
	char name[500];

	fileset_format_name(name, sizeof(name), fs->cfg.tag, start_sec, seq, kind);
	return snprintf(buf, len, "%s/%s", fs->dir, name);
}

/* Name of a set member, also one set aside as corrupt (its seq stays taken). */
static int parse_member(const struct fileset *fs, const char *name, struct fileset_name *fn,
			int *corrupt)
{
	size_t n = strlen(name), sl = strlen(CORRUPT_SUFFIX);
	char base[512];

	*corrupt = n > sl && !strcmp(name + n - sl, CORRUPT_SUFFIX);
	if (!*corrupt)
		return fileset_parse_name(name, fs->cfg.tag, fn);
	if (n - sl >= sizeof(base))
		return 0;
	memcpy(base, name, n - sl);
	base[n - sl] = '\0';
	return fileset_parse_name(base, fs->cfg.tag, fn);
}

static void state_name(const struct fileset *fs, char *buf, size_t len, const char *what)
{
	snprintf(buf, len, ".vpncap-%s.%s", fs->cfg.tag, what);
}

/*
 * The state file: the highest sequence number a file of the set was
 * created with, written before the file is, so that the number survives
 * even if retention deletes its file. It is believed only when it is a
 * plain number the set can continue from (not past FILESET_SEQ_MAX);
 * anything else is corrupt. 1 and *seq, 0 when missing, -1 when corrupt.
 */
static int read_saved_seq(const struct fileset *fs, uint64_t *seq, char *text, size_t len)
{
	char name[256], *end;
	ssize_t n;
	int fd;

	state_name(fs, name, sizeof(name), "seq");
	fd = openat(fs->dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	n = read(fd, text, len - 1);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	text[strcspn(text, "\n")] = '\0';
	if (text[0] < '0' || text[0] > '9' || strlen(text) > 20)
		return -1;
	errno = 0;
	*seq = strtoull(text, &end, 10);
	return *end || errno || *seq > FILESET_SEQ_MAX ? -1 : 1;
}

/*
 * On a full disk: the state file rewritten where it is. Its bytes are
 * there already, so this needs no new block where a replacement (a new
 * file) does. A few bytes at offset 0 do not tear in practice; if they
 * did, a corrupt or lower number is overridden at the next start by the
 * highest number present. 0 or -errno.
 */
static int overwrite_seq(const struct fileset *fs, const char *name, const char *text,
			 size_t len)
{
	int fd = openat(fs->dir_fd, name, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW), ret = 0;
	struct stat st;

	if (fd < 0)
		return -errno;
	errno = 0;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		ret = -EINVAL;
	else if (pwrite(fd, text, len, 0) != (ssize_t)len || ftruncate(fd, (off_t)len) ||
		 fdatasync(fd))
		ret = errno ? -errno : -EIO;
	close(fd);
	return ret;
}

/* 0 or -errno (-ENOSPC: no room for it); the number is known written only on 0. */
static int save_seq(struct fileset *fs, uint64_t seq)
{
	char name[256], text[32];
	int len = snprintf(text, sizeof(text), "%llu\n", (unsigned long long)seq), ret;

	state_name(fs, name, sizeof(name), "seq");
	ret = textfile_replace_at(fs->dir_fd, name, text, (size_t)len, 0640, TEXTFILE_SYNC, NULL, 0);
	if ((ret == -ENOSPC || ret == -EDQUOT) && !overwrite_seq(fs, name, text, (size_t)len))
		ret = 0;
	if (!ret) {
		fs->seq_saved = seq;
		fs->seq_saved_valid = 1;
	}
	return ret;
}

/* The state file has seq (or more) already. */
static int seq_is_saved(const struct fileset *fs, uint64_t seq)
{
	return fs->seq_saved_valid && fs->seq_saved >= seq;
}

/* mkdir -p with mode 0750 for each directory it creates. */
static int make_dirs(const char *path)
{
	char tmp[FILESET_DIR_MAX];
	char *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0750) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0750) && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * Another user who can write in the set's directory can plant names where
 * vpncap will create, rename or delete (trusted_dir.h): refused unless the
 * operator shares it on purpose.
 */
static int prepare_dir(struct fileset *fs, char *err, size_t errlen)
{
	char why[128];
	int ret;

	if (strlen(fs->cfg.path) >= sizeof(fs->dir) - 600) {
		err_set(err, errlen, "%.64s...: directory path too long", fs->cfg.path);
		return -ENAMETOOLONG;
	}
	output_trim_slashes(fs->cfg.path, fs->dir, sizeof(fs->dir));
	ret = make_dirs(fs->dir);
	if (ret) {
		err_set(err, errlen, "%s: cannot create the capture directory: %s", fs->dir,
			strerror(-ret));
		return ret;
	}
	fs->dir_fd = output_open_set_dir(fs->dir, fs->cfg.allow_shared_dir, why, sizeof(why), err,
					 errlen);
	if (fs->dir_fd < 0)
		return fs->dir_fd;
	if (why[0])
		log_info("warning: %s is %s: another user can add, replace or remove files in the set (--allow-shared-dir)",
			 fs->dir, why);
	return 0;
}

/* One vpncap per set: a second one would reuse sequence numbers. */
static int lock_set(struct fileset *fs, char *err, size_t errlen)
{
	char name[256];

	state_name(fs, name, sizeof(name), "lock");
	fs->lock_fd = openat(fs->dir_fd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fs->lock_fd < 0 || flock(fs->lock_fd, LOCK_EX | LOCK_NB)) {
		int e = errno;

		err_set(err, errlen, "%s: %s", fs->dir, e == EWOULDBLOCK ?
			"another vpncap is writing this file set" : strerror(e));
		return -e;
	}
	return 0;
}

/*
 * A directory stream of the set's directory. dup() shares the file offset
 * with dir_fd, so rewind: an earlier listing left it at the end.
 */
static DIR *open_listing(const struct fileset *fs)
{
	int fd = dup(fs->dir_fd);
	DIR *d;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d)
		close(fd);
	else
		rewinddir(d);
	return d;
}

/* ---- recovery of leftovers ------------------------------------------------ */

static void recover_part(struct fileset *fs, const char *name, const struct fileset_name *fn)
{
	char path[FILESET_PATH_MAX], done[FILESET_PATH_MAX + 16], err[256], comment[160];
	struct recover_result res;
	struct stat st;
	int ret, no_space;

	snprintf(path, sizeof(path), "%s/%s", fs->dir, name);
	if (fstatat(fs->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
		return;
	if (st.st_size == 0) { /* created, never written: nothing was captured */
		unlinkat(fs->dir_fd, name, 0);
		return;
	}
	snprintf(comment, sizeof(comment),
		 "vpncap: capture ended uncleanly (crash or power loss); file repaired at the next start");
	ret = recover_file_at(fs->dir_fd, path, comment, &res, err, sizeof(err));
	no_space = ret == -ENOSPC || ret == -EDQUOT; /* scanned, but the ISBs did not fit */
	if ((!ret || no_space) && !res.frames) { /* as a member it would say nothing */
		unlinkat(fs->dir_fd, name, 0);
		log_info("%s: removed, no frame in it", path);
		return;
	}
	if (no_space) { /* whole blocks, only the closing ISBs missing: not corrupt */
		log_error("%s; left as .part, the next start tries again", err);
		return;
	}
	if (ret) {
		snprintf(done, sizeof(done), "%s%s", name, CORRUPT_SUFFIX);
		renameat(fs->dir_fd, name, fs->dir_fd, done);
		log_error("%s; kept as %s/%s", err, fs->dir, done);
		return;
	}
	member_path(fs, done, sizeof(done), fn->seq, fn->start_sec, FILESET_COMPLETE);
	if (renameat(fs->dir_fd, name, fs->dir_fd, strrchr(done, '/') + 1)) {
		log_error("%s: cannot rename the repaired file: %s", path, strerror(errno));
		return;
	}
	fsync(fs->dir_fd);
	fs->stats.files_recovered++;
	log_info("%s: recovered %llu frames of an unclean end (%zu torn bytes cut)", done,
		 (unsigned long long)res.frames, res.cut_bytes);
	post_jobs_add(&fs->post, done);
}

/*
 * The next number comes after the state file's and after every member's,
 * so none is used twice; a state file that is corrupt or behind the files
 * is overridden (and said so).
 */
static int next_seq_from(struct fileset *fs, int saved, uint64_t saved_seq, const char *text,
			 int found, uint64_t max_seq, char *err, size_t errlen)
{
	char name[256];

	state_name(fs, name, sizeof(name), "seq");
	if (found && max_seq >= FILESET_SEQ_MAX) {
		err_set(err, errlen, "%s: a file of the set has sequence number %llu, the last there is (%llu): move it away",
			fs->dir, (unsigned long long)max_seq, FILESET_SEQ_MAX);
		return -ERANGE;
	}
	if (saved > 0) {
		fs->seq_saved = saved_seq;
		fs->seq_saved_valid = 1;
	}
	if (saved > 0 && (!found || saved_seq >= max_seq)) {
		fs->next_seq = saved_seq + 1;
		return 0;
	}
	fs->next_seq = found ? max_seq + 1 : 0;
	if (saved)
		log_info("%s/%s: %s \"%.24s\": the set goes on with %llu, after its highest file",
			 fs->dir, name, saved < 0 ? "not a sequence number" : "behind the files",
			 text, (unsigned long long)fs->next_seq);
	return 0;
}

/* Repair leftovers and find the next sequence number. 0 or -errno with err set. */
static int scan_leftovers(struct fileset *fs, char *err, size_t errlen)
{
	char text[32];
	uint64_t saved_seq = 0, max_seq = 0;
	int saved = read_saved_seq(fs, &saved_seq, text, sizeof(text)), found = 0;
	struct dirent *de;
	DIR *d;

	d = open_listing(fs);
	if (!d) {
		int e = errno;

		err_set(err, errlen, "%s: cannot read the directory: %s", fs->dir, strerror(e));
		return -e;
	}
	while ((de = readdir(d))) {
		struct fileset_name fn;
		int corrupt;

		if (!parse_member(fs, de->d_name, &fn, &corrupt))
			continue;
		if (!found || fn.seq > max_seq)
			max_seq = fn.seq;
		found = 1;
		if (!corrupt && fn.kind == FILESET_PART)
			recover_part(fs, de->d_name, &fn);
	}
	closedir(d);
	return next_seq_from(fs, saved, saved_seq, text, found, max_seq, err, errlen);
}

/* ---- retention ------------------------------------------------------------ */

/*
 * Members by name for deletion, files[listed..n) being completed: counted,
 * never deleted (they have no name in names[]).
 */
struct member_list {
	struct retained_file *files;
	char (*names)[256];
	size_t n;
	size_t listed;
};

static void free_members(struct member_list *l)
{
	free(l->files);
	free(l->names);
	memset(l, 0, sizeof(*l));
}

static int add_member(struct member_list *l, const char *name, uint64_t seq, uint64_t size,
		      int64_t start_sec)
{
	size_t cap = l->n + 1;
	struct retained_file *f = realloc(l->files, cap * sizeof(*f));
	char (*n)[256];

	if (!f)
		return -ENOMEM;
	l->files = f;
	n = realloc(l->names, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	l->names = n;
	l->files[l->n] = (struct retained_file){ .seq = seq, .size = size, .start_sec = start_sec };
	snprintf(l->names[l->n], sizeof(l->names[0]), "%s", name);
	l->n++;
	return 0;
}

/* The i-th newest file handed over for completion (i from 0). */
static const struct retained_file *handed(const struct fileset *fs, unsigned int i)
{
	return &fs->handed[(fs->handed_count - 1 - i) % POST_JOBS_COMPLETING];
}

static int is_completing(const struct fileset *fs, unsigned int completing, uint64_t seq)
{
	unsigned int i;

	for (i = 0; i < completing; i++)
		if (handed(fs, i)->seq == seq)
			return 1;
	return 0;
}

/*
 * Completed members only: never the file being written, never anything
 * else, never a file being completed even once renamed (the completion
 * thread still works on it). with_completing adds those at the end, to be
 * counted. They are looked up before the directory is read: one that
 * completes meanwhile is counted once, and one completed before is listed.
 */
static int list_completed(struct fileset *fs, struct member_list *l, int with_completing)
{
	unsigned int completing = post_jobs_completing(&fs->post), i;
	struct dirent *de;
	DIR *d;

	memset(l, 0, sizeof(*l));
	d = open_listing(fs);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct fileset_name fn;
		struct stat st;

		if (!fileset_parse_name(de->d_name, fs->cfg.tag, &fn) || fn.kind == FILESET_PART ||
		    is_completing(fs, completing, fn.seq) ||
		    fstatat(fs->dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISREG(st.st_mode))
			continue;
		if (add_member(l, de->d_name, fn.seq, (uint64_t)st.st_size, fn.start_sec))
			break;
	}
	closedir(d);
	l->listed = l->n;
	for (i = 0; with_completing && i < completing; i++)
		if (add_member(l, "", handed(fs, i)->seq, handed(fs, i)->size, 0))
			break;
	return 0;
}

static void delete_member(struct fileset *fs, const char *name, const char *why)
{
	if (unlinkat(fs->dir_fd, name, 0) == 0) {
		fs->stats.files_deleted++;
		log_debug("%s/%s: deleted (%s)", fs->dir, name, why);
	}
}

static void apply_retention(struct fileset *fs)
{
	const struct retention_policy *p = &fs->cfg.retention;
	struct member_list l;
	size_t *victims, n, i;

	if (!p->max_files && !p->max_bytes)
		return;
	if (list_completed(fs, &l, 1))
		return;
	victims = calloc(l.n + 1, sizeof(*victims));
	if (victims) {
		n = retention_select(l.files, l.n, p, fs->file_open, output_file_size(&fs->file),
				     victims);
		for (i = 0; i < n; i++)
			if (victims[i] < l.listed) /* one being completed goes next time */
				delete_member(fs, l.names[victims[i]], "retention");
	}
	free(victims);
	free_members(&l);
}

/* Delete the oldest completed member; 1 when one was deleted. */
static int free_oldest(struct fileset *fs, const char *why)
{
	struct member_list l;
	size_t *order;
	int done = 0;

	if (!fs->cfg.is_dir || list_completed(fs, &l, 0))
		return 0;
	order = calloc(l.n + 1, sizeof(*order));
	if (order && l.n) {
		retention_oldest_first(l.files, l.n, order);
		delete_member(fs, l.names[order[0]], why);
		done = 1;
	}
	free(order);
	free_members(&l);
	return done;
}

/* ---- writing ---------------------------------------------------------------- */

static int write_headers(struct fileset *fs)
{
	unsigned int i;
	int ret = output_file_add_shb(&fs->file, fs->cfg.shb);

	for (i = 0; i < idb_set_count(fs->cfg.idbs) && !ret; i++)
		ret = output_file_add_idb(&fs->file, idb_set_at(fs->cfg.idbs, i));
	fs->headers_size = output_file_size(&fs->file);
	return ret;
}

static int may_free_space(const struct fileset *fs)
{
	return fs->cfg.is_dir && (fs->cfg.retention.max_files || fs->cfg.retention.max_bytes ||
				  fs->cfg.min_free);
}

/* EPBs per interface in one unwritten region. */
static void uncount_region(struct fileset *fs, const uint8_t *p, size_t n)
{
	struct pcapng_reader r;
	struct pcapng_block blk;
	struct pcapng_epb_view epb;

	pcapng_reader_init_blocks(&r, p, n);
	while (pcapng_next_block(&r, &blk) == 1)
		if (!pcapng_parse_epb(&r, &blk, &epb) && epb.if_id < FILESET_MAX_IFACES) {
			fs->if_written[epb.if_id]--;
			fs->file_lost[epb.if_id]++;
		}
}

/* EPBs per interface in what is about to be dropped: everything not on disk. */
static void uncount_buffered(struct fileset *fs)
{
	const uint8_t *data;
	size_t len = output_file_unwritten(&fs->file, &data);

	uncount_region(fs, data, len);
}

/* interval_ns has passed since then_ns (or the clock went back as far). */
static int interval_passed(uint64_t now_ns, uint64_t then_ns, uint64_t interval_ns)
{
	return now_ns >= then_ns ? now_ns - then_ns >= interval_ns : then_ns - now_ns >= interval_ns;
}

/* Once when the drops begin, then at most every SPACE_LOG_INTERVAL_NS. */
static void log_space(struct fileset *fs, uint64_t now_ns)
{
	uint64_t dropped = fs->stats.dropped_disk_full + fs->stats.dropped_min_free;

	if (fs->space_logged &&
	    !interval_passed(now_ns, fs->last_space_log_ns, SPACE_LOG_INTERVAL_NS))
		return;
	fs->space_logged = 1;
	log_error("%s: no space left: %llu frames dropped so far; writing resumes when space returns",
		  fs->cfg.path, (unsigned long long)dropped);
	fs->last_space_log_ns = now_ns;
	fs->dropped_at_log = dropped;
}

/*
 * A write failed (perhaps in the background, a piece or so ago) and the file
 * was cut back to whole blocks. Free space
 * through the retention policy if there is one; otherwise drop what is
 * buffered, count it, and carry on: the next flush tries again.
 */
static void recover_from_write_error(struct fileset *fs, int ret, uint64_t now_ns)
{
	int no_space = ret == -ENOSPC || ret == -EDQUOT;
	uint64_t frames;

	while (ret && no_space && may_free_space(fs) && free_oldest(fs, "disk full"))
		ret = output_file_flush(&fs->file);
	if (!ret)
		return;
	uncount_buffered(fs);
	frames = output_file_discard(&fs->file);
	fs->stats.frames_written -= frames;
	fs->file_frames -= frames;      /* now the file's frames on disk, once flushed */
	fs->file_dropped += frames;
	if (no_space) {
		fs->stats.dropped_disk_full += frames;
		fs->out_of_space = 1;
		log_space(fs, now_ns);
	} else {
		fs->stats.dropped_write_error += frames;
		log_error("%s: write failed: %s; %llu frames dropped", fs->file.path,
			  strerror(-ret), (unsigned long long)frames);
	}
	if (fs->file.bytes_written == 0)
		write_headers(fs); /* the file must still start with its SHB */
	fs->on_disk_at_drop = fs->file.bytes_written;
}

/* Space came back: frames reached the disk since the last drop. */
static void space_returned(struct fileset *fs)
{
	fs->out_of_space = 0;
	log_info("%s: writing again after %llu frames were dropped for lack of space",
		 fs->cfg.path,
		 (unsigned long long)(fs->stats.dropped_disk_full + fs->stats.dropped_min_free));
}

/*
 * Everything encoded goes to the disk with an fdatasync, in the background:
 * what comes back now is the outcome of earlier background writes.
 */
static void flush_and_sync(struct fileset *fs, uint64_t now_ns)
{
	int ret;

	if (fs->out_of_space) {
		/* Learn now, not a tick later, whether what was encoded since fits. */
		ret = output_file_flush(&fs->file);
		if (ret) {
			recover_from_write_error(fs, ret, now_ns);
			return;
		}
		if (fs->file.bytes_written <= fs->on_disk_at_drop)
			return; /* nothing new reached the disk: it may still be full */
		space_returned(fs);
	}
	ret = output_file_sync_start(&fs->file);
	if (ret)
		recover_from_write_error(fs, ret, now_ns);
}

/*
 * The set's next file is seq (the state file has it already, see
 * seq_recorded), or -w FILE begins.
 */
static int open_file(struct fileset *fs, uint64_t seq, int64_t start_sec, uint64_t now_ns,
		     char *err, size_t errlen)
{
	char part[FILESET_PATH_MAX];
	int ret;

	if (!fs->cfg.is_dir) {
		ret = output_file_begin(&fs->file);
		if (ret)
			err_set(err, errlen, "%s: cannot truncate: %s", fs->cfg.path, strerror(-ret));
	} else {
		fs->seq = seq;
		member_path(fs, part, sizeof(part), fs->seq, start_sec, FILESET_PART);
		member_path(fs, fs->final_path, sizeof(fs->final_path), fs->seq, start_sec,
			    FILESET_COMPLETE);
		ret = output_file_open(&fs->file, &fs->io, fs->dir_fd, part, OUTPUT_FILE_NEW, err,
				       errlen);
	}
	if (ret)
		return ret; /* seq is free still: no file has it */
	if (fs->cfg.is_dir)
		fs->next_seq = seq + 1;
	fs->file_open = 1;
	fs->stats.output_direct = fs->file.direct;
	fs->file_frames = fs->file_dropped = 0;
	memset(fs->file_stamps, 0, sizeof(fs->file_stamps));
	memset(fs->file_lost, 0, sizeof(fs->file_lost));
	ret = write_headers(fs);
	if (!ret)
		ret = output_file_flush(&fs->file);
	if (ret)
		recover_from_write_error(fs, ret, now_ns);
	fs->on_disk_at_drop = fs->file.bytes_written; /* headers alone do not mean space returned */
	return 0;
}

static const char *const ts_source_words[FILESET_TS_SOURCES] = {
	[FILESET_TS_NIC] = "by the nic",
	[FILESET_TS_HOOK] = "at the hook",
	[FILESET_TS_BATCH] = "per batch",
};

static enum fileset_ts_source ts_source_of(const struct frame_rec *rec)
{
	if (rec->flags & FRAME_REC_TS_HW)
		return FILESET_TS_NIC;
	return rec->flags & FRAME_REC_TS_HOOK ? FILESET_TS_HOOK : FILESET_TS_BATCH;
}

#define TS_NONE (-1)                    /* no frame */
#define TS_MIXED FILESET_TS_SOURCES     /* frames of more than one source */

/* The one source of the file's frames of interface i, TS_NONE or TS_MIXED; *total of them. */
static int file_source(const struct fileset *fs, unsigned int i, uint64_t *total)
{
	const uint64_t *n = fs->file_stamps[i];
	int only = TS_NONE, k;

	*total = 0;
	for (k = 0; k < FILESET_TS_SOURCES; k++) {
		*total += n[k];
		if (n[k])
			only = only == TS_NONE ? k : TS_MIXED;
	}
	return only;
}

/*
 * This file's frames of interface i by timestamp source, from its own
 * counts alone, for its ISB: "this file: 6 frames, timestamps all at the
 * hook", or "... timestamps mixed: 2 by the nic, 4 at the hook, 0 per batch".
 */
static void describe_file_stamps(const struct fileset *fs, unsigned int i, char *buf,
				 size_t len)
{
	const uint64_t *n = fs->file_stamps[i];
	uint64_t total;
	int only = file_source(fs, i, &total);
	size_t used;

	used = (size_t)snprintf(buf, len, "this file: %llu frames", (unsigned long long)total);
	if (fs->file_lost[i] && used < len)
		used += (size_t)snprintf(buf + used, len - used, " encoded, %llu of them lost to write errors",
					 (unsigned long long)fs->file_lost[i]);
	if (only != TS_NONE && only != TS_MIXED && used < len)
		snprintf(buf + used, len - used, ", timestamps all %s%s", ts_source_words[only],
			 only == FILESET_TS_BATCH ? " (no per-frame metadata)" : "");
	else if (only == TS_MIXED && used < len)
		snprintf(buf + used, len - used,
			 ", timestamps mixed: %llu by the nic, %llu at the hook, %llu per batch",
			 (unsigned long long)n[FILESET_TS_NIC], (unsigned long long)n[FILESET_TS_HOOK],
			 (unsigned long long)n[FILESET_TS_BATCH]);
}

void fileset_ts_slot(char *buf, size_t len)
{
	snprintf(buf, len, "%-*s", FILESET_TS_SLOT_LEN, FILESET_TS_PENDING);
}

/* What this file's frames of interface i got, for its IDB's slot. */
static void stamp_words(const struct fileset *fs, unsigned int i, char *buf, size_t len)
{
	const uint64_t *n = fs->file_stamps[i];
	uint64_t total;
	int only = file_source(fs, i, &total);
	unsigned long long all = (unsigned long long)total;

	if (only == TS_NONE)
		snprintf(buf, len, "timestamps: none, no frame of this interface in this file");
	else if (only == FILESET_TS_NIC)
		snprintf(buf, len, "timestamps by the nic (xdp rx metadata): all %llu frames of this file", all);
	else if (only == FILESET_TS_HOOK)
		snprintf(buf, len, "timestamps at the hook (software): all %llu frames of this file", all);
	else if (only == FILESET_TS_BATCH)
		snprintf(buf, len, "timestamps per batch of frames (software): all %llu frames of this file, no per-frame metadata",
			 all);
	else
		snprintf(buf, len, "timestamps mixed: %llu by the nic, %llu at the hook, %llu per batch, of this file's %llu frames",
			 (unsigned long long)n[FILESET_TS_NIC], (unsigned long long)n[FILESET_TS_HOOK],
			 (unsigned long long)n[FILESET_TS_BATCH], all);
}

/*
 * The file's headers as written, read back through a descriptor of its own
 * (the file is open write-only), checked to be the same file. 0 or -1.
 */
static int read_headers(const struct fileset *fs, uint8_t *buf, size_t n)
{
	struct stat a, b;
	const char *slash = strrchr(fs->file.path, '/');
	int fd = fs->file.dir_fd >= 0 ?
		 openat(fs->file.dir_fd, slash ? slash + 1 : fs->file.path,
			O_RDONLY | O_CLOEXEC | O_NOFOLLOW) :
		 open(fs->file.path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), ok;

	if (fd < 0)
		return -1;
	ok = !fstat(fd, &a) && !fstat(fs->file.fd, &b) && a.st_dev == b.st_dev &&
	     a.st_ino == b.st_ino && pread(fd, buf, n, 0) == (ssize_t)n;
	close(fd);
	return ok ? 0 : -1;
}

/*
 * The file's frames are all written: each IDB's slot gets what they got.
 * The headers are read back from the file (the ring has moved on); a slot
 * not found, or a failure, leaves the pending words, which are true too.
 */
static void fill_ts_slots(struct fileset *fs)
{
	char pending[FILESET_TS_SLOT_LEN + 1], words[FILESET_TS_SLOT_LEN + 1];
	size_t n = fs->headers_size;
	uint8_t *head, *p, *end;
	unsigned int i = 0;

	if (fs->file.fd < 0 || !n || n > (1u << 20) || fs->file.bytes_written < n)
		return;
	head = malloc(n);
	if (!head)
		return;
	fileset_ts_slot(pending, sizeof(pending));
	if (!read_headers(fs, head, n)) {
		for (p = head, end = head + n; i < FILESET_MAX_IFACES; p += FILESET_TS_SLOT_LEN, i++) {
			p = memmem(p, (size_t)(end - p), pending, FILESET_TS_SLOT_LEN);
			if (!p)
				break;
			stamp_words(fs, i, words, sizeof(words));
			snprintf(pending, sizeof(pending), "%-*s", FILESET_TS_SLOT_LEN, words);
			if (output_file_patch(&fs->file, (uint64_t)(p - head), pending,
					      FILESET_TS_SLOT_LEN))
				break;
			fileset_ts_slot(pending, sizeof(pending));
		}
	}
	free(head);
}

/* The true counts: completions done here, and those of the completion thread. */
static void count_outcomes(struct fileset *fs)
{
	char first[FILESET_PATH_MAX], why[POST_JOBS_WHY];
	uint64_t done, failed;

	post_jobs_outcome(&fs->post, &done, &failed, first, sizeof(first), why, sizeof(why));
	fs->stats.files_completed = fs->completed_here + done;
	fs->stats.files_incomplete = fs->incomplete_here + failed;
	if (!fs->incomplete_first[0] && first[0]) {
		snprintf(fs->incomplete_first, sizeof(fs->incomplete_first), "%s", first);
		snprintf(fs->incomplete_why, sizeof(fs->incomplete_why), "%s", why);
	}
}

static void note_incomplete(struct fileset *fs, const char *path, const char *why)
{
	fs->incomplete_here++;
	if (!fs->incomplete_first[0]) {
		snprintf(fs->incomplete_first, sizeof(fs->incomplete_first), "%s", path);
		snprintf(fs->incomplete_why, sizeof(fs->incomplete_why), "%s", why);
	}
	count_outcomes(fs);
}

static void note_completed(struct fileset *fs)
{
	fs->completed_here++;
	count_outcomes(fs);
}

static void add_isbs(struct fileset *fs, uint64_t now_ns)
{
	const struct fileset_stats *st = &fs->stats;
	unsigned int i;

	count_outcomes(fs);

	for (i = 0; i < idb_set_count(fs->cfg.idbs); i++) {
		struct pcapng_isb_info isb = { .if_id = i, .ts_ns = now_ns };
		char comment[1280] = "", this_file[200] = "";
		size_t used;

		fs->cfg.fill_isb(fs->cfg.ctx, i, &isb, comment, sizeof(comment));
		if (i < FILESET_MAX_IFACES)
			describe_file_stamps(fs, i, this_file, sizeof(this_file));
		used = strlen(comment);
		snprintf(comment + used, sizeof(comment) - used,
			 "%swriter: %s; files completed %llu, left as .part %llu, bytes %llu, frames written %llu, dropped: "
			 "disk full %llu, min-free %llu, write errors %llu",
			 used ? "; " : "", this_file, (unsigned long long)st->files_completed,
			 (unsigned long long)st->files_incomplete,
			 (unsigned long long)(st->bytes + output_file_size(&fs->file)),
			 (unsigned long long)st->frames_written,
			 (unsigned long long)st->dropped_disk_full,
			 (unsigned long long)st->dropped_min_free,
			 (unsigned long long)st->dropped_write_error);
		isb.usrdeliv = i < FILESET_MAX_IFACES ? fs->if_written[i] : PCAPNG_ISB_UNSET;
		isb.comment = comment;
		output_file_add_isb(&fs->file, &isb);
	}
}

/*
 * The file's content ends here, on the writer thread: frames out first (a
 * failure drops and counts them, so the ISBs tell the truth), then ISBs.
 * 1 when the ISBs are on disk too.
 */
static int write_end(struct fileset *fs, uint64_t now_ns)
{
	int ret = output_file_flush(&fs->file);

	if (ret)
		recover_from_write_error(fs, ret, now_ns);
	fill_ts_slots(fs);
	add_isbs(fs, now_ns);
	ret = output_file_flush(&fs->file);
	if (ret) /* the ISBs did not fit on the disk: the file is valid without them */
		output_file_discard(&fs->file);
	return ret ? 0 : 1;
}

enum completion {
	COMPLETE_LATER,         /* on the completion thread, if its queue has room */
	COMPLETE_NOW,           /* here: the set ends */
};

/*
 * fsync, close, the atomic rename and the directory's fsync: handed over
 * with the descriptor, or done here when the completion queue is full (a
 * stalled disk) or now is asked. Compression and --on-rotate follow.
 */
static int complete_member(struct fileset *fs, enum completion when)
{
	uint64_t size = fs->file.bytes_written;
	char why[POST_JOBS_WHY];
	int fd, ret = output_file_detach(&fs->file, &fd);

	if (ret) { /* a background write or fdatasync failed: the data is not known safe */
		log_error("%s: cannot complete the file: %s", fs->file.path, strerror(-ret));
		close(fd);
		snprintf(why, sizeof(why), "write: %s", strerror(-ret));
		note_incomplete(fs, fs->file.path, why);
		return ret;
	}
	if (when == COMPLETE_LATER &&
	    !post_jobs_hand_over(&fs->post, fd, fs->file.path, fs->final_path)) {
		fs->handed[fs->handed_count++ % POST_JOBS_COMPLETING] =
			(struct retained_file){ .seq = fs->seq, .size = size };
		return 0;
	}
	ret = post_jobs_complete_file_why(fs->dir_fd, fd, fs->file.path, fs->final_path, why,
					  sizeof(why));
	if (ret) {
		note_incomplete(fs, fs->file.path, why);
		return ret;
	}
	note_completed(fs);
	post_jobs_add(&fs->post, fs->final_path);
	return 0;
}

/* -w FILE: complete when closed whole (fsync and close succeeded). */
static int close_single(struct fileset *fs)
{
	char why[POST_JOBS_WHY];
	int ret = output_file_close(&fs->file);

	if (!ret) {
		note_completed(fs);
		return 0;
	}
	snprintf(why, sizeof(why), "write, fsync or close: %s", strerror(-ret));
	note_incomplete(fs, fs->cfg.path, why);
	return ret;
}

/*
 * A set's file that ends without a frame though frames were given to it
 * (all dropped: the disk was full), or whose end could not be written,
 * would be an empty or header-only member: it is removed instead, and its
 * number goes to the next file (it never was a member; the state file has
 * it already).
 */
static void withdraw_file(struct fileset *fs)
{
	log_debug("%s: removed, no frame of it reached the disk", fs->file.path);
	output_file_abandon(&fs->file);
	fs->next_seq = fs->seq;
}

static int end_file(struct fileset *fs, uint64_t now_ns, enum completion when)
{
	int whole = write_end(fs, now_ns);

	fs->file_open = 0;
	if (fs->cfg.is_dir && !fs->file_frames && (fs->file_dropped || !whole)) {
		withdraw_file(fs);
		return 0;
	}
	fs->stats.bytes += fs->file.bytes_written;
	if (!fs->cfg.is_dir)
		return close_single(fs);
	return complete_member(fs, when);
}

/*
 * Before the next file is created the state file takes its number, so that
 * it is never behind the files. On a full disk (with nothing retention may
 * delete) the rotation waits: 0, and it is tried again ROTATE_RETRY_NS
 * later. Any other failure lets it go on: the next start then finds the
 * highest number among the names.
 */
static int seq_recorded(struct fileset *fs, uint64_t seq, uint64_t now_ns)
{
	int ret;

	if (seq_is_saved(fs, seq))
		return 1;
	if (fs->rotation_waits && !interval_passed(now_ns, fs->rotate_tried_ns, ROTATE_RETRY_NS))
		return 0;
	ret = save_seq(fs, seq);
	while ((ret == -ENOSPC || ret == -EDQUOT) && may_free_space(fs) &&
	       free_oldest(fs, "disk full"))
		ret = save_seq(fs, seq);
	fs->rotation_waits = ret == -ENOSPC || ret == -EDQUOT;
	fs->rotate_tried_ns = now_ns;
	return !fs->rotation_waits;
}

enum rotation {
	ROTATE_SIZE,
	ROTATE_TIME,
	ROTATE_NEW_IDBS,        /* must happen: the file's IDBs are no longer true */
};

/*
 * A set's file ends only with frames in it, or with nothing given to it
 * (an idle interval): on a full disk a file whose frames were all dropped
 * stays (by size) or is replaced under the same number (by time), and
 * a rotation waits until the state file takes the next number. 0 when the
 * frame at now_ns may go on, -1 when it is dropped: a rotation waits.
 */
static int rotate(struct fileset *fs, uint64_t now_ns, int64_t start_sec, enum rotation why)
{
	int must = why == ROTATE_NEW_IDBS, ret;
	char err[256];

	if (!fs->file_open)
		return 0;
	if (!must && fs->rotation_waits &&
	    !interval_passed(now_ns, fs->rotate_tried_ns, ROTATE_RETRY_NS))
		return -1;
	ret = output_file_flush(&fs->file);
	if (ret)
		recover_from_write_error(fs, ret, now_ns); /* file_frames: those on disk */
	if (why == ROTATE_SIZE && !fs->file_frames)
		return 0; /* its frames were dropped: back under the size, it goes on */
	if (!must && (fs->file_frames || !fs->file_dropped) &&
	    !seq_recorded(fs, fs->next_seq, now_ns))
		return -1;
	fs->rotation_waits = 0;
	end_file(fs, now_ns, COMPLETE_LATER);
	if (open_file(fs, fs->next_seq, start_sec, now_ns, err, sizeof(err)))
		log_error("%s", err); /* frames are counted as dropped until a file opens */
	apply_retention(fs);
	return 0;
}

/* 0: the frame goes in the current file; -1: it is dropped, a rotation waits for space. */
static int maybe_rotate(struct fileset *fs, const struct frame_rec *rec, size_t epb_size)
{
	uint64_t isb_room = (uint64_t)idb_set_count(fs->cfg.idbs) * ISB_ROOM_PER_IFACE;

	if (fs->cfg.rotate_ns && rec->ts_ns >= fs->boundary_ns) {
		uint64_t start = rec->ts_ns - rec->ts_ns % fs->cfg.rotate_ns;

		if (rotate(fs, rec->ts_ns, (int64_t)(start / NS_PER_SEC), ROTATE_TIME))
			return -1;
		fs->boundary_ns = start + fs->cfg.rotate_ns;
		return 0;
	}
	if (fs->cfg.rotate_bytes && fs->file_frames &&
	    output_file_size(&fs->file) + epb_size + isb_room > fs->cfg.rotate_bytes)
		return rotate(fs, rec->ts_ns, (int64_t)(rec->ts_ns / NS_PER_SEC), ROTATE_SIZE);
	return 0;
}

/* A frame dropped by the set itself, for lack of space. */
static void drop_for_space(struct fileset *fs, uint64_t now_ns)
{
	fs->stats.dropped_disk_full++;
	if (!fs->out_of_space)
		fs->on_disk_at_drop = fs->file.bytes_written;
	fs->out_of_space = 1;
	log_space(fs, now_ns);
}

/*
 * Direction and verdict of a frame, as the EPB says them: a received frame
 * was redirected to AF_XDP (bypass) or passed on after its copy (inline); a
 * transmitted one left the TC egress program with TC_ACT_UNSPEC (-1).
 */
static void epb_direction(const struct frame_rec *rec, struct pcapng_epb_info *epb)
{
	epb->has_verdict = 1;
	if (rec->flags & FRAME_REC_OUTBOUND) {
		epb->flags = PCAPNG_EPB_FLAG_OUTBOUND;
		epb->verdict_type = PCAPNG_VERDICT_TC;
		epb->verdict = UINT64_MAX; /* TC_ACT_UNSPEC */
		return;
	}
	epb->flags = PCAPNG_EPB_FLAG_INBOUND;
	epb->verdict_type = PCAPNG_VERDICT_XDP;
	epb->verdict = rec->flags & FRAME_REC_COPIED ? 2 /* XDP_PASS */ : 4 /* XDP_REDIRECT */;
}

/*
 * The frame's bytes copied now, or (by_ref) left where the record has them
 * for the file to write from (a direct file copies them anyway).
 */
static int add_epb(struct fileset *fs, const struct pcapng_epb_info *epb,
		   const struct frame_rec *rec, int by_ref)
{
	struct iovec segs[FRAME_REC_MAX_SEGS];
	unsigned int n = frame_rec_segments(rec, segs);

	if (by_ref)
		return output_file_add_epb_ref(&fs->file, epb, segs, n);
	return output_file_add_epb_copy(&fs->file, epb, segs, n);
}

_Static_assert(FRAME_REC_MAX_SEGS <= OUTPUT_FILE_MAX_SEGS, "a record's segments, one EPB");

static void write_frame(struct fileset *fs, const struct frame_rec *rec, int by_ref)
{
	struct pcapng_epb_info epb = {
		.if_id = rec->if_id,
		.ts_ns = rec->ts_ns,
		.caplen = rec->caplen,
		.origlen = rec->origlen,
		.has_queue = 1,
		.queue = rec->queue,
	};
	int ret;

	epb_direction(rec, &epb);
	if (fs->holding_for_min_free) {
		fs->stats.dropped_min_free++;
		return;
	}
	if (fs->cfg.is_dir && maybe_rotate(fs, rec, pcapng_epb_size(&epb))) {
		drop_for_space(fs, rec->ts_ns);
		return;
	}
	if (!fs->file_open) {
		fs->stats.dropped_write_error++;
		return;
	}
	ret = add_epb(fs, &epb, rec, by_ref);
	if (ret) {
		recover_from_write_error(fs, ret, rec->ts_ns);
		ret = add_epb(fs, &epb, rec, by_ref);
	}
	if (ret) {
		fs->stats.dropped_write_error++;
		return;
	}
	fs->stats.frames_written++;
	fs->file_frames++;
	if (rec->if_id < FILESET_MAX_IFACES) {
		fs->if_written[rec->if_id]++;
		fs->file_stamps[rec->if_id][ts_source_of(rec)]++;
	}
}

void fileset_write(struct fileset *fs, const struct frame_rec *rec)
{
	write_frame(fs, rec, 0);
}

void fileset_write_ref(struct fileset *fs, const struct frame_rec *rec)
{
	write_frame(fs, rec, 1);
}

void fileset_push(struct fileset *fs)
{
	if (fs->file_open && fileset_refs_done(fs) != fileset_refs_added(fs))
		output_file_push(&fs->file);
}

/* ---- housekeeping ------------------------------------------------------------- */

static uint64_t free_bytes(const struct fileset *fs)
{
	struct statvfs sv;

	if (fstatvfs(fs->dir_fd, &sv))
		return UINT64_MAX;
	return (uint64_t)sv.f_bavail * sv.f_frsize;
}

/* Keep --min-free: delete oldest members; if none is left, hold frames back. */
static void keep_min_free(struct fileset *fs, uint64_t now_ns)
{
	while (free_bytes(fs) < fs->cfg.min_free)
		if (!free_oldest(fs, "--min-free"))
			break;
	if (free_bytes(fs) < fs->cfg.min_free) {
		if (!fs->holding_for_min_free)
			log_error("%s: less than --min-free left and no completed file to delete: dropping frames",
				  fs->cfg.path);
		fs->holding_for_min_free = 1;
		log_space(fs, now_ns);
	} else if (fs->holding_for_min_free) {
		fs->holding_for_min_free = 0;
		log_info("%s: --min-free met again, writing resumes", fs->cfg.path);
	}
}

void fileset_io_words(const struct fileset *fs, char *buf, size_t len)
{
	char name[24];

	snprintf(buf, len, "%s I/O on %s", output_file_io_name(&fs->file),
		 output_io_fs_name(fs->file.fs_type, name, sizeof(name)));
}

void fileset_current_path(const struct fileset *fs, char *buf, size_t len)
{
	snprintf(buf, len, "%s", fs->file_open ? fs->file.path : "");
}

/*
 * A set's next file could not be opened at a rotation (a full directory,
 * too many open files): tried again at every tick, frames counted as
 * dropped meanwhile. Its failure was said once, at the rotation.
 */
static void reopen(struct fileset *fs, uint64_t now_ns)
{
	uint64_t start = fs->cfg.rotate_ns ? now_ns - now_ns % fs->cfg.rotate_ns : now_ns;
	char err[256];

	if (open_file(fs, fs->next_seq, (int64_t)(start / NS_PER_SEC), now_ns, err, sizeof(err)))
		return;
	if (fs->cfg.rotate_ns)
		fs->boundary_ns = start + fs->cfg.rotate_ns;
	log_info("%s: writing again in %s", fs->cfg.path, fs->file.path);
}

void fileset_tick(struct fileset *fs, uint64_t now_ns)
{
	count_outcomes(fs); /* the completion thread's, for the status and the metrics */
	if (fs->cfg.is_dir && !fs->file_open && fs->started)
		reopen(fs, now_ns);
	if (!fs->file_open)
		return;
	if (fs->cfg.is_dir && fs->cfg.rotate_ns && now_ns >= fs->boundary_ns) {
		uint64_t start = now_ns - now_ns % fs->cfg.rotate_ns;

		if (!rotate(fs, now_ns, (int64_t)(start / NS_PER_SEC), ROTATE_TIME))
			fs->boundary_ns = start + fs->cfg.rotate_ns;
	}
	if (fs->cfg.is_dir && fs->file_open && !seq_is_saved(fs, fs->seq))
		save_seq(fs, fs->seq); /* it could not be written when the file opened */
	if (fs->cfg.is_dir && fs->cfg.min_free)
		keep_min_free(fs, now_ns);
	if (now_ns - fs->last_sync_ns >= fs->cfg.sync_ns) {
		flush_and_sync(fs, now_ns);
		fs->last_sync_ns = now_ns;
		/* The current file grows: hold the byte budget between rotations too. */
		if (fs->cfg.is_dir && fs->cfg.retention.max_bytes)
			apply_retention(fs);
	}
}

void fileset_use_idbs(struct fileset *fs, struct idb_set *set)
{
	struct idb_set *old = fs->cfg.idbs;

	fs->cfg.idbs = idb_set_ref(set);
	idb_set_unref(old);
}

/*
 * The current file takes the IDBs of interfaces that appeared since it
 * began, after what it holds (their frames follow). Their timestamp slots
 * stay the pending words: only the headers at the start are filled in.
 */
static void append_idbs(struct fileset *fs, struct idb_set *set)
{
	unsigned int i = idb_set_count(fs->cfg.idbs);

	fileset_use_idbs(fs, set);
	if (!fs->file_open)
		return;
	for (; i < idb_set_count(set); i++)
		if (output_file_add_idb(&fs->file, idb_set_at(set, i)))
			break;
}

void fileset_reconfigure(struct fileset *fs, const struct fileset_config *cfg, uint64_t now_ns)
{
	int new_idbs = cfg->idbs != fs->cfg.idbs;

	if (new_idbs && idb_set_extends(cfg->idbs, fs->cfg.idbs)) {
		append_idbs(fs, cfg->idbs);
		new_idbs = 0;
	}
	int new_period = cfg->rotate_ns != fs->cfg.rotate_ns;

	fs->cfg.rotate_bytes = cfg->rotate_bytes;
	fs->cfg.rotate_ns = cfg->rotate_ns;
	fs->cfg.retention = cfg->retention;
	fs->cfg.min_free = cfg->min_free;
	fs->cfg.sync_ns = cfg->sync_ns;
	if (new_idbs)   /* the same interfaces: the current file's ISBs are the same too */
		fileset_use_idbs(fs, cfg->idbs);
	if (fs->cfg.is_dir)
		post_jobs_configure(&fs->post, cfg->compress, cfg->on_rotate);
	if (new_period && cfg->rotate_ns)
		fs->boundary_ns = fileset_next_boundary(now_ns, cfg->rotate_ns);
	if (fs->cfg.is_dir && fs->file_open && new_idbs)
		rotate(fs, now_ns, (int64_t)(now_ns / NS_PER_SEC), ROTATE_NEW_IDBS);
	else if (fs->cfg.is_dir)
		apply_retention(fs);
}

/* ---- lifecycle ------------------------------------------------------------------ */

static void release_dir(struct fileset *fs)
{
	output_io_stop(&fs->io);
	post_jobs_stop(&fs->post);
	if (fs->lock_fd >= 0)
		close(fs->lock_fd);
	if (fs->dir_fd >= 0)
		close(fs->dir_fd);
	fs->lock_fd = fs->dir_fd = -1;
	fileset_use_idbs(fs, NULL);
}


int fileset_open(struct fileset *fs, const struct fileset_config *cfg, char *err, size_t errlen)
{
	int ret;

	memset(fs, 0, sizeof(*fs));
	fs->cfg = *cfg;
	idb_set_ref(fs->cfg.idbs);
	fs->dir_fd = fs->lock_fd = -1;
	fs->file.fd = fs->file.dir_fd = -1;
	ret = output_io_start(&fs->io, cfg->output_io);
	if (ret) {
		err_set(err, errlen, "%s: cannot start the writing thread: %s", cfg->path,
			strerror(-ret));
		return ret;
	}
	if (!cfg->is_dir) {
		ret = output_file_open(&fs->file, &fs->io, -1, cfg->path, OUTPUT_FILE_REPLACE, err,
				       errlen);
		if (ret)
			output_io_stop(&fs->io);
		fs->stats.output_direct = fs->file.direct;
		return ret;
	}
	ret = prepare_dir(fs, err, errlen);
	if (!ret && cfg->check_dir)
		ret = cfg->check_dir(cfg->ctx, fs, err, errlen);
	if (!ret)
		ret = lock_set(fs, err, errlen);
	if (!ret) {
		ret = post_jobs_start(&fs->post, cfg->compress, cfg->on_rotate);
		if (!ret)
			ret = post_jobs_start_completion(&fs->post, fs->dir_fd);
		if (ret)
			err_set(err, errlen, "%s: cannot start the post-rotation thread: %s",
				fs->dir, strerror(-ret));
	}
	if (!ret)
		ret = scan_leftovers(fs, err, errlen);
	if (ret)
		release_dir(fs);
	return ret;
}

/* ---- can the set be used once started? ---------------------------------------------- */

static void probe_paths(const struct fileset *fs, char *made, char *renamed, size_t len)
{
	char name[256];

	state_name(fs, name, sizeof(name), "probe");
	snprintf(made, len, "%s/%s", fs->dir, name);
	state_name(fs, name, sizeof(name), "probe-renamed");
	snprintf(renamed, len, "%s/%s", fs->dir, name);
}

/* One step of the probe: 0, or -errno with "STEP NAME: reason" in err. */
static int probe_step(int failed, const char *step, const char *path, char *err, size_t errlen)
{
	int e = errno;

	if (!failed)
		return 0;
	err_set(err, errlen, "%s %s: %s", step, strrchr(path, '/') + 1, strerror(e));
	return -e;
}

/* A path of the set's, as the name the *at() calls take relative to dir_fd. */
static const char *in_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/*
 * As a file of the set lives: created new beside the others (output_file.c),
 * written, renamed from its .part name (post_jobs.c), deleted (retention).
 */
int fileset_probe_dir(const struct fileset *fs, char *err, size_t errlen)
{
	char made[FILESET_PATH_MAX], renamed[FILESET_PATH_MAX];
	static const char byte = '\n';
	int fd, ret;

	if (!fs->cfg.is_dir)
		return 0;
	probe_paths(fs, made, renamed, sizeof(made));
	fd = openat(fs->dir_fd, in_dir(made), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		    0640);
	ret = probe_step(fd < 0, "create", made, err, errlen);
	if (ret)
		return ret;
	/* A full disk is no refusal: the capture drops and counts until space returns. */
	ret = probe_step(write(fd, &byte, 1) != 1 && errno != ENOSPC && errno != EDQUOT, "write",
			 made, err, errlen);
	close(fd);
	if (!ret)
		ret = probe_step(renameat(fs->dir_fd, in_dir(made), fs->dir_fd, in_dir(renamed)) != 0,
				 "rename", made, err, errlen);
	if (!ret)
		ret = probe_step(unlinkat(fs->dir_fd, in_dir(renamed), 0) != 0, "delete", renamed, err,
				 errlen);
	return ret;
}

void fileset_probe_cleanup(const struct fileset *fs)
{
	char made[FILESET_PATH_MAX], renamed[FILESET_PATH_MAX];

	if (!fs->cfg.is_dir)
		return;
	probe_paths(fs, made, renamed, sizeof(made));
	unlinkat(fs->dir_fd, in_dir(made), 0);
	unlinkat(fs->dir_fd, in_dir(renamed), 0);
}

int fileset_start(struct fileset *fs, uint64_t now_ns, char *err, size_t errlen)
{
	uint64_t start = now_ns;

	if (fs->cfg.rotate_ns) {
		fs->boundary_ns = fileset_next_boundary(now_ns, fs->cfg.rotate_ns);
		start = fs->boundary_ns - fs->cfg.rotate_ns;
	}
	fs->last_sync_ns = now_ns;
	if (fs->cfg.is_dir)
		save_seq(fs, fs->next_seq); /* if the disk is full, tried again at each tick */
	fs->started = 1;
	return open_file(fs, fs->next_seq, (int64_t)(start / NS_PER_SEC), now_ns, err, errlen);
}

/*
 * The set ended with its last file withdrawn: the state file goes back to
 * the number before (best effort), so that it names the highest file; the
 * withdrawn number was never a member's.
 */
static void unsave_withdrawn_seq(struct fileset *fs)
{
	char name[256];

	if (!fs->seq_saved_valid || fs->seq_saved != fs->seq)
		return;
	if (fs->seq > 0) {
		save_seq(fs, fs->seq - 1);
		return;
	}
	state_name(fs, name, sizeof(name), "seq");
	if (!unlinkat(fs->dir_fd, name, 0))
		fs->seq_saved_valid = 0;
}

int fileset_close(struct fileset *fs, uint64_t now_ns)
{
	int ret = 0;

	/* Files handed over first, so they are renamed in order, then the last one here. */
	post_jobs_wait_completed(&fs->post);
	if (fs->file_open && fs->cfg.is_dir && !seq_is_saved(fs, fs->seq))
		save_seq(fs, fs->seq);
	if (fs->file_open) {
		ret = end_file(fs, now_ns, COMPLETE_NOW);
		if (fs->cfg.is_dir && fs->next_seq == fs->seq) /* withdrawn */
			unsave_withdrawn_seq(fs);
	}
	if (fs->cfg.is_dir)
		apply_retention(fs);
	count_outcomes(fs); /* before release_dir: the completion thread's counts go with it */
	release_dir(fs);
	if (!ret && fs->stats.files_incomplete)
		ret = -EIO;
	return ret;
}

void fileset_abandon(struct fileset *fs)
{
	if (fs->file.fd >= 0) /* opened, not completed */
		output_file_abandon(&fs->file);
	fs->file_open = 0;
	release_dir(fs);
}
