// SPDX-License-Identifier: GPL-2.0-only
/*
 * The file headers' IDB sets (store/idb_set.c): deep copies, reference
 * counting, and the race they exist for. A reload and a filter change that
 * come close together used to rewrite the one of two IDB copies the writer
 * might still be writing from. Now each change is a new immutable set: here
 * the main thread hands the writer a new set every few milliseconds (and
 * drops its own reference at once) while frames flow and the writer starts
 * a file for each set it applies; every IDB of every file must then be one
 * whole set (description and filter of the same letter, full length), the
 * last file must carry the last set, and under the sanitizer build no set
 * is used after it was freed, or leaked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "pcapng.h"
#include "pcapng_reader.h"
#include "path/frame_queue.h"
#include "path/writer.h"
#include "store/fileset.h"
#include "store/idb_set.h"

#define TEXT_LEN 1000
#define CHANGES 60

static const struct pcapng_shb_info shb = { "test", "test", "test_idb_set" };

static void fill_isb(void *ctx, unsigned int if_id, struct pcapng_isb_info *isb, char *comment,
		     size_t len)
{
	(void)ctx;
	(void)if_id;
	(void)isb;
	snprintf(comment, len, "test_idb_set");
}

/* Two interfaces; every text of the set is `letter` repeated. */
static struct idb_set *set_of(char letter)
{
	static char text[TEXT_LEN + 1];
	struct pcapng_idb_info idbs[2];
	unsigned int i;

	memset(text, letter, TEXT_LEN);
	text[TEXT_LEN] = '\0';
	for (i = 0; i < 2; i++)
		idbs[i] = (struct pcapng_idb_info){
			.linktype = PCAPNG_LINKTYPE_ETHERNET, .snaplen = 262144,
			.name = i ? "if1" : "if0", .description = text, .filter = text,
			.comment = text,
		};
	return idb_set_new(idbs, 2);
}

static void test_deep_copy(void **state)
{
	struct pcapng_idb_info idb = { .name = NULL, .description = NULL };
	char description[] = "driver veth";
	struct idb_set *set;

	(void)state;
	idb.name = "eth9";
	idb.description = description;
	set = idb_set_new(&idb, 1);
	assert_non_null(set);
	description[0] = 'X';   /* the caller's buffer changes; the set does not */
	assert_string_equal(idb_set_at(set, 0)->description, "driver veth");
	assert_string_equal(idb_set_at(set, 0)->name, "eth9");
	assert_null(idb_set_at(set, 0)->filter);
	assert_int_equal(idb_set_count(set), 1);
	assert_ptr_equal(idb_set_ref(set), set);
	idb_set_unref(set);
	idb_set_unref(set);     /* the last reference: freed (LeakSanitizer says if not) */
	assert_null(idb_set_ref(NULL));
	idb_set_unref(NULL);
	assert_int_equal(idb_set_count(NULL), 0);
}

struct producer {
	struct frame_queue q;
	atomic_int stop;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	static const uint8_t frame[60] = { 0x02, 0, 0, 0, 0, 1 };

	while (!atomic_load(&p->stop)) {
		struct frame_rec rec = { .if_id = 0, .ts_ns = clock_real_ns(), .caplen = 60,
					 .origlen = 60 };

		frame_queue_push(&p->q, &rec, frame);
		frame_queue_publish(&p->q);
		usleep(200);
	}
	return NULL;
}

/* The letter of one whole set in an IDB option, or 0 when mixed or cut. */
static char letter_of(const uint8_t *v, size_t len)
{
	size_t i;

	if (len != TEXT_LEN)
		return 0;
	for (i = 1; i < len; i++)
		if (v[i] != v[0])
			return 0;
	return (char)v[0];
}

/* Every IDB of the file is one whole set: its letter, or fails. */
static char check_file(const char *path)
{
	struct pcapng_reader rd;
	struct pcapng_block blk;
	struct stat st;
	char seen = 0;
	void *map;
	int fd = open(path, O_RDONLY), ret, idbs = 0;

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(map != MAP_FAILED);
	pcapng_reader_init(&rd, map, (size_t)st.st_size);
	while ((ret = pcapng_next_block(&rd, &blk)) == 1) {
		struct pcapng_idb_view v;
		struct pcapng_option o;

		if (blk.type != PCAPNG_BT_IDB)
			continue;
		assert_int_equal(pcapng_parse_idb(&rd, &blk, &v), 0);
		idbs++;
		while (pcapng_option_next(&v.opts, &o) == 1) {
			char l;

			if (o.code != 1 && o.code != 3 && o.code != 11)
				continue;       /* comment, description, filter: the set's texts */
			/* if_filter carries a code byte first */
			l = o.code == 11 ? letter_of(o.value + 1, o.len - 1u) :
					   letter_of(o.value, o.len);
			if (!l || (seen && l != seen))
				fail_msg("%s: IDB option %u is not one whole set", path, o.code);
			seen = l;
		}
	}
	assert_int_equal(ret, 0);
	assert_int_equal(idbs, 2);
	munmap(map, (size_t)st.st_size);
	close(fd);
	return seen;
}

