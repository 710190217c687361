// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of torn-file recovery: recover_scan on files built in memory
 * with the encoder and cut at every possible length, with garbage appended,
 * with several sections; recover_file on real files (a torn last frame, a
 * symlink, a file without a section header, a foreign-endian last section),
 * and, when tshark is installed, a check that Wireshark reads the result.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "pcapng.h"
#include "pcapng_reader.h"
#include "store/recover.h"

#define BUF_MAX 65536
#define MAX_BLOCKS 128
#define COMMENT "vpncap: capture ended uncleanly; file recovered"
#define TS0 1700000000123456789ull

/* A file under construction, with where each block ends. */
struct built {
	uint8_t buf[BUF_MAX];
	size_t len;
	size_t n;
	size_t end[MAX_BLOCKS];
	uint32_t type[MAX_BLOCKS];
	uint64_t ts[MAX_BLOCKS];        /* EPB timestamps */
};

static uint8_t frame[2048];
static char tmpdir[] = "/tmp/test_recover.XXXXXX";

static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7 + 1);
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- building files ----------------------------------------------------- */

static void added(struct built *b, size_t n, uint32_t type, uint64_t ts)
{
	assert_true(n > 0);
	assert_true(b->n < MAX_BLOCKS);
	b->len += n;
	b->end[b->n] = b->len;
	b->type[b->n] = type;
	b->ts[b->n] = ts;
	b->n++;
}

static void add_shb(struct built *b)
{
	struct pcapng_shb_info shb = { .hardware = "x86_64", .os = "Linux",
				       .userappl = "vpncap test" };

	added(b, pcapng_put_shb(b->buf + b->len, BUF_MAX - b->len, &shb), PCAPNG_BT_SHB, 0);
}

static void add_idb(struct built *b, const char *name)
{
	struct pcapng_idb_info idb = { .linktype = PCAPNG_LINKTYPE_ETHERNET,
				       .snaplen = 65535, .name = name,
				       .filter = "udp port 500" };

	added(b, pcapng_put_idb(b->buf + b->len, BUF_MAX - b->len, &idb), PCAPNG_BT_IDB, 0);
}

/* Varying lengths and options, so every padding case shows up somewhere. */
static void add_epb(struct built *b, uint32_t if_id, uint64_t ts, uint32_t caplen)
{
	struct pcapng_epb_info epb = {
		.if_id = if_id, .ts_ns = ts, .caplen = caplen, .origlen = caplen + 4,
		.flags = caplen % 2 ? PCAPNG_EPB_FLAG_INBOUND : 0,
		.has_queue = caplen % 3 == 0, .queue = 1,
		.has_verdict = caplen % 5 == 0, .verdict_type = PCAPNG_VERDICT_XDP, .verdict = 2,
	};

	added(b, pcapng_put_epb(b->buf + b->len, BUF_MAX - b->len, &epb, frame),
	      PCAPNG_BT_EPB, ts);
}

static void add_isb(struct built *b, uint32_t if_id, uint64_t ts)
{
	struct pcapng_isb_info isb = {
		.if_id = if_id, .ts_ns = ts, .starttime_ns = TS0, .endtime_ns = ts,
		.ifrecv = 10, .ifdrop = 0, .filteraccept = PCAPNG_ISB_UNSET,
		.osdrop = 1, .usrdeliv = 9, .comment = NULL,
	};

	added(b, pcapng_put_isb(b->buf + b->len, BUF_MAX - b->len, &isb), PCAPNG_BT_ISB, 0);
}

/* SHB, nif IDBs, nframes EPBs spread over the interfaces, optionally ISBs. */
static void add_section(struct built *b, uint32_t nif, uint32_t nframes, int isbs)
{
	add_shb(b);
	for (uint32_t i = 0; i < nif; i++)
		add_idb(b, i ? "eth1" : "eth0");
	for (uint32_t i = 0; i < nframes; i++)
		add_epb(b, i % nif, TS0 + i * 1000, 54 + i * 13);
	for (uint32_t i = 0; isbs && i < nif; i++)
		add_isb(b, i, TS0 + nframes * 1000);
}

static struct built *new_built(void)
{
	struct built *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	return b;
}

