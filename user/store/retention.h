/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Retention of a file set (pure): which completed files to delete, oldest
 * (lowest sequence number, then earliest start) first, so the set keeps to
 * --max-files and --max-bytes. The file being written is never a victim
 * but counts: as one file against max_files and with its current size
 * against max_bytes.
 */
#ifndef VPNCAP_STORE_RETENTION_H
#define VPNCAP_STORE_RETENTION_H

#include <stddef.h>
#include <stdint.h>

struct retained_file {
	uint64_t seq;
	uint64_t size;
	/*
	 * The start in the name: of two files with one seq (a set an older
	 * vpncap numbered twice), the earlier is the older.
	 */
	int64_t start_sec;
};

struct retention_policy {
	uint64_t max_files;     /* 0 = no limit; else files in the set, current included */
	uint64_t max_bytes;     /* 0 = no limit; else bytes of the set, current included */
};

/*
 * files[0..n) are the completed files of the set in any order. Writes the
 * indices of the files to delete into victims (room for n), oldest first, and
 * returns how many. current_bytes is the size of the file being written
 * (has_current = 0 when none is open).
 */
size_t retention_select(const struct retained_file *files, size_t n,
			const struct retention_policy *policy, int has_current,
			uint64_t current_bytes, size_t *victims);

/* Indices of files[0..n) sorted oldest first (for --min-free). */
void retention_oldest_first(const struct retained_file *files, size_t n, size_t *order);

#endif /* VPNCAP_STORE_RETENTION_H */
