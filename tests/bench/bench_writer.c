// SPDX-License-Identifier: GPL-2.0-only
/*
 * Throughput of vpncap's writing path alone, without the kernel: synthetic
 * frames go through the same code a capture runs, frame_queue (the bounded
 * queue the ring consumer fills, by reference: the frame's bytes stay in the
 * producer's buffer as in a UMEM, and the queue hands the buffer back once
 * the writer released its record) -> the writer thread (writer.c) -> the file
 * set (fileset.c) -> output_file.c's PCAPNG encoding (the one copy) and large
 * write()s, into one file (-w FILE) in DIR, by default /dev/shm (on ext4,
 * xfs or btrfs with O_DIRECT, as a capture writes there).
 *
 * Two more vpncap rows compare the two ways a buffered file may get a
 * frame's bytes, whatever the default (OUTPUT_FILE_REF_MIN): every frame
 * copied into the encoding ring and written with pwrite(), and every frame
 * written from its own buffer with pwritev() (issue 21).
 *
 * Frames of 64, 1500 and 9000 bytes, MIB MiB of frame data per measurement
 * (default 1024). The producer pushes batches of 64 frames and publishes
 * each batch, as the ring consumer does; where the capture would drop a
 * frame the queue has no room for, this producer waits and pushes it again,
 * so every frame is written and the writer is the bottleneck. The time runs
 * from the first push to the file closed (last flush, fsync). A second
 * vpncap row has PRODUCERS threads (default 2), each with its own queue, as
 * per-RX-queue consumers have: the writer merges the queues by time.
 *
 * Three references measured in the same run:
 *  - the ceiling: the same frame bytes memcpy'd, frame by frame, into one
 *    buffer of the same size (N frames x length) in anonymous memory;
 *  - the ceiling for the same destination: the same memcpy into a shared
 *    mmap of a file in DIR (ftruncate'd and MAP_POPULATE'd inside the timed
 *    part, so it pays for the tmpfs pages as every file writer there must,
 *    but for no system call per buffer and no kernel copy);
 *    A row for comparison only: the same memcpy into a mapping whose pages
 *    stay allocated (the copy alone, no page allocation or zeroing);
 *  - what the file system itself costs: the same frames copied into a 4 MiB
 *    buffer that is write()n to a file in DIR when
 *    full: any writer's floor there, without queue, thread or encoding.
 * All get their memory touched before they are timed: the files by one
 * untimed run (each run truncates and rewrites its file, so it reuses the
 * pages the last one freed), the buffer by a memset. Writing to tmpfs
 * memory the VM has not touched recently is much slower and would measure
 * the VM instead.
 *
 * Prints one table: frames/s and GB/s (frame bytes, 1 GB = 1e9 bytes),
 * medians of 5 measurements, and the ratios to the references; then, per
 * frame size, whether issue 8's writer targets are met: at least 10 M
 * 64-byte frames/s, and at 1500 bytes at least 70 % of the memcpy ceiling
 * for the same destination (the tmpfs-file memcpy).
 * Needs no privileges. Not a ctest test: numbers depend on the machine.
 * Usage: bench_writer [MIB [DIR [PRODUCERS]]]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "store/fileset.h"
#include "store/output_file.h"
#include "path/frame_queue.h"
#include "pcapng.h"
#include "path/writer.h"

#define TRIALS 5
#define BATCH 64                        /* XSK_RX_BATCH: frames per publish */
#define QUEUE_BYTES (32u << 20)         /* the default --queue-size */
#define DEFAULT_MIB 1024u
#define DEFAULT_PRODUCERS 2u
#define MAX_PRODUCERS 16u
#define TARGET_64B_FPS 10e6             /* issue 8: 64-byte frames per second */
#define TARGET_1500B_RATIO 0.70         /* issue 8: of the tmpfs-file memcpy ceiling */
#define WRITE_REF_BUFSIZE (4u << 20)    /* the write() reference's buffer */

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_writer: %s: %s\n", what, strerror(err));
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void put_be16(uint8_t *q, uint16_t v)
{
	q[0] = v >> 8;
	q[1] = v & 0xff;
}

