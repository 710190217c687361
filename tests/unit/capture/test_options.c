// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the `vpncap capture` option parser (capture_opts_parse) and
 * of the rule-set helpers (rules_default, rules_add, rules_describe).
 *
 * Every rejected input must give -1 and one line (no '\n') that names the
 * offending token; the parser must be re-entrant across calls (getopt state)
 * and must never print anything itself.
 */
#define _GNU_SOURCE /* CPU_SETSIZE */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <netinet/in.h>

#include <cmocka.h>

#include "capture/options.h"
#include "capture/rules.h"
#include "vpncap/abi.h"


/* The usage text, built from the option table (main() fills it). */
static char capture_usage[16384];
#define MAX_ARGS 200
#define ERRLEN 256

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */
/* ---------------------------------------------------------------------- */

/*
 * Runs the parser on "capture" + args (NULL-terminated). The argument
 * strings are copied into writable storage that outlives the call, because
 * the parser keeps pointers into argv (ifaces, output).
 */
static char arg_store[MAX_ARGS][64];
static char *argv_store[MAX_ARGS + 2];

static int parse_list(struct capture_opts *o, char *err, size_t errlen,
		      const char *const *args)
{
	int argc = 0;

	argv_store[argc++] = "capture";
	for (; *args; args++) {
		assert_true(argc <= MAX_ARGS);
		assert_true(strlen(*args) < sizeof(arg_store[0]));
		strcpy(arg_store[argc], *args);
		argv_store[argc] = arg_store[argc];
		argc++;
	}
	argv_store[argc] = NULL;
	return capture_opts_parse(argc, argv_store, o, err, errlen);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Parse that must succeed. */
#define PARSE_OK(o, ...)                                                       \
	do {                                                                   \
		char err_[ERRLEN] = "";                                        \
		int rc_ = parse_list((o), err_, sizeof(err_), ARGS(__VA_ARGS__)); \
		if (rc_ != 0)                                                  \
			print_error("unexpected error: %s\n", err_);           \
		assert_int_equal(rc_, 0);                                      \
	} while (0)

static void check_error(const char *token, const char *const *args,
			const char *file, int line)
{
	struct capture_opts o;
	char err[ERRLEN];
	int rc;

	err[0] = '\0';
	rc = parse_list(&o, err, sizeof(err), args);
	if (rc != -1) {
		print_error("%s:%d: expected -1, got %d\n", file, line, rc);
		_fail(file, line);
	}
	if (!*err) {
		print_error("%s:%d: empty error message\n", file, line);
		_fail(file, line);
	}
	if (strchr(err, '\n')) {
		print_error("%s:%d: message has a newline: '%s'\n", file, line, err);
		_fail(file, line);
	}
	if (!strstr(err, token)) {
		print_error("%s:%d: message '%s' does not name '%s'\n", file, line,
			    err, token);
		_fail(file, line);
	}
}

/* Parse that must fail with a one-line message containing token. */
#define EXPECT_ERR(token, ...) check_error((token), ARGS(__VA_ARGS__), __FILE__, __LINE__)

/* Same, with the usual required options in front of the tested ones. */
#define EXPECT_ERR_IW(token, ...)                                              \
	EXPECT_ERR((token), "-i", "eth0", "-w", "out.pcapng", __VA_ARGS__)

#define PARSE_OK_IW(o, ...) PARSE_OK((o), "-i", "eth0", "-w", "out.pcapng", __VA_ARGS__)

/* ---------------------------------------------------------------------- */
/* capture_opts_parse: accepted input                                      */
/* ---------------------------------------------------------------------- */

static void test_defaults(void **state)
{
	struct capture_opts o;

	(void)state;
	memset(&o, 0xA5, sizeof(o));
	PARSE_OK(&o, "-i", "eth0", "-w", "out.pcapng");
	assert_int_equal(o.n_ifaces, 1);
	assert_string_equal(o.ifaces[0], "eth0");
	assert_string_equal(o.output, "out.pcapng");
	assert_int_equal(o.snaplen, 262144);
	assert_int_equal(o.snaplen, CAPTURE_DEFAULT_SNAPLEN);
	assert_int_equal(o.duration_ms, 0);
	assert_int_equal(o.count, 0);
	assert_int_equal(o.mode, CAPTURE_MODE_AUTO);
	assert_true(o.ring_size == CAPTURE_DEFAULT_RING_SIZE);
	assert_int_equal(o.unmatched, VPNCAP_UNMATCHED_PASS);
	assert_int_equal(o.xdp_mode, XDP_MODE_CHOICE_AUTO);
	assert_int_equal(o.copy, COPY_CHOICE_AUTO);
	assert_int_equal(o.n_queues, 0);
	assert_int_equal(o.verbose, 0);
	assert_int_equal(o.help, 0);
	assert_int_equal(o.n_cpus, 0);
	assert_int_equal(o.busy_poll, 0);
	assert_int_equal(o.umem_frames, 0);
	assert_int_equal(o.rx_ring, 0);
	assert_int_equal(o.fill_ring, 0);
	assert_int_equal(o.timestamps, TS_CHOICE_AUTO);
}

static void test_interface_forms(void **state)
{
	struct capture_opts o;

	(void)state;
	PARSE_OK(&o, "--interface", "eth0", "--write", "a.pcapng");
	assert_int_equal(o.n_ifaces, 1);
	assert_string_equal(o.ifaces[0], "eth0");
	assert_string_equal(o.output, "a.pcapng");

	PARSE_OK(&o, "--interface=ens3", "--write=b.pcapng");
	assert_int_equal(o.n_ifaces, 1);
	assert_string_equal(o.ifaces[0], "ens3");
	assert_string_equal(o.output, "b.pcapng");

	PARSE_OK(&o, "-ieth1", "-wc.pcapng");
	assert_int_equal(o.n_ifaces, 1);
	assert_string_equal(o.ifaces[0], "eth1");
	assert_string_equal(o.output, "c.pcapng");

	/* Repeatable, order kept, short and long mixed. */
	PARSE_OK(&o, "-i", "eth0", "--interface", "eth1", "-i", "veth-a.100",
		 "-w", "x");
	assert_int_equal(o.n_ifaces, 3);
	assert_string_equal(o.ifaces[0], "eth0");
	assert_string_equal(o.ifaces[1], "eth1");
	assert_string_equal(o.ifaces[2], "veth-a.100");

	/* 15 characters is the longest name the kernel takes. */
	PARSE_OK(&o, "-i", "abcdefghijklmno", "-w", "x");
	assert_string_equal(o.ifaces[0], "abcdefghijklmno");

	/* The last -w wins. */
	PARSE_OK(&o, "-w", "first", "-i", "eth0", "-w", "second");
	assert_string_equal(o.output, "second");
}

static void test_sixteen_interfaces(void **state)
{
	struct capture_opts o;
	char name[16];

	(void)state;
	PARSE_OK(&o, "-w", "x", "-i", "e0", "-i", "e1", "-i", "e2", "-i", "e3",
		 "-i", "e4", "-i", "e5", "-i", "e6", "-i", "e7", "-i", "e8",
		 "-i", "e9", "-i", "e10", "-i", "e11", "-i", "e12", "-i", "e13",
		 "-i", "e14", "-i", "e15");
	assert_int_equal(o.n_ifaces, CAPTURE_MAX_IFACES);
	for (unsigned int i = 0; i < o.n_ifaces; i++) {
		snprintf(name, sizeof(name), "e%u", i);
		assert_string_equal(o.ifaces[i], name);
	}
}

static void test_snaplen(void **state)
{
	struct capture_opts o;

	(void)state;
	PARSE_OK_IW(&o, "-s", "1500");
	assert_int_equal(o.snaplen, 1500);
	PARSE_OK_IW(&o, "--snaplen", "64");
	assert_int_equal(o.snaplen, 64);
	PARSE_OK_IW(&o, "--snaplen=262144");
	assert_int_equal(o.snaplen, 262144);
	PARSE_OK_IW(&o, "-s9000");
	assert_int_equal(o.snaplen, 9000);
}

static void test_duration(void **state)
{
	struct capture_opts o;

	(void)state;
	PARSE_OK_IW(&o, "--duration", "10");
	assert_int_equal(o.duration_ms, 10000);
	PARSE_OK_IW(&o, "--duration", "0.5");
	assert_int_equal(o.duration_ms, 500);
	PARSE_OK_IW(&o, "--duration=1.25");
	assert_int_equal(o.duration_ms, 1250);
	PARSE_OK_IW(&o, "--duration", "2.001");
	assert_int_equal(o.duration_ms, 2001);
	PARSE_OK_IW(&o, "--duration", "0.001");
	assert_int_equal(o.duration_ms, 1);
	PARSE_OK_IW(&o, "--duration", "3.10");
	assert_int_equal(o.duration_ms, 3100);
	/* Exactly a year is the longest. */
	PARSE_OK_IW(&o, "--duration", "31536000");
	assert_int_equal(o.duration_ms, 31536000000ull);
	PARSE_OK_IW(&o, "--duration", "31536000.000");
	assert_int_equal(o.duration_ms, 31536000000ull);
}

static void test_count(void **state)
{
	struct capture_opts o;

	(void)state;
	PARSE_OK_IW(&o, "-c", "5");
	assert_int_equal(o.count, 5);
	PARSE_OK_IW(&o, "--count", "1000000");
	assert_int_equal(o.count, 1000000);
	PARSE_OK_IW(&o, "-c1");
	assert_int_equal(o.count, 1);
	PARSE_OK_IW(&o, "--count=18446744073709551614");
	assert_true(o.count == UINT64_MAX - 1);
}

#define EXPECT_OPT_ERR(opt, value)                                             \
	do {                                                                   \
		EXPECT_ERR_IW(opt, opt, value);                                \
		EXPECT_ERR_IW("'" value "'", opt, value);                      \
	} while (0)

static void test_mode(void **state)
{
	struct capture_opts o;

	(void)state;
	PARSE_OK_IW(&o, "--mode", "bypass");
	assert_int_equal(o.mode, CAPTURE_MODE_BYPASS);
	PARSE_OK_IW(&o, "--mode=bypass");
	assert_int_equal(o.mode, CAPTURE_MODE_BYPASS);
	PARSE_OK_IW(&o, "--mode", "inline");
	assert_int_equal(o.mode, CAPTURE_MODE_INLINE);
	PARSE_OK_IW(&o, "--mode", "inline", "--mode", "auto");
	assert_int_equal(o.mode, CAPTURE_MODE_AUTO);
	/* Inline never takes frames from the host, so it cannot drop the unmatched ones. */
	EXPECT_ERR_IW("--unmatched drop needs --mode bypass", "--mode", "inline", "--unmatched",
		      "drop");
	PARSE_OK_IW(&o, "--mode", "bypass", "--unmatched", "drop");
	EXPECT_OPT_ERR("--mode", "copy");
	EXPECT_ERR_IW("'Inline'", "--mode", "Inline");
	/* --force-bypass lets bypass take a port the host uses: with bypass only. */
	PARSE_OK_IW(&o, "--mode", "bypass", "--force-bypass");
	assert_true(o.force_bypass);
	EXPECT_ERR_IW("--force-bypass goes with --mode bypass only", "--force-bypass");
	EXPECT_ERR_IW("--force-bypass goes with --mode bypass only", "--mode", "inline",
		      "--force-bypass");
}

static void test_ring_size(void **state)
{
	struct capture_opts o;

	(void)state;
	PARSE_OK_IW(&o, "--ring-size", "64k");
	assert_true(o.ring_size == 64 * 1024);
	PARSE_OK_IW(&o, "--ring-size=1G");
	assert_true(o.ring_size == 1ull << 30);
	EXPECT_OPT_ERR("--ring-size", "32k");   /* below 64k */
	EXPECT_OPT_ERR("--ring-size", "2G");    /* above 1G */
	EXPECT_OPT_ERR("--ring-size", "3M");    /* not a power of two */
	EXPECT_ERR_IW("power of two", "--ring-size", "96k");
}

static void test_unmatched(void **state)
{
	struct capture_opts o;

	(void)state;
	PARSE_OK_IW(&o, "--unmatched", "drop");
	assert_int_equal(o.unmatched, VPNCAP_UNMATCHED_DROP);
	PARSE_OK_IW(&o, "--unmatched", "pass");
	assert_int_equal(o.unmatched, VPNCAP_UNMATCHED_PASS);
	PARSE_OK_IW(&o, "--unmatched", "drop", "--unmatched=pass");
	assert_int_equal(o.unmatched, VPNCAP_UNMATCHED_PASS);
}

static void test_xdp_mode(void **state)
{
	struct capture_opts o;

	(void)state;
	PARSE_OK_IW(&o, "--xdp-mode", "native");
	assert_int_equal(o.xdp_mode, XDP_MODE_CHOICE_NATIVE);
	PARSE_OK_IW(&o, "--xdp-mode", "skb");
	assert_int_equal(o.xdp_mode, XDP_MODE_CHOICE_SKB);
	PARSE_OK_IW(&o, "--xdp-mode=auto");
	assert_int_equal(o.xdp_mode, XDP_MODE_CHOICE_AUTO);
}

static void test_output_io(void **state)
{
	struct capture_opts o;

	(void)state;
	PARSE_OK_IW(&o, "-c", "1");
	assert_int_equal(o.output_io, OUTPUT_IO_AUTO);
	PARSE_OK_IW(&o, "--output-io", "direct");
	assert_int_equal(o.output_io, OUTPUT_IO_DIRECT);
	PARSE_OK_IW(&o, "--output-io=buffered");
	assert_int_equal(o.output_io, OUTPUT_IO_BUFFERED);
	PARSE_OK_IW(&o, "--output-io", "direct", "--output-io", "auto");
	assert_int_equal(o.output_io, OUTPUT_IO_AUTO);
	EXPECT_ERR_IW("auto, direct, buffered", "--output-io", "odirect");
	EXPECT_ERR_IW("--output-io", "--output-io");
	assert_non_null(strstr(capture_usage, "--output-io auto|direct|buffered"));
}

static void test_queues(void **state)
{
	struct capture_opts o;

	(void)state;
	PARSE_OK_IW(&o, "-q", "3");
	assert_int_equal(o.n_queues, 1);
	assert_int_equal(o.queues[0], 3);

	/* Repeatable, order kept, duplicates folded. */
	PARSE_OK_IW(&o, "-q", "3", "--queue", "1", "-q3", "--queue=0", "-q", "1",
		    "-q", "255");
	assert_int_equal(o.n_queues, 4);
	assert_int_equal(o.queues[0], 3);
	assert_int_equal(o.queues[1], 1);
	assert_int_equal(o.queues[2], 0);
	assert_int_equal(o.queues[3], 255);

	PARSE_OK_IW(&o, "-q", "0", "-q", "0", "-q", "0");
	assert_int_equal(o.n_queues, 1);
	assert_int_equal(o.queues[0], 0);
}

static void test_queue_limit(void **state)
{
	const char *args[2 * (CAPTURE_MAX_QUEUES + 2) + 5];
	char nums[CAPTURE_MAX_QUEUES + 1][8];
	struct capture_opts o;
	char err[ERRLEN] = "";
	int n = 0;

	(void)state;
	args[n++] = "-i";
	args[n++] = "eth0";
	args[n++] = "-w";
	args[n++] = "x";
	for (int q = 0; q < CAPTURE_MAX_QUEUES; q++) {
		snprintf(nums[q], sizeof(nums[q]), "%d", q);
		args[n++] = "-q";
		args[n++] = nums[q];
	}
	args[n] = NULL;
	assert_int_equal(parse_list(&o, err, sizeof(err), args), 0);
	assert_int_equal(o.n_queues, CAPTURE_MAX_QUEUES);
	for (int q = 0; q < CAPTURE_MAX_QUEUES; q++)
		assert_int_equal(o.queues[q], q);

	/* A repeat of a known queue still fits... */
	args[n++] = "-q";
	args[n++] = "7";
	args[n] = NULL;
	assert_int_equal(parse_list(&o, err, sizeof(err), args), 0);
	assert_int_equal(o.n_queues, CAPTURE_MAX_QUEUES);

	/* ...a 65th distinct one does not. */
	snprintf(nums[CAPTURE_MAX_QUEUES], sizeof(nums[0]), "%d", 200);
	args[n++] = "-q";
	args[n++] = nums[CAPTURE_MAX_QUEUES];
	args[n] = NULL;
	err[0] = '\0';
	assert_int_equal(parse_list(&o, err, sizeof(err), args), -1);
	assert_non_null(strstr(err, "-q"));
	assert_null(strchr(err, '\n'));
}

static void test_copy_modes(void **state)
{
	struct capture_opts o;

	(void)state;
	PARSE_OK_IW(&o, "--copy");
	assert_int_equal(o.copy, COPY_CHOICE_COPY);
	PARSE_OK_IW(&o, "--zero-copy");
	assert_int_equal(o.copy, COPY_CHOICE_ZEROCOPY);
}

static void test_verbose_help(void **state)
{
	struct capture_opts o;

	(void)state;
	PARSE_OK_IW(&o, "-v");
	assert_int_equal(o.verbose, 1);
	assert_int_equal(o.help, 0);
	PARSE_OK_IW(&o, "--verbose");
	assert_int_equal(o.verbose, 1);

	/* -h alone: no -i or -w needed. */
	PARSE_OK(&o, "-h");
	assert_int_equal(o.help, 1);
	PARSE_OK(&o, "--help");
	assert_int_equal(o.help, 1);
	PARSE_OK(&o, "-vh");
	assert_int_equal(o.help, 1);
	assert_int_equal(o.verbose, 1);
	PARSE_OK(&o, "-i", "eth0", "--help");
	assert_int_equal(o.help, 1);

	/* The usage text mentions every option. */
	assert_non_null(strstr(capture_usage, "--interface"));
	assert_non_null(strstr(capture_usage, "--write"));
	assert_non_null(strstr(capture_usage, "--snaplen"));
	assert_non_null(strstr(capture_usage, "--duration"));
	assert_non_null(strstr(capture_usage, "--count"));
	assert_non_null(strstr(capture_usage, "--mode"));
	assert_non_null(strstr(capture_usage, "--unmatched"));
	assert_non_null(strstr(capture_usage, "--xdp-mode"));
	assert_non_null(strstr(capture_usage, "--queue"));
	assert_non_null(strstr(capture_usage, "--copy"));
	assert_non_null(strstr(capture_usage, "--zero-copy"));
	assert_non_null(strstr(capture_usage, "--verbose"));
	assert_non_null(strstr(capture_usage, "--help"));
}

static void test_everything_at_once(void **state)
{
	struct capture_opts o;

	(void)state;
	PARSE_OK(&o, "-v", "--interface", "eth0", "-i", "eth1", "-s", "128",
		 "--duration", "1.5", "-c", "42", "--mode", "bypass",
		 "--unmatched", "drop", "--xdp-mode", "skb", "-q", "2", "--queue", "5",
		 "--zero-copy", "--write", "/tmp/cap.pcapng");
	assert_int_equal(o.n_ifaces, 2);
	assert_string_equal(o.ifaces[0], "eth0");
	assert_string_equal(o.ifaces[1], "eth1");
	assert_string_equal(o.output, "/tmp/cap.pcapng");
	assert_int_equal(o.snaplen, 128);
	assert_int_equal(o.duration_ms, 1500);
	assert_int_equal(o.count, 42);
	assert_int_equal(o.mode, CAPTURE_MODE_BYPASS);
	assert_int_equal(o.unmatched, VPNCAP_UNMATCHED_DROP);
	assert_int_equal(o.xdp_mode, XDP_MODE_CHOICE_SKB);
	assert_int_equal(o.n_queues, 2);
	assert_int_equal(o.queues[0], 2);
	assert_int_equal(o.queues[1], 5);
	assert_int_equal(o.copy, COPY_CHOICE_ZEROCOPY);
	assert_int_equal(o.verbose, 1);
	assert_int_equal(o.help, 0);
}

/* "--" ends the options; nothing after it is fine. */
static void test_double_dash(void **state)
{
	struct capture_opts o;

	(void)state;
	PARSE_OK(&o, "-i", "eth0", "-w", "x", "--");
	assert_int_equal(o.n_ifaces, 1);
	EXPECT_ERR("extra", "-i", "eth0", "-w", "x", "--", "extra");
}

/* ---------------------------------------------------------------------- */
/* capture_opts_parse: rejected input                                      */
/* ---------------------------------------------------------------------- */

static void test_err_missing_required(void **state)
{
	(void)state;
	EXPECT_ERR("-i", "-w", "out.pcapng");
	EXPECT_ERR("-w", "-i", "eth0");
	EXPECT_ERR("-i", "-v");

	/* argv with only argv[0]. */
	{
		struct capture_opts o;
		char err[ERRLEN] = "";
		char *argv[] = { "capture", NULL };

		assert_int_equal(capture_opts_parse(1, argv, &o, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "-i"));
		assert_null(strchr(err, '\n'));
	}
}

/* --check of a unit's file: -i and -w may be left out; never with --persistent. */
static void test_check(void **state)
{
	struct capture_opts o;

	(void)state;
	PARSE_OK(&o, "--check");
	assert_int_equal(o.check, 1);
	assert_int_equal(o.n_ifaces, 0);
	assert_null(o.output);
	PARSE_OK(&o, "--check", "-i", "eth0");
	assert_int_equal(o.n_ifaces, 1);
	EXPECT_ERR("--check changes nothing", "--check", "-i", "eth0", "--persistent");
	EXPECT_ERR("-w", "-i", "eth0");   /* without --check, still required */
}

/* -i any, -i IDX (a number, resolved when the capture starts) and PktMon's --comp. */
static void test_interface_any_index_comp(void **state)
{
	struct capture_opts o;

	(void)state;
	PARSE_OK(&o, "-i", "any", "-w", "x");
	assert_true(capture_opts_any(&o));
	PARSE_OK(&o, "--comp", "nics", "-w", "x");
	assert_true(capture_opts_any(&o));
	assert_string_equal(o.ifaces[0], CAPTURE_ANY_IFACE);
	PARSE_OK(&o, "--comp=nics", "-w", "x");
	assert_true(capture_opts_any(&o));
	PARSE_OK(&o, "-i", "2", "-w", "x");
	assert_false(capture_opts_any(&o));
	assert_string_equal(o.ifaces[0], "2");
	PARSE_OK(&o, "--comp", "62", "-w", "x");
	assert_string_equal(o.ifaces[0], "62");
	PARSE_OK(&o, "--comp", "eth0", "-i", "eth1", "-w", "x");
	assert_int_equal(o.n_ifaces, 2);
	assert_false(capture_opts_any(&o));
	/* "nics" is a word of --comp only: -i nics is an interface named so */
	PARSE_OK(&o, "-i", "nics", "-w", "x");
	assert_string_equal(o.ifaces[0], "nics");
	/* any is alone */
	EXPECT_ERR("any", "-i", "any", "-i", "eth0", "-w", "x");
	EXPECT_ERR("any", "-i", "eth0", "-i", "any", "-w", "x");
	EXPECT_ERR("--comp", "-i", "eth0", "--comp", "nics", "-w", "x");
	EXPECT_ERR("any", "--comp", "nics", "-i", "any", "-w", "x");
}

/*
 * Long options are matched whole: getopt_long took --comp for --compress
 * ("'nics' is not one of gzip, zstd"). An abbreviation is refused in one
 * line that names what it could mean.
 */
static void test_err_abbreviations(void **state)
{
	struct capture_opts o;
	char err[ERRLEN] = "";

	(void)state;
	EXPECT_ERR_IW("--compre", "--compre", "gzip");
	EXPECT_ERR_IW("--compress", "--compre", "gzip");
	EXPECT_ERR("--interface", "--inter", "eth0", "-w", "x");
	EXPECT_ERR_IW("--snaplen", "--snap", "100");
	EXPECT_ERR_IW("--snap", "--snap=100");
	EXPECT_ERR_IW("not abbreviated", "--verb");
	/* several candidates: each named */
	assert_int_equal(parse_list(&o, err, sizeof(err), ARGS("-i", "e", "-w", "x", "--rotate")),
			 -1);
	assert_non_null(strstr(err, "--rotate-size"));
	assert_non_null(strstr(err, "--rotate-time"));
	assert_null(strchr(err, '\n'));
	/* a prefix of nothing is just unknown */
	EXPECT_ERR_IW("unknown option '--zzz'", "--zzz");
	/* --comp is an option of its own, never --compress */
	PARSE_OK(&o, "--comp", "nics", "-w", "x/");
	assert_int_equal(o.compress, COMPRESS_NONE);
}

static void test_err_unknown_options(void **state)
{
	(void)state;
	EXPECT_ERR_IW("-x", "-x");
	EXPECT_ERR_IW("-Z", "-vZ");
	EXPECT_ERR_IW("-:", "-:");
	EXPECT_ERR_IW("--bogus", "--bogus");
	EXPECT_ERR_IW("--bogus=1", "--bogus=1");
	EXPECT_ERR("--interfaces", "--interfaces", "eth0", "-w", "x");
	/* A flag given a value is named by its own token. */
	EXPECT_ERR_IW("--copy=yes", "--copy=yes");
	EXPECT_ERR_IW("--verbose=1", "--verbose=1");
	EXPECT_ERR_IW("--help=1", "--help=1");
	EXPECT_ERR_IW("--zero-copy=1", "--zero-copy=1");
}

static void test_err_missing_value(void **state)
{
	(void)state;
	EXPECT_ERR("-i", "-w", "x", "-i");
	EXPECT_ERR("--interface", "-w", "x", "--interface");
	EXPECT_ERR("-w", "-i", "eth0", "-w");
	EXPECT_ERR("--write", "-i", "eth0", "--write");
	EXPECT_ERR_IW("-s", "-s");
	EXPECT_ERR_IW("--snaplen", "--snaplen");
	EXPECT_ERR_IW("--duration", "--duration");
	EXPECT_ERR_IW("-c", "-c");
	EXPECT_ERR_IW("--count", "--count");
	EXPECT_ERR_IW("--mode", "--mode");
	EXPECT_ERR_IW("--unmatched", "--unmatched");
	EXPECT_ERR_IW("--xdp-mode", "--xdp-mode");
	EXPECT_ERR_IW("-q", "-q");
	EXPECT_ERR_IW("--queue", "--queue");
	EXPECT_ERR_IW("-vq", "-vq");
}

static void test_err_interfaces(void **state)
{
	(void)state;
	EXPECT_ERR("eth0", "-i", "eth0", "-w", "x", "-i", "eth0");
	EXPECT_ERR("eth0", "-i", "eth0", "-w", "x", "--interface=eth0");
	EXPECT_ERR("abcdefghijklmnop", "-i", "abcdefghijklmnop", "-w", "x");
	EXPECT_ERR("a/b", "-i", "a/b", "-w", "x");
	EXPECT_ERR("eth 0", "-i", "eth 0", "-w", "x");
	EXPECT_ERR("-i", "-i", "", "-w", "x");
	/* 17 interfaces: one more than the limit. */
	EXPECT_ERR("-i", "-w", "x", "-i", "e0", "-i", "e1", "-i", "e2", "-i", "e3",
		   "-i", "e4", "-i", "e5", "-i", "e6", "-i", "e7", "-i", "e8",
		   "-i", "e9", "-i", "e10", "-i", "e11", "-i", "e12", "-i", "e13",
		   "-i", "e14", "-i", "e15", "-i", "e16");
	EXPECT_ERR("16", "-w", "x", "-i", "e0", "-i", "e1", "-i", "e2", "-i", "e3",
		   "-i", "e4", "-i", "e5", "-i", "e6", "-i", "e7", "-i", "e8",
		   "-i", "e9", "-i", "e10", "-i", "e11", "-i", "e12", "-i", "e13",
		   "-i", "e14", "-i", "e15", "-i", "e16");
}

static void test_err_write(void **state)
{
	(void)state;
	EXPECT_ERR("-w", "-i", "eth0", "-w", "");
}

static void test_err_snaplen(void **state)
{
	struct capture_opts o;

	(void)state;
	/* 0: the whole frame, as tcpdump -s 0 and PktMon --pkt-size 0 */
	PARSE_OK_IW(&o, "-s", "0");
	assert_int_equal(o.snaplen, 262144);
	EXPECT_ERR_IW("'63'", "-s", "63");
	EXPECT_ERR_IW("'-1'", "-s", "-1");
	EXPECT_ERR_IW("262145", "-s", "262145");
	EXPECT_ERR_IW("abc", "--snaplen", "abc");
	EXPECT_ERR_IW("-5", "-s", "-5");
	EXPECT_ERR_IW("10x", "-s", "10x");
	EXPECT_ERR_IW("+100", "-s", "+100");
	EXPECT_ERR_IW(" 100", "-s", " 100");
	EXPECT_ERR_IW("99999999999999999999999", "-s", "99999999999999999999999");
	EXPECT_ERR_IW("--snaplen", "-s", "");
}

static void test_err_duration(void **state)
{
	(void)state;
	EXPECT_ERR_IW("'0'", "--duration", "0");
	EXPECT_ERR_IW("0.000", "--duration", "0.000");
	EXPECT_ERR_IW("-1", "--duration", "-1");
	EXPECT_ERR_IW("1.2345", "--duration", "1.2345");
	EXPECT_ERR_IW("abc", "--duration", "abc");
	EXPECT_ERR_IW("'1.'", "--duration", "1.");
	EXPECT_ERR_IW("1.x", "--duration", "1.x");
	EXPECT_ERR_IW("1.2.3", "--duration", "1.2.3");
	EXPECT_ERR_IW("10s", "--duration", "10s");
	EXPECT_ERR_IW("--duration", "--duration", "");
	/* More than a year. */
	EXPECT_ERR_IW("31536001", "--duration", "31536001");
	EXPECT_ERR_IW("31536000.001", "--duration", "31536000.001");
	EXPECT_ERR_IW("99999999999999999999", "--duration", "99999999999999999999");
	EXPECT_ERR_IW("1000000000000000000000000000000000000000",
		      "--duration", "1000000000000000000000000000000000000000");
}

static void test_err_count(void **state)
{
	(void)state;
	EXPECT_ERR_IW("'0'", "-c", "0");
	EXPECT_ERR_IW("'x'", "--count", "x");
	EXPECT_ERR_IW("-3", "-c", "-3");
	EXPECT_ERR_IW("18446744073709551616", "-c", "18446744073709551616");
}

static void test_err_mode(void **state)
{
	(void)state;
	EXPECT_ERR_IW("foo", "--mode", "foo");
	EXPECT_ERR_IW("--mode", "--mode", "foo");
	EXPECT_ERR_IW("maybe", "--unmatched", "maybe");
	EXPECT_ERR_IW("--unmatched", "--unmatched", "maybe");
	EXPECT_ERR_IW("hw", "--xdp-mode", "hw");
	EXPECT_ERR_IW("--xdp-mode", "--xdp-mode", "hw");
	EXPECT_ERR_IW("Native", "--xdp-mode", "Native");
}

static void test_err_queue(void **state)
{
	(void)state;
	EXPECT_ERR_IW("256", "-q", "256");
	EXPECT_ERR_IW("-1", "-q", "-1");
	EXPECT_ERR_IW("abc", "--queue", "abc");
	EXPECT_ERR_IW("1x", "-q1x");
}

static void test_err_copy_and_zero_copy(void **state)
{
	struct capture_opts o;
	char err[ERRLEN] = "";

	(void)state;
	assert_int_equal(parse_list(&o, err, sizeof(err),
				    ARGS("-i", "eth0", "-w", "x", "--copy", "--zero-copy")),
			 -1);
	assert_non_null(strstr(err, "--copy"));
	assert_non_null(strstr(err, "--zero-copy"));
	assert_null(strchr(err, '\n'));
	EXPECT_ERR_IW("--copy", "--zero-copy", "--copy");
}

static void test_err_positional(void **state)
{
	(void)state;
	EXPECT_ERR("stray", "-i", "eth0", "-w", "x", "stray");
	EXPECT_ERR("stray", "stray", "-i", "eth0", "-w", "x");
	EXPECT_ERR("'-'", "-i", "eth0", "-w", "x", "-");
	/* Even after -h. */
	EXPECT_ERR("stray", "-h", "stray");
}

/* Control characters never break the one-line rule. */
static void test_err_control_chars(void **state)
{
	(void)state;
	EXPECT_ERR_IW("--snaplen", "-s", "1\n2");
	EXPECT_ERR_IW("--duration", "--duration", "\n");
	EXPECT_ERR_IW("capture", "-\n");
	EXPECT_ERR_IW("capture", "--a\nb");
	EXPECT_ERR("-i", "-i", "a\nb", "-w", "x");
	EXPECT_ERR_IW("--mode", "--mode", "by\npass");
	EXPECT_ERR_IW("-q", "-q", "1\r\n");
}

/* A tiny or absent error buffer: truncated, never overrun. */
static void test_err_small_buffer(void **state)
{
	struct capture_opts o;
	char buf[16];

	(void)state;
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(parse_list(&o, buf, 8, ARGS("-i", "eth0", "-w", "x", "--bogus")),
			 -1);
	assert_int_equal(strlen(buf), 7);
	for (size_t i = 8; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 'Z');

	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(parse_list(&o, buf, 1, ARGS("-s", "1")), -1);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'Z');

	assert_int_equal(parse_list(&o, NULL, 0, ARGS("--bogus")), -1);
	assert_int_equal(parse_list(&o, NULL, 0, ARGS("-i", "eth0")), -1);
	assert_int_equal(parse_list(&o, NULL, 0, ARGS("-i", "eth0", "-w", "x")), 0);
}