static void test_sets_change_under_the_writer(void **state)
{
	char dir[] = "/tmp/test_idb_set.XXXXXX", last_name[512] = "", path[600];
	struct fileset_config cfg = {
		.is_dir = 1, .tag = "t0", .sync_ns = 1000000000ull, .shb = &shb,
		.fill_isb = fill_isb,
	};
	struct producer p = { 0 };
	struct frame_queue *qs[1] = { &p.q };
	static struct fileset fs;
	static struct writer w;
	struct dirent *de;
	pthread_t t;
	char err[256], last = 0;
	unsigned int i, files = 0;
	DIR *d;

	(void)state;
	assert_non_null(mkdtemp(dir));
	cfg.path = dir;
	cfg.idbs = set_of('a');
	assert_int_equal(frame_queue_init(&p.q, 1 << 20), 0);
	assert_int_equal(fileset_open(&fs, &cfg, err, sizeof(err)), 0);
	idb_set_unref(cfg.idbs);
	assert_int_equal(fileset_start(&fs, clock_real_ns(), err, sizeof(err)), 0);
	assert_int_equal(writer_start(&w, qs, 1, &fs), 0);
	assert_int_equal(pthread_create(&t, NULL, produce, &p), 0);

	for (i = 1; i <= CHANGES; i++) {
		last = (char)('a' + i % 26);
		cfg.idbs = set_of(last);
		assert_non_null(cfg.idbs);
		writer_reconfigure(&w, &cfg);
		idb_set_unref(cfg.idbs);        /* at once: only the writer holds it now */
		usleep((i % 7) * 4000);         /* some changes between two ticks, some apart */
	}
	usleep(300000);                          /* the writer applies the last one */
	atomic_store(&p.stop, 1);
	pthread_join(t, NULL);
	writer_finish(&w);
	assert_int_equal(fileset_close(&fs, clock_real_ns()), 0);
	frame_queue_destroy(&p.q);

	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		check_file(path);
		files++;
		if (strcmp(de->d_name, last_name) > 0)
			snprintf(last_name, sizeof(last_name), "%s", de->d_name);
	}
	closedir(d);
	assert_true(files >= 3);        /* several sets were applied, each in a new file */
	snprintf(path, sizeof(path), "%s/%s", dir, last_name);
	assert_int_equal(check_file(path), last);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

/* -i any: a set with one more interface extends the old; any other change does not. */
static void test_extends(void **state)
{
	struct pcapng_idb_info idbs[3] = {
		{ .linktype = PCAPNG_LINKTYPE_ETHERNET, .snaplen = 100, .name = "a",
		  .description = "d", .filter = "f" },
		{ .linktype = PCAPNG_LINKTYPE_ETHERNET, .snaplen = 100, .name = "b",
		  .description = "d", .filter = "f" },
		{ .linktype = PCAPNG_LINKTYPE_ETHERNET, .snaplen = 100, .name = "c",
		  .description = "d", .filter = "f" },
	};
	struct idb_set *one = idb_set_new(idbs, 1), *two = idb_set_new(idbs, 2), *other;

	(void)state;
	assert_true(idb_set_extends(two, one));
	assert_false(idb_set_extends(one, two));
	assert_false(idb_set_extends(two, two));        /* the same interfaces: nothing new */
	assert_false(idb_set_extends(two, NULL));
	assert_false(idb_set_extends(NULL, one));
	idbs[0].description = "switched to inline";     /* an old IDB changed: a new file */
	other = idb_set_new(idbs, 3);
	assert_false(idb_set_extends(other, one));
	assert_false(idb_set_extends(other, two));
	idb_set_unref(other);
	idbs[0].description = "d";
	idbs[0].comment = "degraded";
	other = idb_set_new(idbs, 2);
	assert_false(idb_set_extends(other, one));
	idb_set_unref(other);
	idb_set_unref(one);
	idb_set_unref(two);
}