/* What recover_scan must say about the first len bytes of b. */
static int expected(const struct built *b, size_t len, struct recover_result *want)
{
	memset(want, 0, sizeof(*want));
	for (size_t i = 0; i < b->n && b->end[i] <= len; i++) {
		want->valid_len = b->end[i];
		want->blocks++;
		if (b->type[i] == PCAPNG_BT_SHB)
			want->ifaces = 0;
		if (b->type[i] == PCAPNG_BT_IDB)
			want->ifaces++;
		if (b->type[i] == PCAPNG_BT_EPB) {
			want->frames++;
			want->last_ts_raw = b->ts[i];
		}
	}
	want->cut_bytes = len - want->valid_len;
	return want->blocks ? 0 : -1;
}

/* Scans an exact-size heap copy, so ASan sees any read past the end. */
static int scan_copy(const uint8_t *data, size_t len, struct recover_result *res,
		     char *err, size_t errlen)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	if (len)
		memcpy(copy, data, len);
	rc = recover_scan(copy, len, res, err, errlen);
	free(copy);
	return rc;
}

static void assert_result(const struct recover_result *got, const struct recover_result *want)
{
	assert_int_equal(got->valid_len, want->valid_len);
	assert_int_equal(got->cut_bytes, want->cut_bytes);
	assert_int_equal(got->blocks, want->blocks);
	assert_int_equal(got->frames, want->frames);
	assert_int_equal(got->ifaces, want->ifaces);
	assert_int_equal(got->last_ts_raw, want->last_ts_raw);
}

/* Checks recover_scan on every prefix of b, from 0 bytes to all of it. */
static void check_every_cut(const struct built *b)
{
	struct recover_result got, want;
	char err[256];

	for (size_t len = 0; len <= b->len; len++) {
		int want_rc = expected(b, len, &want);

		err[0] = '\0';
		assert_int_equal(scan_copy(b->buf, len, &got, err, sizeof(err)), want_rc);
		assert_result(&got, &want);
		if (want_rc) {
			assert_true(strlen(err) > 0);
			assert_null(strchr(err, '\n'));
		}
	}
}

/* ---- recover_scan -------------------------------------------------------- */

static void test_intact(void **state)
{
	struct built *b = new_built();
	struct recover_result res;
	char err[256];

	(void)state;
	add_section(b, 2, 7, 1);
	assert_int_equal(scan_copy(b->buf, b->len, &res, err, sizeof(err)), 0);
	assert_int_equal(res.valid_len, b->len);
	assert_int_equal(res.cut_bytes, 0);
	assert_int_equal(res.blocks, 1 + 2 + 7 + 2);
	assert_int_equal(res.frames, 7);
	assert_int_equal(res.ifaces, 2);
	assert_int_equal(res.last_ts_raw, TS0 + 6 * 1000);
	free(b);
}

static void test_every_cut_one_iface(void **state)
{
	struct built *b = new_built();

	(void)state;
	add_section(b, 1, 6, 1);
	check_every_cut(b);
	free(b);
}

static void test_every_cut_two_ifaces(void **state)
{
	struct built *b = new_built();

	(void)state;
	add_section(b, 2, 9, 1);
	check_every_cut(b);
	free(b);
}

static void test_no_shb(void **state)
{
	struct built *b = new_built();
	struct recover_result res;
	char err[256];

	(void)state;
	add_section(b, 1, 2, 0);
	/* The same blocks without the SHB in front. */
	assert_int_equal(scan_copy(b->buf + b->end[0], b->len - b->end[0], &res, err,
				   sizeof(err)), -1);
	assert_int_equal(res.valid_len, 0);
	assert_int_equal(res.cut_bytes, b->len - b->end[0]);
	assert_non_null(strstr(err, "section header"));
	assert_int_equal(recover_scan(NULL, 0, &res, err, sizeof(err)), -1);
	assert_int_equal(res.cut_bytes, 0);
	free(b);
}

static void check_garbage(const uint8_t *junk, size_t n)
{
	struct built *b = new_built();
	struct recover_result res;
	char err[256];
	size_t whole;

	add_section(b, 2, 4, 0);
	whole = b->len;
	memcpy(b->buf + b->len, junk, n);
	assert_int_equal(scan_copy(b->buf, whole + n, &res, err, sizeof(err)), 0);
	assert_int_equal(res.valid_len, whole);
	assert_int_equal(res.cut_bytes, n);
	assert_int_equal(res.frames, 4);
	free(b);
}

