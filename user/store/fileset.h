/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where frames end up: one file (-w FILE) or a rotating file set (-w DIR).
 *
 * A set's files are named by fileset_name.h; the file being written ends in
 * .part and is renamed when complete, after an fsync of the file and then of
 * the directory. Every file opens on its own (SHB and IDBs at its start, ISBs
 * at its end). Retention deletes only completed members of the set, oldest
 * first. At open, .part files left by a crash are repaired and completed, and
 * sequence numbers continue after both the state file (.vpncap-TAG.seq, the
 * highest number a file was created with, written before the file is) and
 * every member, so none is used twice; a state file that is corrupt or
 * behind the files is overridden, and said so. A full disk never fails the
 * capture: frames are dropped and counted, and writing resumes by itself.
 * A member is completed only with frames in it, or with none given to it
 * (an idle interval): a file whose frames were all dropped stays open (by
 * size), or is replaced under its number (by time), or is removed at the
 * end; a rotation waits until the state file has the next number. "No
 * space left" is logged once, then at most every 10 s. Everything here
 * runs on the writer thread, except the write()s and periodic fdatasyncs,
 * which output_file.c's I/O and sync threads do in the background (their
 * errors are learnt, and handled here, a piece or so later), and the
 * completion of a set's file (fsync, close, rename, the directory's
 * fsync), which post_jobs.c's completion thread does while the writer goes on
 * with the next file (see fileset.c).
 */
#ifndef VPNCAP_STORE_FILESET_H
#define VPNCAP_STORE_FILESET_H

#include <stdint.h>

#include "store/output_file.h"
#include "store/compress.h"
#include "store/fileset_name.h"
#include "store/idb_set.h"
#include "frame_rec.h"
#include "pcapng.h"
#include "store/post_jobs.h"
#include "store/retention.h"

#define FILESET_MAX_IFACES 16
#define FILESET_DIR_MAX 4096
/* A member's full path: the directory, '/', a name of at most 511 bytes, a suffix. */
#define FILESET_PATH_MAX (FILESET_DIR_MAX + 512 + 16)

struct fileset;

struct fileset_config {
	const char *path;               /* -w: a directory (set) or a file */
	int is_dir;
	/* A set's directory may be writable by others (--allow-shared-dir); else refused. */
	int allow_shared_dir;
	const char *tag;                /* interface part of the set's names */
	uint64_t rotate_bytes;          /* 0 = no size rotation */
	uint64_t rotate_ns;             /* 0 = no time rotation */
	struct retention_policy retention;
	uint64_t min_free;              /* bytes to keep free; 0 = off */
	uint64_t sync_ns;               /* --sync-interval */
	enum output_io_mode output_io;  /* --output-io (not changed by a reload) */
	enum compress_kind compress;
	const char *on_rotate;          /* NULL = none */
	const struct pcapng_shb_info *shb;
	/*
	 * The IDBs each new file starts with. The file set takes its own
	 * reference (fileset_open, fileset_reconfigure, fileset_use_idbs); a
	 * new set starts a new file.
	 */
	struct idb_set *idbs;
	/*
	 * Statistics of interface if_id for the ISB that closes a file (counters
	 * since the capture began) and the start of its comment.
	 */
	void (*fill_isb)(void *ctx, unsigned int if_id, struct pcapng_isb_info *isb,
			 char *comment, size_t len);
	/*
	 * A set only, at fileset_open: once its directory exists and before
	 * anything is written in it, may the capture use it once started (see
	 * fileset_probe_dir)? 0, or -errno with err set: the set is not
	 * opened. NULL: no check.
	 */
	int (*check_dir)(void *ctx, const struct fileset *fs, char *err, size_t errlen);
	void *ctx;
};

struct fileset_stats {
	/*
	 * Files that reached their final name (a set) or were closed whole
	 * (-w FILE), and those whose completion failed: a set's stays .part.
	 * Counted when the completion is done, on whichever thread did it.
	 */
	uint64_t files_completed;
	uint64_t files_incomplete;
	uint64_t files_recovered;
	uint64_t files_deleted;         /* by retention or --min-free */
	uint64_t bytes;                 /* written to completed and current files */
	uint64_t frames_written;
	uint64_t dropped_disk_full;     /* ENOSPC / EDQUOT with nothing left to free */
	uint64_t dropped_min_free;      /* held back to keep --min-free */
	uint64_t dropped_write_error;   /* other write errors */
	uint32_t output_direct;         /* the current file is written with O_DIRECT (output_file.h) */
};

/*
 * The words of an IDB about the timestamps of the file's own frames can
 * only be known once the file ends: an IDB description may hold this slot
 * (FILESET_TS_SLOT_LEN bytes: FILESET_TS_PENDING padded with spaces), and
 * when the file's last frame is written the set puts in its place, padded
 * the same, what the file's counts say ("timestamps at the hook
 * (software): all 6 frames of this file"). The k-th slot in the file's
 * headers is interface k's. A file that never ends cleanly keeps the
 * pending words, which are true too.
 */
#define FILESET_TS_SLOT_LEN 168
#define FILESET_TS_PENDING "timestamps of this file's frames: counted when the file is complete"

/* The slot as it is written at first, for an IDB description (len > FILESET_TS_SLOT_LEN). */
void fileset_ts_slot(char *buf, size_t len);

/* Where a frame's timestamp came from (frame_rec.h flags), counted per file. */
enum fileset_ts_source {
	FILESET_TS_NIC,
	FILESET_TS_HOOK,
	FILESET_TS_BATCH,
	FILESET_TS_SOURCES
};

