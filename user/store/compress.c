// SPDX-License-Identifier: GPL-2.0-only
/*
 * Compression of completed capture files (see compress.h).
 *
 * Files can be several GiB, so they are streamed in fixed chunks. The output
 * becomes visible under its final name only once it is complete and on disk
 * (temporary name, fsync, rename, directory fsync); the source goes last, so
 * a crash at any point leaves at least one complete copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "store/compress.h"
#include "fdio.h"
#include "log.h"

#define CHUNK (1u << 20)        /* bytes read, and compressed, per step */
#define GZIP_LEVEL 6
#define GZIP_WINDOW (15 + 16)   /* 32 KiB window, +16: gzip wrapper, not zlib */
#define GZIP_MEMLEVEL 8
#define ZSTD_LEVEL 3
#define TMP_SUFFIX ".tmp"

int compress_parse(const char *s, enum compress_kind *kind)
{
	if (!s)
		return -1;
	if (!strcmp(s, "gzip"))
		*kind = COMPRESS_GZIP;
	else if (!strcmp(s, "zstd"))
		*kind = COMPRESS_ZSTD;
	else
		return -1;
	return 0;
}

const char *compress_suffix(enum compress_kind kind)
{
	switch (kind) {
	case COMPRESS_GZIP:
		return ".gz";
	case COMPRESS_ZSTD:
		return ".zst";
	default:
		return "";
	}
}

/* One compression in progress; paths and descriptors to clean up. */
struct job {
	int dir;                /* the directory's descriptor, or AT_FDCWD for paths */
	const char *src;
	char out[PATH_MAX];
	char tmp[PATH_MAX];
	int in;
	int fd;                 /* the temporary output */
	int tmp_created;        /* tmp is ours to remove on failure */
	uint8_t *ibuf;
	uint8_t *obuf;
	char *err;
	size_t errlen;
};

/*
 * The name to hand the *at() calls: the last component in the job's
 * directory, or the whole path when there is none (AT_FDCWD).
 */
static const char *at(const struct job *j, const char *path)
{
	const char *slash = strrchr(path, '/');

	return j->dir != AT_FDCWD && slash ? slash + 1 : path;
}

/* Records a failure about path and returns rc (a negative errno). */
static int fail(struct job *j, int rc, const char *path, const char *what)
{
	err_set(j->err, j->errlen, "%s: %s: %s", path, what, strerror(-rc));
	return rc;
}

/* ---- plain I/O ---------------------------------------------------------- */

