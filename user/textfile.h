/* SPDX-License-Identifier: GPL-2.0-only */
/* Small text files (configuration, filters): read whole, replaced atomically. */
#ifndef VPNCAP_TEXTFILE_H
#define VPNCAP_TEXTFILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Read path into a malloc'd buffer (*text, *len; the caller frees it).
 * 0, or -errno: -EFBIG when the file is larger than max bytes.
 */
int textfile_read(const char *path, size_t max, char **text, size_t *len);

/*
 * Replace path with text: written to PATH.tmp (never through a symlink; a
 * stale regular PATH.tmp is removed, anything else there is an error) with
 * mode, fsynced, renamed over path, the directory fsynced. On failure path
 * is untouched and no PATH.tmp is left. 0 or -errno with a reason in err.
 */
int textfile_replace(const char *path, const char *text, size_t len, mode_t mode, char *err,
		     size_t errlen);

#endif /* VPNCAP_TEXTFILE_H */