struct fileset {
	struct fileset_config cfg;
	struct fileset_stats stats;
	struct output_file file;
	struct output_io io;           /* the write ring and its thread, for every file */
	struct post_jobs post;
	int file_open;
	int started;                    /* fileset_start was called: a set reopens a file */
	int dir_fd;
	int lock_fd;
	char dir[FILESET_DIR_MAX];
	char final_path[FILESET_PATH_MAX];          /* the name the current file gets when complete */
	uint64_t seq;                   /* of the current file */
	uint64_t next_seq;
	uint64_t file_frames;           /* encoded in the current file, less those dropped */
	uint64_t boundary_ns;           /* next time rotation */
	uint64_t last_sync_ns;
	uint64_t if_written[FILESET_MAX_IFACES];
	int out_of_space;               /* dropping for lack of space */
	int holding_for_min_free;
	int space_logged;               /* "no space left" said once: then every 10 s */
	uint64_t last_space_log_ns;
	uint64_t dropped_at_log;
	uint64_t on_disk_at_drop;       /* the file's bytes on disk at the last drop */
	/*
	 * A rotation waits for the state file to take the next number (the
	 * disk is full): frames are dropped, and it is tried again
	 * ROTATE_RETRY_NS after rotate_tried_ns.
	 */
	int rotation_waits;
	uint64_t rotate_tried_ns;
	uint64_t seq_saved;             /* the state file's number, once written */
	int seq_saved_valid;
	uint64_t file_dropped;          /* frames given to the current file and lost */
	/*
	 * The last files handed over for completion, the newest at
	 * handed_count - 1: retention counts those not complete yet as members
	 * but never deletes them.
	 */
	struct retained_file handed[POST_JOBS_COMPLETING];
	uint64_t handed_count;
	/* Completions the writer thread did itself (the rest: post_jobs_outcome). */
	uint64_t completed_here, incomplete_here;
	char incomplete_first[sizeof(((struct output_file *)0)->path)]; /* the first left incomplete, or "" */
	char incomplete_why[POST_JOBS_WHY];         /* "rename: Permission denied" */
	/* The current file's frames per interface by timestamp source, and those lost after. */
	uint64_t file_stamps[FILESET_MAX_IFACES][FILESET_TS_SOURCES];
	uint64_t file_lost[FILESET_MAX_IFACES];
	uint64_t headers_size;          /* SHB and IDBs of the current file */
};

/*
 * Check and prepare the output without writing a frame: a file is opened
 * (not truncated), a set's directory is created if missing (0750), locked
 * against a second vpncap, and its leftovers recovered. 0 or -errno.
 */
int fileset_open(struct fileset *fs, const struct fileset_config *cfg, char *err, size_t errlen);

/*
 * What a set's files go through once the capture runs, tried on a scratch
 * file with the calling thread's privileges: create, write, rename and
 * delete, by the paths the set uses. 0 (nothing left behind), or -errno
 * with err naming the step ("rename .vpncap-TAG.probe: Permission
 * denied"). -w FILE: 0, nothing is created after the start. Any thread;
 * fileset_probe_cleanup removes what a failed probe left.
 */
int fileset_probe_dir(const struct fileset *fs, char *err, size_t errlen);
void fileset_probe_cleanup(const struct fileset *fs);

/* The capture starts: first file, headers written. 0 or -errno. */
int fileset_start(struct fileset *fs, uint64_t now_ns, char *err, size_t errlen);

/* One frame; failures are counted, never returned. */
void fileset_write(struct fileset *fs, const struct frame_rec *rec);

/*
 * The same, but the frame's bytes may be written from the record itself,
 * later (output_file_add_epb_ref): they must stay until fileset_refs_done()
 * reaches fileset_refs_added() as it is on return.
 */
void fileset_write_ref(struct fileset *fs, const struct frame_rec *rec);

/* Frames written by reference so far, and of those, the ones whose bytes are free again. */
static inline uint64_t fileset_refs_added(const struct fileset *fs)
{
	return output_io_refs_added(&fs->io);
}

static inline uint64_t fileset_refs_done(struct fileset *fs)
{
	return output_io_refs_done(&fs->io);
}

/* Frames held by reference: have them written now, without waiting. */
void fileset_push(struct fileset *fs);

/* Time rotation, periodic sync, --min-free; call at least once a second. */
void fileset_tick(struct fileset *fs, uint64_t now_ns);

/*
 * Reload (writer thread): new rotation, retention, sync, compression and
 * on-rotate settings, and new IDBs (a changed filter). A set starts a new
 * file when the IDBs changed, so every file's if_filter tells the truth.
 */
void fileset_reconfigure(struct fileset *fs, const struct fileset_config *cfg, uint64_t now_ns);

/* The IDBs to start files with, before fileset_start (the set is referenced, not taken). */
void fileset_use_idbs(struct fileset *fs, struct idb_set *set);

/* How the current file is written, in words: "direct I/O on ext4", "buffered I/O on tmpfs". */
void fileset_io_words(const struct fileset *fs, char *buf, size_t len);

/* The path of the file being written ("" when none is open). */
void fileset_current_path(const struct fileset *fs, char *buf, size_t len);

/*
 * End: final ISBs, every file completed (those handed over before waited
 * for), post jobs finished; stats then hold the true counts. 0 when every
 * file was completed, else the last file's -errno or -EIO (an earlier file
 * stayed .part: incomplete_first says which).
 */
int fileset_close(struct fileset *fs, uint64_t now_ns);

/* The capture never started: remove what fileset_start created. */
void fileset_abandon(struct fileset *fs);

#endif /* VPNCAP_STORE_FILESET_H */
