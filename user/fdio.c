// SPDX-License-Identifier: GPL-2.0-only
#include "fdio.h"

#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>

/* write() at the file position when off is negative, else pwrite() at off. */
static int write_whole(int fd, const void *p, size_t len, off_t off, uint64_t *calls)
{
	const uint8_t *at = p;

	while (len) {
		ssize_t n = off < 0 ? write(fd, at, len) : pwrite(fd, at, len, off);

		if (calls)
			(*calls)++;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ENOSPC;
		at += n;
		len -= (size_t)n;
		if (off >= 0)
			off += n;
	}
	return 0;
}

int fd_write_all(int fd, const void *p, size_t len, uint64_t *calls)
{
	return write_whole(fd, p, len, -1, calls);
}

int fd_pwrite_all(int fd, const void *p, size_t len, off_t off, uint64_t *calls)
{
	return off < 0 ? -EINVAL : write_whole(fd, p, len, off, calls);
}

/* Step iov past n bytes written: whole segments dropped, a partial one trimmed. */
static void iov_advance(struct iovec **iov, int *cnt, size_t n)
{
	while (*cnt && n >= (*iov)->iov_len) {
		n -= (*iov)->iov_len;
		(*iov)++;
		(*cnt)--;
	}
	if (*cnt && n) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + n;
		(*iov)->iov_len -= n;
	}
}

int fd_pwritev_all(int fd, struct iovec *iov, int cnt, off_t off, uint64_t *calls)
{
	if (off < 0)
		return -EINVAL;
	while (cnt && !iov->iov_len) { /* nothing to write is no call */
		iov++;
		cnt--;
	}
	while (cnt) {
		ssize_t n = pwritev(fd, iov, cnt, off);

		if (calls)
			(*calls)++;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ENOSPC;
		iov_advance(&iov, &cnt, (size_t)n);
		off += n;
	}
	return 0;
}