/* ---------------------------------------------------------------------- */
/* capture_opts_parse: state and purity                                    */
/* ---------------------------------------------------------------------- */

static void test_parse_twice(void **state)
{
	struct capture_opts o;
	char err[ERRLEN];

	(void)state;
	/* Full parse, then a different full parse: nothing carries over. */
	PARSE_OK(&o, "-i", "eth0", "-w", "a", "-v", "-q", "1", "--copy", "-s", "100");
	PARSE_OK(&o, "-i", "eth1", "-w", "b");
	assert_int_equal(o.n_ifaces, 1);
	assert_string_equal(o.ifaces[0], "eth1");
	assert_string_equal(o.output, "b");
	assert_int_equal(o.verbose, 0);
	assert_int_equal(o.n_queues, 0);
	assert_int_equal(o.copy, COPY_CHOICE_AUTO);
	assert_int_equal(o.snaplen, CAPTURE_DEFAULT_SNAPLEN);

	/* An error in the middle of a cluster ("-vxh": stops at x, 'h' left). */
	err[0] = '\0';
	assert_int_equal(parse_list(&o, err, sizeof(err), ARGS("-vxh")), -1);
	assert_non_null(strstr(err, "-x"));
	PARSE_OK(&o, "-i", "eth2", "-w", "c");
	assert_int_equal(o.help, 0);
	assert_int_equal(o.verbose, 0);
	assert_string_equal(o.ifaces[0], "eth2");

	/* An error after a few options, then the same argv again. */
	for (int round = 0; round < 3; round++) {
		err[0] = '\0';
		assert_int_equal(parse_list(&o, err, sizeof(err),
					    ARGS("-i", "eth0", "-w", "x", "-q", "1", "extra")),
				 -1);
		assert_non_null(strstr(err, "extra"));
	}
	/* Many rounds in a row. */
	for (int round = 0; round < 100; round++) {
		PARSE_OK(&o, "-i", "eth0", "-w", "x", "-c", "7");
		assert_int_equal(o.count, 7);
	}
}

