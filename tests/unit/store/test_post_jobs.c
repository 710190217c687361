// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the post-rotation jobs: post_jobs_run_hook hands the file
 * name to the operator's command as exactly one argument, byte for byte,
 * whatever it contains, and the shell never interprets it (no command
 * substitution, no word splitting, no option parsing); its result is the
 * command's exit status. post_jobs_start/add/stop run the hook once per
 * file, in order, and stop waits for every queued job. post_jobs_complete_file
 * renames only what it could fsync and close, and a file it cannot rename
 * keeps its .part name. (Completion on its own thread, with fsync held:
 * test_fileset_completion.c.)
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
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/post_jobs.h"

static char tmpdir[] = "/tmp/test_post_jobs.XXXXXX";
static char pwned_prefix[64];   /* /tmp/vpncap-pwned-PID- */
static const char pwned_letters[] = "abcdefghijklmn";

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(pwned_prefix, sizeof(pwned_prefix), "/tmp/vpncap-pwned-%ld-", (long)getpid());
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

static void path_in_tmp(char *path, size_t len, const char *name)
{
	snprintf(path, len, "%s/%s", tmpdir, name);
}

/* Writes an executable /bin/sh script; every %s in body is the temp dir. */
static void write_script(const char *name, const char *body)
{
	char path[256], text[2048];
	FILE *f;

	path_in_tmp(path, sizeof(path), name);
	snprintf(text, sizeof(text), body, tmpdir, tmpdir, tmpdir, tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs("#!/bin/sh\n", f) >= 0, 1);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0755), 0);
}

/* Whole file into a malloc'd buffer (NUL added); NULL when it does not exist. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = (n + 4096 + 1) * 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t got = fread(buf + n, 1, 4096, f);

		n += got;
		if (got < 4096)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void pwned_path(char *buf, size_t len, char letter)
{
	snprintf(buf, len, "%s%c", pwned_prefix, letter);
}

static void remove_pwned(void)
{
	char p[96];

	for (const char *l = pwned_letters; *l; l++) {
		pwned_path(p, sizeof(p), *l);
		unlink(p);
	}
}

static void expect_not_pwned(void)
{
	char p[96];

	for (const char *l = pwned_letters; *l; l++) {
		pwned_path(p, sizeof(p), *l);
		if (exists(p)) {
			print_error("injected command ran: %s exists\n", p);
			unlink(p);
			fail();
		}
	}
}

/* The hook's command: rec.sh writes "$#" then "$@", one per line. */
static void make_recorder(char *cmd, size_t len)
{
	write_script("rec.sh", "printf '%%s\\n' \"$#\" \"$@\" > '%s/args'\n");
	snprintf(cmd, len, "'%s/rec.sh'", tmpdir);
}

/* Runs the hook on name and checks rec.sh got exactly one argument, name. */
static void expect_one_arg(const char *cmd, const char *name)
{
	char args[256], *got, *want;
	size_t got_len, want_len = strlen(name) + 3;

	path_in_tmp(args, sizeof(args), "args");
	unlink(args);
	assert_int_equal(post_jobs_run_hook(cmd, name), 0);
	got = slurp(args, &got_len);
	assert_non_null(got);
	want = malloc(want_len + 1);
	assert_non_null(want);
	snprintf(want, want_len + 1, "1\n%s\n", name);
	if (got_len != want_len || memcmp(got, want, want_len)) {
		print_error("name '%s': the command got %zu bytes '%s'\n", name, got_len, got);
		fail();
	}
	free(got);
	free(want);
}

/* ---- post_jobs_run_hook: the name is data, never code ------------------- */

