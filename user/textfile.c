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

/* After the rename: the directory entry itself reaches the disk. Best effort. */
static void sync_parent(const char *path)
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
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int textfile_replace(const char *path, const char *text, size_t len, mode_t mode, char *err,
		     size_t errlen)
{
	char *tmp = malloc(strlen(path) + sizeof(".tmp"));
	struct stat st;
	int fd = -1, rc;

	if (!tmp) {
		err_set(err, errlen, "%s: cannot write: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	sprintf(tmp, "%s.tmp", path);
	/* A leftover of an interrupted write goes; anything else there stays. */
	if (lstat(tmp, &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			rc = -EEXIST;
			err_set(err, errlen, "%s: cannot write: exists and is not a regular file",
				tmp);
			goto out;
		}
		if (unlink(tmp) && errno != ENOENT) {
			rc = -errno;
			err_set(err, errlen, "%s: cannot remove: %s", tmp, strerror(-rc));
			goto out;
		}
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = -errno;
		err_set(err, errlen, "%s: cannot write: %s", tmp, strerror(-rc));
		goto out;
	}
	rc = 0;
	if (fchmod(fd, mode) || (rc = fd_write_all(fd, text, len, NULL)) || fsync(fd)) {
		rc = rc ? rc : -errno;
		err_set(err, errlen, "%s: cannot write: %s", tmp, strerror(-rc));
		goto out_unlink;
	}
	rc = close(fd);
	fd = -1;
	if (rc) {
		rc = -errno;
		err_set(err, errlen, "%s: cannot write: %s", tmp, strerror(-rc));
		goto out_unlink;
	}
	if (rename(tmp, path)) {
		rc = -errno;
		err_set(err, errlen, "%s: cannot write: %s", path, strerror(-rc));
		goto out_unlink;
	}
	sync_parent(path);
	rc = 0;
	goto out;
out_unlink:
	if (fd >= 0)
		close(fd);
	fd = -1;
	unlink(tmp);
out:
	if (fd >= 0)
		close(fd);
	free(tmp);
	return rc;
}
