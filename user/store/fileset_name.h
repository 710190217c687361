/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Names of the files in a file set (pure):
 *   vpncap-<tag>-<UTC start, 20261127T101500Z>-<seq>.pcapng[.part|.gz|.zst]
 * <tag> is the interface name, or the names joined with '+' when one set
 * holds several interfaces. <seq> has at least FILESET_SEQ_DIGITS digits,
 * zero-padded, and only grows. A name belongs to the set only if it matches
 * this pattern exactly for the same tag: nothing else in the directory is
 * ever touched.
 */
#ifndef VPNCAP_STORE_FILESET_NAME_H
#define VPNCAP_STORE_FILESET_NAME_H

#include <stddef.h>
#include <stdint.h>

#define FILESET_SEQ_DIGITS 6
/*
 * The highest sequence number a set goes up to (18 digits: a file a
 * millisecond for 30 million years). A state file beyond it is corrupt, so
 * a damaged one (2^64 - 1) can never make the numbers wrap around.
 */
#define FILESET_SEQ_MAX 999999999999999999ull
#define FILESET_TAG_MAX 128

enum fileset_kind {
	FILESET_COMPLETE = 1,   /* .pcapng */
	FILESET_PART,           /* .pcapng.part: being written, or left by a crash */
	FILESET_GZIP,           /* .pcapng.gz */
	FILESET_ZSTD,           /* .pcapng.zst */
};

struct fileset_name {
	uint64_t seq;
	int64_t start_sec;      /* UTC start from the name, seconds since the epoch */
	enum fileset_kind kind;
};

/*
 * Tag for the set of these interfaces ("eth0", "eth0+eth1"); -1 when it
 * would not fit in len or a name holds a character unsafe in a file name.
 */
int fileset_make_tag(char *buf, size_t len, const char *const *ifaces, unsigned int n);

/* The file name (no directory) of a set member; returns like snprintf. */
int fileset_format_name(char *buf, size_t len, const char *tag, int64_t start_sec,
			uint64_t seq, enum fileset_kind kind);

/* 1 and *out filled when name is a member of the set of tag; 0 otherwise. */
int fileset_parse_name(const char *name, const char *tag, struct fileset_name *out);

/*
 * Next rotation boundary after now for a period, aligned to the UTC epoch so
 * that a 1 h set rotates at :00 and a 15 min set at :00, :15, :30, :45.
 * Both in nanoseconds; period_ns > 0.
 */
uint64_t fileset_next_boundary(uint64_t now_ns, uint64_t period_ns);

#endif /* VPNCAP_STORE_FILESET_NAME_H */