static off_t size_of_fd(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return st.st_size;
}

/* The parser is pure: nothing on stdout or stderr, whatever the input. */
static void test_parser_is_silent(void **state)
{
	const char *const *cases[] = {
		ARGS("-h"),
		ARGS("--help"),
		ARGS("-x"),
		ARGS("--bogus"),
		ARGS("--copy=1"),
		ARGS("-i"),
		ARGS("--write"),
		ARGS("--c", "1"), /* ambiguous: --count / --copy */
		ARGS("-i", "eth0", "-w", "x", "-s", "1"),
		ARGS("-i", "eth0", "-w", "x", "--mode", "inline"),
		ARGS("-i", "eth0", "-w", "x", "stray"),
		ARGS("-i", "eth0", "-w", "x"),
		ARGS("-w", "x"),
	};
	struct capture_opts o;
	char err[ERRLEN];
	FILE *tmp;
	int saved_out, saved_err;

	(void)state;
	tmp = tmpfile();
	assert_non_null(tmp);
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(1);
	saved_err = dup(2);
	assert_true(saved_out >= 0 && saved_err >= 0);
	assert_true(dup2(fileno(tmp), 1) >= 0);
	assert_true(dup2(fileno(tmp), 2) >= 0);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		(void)parse_list(&o, err, sizeof(err), cases[i]);

	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	assert_int_equal(size_of_fd(fileno(tmp)), 0);
	fclose(tmp);
}