/* Fills buf unless the file ends first: a short count means end of file. */
static ssize_t read_chunk(int fd, uint8_t *buf, size_t cap)
{
	size_t got = 0;

	while (got < cap) {
		ssize_t n = read(fd, buf + got, cap - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static int write_out(struct job *j, size_t len)
{
	int rc = fd_write_all(j->fd, j->obuf, len, NULL);

	return rc ? fail(j, rc, j->tmp, "cannot write") : 0;
}

/* Next input chunk; returns its length or a negative errno (reported). */
static ssize_t next_chunk(struct job *j)
{
	ssize_t n = read_chunk(j->in, j->ibuf, CHUNK);

	return n < 0 ? fail(j, (int)n, j->src, "cannot read") : n;
}

/* ---- gzip (zlib) --------------------------------------------------------- */

/* Runs deflate over one input chunk, writing out all it produces. */
static int gz_step(struct job *j, z_stream *zs, int flush)
{
	int rc = 0, zrc;

	do {
		zs->next_out = j->obuf;
		zs->avail_out = CHUNK;
		zrc = deflate(zs, flush);
		if (zrc == Z_STREAM_ERROR) {
			err_set(j->err, j->errlen, "%s: gzip compression failed", j->tmp);
			return -EIO;
		}
		rc = write_out(j, CHUNK - zs->avail_out);
	} while (!rc && zs->avail_out == 0); /* a full buffer may mean more output */
	return rc;
}

static int gz_run(struct job *j)
{
	z_stream zs;
	int rc, flush = Z_FINISH;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, GZIP_LEVEL, Z_DEFLATED, GZIP_WINDOW, GZIP_MEMLEVEL,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		err_set(j->err, j->errlen, "%s: cannot start gzip compression", j->src);
		return -ENOMEM;
	}
	do {
		ssize_t n = next_chunk(j);

		if (n < 0) {
			rc = (int)n;
			break;
		}
		flush = (size_t)n < CHUNK ? Z_FINISH : Z_NO_FLUSH;
		zs.next_in = j->ibuf;
		zs.avail_in = (uInt)n;
		rc = gz_step(j, &zs, flush);
	} while (!rc && flush != Z_FINISH);
	deflateEnd(&zs);
	return rc;
}

/* ---- zstd (libzstd) ------------------------------------------------------ */

/* Feeds one input chunk; with ZSTD_e_end, also flushes the frame's end. */
static int zstd_step(struct job *j, ZSTD_CCtx *cc, ZSTD_inBuffer *in, ZSTD_EndDirective mode)
{
	size_t left;
	int rc;

	do {
		ZSTD_outBuffer out = { j->obuf, CHUNK, 0 };

		left = ZSTD_compressStream2(cc, &out, in, mode);
		if (ZSTD_isError(left)) {
			err_set(j->err, j->errlen, "%s: zstd compression failed: %s", j->tmp,
				ZSTD_getErrorName(left));
			return -EIO;
		}
		rc = write_out(j, out.pos);
	} while (!rc && (mode == ZSTD_e_end ? left != 0 : in->pos < in->size));
	return rc;
}

static int zstd_setup(ZSTD_CCtx *cc)
{
	/* The frame checksum lets zstd -t and readers detect corruption. */
	return ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, ZSTD_LEVEL)) ||
	       ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1));
}

static int zstd_run(struct job *j)
{
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_EndDirective mode = ZSTD_e_end;
	int rc;

	if (!cc || zstd_setup(cc)) {
		ZSTD_freeCCtx(cc);
		err_set(j->err, j->errlen, "%s: cannot start zstd compression", j->src);
		return -ENOMEM;
	}
	do {
		ssize_t n = next_chunk(j);
		ZSTD_inBuffer in = { j->ibuf, 0, 0 };

		if (n < 0) {
			rc = (int)n;
			break;
		}
		in.size = (size_t)n;
		mode = (size_t)n < CHUNK ? ZSTD_e_end : ZSTD_e_continue;
		rc = zstd_step(j, cc, &in, mode);
	} while (!rc && mode != ZSTD_e_end);
	ZSTD_freeCCtx(cc);
	return rc;
}

/* ---- files --------------------------------------------------------------- */

/* Checked up front, so no work is done for a result that cannot be returned. */
static int make_paths(struct job *j, enum compress_kind kind, size_t out_len)
{
	const char *sfx = compress_suffix(kind);
	int n = snprintf(j->out, sizeof(j->out), "%s%s", j->src, sfx);
	int m = snprintf(j->tmp, sizeof(j->tmp), "%s%s%s", j->src, sfx, TMP_SUFFIX);

	if (n < 0 || m < 0 || (size_t)m >= sizeof(j->tmp) || (size_t)n >= out_len) {
		err_set(j->err, j->errlen, "%.64s...: path too long", j->src);
		return -ENAMETOOLONG;
	}
	return 0;
}

