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

/* Whether a replacement waits for the disk (fsync of file and directory). */
enum textfile_sync {
	TEXTFILE_NO_SYNC,       /* rewritten every second; readers need whole, not durable */
	TEXTFILE_SYNC,          /* configuration, state: survives a power cut */
};

/*
 * Replace name (relative to dirfd, or AT_FDCWD) with text: written to
 * NAME.tmp (never through a symlink; a stale regular NAME.tmp is removed,
 * anything else there is an error) with mode whatever the umask, renamed
 * over name; with TEXTFILE_SYNC fsynced first and the directory after. A
 * reader sees the old text or the new, whole. On failure name is untouched
 * and no NAME.tmp is left. 0 or -errno with a reason in err (may be NULL).
 */
int textfile_replace_at(int dirfd, const char *name, const char *text, size_t len, mode_t mode,
			enum textfile_sync sync, char *err, size_t errlen);

/*
 * textfile_replace_at in two steps, for a caller with work between them
 * (--persistent enables a unit before its configuration appears):
 * textfile_stage_at writes NAME.tmp as textfile_replace_at does and leaves
 * it there; textfile_commit_at renames it over name (the directory synced
 * with TEXTFILE_SYNC); textfile_discard_at removes it. After a failure of
 * either no NAME.tmp of ours is left. 0 or -errno with a reason in err.
 */
int textfile_stage_at(int dirfd, const char *name, const char *text, size_t len, mode_t mode,
		      enum textfile_sync sync, char *err, size_t errlen);
int textfile_commit_at(int dirfd, const char *name, enum textfile_sync sync, char *err,
		       size_t errlen);
void textfile_discard_at(int dirfd, const char *name);

/* textfile_replace_at(AT_FDCWD, path, ..., TEXTFILE_SYNC, ...). */
int textfile_replace(const char *path, const char *text, size_t len, mode_t mode, char *err,
		     size_t errlen);

#endif /* VPNCAP_TEXTFILE_H */
