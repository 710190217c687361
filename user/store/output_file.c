// SPDX-License-Identifier: GPL-2.0-only
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
#include <unistd.h>

#define RING_MASK ((uint64_t)OUTPUT_FILE_RING - 1)
#define NO_GAP UINT64_MAX

_Static_assert((OUTPUT_FILE_RING & (OUTPUT_FILE_RING - 1)) == 0, "ring size: a power of two");
_Static_assert(OUTPUT_FILE_PIECE <= OUTPUT_FILE_RING / 4, "piece and ring sizes");

/* Where the lap of the ring that pos is in ends (the next lap's start). */
static inline uint64_t lap_end(uint64_t pos)
{
	return (pos | RING_MASK) + 1;
}

/*
 * The positions' promises, checked under the lock wherever they change
 * hands (assert(): live in the sanitizer build, gone with NDEBUG). Written
 * before published, asked before synced, nothing on disk past the tail,
 * and the skipped end of a lap in the tail's lap.
 */
static void check_ring(const struct output_io *io)
{
	assert(io->tail <= io->commit);
	assert(io->commit - io->tail <= OUTPUT_FILE_RING);
	assert(io->on_disk <= io->tail);
	assert(io->synced_to <= io->sync_asked && io->sync_asked <= io->sync_to);
	assert(io->sync_asked <= io->tail);
	assert(io->gap == NO_GAP || (io->gap >= io->tail && io->gap < lap_end(io->tail)));
	(void)io;
}

/* The writer's side too: what it encodes never laps the unwritten tail. */
static void check_writer(const struct output_file *f)
{
	check_ring(f->io);
	assert(f->commit == f->io->commit && f->commit <= f->head);
	assert(f->head - f->io->tail <= OUTPUT_FILE_RING);
	(void)f;
}

/* ---- the I/O thread ------------------------------------------------------------ */

/* Cut a partly written span off again: the file keeps only whole blocks. */
static int roll_back(int fd, uint64_t base)
{
	if (ftruncate(fd, (off_t)base) || lseek(fd, (off_t)base, SEEK_SET) < 0)
		return -errno;
	return 0;
}

/* Under the lock: step the tail over the unused end of its lap. */
static void skip_gap(struct output_io *io)
{
	if (io->tail != io->gap)
		return;
	io->tail = lap_end(io->tail);
	io->gap = NO_GAP;
	pthread_cond_broadcast(&io->progress);
}

/* Under the lock: a piece or more published, or less but wanted now. */
static int span_due(const struct output_io *io)
{
	return !io->err && io->tail < io->commit &&
	       (io->commit - io->tail >= OUTPUT_FILE_PIECE || io->tail < io->urgent);
}

/* Under the lock: everything before the writer's request written, the sync not yet asked. */
static int sync_due(const struct output_io *io)
{
	return !io->err && io->sync_asked < io->sync_to && io->tail >= io->sync_to;
}

/*
 * Write the next span: whole blocks from the tail, up to the commit or the
 * end of the data in this lap, both block boundaries (a cap at some byte
 * count would not be: a failure after it would roll back into a block).
 * Called and returns with the lock held; the write() runs without it.
 */
