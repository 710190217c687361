/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One PCAPNG output file with a large write buffer: blocks are encoded
 * straight into the buffer and reach the disk in big write() calls (when the
 * buffer fills, on capture_file_flush(), and at close). The file set of a
 * later issue rotates several of these.
 */
#ifndef VPNCAP_CAPTURE_FILE_H
#define VPNCAP_CAPTURE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "pcapng.h"

#define CAPTURE_FILE_BUFSIZE (4u << 20)

struct capture_file {
	int fd;
	char path[4096];
	uint8_t *buf;
	size_t len;
	size_t cap;
	uint64_t bytes_written;
	uint64_t write_calls;
	int created;            /* the file did not exist before open */
};

/*
 * Open path for writing (created 0640, never through a symlink) without
 * touching its contents yet: an existing file is truncated only by
 * capture_file_begin(), once the capture is known to start.
 */
int capture_file_open(struct capture_file *f, const char *path, char *err, size_t errlen);
int capture_file_begin(struct capture_file *f);

/* The capture never started: close, and remove the file if we created it. */
void capture_file_abandon(struct capture_file *f);

int capture_file_add_shb(struct capture_file *f, const struct pcapng_shb_info *shb);
int capture_file_add_idb(struct capture_file *f, const struct pcapng_idb_info *idb);
int capture_file_add_epb(struct capture_file *f, const struct pcapng_epb_info *epb,
			 const void *frame);
int capture_file_add_isb(struct capture_file *f, const struct pcapng_isb_info *isb);

/* Write out what is buffered; 0 or -errno. */
int capture_file_flush(struct capture_file *f);

/* Flush, fsync and close; 0 or -errno. Safe on a file that failed to open. */
int capture_file_close(struct capture_file *f);

#endif /* VPNCAP_CAPTURE_FILE_H */
