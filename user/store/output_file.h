/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One PCAPNG output file, written through a byte ring and an I/O thread
 * (struct output_io, one per capture). The writer thread encodes blocks
 * straight into the ring (the one copy of a frame) and, every piece,
 * publishes how far whole blocks are encoded; the I/O thread pwrite()s
 * everything published once a piece or more is, so the bytes it hands to
 * the kernel are still in cache. The writer waits for the file system only
 * when the ring is full, at a synchronous flush (rotation, close) and on
 * errors. The ring and the threads are made once per capture, not per file;
 * nothing is allocated per frame, and no system call is made per frame.
 *
 * The ring is one memfd mapped twice, back to back: a block that runs past
 * its end goes on in the second mapping, which is the first one's memory,
 * so any span of it is contiguous. A ring position is the file offset (both
 * start at 0 with the file): there are no gaps, and a span is one pwrite().
 *
 * Two ways to write, chosen per file at open (output_io_mode). Buffered: a
 * span ends at a published position, a block boundary, written through the
 * page cache. Direct (O_DIRECT, on ext4, xfs and btrfs): the ring is the
 * DMA buffer, no second copy; a span runs from the tail rounded down to the
 * alignment to the commit rounded down, one large write the block layer
 * splits into concurrent requests (so the disk queue stays full) without
 * the page cache's writeback stalls. The bytes of the block the tail is in
 * are written again by the next span, so the writer never reuses them. When
 * the rest is wanted now (flush, sync, rotation, close) the partial last
 * block is written with O_DIRECT cleared on the descriptor (fcntl), through
 * the page cache: the file never holds padding, only the bytes encoded, and
 * its size need not be a multiple of the block.
 *
 * Frames added by reference (output_file_add_epb_ref) to a buffered file,
 * of OUTPUT_FILE_REF_MIN bytes or more, are not copied: the ring gets the EPB around a hole, an extent table says
 * where the hole's bytes are (an AF_XDP UMEM frame, a BPF ring buffer
 * record, a queue record), and the I/O thread writes each span with one
 * pwritev() gathered from the ring and those bytes, so a frame's bytes are
 * copied once, by the kernel into the page cache. The caller keeps them
 * until output_io_refs_done() counts their frame (written, or dropped after
 * a failure). Direct files copy them into the ring instead, the one copy
 * O_DIRECT then DMAs from: an O_DIRECT write needs aligned memory and
 * lengths, which neither a frame's bytes nor an EPB header around them has.
 *
 * A failed write (ENOSPC, EIO) is rolled back to the last whole PCAPNG
 * block on disk (on_disk: with direct spans the file may end inside a block
 * meanwhile, as a crash would leave it: recovery cuts such a tail), so the
 * file is never left with half a block, and the I/O thread stops. With
 * writes in the background the error is learnt later, at the next publish or
 * wait; the unwritten blocks stay in the ring, in file order, and the caller
 * retries (output_file_flush) or drops them (output_file_discard), having
 * walked them (output_file_unwritten) to count them. The file set
 * (fileset.c) rotates these files, and hands a finished one over
 * (output_file_detach) to be fsynced and closed on another thread while the
 * next one is written.
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
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "pcapng.h"

#define OUTPUT_FILE_RING (16u << 20)           /* the ring: a power of two, pages */
#define OUTPUT_FILE_MAX_BLOCK (OUTPUT_FILE_RING / 2) /* any block up to this fits */
#define OUTPUT_FILE_PIECE (256u << 10)         /* buffered: published and written in these */
#define OUTPUT_FILE_DIRECT_PIECE (1u << 20)    /* direct: the same, larger */
#define OUTPUT_FILE_MAX_ALIGN (64u << 10)      /* a larger direct I/O alignment: buffered */
#define OUTPUT_FILE_EXTENTS (1u << 16)         /* frames by reference the ring holds at most */
/*
 * Buffered: a span is also due once this many frames' segments by
 * reference are published, so their buffers go back soon (a piece of
 * 64-byte frames would hold some 2,700). Larger spans cost fewer calls;
 * one pwritev() takes OUTPUT_FILE_IOV segments, some 500 frames, and a span
 * takes as many calls as it needs.
 */
