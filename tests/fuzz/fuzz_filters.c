// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the named filters. Each input is used twice:
 *
 *  1. as the text of a filters.conf, through filters_parse (what
 *     filters_load does after reading the file);
 *  2. as a NUL-separated argument list after "add" (at most 64 strings; a
 *     NUL at the very end adds no empty argument), through filters_add_args
 *     on a fixed set, and through `vpncap filter --config-dir DIR add ...`
 *     (cmd_filter) on the same set saved in DIR/filters.conf.
 *
 * abort()s when:
 *  - a refused file gives an empty message, one that spans lines or does
 *    not start "fuzz.conf:LINE:", or a set that is not empty;
 *  - an accepted file holds a bad name or a rule filters_save
 *    refuses, its description is not what its length says, or it does not
 *    come back byte-identical from filters_save + filters_load;
 *  - filters_add_args fails with an empty or multi-line message, or changes
 *    the set when it fails (or for --help); succeeds without adding a
 *    filter, or changes the filters that were there; or its result does not
 *    come back identical from filters_save + filters_load;
 *  - cmd_filter does not agree with it: exit 2, exactly one line
 *    "vpncap: filter add: ..." on stderr and the file byte-for-byte
 *    unchanged when it failed; exit 0, nothing on stderr and the file
 *    unchanged for --help; exit 0, nothing on stderr but "warning:" lines
 *    (a filter an earlier one covers) and the file loading to its set when
 *    it succeeded.
 * Files live on tmpfs under /dev/shm when there is one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/filter.h"
#include "capture/filters.h"
#include "vpncap/abi.h"

#define MAX_INPUT 65536
#define MAX_ARGV 64

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond))                                                 \
			abort();                                             \
	} while (0)

static char dir[64];
static char conf[128];
static char trip[128];
static struct filter_set base;          /* the set add works on */
static char *base_text;                 /* its file */
static size_t base_len;

static void remove_dir(void)
{
	char tmp[160];

	unlink(conf);
	unlink(trip);
	snprintf(tmp, sizeof(tmp), "%s.tmp", conf);
	unlink(tmp);
	snprintf(tmp, sizeof(tmp), "%s.tmp", trip);
	unlink(tmp);
	rmdir(dir);
}

static char *read_file(const char *path, size_t *len)
{
	char *buf = NULL;
	size_t cap = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	CHECK(fd >= 0);
	*len = 0;
	for (;;) {
		ssize_t n;

		if (*len == cap) {
			cap = cap ? cap * 2 : 16384;
			buf = realloc(buf, cap);
			CHECK(buf);
		}
		n = read(fd, buf + *len, cap - *len);
		CHECK(n >= 0);
		if (!n)
			break;
		*len += (size_t)n;
	}
	close(fd);
	return buf;
}

static void setup(void)
{
	static int done;
	char err[512];
	char *preset[] = { "add", "--preset", "aovpn", NULL };
	char *net[] = { "add", "Net", "--any-ip", "10.0.0.0/8", "--any-ip", "2001:db8::/32",
			"--snaplen", "128", NULL };
	char *expr[] = { "add", "Big", "--expr", "udp and greater 1000", NULL };
	char *range[] = { "add", "Range", "-t", "tcp", "-p", "1000-2000", "--vlan", "7", NULL };

	if (done)
		return;
	done = 1;
	snprintf(dir, sizeof(dir), "/dev/shm/fuzz_filters.XXXXXX");
	if (!mkdtemp(dir)) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz_filters.XXXXXX");
		CHECK(mkdtemp(dir));
	}
	snprintf(conf, sizeof(conf), "%s/filters.conf", dir);
	snprintf(trip, sizeof(trip), "%s/trip.conf", dir);
	atexit(remove_dir);
	/* No running capture's hits */
	filters_set_hits_dir(dir);
	filters_set_live_hits(0);

	memset(&base, 0, sizeof(base));
	CHECK(filters_add_args(&base, 3, preset, err, sizeof(err)) == 0);
	CHECK(filters_add_args(&base, 8, net, err, sizeof(err)) == 0);
	CHECK(filters_add_args(&base, 8, range, err, sizeof(err)) == 0);
	CHECK(filters_add_args(&base, 4, expr, err, sizeof(err)) == 0);
	CHECK(filters_save(conf, &base, err, sizeof(err)) == 0);
	base_text = read_file(conf, &base_len);
}

static void check_one_line(const char *err)
{
	CHECK(err[0] != '\0');
	CHECK(strchr(err, '\n') == NULL);
}

/* filters_save + filters_load give the same bytes back. */
static void check_round_trip(const struct filter_set *set)
{
	static struct filter_set back;
	char err[512];

	err[0] = '\0';
	CHECK(filters_save(trip, set, err, sizeof(err)) == 0);
	CHECK(filters_load(trip, &back, err, sizeof(err)) == 0);
	CHECK(!memcmp(&back, set, sizeof(back)));
}