static void write_span(struct output_io *io)
{
	uint64_t start = io->tail, end = io->commit, stop = lap_end(start), base = io->on_disk;
	uint64_t calls = 0;
	int fd = io->fd, ret;

	if (io->gap != NO_GAP && io->gap > start && io->gap < stop)
		stop = io->gap;
	if (end > stop)
		end = stop;
	io->busy = 1;
	pthread_mutex_unlock(&io->lock);
	ret = fd_write_all(fd, io->ring + (start & RING_MASK), (size_t)(end - start), &calls);
	if (ret)
		roll_back(fd, base);
	pthread_mutex_lock(&io->lock);
	io->busy = 0;
	io->calls += calls;
	if (ret) {
		io->err = ret; /* and stop until the writer retries or drops */
	} else {
		io->tail = end;
		io->on_disk += end - start;
	}
	pthread_cond_broadcast(&io->progress);
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
		skip_gap(io);
		if (sync_due(io))
			ask_sync(io);
		if (span_due(io))
			write_span(io);
		else if (io->stop)
			break;
		else
			pthread_cond_wait(&io->work, &io->lock);
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

/* Under the lock, with the I/O thread idle: an empty ring for a new file. */
static void ring_reset(struct output_io *io, int fd)
{
	io->fd = fd;
	io->commit = io->tail = io->urgent = 0;
	io->sync_to = io->sync_asked = io->synced_to = 0;
	io->gap = NO_GAP;
	io->on_disk = 0;
	io->err = io->sync_err = 0;
	io->calls = 0;
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

static void free_io(struct output_io *io)
{
	pthread_cond_destroy(&io->progress);
	pthread_cond_destroy(&io->sync_work);
	pthread_cond_destroy(&io->work);
	pthread_mutex_destroy(&io->lock);
	free(io->ring);
	io->ring = NULL;
}

int output_io_start(struct output_io *io)
{
	int ret;

	memset(io, 0, sizeof(*io));
	io->ring = malloc(OUTPUT_FILE_RING);
	if (!io->ring)
		return -ENOMEM;
	ring_reset(io, -1);
	pthread_mutex_init(&io->lock, NULL);
	pthread_cond_init(&io->work, NULL);
	pthread_cond_init(&io->sync_work, NULL);
	pthread_cond_init(&io->progress, NULL);
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

void output_io_stop(struct output_io *io)
{
	if (!io->started)
		return;
	end_threads(io, 1);
	free_io(io);
	io->started = 0;
}

/* ---- talking to the I/O thread (writer thread, under the lock) -------------------- */

/* Where blocks may be encoded up to: not past the unwritten tail, nor the lap's end. */
static void learn(struct output_file *f)
{
	struct output_io *io = f->io;
	uint64_t free_to = io->tail + OUTPUT_FILE_RING, end = lap_end(f->head);

	f->bytes_written = io->on_disk;
	f->write_calls = io->calls;
	f->limit = free_to < end ? free_to : end;
	check_writer(f);
}

/* Everything encoded is whole blocks: the I/O thread may have it. */
static void publish(struct output_file *f)
{
	struct output_io *io = f->io;

	io->commit = f->commit = f->head;
	if (span_due(io))
		pthread_cond_signal(&io->work);
}

/*
 * Let the I/O thread write everything published, or stop at a failure, and
 * wait until it has. A sync it asked for may still be running.
 */
static void wait_idle(struct output_file *f)
{
	struct output_io *io = f->io;

	if (io->urgent < io->commit)
		io->urgent = io->commit;
	pthread_cond_signal(&io->work);
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

/* Under the lock, the I/O thread idle: the unwritten blocks, in file order. */
static unsigned int unwritten_regions(struct output_file *f, const uint8_t *data[2],
				      size_t len[2])
{
	struct output_io *io = f->io;
	uint64_t pos = io->tail;
	unsigned int n = 0;

	/* head - tail <= the ring, so the blocks are in at most two laps. */
	while (pos < f->head && n < 2) {
		uint64_t end = lap_end(pos), data_end = end;

		if (io->gap != NO_GAP && io->gap >= pos && io->gap < end)
			data_end = io->gap;
		if (data_end > f->head)
			data_end = f->head;
		if (data_end > pos) {
			data[n] = f->ring + (pos & RING_MASK);
			len[n++] = (size_t)(data_end - pos);
		}
		pos = end;
	}
	return n;
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
 * The I/O thread idle, no sync running on the old descriptor, and the ring
 * emptied of whatever could not be written.
 */
static void release_ring(struct output_file *f, int fd)
{
	struct output_io *io = f->io;

	pthread_mutex_lock(&io->lock);
	wait_idle(f);
	wait_synced(io);
	ring_reset(io, fd);
	f->head = f->commit = 0;
	learn(f);
	pthread_mutex_unlock(&io->lock);
}

int output_file_open(struct output_file *f, struct output_io *io, int dir_fd, const char *path,
		     enum output_file_open_mode mode, char *err, size_t errlen)
{
	int ret;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->dir_fd = dir_fd;
	f->io = io;
	f->ring = io->ring;
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
	release_ring(f, f->fd);
	return 0;
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
		release_ring(f, -1);
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
		release_ring(f, -1);
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

unsigned int output_file_unwritten(struct output_file *f, const uint8_t *data[2],
				   size_t len[2])
{
	struct output_io *io = f->io;
	unsigned int n;

	pthread_mutex_lock(&io->lock);
	wait_idle(f);
	n = unwritten_regions(f, data, len);
	pthread_mutex_unlock(&io->lock);
	return n;
}

uint64_t output_file_discard(struct output_file *f)
{
	struct output_io *io = f->io;
	const uint8_t *data[2];
	uint64_t frames = 0;
	unsigned int i, n;
	size_t len[2];

	pthread_mutex_lock(&io->lock);
	wait_idle(f);
	n = unwritten_regions(f, data, len);
	for (i = 0; i < n; i++)
		frames += count_epbs(data[i], len[i]);
	io->tail = io->commit = io->urgent = f->commit = f->head;
	io->gap = NO_GAP;
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

/*
 * The slow path of reserve(): publish what is encoded, learn how far the I/O
 * thread got, and make need contiguous bytes free at the head, waiting for
 * the file system only if the ring is full. A block that would cross the
 * end of the ring starts the next lap instead. Returns a write error the
 * first time it is learnt; after that, retries the write (as a flush).
 */
static int make_room(struct output_file *f, size_t need)
{
	struct output_io *io = f->io;
	uint64_t start;
	int ret = 0;

	if (need > OUTPUT_FILE_MAX_BLOCK)
		return -EMSGSIZE;
	if (f->failed) {
		ret = output_file_flush(f);
		if (ret)
			return ret;
	}
	start = f->head;
	if ((start & RING_MASK) + need > OUTPUT_FILE_RING)
		start = lap_end(start);
	pthread_mutex_lock(&io->lock);
	publish(f);
	while (!io->err && start + need > io->tail + OUTPUT_FILE_RING) {
		/* The ring is full: have the bytes needed written even below a piece. */
		uint64_t want = start + need - OUTPUT_FILE_RING;

		if (io->urgent < want)
			io->urgent = want;
		pthread_cond_signal(&io->work);
		pthread_cond_wait(&io->progress, &io->lock);
	}
	if (io->err) {
		f->failed = 1;
		ret = io->err;
	} else if (start != f->head) {
		io->gap = f->head; /* published up to here; the I/O thread skips the rest */
		f->head = start;
	}
	learn(f);
	pthread_mutex_unlock(&io->lock);
	return ret;
}

/* need bytes at the head: 0, or -errno of a write learnt now. No lock, no call, mostly. */
static inline int reserve(struct output_file *f, size_t need)
{
	if (f->head + need <= f->limit && f->head - f->commit < OUTPUT_FILE_PIECE)
		return 0;
	return make_room(f, need);
}

int output_file_add_epb(struct output_file *f, const struct pcapng_epb_info *epb,
			const void *frame)
{
	size_t need = pcapng_epb_size(epb), n;
	int ret = reserve(f, need);

	if (ret)
		return ret;
	n = pcapng_put_epb(f->ring + (f->head & RING_MASK), need, epb, frame);
	f->head += n;
	f->size += n;
	return n ? 0 : -EOVERFLOW;
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
	f->head += n;
	f->size += n;
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
