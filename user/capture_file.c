// SPDX-License-Identifier: GPL-2.0-only
#include "capture_file.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int open_fd(struct capture_file *f, const char *path, enum capture_file_open_mode mode)
{
	const int flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW;

	/* O_EXCL first, to know whether abandoning the capture may remove the file. */
	f->fd = open(path, flags | O_CREAT | O_EXCL, 0640);
	if (f->fd >= 0) {
		f->created = 1;
		return 0;
	}
	if (errno == EEXIST && mode == CAPTURE_FILE_REPLACE)
		f->fd = open(path, flags);
	return f->fd >= 0 ? 0 : -errno;
}

int capture_file_open(struct capture_file *f, const char *path,
		      enum capture_file_open_mode mode, char *err, size_t errlen)
{
	int ret;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	if (strlen(path) >= sizeof(f->path)) {
		err_set(err, errlen, "%.64s...: output path too long", path);
		return -ENAMETOOLONG;
	}
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->buf = malloc(CAPTURE_FILE_BUFSIZE);
	if (!f->buf) {
		err_set(err, errlen, "%s: out of memory for the write buffer", path);
		return -ENOMEM;
	}
	f->cap = CAPTURE_FILE_BUFSIZE;
	ret = open_fd(f, path, mode);
	if (ret) {
		err_set(err, errlen, "%s: output not writable: %s", path,
			ret == -ELOOP ? "is a symbolic link (refused)" : strerror(-ret));
		free(f->buf);
		f->buf = NULL;
	}
	return ret;
}

int capture_file_begin(struct capture_file *f)
{
	if (!f->created && ftruncate(f->fd, 0))
		return -errno;
	return 0;
}

void capture_file_abandon(struct capture_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (f->created)
		unlink(f->path);
	free(f->buf);
	f->buf = NULL;
}

/* Cut a partly written buffer off again: the file keeps only whole blocks. */
static int roll_back(struct capture_file *f)
{
	if (ftruncate(f->fd, (off_t)f->bytes_written) ||
	    lseek(f->fd, (off_t)f->bytes_written, SEEK_SET) < 0)
		return -errno;
	return 0;
}

int capture_file_flush(struct capture_file *f)
{
	size_t done = 0;

	while (done < f->len) {
		ssize_t n = write(f->fd, f->buf + done, f->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int ret = n < 0 ? -errno : -ENOSPC;

			roll_back(f);
			return ret;
		}
		done += (size_t)n;
	}
	f->bytes_written += f->len;
	if (f->len)
		f->write_calls++;
	f->len = 0;
	f->frames_buffered = 0;
	return 0;
}

uint64_t capture_file_discard(struct capture_file *f)
{
	uint64_t frames = f->frames_buffered;

	f->len = 0;
	f->frames_buffered = 0;
	return frames;
}

int capture_file_sync(struct capture_file *f)
{
	int ret = capture_file_flush(f);

	if (ret)
		return ret;
	return fdatasync(f->fd) ? -errno : 0;
}

/*
 * Make room for need bytes. A block larger than the whole buffer cannot
 * happen: the largest block is a 256 KiB frame plus headers.
 */
static int reserve(struct capture_file *f, size_t need)
{
	if (f->cap - f->len >= need)
		return 0;
	return capture_file_flush(f);
}

int capture_file_add_epb(struct capture_file *f, const struct pcapng_epb_info *epb,
			 const void *frame)
{
	int ret = reserve(f, pcapng_epb_size(epb));

	if (ret)
		return ret;
	f->len += pcapng_put_epb(f->buf + f->len, f->cap - f->len, epb, frame);
	f->frames_buffered++;
	return 0;
}

/* Metadata blocks are small; 64 KiB of room covers any of them. */
#define META_BLOCK_ROOM 65536

static uint8_t *meta_room(struct capture_file *f, int *ret)
{
	*ret = reserve(f, META_BLOCK_ROOM);
	return *ret ? NULL : f->buf + f->len;
}

/* Account for a block the encoder wrote at the end of the buffer. */
static int commit_block(struct capture_file *f, size_t n)
{
	if (!n)
		return -EOVERFLOW;
	f->len += n;
	return 0;
}

int capture_file_add_shb(struct capture_file *f, const struct pcapng_shb_info *shb)
{
	int ret;
	uint8_t *p = meta_room(f, &ret);

	return p ? commit_block(f, pcapng_put_shb(p, f->cap - f->len, shb)) : ret;
}

int capture_file_add_idb(struct capture_file *f, const struct pcapng_idb_info *idb)
{
	int ret;
	uint8_t *p = meta_room(f, &ret);

	return p ? commit_block(f, pcapng_put_idb(p, f->cap - f->len, idb)) : ret;
}

int capture_file_add_isb(struct capture_file *f, const struct pcapng_isb_info *isb)
{
	int ret;
	uint8_t *p = meta_room(f, &ret);

	return p ? commit_block(f, pcapng_put_isb(p, f->cap - f->len, isb)) : ret;
}

int capture_file_close(struct capture_file *f)
{
	int ret = 0;

	if (f->fd >= 0) {
		ret = capture_file_flush(f);
		if (fsync(f->fd) && !ret)
			ret = -errno;
		if (close(f->fd) && !ret)
			ret = -errno;
		f->fd = -1;
	}
	free(f->buf);
	f->buf = NULL;
	return ret;
}
