// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include "store/output_check.h"
#include "log.h"
#include "trusted_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

static void output_refuse_shared(const char *dir, const char *why, char *err, size_t errlen)
{
	err_set(err, errlen, "%s: refused as the capture directory: it is %s, so another user could plant files where vpncap writes; use a directory only root can write in, or --allow-shared-dir",
		dir, why);
}

void output_trim_slashes(const char *path, char *out, size_t len)
{
	size_t n;

	snprintf(out, len, "%s", path);
	n = strlen(out);
	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
}

/* path, in place, becomes its directory: "a/b" -> "a", "/a" -> "/", "a" -> ".". */
static void cut_to_parent(char *path, size_t len)
{
	char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(path, len, ".");
	else if (slash == path)
		path[1] = '\0';
	else
		*slash = '\0';
}

/* The nearest directory of path that exists (path itself included), in out. */
static int nearest_existing(const char *path, char *out, size_t len)
{
	struct stat st;

	snprintf(out, len, "%s", path);
	while (lstat(out, &st)) {
		if (errno != ENOENT)
			return -errno;
		cut_to_parent(out, len);
	}
	return 0;
}

/* Can a directory be made in parent? 0, or -errno as mkdir would fail. */
static int can_make_in(const char *parent)
{
	struct stat st;

	if (stat(parent, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return access(parent, W_OK | X_OK) ? -errno : 0;
}

int output_open_set_dir(const char *dir, int allow_shared, char *why, size_t whylen, char *err,
			size_t errlen)
{
	int fd, shared, e;

	why[0] = '\0';
	/* The set's own directory is never reached through a symlink someone planted. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || faccessat(fd, ".", W_OK, AT_EACCESS)) {
		e = errno;
		if (fd >= 0)
			close(fd);
		err_set(err, errlen, "%s: output not writable: %s", dir,
			e == ELOOP || e == ENOTDIR ? "is a symbolic link (refused)" : strerror(e));
		return -e;
	}
	shared = trusted_dir_shared_fd(fd, why, whylen);
	if (shared < 0) {
		err_set(err, errlen, "%s: cannot stat: %s", dir, strerror(-shared));
		close(fd);
		return shared;
	}
	if (shared && !allow_shared) {
		output_refuse_shared(dir, why, err, errlen);
		close(fd);
		return -EPERM;
	}
	return fd;   /* why: "" unless shared (trusted_dir_shared says so) */
}

/* An existing set directory, as fileset_open will take it. */
static int check_existing_dir(const char *dir, int allow_shared, char *said, size_t saidlen,
			      char *err, size_t errlen)
{
	char why[128];
	int fd = output_open_set_dir(dir, allow_shared, why, sizeof(why), err, errlen);

	if (fd < 0)
		return fd;
	close(fd);
	if (why[0])
		snprintf(said, saidlen, "exists; %s (accepted with --allow-shared-dir)", why);
	else
		snprintf(said, saidlen, "exists, writable, only root or vpncap's user can write in it");
	return 0;
}

static int check_dir(const char *path, int allow_shared, char *said, size_t saidlen, char *err,
		     size_t errlen)
{
	char dir[PATH_MAX], parent[PATH_MAX];
	struct stat st;
	int ret;

	output_trim_slashes(path, dir, sizeof(dir));
	if (!lstat(dir, &st))
		return check_existing_dir(dir, allow_shared, said, saidlen, err, errlen);
	ret = errno == ENOENT ? nearest_existing(dir, parent, sizeof(parent)) : -errno;
	if (!ret)
		ret = can_make_in(parent);
	if (ret) {
		/* The capture's own words (fileset.c, prepare_dir). */
		err_set(err, errlen, "%s: cannot create the capture directory: %s", dir,
			strerror(-ret));
		return ret;
	}
	snprintf(said, saidlen, "does not exist yet; vpncap creates it (mode 0750) under %s",
		 parent);
	return 0;
}

/* -w FILE: its directory must be there (nothing creates it), as the capture's open finds. */
static int check_file(const char *path, char *said, size_t saidlen, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct stat st;
	int exists;

	snprintf(dir, sizeof(dir), "%s", path);
	cut_to_parent(dir, sizeof(dir));
	if (access(dir, W_OK | X_OK)) {
		int e = errno;

		err_set(err, errlen, "%s: output not writable: %s", path, strerror(e));
		return -e;
	}
	exists = !lstat(path, &st);
	if (exists && S_ISLNK(st.st_mode)) {
		err_set(err, errlen, "%s: output not writable: is a symbolic link (refused)", path);
		return -ELOOP;
	}
	snprintf(said, saidlen, "%s", exists ? "one file; it exists and a capture replaces it" :
		 "one file, created at start");
	return 0;
}

int output_check(const char *path, int is_dir, int allow_shared_dir, char *said,
		 size_t saidlen, char *err, size_t errlen)
{
	said[0] = '\0';
	if (is_dir)
		return check_dir(path, allow_shared_dir, said, saidlen, err, errlen);
	return check_file(path, said, saidlen, err, errlen);
}

/* The directory whose file system -w's files are on, as far as it exists now. */
static void output_fs_dir(const char *path, int is_dir, char *dir, size_t len)
{
	char p[PATH_MAX];

	output_trim_slashes(path, p, sizeof(p));
	if (!is_dir)
		cut_to_parent(p, sizeof(p));
	if (nearest_existing(p, dir, len))
		snprintf(dir, len, "%s", p);
}

int output_check_io(const char *path, int is_dir, enum output_io_mode mode, char *said,
		    size_t saidlen, char *err, size_t errlen)
{
	char dir[PATH_MAX], buf[24];
	struct statfs sfs;
	const char *fs;
	int takes;

	output_fs_dir(path, is_dir, dir, sizeof(dir));
	if (statfs(dir, &sfs)) {
		snprintf(said, saidlen, "decided at start (%s: %s)", dir, strerror(errno));
		return 0;
	}
	fs = output_io_fs_name((long)sfs.f_type, buf, sizeof(buf));
	takes = output_io_fs_takes_direct((long)sfs.f_type);
	if (mode == OUTPUT_IO_BUFFERED) {
		snprintf(said, saidlen, "buffered (--output-io buffered), on %s", fs);
	} else if (takes) {
		snprintf(said, saidlen, "direct (O_DIRECT) on %s%s", fs,
			 mode == OUTPUT_IO_AUTO ? "; buffered if a file refuses it" : "");
	} else if (mode == OUTPUT_IO_AUTO) {
		snprintf(said, saidlen, "buffered on %s (O_DIRECT on ext4, xfs and btrfs only)", fs);
	} else {
		/* The capture's own words (output_file.c, choose_way). */
		err_set(err, errlen,
			"%s: --output-io direct: the file system (%s) refuses O_DIRECT: vpncap writes with O_DIRECT on ext4, xfs and btrfs only",
			path, fs);
		return -EINVAL;
	}
	return 0;
}
