// SPDX-License-Identifier: GPL-2.0-only
#include "trusted_dir.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int trusted_dir_shared(const struct stat *st, uid_t me, char *why, size_t len)
{
	unsigned int mode = st->st_mode & 07777;

	if (st->st_uid != 0 && st->st_uid != me) {
		snprintf(why, len, "owned by uid %u", (unsigned int)st->st_uid);
		return 1;
	}
	if (mode & S_IWOTH) {
		snprintf(why, len, "writable by everyone (mode %04o)", mode);
		return 1;
	}
	if (mode & S_IWGRP) {
		snprintf(why, len, "writable by group %u (mode %04o)", (unsigned int)st->st_gid, mode);
		return 1;
	}
	if (len)
		why[0] = '\0';
	return 0;
}

int trusted_dir_shared_fd(int dir_fd, char *why, size_t len)
{
	struct stat st;

	if (fstat(dir_fd, &st))
		return -errno;
	return trusted_dir_shared(&st, geteuid(), why, len);
}