/* Block kinds of a file in order: 'I' an IDB, or '0' + the EPB's interface. */
static void file_blocks(const char *path, char *out, size_t len)
{
	struct pcapng_reader rd;
	struct pcapng_block blk;
	struct stat st;
	size_t n = 0;
	void *map;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(map != MAP_FAILED);
	pcapng_reader_init(&rd, map, (size_t)st.st_size);
	while (pcapng_next_block(&rd, &blk) == 1 && n + 1 < len) {
		struct pcapng_epb_view epb;

		if (blk.type == PCAPNG_BT_IDB)
			out[n++] = 'I';
		else if (!pcapng_parse_epb(&rd, &blk, &epb))
			out[n++] = (char)('0' + epb.if_id);
	}
	out[n] = '\0';
	munmap(map, (size_t)st.st_size);
	close(fd);
}

static void push(struct frame_queue *q, unsigned int if_id)
{
	static const uint8_t frame[60] = { 0x02, 0, 0, 0, 0, 1 };
	struct frame_rec rec = { .if_id = if_id, .ts_ns = clock_real_ns(), .caplen = 60,
				 .origlen = 60 };

	assert_int_equal(frame_queue_push(q, &rec, frame), 0);
	frame_queue_publish(q);
}

/*
 * An interface that appears while capturing (-i any): the file it is
 * written into takes its IDB where it stands, in a file set without a new
 * file, and before its first frame even when that frame reaches the writer
 * at once (before the writer's next tick would have applied the set).
 */
static void test_interface_appended(void **state)
{
	char dir[] = "/tmp/test_idb_set.XXXXXX", path[600], blocks[64];
	struct pcapng_idb_info idbs[2] = {
		{ .linktype = PCAPNG_LINKTYPE_ETHERNET, .snaplen = 100, .name = "a" },
		{ .linktype = PCAPNG_LINKTYPE_ETHERNET, .snaplen = 100, .name = "b" },
	};
	struct fileset_config cfg = {
		.is_dir = 1, .tag = "t1", .sync_ns = 1000000000ull, .shb = &shb,
		.fill_isb = fill_isb,
	};
	static struct frame_queue q, late;
	static struct fileset fs;
	static struct writer w;
	struct frame_queue *qs[1] = { &q };
	struct dirent *de;
	unsigned int files = 0;
	char err[256];
	DIR *d;

	(void)state;
	assert_non_null(mkdtemp(dir));
	cfg.path = dir;
	cfg.idbs = idb_set_new(idbs, 1);
	assert_int_equal(frame_queue_init(&q, 1 << 20), 0);
	assert_int_equal(frame_queue_init(&late, 1 << 20), 0);
	assert_int_equal(fileset_open(&fs, &cfg, err, sizeof(err)), 0);
	idb_set_unref(cfg.idbs);
	assert_int_equal(fileset_start(&fs, clock_real_ns(), err, sizeof(err)), 0);
	assert_int_equal(writer_start(&w, qs, 1, &fs), 0);
	push(&q, 0);
	push(&q, 0);
	usleep(250000);                 /* written, and the writer past its first tick */
	cfg.idbs = idb_set_new(idbs, 2);
	writer_reconfigure(&w, &cfg);
	idb_set_unref(cfg.idbs);
	/* the new interface's producer, a queue of its own, frames at once */
	assert_int_equal(writer_add_queue(&w, &late), 0);
	push(&late, 1);
	push(&q, 0);
	usleep(50000);
	writer_finish(&w);
	assert_int_equal(fileset_close(&fs, clock_real_ns()), 0);
	frame_queue_destroy(&q);
	frame_queue_destroy(&late);

	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		files++;
	}
	closedir(d);
	assert_int_equal(files, 1);     /* appended, not a new file */
	file_blocks(path, blocks, sizeof(blocks));
	/* the second IDB after the first frames, before interface 1's frame */
	assert_non_null(strstr(blocks, "I00I"));
	assert_true(strchr(blocks, '1') > strrchr(blocks, 'I'));
	assert_int_equal(strlen(blocks), 6);    /* 2 IDBs, 4 frames, nothing lost */
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extends),
		cmocka_unit_test(test_interface_appended),
		cmocka_unit_test(test_deep_copy),
		cmocka_unit_test(test_sets_change_under_the_writer),
	};

	return cmocka_run_group_tests_name("idb sets", tests, NULL, NULL);
}
