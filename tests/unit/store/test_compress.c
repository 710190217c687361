// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of capture file compression: gzip and zstd round trips through
 * zlib and libzstd (files larger than one chunk, exactly one chunk, empty),
 * the replace-and-remove protocol (source gone, mode 0640, no temporary left),
 * failures that must leave everything as it was, and, when tshark is
 * installed and supports the format, a check that Wireshark reads the output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>
#include <zstd.h>

#include "store/compress.h"
#include "pcapng.h"

#define CHUNK_SIZE (1u << 20)   /* compress.c's step: test around it */

static char tmpdir[] = "/tmp/test_compress.XXXXXX";

static int setup(void **state)
{
	(void)state;
	umask(022);             /* the 0640 create mode must come through as is */
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

/* ---- helpers ------------------------------------------------------------- */

struct blob {
	uint8_t *data;
	size_t len;
};

static void path_in_tmp(char *path, size_t len, const char *name)
{
	snprintf(path, len, "%s/%s", tmpdir, name);
}

static void write_file(const char *path, const struct blob *b)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(b->data, 1, b->len, f), b->len);
	assert_int_equal(fclose(f), 0);
}

static struct blob read_file(const char *path)
{
	struct blob b;
	struct stat sb;
	FILE *f;

	assert_int_equal(stat(path, &sb), 0);
	b.len = (size_t)sb.st_size;
	b.data = malloc(b.len ? b.len : 1);
	assert_non_null(b.data);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(b.data, 1, b.len, f), b.len);
	fclose(f);
	return b;
}

static int exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

/*
 * A capture of nframes Ethernet frames of 1514 bytes: 2000 of them make
 * about 3 MiB, several compression chunks with a short one at the end.
 */
static struct blob make_capture(uint32_t nframes)
{
	struct pcapng_shb_info shb = { .os = "Linux", .userappl = "vpncap test" };
	struct pcapng_idb_info idb = { .linktype = PCAPNG_LINKTYPE_ETHERNET,
				       .snaplen = 65535, .name = "eth0" };
	struct pcapng_epb_info epb = { .caplen = 1514, .origlen = 1514 };
	size_t cap = 4096 + (size_t)nframes * 1600, len = 0;
	uint8_t frame[1514];
	struct blob b;

	b.data = malloc(cap);
	assert_non_null(b.data);
	len += pcapng_put_shb(b.data + len, cap - len, &shb);
	len += pcapng_put_idb(b.data + len, cap - len, &idb);
	for (uint32_t i = 0; i < nframes; i++) {
		for (size_t k = 0; k < sizeof(frame); k++)
			frame[k] = (uint8_t)(k * 31 + i * (k % 7) + (i >> 3));
		epb.ts_ns = 1700000000000000000ull + i * 1000ull;
		len += pcapng_put_epb(b.data + len, cap - len, &epb, frame);
	}
	b.len = len;
	return b;
}

/* Arbitrary bytes of an exact length, for the chunk boundary cases. */
static struct blob make_bytes(size_t len)
{
	struct blob b = { malloc(len ? len : 1), len };

	assert_non_null(b.data);
	for (size_t i = 0; i < len; i++)
		b.data[i] = (uint8_t)((i * 2654435761u) >> 13);
	return b;
}

static struct blob gunzip(const struct blob *in, size_t expect)
{
	struct blob out = { malloc(expect + 1), 0 };
	z_stream zs;

	assert_non_null(out.data);
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = in->data;
	zs.avail_in = (uInt)in->len;
	zs.next_out = out.data;
	zs.avail_out = (uInt)expect + 1;        /* one spare byte: catches too much */
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.avail_in, 0);
	out.len = zs.total_out;
	inflateEnd(&zs);
	return out;
}

static struct blob unzstd(const struct blob *in, size_t expect)
{
	struct blob out = { malloc(expect + 1), 0 };
	ZSTD_DStream *ds = ZSTD_createDStream();
	ZSTD_inBuffer ib = { in->data, in->len, 0 };
	ZSTD_outBuffer ob = { out.data, expect + 1, 0 };
	size_t rc;

	assert_non_null(out.data);
	assert_non_null(ds);
	do {
		rc = ZSTD_decompressStream(ds, &ob, &ib);
		assert_false(ZSTD_isError(rc));
	} while (rc != 0 && ib.pos < ib.size);
	assert_int_equal(rc, 0);                /* the frame is complete */
	assert_int_equal(ib.pos, ib.size);
	ZSTD_freeDStream(ds);
	out.len = ob.pos;
	return out;
}

static void assert_same(const struct blob *a, const struct blob *b)
{
	assert_int_equal(a->len, b->len);
	if (a->len)
		assert_memory_equal(a->data, b->data, a->len);
}