/* ---------------------------------------------------------------------- */
/* rules                                                                   */
/* ---------------------------------------------------------------------- */

#define DEFAULT_TEXT "udp port 500 or udp port 4500 or tcp port 443"

/* tcpdump's way: the words after the options are the expression. */
static void test_expression_words(void **state)
{
	struct capture_opts o;

	(void)state;
	PARSE_OK_IW(&o, "udp", "port", "500", "or", "arp");
	assert_string_equal(o.rules, "udp port 500 or arp");
	PARSE_OK_IW(&o, "udp port 4500 and udp[8:4] = 0");
	assert_string_equal(o.rules, "udp port 4500 and udp[8:4] = 0");
	/* Options end at the first word, as getopt's "+": -c is a word here. */
	EXPECT_ERR_IW("expression", "udp", "-c", "5");
	EXPECT_ERR_IW("--rules", "--rules", "tcp:443", "udp", "port", "500");
	EXPECT_ERR_IW("expression", "udp", "port", "and", "and");
	/* An empty expression: every frame (the rule set comes from rules_parse_any) */
	PARSE_OK_IW(&o, "");
	assert_string_equal(o.rules, "");
	PARSE_OK_IW(&o, "--rules", "udp:500-4500,ARP");
	assert_string_equal(o.rules, "udp:500-4500,ARP");
}

