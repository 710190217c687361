/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One PCAPNG output file with a large write buffer: blocks are encoded
 * straight into the buffer and reach the disk in big write() calls. A failed
 * write (ENOSPC, EIO) is rolled back to the last whole block on disk, so the
 * file is never left with half a block; the caller decides whether to retry
 * or discard what is buffered. The file set (fileset.c) rotates these.
 */
#ifndef VPNCAP_CAPTURE_FILE_H
#define VPNCAP_CAPTURE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "pcapng.h"

#define CAPTURE_FILE_BUFSIZE (4u << 20)

struct capture_file {
	int fd;
	char path[8192];
	uint8_t *buf;
	size_t len;
	size_t cap;
	uint64_t bytes_written;  /* on disk, whole blocks only */
	uint64_t frames_buffered;/* EPBs in buf */
	uint64_t write_calls;
	int created;             /* the file did not exist before open */
};

enum capture_file_open_mode {
	CAPTURE_FILE_NEW,        /* must not exist (O_EXCL) */
	CAPTURE_FILE_REPLACE,    /* may exist; truncated only by capture_file_begin() */
};

/*
 * Open path for writing (created 0640, never through a symlink). With
 * CAPTURE_FILE_REPLACE an existing file keeps its contents until
 * capture_file_begin(), once the capture is known to start.
 */
int capture_file_open(struct capture_file *f, const char *path,
		      enum capture_file_open_mode mode, char *err, size_t errlen);
int capture_file_begin(struct capture_file *f);

/* The capture never started: close, and remove the file if we created it. */
void capture_file_abandon(struct capture_file *f);

int capture_file_add_shb(struct capture_file *f, const struct pcapng_shb_info *shb);
int capture_file_add_idb(struct capture_file *f, const struct pcapng_idb_info *idb);
int capture_file_add_epb(struct capture_file *f, const struct pcapng_epb_info *epb,
			 const void *frame);
int capture_file_add_isb(struct capture_file *f, const struct pcapng_isb_info *isb);

/* Bytes the file will have once the buffer is written. */
static inline uint64_t capture_file_size(const struct capture_file *f)
{
	return f->bytes_written + f->len;
}

/*
 * Write out what is buffered; 0 or -errno. On failure the file is cut back
 * to its last whole block and the buffer is kept.
 */
int capture_file_flush(struct capture_file *f);

/* Drop what is buffered (after a failed flush); returns the EPBs dropped. */
uint64_t capture_file_discard(struct capture_file *f);

/* Flush and fdatasync: what a power cut can no longer take. */
int capture_file_sync(struct capture_file *f);

/* Flush, fsync and close; 0 or -errno. Safe on a file that failed to open. */
int capture_file_close(struct capture_file *f);

#endif /* VPNCAP_CAPTURE_FILE_H */
