/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Compression of completed capture files through zlib (gzip) or libzstd
 * (zstd); Wireshark and tshark read both directly.
 */
#ifndef VPNCAP_STORE_COMPRESS_H
#define VPNCAP_STORE_COMPRESS_H

#include <stddef.h>

enum compress_kind { COMPRESS_NONE = 0, COMPRESS_GZIP, COMPRESS_ZSTD };

/* "gzip" or "zstd" -> kind; -1 for anything else. */
int compress_parse(const char *s, enum compress_kind *kind);

/* ".gz" / ".zst" / "" */
const char *compress_suffix(enum compress_kind kind);

/*
 * Compress src to src + suffix: written under a temporary name in the same
 * directory (mode 0640, never through a symlink), fsynced, renamed into
 * place, the directory fsynced, then src removed. On any failure src is left
 * untouched and no partial output remains. out_path receives the new path.
 * 0 or -errno with a one-line reason in err.
 */
int compress_file(const char *src, enum compress_kind kind, char *out_path, size_t out_len,
		  char *err, size_t errlen);

/*
 * The same in the directory dir_fd (src's last component there, whatever
 * its path leads to now): how a file set compresses its members, so that
 * a directory swapped during the capture redirects nothing. -1: as above.
 */
int compress_file_at(int dir_fd, const char *src, enum compress_kind kind, char *out_path,
		     size_t out_len, char *err, size_t errlen);

#endif /* VPNCAP_STORE_COMPRESS_H */