static void test_garbage_after_blocks(void **state)
{
	uint8_t junk[64];

	(void)state;
	memset(junk, 0xAB, sizeof(junk));
	check_garbage(junk, sizeof(junk));
	check_garbage(junk, 3);
	memset(junk, 0, sizeof(junk));  /* looks like a block of type 0, length 0 */
	check_garbage(junk, sizeof(junk));
}

/* An EPB naming an interface its section does not have is where we cut. */
static void test_epb_unknown_iface(void **state)
{
	struct built *b = new_built();
	struct recover_result res;
	char err[256];
	size_t whole;

	(void)state;
	add_section(b, 1, 3, 0);
	whole = b->len;
	add_epb(b, 1, TS0 + 99, 60);
	add_epb(b, 0, TS0 + 100, 60);
	assert_int_equal(scan_copy(b->buf, b->len, &res, err, sizeof(err)), 0);
	assert_int_equal(res.valid_len, whole);
	assert_int_equal(res.frames, 3);
	free(b);
}

static void test_two_sections(void **state)
{
	struct built *b = new_built();
	struct recover_result res;
	char err[256];

	(void)state;
	add_section(b, 2, 5, 1);
	add_section(b, 1, 3, 0);
	assert_int_equal(scan_copy(b->buf, b->len, &res, err, sizeof(err)), 0);
	assert_int_equal(res.valid_len, b->len);
	assert_int_equal(res.frames, 8);
	assert_int_equal(res.ifaces, 1);
	assert_int_equal(res.last_ts_raw, TS0 + 2 * 1000);
	check_every_cut(b);
	free(b);
}

/* ---- recover_file -------------------------------------------------------- */

static void path_in_tmp(char *path, size_t len, const char *name)
{
	snprintf(path, len, "%s/%s", tmpdir, name);
}

static void write_file(const char *path, const uint8_t *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Whole file into a heap buffer of exactly its size. */
static uint8_t *read_file(const char *path, size_t *len)
{
	struct stat sb;
	uint8_t *data;
	FILE *f;

	assert_int_equal(stat(path, &sb), 0);
	*len = (size_t)sb.st_size;
	data = malloc(*len ? *len : 1);
	assert_non_null(data);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(data, 1, *len, f), *len);
	fclose(f);
	return data;
}

/* Checks one appended ISB: interface, timestamp, comment and nothing else. */
static void check_isb(const struct pcapng_reader *r, const struct pcapng_block *blk,
		      uint32_t if_id, uint64_t ts)
{
	struct pcapng_option_iter it;
	struct pcapng_option opt;

	assert_int_equal(blk->type, PCAPNG_BT_ISB);
	assert_int_equal(pcapng_u32(r->swapped, blk->body), if_id);
	assert_int_equal((uint64_t)pcapng_u32(r->swapped, blk->body + 4) << 32 |
			 pcapng_u32(r->swapped, blk->body + 8), ts);
	assert_int_equal(pcapng_block_options(r, blk, &it), 0);
	assert_int_equal(pcapng_option_next(&it, &opt), 1);
	assert_int_equal(opt.code, 1);  /* opt_comment */
	assert_int_equal(opt.len, strlen(COMMENT));
	assert_memory_equal(opt.value, COMMENT, strlen(COMMENT));
	assert_int_equal(pcapng_option_next(&it, &opt), 0);
}