/* Ethernet + IPv4 + UDP 500 -> 500 + an IKE_SA_INIT header, padded to len. */
static void ike_frame(uint8_t *b, size_t len)
{
	static const uint8_t macs[12] = { 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01 };
	static const uint8_t addrs[8] = { 198, 18, 0, 2, 198, 18, 0, 1 };
	uint8_t *ip = b + 14, *udp = ip + 20, *ike = udp + 8;
	size_t i;

	memset(b, 0, len);
	memcpy(b, macs, 12);
	put_be16(b + 12, 0x0800);
	ip[0] = 0x45;
	put_be16(ip + 2, (uint16_t)(len - 14));
	put_be16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, addrs, 8);
	put_be16(udp, 500);
	put_be16(udp + 2, 500);
	put_be16(udp + 4, (uint16_t)(len - 34));
	for (i = 0; i < 8; i++)
		ike[i] = (uint8_t)(0x11 * (i + 1));
	if (len >= 42 + 20) {
		ike[16] = 33;           /* next payload SA, IKEv2, IKE_SA_INIT, initiator */
		ike[17] = 0x20;
		ike[18] = 34;
		ike[19] = 0x08;
	}
}

/* What the capture fills in from its counters; nothing to say here. */
static void fill_isb(void *ctx, unsigned int if_id, struct pcapng_isb_info *isb,
		     char *comment, size_t len)
{
	(void)ctx;
	(void)if_id;
	isb->starttime_ns = isb->endtime_ns = isb->ts_ns;
	isb->ifrecv = isb->ifdrop = isb->filteraccept = isb->osdrop = PCAPNG_ISB_UNSET;
	snprintf(comment, len, "bench_writer");
}

struct result {
	double secs;
	uint64_t file_bytes;
	uint64_t waits;                 /* pushes refused by a full queue, then retried */
};

/* One producer thread: its own queue, every P-th frame of the run. */
struct producer {
	struct frame_queue q;
	const uint8_t *frame;
	uint32_t len;
	uint64_t first, count, stride, ts0;
	uint64_t waits;
	uint64_t back;                  /* buffers handed back by the queue */
};

static void produce(struct producer *p)
{
	const struct timespec pause = { 0, 20000 };
	struct frame_rec rec = {
		.if_id = 0,
		.caplen = p->len,
		.origlen = p->len,
		.flags = FRAME_REC_TS_HOOK,
	};
	uint64_t i;

	for (i = 0; i < p->count; i++) {
		rec.ts_ns = p->ts0 + (p->first + i * p->stride) * 100;
		while (frame_queue_push_ref(&p->q, &rec, p->frame, i)) {
			/* The capture would count a drop here; the benchmark waits. */
			frame_queue_publish(&p->q);
			p->waits++;
			nanosleep(&pause, NULL);
		}
		if (i % BATCH == BATCH - 1)
			frame_queue_publish(&p->q);
	}
	frame_queue_publish(&p->q);
}

/* The buffer of a frame the writer has written comes back (one buffer serves all here). */
static void frame_back(void *ctx, uint64_t token)
{
	struct producer *p = ctx;

	(void)token;
	p->back++;
}

static void *producer_main(void *arg)
{
	produce(arg);
	return NULL;
}

/*
 * One measurement of the writing path; every frame must be written. With
 * one producer it runs on this thread, as before; with more, each has a
 * thread and a queue.
 */