static void test_hook_name_is_one_argument(void **state)
{
	/* %1$s is the pwned-file prefix; each case touches its own letter. */
	static const char *const templates[] = {
		"plain.pcapng",
		"/var/lib/vpncap/vpncap-eth0-20240101T000000Z-000001.pcapng",
		"with space.pcapng",
		"  two  spaces and trailing  ",
		"tab\there",
		"it's.pcapng",
		"say \"hi\".pcapng",
		"'\"'\"mixed'\"",
		"$(touch %1$sa)",
		"x$(touch %1$sb)y.pcapng",
		"\"$(touch %1$sc)\"",
		"`touch %1$sd`",
		"a`touch %1$se`b",
		"a;touch %1$sf; b",
		"a && touch %1$sg",
		"a | touch %1$sh",
		"'; touch %1$si; '",
		"\"; touch %1$sj; \"",
		">%1$sk",
		"a\ntouch %1$sl\n",
		"line1\nline2",
		"\n",
		"-rf",
		"--help",
		"-",
		"-n",
		"-e \\n",
		"$1 $0 $# $@ ${IFS} $HOME ${x:-%1$sm}",
		"*",
		"~",
		"back\\slash\\n\\",
		"%%s%%n%%d%%%%",
		"!!",
		"{a,b}",
		"\303\234berwachung-\346\227\245\346\234\254.pcapng", /* UTF-8 */
		"\xff\xfe\x01\x7f",
		"",
	};
	char cmd[512], name[512];

	(void)state;
	make_recorder(cmd, sizeof(cmd));
	remove_pwned();
	for (size_t i = 0; i < sizeof(templates) / sizeof(templates[0]); i++) {
		snprintf(name, sizeof(name), templates[i], pwned_prefix);
		expect_one_arg(cmd, name);
		expect_not_pwned();
	}
	/* The check itself works: the same text as a command does run. */
	{
		char p[96], evil[256];

		pwned_path(p, sizeof(p), 'n');
		snprintf(evil, sizeof(evil), "touch '%s'; true", p);
		assert_int_equal(post_jobs_run_hook(evil, "x"), 0);
		assert_true(exists(p));
		unlink(p);
	}
}

/* A command longer than any fixed buffer still runs whole, with its argument. */
static void test_hook_long_command(void **state)
{
	char rec[512], *cmd;
	size_t pad = 10000;

	(void)state;
	make_recorder(rec, sizeof(rec));
	cmd = malloc(pad + strlen(rec) + 16);
	assert_non_null(cmd);
	memcpy(cmd, ": ", 2);
	memset(cmd + 2, 'x', pad);
	strcpy(cmd + 2 + pad, "; ");
	strcat(cmd, rec);
	expect_one_arg(cmd, "long command $(x) 'y'");
	free(cmd);
}

static void test_hook_exit_status(void **state)
{
	(void)state;
	assert_int_equal(post_jobs_run_hook("true", "f.pcapng"), 0);
	assert_int_equal(post_jobs_run_hook(":", "f.pcapng"), 0);
	assert_int_equal(post_jobs_run_hook("test -n", "f.pcapng"), 0);
	assert_int_equal(post_jobs_run_hook("test -z", "f.pcapng"), -1);
	assert_int_equal(post_jobs_run_hook("sh -c 'exit 3' hook", "f.pcapng"), -1);
	assert_int_equal(post_jobs_run_hook("f() { return 3; }; f", "f.pcapng"), -1);
	assert_int_equal(post_jobs_run_hook("false", "f.pcapng"), -1);
	assert_int_equal(post_jobs_run_hook("/nonexistent/vpncap-hook", "f.pcapng"), -1);
	assert_int_equal(post_jobs_run_hook("kill -TERM $$; true", "f.pcapng"), -1);
	/* The exit status is the command's, with the name as its argument. */
	assert_int_equal(post_jobs_run_hook("test 'a b' =", "a b"), 0);
	assert_int_equal(post_jobs_run_hook("test 'a b' =", "a  b"), -1);
}

/*
 * vpncap ignores SIGPIPE (main.c); ignored signals stay ignored across exec,
 * so the hook must get the default back, or a pipeline in it whose reader
 * goes away loops on EPIPE instead of ending ("while :; do echo; done | head").
 */
static void test_hook_default_sigpipe(void **state)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;

	(void)state;
	sigemptyset(&ign.sa_mask);
	assert_int_equal(sigaction(SIGPIPE, &ign, &old), 0);
	/* Killed by SIGPIPE like any process that did not ask otherwise. */
	assert_int_equal(post_jobs_run_hook("kill -PIPE $$; true", "f.pcapng"), -1);
	assert_int_equal(post_jobs_run_hook("while :; do echo x; done | head -n 1 >/dev/null; true",
					    "f.pcapng"), 0);
	assert_int_equal(sigaction(SIGPIPE, &old, NULL), 0);
}

