/* SPDX-License-Identifier: GPL-2.0-only */
/* Whole writes to a file descriptor, retried after EINTR and short writes. */
#ifndef VPNCAP_FDIO_H
#define VPNCAP_FDIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/*
 * All len bytes of p to fd. 0, or -errno (-ENOSPC for a write that took
 * nothing). *calls, when not NULL, counts the write() calls made.
 */
int fd_write_all(int fd, const void *p, size_t len, uint64_t *calls);

/* All len bytes of p to fd at off. 0, or -errno; *calls as above. */
int fd_pwrite_all(int fd, const void *p, size_t len, off_t off, uint64_t *calls);

/*
 * The same gathered from cnt segments (at most IOV_MAX), in order, with
 * pwritev(); a short write goes on from where it stopped. iov is consumed
 * (its entries changed). 0, or -errno; *calls as above.
 */
int fd_pwritev_all(int fd, struct iovec *iov, int cnt, off_t off, uint64_t *calls);

#endif /* VPNCAP_FDIO_H */
