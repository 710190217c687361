// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of log.c: every message is one line on stderr, whatever the
 * names it echoes hold (a directory or interface name with a newline, a
 * tab, an escape sequence), and a long message is printed whole.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

/* Runs one log call with stderr sent to a temporary file; returns what it printed. */
static char *stderr_of(void (*call)(const char *arg), const char *arg)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	char *text = calloc(1, 16384);
	size_t n;

	assert_non_null(tmp);
	assert_non_null(text);
	fflush(stderr);
	assert_int_not_equal(dup2(fileno(tmp), STDERR_FILENO), -1);
	call(arg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(text, 1, 16383, tmp);
	text[n] = '\0';
	fclose(tmp);
	return text;
}

static void error_naming(const char *name)
{
	log_error("%s: cannot open: %s", name, "No such file or directory");
}

static void info_naming(const char *name)
{
	log_info("%s: the interface went away", name);
}

static void test_control_characters_one_line(void **state)
{
	char *out;

	(void)state;
	out = stderr_of(error_naming, "/tmp/new\nline\tdir\r\033[2J\x7f/");
	assert_string_equal(out, "vpncap: /tmp/new?line?dir??[2J?/: cannot open: No such file or directory\n");
	free(out);
	out = stderr_of(info_naming, "eth\n1");
	assert_string_equal(out, "vpncap: eth?1: the interface went away\n");
	free(out);
}

/* Bytes of UTF-8 names are not control characters: they stay. */
static void test_utf8_kept(void **state)
{
	char *out;

	(void)state;
	out = stderr_of(error_naming, "/tmp/caf\xc3\xa9");
	assert_string_equal(out, "vpncap: /tmp/caf\xc3\xa9: cannot open: No such file or directory\n");
	free(out);
}

static void test_long_message_whole(void **state)
{
	char name[6000], want[6100];
	char *out;

	(void)state;
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	name[3000] = '\n';
	snprintf(want, sizeof(want), "vpncap: %s: cannot open: No such file or directory\n", name);
	want[8 + 3000] = '?';
	out = stderr_of(error_naming, name);
	assert_string_equal(out, want);
	free(out);
}

/* Below the level nothing is printed. */
static void test_level(void **state)
{
	char *out;

	(void)state;
	log_set_level(LOG_ERROR);
	out = stderr_of(info_naming, "eth1");
	assert_string_equal(out, "");
	free(out);
	log_set_level(LOG_INFO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_control_characters_one_line),
		cmocka_unit_test(test_utf8_kept),
		cmocka_unit_test(test_long_message_whole),
		cmocka_unit_test(test_level),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
