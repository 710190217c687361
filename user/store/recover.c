// SPDX-License-Identifier: GPL-2.0-only
/*
 * Recovery of torn capture files (see recover.h).
 *
 * A block is kept when the reader accepts its framing and, for the blocks
 * Wireshark interprets (IDB, EPB), when their fixed part is sound and an EPB
 * names an interface of its section: a block Wireshark would reject would
 * make the whole "recovered" file unreadable, so it counts as the tear.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "pcapng.h"
#include "pcapng_reader.h"
#include "store/recover.h"

/* Appended ISBs are batched in a buffer this big (one ISB is <= ~64 KiB). */
#define ISB_BUF_SIZE (256u * 1024u)

/* What recover_file needs beyond the public result. */
struct scan_state {
	struct recover_result res;
	int swapped;            /* last section is in the other byte order */
};

/* 0 when the block may be kept, -1 when it is where the file is torn. */
static int keep_block(const struct pcapng_reader *r, const struct pcapng_block *blk,
		      struct scan_state *st)
{
	struct pcapng_epb_view epb;
	struct pcapng_idb_view idb;

	switch (blk->type) {
	case PCAPNG_BT_SHB:
		st->res.ifaces = 0;     /* interface ids restart in each section */
		st->swapped = r->swapped;
		break;
	case PCAPNG_BT_IDB:
		if (pcapng_parse_idb(r, blk, &idb) || st->res.ifaces == UINT32_MAX)
			return -1;
		st->res.ifaces++;
		break;
	case PCAPNG_BT_EPB:
		if (pcapng_parse_epb(r, blk, &epb) || epb.if_id >= st->res.ifaces)
			return -1;
		st->res.frames++;
		st->res.last_ts_raw = epb.ts_raw;
		break;
	default:
		break;          /* ISB and unknown types: framing is all we need */
	}
	st->res.blocks++;
	return 0;
}

/*
 * Walks whole blocks until the end or the first bad one. Returns -1 only
 * when the very first block is not a valid SHB; the reader guarantees that
 * any later block belongs to a section opened by one.
 */
static int scan(const uint8_t *buf, size_t len, struct scan_state *st,
		char *err, size_t errlen)
{
	struct pcapng_reader r;
	struct pcapng_block blk;
	int rc;

	memset(st, 0, sizeof(*st));
	pcapng_reader_init(&r, buf, len);
	while ((rc = pcapng_next_block(&r, &blk)) == 1 && !keep_block(&r, &blk, st))
		st->res.valid_len = r.off;
	st->res.cut_bytes = len - st->res.valid_len;
	if (st->res.blocks)     /* the reader only accepts an SHB first */
		return 0;
	if (!len)
		err_set(err, errlen, "empty file, no section header");
	else if (rc < 0)
		err_set(err, errlen, "no valid section header at the start: %s", r.error);
	else
		err_set(err, errlen, "no valid section header at the start");
	return -1;
}

int recover_scan(const uint8_t *buf, size_t len, struct recover_result *res,
		 char *err, size_t errlen)
{
	struct scan_state st;
	int rc = scan(buf, len, &st, err, errlen);

	*res = st.res;
	return rc;
}

/* ---- repair in place --------------------------------------------------- */

/*
 * One ISB per interface, in host byte order, timestamped with the last
 * frame's raw timestamp: ISB and EPB timestamps share the interface's
 * if_tsresol, so the raw value is right whatever the resolution (ours: ns).
 */
static int append_isbs(int fd, off_t off, uint32_t ifaces, uint64_t ts, const char *comment)
{
	struct pcapng_isb_info isb = {
		.ts_ns = ts, .starttime_ns = PCAPNG_ISB_UNSET, .endtime_ns = PCAPNG_ISB_UNSET,
		.ifrecv = PCAPNG_ISB_UNSET, .ifdrop = PCAPNG_ISB_UNSET,
		.filteraccept = PCAPNG_ISB_UNSET, .osdrop = PCAPNG_ISB_UNSET,
		.usrdeliv = PCAPNG_ISB_UNSET, .comment = comment,
	};
	uint8_t *buf = malloc(ISB_BUF_SIZE);
	size_t used = 0, n;
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	for (uint32_t i = 0; i < ifaces && !ret; i++) {
		isb.if_id = i;
		n = pcapng_put_isb(buf + used, ISB_BUF_SIZE - used, &isb);
		if (!n) {       /* buffer full: flush, then it fits */
			ret = fd_pwrite_all(fd, buf, used, off, NULL);
			off += (off_t)used;
			used = 0;
			n = pcapng_put_isb(buf, ISB_BUF_SIZE, &isb);
		}
		used += n;
	}
	if (!ret)
		ret = fd_pwrite_all(fd, buf, used, off, NULL);
	free(buf);
	return ret;
}

