// SPDX-License-Identifier: GPL-2.0-only
/*
 * output_check (capture --check): what -w would find, said without creating
 * or changing anything; refusals worded as the capture words them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "store/output_check.h"

static char base[] = "/tmp/vpncap-output-check.XXXXXX";
static char said[PATH_MAX + 200], err[PATH_MAX + 300];

static const char *in_base(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", base, name);
	return path;
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(base) || chmod(base, 0750))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) ? -1 : 0;
}

static int check_dir(const char *path, int allow_shared)
{
	said[0] = err[0] = '\0';
	return output_check(path, 1, allow_shared, said, sizeof(said), err, sizeof(err));
}

static int check_file(const char *path)
{
	said[0] = err[0] = '\0';
	return output_check(path, 0, 0, said, sizeof(said), err, sizeof(err));
}

static void test_existing_dir(void **state)
{
	char with_slash[PATH_MAX];

	(void)state;
	snprintf(with_slash, sizeof(with_slash), "%s/", base);
	assert_int_equal(check_dir(with_slash, 0), 0);
	assert_string_equal(said, "exists, writable, only root or vpncap's user can write in it");
}

/* A directory to be made: said, and not made. */
static void test_missing_dir(void **state)
{
	struct stat st;
	char parent[PATH_MAX];

	(void)state;
	assert_int_equal(check_dir(in_base("a/b/c/"), 0), 0);
	snprintf(parent, sizeof(parent), "vpncap creates it (mode 0750) under %s", base);
	assert_non_null(strstr(said, parent));
	assert_int_equal(stat(in_base("a"), &st), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_relative_missing_dir(void **state)
{
	char cwd[PATH_MAX];

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(base), 0);
	assert_int_equal(check_dir("new/set", 0), 0);
	assert_non_null(strstr(said, "under ."));
	assert_int_equal(chdir(cwd), 0);
}

static void test_shared_dir(void **state)
{
	const char *dir = in_base("shared");

	(void)state;
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(chmod(dir, 01777), 0);
	assert_int_equal(check_dir(dir, 0), -EPERM);
	assert_non_null(strstr(err, "refused as the capture directory: it is writable by everyone (mode 1777)"));
	assert_null(strchr(err, '\n'));
	assert_int_equal(check_dir(dir, 1), 0);
	assert_string_equal(said, "exists; writable by everyone (mode 1777) (accepted with --allow-shared-dir)");
}

static void test_symlinks_refused(void **state)
{
	(void)state;
	assert_int_equal(symlink(base, in_base("link")), 0);
	assert_true(check_dir(in_base("link"), 0) < 0);
	assert_non_null(strstr(err, "output not writable: is a symbolic link (refused)"));
	assert_int_equal(symlink("/etc/passwd", in_base("file-link")), 0);
	assert_int_equal(check_file(in_base("file-link")), -ELOOP);
	assert_non_null(strstr(err, "is a symbolic link (refused)"));
}

static void test_one_file(void **state)
{
	int fd;

	(void)state;
	assert_int_equal(check_file(in_base("one.pcapng")), 0);
	assert_string_equal(said, "one file, created at start");
	fd = open(in_base("there.pcapng"), O_WRONLY | O_CREAT, 0640);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(check_file(in_base("there.pcapng")), 0);
	assert_string_equal(said, "one file; it exists and a capture replaces it");
	/* Nothing creates a single file's directory. */
	assert_int_equal(check_file(in_base("none/one.pcapng")), -ENOENT);
	assert_non_null(strstr(err, "none/one.pcapng: output not writable: No such file or directory"));
}

/* A file where the set's directory should be. */
static void test_not_a_directory(void **state)
{
	int fd;

	(void)state;
	fd = open(in_base("plain"), O_WRONLY | O_CREAT, 0640);
	assert_true(fd >= 0);
	close(fd);
	assert_true(check_dir(in_base("plain/"), 0) < 0);
	assert_non_null(strstr(err, "output not writable"));
	assert_true(check_dir(in_base("plain/sub/"), 0) < 0);
	assert_non_null(strstr(err, "plain/sub: cannot create the capture directory: Not a directory"));
}

/*
 * --output-io as --check foresees it, from the file system of the nearest
 * existing directory: /tmp (ext4, xfs or btrfs here) direct, /dev/shm
 * (tmpfs) buffered, and direct refused there in the capture's words.
 */
static void test_output_io_foreseen(void **state)
{
	char said[256], err[512];
	struct statfs sfs;

	(void)state;
	if (!statfs("/tmp", &sfs) && output_io_fs_takes_direct((long)sfs.f_type)) {
		assert_int_equal(output_check_io("/tmp/not/yet/", 1, OUTPUT_IO_AUTO, said,
						 sizeof(said), err, sizeof(err)), 0);
		assert_non_null(strstr(said, "direct (O_DIRECT) on "));
		assert_int_equal(output_check_io("/tmp/x.pcapng", 0, OUTPUT_IO_DIRECT, said,
						 sizeof(said), err, sizeof(err)), 0);
		assert_non_null(strstr(said, "direct (O_DIRECT) on "));
	}
	assert_int_equal(output_check_io("/tmp/x.pcapng", 0, OUTPUT_IO_BUFFERED, said,
					 sizeof(said), err, sizeof(err)), 0);
	assert_non_null(strstr(said, "buffered (--output-io buffered)"));
	if (statfs("/dev/shm", &sfs) || sfs.f_type != 0x01021994)
		return;
	assert_int_equal(output_check_io("/dev/shm/set/", 1, OUTPUT_IO_AUTO, said, sizeof(said),
					 err, sizeof(err)), 0);
	assert_string_equal(said, "buffered on tmpfs (O_DIRECT on ext4, xfs and btrfs only)");
	assert_int_equal(output_check_io("/dev/shm/set/", 1, OUTPUT_IO_DIRECT, said, sizeof(said),
					 err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "/dev/shm/set/: --output-io direct: the file system (tmpfs) refuses O_DIRECT: vpncap writes with O_DIRECT on ext4, xfs and btrfs only");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_existing_dir),
		cmocka_unit_test(test_missing_dir),
		cmocka_unit_test(test_relative_missing_dir),
		cmocka_unit_test(test_shared_dir),
		cmocka_unit_test(test_symlinks_refused),
		cmocka_unit_test(test_one_file),
		cmocka_unit_test(test_not_a_directory),
		cmocka_unit_test(test_output_io_foreseen),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
