// SPDX-License-Identifier: GPL-2.0-only
/*
 * keyfile.c, the line reader of the configuration and filter files: what
 * kind each line is, where key and value start and end, and the lines it
 * refuses. The formats' own rules are in test_config and test_filters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "keyfile.h"

static void next_ok(struct keyfile_reader *r, struct keyfile_line *l, enum keyfile_kind kind)
{
	char problem[64] = "";

	assert_int_equal(keyfile_next(r, l, problem, sizeof(problem)), 1);
	assert_int_equal(l->kind, kind);
}

static void assert_span(const char *p, size_t n, const char *want)
{
	assert_int_equal(n, strlen(want));
	assert_memory_equal(p, want, n);
}

static void kinds_and_spans(void **state)
{
	static const char text[] = "\xEF\xBB\xBF  # note = x\n"
				   "\t\r\n"
				   " ; old style\n"
				   "[IKEv2]  \r\n"
				   "  port =  500 ; not a comment \r\n"
				   "key=\n"
				   "= v\n"
				   "just words";
	struct keyfile_reader r;
	struct keyfile_line l;
	char problem[64];

	(void)state;
	keyfile_init(&r, text, sizeof(text) - 1, 100);
	next_ok(&r, &l, KEYFILE_COMMENT);
	assert_span(l.text, l.len, "# note = x");
	next_ok(&r, &l, KEYFILE_BLANK);
	next_ok(&r, &l, KEYFILE_COMMENT);
	next_ok(&r, &l, KEYFILE_SECTION);
	assert_span(l.text, l.len, "[IKEv2]");
	assert_int_equal(l.lineno, 4);
	next_ok(&r, &l, KEYFILE_PAIR);
	assert_span(l.key, l.key_len, "port");
	assert_span(l.value, l.value_len, "500 ; not a comment");
	next_ok(&r, &l, KEYFILE_PAIR);
	assert_span(l.key, l.key_len, "key");
	assert_int_equal(l.value_len, 0);
	next_ok(&r, &l, KEYFILE_PAIR);
	assert_int_equal(l.key_len, 0);
	assert_span(l.value, l.value_len, "v");
	next_ok(&r, &l, KEYFILE_OTHER);     /* no final newline */
	assert_int_equal(l.lineno, 8);
	assert_int_equal(keyfile_next(&r, &l, problem, sizeof(problem)), 0);
}

static void refused_lines(void **state)
{
	static const char nul[] = "a = 1\nb\0 = 2\n";
	char text[64], problem[64] = "";
	struct keyfile_reader r;
	struct keyfile_line l;

	(void)state;
	keyfile_init(&r, nul, sizeof(nul) - 1, 100);
	next_ok(&r, &l, KEYFILE_PAIR);
	assert_int_equal(keyfile_next(&r, &l, problem, sizeof(problem)), -1);
	assert_int_equal(r.lineno, 2);
	assert_string_equal(problem, "malformed line (holds a NUL byte)");

	/* max_line counts the raw line: 10 bytes pass, 11 do not */
	strcpy(text, "k = 123456\nk = 1234567\n");
	keyfile_init(&r, text, strlen(text), 10);
	next_ok(&r, &l, KEYFILE_PAIR);
	assert_int_equal(keyfile_next(&r, &l, problem, sizeof(problem)), -1);
	assert_string_equal(problem, "line longer than 10 bytes");
}

static void empty_text(void **state)
{
	struct keyfile_reader r;
	struct keyfile_line l;
	char problem[8];

	(void)state;
	keyfile_init(&r, NULL, 5, 100);
	assert_int_equal(keyfile_next(&r, &l, problem, sizeof(problem)), 0);
}

static int count_until_stop(void *ctx, const struct keyfile_line *line)
{
	int *seen = ctx;

	(*seen)++;
	return line->kind == KEYFILE_PAIR && line->key_len == 4 && !memcmp(line->key, "stop", 4)
		       ? 7
		       : 0;
}

static void each_line_until_stopped(void **state)
{
	static const char text[] = "a = 1\n# x\nstop = now\nnever = read\n";
	static const char bad[] = "a = 1\n\nb = 2 and a much too long line\n";
	struct keyfile_refusal why;
	int seen = 0;

	(void)state;
	assert_int_equal(keyfile_each(text, sizeof(text) - 1, 100, count_until_stop, &seen, &why),
			 7);
	assert_int_equal(seen, 2);     /* the comment is not handed over */
	seen = 0;
	assert_int_equal(keyfile_each(bad, sizeof(bad) - 1, 12, count_until_stop, &seen, &why),
			 KEYFILE_REFUSED);
	assert_int_equal(seen, 1);     /* nor the blank line */
	assert_int_equal(why.lineno, 3);
	assert_string_equal(why.problem, "line longer than 12 bytes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kinds_and_spans),
		cmocka_unit_test(refused_lines),
		cmocka_unit_test(empty_text),
		cmocka_unit_test(each_line_until_stopped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