/* ---- post_jobs_start / add / stop ---------------------------------------- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static size_t count_lines(const char *path)
{
	size_t len, n = 0;
	char *s = slurp(path, &len);

	if (!s)
		return 0;
	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	free(s);
	return n;
}

static void test_jobs_in_order(void **state)
{
	static const char *const names[] = {
		"a 0.pcapng", "b'1.pcapng", "c\"2.pcapng", "d$(x)3.pcapng", "-e4.pcapng",
	};
	struct post_jobs pj;
	char cmd[512], log[256], want[512] = "", *got;
	size_t len;
	uint64_t t0;

	(void)state;
	write_script("append.sh", "sleep 0.05\nprintf '%%s\\n' \"$#\" \"$1\" >> '%s/log'\n");
	snprintf(cmd, sizeof(cmd), "'%s/append.sh'", tmpdir);
	path_in_tmp(log, sizeof(log), "log");
	unlink(log);

	assert_int_equal(post_jobs_start(&pj, COMPRESS_NONE, cmd), 0);
	assert_int_equal(pj.started, 1);
	t0 = now_ms();
	for (size_t i = 0; i < 5; i++) {
		post_jobs_add(&pj, names[i]);
		strcat(want, "1\n");
		strcat(want, names[i]);
		strcat(want, "\n");
	}
	/* Queued, not run inline: each job sleeps 50 ms. */
	assert_true(count_lines(log) < 10);
	post_jobs_stop(&pj);
	/* stop waited for all five. */
	assert_true(now_ms() - t0 >= 200);
	got = slurp(log, &len);
	assert_non_null(got);
	assert_int_equal(len, strlen(want));
	assert_string_equal(got, want);
	free(got);
	assert_int_equal(pj.started, 0);
	assert_int_equal(pj.hooks_run, 5);
	assert_int_equal(pj.hook_failures, 0);
	assert_int_equal(pj.compressed, 0);
	assert_int_equal(pj.compress_failures, 0);
	assert_int_equal(pj.skipped, 0);
	/* Nothing runs later. */
	usleep(100000);
	assert_int_equal(count_lines(log), 10);
}

static void test_jobs_failures_counted(void **state)
{
	struct post_jobs pj;

	(void)state;
	assert_int_equal(post_jobs_start(&pj, COMPRESS_NONE, "sh -c 'exit 3' hook"), 0);
	post_jobs_add(&pj, "x.pcapng");
	post_jobs_add(&pj, "y.pcapng");
	post_jobs_add(&pj, "z.pcapng");
	post_jobs_stop(&pj);
	assert_int_equal(pj.hooks_run, 3);
	assert_int_equal(pj.hook_failures, 3);
	assert_int_equal(pj.skipped, 0);
}

/* Nothing to do: no thread, add and stop are no-ops. */
static void test_jobs_nothing_to_do(void **state)
{
	struct post_jobs pj;

	(void)state;
	memset(&pj, 0xA5, sizeof(pj));
	assert_int_equal(post_jobs_start(&pj, COMPRESS_NONE, NULL), 0);
	assert_int_equal(pj.started, 0);
	post_jobs_add(&pj, "x.pcapng");
	post_jobs_stop(&pj);
	post_jobs_stop(&pj);
	assert_int_equal(pj.hooks_run, 0);
	assert_int_equal(pj.skipped, 0);
}

/* A stuck hook: the list fills at POST_JOBS_MAX, the rest is skipped and counted. */
static void test_jobs_bounded(void **state)
{
	struct post_jobs pj;
	char cmd[512], log[256], started[256], go[256], name[32], *got, *line;
	size_t len, i;
	uint64_t t0;
	FILE *f;

	(void)state;
	write_script("block.sh",
		     ": > '%s/started'\n"
		     "while [ ! -e '%s/go' ]; do sleep 0.01; done\n"
		     "printf '%%s\\n' \"$1\" >> '%s/blog'\n");
	snprintf(cmd, sizeof(cmd), "'%s/block.sh'", tmpdir);
	path_in_tmp(log, sizeof(log), "blog");
	path_in_tmp(started, sizeof(started), "started");
	path_in_tmp(go, sizeof(go), "go");
	unlink(log);
	unlink(started);
	unlink(go);

	assert_int_equal(post_jobs_start(&pj, COMPRESS_NONE, cmd), 0);
	post_jobs_add(&pj, "f0");
	t0 = now_ms();
	while (!exists(started)) {
		assert_true(now_ms() - t0 < 10000);
		usleep(5000);
	}
	/* f0 is running (out of the list): 64 more fit, the 65th does not. */
	for (i = 1; i <= POST_JOBS_MAX + 1; i++) {
		snprintf(name, sizeof(name), "f%zu", i);
		post_jobs_add(&pj, name);
	}
	assert_int_equal(pj.skipped, 1);
	f = fopen(go, "w");
	assert_non_null(f);
	fclose(f);
	post_jobs_stop(&pj);
	assert_int_equal(pj.hooks_run, POST_JOBS_MAX + 1);
	assert_int_equal(pj.hook_failures, 0);
	assert_int_equal(pj.skipped, 1);
	got = slurp(log, &len);
	assert_non_null(got);
	line = got;
	for (i = 0; i <= POST_JOBS_MAX; i++) {
		char *nl = strchr(line, '\n');

		assert_non_null(nl);
		*nl = '\0';
		snprintf(name, sizeof(name), "f%zu", i);
		assert_string_equal(line, name);
		line = nl + 1;
	}
	assert_string_equal(line, "");
	free(got);
}