/* The recovered file: the whole blocks of b, byte for byte, then nif ISBs. */
static void check_recovered(const char *path, const struct built *b, size_t valid,
			    uint32_t nif, uint64_t ts)
{
	struct pcapng_reader r;
	struct pcapng_block blk;
	size_t len, isbs = 0;
	uint8_t *data = read_file(path, &len);
	int rc;

	assert_true(len >= valid);
	assert_memory_equal(data, b->buf, valid);
	pcapng_reader_init(&r, data, len);
	while ((rc = pcapng_next_block(&r, &blk)) == 1) {
		if (blk.offset < valid)
			continue;
		check_isb(&r, &blk, (uint32_t)isbs, ts);
		isbs++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(isbs, nif);
	free(data);
}

static int have_tshark(void)
{
	return system("command -v tshark >/dev/null 2>&1") == 0;
}

/* Frame numbers tshark lists, as one string "1 2 3 ". */
static void tshark_frames(const char *path, char *out, size_t outlen)
{
	char cmd[512], line[64];
	size_t used = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "tshark -r '%s' -T fields -e frame.number 2>/dev/null", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	out[0] = '\0';
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		used += (size_t)snprintf(out + used, outlen - used, "%s ", line);
		assert_true(used < outlen);
	}
	assert_int_equal(pclose(p), 0);
}

static void test_file_torn_epb(void **state)
{
	struct built *b = new_built();
	struct recover_result res;
	char path[256], err[256], frames[256];
	size_t whole, torn;

	(void)state;
	add_section(b, 2, 5, 0);
	whole = b->len;
	add_epb(b, 1, TS0 + 5 * 1000, 200);
	torn = whole + (b->len - whole) / 2;    /* half of the sixth frame */
	path_in_tmp(path, sizeof(path), "torn.pcapng.part");
	write_file(path, b->buf, torn);

	assert_int_equal(recover_file(path, COMMENT, &res, err, sizeof(err)), 0);
	assert_int_equal(res.valid_len, whole);
	assert_int_equal(res.cut_bytes, torn - whole);
	assert_int_equal(res.frames, 5);
	assert_int_equal(res.ifaces, 2);
	assert_int_equal(res.last_ts_raw, TS0 + 4 * 1000);
	check_recovered(path, b, whole, 2, TS0 + 4 * 1000);

	if (!have_tshark()) {
		print_message("    tshark not installed: Wireshark check skipped\n");
	} else {
		tshark_frames(path, frames, sizeof(frames));
		assert_string_equal(frames, "1 2 3 4 5 ");
	}
	free(b);
}

/* A clean file loses nothing and gains the ISBs. */
static void test_file_intact(void **state)
{
	struct built *b = new_built();
	struct recover_result res;
	char path[256], err[256];

	(void)state;
	add_section(b, 1, 3, 0);
	path_in_tmp(path, sizeof(path), "intact.pcapng.part");
	write_file(path, b->buf, b->len);
	assert_int_equal(recover_file(path, COMMENT, &res, err, sizeof(err)), 0);
	assert_int_equal(res.cut_bytes, 0);
	check_recovered(path, b, b->len, 1, TS0 + 2 * 1000);
	free(b);
}

static void assert_file_is(const char *path, const uint8_t *data, size_t len)
{
	size_t got;
	uint8_t *now = read_file(path, &got);

	assert_int_equal(got, len);
	assert_memory_equal(now, data, len);
	free(now);
}

static void assert_one_line_naming(const char *err, const char *path)
{
	print_message("    error: %s\n", err);
	assert_non_null(strstr(err, path));
	assert_null(strchr(err, '\n'));
}

static void test_file_symlink_refused(void **state)
{
	struct built *b = new_built();
	struct recover_result res;
	char target[256], link[256], err[256];

	(void)state;
	add_section(b, 1, 3, 0);
	path_in_tmp(target, sizeof(target), "target.pcapng.part");
	path_in_tmp(link, sizeof(link), "link.pcapng.part");
	write_file(target, b->buf, b->len - 10);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(recover_file(link, COMMENT, &res, err, sizeof(err)), -ELOOP);
	assert_one_line_naming(err, link);
	assert_file_is(target, b->buf, b->len - 10);
	free(b);
}

static void test_file_no_shb_untouched(void **state)
{
	struct built *b = new_built();
	struct recover_result res;
	char path[256], err[256];
	const uint8_t *body;
	size_t n;

	(void)state;
	add_section(b, 1, 3, 0);
	body = b->buf + b->end[0];      /* everything but the SHB */
	n = b->len - b->end[0] - 7;     /* and torn, so a cut would show */
	path_in_tmp(path, sizeof(path), "noshb.pcapng.part");
	write_file(path, body, n);
	assert_true(recover_file(path, COMMENT, &res, err, sizeof(err)) < 0);
	assert_one_line_naming(err, path);
	assert_file_is(path, body, n);

	path_in_tmp(path, sizeof(path), "empty.pcapng.part");
	write_file(path, body, 0);
	assert_true(recover_file(path, COMMENT, &res, err, sizeof(err)) < 0);
	assert_one_line_naming(err, path);
	assert_file_is(path, body, 0);
	free(b);
}

