// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the configuration file (config.c): config_load turns
 * "key = value" lines into "--key" "value" arguments and names the first
 * problem as "PATH:LINE: problem" on one line; config_expand_argv puts the
 * file's options before the command line's, dropping the file's interfaces,
 * queues and copy mode when the command line gives its own; config_write
 * writes a file that loads back to the same options; config_diff shows what
 * a second --persistent changes, key by key.
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

#include "capture/options.h"
#include "capture/config.h"
#include "vpncap/abi.h"

#define ERRLEN 512
#define MAX_ARGS 256

static char tmpdir[] = "/tmp/test_config.XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- helpers ------------------------------------------------------------- */

static char path_buf[4][256];

/* tmpdir/name, in one of a few rotating buffers. */
static const char *tmp_path(const char *name)
{
	static int next;
	char *p = path_buf[next++ % 4];

	snprintf(p, sizeof(path_buf[0]), "%s/%s", tmpdir, name);
	return p;
}

static const char *write_text(const char *name, const char *text, size_t len)
{
	const char *path = tmp_path(name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static const char *write_file(const char *name, const char *text)
{
	return write_text(name, text, strlen(text));
}

/* Loads text that must be accepted. */
static void load_ok(const char *text, struct config_args *a)
{
	const char *path = write_file("ok.conf", text);
	char err[ERRLEN] = "";
	int rc = config_load(path, a, err, sizeof(err));

	if (rc)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(rc, 0);
	assert_non_null(a->argv);
	assert_true(a->argc >= 1);
	assert_string_equal(a->argv[0], "capture");
	assert_null(a->argv[a->argc]);
}

/* Loads text that must be refused with exactly "PATH:" + expected. */
static void check_load_err(const char *text, size_t len, const char *expected,
			   const char *file, int line)
{
	const char *path = write_text("bad.conf", text, len);
	struct config_args a = { 7, (char **)&a };
	char err[ERRLEN], want[ERRLEN];
	int rc;

	memset(err, 0, sizeof(err));
	rc = config_load(path, &a, err, sizeof(err));
	snprintf(want, sizeof(want), "%s:%s", path, expected);
	if (rc != -1 || strcmp(err, want)) {
		print_error("%s:%d: rc %d, message\n  '%s', expected\n  '%s'\n", file, line, rc,
			    err, want);
		_fail(file, line);
	}
	if (a.argc != 0 || a.argv != NULL) {
		print_error("%s:%d: out not emptied on failure\n", file, line);
		_fail(file, line);
	}
}

#define EXPECT_LOAD_ERR(text, expected)                                        \
	check_load_err((text), strlen(text), (expected), __FILE__, __LINE__)

/* Same, when only the start of the message is fixed here (rules' reasons). */
static void check_load_err_prefix(const char *text, const char *prefix, const char *file,
				  int line)
{
	const char *path = write_file("bad.conf", text);
	struct config_args a;
	char err[ERRLEN] = "", want[ERRLEN];
	int rc = config_load(path, &a, err, sizeof(err));

	snprintf(want, sizeof(want), "%s:%s", path, prefix);
	if (rc != -1 || strncmp(err, want, strlen(want)) || strchr(err, '\n')) {
		print_error("%s:%d: rc %d, message '%s' does not start with '%s'\n", file,
			    line, rc, err, want);
		_fail(file, line);
	}
}

#define EXPECT_LOAD_ERR_PREFIX(text, prefix)                                   \
	check_load_err_prefix((text), (prefix), __FILE__, __LINE__)

static void assert_argv(const struct config_args *a, const char *const *want)
{
	int i;

	for (i = 0; want[i]; i++) {
		if (i >= a->argc) {
			print_error("argv has %d strings, expected more ('%s')\n", a->argc,
				    want[i]);
			fail();
		}
		assert_string_equal(a->argv[i], want[i]);
	}
	assert_int_equal(a->argc, i);
	assert_null(a->argv[i]);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* capture_opts_parse of a->argv followed by extra (NULL-terminated). */
static int parse_with(const struct config_args *a, const char *const *extra,
		      struct capture_opts *o, char *err, size_t errlen)
{
	static char *argv[MAX_ARGS + 1];
	int argc = 0, i;

	for (i = 0; i < a->argc; i++)
		argv[argc++] = a->argv[i];
	for (; extra && *extra; extra++)
		argv[argc++] = (char *)*extra;
	argv[argc] = NULL;
	return capture_opts_parse(argc, argv, o, err, errlen);
}

static void parse_ok(const struct config_args *a, const char *const *extra,
		     struct capture_opts *o)
{
	char err[ERRLEN] = "";
	int rc = parse_with(a, extra, o, err, sizeof(err));

	if (rc)
		print_error("unexpected parse error: %s\n", err);
	assert_int_equal(rc, 0);
}

/* CLI argv for config_expand_argv: "capture" + args. */
static char *cli_store[MAX_ARGS + 2];

static int cli_argv(const char *const *args)
{
	int argc = 0;

	cli_store[argc++] = "capture";
	for (; *args; args++)
		cli_store[argc++] = (char *)*args;
	cli_store[argc] = NULL;
	return argc;
}

static void expand_ok(const char *const *args, struct config_args *out, const char **cfg)
{
	char err[ERRLEN] = "";
	int argc = cli_argv(args);
	int rc = config_expand_argv(argc, cli_store, out, cfg, err, sizeof(err));

	if (rc)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(rc, 0);
	assert_string_equal(out->argv[0], "capture");
	assert_null(out->argv[out->argc]);
}

static void assert_str_or_null_equal(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

/* Every option but the interfaces (the unit passes -i). */
static void assert_same_options(const struct capture_opts *a, const struct capture_opts *b)
{
	unsigned int i;

	assert_str_or_null_equal(a->output, b->output);
	assert_int_equal(a->snaplen, b->snaplen);
	assert_int_equal(a->duration_ms, b->duration_ms);
	assert_int_equal(a->count, b->count);
	assert_int_equal(a->mode, b->mode);
	assert_int_equal(a->unmatched, b->unmatched);
	assert_int_equal(a->xdp_mode, b->xdp_mode);
	assert_int_equal(a->copy, b->copy);
	assert_int_equal(a->n_queues, b->n_queues);
	for (i = 0; i < a->n_queues; i++)
		assert_int_equal(a->queues[i], b->queues[i]);
	assert_int_equal(a->rotate_size, b->rotate_size);
	assert_int_equal(a->rotate_time_ms, b->rotate_time_ms);
	assert_int_equal(a->max_files, b->max_files);
	assert_int_equal(a->max_bytes, b->max_bytes);
	assert_int_equal(a->min_free, b->min_free);
	assert_int_equal(a->sync_interval_ms, b->sync_interval_ms);
	assert_str_or_null_equal(a->on_rotate, b->on_rotate);
	assert_int_equal(a->compress, b->compress);
	assert_int_equal(a->queue_size, b->queue_size);
	assert_str_or_null_equal(a->rules, b->rules);
	assert_int_equal(a->verbose, b->verbose);
	assert_int_equal(a->n_cpus, b->n_cpus);
	for (i = 0; i < a->n_cpus; i++)
		assert_int_equal(a->cpus[i], b->cpus[i]);
	assert_int_equal(a->busy_poll, b->busy_poll);
	assert_int_equal(a->umem_frames, b->umem_frames);
	assert_int_equal(a->rx_ring, b->rx_ring);
	assert_int_equal(a->fill_ring, b->fill_ring);
	assert_int_equal(a->timestamps, b->timestamps);
}

/* ---- config_load: accepted files ----------------------------------------- */

static void test_every_key(void **state)
{
	static const char text[] =
		"# vpncap configuration\n"
		"; another comment style\n"
		"\n"
		"interface = eth1\n"
		"interface=eth2\n"
		"   write   =   /var/lib/vpncap/eth1/   \n"
		"\tsnaplen\t=\t1500\n"
		"duration = 2.5\n"
		"count = 1000\n"
		"mode = bypass\n"
		"unmatched = drop\n"
		"xdp-mode = skb\n"
		"queue = 0\n"
		"queue = 3\n"
		"    # indented comment\n"
		"copy = yes\n"
		"zero-copy = no\n"
		"queue-size = 64M\n"
		"cpus = 0-3,6\n"
		"busy-poll = yes\n"
		"umem-frames = 8192\n"
		"rx-ring = 2048\n"
		"fill-ring = 4096\n"
		"timestamps = software\n"
		"rotate-size = 256M\n"
		"rotate-time = 1h\n"
		"max-files = 100\n"
		"max-bytes = 20G\n"
		"min-free = 1G\n"
		"sync-interval = 500ms\n"
		"on-rotate = /usr/local/bin/ship --to 's3://b/x y' ; echo \"done\" # kept\n"
		"compress = zstd\n"
		"rules = udp:500,udp:4500,tcp:443,esp\n"
		"verbose = on\n"
		"\n";
	struct config_args a;
	struct capture_opts o;

	(void)state;
	load_ok(text, &a);
	assert_argv(&a, ARGS("capture", "--interface", "eth1", "--interface", "eth2",
			     "--write", "/var/lib/vpncap/eth1/", "--snaplen", "1500",
			     "--duration", "2.5", "--count", "1000", "--mode", "bypass",
			     "--unmatched", "drop", "--xdp-mode", "skb", "--queue", "0",
			     "--queue", "3", "--copy", "--queue-size", "64M", "--cpus", "0-3,6",
			     "--busy-poll", "--umem-frames", "8192", "--rx-ring", "2048",
			     "--fill-ring", "4096", "--timestamps", "software", "--rotate-size",
			     "256M", "--rotate-time", "1h", "--max-files", "100",
			     "--max-bytes", "20G", "--min-free", "1G", "--sync-interval",
			     "500ms", "--on-rotate",
			     "/usr/local/bin/ship --to 's3://b/x y' ; echo \"done\" # kept",
			     "--compress", "zstd", "--rules", "udp:500,udp:4500,tcp:443,esp",
			     "--verbose"));

	parse_ok(&a, NULL, &o);
	assert_int_equal(o.n_ifaces, 2);
	assert_string_equal(o.ifaces[0], "eth1");
	assert_string_equal(o.ifaces[1], "eth2");
	assert_string_equal(o.output, "/var/lib/vpncap/eth1/");
	assert_int_equal(o.snaplen, 1500);
	assert_int_equal(o.duration_ms, 2500);
	assert_int_equal(o.count, 1000);
	assert_int_equal(o.mode, CAPTURE_MODE_BYPASS);
	assert_int_equal(o.unmatched, VPNCAP_UNMATCHED_DROP);
	assert_int_equal(o.xdp_mode, XDP_MODE_CHOICE_SKB);
	assert_int_equal(o.n_queues, 2);
	assert_int_equal(o.copy, COPY_CHOICE_COPY);
	assert_int_equal(o.queue_size, 64ull << 20);
	assert_int_equal(o.n_cpus, 5);
	assert_int_equal(o.cpus[4], 6);
	assert_int_equal(o.busy_poll, 1);
	assert_int_equal(o.umem_frames, 8192);
	assert_int_equal(o.rx_ring, 2048);
	assert_int_equal(o.fill_ring, 4096);
	assert_int_equal(o.timestamps, TS_CHOICE_SOFTWARE);
	assert_int_equal(o.rotate_size, 256ull << 20);
	assert_int_equal(o.rotate_time_ms, 3600000);
	assert_int_equal(o.max_files, 100);
	assert_int_equal(o.max_bytes, 20ull << 30);
	assert_int_equal(o.min_free, 1ull << 30);
	assert_int_equal(o.sync_interval_ms, 500);
	assert_int_equal(o.compress, COMPRESS_ZSTD);
	assert_string_equal(o.rules, "udp:500,udp:4500,tcp:443,esp");
	assert_int_equal(o.verbose, 1);
	config_args_free(&a);
	assert_int_equal(a.argc, 0);
	assert_null(a.argv);
	config_args_free(&a); /* twice is harmless */
}

static void test_flag_words(void **state)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	struct config_args a;
	char text[128];
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		snprintf(text, sizeof(text), "zero-copy = %s\nverbose = %s\n", yes[i], no[i]);
		load_ok(text, &a);
		assert_argv(&a, ARGS("capture", "--zero-copy"));
		config_args_free(&a);
		snprintf(text, sizeof(text), "copy = %s\nverbose = %s\n", no[i], yes[i]);
		load_ok(text, &a);
		assert_argv(&a, ARGS("capture", "--verbose"));
		config_args_free(&a);
	}
	load_ok("busy-poll = no\n", &a);
	assert_argv(&a, ARGS("capture"));
	config_args_free(&a);
	load_ok("busy-poll = on\n", &a);
	assert_argv(&a, ARGS("capture", "--busy-poll"));
	config_args_free(&a);
	/* copy = no, then zero-copy = yes: no conflict */
	load_ok("copy = no\nzero-copy = yes\n", &a);
	assert_argv(&a, ARGS("capture", "--zero-copy"));
	config_args_free(&a);
}

static void test_empty_and_comment_only(void **state)
{
	struct config_args a;

	(void)state;
	load_ok("", &a);
	assert_argv(&a, ARGS("capture"));
	config_args_free(&a);
	load_ok("# nothing\n;\n\n   \n\t\n", &a);
	assert_argv(&a, ARGS("capture"));
	config_args_free(&a);
}

/*
 * The habits of general INI parsers are not the format's: indented lines are
 * not continuations, " ;" does not start a comment inside a value, lines are
 * not cut at a small buffer size; CRLF, a BOM and a missing final newline are
 * fine.
 */
static void test_line_handling(void **state)
{
	char text[6000], cmd[3000];
	struct config_args a;
	size_t i;

	(void)state;
	load_ok("snaplen = 1500\n    count = 5\n\trules = udp:500\n", &a);
	assert_argv(&a, ARGS("capture", "--snaplen", "1500", "--count", "5", "--rules",
			     "udp:500"));
	config_args_free(&a);

	load_ok("on-rotate = a ; b ;c\nwrite = /x;y # z\n", &a);
	assert_argv(&a, ARGS("capture", "--on-rotate", "a ; b ;c", "--write", "/x;y # z"));
	config_args_free(&a);

	load_ok("\xEF\xBB\xBFsnaplen = 100\r\ncount = 7\r\n\r\nmode = bypass", &a);
	assert_argv(&a, ARGS("capture", "--snaplen", "100", "--count", "7", "--mode",
			     "bypass"));
	config_args_free(&a);

	/* A value far longer than the 200-byte line buffer of inih's default build */
	for (i = 0; i < sizeof(cmd) - 1; i++)
		cmd[i] = "abcdefgh ;=:#[]"[i % 15];
	cmd[sizeof(cmd) - 1] = '\0';
	cmd[sizeof(cmd) - 2] = 'z';
	snprintf(text, sizeof(text), "on-rotate = %s\ncount = 3\n", cmd);
	load_ok(text, &a);
	assert_argv(&a, ARGS("capture", "--on-rotate", cmd, "--count", "3"));
	config_args_free(&a);

	/* Values that look like options stay values */
	load_ok("write = --config\non-rotate = -h\n", &a);
	assert_argv(&a, ARGS("capture", "--write", "--config", "--on-rotate", "-h"));
	{
		struct capture_opts o;

		parse_ok(&a, ARGS("-i", "eth0"), &o);
		assert_string_equal(o.output, "--config");
		assert_string_equal(o.on_rotate, "-h");
		assert_int_equal(o.help, 0);
		assert_null(o.config);
	}
	config_args_free(&a);
}

/* ---- config_load: refused files ------------------------------------------ */

static void test_bad_values(void **state)
{
	(void)state;
	EXPECT_LOAD_ERR("# c\n\n\n\n\n\nrotate-size = 12Q\n",
			"7: rotate-size: '12Q' is not a size from 64k to 1T (k, M, G, T suffixes)");
	EXPECT_LOAD_ERR("snaplen = 12\n", "1: snaplen: '12' is not a number from 64 to 262144 (or 0: the whole frame)");
	EXPECT_LOAD_ERR("snaplen = 1500 ; bytes\n",
			"1: snaplen: '1500 ; bytes' is not a number from 64 to 262144 (or 0: the whole frame)");
	EXPECT_LOAD_ERR("duration = soon\n",
			"1: duration: 'soon' is not a positive number of seconds");
	EXPECT_LOAD_ERR("count = 0\n", "1: count: '0' is not a positive number");
	EXPECT_LOAD_ERR("mode = fast\n", "1: mode: 'fast' is not one of auto, bypass, inline");
	EXPECT_LOAD_ERR("unmatched = reject\n",
			"1: unmatched: 'reject' is not one of pass, drop");
	EXPECT_LOAD_ERR("xdp-mode = hw\n", "1: xdp-mode: 'hw' is not one of auto, native, skb");
	EXPECT_LOAD_ERR("queue = 1\nqueue = 999\n",
			"2: queue: '999' is not a queue number (0..255)");
	EXPECT_LOAD_ERR("copy = maybe\n", "1: copy: 'maybe' is not yes or no");
	EXPECT_LOAD_ERR("zero-copy =\n", "1: zero-copy: '' is not yes or no");
	EXPECT_LOAD_ERR("verbose = y\n", "1: verbose: 'y' is not yes or no");
	EXPECT_LOAD_ERR("queue-size = 1k\n",
			"1: queue-size: '1k' is not a size from 1M to 16G (k, M, G, T suffixes)");
	EXPECT_LOAD_ERR("rotate-time = 1M\n",
			"1: rotate-time: '1M' is not a duration from 1s to 7d (ms, s, m, h, d)");
	EXPECT_LOAD_ERR("max-files = 0\n", "1: max-files: '0' is not a number from 1 to 1000000");
	EXPECT_LOAD_ERR("max-bytes = 1k\n",
			"1: max-bytes: '1k' is not a size from 64k to 1024T (k, M, G, T suffixes)");
	EXPECT_LOAD_ERR("min-free = -1\n",
			"1: min-free: '-1' is not a size from 1 to 1024T (k, M, G, T suffixes)");
	EXPECT_LOAD_ERR("sync-interval = 5ms\n",
			"1: sync-interval: '5ms' is not a duration from 10ms to 1h (ms, s, m, h, d)");
	EXPECT_LOAD_ERR("compress = xz\n", "1: compress: 'xz' is not one of gzip, zstd");
	EXPECT_LOAD_ERR("interface = a/b\n", "1: interface: 'a/b' is not a valid interface name");
	EXPECT_LOAD_ERR("interface = abcdefghijklmnopq\n",
			"1: interface: 'abcdefghijklmnopq' is not a valid interface name");
	EXPECT_LOAD_ERR("cpus = 3-1\n", "1: cpus: '3-1' has a reversed range 3-1");
	EXPECT_LOAD_ERR("cpus = 1,,2\n", "1: cpus: '1,,2' has an empty item");
	EXPECT_LOAD_ERR("cpus = 0-3 6\n",
			"1: cpus: '0-3 6' is not a CPU list like 0-3,6 (CPUs 0..1023)");
	EXPECT_LOAD_ERR("cpus = 1024\n",
			"1: cpus: '1024' is not a CPU list like 0-3,6 (CPUs 0..1023)");
	EXPECT_LOAD_ERR("cpus = 0-64\n", "1: cpus: '0-64' lists more than 64 CPUs");
	EXPECT_LOAD_ERR("busy-poll = sometimes\n", "1: busy-poll: 'sometimes' is not yes or no");
	EXPECT_LOAD_ERR("umem-frames = 10\n",
			"1: umem-frames: '10' is not a number from 64 to 1048576");
	EXPECT_LOAD_ERR("rx-ring = 1000\n",
			"1: rx-ring: '1000' is not a power of two from 64 to 65536");
	EXPECT_LOAD_ERR("fill-ring = 131072\n",
			"1: fill-ring: '131072' is not a power of two from 64 to 65536");
	EXPECT_LOAD_ERR("timestamps = ptp\n",
			"1: timestamps: 'ptp' is not one of auto, hardware, software");
	EXPECT_LOAD_ERR("umem-frames = 4095\nrx-ring = 2048\n# x\nfill-ring = 2048\nsnaplen = 64\n",
			"4: umem-frames: 4095 is fewer than the fill ring (2048) and the rx ring (2048) hold; give at least 4096 or leave it out");
	EXPECT_LOAD_ERR_PREFIX("rules = udp:500,bogus\n", "1: rules: ");
	EXPECT_LOAD_ERR_PREFIX("rules = udp:0\n", "1: rules: ");
}

static void test_empty_values(void **state)
{
	static const char *const keys[] = {
		"interface", "write", "snaplen", "duration", "count", "mode", "unmatched",
		"xdp-mode", "queue", "queue-size", "rotate-size", "rotate-time",
		"max-files", "max-bytes", "min-free", "sync-interval", "on-rotate",
		"compress", "rules", "cpus", "umem-frames", "rx-ring", "fill-ring",
		"timestamps",
	};
	char text[64], want[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(text, sizeof(text), "# x\n%s =   \n", keys[i]);
		snprintf(want, sizeof(want), "2: %s: empty value", keys[i]);
		EXPECT_LOAD_ERR(text, want);
		snprintf(text, sizeof(text), "%s=", keys[i]);
		snprintf(want, sizeof(want), "1: %s: empty value", keys[i]);
		EXPECT_LOAD_ERR(text, want);
	}
}

static void test_unknown_keys(void **state)
{
	(void)state;
	EXPECT_LOAD_ERR("snaplen = 100\n\nrotate_size = 1M\n", "3: unknown key 'rotate_size'");
	EXPECT_LOAD_ERR("Snaplen = 100\n", "1: unknown key 'Snaplen'");
	EXPECT_LOAD_ERR("snap = 100\n", "1: unknown key 'snap'"); /* no abbreviations */
	EXPECT_LOAD_ERR("i = eth0\n", "1: unknown key 'i'");
	EXPECT_LOAD_ERR("--snaplen = 100\n", "1: unknown key '--snaplen'");
	/* command-line only */
	EXPECT_LOAD_ERR("config = /etc/x\n", "1: unknown key 'config'");
	EXPECT_LOAD_ERR("persistent = yes\n", "1: unknown key 'persistent'");
	EXPECT_LOAD_ERR("help = yes\n", "1: unknown key 'help'");
	/* control characters come back as '?', the message stays one line */
	EXPECT_LOAD_ERR("snap\rlen = 1\n", "1: unknown key 'snap?len'");
	EXPECT_LOAD_ERR("snap\x1b[31mlen = 1\n", "1: unknown key 'snap?[31mlen'");
}

static void test_malformed_lines(void **state)
{
	char text[400];

	(void)state;
	EXPECT_LOAD_ERR("snaplen = 100\n# ok\n\n\nsnaplen 100\n",
			"5: malformed line (expected key = value)");
	EXPECT_LOAD_ERR("snaplen: 100\n", "1: malformed line (expected key = value)");
	EXPECT_LOAD_ERR("write: /a=b\n", "1: malformed line (expected key = value)");
	EXPECT_LOAD_ERR("= 100\n", "1: malformed line (expected key = value)");
	EXPECT_LOAD_ERR("   just some words\n", "1: malformed line (expected key = value)");
	EXPECT_LOAD_ERR("snaplen ;x = 100\n", "1: malformed line (expected key = value)");
	EXPECT_LOAD_ERR("count = 1\nmode\n", "2: malformed line (expected key = value)");
	check_load_err("count = 1\nmo\0de = x\n", 20, "2: malformed line (holds a NUL byte)",
		       __FILE__, __LINE__);
	/* A long line without '=' */
	memset(text, 'x', 300);
	strcpy(text + 300, "\n");
	EXPECT_LOAD_ERR(text, "1: malformed line (expected key = value)");
	/* A long key */
	memset(text, 'k', 300);
	strcpy(text + 300, " = 1\n");
	EXPECT_LOAD_ERR(text, "1: unknown key 'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...'");
}

static void test_too_long_line(void **state)
{
	size_t n = 9000;
	char *text = malloc(n + 32);

	(void)state;
	assert_non_null(text);
	strcpy(text, "count = 1\non-rotate = ");
	memset(text + strlen(text), 'a', n);
	text[n + 22 - 1] = '\0';
	EXPECT_LOAD_ERR(text, "2: line longer than 8192 bytes");
	free(text);
}

static void test_sections(void **state)
{
	(void)state;
	EXPECT_LOAD_ERR("snaplen = 100\n[capture]\ncount = 1\n",
			"2: sections are not used in vpncap configuration files");
	/* an empty section at the end, which an INI parser would not report */
	EXPECT_LOAD_ERR("snaplen = 100\n\n  [eth1]\n",
			"3: sections are not used in vpncap configuration files");
	EXPECT_LOAD_ERR("[broken\n", "1: sections are not used in vpncap configuration files");
	EXPECT_LOAD_ERR("[]", "1: sections are not used in vpncap configuration files");
}

static void test_duplicates(void **state)
{
	(void)state;
	EXPECT_LOAD_ERR("# a\n# b\n# c\nsnaplen = 100\n\n\n\n\nsnaplen = 200\n",
			"9: 'snaplen' given twice (first on line 4)");
	/* the same value twice is still twice */
	EXPECT_LOAD_ERR("write = /a\nwrite = /a\n", "2: 'write' given twice (first on line 1)");
	/* a flag set to no counts */
	EXPECT_LOAD_ERR("copy = no\ncopy = yes\n", "2: 'copy' given twice (first on line 1)");
	EXPECT_LOAD_ERR("copy = yes\nzero-copy = yes\n",
			"2: 'zero-copy' and 'copy' exclude each other (copy on line 1)");
	EXPECT_LOAD_ERR("zero-copy = yes\n\ncopy = on\n",
			"3: 'copy' and 'zero-copy' exclude each other (zero-copy on line 1)");
	/* repeatable, but the parser's own limits still apply */
	EXPECT_LOAD_ERR("interface = eth0\ninterface = eth1\ninterface = eth0\n",
			"3: interface: interface 'eth0' given twice");
	{
		char text[2048];
		size_t off = 0;
		int i;

		for (i = 0; i <= CAPTURE_MAX_IFACES; i++)
			off += (size_t)snprintf(text + off, sizeof(text) - off,
						"interface = e%d\n", i);
		EXPECT_LOAD_ERR(text, "17: interface: at most 16 interfaces");
	}
	{
		struct config_args a;

		load_ok("queue = 1\nqueue = 1\nqueue = 2\n", &a);
		assert_argv(&a, ARGS("capture", "--queue", "1", "--queue", "1", "--queue", "2"));
		config_args_free(&a);
	}
}

/* The first problem in the file is the one named, whoever finds it. */
static void test_first_problem_wins(void **state)
{
	(void)state;
	EXPECT_LOAD_ERR("count = 1\nbad line\nsnaplen = 1\n",
			"2: malformed line (expected key = value)");
	EXPECT_LOAD_ERR("snaplen = 1\nbad line\n",
			"1: snaplen: '1' is not a number from 64 to 262144 (or 0: the whole frame)");
	EXPECT_LOAD_ERR("bad line\n[section]\n", "1: malformed line (expected key = value)");
	EXPECT_LOAD_ERR("foo = 1\nbad line\n", "1: unknown key 'foo'");
}

static void test_unreadable(void **state)
{
	struct config_args a = { 3, (char **)&a };
	char err[ERRLEN], want[ERRLEN];
	const char *path = tmp_path("does-not-exist.conf");

	(void)state;
	assert_int_equal(config_load(path, &a, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: cannot read: No such file or directory", path);
	assert_string_equal(err, want);
	assert_int_equal(a.argc, 0);
	assert_null(a.argv);

	assert_int_equal(config_load(tmpdir, &a, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: cannot read: Is a directory", tmpdir);
	assert_string_equal(err, want);

	/* A path with a newline is shown on one line */
	assert_int_equal(config_load("/nonexistent/a\nb.conf", &a, err, sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/a?b.conf: cannot read: No such file or directory");

	/* A small error buffer is not overrun */
	{
		char small[12];

		memset(small, 'X', sizeof(small));
		assert_int_equal(config_load(path, &a, small, 8), -1);
		assert_int_equal(strlen(small), 7);
		assert_int_equal(small[8], 'X');
	}
}

/* ---- config_expand_argv ------------------------------------------------- */

static const char expand_file[] =
	"interface = eth1\n"
	"interface = eth2\n"
	"write = /var/lib/vpncap/eth1/\n"
	"snaplen = 100\n"
	"queue = 1\n"
	"queue = 2\n"
	"copy = yes\n"
	"verbose = yes\n"
	"rules = udp:500\n";

static void test_expand_overrides(void **state)
{
	const char *path = write_file("expand.conf", expand_file), *cfg = NULL;
	struct config_args a;
	struct capture_opts o;

	(void)state;
	/* The file alone */
	expand_ok(ARGS("--config", path), &a, &cfg);
	assert_string_equal(cfg, path);
	assert_argv(&a, ARGS("capture", "--interface", "eth1", "--interface", "eth2", "--write",
			     "/var/lib/vpncap/eth1/", "--snaplen", "100", "--queue", "1",
			     "--queue", "2", "--copy", "--verbose", "--rules", "udp:500"));
	parse_ok(&a, NULL, &o);
	assert_int_equal(o.n_ifaces, 2);
	assert_null(o.config);
	config_args_free(&a);

	/* -w and -s override write and snaplen (last wins) */
	expand_ok(ARGS("-w", "/tmp/out.pcapng", "--config", path, "-s", "200"), &a, &cfg);
	parse_ok(&a, NULL, &o);
	assert_string_equal(o.output, "/tmp/out.pcapng");
	assert_int_equal(o.snaplen, 200);
	assert_int_equal(o.n_ifaces, 2);
	assert_int_equal(o.n_queues, 2);
	assert_int_equal(o.copy, COPY_CHOICE_COPY);
	assert_string_equal(o.rules, "udp:500");
	config_args_free(&a);

	/* -i drops every interface of the file (as the unit's "-i %I" does) */
	expand_ok(ARGS("--config", path, "-i", "eth9"), &a, &cfg);
	assert_argv(&a, ARGS("capture", "--write", "/var/lib/vpncap/eth1/", "--snaplen", "100",
			     "--queue", "1", "--queue", "2", "--copy", "--verbose", "--rules",
			     "udp:500", "-i", "eth9"));
	parse_ok(&a, NULL, &o);
	assert_int_equal(o.n_ifaces, 1);
	assert_string_equal(o.ifaces[0], "eth9");
	config_args_free(&a);

	/* other spellings of -i: --interface=, -iNAME, a cluster, PktMon's --comp */
	{
		static const char *const spellings[][3] = {
			{ "--interface=eth9", NULL, NULL }, { "--interface", "eth9", NULL },
			{ "-ieth9", NULL, NULL }, { "-vi", "eth9", NULL },
			{ "--comp", "eth9", NULL }, { "--comp=eth9", NULL, NULL },
		};
		size_t i;

		for (i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
			expand_ok(ARGS("--config", path, spellings[i][0], spellings[i][1]), &a,
				  &cfg);
			parse_ok(&a, NULL, &o);
			assert_int_equal(o.n_ifaces, 1);
			assert_string_equal(o.ifaces[0], "eth9");
			config_args_free(&a);
		}
	}

	/* an abbreviation is no spelling of -i: the parser refuses it, naming --interface */
	{
		char err[ERRLEN] = "";

		expand_ok(ARGS("--config", path, "--inter", "eth9"), &a, &cfg);
		assert_int_equal(parse_with(&a, NULL, &o, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "'--inter'"));
		assert_non_null(strstr(err, "--interface"));
		config_args_free(&a);
	}

	/* --zero-copy drops the file's copy = yes (no conflict) */
	expand_ok(ARGS("--config", path, "--zero-copy"), &a, &cfg);
	parse_ok(&a, NULL, &o);
	assert_int_equal(o.copy, COPY_CHOICE_ZEROCOPY);
	config_args_free(&a);

	/* -q drops the file's queues */
	expand_ok(ARGS("-q", "7", "--config", path), &a, &cfg);
	parse_ok(&a, NULL, &o);
	assert_int_equal(o.n_queues, 1);
	assert_int_equal(o.queues[0], 7);
	config_args_free(&a);
	expand_ok(ARGS("--queue=7", "--config", path), &a, &cfg);
	parse_ok(&a, NULL, &o);
	assert_int_equal(o.n_queues, 1);
	config_args_free(&a);

}

static void test_expand_config_forms(void **state)
{
	const char *path = write_file("expand.conf", expand_file), *cfg = NULL;
	char eqform[300], err[ERRLEN];
	struct config_args a;
	struct capture_opts o;
	int argc;

	(void)state;
	snprintf(eqform, sizeof(eqform), "--config=%s", path);
	expand_ok(ARGS("-i", "eth5", eqform, "-w", "/tmp/y"), &a, &cfg);
	assert_string_equal(cfg, path);
	assert_argv(&a, ARGS("capture", "--write", "/var/lib/vpncap/eth1/", "--snaplen", "100",
			     "--queue", "1", "--queue", "2", "--copy", "--verbose", "--rules",
			     "udp:500", "-i", "eth5", "-w", "/tmp/y"));
	config_args_free(&a);

	/* --conf is no spelling of --config: no file is read, and the parser refuses it */
	expand_ok(ARGS("--conf", path, "-i", "eth5"), &a, &cfg);
	assert_null(cfg);
	assert_int_equal(parse_with(&a, NULL, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'--conf'"));
	assert_non_null(strstr(err, "--config"));
	config_args_free(&a);

	/* --config without its value */
	argc = cli_argv(ARGS("-i", "eth0", "--config"));
	a.argc = 5;
	assert_int_equal(config_expand_argv(argc, cli_store, &a, &cfg, err, sizeof(err)), -1);
	assert_string_equal(err, "capture: option '--config' needs a value");
	assert_null(cfg);
	assert_int_equal(a.argc, 0);
	assert_null(a.argv);

	argc = cli_argv(ARGS("--config="));
	assert_int_equal(config_expand_argv(argc, cli_store, &a, &cfg, err, sizeof(err)), -1);
	assert_string_equal(err, "capture: --config: empty file name");

	argc = cli_argv(ARGS("--config", path, "--config", path));
	assert_int_equal(config_expand_argv(argc, cli_store, &a, &cfg, err, sizeof(err)), -1);
	assert_string_equal(err, "capture: --config given twice");

	/* A bad file: config_load's message */
	{
		const char *bad = write_file("expand-bad.conf", "snaplen = 100\nsnaplen = 1\n");
		char want[ERRLEN];

		argc = cli_argv(ARGS("-i", "eth0", "--config", bad));
		assert_int_equal(config_expand_argv(argc, cli_store, &a, &cfg, err, sizeof(err)),
				 -1);
		snprintf(want, sizeof(want), "%s:2: 'snaplen' given twice (first on line 1)", bad);
		assert_string_equal(err, want);
		assert_null(cfg);
	}
	{
		const char *missing = tmp_path("missing.conf");
		char want[ERRLEN];

		argc = cli_argv(ARGS("--config", missing));
		assert_int_equal(config_expand_argv(argc, cli_store, &a, &cfg, err, sizeof(err)),
				 -1);
		snprintf(want, sizeof(want), "%s: cannot read: No such file or directory",
			 missing);
		assert_string_equal(err, want);
	}
}

static void test_expand_without_config(void **state)
{
	const char *cfg = "unset";
	struct config_args a;
	int i;

	(void)state;
	expand_ok(ARGS("-i", "eth0", "-w", "/tmp/x", "--copy"), &a, &cfg);
	assert_null(cfg);
	assert_argv(&a, ARGS("capture", "-i", "eth0", "-w", "/tmp/x", "--copy"));
	for (i = 0; i < a.argc; i++)
		assert_ptr_not_equal(a.argv[i], cli_store[i]); /* a copy */
	config_args_free(&a);

	/* "-w --config": a file named --config, not the option */
	expand_ok(ARGS("-i", "eth0", "-w", "--config", "-c", "5"), &a, &cfg);
	assert_null(cfg);
	assert_argv(&a, ARGS("capture", "-i", "eth0", "-w", "--config", "-c", "5"));
	config_args_free(&a);
	expand_ok(ARGS("-i", "eth0", "--on-rotate", "--config", "-w", "x"), &a, &cfg);
	assert_null(cfg);
	config_args_free(&a);

	/* after the first non-option or "--", nothing is an option */
	expand_ok(ARGS("-i", "eth0", "--", "--config", "x"), &a, &cfg);
	assert_null(cfg);
	assert_argv(&a, ARGS("capture", "-i", "eth0", "--", "--config", "x"));
	config_args_free(&a);
	expand_ok(ARGS("stray", "--config", "x"), &a, &cfg);
	assert_null(cfg);
	config_args_free(&a);

	/* argv of "capture" alone */
	expand_ok(ARGS(NULL), &a, &cfg);
	assert_argv(&a, ARGS("capture"));
	config_args_free(&a);
}

/* ---- config_write ------------------------------------------------------- */

static void parse_cli(const char *const *args, struct capture_opts *o)
{
	char err[ERRLEN] = "";
	int argc = cli_argv(args);
	int rc = capture_opts_parse(argc, cli_store, o, err, sizeof(err));

	if (rc)
		print_error("unexpected parse error: %s\n", err);
	assert_int_equal(rc, 0);
}

static char *read_all(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Write o, load it back, parse it with -i eth1: the same options. */
static void round_trip(const struct capture_opts *o, const char *name)
{
	const char *path = tmp_path(name);
	struct capture_opts back;
	struct config_args a;
	char err[ERRLEN] = "";
	struct stat st;
	int rc;

	rc = config_write(path, o, err, sizeof(err));
	if (rc)
		print_error("config_write: %s\n", err);
	assert_int_equal(rc, 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
	{
		char tmp[300];

		snprintf(tmp, sizeof(tmp), "%s.tmp", path);
		assert_int_equal(access(tmp, F_OK), -1);
	}
	rc = config_load(path, &a, err, sizeof(err));
	if (rc)
		print_error("config_load: %s\n%s", err, read_all(path));
	assert_int_equal(rc, 0);
	parse_ok(&a, ARGS("-i", "eth1"), &back);
	assert_same_options(o, &back);
	assert_int_equal(back.n_ifaces, 1);
	config_args_free(&a);
}

static void test_write_round_trip(void **state)
{
	struct capture_opts o;
	char *text;

	(void)state;
	parse_cli(ARGS("-i", "eth1", "-w", "/var/lib/vpncap/eth1/", "-s", "1500", "--duration",
		       "2.05", "-c", "99", "--mode", "bypass", "--unmatched", "drop",
		       "--xdp-mode", "skb", "-q", "0", "-q", "3", "--copy", "--queue-size",
		       "64M", "--rotate-size", "256M", "--rotate-time", "1h", "--max-files",
		       "100", "--max-bytes", "20G", "--min-free", "1G", "--sync-interval",
		       "500ms", "--on-rotate",
		       "/usr/local/bin/ship --to 's3://bucket/x y' --tag \"a;b\" ; echo \"done $1\" # not a comment",
		       "--compress", "zstd", "--rules", "udp:500,udp:4500,tcp:443,esp", "-v",
		       "--cpus", "8,0-3,5,6", "--busy-poll", "--umem-frames", "10000",
		       "--rx-ring", "4096", "--fill-ring", "4096", "--timestamps", "hardware"),
		  &o);
	round_trip(&o, "rich.conf");
	text = read_all(tmp_path("rich.conf"));
	assert_non_null(strstr(text, "\ncpus = 8,0-3,5-6\n"));
	assert_non_null(strstr(text, "\nbusy-poll = yes\n"));
	assert_non_null(strstr(text, "\numem-frames = 10000\n"));
	assert_non_null(strstr(text, "\nrx-ring = 4096\n"));
	assert_non_null(strstr(text, "\nfill-ring = 4096\n"));
	assert_non_null(strstr(text, "\ntimestamps = hardware\n"));

	text = read_all(tmp_path("rich.conf"));
	assert_int_equal(text[0], '#');
	assert_non_null(strstr(text, "vpncap"));
	assert_non_null(strstr(text, "--persistent"));
	assert_null(strstr(text, "\ninterface"));
	assert_non_null(strstr(text, "\nrotate-size = 256M\n"));
	assert_non_null(strstr(text, "\nrotate-time = 1h\n"));
	assert_non_null(strstr(text, "\nmax-bytes = 20G\n"));
	assert_non_null(strstr(text, "\nsync-interval = 500ms\n"));
	assert_non_null(strstr(text, "\nduration = 2.050\n"));
	assert_non_null(strstr(text, "\ncopy = yes\n"));
	assert_non_null(strstr(text, "\nverbose = yes\n"));
	assert_null(strstr(text, "zero-copy"));
	assert_null(strstr(text, "persistent ="));
	assert_null(strstr(text, "config ="));

	/* Other values: odd sizes and durations, zero-copy, gzip, native */
	parse_cli(ARGS("-i", "eth1", "-w", "out dir/", "--zero-copy", "--rotate-size", "100001",
		       "--queue-size", "1G", "--rotate-time", "90s", "--sync-interval", "1500ms",
		       "--max-bytes", "65537", "--min-free", "1", "--duration", "7",
		       "--xdp-mode", "native", "--compress", "gzip", "--max-files", "1",
		       "--unmatched", "pass", "--persistent", "--rules", "esp"),
		  &o);
	round_trip(&o, "odd.conf");
	text = read_all(tmp_path("odd.conf"));
	assert_non_null(strstr(text, "\nrotate-size = 100001\n"));
	assert_non_null(strstr(text, "\nrotate-time = 90s\n"));
	assert_non_null(strstr(text, "\nsync-interval = 1500ms\n"));
	assert_non_null(strstr(text, "\nduration = 7\n"));
	assert_non_null(strstr(text, "\nzero-copy = yes\n"));
	assert_null(strstr(text, "unmatched"));

	/* Defaults: nothing but the header and the output */
	parse_cli(ARGS("-i", "eth1", "-w", "/x"), &o);
	round_trip(&o, "plain.conf");
	text = read_all(tmp_path("plain.conf"));
	{
		char *line = text, *nl;
		int options = 0;

		for (; *line; line = nl + 1) {
			nl = strchr(line, '\n');
			assert_non_null(nl);
			if (*line != '#') {
				options++;
				assert_true(!strncmp(line, "write = /x\n", 11));
			}
		}
		assert_int_equal(options, 1);
	}
	/* A carriage return or a tab inside a value is kept as it is */
	parse_cli(ARGS("-i", "eth1", "-w", "/x", "--on-rotate", "a\rb\tc"), &o);
	round_trip(&o, "cr.conf");

	/* Rewriting replaces the old file */
	parse_cli(ARGS("-i", "eth1", "-w", "/y", "-s", "64"), &o);
	round_trip(&o, "plain.conf");
	assert_non_null(strstr(read_all(tmp_path("plain.conf")), "\nsnaplen = 64\n"));
}

static void test_write_refuses(void **state)
{
	const char *path = tmp_path("refused.conf");
	struct capture_opts o;
	char err[ERRLEN];
	char tmp[300];

	(void)state;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	parse_cli(ARGS("-i", "eth1", "-w", "/x", "--on-rotate", "gzip\nrm -rf /"), &o);
	assert_int_equal(config_write(path, &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "on-rotate"));
	assert_null(strchr(err, '\n'));
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(access(tmp, F_OK), -1);

	parse_cli(ARGS("-i", "eth1", "-w", "/x", "--on-rotate", "cmd\r"), &o);
	assert_int_equal(config_write(path, &o, err, sizeof(err)), -EINVAL);
	parse_cli(ARGS("-i", "eth1", "-w", " /x"), &o);
	assert_int_equal(config_write(path, &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "write"));
	parse_cli(ARGS("-i", "eth1", "-w", "/x\n"), &o);
	assert_int_equal(config_write(path, &o, err, sizeof(err)), -EINVAL);
	assert_int_equal(access(path, F_OK), -1);
}

static void test_write_tmp_file(void **state)
{
	const char *path = tmp_path("tmpfile.conf");
	const char *target = tmp_path("victim");
	struct capture_opts o;
	char err[ERRLEN], tmp[300];

	(void)state;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	parse_cli(ARGS("-i", "eth1", "-w", "/x"), &o);

	/* A stale regular tmp file from an interrupted write is replaced */
	write_file("tmpfile.conf.tmp", "stale\n");
	assert_int_equal(config_write(path, &o, err, sizeof(err)), 0);
	assert_int_equal(access(tmp, F_OK), -1);

	/* A symlink in its place is never followed: it goes itself, the file is written */
	write_file("victim", "precious\n");
	assert_int_equal(symlink(target, tmp), 0);
	assert_int_equal(config_write(path, &o, err, sizeof(err)), 0);
	assert_string_equal(read_all(target), "precious\n");
	assert_int_equal(access(tmp, F_OK), -1);

	/* A directory that does not exist */
	assert_true(config_write("/nonexistent-dir/x.conf", &o, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "/nonexistent-dir/x.conf.tmp: cannot write: "));
}

/* ---- config_format, config_diff ----------------------------------------- */

/* Each interface's file names its own unit, not the first interface's. */
static void test_format_names_its_unit(void **state)
{
	struct capture_opts o;
	char err[ERRLEN] = "", *text;
	size_t len;

	(void)state;
	parse_cli(ARGS("-i", "eth1", "-i", "eth2", "--rotate-time", "1h", "--persistent"), &o);
	assert_int_equal(config_format("/x/eth2.conf", "eth2", &o, &text, &len, err, sizeof(err)),
			 0);
	assert_int_equal(strlen(text), len);
	assert_non_null(strstr(text, "vpncap@eth2.service"));
	assert_null(strstr(text, "eth1"));
	assert_non_null(strstr(text, "\nrotate-time = 1h\n"));
	free(text);
	/* A value no line can hold: nothing comes back but the reason. */
	parse_cli(ARGS("-i", "eth1", "-w", "/x\n"), &o);
	assert_int_equal(config_format("/x/eth1.conf", "eth1", &o, &text, &len, err, sizeof(err)),
			 -EINVAL);
	assert_null(text);
	assert_non_null(strstr(err, "write"));
}

/* config_diff of two texts: its return value, and what it printed into want. */
static void check_diff(const char *old, const char *new, int lines, const char *want,
		       const char *file, int line)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	int rc;

	assert_non_null(f);
	rc = config_diff(f, old, old ? strlen(old) : 0, new, strlen(new));
	assert_int_equal(fclose(f), 0);
	if (rc != lines || strcmp(out, want)) {
		print_error("%s:%d: %d lines\n%s--- expected %d lines\n%s", file, line, rc, out,
			    lines, want);
		_fail(file, line);
	}
	free(out);
}

#define EXPECT_DIFF(old, new, lines, want) check_diff(old, new, lines, want, __FILE__, __LINE__)

static void test_diff(void **state)
{
	(void)state;
	/* Comments, blank lines, spacing and order are not options */
	EXPECT_DIFF("# old header\nrotate-time = 1h\n\nmax-bytes=20G\n",
		    "# new header\nmax-bytes = 20G\nrotate-time   =   1h\n", 0, "");
	/* The case: a second --persistent that drops max-bytes */
	EXPECT_DIFF("rotate-time = 1h\nmax-bytes = 20G\n", "rotate-time = 1h\nmax-files = 50\n",
		    2, "+max-files = 50\n-max-bytes = 20G\n");
	/* A changed key: its old line right before its new one, in the new order */
	EXPECT_DIFF("rotate-time = 1h\nsnaplen = 64\n", "snaplen = 128\nrotate-time = 2h\n", 4,
		    "-snaplen = 64\n+snaplen = 128\n-rotate-time = 1h\n+rotate-time = 2h\n");
	/* Repeated keys: one line pairs with one line */
	EXPECT_DIFF("queue = 0\nqueue = 1\n", "queue = 1\nqueue = 2\n", 2,
		    "-queue = 0\n+queue = 2\n");
	EXPECT_DIFF("queue = 1\n", "queue = 1\nqueue = 1\n", 1, "+queue = 1\n");
	/* No old configuration: every option is new */
	EXPECT_DIFF(NULL, "# header\nwrite = /srv/cap/\ncopy = yes\n", 2,
		    "+write = /srv/cap/\n+copy = yes\n");
	EXPECT_DIFF(NULL, "# only defaults\n", 0, "");
	/* A hand-edited line that is not "key = value" is shown whole as it goes */
	EXPECT_DIFF("[eth1]\nsnaplen = 64\n", "snaplen = 64\n", 1, "-[eth1]\n");
	/* An empty value */
	EXPECT_DIFF("on-rotate =\n", "", 1, "-on-rotate =\n");
}

static void test_diff_refuses_unreadable_text(void **state)
{
	static const char nul[] = "snaplen = 64\n\0x = y\n";
	char *out = NULL, *long_line;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	assert_non_null(f);
	assert_int_equal(config_diff(f, nul, sizeof(nul) - 1, "snaplen = 64\n", 13), -EINVAL);
	long_line = malloc(20000);
	assert_non_null(long_line);
	memset(long_line, 'a', 19999);
	long_line[19999] = '\0';
	assert_int_equal(config_diff(f, "", 0, long_line, strlen(long_line)), -EINVAL);
	free(long_line);
	assert_int_equal(fclose(f), 0);
	free(out);
}

/* --persistent's refusal comes from the table: the options marked one-shot. */
static void test_one_shot_options(void **state)
{
	size_t n, i;
	const struct capture_option *t = capture_options(&n);
	struct capture_opts o;

	(void)state;
	for (i = 0; i < n; i++)
		if (t[i].flags & COPT_ONE_SHOT)
			assert_true(!strcmp(t[i].name, "duration") || !strcmp(t[i].name, "count") ||
				    !strcmp(t[i].name, "realtime"));
	parse_cli(ARGS("-i", "eth1", "-w", "/x", "--rotate-time", "1h", "--max-files", "5"), &o);
	assert_null(capture_opts_one_shot(&o));
	parse_cli(ARGS("-i", "eth1", "-w", "/x", "--duration", "5"), &o);
	assert_string_equal(capture_opts_one_shot(&o)->name, "duration");
	parse_cli(ARGS("-i", "eth1", "-w", "/x", "-c", "100"), &o);
	assert_string_equal(capture_opts_one_shot(&o)->name, "count");
	parse_cli(ARGS("-i", "eth1", "--realtime"), &o);
	assert_string_equal(capture_opts_one_shot(&o)->name, "realtime");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_flag_words),
		cmocka_unit_test(test_empty_and_comment_only),
		cmocka_unit_test(test_line_handling),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_empty_values),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_malformed_lines),
		cmocka_unit_test(test_too_long_line),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_first_problem_wins),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_expand_overrides),
		cmocka_unit_test(test_expand_config_forms),
		cmocka_unit_test(test_expand_without_config),
		cmocka_unit_test(test_write_round_trip),
		cmocka_unit_test(test_write_refuses),
		cmocka_unit_test(test_write_tmp_file),
		cmocka_unit_test(test_format_names_its_unit),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_diff_refuses_unreadable_text),
		cmocka_unit_test(test_one_shot_options),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
