/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reading capture files from any tool, frame by frame: PCAPNG (any byte
 * order, several sections and interfaces, if_tsresol, unknown blocks and
 * options skipped, EPB and the obsolete SPB/PB) and classic pcap (both byte
 * orders, micro- and nanosecond magic; tcpdump, Wireshark, PktMon's
 * etl2pcap). Files are streamed, gzip- or zstd-compressed ones (members of a
 * vpncap file set) through their libraries as they are read: memory stays a
 * few MiB (at most about 26 MiB for a crafted file) whatever the size or the
 * compression ratio. Only Ethernet link types are decoded further by the
 * callers; others are still returned.
 */
#ifndef VPNCAP_READ_INPUT_FILE_H
#define VPNCAP_READ_INPUT_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "read/decode.h"

struct input_file_frame {
	uint64_t ts_ns;         /* wall clock, nanoseconds since the epoch */
	uint32_t caplen, origlen;
	const uint8_t *data;    /* valid until the next input_file_next() */
	uint16_t linktype;      /* 1 = Ethernet */
	const char *iface;      /* if_name, or NULL */
	int queue;              /* epb_queue, or -1 */
	enum decode_dir dir;    /* from epb_flags, or unknown */
	const char *host;       /* the capturing host, when vpncap wrote the file; or NULL */
};

struct input_file;             /* opaque */

/* Open PATH; NULL with a one-line reason in err (bad magic, unreadable, truncated header). */
struct input_file *input_file_open(const char *path, char *err, size_t errlen);

/*
 * The same over a buffer the caller keeps alive until input_file_close() (tests,
 * the fuzzer). name is only used in messages.
 */
struct input_file *input_file_open_mem(const void *data, size_t len, const char *name, char *err,
				       size_t errlen);

/*
 * The same over any byte stream: read is called like read(2) (bytes, 0 at
 * the end, -1 with errno) whenever more bytes are needed; ctx stays alive
 * until input_file_close(). Tests and the fuzzer hand bytes over in small
 * pieces this way, so every window boundary is crossed.
 */
typedef ssize_t input_file_read_fn(void *ctx, void *buf, size_t len);
struct input_file *input_file_open_stream(input_file_read_fn *read, void *ctx, const char *name,
					  char *err, size_t errlen);

/*
 * 1: a frame; 0: end of file; -1: malformed from here on (err says where),
 * or the file ends inside its last block (see input_file_torn()).
 */
int input_file_next(struct input_file *f, struct input_file_frame *frame, char *err, size_t errlen);

/*
 * After -1: 1 when the only trouble is that the file ends inside its last
 * block or record (a capture killed or out of disk, a copy of a file still
 * being written, compressed data cut short). Every frame before it was
 * returned; err is then a warning ("NAME: warning: torn last block ...").
 */
int input_file_torn(const struct input_file *f);

void input_file_close(struct input_file *f);

#endif /* VPNCAP_READ_INPUT_FILE_H */