static void test_file_missing(void **state)
{
	struct recover_result res;
	char path[256], err[256];

	(void)state;
	path_in_tmp(path, sizeof(path), "missing.pcapng.part");
	assert_int_equal(recover_file(path, COMMENT, &res, err, sizeof(err)), -ENOENT);
	assert_one_line_naming(err, path);
}

/* ---- a foreign-endian last section --------------------------------------- */

static uint8_t *put_sw32(uint8_t *p, uint32_t v)
{
	v = __builtin_bswap32(v);
	memcpy(p, &v, 4);
	return p + 4;
}

static uint8_t *put_sw16(uint8_t *p, uint16_t v)
{
	v = __builtin_bswap16(v);
	memcpy(p, &v, 2);
	return p + 2;
}

/* A minimal section in the other byte order: SHB, one IDB, nframes EPBs. */
static void add_foreign_section(struct built *b, uint32_t nframes)
{
	uint8_t *p = b->buf + b->len;

	p = put_sw32(p, PCAPNG_BT_SHB);
	p = put_sw32(p, 28);
	p = put_sw32(p, PCAPNG_BYTE_ORDER_MAGIC);
	p = put_sw16(put_sw16(p, 1), 0);
	p = put_sw32(put_sw32(p, 0xFFFFFFFF), 0xFFFFFFFF);
	put_sw32(p, 28);
	added(b, 28, PCAPNG_BT_SHB, 0);
	p = b->buf + b->len;
	p = put_sw32(put_sw32(p, PCAPNG_BT_IDB), 20);
	p = put_sw16(put_sw16(p, PCAPNG_LINKTYPE_ETHERNET), 0);
	put_sw32(put_sw32(p, 65535), 20);
	added(b, 20, PCAPNG_BT_IDB, 0);
	for (uint32_t i = 0; i < nframes; i++) {
		p = b->buf + b->len;
		p = put_sw32(put_sw32(p, PCAPNG_BT_EPB), 32 + 64);
		p = put_sw32(put_sw32(put_sw32(p, 0), 0), 1000 + i);
		p = put_sw32(put_sw32(p, 64), 64);
		memcpy(p, frame, 64);
		put_sw32(p + 64, 32 + 64);
		added(b, 32 + 64, PCAPNG_BT_EPB, 1000 + i);
	}
}

/* Cut, but no ISBs: they would be in the wrong byte order for that section. */
static void test_file_foreign_last_section(void **state)
{
	struct built *b = new_built();
	struct recover_result res;
	char path[256], err[256];
	size_t whole;

	(void)state;
	add_section(b, 2, 3, 1);
	add_foreign_section(b, 3);
	whole = b->len;
	check_every_cut(b);
	path_in_tmp(path, sizeof(path), "foreign.pcapng.part");
	write_file(path, b->buf, whole + 40);   /* the next EPB, torn */
	assert_int_equal(recover_file(path, COMMENT, &res, err, sizeof(err)), 0);
	assert_int_equal(res.valid_len, whole);
	assert_int_equal(res.frames, 6);
	assert_int_equal(res.ifaces, 1);
	assert_int_equal(res.last_ts_raw, 1002);
	assert_file_is(path, b->buf, whole);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intact),
		cmocka_unit_test(test_every_cut_one_iface),
		cmocka_unit_test(test_every_cut_two_ifaces),
		cmocka_unit_test(test_no_shb),
		cmocka_unit_test(test_garbage_after_blocks),
		cmocka_unit_test(test_epb_unknown_iface),
		cmocka_unit_test(test_two_sections),
		cmocka_unit_test(test_file_torn_epb),
		cmocka_unit_test(test_file_intact),
		cmocka_unit_test(test_file_symlink_refused),
		cmocka_unit_test(test_file_no_shb_untouched),
		cmocka_unit_test(test_file_missing),
		cmocka_unit_test(test_file_foreign_last_section),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