/* tshark reads .zst only from Wireshark 4.2 on; its version text says so. */
static int tshark_reads(enum compress_kind kind)
{
	if (system("command -v tshark >/dev/null 2>&1"))
		return 0;
	if (kind == COMPRESS_ZSTD)
		return system("tshark --version 2>/dev/null | grep -qi 'zstd\\|zstandard'") == 0;
	return 1;
}

static void check_tshark(const char *path, enum compress_kind kind, uint32_t nframes)
{
	char cmd[512];
	unsigned long n = 0;
	FILE *p;

	if (!tshark_reads(kind)) {
		print_message("    tshark missing or without %s support: check skipped\n",
			      compress_suffix(kind));
		return;
	}
	snprintf(cmd, sizeof(cmd), "tshark -r '%s' -T fields -e frame.number 2>/dev/null | wc -l",
		 path);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%lu", &n), 1);
	assert_int_equal(pclose(p), 0);
	assert_int_equal(n, nframes);
}

/*
 * Compresses orig from a file named name, then checks the protocol: output
 * named src + suffix, mode 0640, no source, no temporary, same bytes back.
 */
static void round_trip(const char *name, const struct blob *orig, enum compress_kind kind,
		       uint32_t nframes)
{
	char src[256], want[300], out[300], tmp[320], err[256];
	struct blob packed, back;
	struct stat sb;

	path_in_tmp(src, sizeof(src), name);
	write_file(src, orig);
	assert_int_equal(compress_file(src, kind, out, sizeof(out), err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s%s", src, compress_suffix(kind));
	snprintf(tmp, sizeof(tmp), "%s.tmp", want);
	assert_string_equal(out, want);
	assert_false(exists(src));
	assert_false(exists(tmp));
	assert_int_equal(lstat(out, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0640);

	packed = read_file(out);
	back = kind == COMPRESS_GZIP ? gunzip(&packed, orig->len) : unzstd(&packed, orig->len);
	assert_same(&back, orig);
	if (nframes)
		check_tshark(out, kind, nframes);
	free(packed.data);
	free(back.data);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_parse_and_suffix(void **state)
{
	enum compress_kind k = COMPRESS_NONE;

	(void)state;
	assert_int_equal(compress_parse("gzip", &k), 0);
	assert_int_equal(k, COMPRESS_GZIP);
	assert_int_equal(compress_parse("zstd", &k), 0);
	assert_int_equal(k, COMPRESS_ZSTD);
	assert_int_equal(compress_parse("lz4", &k), -1);
	assert_int_equal(compress_parse("", &k), -1);
	assert_int_equal(compress_parse("GZIP", &k), -1);
	assert_int_equal(compress_parse("gzip ", &k), -1);
	assert_int_equal(compress_parse("none", &k), -1);
	assert_int_equal(k, COMPRESS_ZSTD);     /* untouched by failures */
	assert_string_equal(compress_suffix(COMPRESS_GZIP), ".gz");
	assert_string_equal(compress_suffix(COMPRESS_ZSTD), ".zst");
	assert_string_equal(compress_suffix(COMPRESS_NONE), "");
}

static void test_gzip_capture(void **state)
{
	struct blob cap = make_capture(2000);

	(void)state;
	assert_true(cap.len > 2 * CHUNK_SIZE);
	round_trip("gz.pcapng", &cap, COMPRESS_GZIP, 2000);
	free(cap.data);
}

static void test_zstd_capture(void **state)
{
	struct blob cap = make_capture(2000);

	(void)state;
	round_trip("zst.pcapng", &cap, COMPRESS_ZSTD, 2000);
	free(cap.data);
}

static void test_small_capture(void **state)
{
	struct blob cap = make_capture(3);

	(void)state;
	round_trip("small_gz.pcapng", &cap, COMPRESS_GZIP, 3);
	round_trip("small_zst.pcapng", &cap, COMPRESS_ZSTD, 3);
	free(cap.data);
}

/* A source of exactly one chunk ends with an empty read: still one stream. */
static void test_chunk_boundaries(void **state)
{
	size_t sizes[] = { 0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE };

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct blob b = make_bytes(sizes[i]);
		char name[64];

		snprintf(name, sizeof(name), "bytes_%zu", sizes[i]);
		round_trip(name, &b, COMPRESS_GZIP, 0);
		round_trip(name, &b, COMPRESS_ZSTD, 0);
		free(b.data);
	}
}

/* A .tmp left by a crash is replaced; the output lands as usual. */
static void test_stale_tmp_replaced(void **state)
{
	struct blob cap = make_capture(5), junk = make_bytes(100);
	char tmp[300];

	(void)state;
	path_in_tmp(tmp, sizeof(tmp), "stale.pcapng.gz.tmp");
	write_file(tmp, &junk);
	round_trip("stale.pcapng", &cap, COMPRESS_GZIP, 5);
	free(cap.data);
	free(junk.data);
}

static void assert_one_line_naming(const char *err, const char *path)
{
	print_message("    error: %s\n", err);
	assert_non_null(strstr(err, path));
	assert_null(strchr(err, '\n'));
}

static void test_missing_source(void **state)
{
	char src[256], tmp[300], out[300], err[256];

	(void)state;
	path_in_tmp(src, sizeof(src), "missing.pcapng");
	assert_int_equal(compress_file(src, COMPRESS_GZIP, out, sizeof(out), err, sizeof(err)),
			 -ENOENT);
	assert_one_line_naming(err, src);
	snprintf(tmp, sizeof(tmp), "%s.gz.tmp", src);
	assert_false(exists(tmp));

	path_in_tmp(src, sizeof(src), "no/such/dir/x.pcapng");
	assert_int_equal(compress_file(src, COMPRESS_ZSTD, out, sizeof(out), err, sizeof(err)),
			 -ENOENT);
	assert_one_line_naming(err, src);
}

static void test_source_is_directory(void **state)
{
	char src[256], tmp[300], out[300], err[256];

	(void)state;
	path_in_tmp(src, sizeof(src), "adir.pcapng");
	assert_int_equal(mkdir(src, 0750), 0);
	assert_int_equal(compress_file(src, COMPRESS_ZSTD, out, sizeof(out), err, sizeof(err)),
			 -EISDIR);
	assert_one_line_naming(err, src);
	snprintf(tmp, sizeof(tmp), "%s.zst.tmp", src);
	assert_false(exists(tmp));
	snprintf(tmp, sizeof(tmp), "%s.zst", src);
	assert_false(exists(tmp));
	assert_int_equal(rmdir(src), 0);
}

static void test_source_symlink_refused(void **state)
{
	struct blob cap = make_capture(2), back;
	char target[256], link[256], out[300], err[256];

	(void)state;
	path_in_tmp(target, sizeof(target), "real.pcapng");
	path_in_tmp(link, sizeof(link), "link.pcapng");
	write_file(target, &cap);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(compress_file(link, COMPRESS_GZIP, out, sizeof(out), err, sizeof(err)),
			 -ELOOP);
	assert_one_line_naming(err, link);
	back = read_file(target);
	assert_same(&back, &cap);
	assert_true(exists(link));
	free(back.data);
	free(cap.data);
}

/* A symlink where the .tmp goes is never followed nor removed. */
static void test_tmp_symlink_refused(void **state)
{
	struct blob cap = make_capture(2), victim = make_bytes(10), back;
	char src[256], tmp[300], victim_path[256], out[300], err[256];

	(void)state;
	path_in_tmp(src, sizeof(src), "trap.pcapng");
	path_in_tmp(victim_path, sizeof(victim_path), "victim");
	snprintf(tmp, sizeof(tmp), "%s.zst.tmp", src);
	write_file(src, &cap);
	write_file(victim_path, &victim);
	assert_int_equal(symlink(victim_path, tmp), 0);
	assert_int_equal(compress_file(src, COMPRESS_ZSTD, out, sizeof(out), err, sizeof(err)),
			 -EEXIST);
	assert_one_line_naming(err, tmp);
	back = read_file(victim_path);
	assert_same(&back, &victim);
	free(back.data);
	back = read_file(src);
	assert_same(&back, &cap);
	free(back.data);
	free(cap.data);
	free(victim.data);
}

static void test_bad_kind_and_short_out(void **state)
{
	struct blob cap = make_capture(1), back;
	char src[256], out[8], err[256];

	(void)state;
	path_in_tmp(src, sizeof(src), "kind.pcapng");
	write_file(src, &cap);
	assert_int_equal(compress_file(src, COMPRESS_NONE, out, sizeof(out), err, sizeof(err)),
			 -EINVAL);
	assert_one_line_naming(err, src);
	/* out_path too small for the result: refused before any work. */
	assert_int_equal(compress_file(src, COMPRESS_GZIP, out, sizeof(out), err, sizeof(err)),
			 -ENAMETOOLONG);
	back = read_file(src);
	assert_same(&back, &cap);
	free(back.data);
	free(cap.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_suffix),
		cmocka_unit_test(test_gzip_capture),
		cmocka_unit_test(test_zstd_capture),
		cmocka_unit_test(test_small_capture),
		cmocka_unit_test(test_chunk_boundaries),
		cmocka_unit_test(test_stale_tmp_replaced),
		cmocka_unit_test(test_missing_source),
		cmocka_unit_test(test_source_is_directory),
		cmocka_unit_test(test_source_symlink_refused),
		cmocka_unit_test(test_tmp_symlink_refused),
		cmocka_unit_test(test_bad_kind_and_short_out),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
