// SPDX-License-Identifier: GPL-2.0-only
#include "textfile.h"
#include "fdio.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Grow the buffer by doubling, but never past max + 1 (to see "too large"). */
static int grow(char **text, size_t *cap, size_t max)
{
	char *bigger;

	if (*cap > max)
		return -EFBIG;
	bigger = realloc(*text, *cap * 2);
	if (!bigger)
		return -ENOMEM;
	*text = bigger;
	*cap *= 2;
	return 0;
}

int textfile_read(const char *path, size_t max, char **text, size_t *len)
{
	size_t cap = 4096;
	int fd, ret = 0;

	*text = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	*text = malloc(cap);
	if (!*text)
		ret = -ENOMEM;
	while (!ret) {
		ssize_t n;

		if (*len == cap && (ret = grow(text, &cap, max)))
			break;
		n = read(fd, *text + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : 0;
			break;
		}
		*len += (size_t)n;
	}
	close(fd);
	if (!ret && *len > max)
		ret = -EFBIG;
	if (ret) {
		free(*text);
		*text = NULL;
		*len = 0;
	}
	return ret;
}

/* The directory of path, opened for fsync; -1 when it cannot be. */
static int open_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	return fd;
}

/* After the rename: the directory entry itself reaches the disk. Best effort. */
static void sync_dir_of(int dirfd, const char *name)
{
	int fd;

	if (dirfd != AT_FDCWD) {
		fsync(dirfd);
		return;
	}
	fd = open_parent(name);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/*
 * A leftover of an interrupted write goes, and so does anything else but a
 * directory planted at the name (a symlink is removed itself, its target
 * never touched): otherwise whoever can write in the directory could stop
 * the file from ever being replaced.
 */
static int clear_stale_tmp(int dirfd, const char *tmp, char *err, size_t errlen)
{
	struct stat st;

	if (fstatat(dirfd, tmp, &st, AT_SYMLINK_NOFOLLOW))
		return 0;
	if (S_ISDIR(st.st_mode)) {
		err_set(err, errlen, "%s: cannot write: a directory has its name", tmp);
		return -EEXIST;
	}
	if (unlinkat(dirfd, tmp, 0) && errno != ENOENT) {
		int rc = -errno;

		err_set(err, errlen, "%s: cannot remove: %s", tmp, strerror(-rc));
		return rc;
	}
	return 0;
}

/* text into the new file tmp (its mode set whatever the umask); 0 or -errno. */
static int fill_tmp(int fd, const char *text, size_t len, mode_t mode, enum textfile_sync sync)
{
	int rc;

	if (fchmod(fd, mode))
		return -errno;
	rc = fd_write_all(fd, text, len, NULL);
	if (!rc && sync == TEXTFILE_SYNC && fsync(fd))
		rc = -errno;
	return rc;
}

/* NAME.tmp: malloc'd, NULL (said so in err) when out of memory. */
static char *tmp_name(const char *name, char *err, size_t errlen)
{
	char *tmp = malloc(strlen(name) + sizeof(".tmp"));

	if (!tmp)
		err_set(err, errlen, "%s: cannot write: %s", name, strerror(ENOMEM));
	else
		sprintf(tmp, "%s.tmp", name);
	return tmp;
}

int textfile_stage_at(int dirfd, const char *name, const char *text, size_t len, mode_t mode,
		      enum textfile_sync sync, char *err, size_t errlen)
{
	char *tmp = tmp_name(name, err, errlen);
	int fd, rc;

	if (!tmp)
		return -ENOMEM;
	rc = clear_stale_tmp(dirfd, tmp, err, errlen);
	if (rc)
		goto out;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = -errno;
		err_set(err, errlen, "%s: cannot write: %s", tmp, strerror(-rc));
		goto out;
	}
	rc = fill_tmp(fd, text, len, mode, sync);
	if (close(fd) && !rc)
		rc = -errno;
	if (rc) {
		err_set(err, errlen, "%s: cannot write: %s", tmp, strerror(-rc));
		unlinkat(dirfd, tmp, 0);
	}
out:
	free(tmp);
	return rc;
}

int textfile_commit_at(int dirfd, const char *name, enum textfile_sync sync, char *err,
		       size_t errlen)
{
	char *tmp = tmp_name(name, err, errlen);
	int rc = 0;

	if (!tmp) {
		textfile_discard_at(dirfd, name);
		return -ENOMEM;
	}
	if (renameat(dirfd, tmp, dirfd, name)) {
		rc = -errno;
		err_set(err, errlen, "%s: cannot write: %s", tmp, strerror(-rc));
		unlinkat(dirfd, tmp, 0);
	} else if (sync == TEXTFILE_SYNC) {
		sync_dir_of(dirfd, name);
	}
	free(tmp);
	return rc;
}

void textfile_discard_at(int dirfd, const char *name)
{
	char *tmp = tmp_name(name, NULL, 0);

	if (tmp)
		unlinkat(dirfd, tmp, 0);
	free(tmp);
}

int textfile_replace_at(int dirfd, const char *name, const char *text, size_t len, mode_t mode,
			enum textfile_sync sync, char *err, size_t errlen)
{
	int rc = textfile_stage_at(dirfd, name, text, len, mode, sync, err, errlen);

	return rc ? rc : textfile_commit_at(dirfd, name, sync, err, errlen);
}

int textfile_replace(const char *path, const char *text, size_t len, mode_t mode, char *err,
		     size_t errlen)
{
	return textfile_replace_at(AT_FDCWD, path, text, len, mode, TEXTFILE_SYNC, err, errlen);
}