static int open_src(struct job *j)
{
	struct stat sb;
	int e;

	j->in = openat(j->dir, at(j, j->src), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (j->in < 0) {
		e = errno;
		return fail(j, -e, j->src, e == ELOOP ?
			    "cannot open (symbolic link refused)" : "cannot open");
	}
	if (fstat(j->in, &sb))
		return fail(j, -errno, j->src, "cannot stat");
	if (!S_ISREG(sb.st_mode))
		return fail(j, S_ISDIR(sb.st_mode) ? -EISDIR : -EINVAL, j->src,
			    "not a regular file");
	/* Read once, front to back: let the kernel read ahead. */
	(void)posix_fadvise(j->in, 0, 0, POSIX_FADV_SEQUENTIAL);
	return 0;
}

/*
 * A .tmp of our name left by a crash is ours to replace; anything else by
 * that name (a symlink, a directory) is not, and O_EXCL then refuses it.
 */
static int open_tmp(struct job *j)
{
	struct stat sb;

	if (fstatat(j->dir, at(j, j->tmp), &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode) &&
	    unlinkat(j->dir, at(j, j->tmp), 0))
		return fail(j, -errno, j->tmp, "cannot remove the stale temporary file");
	j->fd = openat(j->dir, at(j, j->tmp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		       0640);
	if (j->fd < 0)
		return fail(j, -errno, j->tmp, "cannot create");
	j->tmp_created = 1;
	return 0;
}

/* The rename is durable only once the directory itself is on disk. */
static int sync_dir(struct job *j)
{
	char dir[PATH_MAX];
	char *slash;
	int fd, rc = 0;

	if (j->dir != AT_FDCWD)
		return fsync(j->dir) ? fail(j, -errno, j->out, "cannot sync the directory of") : 0;
	snprintf(dir, sizeof(dir), "%s", j->out);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		slash[slash == dir] = '\0';     /* "/x" -> "/", "a/x" -> "a" */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd))
		rc = fail(j, -errno, dir, "cannot sync the directory");
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Makes the complete output durable under its final name. */
static int publish(struct job *j)
{
	int rc;

	if (fsync(j->fd))
		return fail(j, -errno, j->tmp, "cannot sync");
	rc = close(j->fd);
	j->fd = -1;
	if (rc)
		return fail(j, -errno, j->tmp, "cannot close");
	if (renameat(j->dir, at(j, j->tmp), j->dir, at(j, j->out)))
		return fail(j, -errno, j->tmp, "cannot rename into place");
	j->tmp_created = 0;     /* it is the output now */
	rc = sync_dir(j);
	if (!rc && unlinkat(j->dir, at(j, j->src), 0))
		rc = fail(j, -errno, j->src, "compressed, but cannot remove the original");
	if (rc)
		unlinkat(j->dir, at(j, j->out), 0); /* src is still there: keep the one copy, as promised */
	return rc;
}

static int run(struct job *j, enum compress_kind kind, size_t out_len)
{
	int rc = make_paths(j, kind, out_len);

	if (!rc)
		rc = open_src(j);
	if (!rc)
		rc = open_tmp(j);
	if (!rc)
		rc = kind == COMPRESS_GZIP ? gz_run(j) : zstd_run(j);
	if (!rc)
		rc = publish(j);
	return rc;
}

static void cleanup(struct job *j, int failed)
{
	if (j->fd >= 0)
		close(j->fd);
	if (j->in >= 0)
		close(j->in);
	/* Only a file we created with O_EXCL and did not rename into place. */
	if (failed && j->tmp_created)
		unlinkat(j->dir, at(j, j->tmp), 0);
	free(j->ibuf);
	free(j->obuf);
}

int compress_file(const char *src, enum compress_kind kind, char *out_path, size_t out_len,
		  char *err, size_t errlen)
{
	return compress_file_at(-1, src, kind, out_path, out_len, err, errlen);
}

int compress_file_at(int dir_fd, const char *src, enum compress_kind kind, char *out_path,
		     size_t out_len, char *err, size_t errlen)
{
	struct job j = { .dir = dir_fd >= 0 ? dir_fd : AT_FDCWD, .src = src, .in = -1, .fd = -1,
			 .err = err, .errlen = errlen };
	int rc;

	if (kind != COMPRESS_GZIP && kind != COMPRESS_ZSTD) {
		err_set(err, errlen, "%s: no compression method given", src);
		return -EINVAL;
	}
	j.ibuf = malloc(CHUNK);
	j.obuf = malloc(CHUNK);
	if (!j.ibuf || !j.obuf) {
		rc = -ENOMEM;
		err_set(err, errlen, "%s: out of memory for compression buffers", src);
	} else {
		rc = run(&j, kind, out_path ? out_len : SIZE_MAX);
	}
	if (!rc && out_path)
		snprintf(out_path, out_len, "%s", j.out);       /* fits: checked */
	cleanup(&j, rc);
	return rc;
}