#define OUTPUT_FILE_SPAN_EXTENTS 1024u
/*
 * Frames by reference shorter than this are copied into the ring anyway
 * (output_io_set_ref_min). Measured (bench_writer, tmpfs): the kernel's
 * copy from many small iovec segments costs more than a memcpy into the
 * ring and one contiguous write, and it takes the copy off the writer
 * thread, where it ran beside the I/O thread's write: writing every frame
 * from its buffer reached 0.6 of the copying writer's rate at 64 B and 0.8
 * at 1500 B, and the same at 9000 B. So frames up to a standard MTU are
 * copied; jumbo frames (several UMEM buffers) are written from the UMEM.
 */
#define OUTPUT_FILE_REF_MIN 2048u
#define OUTPUT_FILE_IOV 1024u                   /* segments per pwritev(): IOV_MAX */
#define OUTPUT_FILE_MAX_SEGS 32u                /* segments of one frame added, at most */

/* A hole in the ring: a frame's bytes the file has at pos, written from data. */
struct output_extent {
	uint64_t pos;                   /* file offset of the frame's first byte */
	uint64_t block_end;             /* where its EPB ends: a span cut here ends on a block */
	const uint8_t *data;
	uint32_t len;
};

/* --output-io: how files are written (see the file comment). */
enum output_io_mode {
	OUTPUT_IO_AUTO,         /* direct on ext4, xfs and btrfs when accepted, else buffered */
	OUTPUT_IO_DIRECT,       /* direct, or the file is refused */
	OUTPUT_IO_BUFFERED,     /* through the page cache always */
};

/* The file systems where auto writes with O_DIRECT (statfs f_type). */
int output_io_fs_takes_direct(long f_type);
/* "ext4", "xfs", "btrfs", "tmpfs", "nfs", ... or "type 0x1234" (buf, at least 24 bytes). */
const char *output_io_fs_name(long f_type, char *buf, size_t len);

/*
 * The I/O thread and the ring, shared by the files a capture writes in turn.
 * Ring positions are file offsets (the byte at position p is at
 * ring[p % OUTPUT_FILE_RING], and ring[p % OUTPUT_FILE_RING + OUTPUT_FILE_RING]
 * too: the mirror). Fields below the lock are under it.
 */
struct output_io {
	pthread_t thread;
	pthread_t sync_thread;
	int started;
	enum output_io_mode want;       /* --output-io, for the files opened on it */
	uint8_t *ring;                  /* 2 * OUTPUT_FILE_RING bytes: the ring and its mirror */
	uint32_t ref_min;               /* frames shorter than this are copied, not referred to */
	struct output_extent *extents;  /* OUTPUT_FILE_EXTENTS, indexed by extent number */
	uint64_t ext_head;              /* extents added (writer thread; goes on across files) */
	_Atomic uint64_t ext_tail;      /* extents written or dropped: their bytes free (under the lock) */
	pthread_mutex_t lock;
	pthread_cond_t work;            /* to the I/O thread: published, sync, stop */
	pthread_cond_t sync_work;       /* to the sync thread: a sync asked, stop */
	pthread_cond_t progress;        /* to the writer: written, synced, failed */
	int fd;
	int direct;                     /* the file is written with O_DIRECT (spans aligned) */
	int fd_direct;                  /* O_DIRECT is set on fd now (cleared for a partial block) */
	uint64_t align;                 /* direct: the alignment of spans; buffered: 1 */
	uint64_t piece;                 /* a span is due once this much is published */
	int stop;
	int busy;                       /* the I/O thread in a pwrite() without the lock */
	int syncing;                    /* the sync thread in fdatasync() without the lock */
	uint64_t commit;                /* whole blocks encoded up to here (writer) */
	uint64_t commit_mark;           /* the last block boundary at or before commit aligned down */
	uint64_t ext_commit;            /* extents published with commit (writer) */
	uint64_t tail;                  /* every byte before it is written (I/O thread) */
	uint64_t urgent;                /* have on_disk here even in spans below a piece */
	uint64_t sync_to;               /* fdatasync once tail is here (writer) */
	uint64_t sync_asked;            /* the sync thread asked up to here (I/O thread) */
	uint64_t synced_to;             /* an fdatasync returned for up to here (sync thread) */
	uint64_t on_disk;               /* whole blocks written up to here: a failure rolls back here */
	int err;                        /* a write failed (-errno): the I/O thread stopped */
	int sync_err;                   /* a background fdatasync failed: -errno, for the next sync */
	uint64_t calls;                 /* pwrite() calls */
	uint64_t direct_calls;          /* of those, with O_DIRECT */
};

