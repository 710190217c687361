/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One PCAPNG output file, written through a byte ring and an I/O thread
 * (struct output_io, one per capture). The writer thread encodes blocks
 * straight into the ring and, every OUTPUT_FILE_PIECE bytes, publishes how
 * far whole blocks are encoded; the I/O thread write()s everything published
 * once a piece or more is (in one write() per piece while it keeps up), so
 * the bytes it hands to the kernel are still in cache. A span always ends at
 * a published position, never inside a block. The writer waits for the file
 * system only when the ring is full, at a synchronous flush (rotation,
 * close) and on errors. The ring and the thread are made once per capture,
 * not per file; nothing is allocated per frame, and no system call is made
 * per frame.
 *
 * A block is never split: one that does not fit before the end of the ring
 * starts again at its beginning (the gap is never written), and published
 * positions are always block boundaries, so every write() is whole blocks.
 * A failed write (ENOSPC, EIO) is rolled back to the last whole block on
 * disk, so the file is never left with half a block, and the I/O thread
 * stops. With writes in the background the error is learnt later, at the
 * next publish or wait; the unwritten blocks stay in the ring, in file order,
 * and the caller retries (output_file_flush) or drops them
 * (output_file_discard), having walked them (output_file_unwritten) to
 * count them. The file set (fileset.c) rotates these files, and hands a
 * finished one over (output_file_detach) to be fsynced and closed on
 * another thread while the next one is written.
 *
 * The periodic fdatasync runs on a sync thread of its own (one per
 * output_io, like the I/O thread): on a disk it takes a hundred
 * milliseconds or more at line rate, while the ring fills in about ten, so
 * an I/O thread that waited for it would make the writer wait and the frame
 * queues overflow. Once everything published before the request is written,
 * the I/O thread asks the sync thread and goes on writing; a sync asked
 * while one runs follows it, so at most one runs and one waits. Its error is
 * learnt like a background write's, at the next request or at detach and
 * close, which wait for a running sync: the descriptor stays the file's
 * until the sync on it has returned.
 */
#ifndef VPNCAP_STORE_OUTPUT_FILE_H
#define VPNCAP_STORE_OUTPUT_FILE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "pcapng.h"

#define OUTPUT_FILE_RING (8u << 20)            /* the ring: a power of two */
#define OUTPUT_FILE_MAX_BLOCK (OUTPUT_FILE_RING / 2) /* any block up to this fits */
#define OUTPUT_FILE_PIECE (256u << 10)         /* published, and written, in pieces of this */

/*
 * The I/O thread and the ring, shared by the files a capture writes in turn.
 * Ring positions are logical byte counts since the file opened (physical
 * offset = position % OUTPUT_FILE_RING); they include the gaps left at the
 * end of the ring. Fields below the lock are under it.
 */
struct output_io {
	pthread_t thread;
	pthread_t sync_thread;
	int started;
	uint8_t *ring;
	pthread_mutex_t lock;
	pthread_cond_t work;            /* to the I/O thread: published, sync, stop */
	pthread_cond_t sync_work;       /* to the sync thread: a sync asked, stop */
	pthread_cond_t progress;        /* to the writer: written, synced, failed */
	int fd;
	int stop;
	int busy;                       /* the I/O thread in a write() without the lock */
	int syncing;                    /* the sync thread in fdatasync() without the lock */
	uint64_t commit;                /* whole blocks encoded up to here (writer) */
	uint64_t tail;                  /* written up to here (I/O thread) */
	uint64_t urgent;                /* write up to here even in spans below a piece */
	uint64_t gap;                   /* where the data of tail's lap ends; UINT64_MAX: none */
	uint64_t sync_to;               /* fdatasync once tail is here (writer) */
	uint64_t sync_asked;            /* the sync thread asked up to here (I/O thread) */
	uint64_t synced_to;             /* an fdatasync returned for up to here (sync thread) */
	uint64_t on_disk;               /* file size: whole blocks, where a failure rolls back to */
	int err;                        /* a write failed (-errno): the I/O thread stopped */
	int sync_err;                   /* a background fdatasync failed: -errno, for the next sync */
	uint64_t calls;                 /* write() calls */
};

