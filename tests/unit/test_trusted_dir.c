// SPDX-License-Identifier: GPL-2.0-only
/*
 * Which directories vpncap trusts to write in while it runs: root's or its
 * own user's, writable by nobody else; the reason named for the others.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trusted_dir.h"

static struct stat dir_of(uid_t uid, gid_t gid, mode_t mode)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_uid = uid;
	st.st_gid = gid;
	st.st_mode = S_IFDIR | mode;
	return st;
}

static void test_trusted(void **state)
{
	char why[128] = "x";
	struct stat st;

	(void)state;
	st = dir_of(0, 0, 0750);
	assert_int_equal(trusted_dir_shared(&st, 0, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	st = dir_of(0, 4, 0755);        /* root's, readable by all: fine */
	assert_int_equal(trusted_dir_shared(&st, 1000, why, sizeof(why)), 0);
	st = dir_of(1000, 1000, 0700);  /* vpncap's own user */
	assert_int_equal(trusted_dir_shared(&st, 1000, why, sizeof(why)), 0);
}

static void test_shared(void **state)
{
	char why[128];
	struct stat st;

	(void)state;
	st = dir_of(65534, 0, 0755);
	assert_int_equal(trusted_dir_shared(&st, 0, why, sizeof(why)), 1);
	assert_string_equal(why, "owned by uid 65534");
	st = dir_of(0, 0, 01777);
	assert_int_equal(trusted_dir_shared(&st, 0, why, sizeof(why)), 1);
	assert_string_equal(why, "writable by everyone (mode 1777)");
	st = dir_of(0, 27, 02775);
	assert_int_equal(trusted_dir_shared(&st, 0, why, sizeof(why)), 1);
	assert_string_equal(why, "writable by group 27 (mode 2775)");
}

static void test_fd(void **state)
{
	char tmpl[] = "/tmp/vpncap-trusted.XXXXXX", why[128];
	int fd;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	fd = open(tmpl, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(chmod(tmpl, 0700), 0);
	assert_int_equal(trusted_dir_shared_fd(fd, why, sizeof(why)), 0);
	assert_int_equal(chmod(tmpl, 0777), 0);
	assert_int_equal(trusted_dir_shared_fd(fd, why, sizeof(why)), 1);
	close(fd);
	assert_int_equal(trusted_dir_shared_fd(fd, why, sizeof(why)), -EBADF);
	rmdir(tmpl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trusted),
		cmocka_unit_test(test_shared),
		cmocka_unit_test(test_fd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
