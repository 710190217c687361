// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the command-line file list: a directory's capture files in
 * file-set sequence order (numbers compared as numbers, whatever their
 * digits and start stamps), compressed members in their place, .part,
 * dot files and other names left out, the argument index of each entry,
 * '-' as is, and the one-line errors for a missing path and a directory
 * without capture files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "read/input_list.h"

static char dir[64];

static void touch(const char *name)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/vpncap-input-list.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The names of l's entries, after "DIR/", joined by spaces. */
static void names(const struct input_list *l, char *out, size_t len)
{
	size_t i, dl = strlen(dir) + 1;

	out[0] = '\0';
	for (i = 0; i < l->n; i++) {
		const char *p = l->v[i].path;

		if (!strncmp(p, dir, dl - 1) && p[dl - 1] == '/')
			p += dl;
		snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? " " : "", p);
	}
}

static void test_sequence_order(void **state)
{
	struct input_list l = { 0 };
	char *args[] = { dir }, err[256], got[2048];

	(void)state;
	/* Later start stamps for the lower numbers (a clock stepped back): the number wins. */
	touch("vpncap-eth0-20261206T100000Z-000010.pcapng.zst");
	touch("vpncap-eth0-20261206T110000Z-000009.pcapng.gz");
	touch("vpncap-eth0-20261206T090000Z-000011.pcapng");
	/* 1000000 has a seventh digit: after 999999, though its name sorts first. */
	touch("vpncap-eth0-20261206T120000Z-1000000.pcapng");
	touch("vpncap-eth0-20261206T120000Z-999999.pcapng");
	/* Left out: being written, a dot file, not a capture file. */
	touch("vpncap-eth0-20261206T130000Z-1000001.pcapng.part");
	touch(".vpncap-eth0-20261206T130000Z-000001.pcapng");
	touch(".hidden.pcap");
	touch("notes.txt");
	touch("x.pcap.part");
	/* Another set (a tag with '-' and '+'), and others' files by name. */
	touch("vpncap-veth-a+veth-b-20261206T080000Z-000002.pcapng");
	touch("vpncap-veth-a+veth-b-20261206T070000Z-000001.pcapng");
	touch("b.pcapng");
	touch("a.pcap");
	assert_int_equal(input_list_expand(&l, 1, args, err, sizeof(err)), 0);
	names(&l, got, sizeof(got));
	assert_string_equal(got, "a.pcap b.pcapng "
			    "vpncap-eth0-20261206T110000Z-000009.pcapng.gz "
			    "vpncap-eth0-20261206T100000Z-000010.pcapng.zst "
			    "vpncap-eth0-20261206T090000Z-000011.pcapng "
			    "vpncap-eth0-20261206T120000Z-999999.pcapng "
			    "vpncap-eth0-20261206T120000Z-1000000.pcapng "
			    "vpncap-veth-a+veth-b-20261206T070000Z-000001.pcapng "
			    "vpncap-veth-a+veth-b-20261206T080000Z-000002.pcapng");
	assert_int_equal(l.v[0].arg, 0);
	assert_int_equal(l.v[l.n - 1].arg, 0);
	input_list_free(&l);
	assert_int_equal(l.n, 0);
}

static void test_name_cmp(void **state)
{
	(void)state;
	assert_true(input_list_name_cmp("vpncap-eth0-20261206T100000Z-000009.pcapng",
					"vpncap-eth0-20261206T100000Z-000010.pcapng") < 0);
	/* Fewer than 6 digits: not a member, name order. */
	assert_true(input_list_name_cmp("vpncap-eth0-20261206T100000Z-10.pcapng",
					"vpncap-eth0-20261206T100000Z-9.pcapng") < 0);
	assert_true(input_list_name_cmp("vpncap-eth0-20261206T230000Z-000009.pcapng",
					"vpncap-eth0-20261206T010000Z-000010.pcapng.gz") < 0);
	assert_int_equal(input_list_name_cmp("a.pcap", "a.pcap"), 0);
	/* Another tag after the whole set of a tag that is its prefix. */
	assert_true(input_list_name_cmp("vpncap-eth0-20261206T100000Z-000009.pcapng",
					"vpncap-eth0-x-20261206T000000Z-000001.pcapng") < 0);
	assert_true(input_list_capture_name("vpncap-eth0-20261206T100000Z-000009.pcapng.zst"));
	assert_true(input_list_capture_name("trace.pcap"));
	assert_false(input_list_capture_name("trace.pcap.gz"));
	assert_false(input_list_capture_name("vpncap-eth0-20261206T100000Z-000009.pcapng.part"));
	assert_false(input_list_capture_name(".trace.pcapng"));
}

static void test_arguments(void **state)
{
	struct input_list l = { 0 };
	char file[128], err[256];
	char *args[3] = { file, "-", dir };

	(void)state;
	touch("vpncap-eth0-20261206T100000Z-000002.pcapng");
	touch("vpncap-eth0-20261206T090000Z-000001.pcapng");
	snprintf(file, sizeof(file), "%s/notes.txt", dir);  /* a file is taken as is */
	touch("notes.txt");
	assert_int_equal(input_list_expand(&l, 3, args, err, sizeof(err)), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[0].path, file);
	assert_int_equal(l.v[0].arg, 0);
	assert_string_equal(l.v[1].path, "-");
	assert_int_equal(l.v[1].arg, 1);
	assert_non_null(strstr(l.v[2].path, "-000001.pcapng"));
	assert_int_equal(l.v[2].arg, 2);
	assert_int_equal(l.v[3].arg, 2);
	input_list_free(&l);
}

/* "ring/" lists as "ring/NAME", not "ring//NAME". */
static void test_trailing_slash(void **state)
{
	struct input_list l = { 0 };
	char arg[128], want[256], err[256];
	char *args[1] = { arg };

	(void)state;
	touch("a.pcap");
	snprintf(arg, sizeof(arg), "%s/", dir);
	snprintf(want, sizeof(want), "%s/a.pcap", dir);
	assert_int_equal(input_list_expand(&l, 1, args, err, sizeof(err)), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].path, want);
	input_list_free(&l);
}

static void test_errors(void **state)
{
	struct input_list l = { 0 };
	char missing[128], want[256], err[256];
	char *args[2] = { dir, missing };

	(void)state;
	touch("notes.txt");
	touch("a.pcapng.part");
	assert_int_equal(input_list_expand(&l, 1, args, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: no capture files (vpncap-*.pcapng*, *.pcap, *.pcapng)", dir);
	assert_string_equal(err, want);
	assert_int_equal(l.n, 0);
	snprintf(missing, sizeof(missing), "%s/missing.pcap", dir);
	assert_int_equal(input_list_add_arg(&l, missing, 1, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: No such file or directory", missing);
	assert_string_equal(err, want);
	assert_int_equal(l.n, 0);
	/* What came before an error stays listed, for the caller to free. */
	touch("a.pcap");
	assert_int_equal(input_list_expand(&l, 2, args, err, sizeof(err)), -1);
	assert_int_equal(l.n, 1);
	assert_string_equal(err, want);
	input_list_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sequence_order, setup, teardown),
		cmocka_unit_test(test_name_cmp),
		cmocka_unit_test_setup_teardown(test_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trailing_slash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
