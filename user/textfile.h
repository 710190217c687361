/* SPDX-License-Identifier: GPL-2.0-only */
/* Reading a small text file (configuration, filters) whole. */
#ifndef VPNCAP_TEXTFILE_H
#define VPNCAP_TEXTFILE_H

#include <stddef.h>

/*
 * Read path into a malloc'd buffer (*text, *len; the caller frees it).
 * 0, or -errno: -EFBIG when the file is larger than max bytes.
 */
int textfile_read(const char *path, size_t max, char **text, size_t *len);

#endif /* VPNCAP_TEXTFILE_H */
