// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the background captures' records (cmd/background.c), the
 * parts that touch nothing: the record's text both ways, the start time of
 * a /proc/PID/stat line (how a pid is told from a reused one), the
 * transient unit's name, interfaces of a tag, and the summary in a log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmd/background.h"

static void record_round_trip(void **state)
{
	struct bg_record r = { .pid = 4242, .pid_start = 1260590, .started = 1796559045,
			       .tag = "vc0+vc1", .unit = "vpncap-run-vc0\\x2bvc1.service",
			       .output = "/tmp/set dir/", .is_dir = 1, .log_ready = 611 };
	struct bg_record back;
	char text[8192];
	int n = bg_record_format(&r, text, sizeof(text));

	(void)state;
	assert_true(n > 0 && (size_t)n < sizeof(text));
	/* A pid file: the pid alone on the first line. */
	assert_memory_equal(text, "4242\n", 5);
	memset(&back, 0x55, sizeof(back));
	assert_int_equal(bg_record_parse(text, (size_t)n, &back), 0);
	assert_int_equal(back.pid, 4242);
	assert_true(back.pid_start == 1260590ull);
	assert_true(back.started == 1796559045ll);
	assert_string_equal(back.tag, "vc0+vc1");
	assert_string_equal(back.unit, "vpncap-run-vc0\\x2bvc1.service");
	assert_string_equal(back.output, "/tmp/set dir/");
	assert_int_equal(back.is_dir, 1);
	assert_true(back.log_ready == 611ull);

	/* Detached: no unit; keys of a later version are ignored. */
	r.unit[0] = '\0';
	r.is_dir = 0;
	n = bg_record_format(&r, text, sizeof(text));
	strcat(text, "future=1\n");
	assert_int_equal(bg_record_parse(text, strlen(text), &back), 0);
	assert_string_equal(back.unit, "");
	assert_int_equal(back.is_dir, 0);
}

static void record_damaged(void **state)
{
	static const char *const bad[] = {
		"",
		"0\nstart=1\nstarted=1\ntag=a\noutput=/x\nlog_ready=0\n",          /* pid 0 */
		"x12\nstart=1\nstarted=1\ntag=a\noutput=/x\nlog_ready=0\n",        /* not a pid */
		"12\nstarted=1\ntag=a\noutput=/x\nlog_ready=0\n",                  /* no start */
		"12\nstart=1\nstarted=1\noutput=/x\nlog_ready=0\n",                /* no tag */
		"12\nstart=1\nstarted=1\ntag=a\nlog_ready=0\n",                    /* no output */
		"12\nstart=1\nstarted=1\ntag=a\noutput=/x\nlog_ready=-4\n",        /* negative */
		"12\nstart=1\nstarted=1\ntag=a\noutput=/x\n",                      /* cut short */
		"99999999999\nstart=1\nstarted=1\ntag=a\noutput=/x\nlog_ready=0\n", /* no pid_t */
	};
	struct bg_record r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(bg_record_parse(bad[i], strlen(bad[i]), &r), -1);
}

static void stat_starttime(void **state)
{
	/* Field 22, counted after the comm, whatever the comm holds (spaces, ')'). */
	static const char plain[] =
		"20391 (vpncap) S 1 20391 20391 0 -1 4194560 1215 0 0 0 3 5 0 0 20 0 4 0 1260590 12345 100\n";
	static const char odd[] =
		"7 (a) b (c) d) R 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 98765 0 0\n";
	unsigned long long t = 0;

	(void)state;
	assert_int_equal(bg_stat_starttime(plain, &t), 0);
	assert_true(t == 1260590ull);
	assert_int_equal(bg_stat_starttime(odd, &t), 0);
	assert_true(t == 98765ull);
	assert_int_equal(bg_stat_starttime("12 (x) S 1 2 3\n", &t), -1);  /* too short */
	assert_int_equal(bg_stat_starttime("garbage", &t), -1);
}

static void stat_of_this_process(void **state)
{
	(void)state;
	assert_true(bg_proc_starttime(getpid()) > 0);
}

static void unit_names(void **state)
{
	char buf[128], small[20];

	(void)state;
	bg_unit_name(buf, sizeof(buf), "eth0");
	assert_string_equal(buf, "vpncap-run-eth0.service");
	/* '+' of several interfaces and '@' are not unit name characters. */
	bg_unit_name(buf, sizeof(buf), "vc0+v@1");
	assert_string_equal(buf, "vpncap-run-vc0\\x2bv\\x401.service");
	bg_unit_name(buf, sizeof(buf), "br-lan.10:x_y");
	assert_string_equal(buf, "vpncap-run-br-lan.10:x_y.service");
	/* Too long: cut, terminated, the length it needs returned (the caller refuses). */
	assert_int_equal(bg_unit_name(small, sizeof(small), "eth0"), 23);
	assert_true(strlen(small) < sizeof(small));
}

static void tag_interfaces(void **state)
{
	(void)state;
	assert_true(bg_tag_has_iface("eth0", "eth0"));
	assert_true(bg_tag_has_iface("eth0+eth1", "eth1"));
	assert_true(bg_tag_has_iface("eth0+eth1", "eth0"));
	assert_false(bg_tag_has_iface("eth0+eth1", "eth"));
	assert_false(bg_tag_has_iface("eth10", "eth1"));
	assert_false(bg_tag_has_iface("eth0", "eth0+eth1"));
}

static void summary_in_log(void **state)
{
	static const char log[] =
		"vpncap: capturing on vc0 (...)\n"
		"vpncap: summary: seen 1, matched 1, written 1, dropped 0; 1 file completed\n"
		"vpncap: reload: applied\n"
		"vpncap: summary: seen 5, matched 5, written 5, dropped 0; 1 file completed (2360 bytes) in /x/\n"
		"vpncap: x.part: left as .part (no room)";
	const char *s;

	(void)state;
	s = bg_find_summary(log, strlen(log));
	assert_non_null(s);
	assert_memory_equal(s, "vpncap: summary: seen 5,", 24);
	assert_null(bg_find_summary("vpncap: capturing\n", 18));
	/* Only at the start of a line. */
	assert_null(bg_find_summary("x vpncap: summary: seen 1\n", 26));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(record_round_trip), cmocka_unit_test(record_damaged),
		cmocka_unit_test(stat_starttime),   cmocka_unit_test(stat_of_this_process),
		cmocka_unit_test(unit_names),       cmocka_unit_test(tag_interfaces),
		cmocka_unit_test(summary_in_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
