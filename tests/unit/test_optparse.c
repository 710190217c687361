// SPDX-License-Identifier: GPL-2.0-only
/*
 * The one argument parser of every subcommand: long names are matched
 * whole (getopt_long's abbreviations made PktMon's "--comp nics" mean
 * --compress); an abbreviation is refused with the options it could mean.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "optparse.h"

enum { O_COMP, O_COMPRESS, O_CONFIG, O_COPY, O_COUNT, O_HELP, O_VERBOSE };

static const struct optdef defs[] = {
	{ "comp", 0, 1, O_COMP, NULL },       { "compress", 0, 1, O_COMPRESS, NULL },
	{ "config", 0, 1, O_CONFIG, "FILE" }, { "copy", 0, 0, O_COPY, NULL },
	{ "count", 'c', 1, O_COUNT, NULL },   { "help", 'h', 0, O_HELP, NULL },
	{ "verbose", 'v', 0, O_VERBOSE, NULL },
};
#define N_DEFS (sizeof(defs) / sizeof(defs[0]))

/* The first result of parsing "cmd" + args with flags. */
static int first(unsigned int flags, char **args, int nargs, int *id, const char **value,
		 char *err, size_t errlen)
{
	static char *argv[16];
	struct optparse p;
	int i;

	argv[0] = "cmd";
	for (i = 0; i < nargs; i++)
		argv[i + 1] = args[i];
	argv[nargs + 1] = NULL;
	err[0] = '\0';
	optparse_init(&p, nargs + 1, argv, flags);
	return optparse_next(&p, defs, N_DEFS, id, value, err, errlen);
}

#define FIRST(flags, id, value, err, ...)                                                   \
	first((flags), (char *[]){ __VA_ARGS__ }, sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *), \
	      (id), (value), (err), sizeof(err))

static void test_exact_names(void **state)
{
	const char *value = NULL;
	char err[200];
	int id = -1;

	(void)state;
	assert_int_equal(FIRST(0, &id, &value, err, "--comp", "nics"), OPTPARSE_OPTION);
	assert_int_equal(id, O_COMP);
	assert_string_equal(value, "nics");
	assert_int_equal(FIRST(0, &id, &value, err, "--compress=gzip"), OPTPARSE_OPTION);
	assert_int_equal(id, O_COMPRESS);
	assert_string_equal(value, "gzip");
	assert_int_equal(FIRST(0, &id, &value, err, "--copy"), OPTPARSE_OPTION);
	assert_int_equal(id, O_COPY);
	assert_null(value);
}

static void test_abbreviation_refused(void **state)
{
	const char *value = NULL;
	char err[200];
	int id = -1;

	(void)state;
	/* unique prefix: getopt_long would have taken it */
	assert_int_equal(FIRST(OPTPARSE_PERMUTE | OPTPARSE_CLUSTER, &id, &value, err, "--verb"),
			 OPTPARSE_ERROR);
	assert_non_null(strstr(err, "'--verb'"));
	assert_non_null(strstr(err, "not abbreviated"));
	assert_non_null(strstr(err, "--verbose"));
	assert_null(strchr(err, '\n'));
	/* with a value: the message names the option, not the value */
	assert_int_equal(FIRST(0, &id, &value, err, "--compr=gzip"), OPTPARSE_ERROR);
	assert_non_null(strstr(err, "'--compr'"));
	assert_null(strstr(err, "gzip"));
	assert_non_null(strstr(err, "--compress"));
	assert_null(strstr(err, "--comp,"));
	/* several candidates: all named */
	assert_int_equal(FIRST(0, &id, &value, err, "--co", "x"), OPTPARSE_ERROR);
	assert_non_null(strstr(err, "--comp"));
	assert_non_null(strstr(err, "--compress"));
	assert_non_null(strstr(err, "--config"));
	assert_non_null(strstr(err, "--copy"));
	assert_non_null(strstr(err, ", ...")); /* --count: the fifth, left out */
	assert_null(strchr(err, '\n'));
	/* no candidate: unknown, no suggestion */
	assert_int_equal(FIRST(0, &id, &value, err, "--zz"), OPTPARSE_ERROR);
	assert_string_equal(err, "unknown option '--zz'");
	/* "--" alone still ends the options; "--=x" is unknown */
	assert_int_equal(FIRST(0, &id, &value, err, "--=x"), OPTPARSE_ERROR);
	assert_string_equal(err, "unknown option '--=x'");
}

/* Short options and words are as they were. */
static void test_short_and_words(void **state)
{
	const char *value = NULL;
	char err[200];
	int id = -1;

	(void)state;
	assert_int_equal(FIRST(OPTPARSE_CLUSTER, &id, &value, err, "-vh"), OPTPARSE_OPTION);
	assert_int_equal(id, O_VERBOSE);
	assert_int_equal(FIRST(0, &id, &value, err, "-c5"), OPTPARSE_OPTION);
	assert_int_equal(id, O_COUNT);
	assert_string_equal(value, "5");
	assert_int_equal(FIRST(0, &id, &value, err, "help"), OPTPARSE_WORD);
	assert_string_equal(value, "help");
	assert_int_equal(FIRST(0, &id, &value, err, "--config"), OPTPARSE_ERROR);
	assert_non_null(strstr(err, "needs a FILE"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_names),
		cmocka_unit_test(test_abbreviation_refused),
		cmocka_unit_test(test_short_and_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