static void check_set(const struct filter_set *set)
{
	static struct vpncap_ruleset rs;
	char small[16];
	char *words;
	unsigned int i;
	int n;

	CHECK(set->count <= VPNCAP_MAX_RULES);
	for (i = 0; i < set->count; i++) {
		CHECK(filters_valid_name(set->names[i]));
		/* names may repeat (PktMon): the first of a name is found */
		CHECK(filters_find(set, set->names[i]) >= 0 &&
		      filters_find(set, set->names[i]) <= (int)i);
		CHECK(filters_name(set, i) == set->names[i]);
	}
	CHECK(filters_name(set, set->count) == NULL);
	n = filters_describe(set, NULL, 0);
	CHECK(n > 0);
	words = malloc((size_t)n + 1);
	CHECK(words);
	CHECK(filters_describe(set, words, (size_t)n + 1) == n);
	CHECK(strlen(words) == (size_t)n && !strchr(words, '\n'));
	memset(small, 'Z', sizeof(small));
	CHECK(filters_describe(set, small, 8) == n && strlen(small) == (size_t)(n < 7 ? n : 7));
	free(words);
	CHECK(filters_to_ruleset(set, &rs, NULL) == 0 && rs.count == set->count);
	for (i = 0, n = 0; i < set->count; i++) {
		struct vpncap_rule r = set->rules[i];

		if (r.fields & VPNCAP_F_EXPR)
			r.expr_slot = (__u8)n++;
		CHECK(!memcmp(&rs.rules[i], &r, sizeof(r)));
		/* a covering filter is always an earlier one */
		CHECK(filters_covered_by(set, i) < (int)i);
	}
	CHECK(rs.n_exprs == (__u32)n && n <= VPNCAP_MAX_EXPRS);
}

static void fuzz_file(const uint8_t *data, size_t size)
{
	static struct filter_set set, zero;
	char err[512];
	int rc;

	memset(err, 0, sizeof(err));
	rc = filters_parse("fuzz.conf", (const char *)data, size, &set, err, sizeof(err));
	CHECK(rc == 0 || rc == -EINVAL);
	if (rc) {
		check_one_line(err);
		CHECK(!strncmp(err, "fuzz.conf:", 10) && err[10] >= '1' && err[10] <= '9');
		CHECK(!memcmp(&set, &zero, sizeof(set)));
		return;
	}
	check_set(&set);
	check_round_trip(&set);
}

/* cmd_filter with stdout to /dev/null and stderr into buf. Exit status. */
static int run_cli(int argc, char **argv, char *buf, size_t len)
{
	int so, se, null, mem, status;
	ssize_t n;

	fflush(stdout);
	fflush(stderr);
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	mem = memfd_create("fuzz_filters_stderr", MFD_CLOEXEC);
	CHECK(null >= 0 && mem >= 0);
	so = dup(1);
	se = dup(2);
	CHECK(so >= 0 && se >= 0);
	dup2(null, 1);
	dup2(mem, 2);
	status = cmd_filter(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	close(null);
	n = pread(mem, buf, len - 1, 0);
	CHECK(n >= 0);
	buf[n] = '\0';
	close(mem);
	return status;
}

static int file_is_base(void)
{
	size_t len;
	char *text = read_file(conf, &len);
	int same = len == base_len && !memcmp(text, base_text, len);

	free(text);
	return same;
}

static void fuzz_add(const uint8_t *data, size_t size)
{
	static struct filter_set set, back;
	char *buf = malloc(size + 1), *argv[MAX_ARGV + 2], *cli[MAX_ARGV + 6];
	char err[512], out[4096];
	size_t pos = 0;
	int argc = 0, rc, status, i, n = 0;

	CHECK(buf);
	if (size)
		memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = "add";
	while (pos < size && argc <= MAX_ARGV) {
		argv[argc++] = buf + pos;
		pos += strlen(buf + pos) + 1;
	}
	argv[argc] = NULL;

	set = base;
	memset(err, 0, sizeof(err));
	rc = filters_add_args(&set, argc, argv, err, sizeof(err));
	CHECK(rc == 0 || rc == 1 || rc == -1);
	if (rc) {
		if (rc < 0)
			check_one_line(err);
		CHECK(!memcmp(&set, &base, sizeof(set)));
	} else {
		CHECK(set.count > base.count);
		CHECK(!memcmp(set.names, base.names, base.count * sizeof(base.names[0])));
		CHECK(!memcmp(set.rules, base.rules, base.count * sizeof(base.rules[0])));
		CHECK(!memcmp(set.exprs, base.exprs, base.count * sizeof(base.exprs[0])));
		check_set(&set);
		check_round_trip(&set);
	}

	/* The command, on the same set in a file */
	cli[n++] = "filter";
	cli[n++] = "--config-dir";
	cli[n++] = dir;
	for (i = 0; i < argc; i++)
		cli[n++] = argv[i];
	cli[n] = NULL;
	status = run_cli(n, cli, out, sizeof(out));
	if (rc < 0) {
		size_t len = strlen(out);

		CHECK(status == 2);
		CHECK(!strncmp(out, "vpncap: filter add: ", 20) && len > 20);
		CHECK(out[len - 1] == '\n' && strchr(out, '\n') == out + len - 1);
		CHECK(file_is_base());
	} else if (rc == 1) {
		CHECK(status == 0 && out[0] == '\0');
		CHECK(file_is_base());
	} else {
		char e2[512], *line;

		/* nothing on stderr but warnings of filters that never match, one line each */
		CHECK(status == 0);
		for (line = out; *line; line = strchr(line, '\n') + 1)
			CHECK(!strncmp(line, "vpncap: filter add: warning: ", 29) && strchr(line, '\n'));
		CHECK(filters_load(conf, &back, e2, sizeof(e2)) == 0);
		CHECK(!memcmp(&back, &set, sizeof(back)));
		/* Back to the base for the next input */
		CHECK(filters_save(conf, &base, e2, sizeof(e2)) == 0);
		CHECK(file_is_base());
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_INPUT)
		return 0;
	setup();
	fuzz_file(data, size);
	fuzz_add(data, size);
	return 0;
}