static struct result writer_run(const char *path, const uint8_t *frame, uint32_t len,
				uint64_t n, unsigned int producers, uint32_t ref_min)
{
	static const struct pcapng_shb_info shb = { "bench", "Linux", "vpncap bench_writer" };
	static const struct pcapng_idb_info idb = {
		.linktype = PCAPNG_LINKTYPE_ETHERNET,
		.snaplen = 262144,
		.name = "bench0",
		.description = "synthetic frames",
		.filter = "udp:500",
	};
	struct fileset_config cfg = {
		.path = path,
		.is_dir = 0,
		.tag = "bench0",
		.sync_ns = 1000000000ull,       /* the default --sync-interval */
		.shb = &shb,
		.idbs = idb_set_new(&idb, 1),
		.fill_isb = fill_isb,
	};
	static struct producer prod[MAX_PRODUCERS];
	struct frame_queue *queues[MAX_PRODUCERS];
	pthread_t threads[MAX_PRODUCERS];
	static struct fileset fs;
	static struct writer w;
	struct result r = { 0 };
	struct stat st;
	unsigned int k;
	uint64_t ts0;
	char err[512];
	double t0;
	int ret;

	ts0 = clock_real_ns();
	for (k = 0; k < producers; k++) {
		ret = frame_queue_init(&prod[k].q, QUEUE_BYTES);
		if (ret)
			die("frame_queue_init", -ret);
		queues[k] = &prod[k].q;
		frame_queue_set_reclaim(&prod[k].q, frame_back, &prod[k], 0);
		prod[k].back = 0;
		prod[k].frame = frame;
		prod[k].len = len;
		prod[k].first = k;
		prod[k].stride = producers;
		prod[k].count = n / producers + (k < n % producers);
		prod[k].ts0 = ts0;
		prod[k].waits = 0;
	}
	if (!cfg.idbs || fileset_open(&fs, &cfg, err, sizeof(err)) ||
	    (output_io_set_ref_min(&fs.io, ref_min), 0) ||
	    fileset_start(&fs, clock_real_ns(), err, sizeof(err))) {
		fprintf(stderr, "bench_writer: %s\n", cfg.idbs ? err : "out of memory");
		exit(1);
	}
	idb_set_unref(cfg.idbs);        /* the file set holds its own reference */
	memset(&w, 0, sizeof(w));
	ret = writer_start(&w, queues, producers, &fs);
	if (ret)
		die("writer_start", -ret);

	t0 = now_s();
	if (producers == 1) {
		produce(&prod[0]);
	} else {
		for (k = 0; k < producers; k++)
			if ((ret = pthread_create(&threads[k], NULL, producer_main, &prod[k])))
				die("pthread_create", ret);
		for (k = 0; k < producers; k++)
			pthread_join(threads[k], NULL);
	}
	writer_finish(&w);
	ret = fileset_close(&fs, clock_real_ns());
	r.secs = now_s() - t0;
	if (ret)
		die("fileset_close", -ret);
	if (fs.stats.frames_written != n) {
		fprintf(stderr, "bench_writer: %llu of %llu frames written (disk full %llu, errors %llu)\n",
			(unsigned long long)fs.stats.frames_written, (unsigned long long)n,
			(unsigned long long)fs.stats.dropped_disk_full,
			(unsigned long long)fs.stats.dropped_write_error);
		exit(1);
	}
	if (stat(path, &st))
		die(path, errno);
	r.file_bytes = (uint64_t)st.st_size;
	for (k = 0; k < producers; k++) {
		r.waits += prod[k].waits;
		frame_queue_destroy(&prod[k].q);
	}
	return r;
}

/* The ceiling: the same frames copied one by one into a buffer as large. */
static __attribute__((noinline)) double memcpy_run(uint8_t *buf, const uint8_t *frame,
						   uint32_t len, uint64_t n)
{
	volatile uint32_t vlen = len;   /* a length known at run time, as the writer's */
	uint32_t l = vlen;
	uint8_t *p = buf;
	uint64_t i;
	double t0 = now_s();

	for (i = 0; i < n; i++, p += l)
		memcpy(p, frame, l);
	__asm__ __volatile__("" : : "r"(buf) : "memory");
	return now_s() - t0;
}

/*
 * The ceiling for the same destination: the frames memcpy'd into a shared
 * mapping of a file in DIR. The file is emptied and sized again each run,
 * and its pages populated inside the timed part: a file writer on tmpfs
 * pays for them too.
 */
static double mmap_run(const char *path, const uint8_t *frame, uint32_t len, uint64_t n)
{
	size_t size = (size_t)(n * len);
	uint8_t *map;
	double t0;
	int fd;

	t0 = now_s();
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		die(path, errno);
	if (ftruncate(fd, (off_t)size))
		die(path, errno);
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (map == MAP_FAILED)
		die("mmap", errno);
	memcpy_run(map, frame, len, n);
	if (munmap(map, size) || close(fd))
		die(path, errno);
	return now_s() - t0;
}

/*
 * For comparison only: the same memcpy into a mapping of a tmpfs file whose
 * pages stay allocated between runs, so only the copy is timed (no page
 * allocation, no zeroing: not something a growing capture file gets).
 */
static double mmap_kept_run(const char *path, const uint8_t *frame, uint32_t len, uint64_t n)
{
	static uint8_t *map;
	static size_t mapped;
	size_t size = (size_t)(n * len);
	int fd;

	if (map && mapped != size) {
		munmap(map, mapped);
		map = NULL;
	}
	if (!map) {
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
		if (fd < 0 || ftruncate(fd, (off_t)size))
			die(path, errno);
		map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
		if (map == MAP_FAILED)
			die("mmap", errno);
		close(fd);
		mapped = size;
		memset(map, 0x5a, size);
	}
	return memcpy_run(map, frame, len, n);
}

