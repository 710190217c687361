/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One PCAPNG output file, written through a byte ring and an I/O thread
 * (struct capture_io, one per capture). The writer thread encodes blocks
 * straight into the ring and, every CAPTURE_FILE_PIECE bytes, publishes how
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
 * and the caller retries (capture_file_flush) or drops them
 * (capture_file_discard), having walked them (capture_file_unwritten) to
 * count them. The file set (fileset.c) rotates these files, and hands a
 * finished one over (capture_file_detach) to be fsynced and closed on
 * another thread while the next one is written.
 *
 * The periodic fdatasync runs on a sync thread of its own (one per
 * capture_io, like the I/O thread): on a disk it takes a hundred
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

#define CAPTURE_FILE_RING (8u << 20)            /* the ring: a power of two */
#define CAPTURE_FILE_MAX_BLOCK (CAPTURE_FILE_RING / 2) /* any block up to this fits */
#define CAPTURE_FILE_PIECE (256u << 10)         /* published, and written, in pieces of this */

/*
 * The I/O thread and the ring, shared by the files a capture writes in turn.
 * Ring positions are logical byte counts since the file opened (physical
 * offset = position % CAPTURE_FILE_RING); they include the gaps left at the
 * end of the ring. Fields below the lock are under it.
 */
struct capture_io {
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
int capture_io_start(struct capture_io *io);
/* Stop it (no file may be open on it) and free the ring. Safe if never started. */
void capture_io_stop(struct capture_io *io);

/* The writer thread's side of the ring. */
struct capture_file {
	int fd;
	char path[8192];
	struct capture_io *io;
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

enum capture_file_open_mode {
	CAPTURE_FILE_NEW,        /* must not exist (O_EXCL) */
	CAPTURE_FILE_REPLACE,    /* may exist; truncated only by capture_file_begin() */
};

/*
 * Open path for writing through io (created 0640, never through a symlink).
 * With CAPTURE_FILE_REPLACE an existing file keeps its contents until
 * capture_file_begin(), once the capture is known to start.
 */
int capture_file_open(struct capture_file *f, struct capture_io *io, const char *path,
		      enum capture_file_open_mode mode, char *err, size_t errlen);
int capture_file_begin(struct capture_file *f);

/* The capture never started: close, and remove the file if we created it. */
void capture_file_abandon(struct capture_file *f);

/* 0, or -errno of a background write learnt now (see the file comment). */
int capture_file_add_shb(struct capture_file *f, const struct pcapng_shb_info *shb);
int capture_file_add_idb(struct capture_file *f, const struct pcapng_idb_info *idb);
int capture_file_add_epb(struct capture_file *f, const struct pcapng_epb_info *epb,
			 const void *frame);
int capture_file_add_isb(struct capture_file *f, const struct pcapng_isb_info *isb);

/* Bytes the file will have once everything encoded is written. */
static inline uint64_t capture_file_size(const struct capture_file *f)
{
	return f->size;
}

/*
 * Write out everything encoded (retrying a failed write) and wait; 0 or
 * -errno. On failure the file is cut back to its last whole block and the
 * unwritten blocks are kept. A background fdatasync is not waited for.
 */
int capture_file_flush(struct capture_file *f);

/*
 * The blocks not on disk after a failure, in file order: up to two regions
 * (the ring may wrap). Lets the I/O thread finish what was published first
 * (it stops at a failure). Returns the number of regions.
 */
unsigned int capture_file_unwritten(struct capture_file *f, const uint8_t *data[2],
				    size_t len[2]);

/*
 * Drop what is not on disk (after a failed flush): the same blocks
 * capture_file_unwritten() just gave. Returns the EPBs dropped.
 */
uint64_t capture_file_discard(struct capture_file *f);

/* Flush and fdatasync, and wait: what a power cut can no longer take. */
int capture_file_sync(struct capture_file *f);

/*
 * The same in the background: publish everything encoded, have the I/O
 * thread write it and then the sync thread fdatasync it, and return. Returns
 * the error of an earlier background write or fdatasync, if one failed
 * (learnt now); the result of this one comes with a later call.
 */
int capture_file_sync_start(struct capture_file *f);

/* Flush, fsync and close; 0 or -errno. Safe on a file that failed to open. */
int capture_file_close(struct capture_file *f);

/*
 * Flush and hand the open file over: *fd is its descriptor (-1 if none),
 * the caller's to fsync and close, on any thread. Neither f nor the I/O and
 * sync threads touch it again: they are idle when this returns (a running
 * fdatasync is waited for) and the ring is free for the next file. 0, or
 * -errno of a write or background fdatasync that failed (the file may lack
 * data).
 */
int capture_file_detach(struct capture_file *f, int *fd);

#endif /* VPNCAP_STORE_OUTPUT_FILE_H */
