// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include "store/output_file.h"
#include "fdio.h"
#include "log.h"
#include "pcapng_reader.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define RING_MASK ((uint64_t)OUTPUT_FILE_RING - 1)
#define EXT_MASK ((uint64_t)OUTPUT_FILE_EXTENTS - 1)

_Static_assert((OUTPUT_FILE_RING & (OUTPUT_FILE_RING - 1)) == 0, "ring size: a power of two");
_Static_assert(OUTPUT_FILE_DIRECT_PIECE <= OUTPUT_FILE_RING / 4, "piece and ring sizes");
_Static_assert(OUTPUT_FILE_MAX_ALIGN * 4 <= OUTPUT_FILE_DIRECT_PIECE, "alignment and piece");
_Static_assert((OUTPUT_FILE_EXTENTS & (OUTPUT_FILE_EXTENTS - 1)) == 0, "extents: a power of two");

#define FS_EXT4 0xEF53L          /* ext2, ext3 and ext4 */
#define FS_XFS 0x58465342L
#define FS_BTRFS 0x9123683EL
#define FS_TMPFS 0x01021994L

static inline uint64_t align_down(uint64_t pos, uint64_t align)
{
	return pos & ~(align - 1);
}

/*
 * The positions' promises, checked under the lock wherever they change
 * hands (assert(): live in the sanitizer build, gone with NDEBUG). Written
 * before published, whole blocks on disk before written, asked before
 * synced, and what a direct span writes again still in the ring.
 */
static void check_ring(const struct output_io *io)
{
	assert(io->tail <= io->commit);
	assert(io->on_disk <= io->tail);
	assert(io->commit - align_down(io->on_disk, io->align) <= OUTPUT_FILE_RING);
	assert(io->commit_mark <= io->commit);
	assert(io->synced_to <= io->sync_asked && io->sync_asked <= io->sync_to);
	assert(io->sync_asked <= io->tail);
	assert(io->direct || io->tail == io->on_disk);
	assert(io->ext_tail <= io->ext_commit && io->ext_commit <= io->ext_head);
	assert(io->ext_head - io->ext_tail <= OUTPUT_FILE_EXTENTS);
	assert(!io->direct || io->ext_tail == io->ext_head); /* direct files copy */
	(void)io;
}

/* The writer's side too: what it encodes never reaches what is still to be written. */
static void check_writer(const struct output_file *f)
{
	check_ring(f->io);
	assert(f->commit == f->io->commit && f->commit <= f->head);
	assert(f->mark <= f->head);
	assert(f->head - align_down(f->io->on_disk, f->align) <= OUTPUT_FILE_RING);
	(void)f;
}

/* ---- the file systems --------------------------------------------------------------- */

int output_io_fs_takes_direct(long f_type)
{
	uint32_t t = (uint32_t)f_type; /* a 32-bit magic, whatever f_type's width and sign */

	return t == (uint32_t)FS_EXT4 || t == (uint32_t)FS_XFS || t == (uint32_t)FS_BTRFS;
}