/* The file system's floor: frames gathered into 4 MiB, then one write(). */
static double write_run(const char *path, const uint8_t *frame, uint32_t len, uint64_t n)
{
	static uint8_t *buf;
	size_t used = 0;
	uint64_t i;
	double t0;
	int fd;

	if (!buf && !(buf = malloc(WRITE_REF_BUFSIZE)))
		die("malloc", ENOMEM);
	t0 = now_s();
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		die(path, errno);
	for (i = 0; i <= n; i++) {
		if (i == n || used + len > WRITE_REF_BUFSIZE) {
			size_t off = 0;

			while (off < used) {
				ssize_t w = write(fd, buf + off, used - off);

				if (w < 0)
					die(path, errno);
				off += (size_t)w;
			}
			used = 0;
		}
		if (i < n) {
			memcpy(buf + used, frame, len);
			used += len;
		}
	}
	if (fsync(fd) || close(fd))
		die(path, errno);
	return now_s() - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v)
{
	qsort(v, TRIALS, sizeof(v[0]), cmp_double);
	return v[TRIALS / 2];
}

static void print_machine(void)
{
	char line[256], *model = NULL;
	struct utsname u;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			model = strchr(line, ':') + 2;
			model[strcspn(model, "\n")] = '\0';
			break;
		}
	}
	if (f)
		fclose(f);
	uname(&u);
	printf("cpu: %s, %ld CPUs; kernel: %s\n", model ? model : "unknown",
	       sysconf(_SC_NPROCESSORS_ONLN), u.release);
}

enum reference {
	REF_MEMCPY, REF_MMAP, REF_MMAP_KEPT, REF_WRITE, REF_VPNCAP, REF_VPNCAP_MQ,
	REF_VPNCAP_COPY, REF_VPNCAP_GATHER, N_REFS
};

#define N_SIZES 3

static void print_row(uint32_t size, const char *path, uint64_t n, const double *med,
		      enum reference which)
{
	double secs = med[which];

	printf("| %u B | %s | %.2f | %.2f | %.2f | %.2f | %.2f |\n", size, path, n / secs / 1e6,
	       (double)n * size / secs / 1e9, med[REF_MEMCPY] / secs, med[REF_WRITE] / secs,
	       med[REF_MMAP] / secs);
}

/* Issue 8's writer targets, for the single-queue writer (what one capture queue gets). */
static void print_targets(uint32_t size, uint64_t n, const double *med)
{
	double fps = n / med[REF_VPNCAP];
	double ratio = med[REF_MMAP] / med[REF_VPNCAP];

	if (size == 64)
		printf("%u B: target >= %.0f M frames/s: %s (%.2f M frames/s)\n", size,
		       TARGET_64B_FPS / 1e6, fps >= TARGET_64B_FPS ? "MET" : "NOT MET", fps / 1e6);
	else
		printf("%u B: target >= %.0f %% of the memcpy ceiling for the same destination "
		       "(memcpy into a shared mmap of a tmpfs file): %s (%.0f %%)\n", size,
		       TARGET_1500B_RATIO * 100, ratio >= TARGET_1500B_RATIO ? "MET" : "NOT MET",
		       ratio * 100);
}