/* Start the I/O and sync threads and map the ring; files opened on it follow mode. 0 or -errno. */
int output_io_start(struct output_io *io, enum output_io_mode mode);
/*
 * Frames by reference shorter than ref_min bytes are copied into the ring
 * after all (default OUTPUT_FILE_REF_MIN; 0: none, UINT32_MAX: all), from
 * the next frame on. Writer thread.
 */
void output_io_set_ref_min(struct output_io *io, uint32_t ref_min);

/* Stop it (no file may be open on it) and free the ring. Safe if never started. */
void output_io_stop(struct output_io *io);

/* The writer thread's side of the ring. */
struct output_file {
	int fd;
	int dir_fd;                     /* the directory it was opened in (not owned), or -1 */
	char path[8192];
	struct output_io *io;
	uint8_t *ring;                  /* io->ring */
	int direct;                     /* written with O_DIRECT (io->direct) */
	uint64_t align;                 /* io->align */
	uint64_t piece;                 /* io->piece */
	long fs_type;                   /* statfs f_type of its file system */
	uint64_t head;                  /* encoded up to here */
	uint64_t mark;                  /* the last block boundary at or before head aligned down */
	uint64_t commit;                /* published up to here (io->commit) */
	uint64_t limit;                 /* blocks may be encoded up to here without asking */
	uint64_t ext_limit;             /* extents may be added up to here without asking */
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
 * output_file_begin(), once the capture is known to start. The way it is
 * written is chosen here from io's mode and the file system; with
 * OUTPUT_IO_DIRECT a file system that takes no O_DIRECT fails the open
 * (-EINVAL, err says why).
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

/*
 * The same as output_file_add_epb for a frame in n_segs segments (their
 * lengths add up to epb->caplen, else -EINVAL), but a buffered file writes
 * the frame's bytes from the segments themselves, later (see the file
 * comment): they must stay as they are until output_io_refs_done() reaches
 * output_io_refs_added() as it is on return. A direct file copies them now.
 */
int output_file_add_epb_ref(struct output_file *f, const struct pcapng_epb_info *epb,
			    const struct iovec *segs, unsigned int n_segs);

/* The same, copied now whatever the file: the segments are free on return. */
int output_file_add_epb_copy(struct output_file *f, const struct pcapng_epb_info *epb,
			     const struct iovec *segs, unsigned int n_segs);

/*
 * Segments of frames added by reference on io so far (one per frame but
 * for multi-buffer ones): a count that goes on across its files. Writer.
 */
static inline uint64_t output_io_refs_added(const struct output_io *io)
{
	return io->ext_head;
}

/* Of those, the ones whose bytes are no longer needed (written, or dropped). Any thread. */
static inline uint64_t output_io_refs_done(struct output_io *io)
{
	return atomic_load_explicit(&io->ext_tail, memory_order_acquire);
}

/*
 * Have everything encoded written now, below a piece too, and return
 * without waiting: frames held by reference go back sooner when the flow
 * pauses.
 */
void output_file_push(struct output_file *f);

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

/* "direct" (O_DIRECT) or "buffered": how the open file is written. */
const char *output_file_io_name(const struct output_file *f);

/*
 * Replace len bytes of the file at off, bytes already written (the IDBs'
 * timestamp slots at a file's end): written through the page cache, and
 * into the ring where a later direct span writes that block again. Waits
 * until everything published is written. 0 or -errno.
 */
int output_file_patch(struct output_file *f, uint64_t off, const void *data, size_t len);

/*
 * The blocks not on disk after a failure, in file order, contiguous (the
 * ring is mirrored); the frame bytes of EPBs added by reference are not in
 * them (holes). Lets the I/O thread finish what was published first
 * (it stops at a failure). Returns their length (*data: the first).
 */
size_t output_file_unwritten(struct output_file *f, const uint8_t **data);

/*
 * Drop what is not on disk (after a failed flush): the same blocks
 * output_file_unwritten() just gave; the next block goes where they began.
 * Returns the EPBs dropped.
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