const char *output_io_fs_name(long f_type, char *buf, size_t len)
{
	static const struct { long type; const char *name; } names[] = {
		{ FS_EXT4, "ext4" }, { FS_XFS, "xfs" }, { FS_BTRFS, "btrfs" },
		{ FS_TMPFS, "tmpfs" }, { 0x6969L, "nfs" }, { 0xFF534D42L, "cifs" },
		{ 0x65735546L, "fuse" }, { 0x794C7630L, "overlayfs" }, { 0x2FC12FC1L, "zfs" },
		{ 0x858458F6L, "ramfs" }, { 0x4d44L, "vfat" }, { 0x5346544EL, "ntfs" },
		{ 0xF2F52010L, "f2fs" }, { 0x01021997L, "9p" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((uint32_t)names[i].type == (uint32_t)f_type)
			return names[i].name;
	snprintf(buf, len, "type 0x%lx", (unsigned long)(uint32_t)f_type);
	return buf;
}

/* ---- the I/O thread ------------------------------------------------------------ */

/* Cut a partly written span off again: the file keeps only whole blocks. */
static int roll_back(int fd, uint64_t base)
{
	return ftruncate(fd, (off_t)base) ? -errno : 0;
}

/*
 * O_DIRECT on the descriptor or off: off only around a partial block's
 * pwrite(). One descriptor, flags toggled, rather than a second one opened
 * through /proc/self/fd: nothing to reopen after privileges are dropped,
 * nothing more to hand over at detach. Only the thread writing calls it, or
 * one that holds the lock while the I/O thread is idle.
 */
static int set_direct(struct output_io *io, int on)
{
	int flags;

	if (!io->direct || io->fd_direct == on)
		return 0;
	flags = fcntl(io->fd, F_GETFL);
	if (flags < 0 || fcntl(io->fd, F_SETFL, on ? flags | O_DIRECT : flags & ~O_DIRECT))
		return -errno;
	io->fd_direct = on;
	return 0;
}

/*
 * Under the lock: a piece or more published (or that many frames by
 * reference), or less but wanted on disk now.
 */
static int span_due(const struct output_io *io)
{
	return !io->err && io->tail < io->commit &&
	       (io->commit - io->tail >= io->piece ||
		io->ext_commit - io->ext_tail >= OUTPUT_FILE_SPAN_EXTENTS || io->on_disk < io->urgent);
}

/* Under the lock: everything before the writer's request written, the sync not yet asked. */
static int sync_due(const struct output_io *io)
{
	return !io->err && io->sync_asked < io->sync_to && io->tail >= io->sync_to;
}

static void span_written(struct output_io *io, int ret, uint64_t calls, uint64_t end,
			 uint64_t whole);

/*
 * Write the next span: from the tail (aligned down) to the commit aligned
 * down, with O_DIRECT when the file is direct and that end is past the
 * tail; else the rest up to the commit (buffered: all of it; direct: the
 * partial last block, wanted now). The commit is a block boundary and the
 * aligned end's last boundary is known (commit_mark), so on_disk stays on
 * block boundaries (a cap at some byte count would not be: a failure after
 * it would roll back into a block). Called and returns with the lock held;
 * the pwrite() runs without it.
 */
static void write_span(struct output_io *io)
{
	uint64_t end = align_down(io->commit, io->align), whole = io->commit_mark, start, calls = 0;
	uint64_t base = io->on_disk;
	int fd = io->fd, aligned = end > io->tail, ret;

	if (aligned) {
		start = align_down(io->tail, io->align);
	} else { /* direct, and only the partial last block is left: it is wanted now */
		end = whole = io->commit;
		start = io->tail;
	}
	io->busy = 1;
	pthread_mutex_unlock(&io->lock);
	ret = set_direct(io, aligned);
	if (!ret)
		ret = fd_pwrite_all(fd, io->ring + (start & RING_MASK), (size_t)(end - start),
				    (off_t)start, &calls);
	if (!aligned)
		set_direct(io, 1); /* at once (fdinfo shows it); if it fails, the next span tries */
	if (ret)
		roll_back(fd, base);
	pthread_mutex_lock(&io->lock);
	if (aligned && io->direct)
		io->direct_calls += calls;
	span_written(io, ret, calls, end, whole);
}

/* Called with the lock held again after a span's write: its outcome, for the others. */
static void span_written(struct output_io *io, int ret, uint64_t calls, uint64_t end,
			 uint64_t whole)
{
	io->busy = 0;
	io->calls += calls;
	if (ret) {
		io->err = ret; /* and stop until the writer retries or drops */
		io->tail = io->on_disk;
	} else {
		io->tail = end;
		if (whole > io->on_disk)
			io->on_disk = whole;
	}
	pthread_cond_broadcast(&io->progress);
}

static struct iovec ring_segment(const struct output_io *io, uint64_t from, uint64_t to)
{
	return (struct iovec){ io->ring + (from & RING_MASK), (size_t)(to - from) };
}

/*
 * Under the lock: the segments that write [start, *end) of a buffered file,
 * the ring's bytes around the holes of extents *ext on. The extents
 * published all lie before the commit, whole, and the span starts on a
 * block, so none straddles its ends. When the segments run out, the span
 * ends at the end of the last EPB gathered (*end moves back there). *ext
 * is left past the last extent gathered. Returns the number of segments.
 */
static int gather_span(const struct output_io *io, uint64_t start, uint64_t *end, uint64_t *ext,
		       struct iovec *iov)
{
	uint64_t pos = start, i;
	int n = 0;

	for (i = *ext; i < io->ext_commit; i++) {
		const struct output_extent *e = &io->extents[i & EXT_MASK];

		assert(e->pos >= pos && e->pos + e->len <= *end);
		if (i > *ext && e->block_end != io->extents[(i - 1) & EXT_MASK].block_end &&
		    n + 2 * OUTPUT_FILE_MAX_SEGS + 1 > OUTPUT_FILE_IOV) {
			/* No room for a whole EPB more (each hole, the bytes before it, the end). */
			*end = io->extents[(i - 1) & EXT_MASK].block_end;
			break;
		}
		if (e->pos > pos)
			iov[n++] = ring_segment(io, pos, e->pos);
		iov[n++] = (struct iovec){ (void *)e->data, e->len };
		pos = e->pos + e->len;
	}
	if (*end > pos)
		iov[n++] = ring_segment(io, pos, *end);
	*ext = i;
	return n;
}

/*
 * A buffered span with frames by reference in it: one pwritev() of the
 * ring's bytes and the frames' own (see the file comment). Once it is
 * written, the frames' buffers are the caller's again (ext_tail). Called
 * and returns with the lock held; the pwritev() runs without it.
 */
static void write_gathered(struct output_io *io)
{
	struct iovec iov[OUTPUT_FILE_IOV];
	uint64_t start = io->tail, end = io->commit, ext = io->ext_tail, calls = 0;
	uint64_t base = io->on_disk;
	int fd = io->fd, n = gather_span(io, start, &end, &ext, iov), ret;

	io->busy = 1;
	pthread_mutex_unlock(&io->lock);
	ret = fd_pwritev_all(fd, iov, n, (off_t)start, &calls);
	if (ret)
		roll_back(fd, base);
	pthread_mutex_lock(&io->lock);
	if (!ret)
		atomic_store_explicit(&io->ext_tail, ext, memory_order_release);
	span_written(io, ret, calls, end, end); /* buffered: the span ends on a block */
}

/*
 * Under the lock: hand the fdatasync to the sync thread and go on writing
 * (waiting for it here would stop the writes for as long as the disk takes).
 * If a sync is running, this one starts when it returns.
 */
static void ask_sync(struct output_io *io)
{
	io->sync_asked = io->sync_to;
	pthread_cond_signal(&io->sync_work);
}

static void *io_main(void *arg)
{
	struct output_io *io = arg;

	pthread_mutex_lock(&io->lock);
	for (;;) {
		check_ring(io);
		if (sync_due(io))
			ask_sync(io);
		if (span_due(io)) {
			if (!io->direct && io->ext_tail < io->ext_commit)
				write_gathered(io); /* frames by reference in it */
			else
				write_span(io);
		} else if (io->stop) {
			break;
		} else {
			pthread_cond_wait(&io->work, &io->lock);
		}
	}
	pthread_mutex_unlock(&io->lock);
	return NULL;
}

/* ---- the sync thread ------------------------------------------------------------ */

/*
 * Called and returns with the lock held; fdatasync() runs without it. The
 * descriptor cannot change meanwhile: a file is not let go (release_ring)
 * while a sync asked on it has not returned.
 */
static void sync_file(struct output_io *io)
{
	uint64_t target = io->sync_asked;
	int fd = io->fd, ret;

	io->syncing = 1;
	pthread_mutex_unlock(&io->lock);
	ret = fdatasync(fd) ? -errno : 0;
	pthread_mutex_lock(&io->lock);
	io->syncing = 0;
	io->synced_to = target;
	if (ret && !io->sync_err)
		io->sync_err = ret;
	pthread_cond_broadcast(&io->progress);
}

static void *sync_main(void *arg)
{
	struct output_io *io = arg;

	pthread_mutex_lock(&io->lock);
	for (;;) {
		check_ring(io);
		if (io->synced_to < io->sync_asked)
			sync_file(io);
		else if (io->stop)
			break;
		else
			pthread_cond_wait(&io->sync_work, &io->lock);
	}
	pthread_mutex_unlock(&io->lock);
	return NULL;
}

/* How a file is written: buffered, or direct with spans aligned to align. */
struct io_way {
	int direct;
	uint64_t align;
};

/* Under the lock, with the I/O thread idle: an empty ring for a new file. */
static void ring_reset(struct output_io *io, int fd, struct io_way way)
{
	io->fd = fd;
	io->direct = io->fd_direct = way.direct;
	io->align = way.direct ? way.align : 1;
	io->piece = way.direct ? OUTPUT_FILE_DIRECT_PIECE : OUTPUT_FILE_PIECE;
	io->commit = io->commit_mark = io->tail = io->urgent = 0;
	io->sync_to = io->sync_asked = io->synced_to = 0;
	io->on_disk = 0;
	/* Whatever could not be written is dropped with the file: those frames are free. */
	io->ext_commit = io->ext_head;
	atomic_store_explicit(&io->ext_tail, io->ext_head, memory_order_release);
	io->err = io->sync_err = 0;
	io->calls = io->direct_calls = 0;
}

/* Have the threads end and wait for them: both, or the I/O thread alone. */
static void end_threads(struct output_io *io, int sync_started)
{
	pthread_mutex_lock(&io->lock);
	io->stop = 1;
	pthread_cond_signal(&io->work);
	pthread_cond_signal(&io->sync_work);
	pthread_mutex_unlock(&io->lock);
	pthread_join(io->thread, NULL);
	if (sync_started)
		pthread_join(io->sync_thread, NULL);
}

/*
 * The ring: one memfd mapped twice in a row, so that ring[i + RING] is
 * ring[i]. A block running past the end goes on at the start with no copy
 * and no gap, and any span is one contiguous buffer, page aligned at
 * aligned positions (what O_DIRECT needs of memory).
 */
static uint8_t *map_ring(void)
{
	const size_t n = OUTPUT_FILE_RING;
	uint8_t *area, *ret = NULL;
	int fd = memfd_create("vpncap-output-ring", MFD_CLOEXEC);

	if (fd < 0)
		return NULL;
	area = ftruncate(fd, (off_t)n) ? MAP_FAILED :
	       mmap(NULL, 2 * n, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area != MAP_FAILED) {
		if (mmap(area, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) != MAP_FAILED &&
		    mmap(area + n, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) !=
			    MAP_FAILED)
			ret = area;
		else
			munmap(area, 2 * n);
	}
	close(fd); /* the mappings keep the memory */
	return ret;
}

static void free_io(struct output_io *io)
{
	pthread_cond_destroy(&io->progress);
	pthread_cond_destroy(&io->sync_work);
	pthread_cond_destroy(&io->work);
	pthread_mutex_destroy(&io->lock);
	if (io->ring)
		munmap(io->ring, 2 * (size_t)OUTPUT_FILE_RING);
	io->ring = NULL;
	free(io->extents);
	io->extents = NULL;
}

int output_io_start(struct output_io *io, enum output_io_mode mode)
{
	int ret;

	memset(io, 0, sizeof(*io));
	io->want = mode;
	pthread_mutex_init(&io->lock, NULL);
	pthread_cond_init(&io->work, NULL);
	pthread_cond_init(&io->sync_work, NULL);
	pthread_cond_init(&io->progress, NULL);
	io->ring = map_ring();
	io->extents = calloc(OUTPUT_FILE_EXTENTS, sizeof(*io->extents));
	if (!io->ring || !io->extents) {
		ret = errno ? -errno : -ENOMEM;
		free_io(io);
		return ret;
	}
	ring_reset(io, -1, (struct io_way){ 0 });
	io->ref_min = OUTPUT_FILE_REF_MIN;
	ret = -pthread_create(&io->thread, NULL, io_main, io);
	if (ret) {
		free_io(io);
		return ret;
	}
	ret = -pthread_create(&io->sync_thread, NULL, sync_main, io);
	if (ret) {
		end_threads(io, 0);
		free_io(io);
		return ret;
	}
	io->started = 1;
	return 0;
}

void output_io_set_ref_min(struct output_io *io, uint32_t ref_min)
{
	io->ref_min = ref_min;
}

void output_io_stop(struct output_io *io)
{
	if (!io->started)
		return;
	end_threads(io, 1);
	free_io(io);
	io->started = 0;
}

/* ---- talking to the I/O thread (writer thread, under the lock) -------------------- */

/*
 * Where blocks may be encoded up to: not over what a span writes yet, from
 * the last whole block on disk aligned down (a failure rolls back there, a
 * direct span starts again there).
 */
static void learn(struct output_file *f)
{
	struct output_io *io = f->io;

	f->bytes_written = io->on_disk;
	f->write_calls = io->calls;
	f->limit = align_down(io->on_disk, f->align) + OUTPUT_FILE_RING;
	f->ext_limit = output_io_refs_done(io) + OUTPUT_FILE_EXTENTS;
	check_writer(f);
}

/* Everything encoded is whole blocks: the I/O thread may have it. */
static void publish(struct output_file *f)
{
	struct output_io *io = f->io;

	io->commit = f->commit = f->head;
	io->commit_mark = f->mark;
	io->ext_commit = io->ext_head;
	if (span_due(io))
		pthread_cond_signal(&io->work);
}

/* Under the lock: have the I/O thread write everything published, below a piece too. */
static void ask_all_written(struct output_io *io)
{
	if (io->urgent < io->commit)
		io->urgent = io->commit;
	pthread_cond_signal(&io->work);
}

/*
 * Let the I/O thread write everything published, or stop at a failure, and
 * wait until it has. A sync it asked for may still be running.
 */
static void wait_idle(struct output_file *f)
{
	struct output_io *io = f->io;

	ask_all_written(io);
	while (io->busy || (!io->err && io->tail < io->commit))
		pthread_cond_wait(&io->progress, &io->lock);
	learn(f);
}

/*
 * Under the lock: wait until every sync asked of the sync thread has
 * returned, and the one the writer asked for too unless a write failed
 * (then it is not asked: the data it was to cover is not all written).
 */
static void wait_synced(struct output_io *io)
{
	pthread_cond_signal(&io->work); /* it may have a sync to ask for */
	while (io->syncing || io->synced_to < io->sync_asked ||
	       (!io->err && io->synced_to < io->sync_to))
		pthread_cond_wait(&io->progress, &io->lock);
}

/* The error of a background fdatasync, once those asked for have returned. */
static int take_sync_error(struct output_file *f)
{
	struct output_io *io = f->io;
	int ret;

	pthread_mutex_lock(&io->lock);
	wait_synced(io);
	ret = io->sync_err;
	io->sync_err = 0;
	pthread_mutex_unlock(&io->lock);
	return ret;
}

/* Under the lock, the I/O thread idle: the blocks not on disk, in file order. */
static size_t unwritten_region(struct output_file *f, const uint8_t **data)
{
	uint64_t from = f->io->on_disk;

	*data = f->ring + (from & RING_MASK);
	return (size_t)(f->head - from);
}

static uint64_t count_epbs(const uint8_t *p, size_t n)
{
	struct pcapng_reader r;
	struct pcapng_block blk;
	uint64_t epbs = 0;

	pcapng_reader_init_blocks(&r, p, n);
	while (pcapng_next_block(&r, &blk) == 1)
		epbs += blk.type == PCAPNG_BT_EPB;
	return epbs;
}

/* ---- opening and closing ----------------------------------------------------------- */

/* The last component of path: the name relative to its directory's descriptor. */
static const char *name_in_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/*
 * Relative to f->dir_fd when there is one: a file set's members are created
 * in the directory opened at start, whatever its path leads to now (a
 * directory swapped for a symlink to somewhere else redirects nothing).
 */
static int open_fd(struct output_file *f, const char *path, enum output_file_open_mode mode)
{
	const int flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW;
	int dir = f->dir_fd >= 0 ? f->dir_fd : AT_FDCWD;
	const char *name = f->dir_fd >= 0 ? name_in_dir(path) : path;

	/* O_EXCL first, to know whether abandoning the capture may remove the file. */
	f->fd = openat(dir, name, flags | O_CREAT | O_EXCL, 0640);
	if (f->fd >= 0) {
		f->created = 1;
		return 0;
	}
	if (errno == EEXIST && mode == OUTPUT_FILE_REPLACE)
		f->fd = openat(dir, name, flags);
	return f->fd >= 0 ? 0 : -errno;
}

/*
 * The alignment direct I/O needs of the file (statx STATX_DIOALIGN, Linux
 * 6.1+): offsets and lengths, and memory (the ring is page aligned: 4096 at
 * least). 0: the file takes no direct I/O; 4096 when the kernel does not say.
 */
static uint64_t dio_align(int fd)
{
	struct statx stx;
	uint64_t align = 4096;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) || !(stx.stx_mask & STATX_DIOALIGN))
		return align;
	if (!stx.stx_dio_offset_align)
		return 0;
	if (stx.stx_dio_offset_align > align)
		align = stx.stx_dio_offset_align;
	if (stx.stx_dio_mem_align > align)
		align = stx.stx_dio_mem_align;
	return align;
}