/*
 * Scans the file through a read-only mapping, so a capture of several GiB
 * is never copied into memory. The mapping is gone before the file shrinks.
 * (A file truncated by someone else meanwhile would raise SIGBUS: .part
 * files are only recovered once their writer is known to be dead.)
 */
static int scan_fd(int fd, const char *path, struct scan_state *st, char *err, size_t errlen)
{
	char why[200];
	struct stat sb;
	void *map;
	int rc;

	if (fstat(fd, &sb)) {
		rc = -errno;
		err_set(err, errlen, "%s: cannot stat: %s", path, strerror(-rc));
		return rc;
	}
	if (!S_ISREG(sb.st_mode)) {
		err_set(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	if ((uint64_t)sb.st_size > SIZE_MAX) {
		err_set(err, errlen, "%s: too large to map", path);
		return -EFBIG;
	}
	if (!sb.st_size) {
		err_set(err, errlen, "%s: empty file, nothing to recover", path);
		return -EINVAL;
	}
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		rc = -errno;
		err_set(err, errlen, "%s: cannot map: %s", path, strerror(-rc));
		return rc;
	}
	rc = scan(map, (size_t)sb.st_size, st, why, sizeof(why));
	munmap(map, (size_t)sb.st_size);
	if (rc) {
		err_set(err, errlen, "%s: nothing to recover: %s", path, why);
		return -EINVAL;
	}
	return 0;
}

/* path, or its last component in dir_fd when dir_fd >= 0. */
static int open_rw(int dir_fd, const char *path, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	int fd = dir_fd >= 0 ? openat(dir_fd, slash ? slash + 1 : path, O_RDWR | O_NOFOLLOW | O_CLOEXEC) :
			       open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;

		err_set(err, errlen, "%s: cannot open: %s", path,
			e == ELOOP ? "is a symbolic link (refused)" : strerror(e));
		return -e;
	}
	return fd;
}

/*
 * Truncates to the whole blocks, then adds the ISBs. A foreign-endian last
 * section gets no ISBs: our encoder writes host order only, and blocks of
 * the wrong order inside that section would make it unreadable. If the
 * append fails, the file is cut back to the whole blocks so that it stays
 * readable and a later recovery starts from the same state.
 */
static int repair(int fd, const char *path, const struct scan_state *st,
		  const char *comment, char *err, size_t errlen)
{
	off_t end = (off_t)st->res.valid_len;
	int rc = 0;

	if (ftruncate(fd, end)) {
		rc = -errno;
		err_set(err, errlen, "%s: cannot truncate: %s", path, strerror(-rc));
		return rc;
	}
	if (!st->swapped)
		rc = append_isbs(fd, end, st->res.ifaces, st->res.last_ts_raw, comment);
	if (!rc && fsync(fd))
		rc = -errno;
	if (rc) {
		if (ftruncate(fd, end) == 0)
			(void)fsync(fd);
		err_set(err, errlen, "%s: cannot write the closing statistics: %s", path,
			strerror(-rc));
	}
	return rc;
}

int recover_file(const char *path, const char *comment, struct recover_result *res,
		 char *err, size_t errlen)
{
	return recover_file_at(-1, path, comment, res, err, errlen);
}

int recover_file_at(int dir_fd, const char *path, const char *comment,
		    struct recover_result *res, char *err, size_t errlen)
{
	struct scan_state st;
	int fd = open_rw(dir_fd, path, err, errlen);
	int rc;

	memset(&st, 0, sizeof(st));
	if (fd < 0) {
		*res = st.res;
		return fd;
	}
	rc = scan_fd(fd, path, &st, err, errlen);
	if (!rc)
		rc = repair(fd, path, &st, comment, err, errlen);
	*res = st.res;
	if (close(fd) && !rc) {
		rc = -errno;
		err_set(err, errlen, "%s: cannot close: %s", path, strerror(-rc));
	}
	return rc;
}