/* ---- completion ---------------------------------------------------------- */

static int open_part(char *part, size_t len, const char *name)
{
	int fd;

	path_in_tmp(part, len, name);
	fd = open(part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "data", 4), 4);
	return fd;
}

static void test_complete_file(void **state)
{
	char part[256], final[256];
	int dir_fd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;

	(void)state;
	assert_true(dir_fd >= 0);
	fd = open_part(part, sizeof(part), "c.pcapng.part");
	path_in_tmp(final, sizeof(final), "c.pcapng");
	assert_int_equal(post_jobs_complete_file(dir_fd, fd, part, final), 0);
	assert_true(exists(final));
	assert_false(exists(part));
	assert_int_equal(fcntl(fd, F_GETFD), -1); /* closed */

	/*
	 * The rename fails (a directory holds the final name): said, the file
	 * keeps its .part name, fd closed all the same.
	 */
	fd = open_part(part, sizeof(part), "d.pcapng.part");
	path_in_tmp(final, sizeof(final), "d.pcapng");
	assert_int_equal(mkdir(final, 0700), 0);
	assert_int_equal(post_jobs_complete_file(dir_fd, fd, part, final), -EISDIR);
	assert_true(exists(part));
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	rmdir(final);
	close(dir_fd);
}

/* Files handed over: counted as completed or failed, the first failure named with why. */
static void test_completion_outcome(void **state)
{
	char part[256], final[256], first[256], why[POST_JOBS_WHY];
	uint64_t done, failed;
	struct post_jobs pj;
	int dir_fd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	unsigned int i;

	(void)state;
	assert_true(dir_fd >= 0);
	assert_int_equal(post_jobs_start(&pj, COMPRESS_NONE, NULL), 0);
	assert_int_equal(post_jobs_start_completion(&pj, dir_fd), 0);
	post_jobs_outcome(&pj, &done, &failed, first, sizeof(first), why, sizeof(why));
	assert_true(done == 0 && failed == 0 && !first[0] && !why[0]);
	for (i = 0; i < 4; i++) {
		char name[32];
		int fd;

		snprintf(name, sizeof(name), "o%u.pcapng.part", i);
		fd = open_part(part, sizeof(part), name);
		/* Files 1 and 3 cannot be renamed: a directory holds their final names. */
		snprintf(name, sizeof(name), "o%u.pcapng", i);
		path_in_tmp(final, sizeof(final), name);
		if (i % 2)
			assert_int_equal(mkdir(final, 0700), 0);
		assert_int_equal(post_jobs_hand_over(&pj, fd, part, final), 0);
	}
	post_jobs_wait_completed(&pj);
	post_jobs_outcome(&pj, &done, &failed, first, sizeof(first), why, sizeof(why));
	assert_int_equal(done, 2);
	assert_int_equal(failed, 2);
	path_in_tmp(part, sizeof(part), "o1.pcapng.part");
	assert_string_equal(first, part);
	assert_string_equal(why, "rename: Is a directory");
	post_jobs_stop(&pj);
	close(dir_fd);
}

/* No completion thread: the caller keeps the file and completes it itself. */
static void test_hand_over_without_completer(void **state)
{
	struct post_jobs pj;
	char part[256];
	int fd;

	(void)state;
	fd = open_part(part, sizeof(part), "e.pcapng.part");
	assert_int_equal(post_jobs_start(&pj, COMPRESS_NONE, NULL), 0);
	assert_int_equal(post_jobs_hand_over(&pj, fd, part, "e.pcapng"), -EBUSY);
	assert_int_equal(post_jobs_completing(&pj), 0);
	post_jobs_wait_completed(&pj);
	post_jobs_stop(&pj);
	assert_true(fcntl(fd, F_GETFD) >= 0); /* still the caller's */
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hook_name_is_one_argument),
		cmocka_unit_test(test_hook_long_command),
		cmocka_unit_test(test_hook_exit_status),
		cmocka_unit_test(test_hook_default_sigpipe),
		cmocka_unit_test(test_jobs_in_order),
		cmocka_unit_test(test_jobs_failures_counted),
		cmocka_unit_test(test_jobs_nothing_to_do),
		cmocka_unit_test(test_jobs_bounded),
		cmocka_unit_test(test_complete_file),
		cmocka_unit_test(test_completion_outcome),
		cmocka_unit_test(test_hand_over_without_completer),
	};
	int ret = cmocka_run_group_tests(tests, setup, teardown);

	remove_pwned();
	return ret;
}