/*
 * How f's file is written (see the file comment): direct where the mode and
 * the file system say so and the descriptor takes O_DIRECT (left set on it),
 * else buffered. OUTPUT_IO_DIRECT: a file system that will not is an error.
 */
static int choose_way(struct output_file *f, enum output_io_mode want, struct io_way *way,
		      char *err, size_t errlen)
{
	char fsbuf[24];
	struct statfs sfs;
	const char *why = NULL;
	int flags;

	*way = (struct io_way){ 0 };
	f->fs_type = fstatfs(f->fd, &sfs) ? 0 : (long)sfs.f_type;
	if (want == OUTPUT_IO_BUFFERED)
		return 0;
	if (!output_io_fs_takes_direct(f->fs_type))
		why = "vpncap writes with O_DIRECT on ext4, xfs and btrfs only";
	if (!why) {
		way->align = dio_align(f->fd);
		if (!way->align || way->align > OUTPUT_FILE_MAX_ALIGN ||
		    (way->align & (way->align - 1)))
			why = "the file takes no direct I/O (statx dio alignment)";
	}
	flags = why ? 0 : fcntl(f->fd, F_GETFL);
	if (!why && (flags < 0 || fcntl(f->fd, F_SETFL, flags | O_DIRECT)))
		why = strerror(errno);
	if (!why) {
		way->direct = 1;
		return 0;
	}
	if (want == OUTPUT_IO_AUTO)
		return 0;
	err_set(err, errlen, "%s: --output-io direct: the file system (%s) refuses O_DIRECT: %s",
		f->path, output_io_fs_name(f->fs_type, fsbuf, sizeof(fsbuf)), why);
	return -EINVAL;
}

