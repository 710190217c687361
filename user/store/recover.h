/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Recovery of a .part file left by a crash or a power cut: keep the longest
 * prefix of whole, valid blocks that starts with an SHB, cut off a torn last
 * block, and append one ISB per interface of the last section whose comment
 * says the capture ended uncleanly, so the file opens in Wireshark and
 * says what happened.
 */
#ifndef VPNCAP_STORE_RECOVER_H
#define VPNCAP_STORE_RECOVER_H

#include <stddef.h>
#include <stdint.h>

struct recover_result {
	size_t valid_len;       /* bytes of whole valid blocks */
	size_t cut_bytes;       /* bytes after them (a torn block, or garbage) */
	uint64_t blocks;        /* valid blocks kept */
	uint64_t frames;        /* EPBs kept */
	uint32_t ifaces;        /* IDBs in the last section kept */
	uint64_t last_ts_raw;   /* timestamp of the last EPB (0 if none) */
};

/*
 * Pure: scan a file's bytes. 0 on success (even with a torn tail), -1 when
 * not even a valid SHB is at the start (err says why: nothing to recover).
 */
int recover_scan(const uint8_t *buf, size_t len, struct recover_result *res,
		 char *err, size_t errlen);

/*
 * Repair path in place: scan, truncate to valid_len, append the ISBs with
 * comment, fsync. 0 or -errno (err says why); the file is not renamed here.
 * A last section in the other byte order is only truncated, without ISBs:
 * the encoder writes host byte order, which would be wrong inside it.
 */
int recover_file(const char *path, const char *comment, struct recover_result *res,
		 char *err, size_t errlen);

/* The same for path's last component in the directory dir_fd (a file set's, opened once). */
int recover_file_at(int dir_fd, const char *path, const char *comment,
		    struct recover_result *res, char *err, size_t errlen);

#endif /* VPNCAP_STORE_RECOVER_H */
