// SPDX-License-Identifier: GPL-2.0-only
#include "fdio.h"

#include <errno.h>
#include <unistd.h>

int fd_write_all(int fd, const void *p, size_t len, uint64_t *calls)
{
	const uint8_t *at = p;

	while (len) {
		ssize_t n = write(fd, at, len);

		if (calls)
			(*calls)++;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ENOSPC;
		at += n;
		len -= (size_t)n;
	}
	return 0;
}

int fd_pwrite_all(int fd, const void *p, size_t len, off_t off)
{
	const uint8_t *at = p;

	while (len) {
		ssize_t n = pwrite(fd, at, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ENOSPC;
		at += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}