int main(int argc, char **argv)
{
	static const uint32_t sizes[N_SIZES] = { 64, 1500, 9000 };
	unsigned long mib = argc > 1 ? strtoul(argv[1], NULL, 0) : DEFAULT_MIB;
	const char *dir = argc > 2 ? argv[2] : "/dev/shm";
	unsigned long producers = argc > 3 ? strtoul(argv[3], NULL, 0) : DEFAULT_PRODUCERS;
	double s[N_SIZES][N_REFS][TRIALS], med[N_SIZES][N_REFS];
	struct result last[N_SIZES];
	uint64_t n[N_SIZES], waits[N_SIZES] = { 0 }, waits_mq[N_SIZES] = { 0 };
	uint8_t frame[9000];
	char path[4096], raw[4096], mapped[4096], kept[4096];
	unsigned int k, t, ref;

	if (!mib)
		mib = DEFAULT_MIB;
	if (producers < 2 || producers > MAX_PRODUCERS) {
		fprintf(stderr, "bench_writer: PRODUCERS must be 2 to %u\n", MAX_PRODUCERS);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/bench_writer.%ld.pcapng", dir, (long)getpid());
	snprintf(raw, sizeof(raw), "%s/bench_writer.%ld.raw", dir, (long)getpid());
	snprintf(mapped, sizeof(mapped), "%s/bench_writer.%ld.mmap", dir, (long)getpid());
	snprintf(kept, sizeof(kept), "%s/bench_writer.%ld.kept", dir, (long)getpid());
	for (k = 0; k < N_SIZES; k++) {
		uint8_t *buf;

		n[k] = ((uint64_t)mib << 20) / sizes[k];
		ike_frame(frame, sizes[k]);
		buf = malloc(n[k] * sizes[k]);
		if (!buf)
			die("malloc", ENOMEM);
		memset(buf, 0x5a, n[k] * sizes[k]);      /* touch every page first */
		/* warm-up: the files' memory */
		writer_run(path, frame, sizes[k], n[k], 1, OUTPUT_FILE_REF_MIN);
		write_run(raw, frame, sizes[k], n[k]);
		mmap_run(mapped, frame, sizes[k], n[k]);
		for (t = 0; t < TRIALS; t++) {
			struct result mq;

			last[k] = writer_run(path, frame, sizes[k], n[k], 1, OUTPUT_FILE_REF_MIN);
			s[k][REF_VPNCAP][t] = last[k].secs;
			waits[k] += last[k].waits;
			s[k][REF_VPNCAP_COPY][t] =
				writer_run(path, frame, sizes[k], n[k], 1, UINT32_MAX).secs;
			s[k][REF_VPNCAP_GATHER][t] = writer_run(path, frame, sizes[k], n[k], 1, 0).secs;
			mq = writer_run(path, frame, sizes[k], n[k], (unsigned int)producers,
					OUTPUT_FILE_REF_MIN);
			s[k][REF_VPNCAP_MQ][t] = mq.secs;
			waits_mq[k] += mq.waits;
			s[k][REF_MEMCPY][t] = memcpy_run(buf, frame, sizes[k], n[k]);
			s[k][REF_WRITE][t] = write_run(raw, frame, sizes[k], n[k]);
			s[k][REF_MMAP][t] = mmap_run(mapped, frame, sizes[k], n[k]);
			s[k][REF_MMAP_KEPT][t] = mmap_kept_run(kept, frame, sizes[k], n[k]);
		}
		free(buf);
		for (ref = 0; ref < N_REFS; ref++)
			med[k][ref] = median(s[k][ref]);
	}
	unlink(path);
	unlink(raw);
	unlink(mapped);
	unlink(kept);

	print_machine();
	printf("%lu MiB of frame data per measurement, median of %d measurements; files in %s\n\n",
	       mib, TRIALS, dir);
	printf("| frame | path | M frames/s | GB/s (frame bytes) | ratio to memcpy | ratio to write() "
	       "| ratio to tmpfs-file memcpy |\n");
	printf("|------:|------|-----------:|-------------------:|----------------:|-----------------:"
	       "|---------------------------:|\n");
	for (k = 0; k < N_SIZES; k++) {
		char mq[128];

		snprintf(mq, sizeof(mq), "vpncap: %lu producer threads -> %lu frame_queues -> writer "
			 "-> PCAPNG file", producers, producers);
		print_row(sizes[k], "memcpy into a buffer of the same size (ceiling)", n[k], med[k],
			  REF_MEMCPY);
		print_row(sizes[k], "memcpy into a shared mmap of a file in DIR (same-destination ceiling)",
			  n[k], med[k], REF_MMAP);
		print_row(sizes[k], "(for comparison) memcpy into the same mmap, its pages kept allocated",
			  n[k], med[k], REF_MMAP_KEPT);
		print_row(sizes[k], "copy into a 4 MiB buffer, write() to a file", n[k], med[k],
			  REF_WRITE);
		print_row(sizes[k], "vpncap: frame_queue -> writer thread -> PCAPNG file", n[k], med[k],
			  REF_VPNCAP);
		print_row(sizes[k], mq, n[k], med[k], REF_VPNCAP_MQ);
		print_row(sizes[k], "vpncap, every frame copied into the ring, then write()", n[k],
			  med[k], REF_VPNCAP_COPY);
		print_row(sizes[k], "vpncap, every frame written from its buffer (pwritev)", n[k],
			  med[k], REF_VPNCAP_GATHER);
	}
	printf("\nIssue 8's writer targets (single-queue vpncap row):\n");
	for (k = 0; k < 2; k++) /* 64 and 1500 B */
		print_targets(sizes[k], n[k], med[k]);
	printf("\nPCAPNG file: %.1f bytes per 64 B frame, %.1f per 1500 B frame; the producer found the "
	       "queue full %llu and %llu times (%llu and %llu with %lu producers; it waits 20 us, "
	       "where a capture drops).\n",
	       (double)last[0].file_bytes / n[0], (double)last[1].file_bytes / n[1],
	       (unsigned long long)waits[0], (unsigned long long)waits[1],
	       (unsigned long long)waits_mq[0], (unsigned long long)waits_mq[1], producers);
	return 0;
}