/*
 * The I/O thread idle, no sync running on the old descriptor, and the ring
 * emptied of whatever could not be written; the next file written way.
 */
static void release_ring(struct output_file *f, int fd, struct io_way way)
{
	struct output_io *io = f->io;

	pthread_mutex_lock(&io->lock);
	wait_idle(f);
	wait_synced(io);
	ring_reset(io, fd, way);
	f->direct = io->direct;
	f->align = io->align;
	f->piece = io->piece;
	f->head = f->commit = f->mark = 0;
	learn(f);
	pthread_mutex_unlock(&io->lock);
}

int output_file_open(struct output_file *f, struct output_io *io, int dir_fd, const char *path,
		     enum output_file_open_mode mode, char *err, size_t errlen)
{
	struct io_way way;
	int ret;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->dir_fd = dir_fd;
	f->io = io;
	f->ring = io->ring;
	f->align = 1;
	if (strlen(path) >= sizeof(f->path)) {
		err_set(err, errlen, "%.64s...: output path too long", path);
		return -ENAMETOOLONG;
	}
	snprintf(f->path, sizeof(f->path), "%s", path);
	ret = open_fd(f, path, mode);
	if (ret) {
		err_set(err, errlen, "%s: output not writable: %s", path,
			ret == -ELOOP ? "is a symbolic link (refused)" : strerror(-ret));
		return ret;
	}
	ret = choose_way(f, io->want, &way, err, errlen);
	if (ret) {
		output_file_abandon(f);
		return ret;
	}
	release_ring(f, f->fd, way);
	return 0;
}