static void test_rules_default(void **state)
{
	struct vpncap_ruleset set;

	(void)state;
	memset(&set, 0xA5, sizeof(set));
	rules_default(&set);
	assert_int_equal(set.count, 3);
	assert_int_equal(set.n_exprs, 0);
	assert_int_equal(set.rules[0].l4_proto, IPPROTO_UDP);
	assert_int_equal(set.rules[0].fields, VPNCAP_F_PROTO | VPNCAP_F_PORT);
	assert_int_equal(set.rules[0].port_lo, 500);
	assert_int_equal(set.rules[0].port_hi, 500);
	assert_int_equal(set.rules[1].l4_proto, IPPROTO_UDP);
	assert_int_equal(set.rules[1].port_lo, 4500);
	assert_int_equal(set.rules[1].port_hi, 4500);
	assert_int_equal(set.rules[2].l4_proto, IPPROTO_TCP);
	assert_int_equal(set.rules[2].port_lo, 443);
	assert_int_equal(set.rules[2].port_hi, 443);
	for (int i = 0; i < 3; i++)
		assert_int_equal(set.rules[i].pad, 0);
	/* Unused slots are zero (proto 0 = unused). */
	for (int i = 3; i < VPNCAP_MAX_RULES; i++) {
		assert_int_equal(set.rules[i].l4_proto, 0);
		assert_int_equal(set.rules[i].port_lo, 0);
		assert_int_equal(set.rules[i].fields, 0);
	}
}

static void test_rules_describe_default(void **state)
{
	struct vpncap_ruleset set;
	char buf[128];

	(void)state;
	rules_default(&set);
	assert_int_equal(rules_describe(&set, buf, sizeof(buf)), strlen(DEFAULT_TEXT));
	assert_string_equal(buf, DEFAULT_TEXT);
	/* Exactly enough room. */
	assert_int_equal(rules_describe(&set, buf, strlen(DEFAULT_TEXT) + 1),
			 strlen(DEFAULT_TEXT));
	assert_string_equal(buf, DEFAULT_TEXT);
}

static void test_rules_describe_empty(void **state)
{
	struct vpncap_ruleset set;
	char buf[64];
	int n;

	(void)state;
	memset(&set, 0, sizeof(set));
	n = rules_describe(&set, buf, sizeof(buf));
	assert_string_equal(buf, "nothing (empty rule set)");
	assert_int_equal(n, strlen(buf));
	/* Truncated like snprintf. */
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(rules_describe(&set, buf, 5), n);
	assert_string_equal(buf, "noth");
	assert_int_equal(buf[5], 'Z');
}

/* Every buffer size from 0 up: output is the prefix, nothing past len. */
static void check_truncation(const struct vpncap_ruleset *set, const char *full)
{
	size_t need = strlen(full);
	char *buf = malloc(need + 32);

	assert_non_null(buf);
	for (size_t len = 0; len <= need + 8; len++) {
		memset(buf, 'Z', need + 32);
		assert_int_equal(rules_describe(set, buf, len), need);
		if (len) {
			size_t kept = len - 1 < need ? len - 1 : need;

			assert_int_equal(strlen(buf), kept);
			assert_memory_equal(buf, full, kept);
		}
		for (size_t i = len; i < need + 32; i++) {
			if (buf[i] != 'Z') {
				print_error("len %zu: byte %zu written\n", len, i);
				fail();
			}
		}
	}
	free(buf);
}

static void test_rules_describe_truncation(void **state)
{
	struct vpncap_ruleset set;
	char small[10];

	(void)state;
	rules_default(&set);
	check_truncation(&set, DEFAULT_TEXT);

	assert_int_equal(rules_describe(&set, small, sizeof(small)), strlen(DEFAULT_TEXT));
	assert_string_equal(small, "udp port ");

	/* Size 0 with no buffer, as snprintf(NULL, 0, ...) allows. */
	assert_int_equal(rules_describe(&set, NULL, 0), strlen(DEFAULT_TEXT));
	memset(&set, 0, sizeof(set));
	assert_int_equal(rules_describe(&set, NULL, 0), strlen("nothing (empty rule set)"));
}