/* Start the I/O and sync threads and allocate the ring. 0 or -errno. */
int output_io_start(struct output_io *io);
/* Stop it (no file may be open on it) and free the ring. Safe if never started. */
void output_io_stop(struct output_io *io);

/* The writer thread's side of the ring. */
struct output_file {
	int fd;
	int dir_fd;                     /* the directory it was opened in (not owned), or -1 */
	char path[8192];
	struct output_io *io;
	uint8_t *ring;                  /* io->ring */
	uint64_t head;                  /* encoded up to here */
	uint64_t commit;                /* published up to here (io->commit) */
	uint64_t limit;                 /* blocks may be encoded up to here without asking */
	uint64_t size;                  /* file size once everything encoded is written */
	uint64_t bytes_written;         /* on disk, whole blocks only, as last learnt */
	uint64_t write_calls;           /* as last learnt */
	int failed;                     /* a write error was returned; unwritten blocks kept */
	int created;                    /* the file did not exist before open */
};

enum output_file_open_mode {
	OUTPUT_FILE_NEW,        /* must not exist (O_EXCL) */
	OUTPUT_FILE_REPLACE,    /* may exist; truncated only by output_file_begin() */
};

/*
 * Open path for writing through io (created 0640, never through a symlink).
 * dir_fd >= 0: the file is its last component in that directory (openat),
 * path only names it in messages; -1: path itself. With
 * OUTPUT_FILE_REPLACE an existing file keeps its contents until
 * output_file_begin(), once the capture is known to start.
 */
int output_file_open(struct output_file *f, struct output_io *io, int dir_fd, const char *path,
		     enum output_file_open_mode mode, char *err, size_t errlen);
int output_file_begin(struct output_file *f);

/* The capture never started: close, and remove the file if we created it. */
void output_file_abandon(struct output_file *f);

/* 0, or -errno of a background write learnt now (see the file comment). */
int output_file_add_shb(struct output_file *f, const struct pcapng_shb_info *shb);
int output_file_add_idb(struct output_file *f, const struct pcapng_idb_info *idb);
int output_file_add_epb(struct output_file *f, const struct pcapng_epb_info *epb,
			const void *frame);
int output_file_add_isb(struct output_file *f, const struct pcapng_isb_info *isb);

/* Bytes the file will have once everything encoded is written. */
static inline uint64_t output_file_size(const struct output_file *f)
{
	return f->size;
}

/*
 * Write out everything encoded (retrying a failed write) and wait; 0 or
 * -errno. On failure the file is cut back to its last whole block and the
 * unwritten blocks are kept. A background fdatasync is not waited for.
 */
int output_file_flush(struct output_file *f);

/*
 * The blocks not on disk after a failure, in file order: up to two regions
 * (the ring may wrap). Lets the I/O thread finish what was published first
 * (it stops at a failure). Returns the number of regions.
 */
unsigned int output_file_unwritten(struct output_file *f, const uint8_t *data[2],
				   size_t len[2]);

/*
 * Drop what is not on disk (after a failed flush): the same blocks
 * output_file_unwritten() just gave. Returns the EPBs dropped.
 */
uint64_t output_file_discard(struct output_file *f);

/* Flush and fdatasync, and wait: what a power cut can no longer take. */
int output_file_sync(struct output_file *f);

/*
 * The same in the background: publish everything encoded, have the I/O
 * thread write it and then the sync thread fdatasync it, and return. Returns
 * the error of an earlier background write or fdatasync, if one failed
 * (learnt now); the result of this one comes with a later call.
 */
int output_file_sync_start(struct output_file *f);

/* Flush, fsync and close; 0 or -errno. Safe on a file that failed to open. */
int output_file_close(struct output_file *f);

/*
 * Flush and hand the open file over: *fd is its descriptor (-1 if none),
 * the caller's to fsync and close, on any thread. Neither f nor the I/O and
 * sync threads touch it again: they are idle when this returns (a running
 * fdatasync is waited for) and the ring is free for the next file. 0, or
 * -errno of a write or background fdatasync that failed (the file may lack
 * data).
 */
int output_file_detach(struct output_file *f, int *fd);

#endif /* VPNCAP_STORE_OUTPUT_FILE_H */