const char *output_file_io_name(const struct output_file *f)
{
	return f->direct ? "direct" : "buffered";
}

int output_file_begin(struct output_file *f)
{
	if (!f->created && ftruncate(f->fd, 0))
		return -errno;
	return 0;
}

void output_file_abandon(struct output_file *f)
{
	if (f->io)
		release_ring(f, -1, (struct io_way){ 0 });
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (f->created && f->dir_fd >= 0)
		unlinkat(f->dir_fd, name_in_dir(f->path), 0);
	else if (f->created)
		unlink(f->path);
}

int output_file_detach(struct output_file *f, int *fd)
{
	int ret = 0;

	*fd = f->fd;
	if (f->fd >= 0) {
		ret = output_file_flush(f);
		if (!ret)
			ret = take_sync_error(f);
	}
	/*
	 * The I/O thread idle and done with the file (io->fd = -1), whatever
	 * could not be written gone: the ring serves the next file.
	 */
	if (f->io)
		release_ring(f, -1, (struct io_way){ 0 });
	f->fd = -1;
	return ret;
}

int output_file_close(struct output_file *f)
{
	int fd, ret = output_file_detach(f, &fd);

	if (fd < 0)
		return ret;
	if (fsync(fd) && !ret)
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

/* ---- flushing ---------------------------------------------------------------------- */

int output_file_flush(struct output_file *f)
{
	struct output_io *io = f->io;
	int ret;

	pthread_mutex_lock(&io->lock);
	io->err = 0; /* a failed span is tried again, from its first block */
	publish(f);
	wait_idle(f);
	ret = io->err;
	f->failed = ret != 0;
	pthread_mutex_unlock(&io->lock);
	return ret;
}

int output_file_patch(struct output_file *f, uint64_t off, const void *data, size_t len)
{
	struct output_io *io = f->io;
	uint64_t from, to, keep;
	int ret;

	pthread_mutex_lock(&io->lock);
	publish(f);
	wait_idle(f);
	ret = io->err ? io->err : set_direct(io, 0); /* the I/O thread is idle: the lock is held */
	if (!ret && off + len > io->on_disk)
		ret = -EINVAL; /* only bytes the file has */
	if (!ret)
		ret = fd_pwrite_all(io->fd, data, len, (off_t)off, NULL);
	set_direct(io, 1);
	/* The block the tail is in is written again from the ring: it must say the same. */
	keep = align_down(io->on_disk, io->align);
	from = off > keep ? off : keep;
	to = off + len;
	if (!ret && from < to)
		memcpy(f->ring + (from & RING_MASK), (const uint8_t *)data + (from - off),
		       (size_t)(to - from));
	pthread_mutex_unlock(&io->lock);
	return ret;
}

size_t output_file_unwritten(struct output_file *f, const uint8_t **data)
{
	struct output_io *io = f->io;
	size_t n;

	pthread_mutex_lock(&io->lock);
	wait_idle(f);
	n = unwritten_region(f, data);
	pthread_mutex_unlock(&io->lock);
	return n;
}

uint64_t output_file_discard(struct output_file *f)
{
	struct output_io *io = f->io;
	const uint8_t *data;
	uint64_t frames;
	size_t n;

	pthread_mutex_lock(&io->lock);
	wait_idle(f);
	n = unwritten_region(f, &data);
	frames = count_epbs(data, n);
	/* The next block goes where the dropped ones began: positions are file offsets. */
	f->head = f->commit = f->mark = io->on_disk;
	io->tail = io->commit = io->commit_mark = io->urgent = io->on_disk;
	io->ext_commit = io->ext_head; /* the dropped frames' bytes are free */
	atomic_store_explicit(&io->ext_tail, io->ext_head, memory_order_release);
	if (io->sync_to > io->on_disk) /* asked before the failure: what is on disk, then */
		io->sync_to = io->on_disk > io->sync_asked ? io->on_disk : io->sync_asked;
	io->err = 0;
	f->failed = 0;
	f->size = io->on_disk;
	learn(f);
	pthread_mutex_unlock(&io->lock);
	return frames;
}

int output_file_sync(struct output_file *f)
{
	int ret = output_file_flush(f);

	if (ret)
		return ret;
	ret = take_sync_error(f);
	if (fdatasync(f->fd) && !ret)
		ret = -errno;
	return ret;
}

int output_file_sync_start(struct output_file *f)
{
	struct output_io *io = f->io;
	int ret;

	pthread_mutex_lock(&io->lock);
	publish(f);
	learn(f);
	if (io->err) {
		if (f->failed) { /* an error not dealt with yet: the slow way */
			pthread_mutex_unlock(&io->lock);
			return output_file_sync(f);
		}
		f->failed = 1;
		ret = io->err;
		pthread_mutex_unlock(&io->lock);
		return ret;
	}
	if (io->urgent < f->head)
		io->urgent = f->head;
	io->sync_to = f->head;
	pthread_cond_signal(&io->work);
	ret = io->sync_err;
	io->sync_err = 0;
	pthread_mutex_unlock(&io->lock);
	return ret;
}

/* ---- adding blocks -------------------------------------------------------------------- */

/* Under the lock: need bytes at the head would reach what is still to be written. */
static int ring_full(const struct output_file *f, size_t need)
{
	return f->head + need > align_down(f->io->on_disk, f->align) + OUTPUT_FILE_RING;
}

/* Under the lock: no extent is free for a frame by reference. */
static int extents_full(struct output_io *io, unsigned int n)
{
	return io->ext_head + n - output_io_refs_done(io) > OUTPUT_FILE_EXTENTS;
}

/*
 * The slow path of reserve(): publish what is encoded, learn how far the I/O
 * thread got, and make need bytes free at the head, waiting for the file
 * system only if the ring is full. Returns a write error the first time it
 * is learnt; after that, retries the write (as a flush).
 */
static int make_room(struct output_file *f, size_t need, unsigned int n_ext)
{
	struct output_io *io = f->io;
	int ret = 0;

	if (need > OUTPUT_FILE_MAX_BLOCK)
		return -EMSGSIZE;
	if (f->failed) {
		ret = output_file_flush(f);
		if (ret)
			return ret;
	}
	pthread_mutex_lock(&io->lock);
	publish(f);
	while (!io->err && (ring_full(f, need) || extents_full(io, n_ext))) {
		/*
		 * The ring is full: have whole blocks on disk up to where the
		 * room begins, even below a piece (rounded up to the alignment:
		 * with it aligned down there is room; never past the commit,
		 * as need is at most half the ring). The extents are: all of it.
		 */
		uint64_t want = align_down(f->head + need - OUTPUT_FILE_RING + f->align - 1, f->align);

		if (want > io->commit || extents_full(io, n_ext))
			want = io->commit;
		if (io->urgent < want)
			io->urgent = want;
		pthread_cond_signal(&io->work);
		pthread_cond_wait(&io->progress, &io->lock);
	}
	if (io->err) {
		f->failed = 1;
		ret = io->err;
	}
	learn(f);
	pthread_mutex_unlock(&io->lock);
	return ret;
}

/* need bytes at the head: 0, or -errno of a write learnt now. No lock, no call, mostly. */
static inline int reserve(struct output_file *f, size_t need)
{
	if (f->head + need <= f->limit && f->head - f->commit < f->piece)
		return 0;
	return make_room(f, need, 0);
}

/*
 * A block of n bytes was encoded at the head. The mark follows the last
 * block boundary at or before the head aligned down: where a direct span
 * that ends there leaves whole blocks.
 */
static inline void advance(struct output_file *f, size_t n)
{
	uint64_t start = f->head, end = start + n, aligned = align_down(end, f->align);

	if (aligned >= start)
		f->mark = aligned == end ? end : start;
	f->head = end;
	f->size += n;
}

/* The same for a frame by reference: n extents free too, and a span due at so many. */
static inline int reserve_ref(struct output_file *f, size_t need, unsigned int n)
{
	const struct output_io *io = f->io;

	if (io->ext_head + n <= f->ext_limit &&
	    io->ext_head - io->ext_commit < OUTPUT_FILE_SPAN_EXTENTS)
		return reserve(f, need);
	return make_room(f, need, n);
}

/* The segments hold epb->caplen bytes: every byte, nothing past them. */
static int segments_fit(const struct pcapng_epb_info *epb, const struct iovec *segs,
			unsigned int n)
{
	uint64_t bytes = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		bytes += segs[i].iov_len;
	return bytes == epb->caplen;
}

/*
 * The EPB with a hole for the frame at the head; the hole's bytes copied
 * from segs, or (copy 0) left for the I/O thread to write from them.
 */
static int add_epb_hole(struct output_file *f, const struct pcapng_epb_info *epb,
			const struct iovec *segs, unsigned int n_segs, int copy)
{
	size_t need = pcapng_epb_size(epb), n;
	uint8_t *block;
	uint64_t pos;   /* file offset of the next segment's bytes */
	unsigned int i;
	int ret;

	if (n_segs > OUTPUT_FILE_MAX_SEGS || !segments_fit(epb, segs, n_segs))
		return -EINVAL;
	ret = copy ? reserve(f, need) : reserve_ref(f, need, n_segs);
	if (ret)
		return ret;
	block = f->ring + (f->head & RING_MASK);
	pos = f->head + PCAPNG_EPB_DATA_OFFSET;
	n = pcapng_put_epb(block, need, epb, NULL);
	if (!n)
		return -EOVERFLOW;
	for (i = 0; i < n_segs; pos += segs[i++].iov_len) {
		if (copy) {
			memcpy(block + (pos - f->head), segs[i].iov_base, segs[i].iov_len);
			continue;
		}
		f->io->extents[f->io->ext_head++ & EXT_MASK] = (struct output_extent){
			.pos = pos,
			.block_end = f->head + n,
			.data = segs[i].iov_base,
			.len = (uint32_t)segs[i].iov_len,
		}; /* published with the block, under the lock */
	}
	advance(f, n);
	return 0;
}

int output_file_add_epb(struct output_file *f, const struct pcapng_epb_info *epb,
			const void *frame)
{
	const struct iovec seg = { (void *)frame, epb->caplen };

	return add_epb_hole(f, epb, &seg, 1, 1);
}

int output_file_add_epb_ref(struct output_file *f, const struct pcapng_epb_info *epb,
			    const struct iovec *segs, unsigned int n_segs)
{
	return add_epb_hole(f, epb, segs, n_segs,
			    f->direct || !epb->caplen || epb->caplen < f->io->ref_min);
}

int output_file_add_epb_copy(struct output_file *f, const struct pcapng_epb_info *epb,
			     const struct iovec *segs, unsigned int n_segs)
{
	return add_epb_hole(f, epb, segs, n_segs, 1);
}

void output_file_push(struct output_file *f)
{
	struct output_io *io = f->io;

	pthread_mutex_lock(&io->lock);
	publish(f);
	ask_all_written(io);
	learn(f);
	pthread_mutex_unlock(&io->lock);
}

/* Metadata blocks are small; 64 KiB of room covers any of them. */
#define META_BLOCK_ROOM 65536

static uint8_t *meta_room(struct output_file *f, size_t *room, int *ret)
{
	*ret = reserve(f, META_BLOCK_ROOM);
	if (*ret)
		return NULL;
	*room = (size_t)(f->limit - f->head);
	return f->ring + (f->head & RING_MASK);
}

/* Account for a block the encoder wrote at the head. */
static int commit_block(struct output_file *f, size_t n)
{
	if (!n)
		return -EOVERFLOW;
	advance(f, n);
	return 0;
}

int output_file_add_shb(struct output_file *f, const struct pcapng_shb_info *shb)
{
	size_t room;
	int ret;
	uint8_t *p = meta_room(f, &room, &ret);

	return p ? commit_block(f, pcapng_put_shb(p, room, shb)) : ret;
}

int output_file_add_idb(struct output_file *f, const struct pcapng_idb_info *idb)
{
	size_t room;
	int ret;
	uint8_t *p = meta_room(f, &room, &ret);

	return p ? commit_block(f, pcapng_put_idb(p, room, idb)) : ret;
}

int output_file_add_isb(struct output_file *f, const struct pcapng_isb_info *isb)
{
	size_t room;
	int ret;
	uint8_t *p = meta_room(f, &room, &ret);

	return p ? commit_block(f, pcapng_put_isb(p, room, isb)) : ret;
}
