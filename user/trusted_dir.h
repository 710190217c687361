/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Directories vpncap writes into while it runs (a file set, the
 * --metrics-file's) are opened once and used through that descriptor, so a
 * swapped or symlinked path redirects nothing. What stays is who else may
 * write in them: another user who can write in a directory can plant names
 * there (a hard link where vpncap will truncate, a full directory where it
 * will rotate). So such a directory is refused unless the operator says it is
 * shared on purpose (--allow-shared-dir): it must belong to root or to
 * vpncap's own user, and nobody else may write in it.
 */
#ifndef VPNCAP_TRUSTED_DIR_H
#define VPNCAP_TRUSTED_DIR_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * 0 when only root or uid me can write in a directory of this stat, else 1
 * with why ("owned by uid 65534", "writable by everyone (mode 1777)",
 * "writable by group 27 (mode 0775)").
 */
int trusted_dir_shared(const struct stat *st, uid_t me, char *why, size_t len);

/* The same for an open directory; -errno when it cannot be read. */
int trusted_dir_shared_fd(int dir_fd, char *why, size_t len);

#endif /* VPNCAP_TRUSTED_DIR_H */