static void test_rules_other_protocols(void **state)
{
	struct vpncap_ruleset set;
	char buf[128];

	(void)state;
	memset(&set, 0, sizeof(set));
	assert_int_equal(rules_add(&set, IPPROTO_ESP, 0), 0);
	assert_int_equal(set.count, 1);
	assert_int_equal(set.rules[0].l4_proto, IPPROTO_ESP);
	assert_int_equal(set.rules[0].fields, VPNCAP_F_PROTO);
	assert_int_equal(rules_describe(&set, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "esp");

	assert_int_equal(rules_add(&set, IPPROTO_UDP, 0), 0);
	assert_int_equal(rules_add(&set, 47, 0), 0);
	assert_int_equal(rules_add(&set, 255, 65535), 0);
	assert_int_equal(rules_describe(&set, buf, sizeof(buf)),
			 strlen("esp or udp or ip proto 47 or ip proto 255 port 65535"));
	assert_string_equal(buf, "esp or udp or ip proto 47 or ip proto 255 port 65535");
	check_truncation(&set, "esp or udp or ip proto 47 or ip proto 255 port 65535");
}

static void test_rules_full_table(void **state)
{
	struct vpncap_ruleset set;
	char expect[4096] = "";
	char buf[4096];
	size_t used = 0;

	(void)state;
	memset(&set, 0, sizeof(set));
	for (int i = 0; i < VPNCAP_MAX_RULES; i++) {
		__u8 proto = (i % 2) ? IPPROTO_TCP : IPPROTO_UDP;
		__u16 port = (__u16)(10000 + i);

		assert_int_equal(rules_add(&set, proto, port), 0);
		used += (size_t)snprintf(expect + used, sizeof(expect) - used, "%s%s port %u",
					 i ? " or " : "", (i % 2) ? "tcp" : "udp", port);
	}
	assert_int_equal(set.count, VPNCAP_MAX_RULES);

	/* The 65th is refused and changes nothing. */
	assert_int_equal(rules_add(&set, IPPROTO_UDP, 1), -1);
	assert_int_equal(set.count, VPNCAP_MAX_RULES);
	assert_int_equal(rules_add(&set, IPPROTO_ESP, 0), -1);
	assert_int_equal(set.count, VPNCAP_MAX_RULES);

	assert_int_equal(rules_describe(&set, buf, sizeof(buf)), used);
	assert_string_equal(buf, expect);
	check_truncation(&set, expect);

	/* rules_default() on a full table starts over. */
	rules_default(&set);
	assert_int_equal(set.count, 3);
	assert_int_equal(rules_describe(&set, buf, sizeof(buf)), strlen(DEFAULT_TEXT));
	assert_string_equal(buf, DEFAULT_TEXT);
}

/* ---------------------------------------------------------------------- */
/* capture_opts_parse: file set, writer and queue options                  */
/* ---------------------------------------------------------------------- */

#define KIB_ 1024ull
#define MIB_ (1024ull * KIB_)
#define GIB_ (1024ull * MIB_)
#define TIB_ (1024ull * GIB_)

static void test_fileset_defaults(void **state)
{
	struct capture_opts o;

	(void)state;
	memset(&o, 0xA5, sizeof(o));
	PARSE_OK(&o, "-i", "eth0", "-w", "out.pcapng");
	assert_int_equal(o.rotate_size, 0);
	assert_int_equal(o.rotate_time_ms, 0);
	assert_int_equal(o.max_files, 0);
	assert_int_equal(o.max_bytes, 0);
	assert_int_equal(o.min_free, 0);
	assert_int_equal(o.sync_interval_ms, 1000);
	assert_int_equal(o.sync_interval_ms, CAPTURE_DEFAULT_SYNC_MS);
	assert_null(o.on_rotate);
	assert_int_equal(o.compress, COMPRESS_NONE);
	assert_true(o.queue_size == 32 * MIB_);
	assert_true(o.queue_size == CAPTURE_DEFAULT_QUEUE_SIZE);

	/* And back to the defaults on the next parse. */
	PARSE_OK_IW(&o, "--rotate-size", "1M", "--rotate-time", "1h", "--max-files", "3",
		    "--max-bytes", "1G", "--min-free", "1G", "--sync-interval", "5s",
		    "--on-rotate", "true", "--compress", "zstd", "--queue-size", "2M");
	PARSE_OK(&o, "-i", "eth0", "-w", "out.pcapng");
	assert_int_equal(o.rotate_size, 0);
	assert_int_equal(o.rotate_time_ms, 0);
	assert_int_equal(o.max_files, 0);
	assert_int_equal(o.max_bytes, 0);
	assert_int_equal(o.min_free, 0);
	assert_int_equal(o.sync_interval_ms, 1000);
	assert_null(o.on_rotate);
	assert_int_equal(o.compress, COMPRESS_NONE);
	assert_true(o.queue_size == 32 * MIB_);
}

static void test_fileset_options(void **state)
{
	struct capture_opts o;

	(void)state;
	PARSE_OK_IW(&o, "--rotate-size", "256M");
	assert_true(o.rotate_size == 268435456ull);
	PARSE_OK_IW(&o, "--rotate-size=64k");
	assert_true(o.rotate_size == 64 * KIB_);
	PARSE_OK_IW(&o, "--rotate-size", "65536");
	assert_true(o.rotate_size == 65536);
	PARSE_OK_IW(&o, "--rotate-size", "1T");
	assert_true(o.rotate_size == TIB_);
	PARSE_OK_IW(&o, "--rotate-size", "100MiB");
	assert_true(o.rotate_size == 100 * MIB_);

	PARSE_OK_IW(&o, "--rotate-time", "15m");
	assert_true(o.rotate_time_ms == 900000);
	PARSE_OK_IW(&o, "--rotate-time", "1s");
	assert_true(o.rotate_time_ms == 1000);
	PARSE_OK_IW(&o, "--rotate-time", "1000ms");
	assert_true(o.rotate_time_ms == 1000);
	PARSE_OK_IW(&o, "--rotate-time", "30");
	assert_true(o.rotate_time_ms == 30000);
	PARSE_OK_IW(&o, "--rotate-time=1h");
	assert_true(o.rotate_time_ms == 3600000);
	PARSE_OK_IW(&o, "--rotate-time", "7d");
	assert_true(o.rotate_time_ms == 7 * 86400000ull);

	PARSE_OK_IW(&o, "--max-files", "10");
	assert_true(o.max_files == 10);
	PARSE_OK_IW(&o, "--max-files", "1");
	assert_true(o.max_files == 1);
	PARSE_OK_IW(&o, "--max-files=1000000");
	assert_true(o.max_files == 1000000);

	PARSE_OK_IW(&o, "--max-bytes", "1G");
	assert_true(o.max_bytes == GIB_);
	PARSE_OK_IW(&o, "--max-bytes", "64k");
	assert_true(o.max_bytes == 64 * KIB_);
	PARSE_OK_IW(&o, "--max-bytes", "1024T");
	assert_true(o.max_bytes == 1024 * TIB_);

	PARSE_OK_IW(&o, "--min-free", "500M");
	assert_true(o.min_free == 500 * MIB_);
	PARSE_OK_IW(&o, "--min-free", "1");
	assert_true(o.min_free == 1);
	PARSE_OK_IW(&o, "--min-free=2G");
	assert_true(o.min_free == 2 * GIB_);

	PARSE_OK_IW(&o, "--sync-interval", "250ms");
	assert_true(o.sync_interval_ms == 250);
	PARSE_OK_IW(&o, "--sync-interval", "10ms");
	assert_true(o.sync_interval_ms == 10);
	PARSE_OK_IW(&o, "--sync-interval", "1h");
	assert_true(o.sync_interval_ms == 3600000);
	PARSE_OK_IW(&o, "--sync-interval=2s");
	assert_true(o.sync_interval_ms == 2000);

	PARSE_OK_IW(&o, "--on-rotate", "/bin/true");
	assert_string_equal(o.on_rotate, "/bin/true");
	PARSE_OK_IW(&o, "--on-rotate=logger -t vpncap 'rotated:'");
	assert_string_equal(o.on_rotate, "logger -t vpncap 'rotated:'");

	PARSE_OK_IW(&o, "--compress", "gzip");
	assert_int_equal(o.compress, COMPRESS_GZIP);
	PARSE_OK_IW(&o, "--compress", "zstd");
	assert_int_equal(o.compress, COMPRESS_ZSTD);
	PARSE_OK_IW(&o, "--compress=gzip");
	assert_int_equal(o.compress, COMPRESS_GZIP);

	PARSE_OK_IW(&o, "--queue-size", "64M");
	assert_true(o.queue_size == 64 * MIB_);
	PARSE_OK_IW(&o, "--queue-size", "1M");
	assert_true(o.queue_size == MIB_);
	PARSE_OK_IW(&o, "--queue-size=16G");
	assert_true(o.queue_size == 16 * GIB_);

	/* All together, short and long forms mixed; the last of a kind wins. */
	PARSE_OK(&o, "-i", "eth0", "-w", "/var/cap/", "--rotate-size", "256M",
		 "--rotate-time", "15m", "--max-files", "10", "--max-bytes", "1G",
		 "--min-free", "500M", "--sync-interval", "250ms", "--on-rotate", "/bin/true",
		 "--compress", "gzip", "--compress", "zstd", "--queue-size", "64M");
	assert_string_equal(o.output, "/var/cap/");
	assert_true(o.rotate_size == 268435456ull);
	assert_true(o.rotate_time_ms == 900000);
	assert_true(o.max_files == 10);
	assert_true(o.max_bytes == GIB_);
	assert_true(o.min_free == 500 * MIB_);
	assert_true(o.sync_interval_ms == 250);
	assert_string_equal(o.on_rotate, "/bin/true");
	assert_int_equal(o.compress, COMPRESS_ZSTD);
	assert_true(o.queue_size == 64 * MIB_);

	/* The usage text mentions every one of them. */
	assert_non_null(strstr(capture_usage, "--queue-size"));
	assert_non_null(strstr(capture_usage, "--rotate-size"));
	assert_non_null(strstr(capture_usage, "--rotate-time"));
	assert_non_null(strstr(capture_usage, "--max-files"));
	assert_non_null(strstr(capture_usage, "--max-bytes"));
	assert_non_null(strstr(capture_usage, "--min-free"));
	assert_non_null(strstr(capture_usage, "--sync-interval"));
	assert_non_null(strstr(capture_usage, "--on-rotate"));
	assert_non_null(strstr(capture_usage, "--compress"));
}

/* Rejected: one line naming both the option and the offending token. */

static void test_err_fileset_options(void **state)
{
	(void)state;
	EXPECT_OPT_ERR("--rotate-size", "1k");          /* below 64k */
	EXPECT_OPT_ERR("--rotate-size", "65535");
	EXPECT_OPT_ERR("--rotate-size", "2T");          /* above 1T */
	EXPECT_OPT_ERR("--rotate-size", "abc");
	EXPECT_OPT_ERR("--rotate-size", "-1M");
	EXPECT_OPT_ERR("--rotate-size", "1.5G");
	EXPECT_OPT_ERR("--rotate-size", "0");
	EXPECT_OPT_ERR("--rotate-size", "99999999999999999999T");

	EXPECT_OPT_ERR("--rotate-time", "500ms");       /* below 1s */
	EXPECT_OPT_ERR("--rotate-time", "8d");          /* above 7d */
	EXPECT_OPT_ERR("--rotate-time", "15x");
	EXPECT_OPT_ERR("--rotate-time", "0");
	EXPECT_OPT_ERR("--rotate-time", "15M");
	EXPECT_OPT_ERR("--rotate-time", "-1h");

	EXPECT_OPT_ERR("--max-files", "0");
	EXPECT_OPT_ERR("--max-files", "1000001");
	EXPECT_OPT_ERR("--max-files", "-1");
	EXPECT_OPT_ERR("--max-files", "10k");
	EXPECT_OPT_ERR("--max-files", "ten");

	EXPECT_OPT_ERR("--max-bytes", "1k");            /* below 64k */
	EXPECT_OPT_ERR("--max-bytes", "1025T");
	EXPECT_OPT_ERR("--max-bytes", "1GB!");

	EXPECT_OPT_ERR("--min-free", "0");
	EXPECT_OPT_ERR("--min-free", "1025T");
	EXPECT_OPT_ERR("--min-free", "10%");

	EXPECT_OPT_ERR("--sync-interval", "5ms");       /* below 10ms */
	EXPECT_OPT_ERR("--sync-interval", "2h");        /* above 1h */
	EXPECT_OPT_ERR("--sync-interval", "0");
	EXPECT_OPT_ERR("--sync-interval", "1.5s");

	EXPECT_ERR_IW("--on-rotate", "--on-rotate", "");
	EXPECT_ERR_IW("--on-rotate", "--on-rotate=");

	EXPECT_OPT_ERR("--compress", "lz4");
	EXPECT_OPT_ERR("--compress", "GZIP");
	EXPECT_OPT_ERR("--compress", "none");
	EXPECT_ERR_IW("--compress", "--compress", "");

	EXPECT_OPT_ERR("--queue-size", "512k");         /* below 1M */
	EXPECT_OPT_ERR("--queue-size", "17G");          /* above 16G */
	EXPECT_OPT_ERR("--queue-size", "0");
	EXPECT_OPT_ERR("--queue-size", "big");

	/* A missing value is named too. */
	EXPECT_ERR_IW("--rotate-size", "--rotate-size");
	EXPECT_ERR_IW("--rotate-time", "--rotate-time");
	EXPECT_ERR_IW("--max-files", "--max-files");
	EXPECT_ERR_IW("--max-bytes", "--max-bytes");
	EXPECT_ERR_IW("--min-free", "--min-free");
	EXPECT_ERR_IW("--sync-interval", "--sync-interval");
	EXPECT_ERR_IW("--on-rotate", "--on-rotate");
	EXPECT_ERR_IW("--compress", "--compress");
	EXPECT_ERR_IW("--queue-size", "--queue-size");

	/* Control characters in a bad value still give one line. */
	EXPECT_ERR_IW("--rotate-size", "--rotate-size", "1\nM");
	EXPECT_ERR_IW("--compress", "--compress", "gz\nip");
}

/* ---------------------------------------------------------------------- */
/* Line rate: --cpus, --busy-poll, AF_XDP sizes, --timestamps             */
/* ---------------------------------------------------------------------- */

static void assert_cpus(const struct capture_opts *o, const uint32_t *want, unsigned int n)
{
	unsigned int i;

	assert_int_equal(o->n_cpus, n);
	for (i = 0; i < n; i++)
		assert_int_equal(o->cpus[i], want[i]);
}

static void test_cpus(void **state)
{
	static const uint32_t range_and_one[] = { 0, 1, 2, 3, 6 };
	static const uint32_t in_order[] = { 7, 2, 5 };
	static const uint32_t last[] = { CPU_SETSIZE - 1 };
	struct capture_opts o;
	char list[64];
	unsigned int i;

	(void)state;
	PARSE_OK_IW(&o, "--cpus", "0-3,6");
	assert_cpus(&o, range_and_one, 5);
	PARSE_OK_IW(&o, "--cpus=7,2,5");          /* the order given is the order used */
	assert_cpus(&o, in_order, 3);
	PARSE_OK_IW(&o, "--cpus", "4-4");
	assert_int_equal(o.n_cpus, 1);
	assert_int_equal(o.cpus[0], 4);
	snprintf(list, sizeof(list), "%d", CPU_SETSIZE - 1);
	PARSE_OK_IW(&o, "--cpus", list);
	assert_cpus(&o, last, 1);
	snprintf(list, sizeof(list), "0-%d", CAPTURE_MAX_QUEUES - 1);
	PARSE_OK_IW(&o, "--cpus", list);
	assert_int_equal(o.n_cpus, CAPTURE_MAX_QUEUES);
	for (i = 0; i < CAPTURE_MAX_QUEUES; i++)
		assert_int_equal(o.cpus[i], i);
	PARSE_OK_IW(&o, "--cpus", "1", "--cpus", "2"); /* the last one wins */
	assert_int_equal(o.n_cpus, 1);
	assert_int_equal(o.cpus[0], 2);
}

static void test_err_cpus(void **state)
{
	char list[64];

	(void)state;
	EXPECT_OPT_ERR("--cpus", "");
	EXPECT_OPT_ERR("--cpus", "a");
	EXPECT_OPT_ERR("--cpus", "1,");             /* empty item */
	EXPECT_OPT_ERR("--cpus", ",1");
	EXPECT_OPT_ERR("--cpus", "1,,2");
	EXPECT_OPT_ERR("--cpus", "-1");
	EXPECT_OPT_ERR("--cpus", "1-");
	EXPECT_OPT_ERR("--cpus", "1-2-3");
	EXPECT_OPT_ERR("--cpus", "+1");
	EXPECT_OPT_ERR("--cpus", " 1");
	EXPECT_OPT_ERR("--cpus", "1 ");
	EXPECT_OPT_ERR("--cpus", "0x1");
	EXPECT_OPT_ERR("--cpus", "3-1");            /* reversed */
	EXPECT_ERR_IW("reversed range 3-1", "--cpus", "3-1");
	EXPECT_OPT_ERR("--cpus", "1,1");            /* twice */
	EXPECT_ERR_IW("CPU 2 twice", "--cpus", "0-3,2");
	snprintf(list, sizeof(list), "%d", CPU_SETSIZE);
	EXPECT_ERR_IW("--cpus", "--cpus", list);    /* >= CPU_SETSIZE */
	EXPECT_OPT_ERR("--cpus", "99999999999999999999");
	snprintf(list, sizeof(list), "0-%d", CAPTURE_MAX_QUEUES);
	EXPECT_ERR_IW("more than 64 CPUs", "--cpus", list);
	EXPECT_ERR_IW("--cpus", "--cpus");          /* no value */
	EXPECT_ERR_IW("--cpus", "--cpus", "1\n2");
}

static void test_busy_poll_and_rings(void **state)
{
	struct capture_opts o;

	(void)state;
	PARSE_OK_IW(&o, "--busy-poll");
	assert_int_equal(o.busy_poll, 1);
	PARSE_OK_IW(&o, "--rx-ring", "64", "--fill-ring", "65536");
	assert_int_equal(o.rx_ring, 64);
	assert_int_equal(o.fill_ring, 65536);
	assert_int_equal(o.umem_frames, 0);
	PARSE_OK_IW(&o, "--umem-frames", "8192", "--rx-ring", "4096", "--fill-ring", "4096");
	assert_int_equal(o.umem_frames, 8192);
	PARSE_OK_IW(&o, "--umem-frames", "64");    /* rings automatic: checked at open */
	assert_int_equal(o.umem_frames, 64);
	PARSE_OK_IW(&o, "--umem-frames", "1048576");
	assert_int_equal(o.umem_frames, 1048576);
	PARSE_OK_IW(&o, "--umem-frames", "100", "--rx-ring", "64"); /* one ring given */
	assert_int_equal(o.umem_frames, 100);
}

static void test_err_busy_poll_and_rings(void **state)
{
	(void)state;
	EXPECT_ERR_IW("--busy-poll", "--busy-poll=yes");
	EXPECT_OPT_ERR("--rx-ring", "32");          /* below 64 */
	EXPECT_OPT_ERR("--rx-ring", "131072");      /* above 65536 */
	EXPECT_OPT_ERR("--rx-ring", "1000");        /* not a power of two */
	EXPECT_ERR_IW("power of two", "--rx-ring", "3000");
	EXPECT_OPT_ERR("--rx-ring", "0");
	EXPECT_OPT_ERR("--rx-ring", "2k");
	EXPECT_OPT_ERR("--rx-ring", "-64");
	EXPECT_OPT_ERR("--fill-ring", "63");
	EXPECT_OPT_ERR("--fill-ring", "4097");
	EXPECT_OPT_ERR("--fill-ring", "many");
	EXPECT_OPT_ERR("--umem-frames", "0");
	EXPECT_OPT_ERR("--umem-frames", "63");
	EXPECT_OPT_ERR("--umem-frames", "1048577");
	EXPECT_OPT_ERR("--umem-frames", "4k");
	EXPECT_ERR_IW("--rx-ring", "--rx-ring");
	EXPECT_ERR_IW("--fill-ring", "--fill-ring");
	EXPECT_ERR_IW("--umem-frames", "--umem-frames");
	/* Every frame needs a place in a ring: said, whatever the order. */
	EXPECT_ERR_IW("--umem-frames", "--umem-frames", "4095", "--rx-ring", "2048",
		      "--fill-ring", "2048");
	EXPECT_ERR_IW("at least 4096", "--fill-ring", "2048", "--rx-ring", "2048",
		      "--umem-frames", "4095");
}

static void test_timestamps(void **state)
{
	struct capture_opts o;

	(void)state;
	PARSE_OK_IW(&o, "--timestamps", "hardware");
	assert_int_equal(o.timestamps, TS_CHOICE_HARDWARE);
	PARSE_OK_IW(&o, "--timestamps=software");
	assert_int_equal(o.timestamps, TS_CHOICE_SOFTWARE);
	PARSE_OK_IW(&o, "--timestamps", "auto");
	assert_int_equal(o.timestamps, TS_CHOICE_AUTO);
	EXPECT_OPT_ERR("--timestamps", "hw");
	EXPECT_OPT_ERR("--timestamps", "AUTO");
	EXPECT_ERR_IW("auto, hardware, software", "--timestamps", "ptp");
	EXPECT_ERR_IW("--timestamps", "--timestamps", "");
	EXPECT_ERR_IW("--timestamps", "--timestamps");
}

/*
 * Everything derived from the one option table: every row is in --help;
 * every configuration key reads back what --persistent writes; a reload
 * refuses exactly the rows that are not COPT_RELOAD. A row added without a
 * sample value here fails this test, so a new option gets its checks.
 */
static void test_option_table(void **state)
{
	static const struct {
		const char *name, *value;
	} samples[] = {
		{ "interface", "eth7" }, { "write", "/tmp/x.pcapng" }, { "snaplen", "128" },
		{ "duration", "2.5" }, { "count", "99" }, { "mode", "inline" },
		{ "unmatched", "drop" }, { "xdp-mode", "skb" }, { "queue", "3" }, { "copy", "yes" },
		{ "zero-copy", "yes" }, { "queue-size", "64M" }, { "cpus", "0-2,5" },
		{ "busy-poll", "yes" }, { "force-bypass", "yes" }, { "allow-shared-dir", "yes" },
		{ "umem-frames", "8192" },
		{ "rx-ring", "1024" },
		{ "fill-ring", "2048" }, { "timestamps", "software" }, { "ring-size", "16M" },
		{ "metrics-file", "/run/x.prom" }, { "rules", "udp:500,esp" },
		{ "fragment-timeout", "5s" }, { "fragment-window", "1m" }, { "rotate-size", "256M" },
		{ "rotate-time", "1h" }, { "max-files", "10" }, { "max-bytes", "20G" },
		{ "min-free", "2G" }, { "sync-interval", "250ms" }, { "on-rotate", "/bin/true" },
		{ "compress", "zstd" }, { "verbose", "yes" }, { "output-io", "buffered" },
	};
	const struct capture_option *table;
	size_t n, i, k;

	(void)state;
	table = capture_options(&n);
	for (i = 0; i < n; i++) {
		const struct capture_option *c = &table[i];
		struct capture_opts a, b, back;
		char err[ERRLEN], want[64], *text = NULL;
		size_t len = 0;
		FILE *f;

		snprintf(want, sizeof(want), "--%s", c->name);
		if (!strstr(capture_usage, want))
			fail_msg("--help lacks %s", want);
		if (!(c->flags & COPT_IN_FILE))
			continue;
		for (k = 0; k < sizeof(samples) / sizeof(samples[0]); k++)
			if (!strcmp(samples[k].name, c->name))
				break;
		if (k == sizeof(samples) / sizeof(samples[0]))
			fail_msg("option %s has no sample value in test_option_table", c->name);
		capture_opts_defaults(&a);
		b = a;
		if (capture_opts_apply_long(&b, c->name, samples[k].value, err, sizeof(err)))
			fail_msg("%s = %s: %s", c->name, samples[k].value, err);
		/* The restart check: exactly the options a reload cannot apply. */
		if (c->flags & COPT_RELOAD)
			assert_null(capture_opts_restart_needed(&a, &b));
		else if (!capture_opts_restart_needed(&a, &b) ||
			 !strstr(capture_opts_restart_needed(&a, &b), c->name))
			fail_msg("changing %s: restart check says %s", c->name,
				 capture_opts_restart_needed(&a, &b) ?: "nothing");
		/* Write-back, read back line by line: the same options. */
		if (c->group == COPT_GROUP_IFACE)
			continue;       /* the unit's instance, never a line of the file */
		f = open_memstream(&text, &len);
		assert_non_null(f);
		assert_int_equal(capture_opts_write(f, "t.conf", &b, err, sizeof(err)), 0);
		assert_int_equal(fclose(f), 0);
		if (!strstr(text, c->name))
			fail_msg("%s was not written back: '%s'", c->name, text);
		capture_opts_defaults(&back);
		{
			char *line = text, *eq, *nl;

			for (; *line; line = nl + 1) {
				nl = strchr(line, '\n');
				assert_non_null(nl);
				*nl = '\0';
				eq = strstr(line, " = ");
				assert_non_null(eq);
				*eq = '\0';
				if (capture_opts_apply_long(&back, line, eq + 3, err, sizeof(err)))
					fail_msg("%s: written back as '%s', read back: %s", c->name,
						 eq + 3, err);
			}
		}
		assert_null(capture_opts_restart_needed(&b, &back));
		free(text);
	}
}

static void test_line_rate_usage(void **state)
{
	static const char *const opts[] = { "--cpus LIST", "--busy-poll", "--umem-frames N",
					    "--rx-ring N", "--fill-ring N",
					    "--timestamps auto|hardware|software" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (!strstr(capture_usage, opts[i]))
			fail_msg("usage text lacks '%s'", opts[i]);
}

int main(void)
{
	FILE *f = fmemopen(capture_usage, sizeof(capture_usage) - 1, "w");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_option_table),
		cmocka_unit_test(test_cpus),
		cmocka_unit_test(test_err_cpus),
		cmocka_unit_test(test_busy_poll_and_rings),
		cmocka_unit_test(test_err_busy_poll_and_rings),
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_line_rate_usage),
		cmocka_unit_test(test_interface_forms),
		cmocka_unit_test(test_sixteen_interfaces),
		cmocka_unit_test(test_snaplen),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_mode),
		cmocka_unit_test(test_ring_size),
		cmocka_unit_test(test_unmatched),
		cmocka_unit_test(test_xdp_mode),
		cmocka_unit_test(test_output_io),
		cmocka_unit_test(test_queues),
		cmocka_unit_test(test_queue_limit),
		cmocka_unit_test(test_copy_modes),
		cmocka_unit_test(test_verbose_help),
		cmocka_unit_test(test_everything_at_once),
		cmocka_unit_test(test_double_dash),
		cmocka_unit_test(test_err_missing_required),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_err_unknown_options),
		cmocka_unit_test(test_interface_any_index_comp),
		cmocka_unit_test(test_err_abbreviations),
		cmocka_unit_test(test_err_missing_value),
		cmocka_unit_test(test_err_interfaces),
		cmocka_unit_test(test_err_write),
		cmocka_unit_test(test_err_snaplen),
		cmocka_unit_test(test_err_duration),
		cmocka_unit_test(test_err_count),
		cmocka_unit_test(test_err_mode),
		cmocka_unit_test(test_err_queue),
		cmocka_unit_test(test_err_copy_and_zero_copy),
		cmocka_unit_test(test_err_positional),
		cmocka_unit_test(test_err_control_chars),
		cmocka_unit_test(test_err_small_buffer),
		cmocka_unit_test(test_parse_twice),
		cmocka_unit_test(test_parser_is_silent),
		cmocka_unit_test(test_expression_words),
		cmocka_unit_test(test_rules_default),
		cmocka_unit_test(test_rules_describe_default),
		cmocka_unit_test(test_rules_describe_empty),
		cmocka_unit_test(test_rules_describe_truncation),
		cmocka_unit_test(test_rules_other_protocols),
		cmocka_unit_test(test_rules_full_table),
		cmocka_unit_test(test_fileset_defaults),
		cmocka_unit_test(test_fileset_options),
		cmocka_unit_test(test_err_fileset_options),
	};

	if (!f)
		return 1;
	capture_opts_usage(f);
	fclose(f);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
