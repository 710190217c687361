// SPDX-License-Identifier: GPL-2.0-only
/*
 * textfile_replace_at, the one way vpncap replaces a file (configuration,
 * filters, the sequence state, metrics, rule hits): the mode whatever the
 * umask, never through a symlink, nothing left behind on failure, and an
 * fsync only when asked for. fsync() is wrapped to count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "textfile.h"

static int fsync_calls;

int __real_fsync(int fd);
int __wrap_fsync(int fd)
{
	fsync_calls++;
	return __real_fsync(fd);
}

struct dir {
	char path[64];
	int fd;
};

static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	snprintf(d->path, sizeof(d->path), "/tmp/vpncap-textfile-XXXXXX");
	assert_non_null(mkdtemp(d->path));
	d->fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(d->fd >= 0);
	fsync_calls = 0;
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;
	char cmd[128];

	close(d->fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	assert_int_equal(system(cmd), 0);
	free(d);
	return 0;
}

static void put(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void assert_text(int dirfd, const char *name, const char *want)
{
	char buf[256] = "";
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static int exists(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void mode_is_the_one_asked_for(void **state)
{
	struct dir *d = *state;
	mode_t old = umask(077);
	struct stat st;

	assert_int_equal(textfile_replace_at(d->fd, "a.prom", "x 1\n", 4, 0644, TEXTFILE_NO_SYNC,
					     NULL, 0), 0);
	umask(old);
	assert_int_equal(fstatat(d->fd, "a.prom", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_text(d->fd, "a.prom", "x 1\n");
	assert_false(exists(d->fd, "a.prom.tmp"));
}

static void replaces_whole_text(void **state)
{
	struct dir *d = *state;

	put(d->fd, "seq", "a much longer old text\n");
	assert_int_equal(textfile_replace_at(d->fd, "seq", "7\n", 2, 0640, TEXTFILE_SYNC, NULL, 0),
			 0);
	assert_text(d->fd, "seq", "7\n");
}

/* A symlink planted at the temporary name goes itself; its target is never written. */
static void symlink_at_tmp_is_removed(void **state)
{
	struct dir *d = *state;
	char err[256] = "";

	put(d->fd, "victim", "keep\n");
	put(d->fd, "c.conf", "old\n");
	assert_int_equal(symlinkat("victim", d->fd, "c.conf.tmp"), 0);
	assert_int_equal(textfile_replace_at(d->fd, "c.conf", "new\n", 4, 0640, TEXTFILE_SYNC, err,
					     sizeof(err)),
			 0);
	assert_text(d->fd, "victim", "keep\n");
	assert_text(d->fd, "c.conf", "new\n");
	assert_false(exists(d->fd, "c.conf.tmp"));
}

/* A directory at the temporary name is not ours to remove: refused, nothing changed. */
static void directory_at_tmp_is_refused(void **state)
{
	struct dir *d = *state;
	char err[256] = "";

	put(d->fd, "c.conf", "old\n");
	assert_int_equal(mkdirat(d->fd, "c.conf.tmp", 0700), 0);
	assert_int_equal(textfile_replace_at(d->fd, "c.conf", "new\n", 4, 0640, TEXTFILE_SYNC, err,
					     sizeof(err)),
			 -EEXIST);
	assert_non_null(strstr(err, "c.conf.tmp"));
	assert_text(d->fd, "c.conf", "old\n");
	unlinkat(d->fd, "c.conf.tmp", AT_REMOVEDIR);
}

static void stale_tmp_goes(void **state)
{
	struct dir *d = *state;

	put(d->fd, "f.conf.tmp", "half of an interrupted wri");
	assert_int_equal(textfile_replace_at(d->fd, "f.conf", "whole\n", 6, 0640, TEXTFILE_SYNC,
					     NULL, 0), 0);
	assert_text(d->fd, "f.conf", "whole\n");
	assert_false(exists(d->fd, "f.conf.tmp"));
}

/* A symlink planted at the name is replaced itself, its target never written. */
static void symlink_at_name_is_not_followed(void **state)
{
	struct dir *d = *state;
	struct stat st;

	put(d->fd, "victim", "keep\n");
	assert_int_equal(symlinkat("victim", d->fd, "m.prom"), 0);
	assert_int_equal(textfile_replace_at(d->fd, "m.prom", "x 2\n", 4, 0644, TEXTFILE_NO_SYNC,
					     NULL, 0), 0);
	assert_text(d->fd, "victim", "keep\n");
	assert_int_equal(fstatat(d->fd, "m.prom", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_text(d->fd, "m.prom", "x 2\n");
}

static void failure_leaves_nothing_behind(void **state)
{
	struct dir *d = *state;
	char err[256] = "";

	assert_int_equal(mkdirat(d->fd, "busy", 0755), 0);
	assert_int_equal(mkdirat(d->fd, "busy/child", 0755), 0);
	/* rename over a non-empty directory fails after the text is written */
	assert_true(textfile_replace_at(d->fd, "busy", "x\n", 2, 0640, TEXTFILE_SYNC, err,
					sizeof(err)) < 0);
	assert_non_null(strstr(err, "cannot write"));
	assert_false(exists(d->fd, "busy.tmp"));
	assert_true(exists(d->fd, "busy/child"));
}

static void sync_only_when_asked(void **state)
{
	struct dir *d = *state;

	assert_int_equal(textfile_replace_at(d->fd, "h.hits", "r 1\n", 4, 0644, TEXTFILE_NO_SYNC,
					     NULL, 0), 0);
	assert_int_equal(fsync_calls, 0);
	assert_int_equal(textfile_replace_at(d->fd, "s.conf", "k=v\n", 4, 0640, TEXTFILE_SYNC,
					     NULL, 0), 0);
	assert_int_equal(fsync_calls, 2);      /* the file, then its directory */
}

/* The path form: relative to the working directory, the parent synced by name. */
static void path_form(void **state)
{
	struct dir *d = *state;
	char path[128];

	snprintf(path, sizeof(path), "%s/p.conf", d->path);
	assert_int_equal(textfile_replace(path, "k=v\n", 4, 0640, NULL, 0), 0);
	assert_text(d->fd, "p.conf", "k=v\n");
	assert_int_equal(fsync_calls, 2);
}

/* In two steps: the new text waits in NAME.tmp, the old stays until the commit. */
static void stage_then_commit(void **state)
{
	struct dir *d = *state;
	struct stat st;

	put(d->fd, "e.conf", "old\n");
	assert_int_equal(textfile_stage_at(d->fd, "e.conf", "new\n", 4, 0640, TEXTFILE_SYNC, NULL,
					   0), 0);
	assert_text(d->fd, "e.conf", "old\n");
	assert_text(d->fd, "e.conf.tmp", "new\n");
	assert_int_equal(fstatat(d->fd, "e.conf.tmp", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(fsync_calls, 1);      /* the file; the directory at the commit */
	assert_int_equal(textfile_commit_at(d->fd, "e.conf", TEXTFILE_SYNC, NULL, 0), 0);
	assert_text(d->fd, "e.conf", "new\n");
	assert_false(exists(d->fd, "e.conf.tmp"));
	assert_int_equal(fsync_calls, 2);
}

static void stage_then_discard(void **state)
{
	struct dir *d = *state;

	assert_int_equal(textfile_stage_at(d->fd, "n.conf", "new\n", 4, 0640, TEXTFILE_SYNC, NULL,
					   0), 0);
	assert_true(exists(d->fd, "n.conf.tmp"));
	textfile_discard_at(d->fd, "n.conf");
	assert_false(exists(d->fd, "n.conf.tmp"));
	assert_false(exists(d->fd, "n.conf"));
}

/* A commit that cannot rename leaves the name as it was and no NAME.tmp. */
static void failed_commit_leaves_nothing_behind(void **state)
{
	struct dir *d = *state;
	char err[256] = "";

	assert_int_equal(mkdirat(d->fd, "busy", 0755), 0);
	assert_int_equal(mkdirat(d->fd, "busy/child", 0755), 0);
	assert_int_equal(textfile_stage_at(d->fd, "busy", "x\n", 2, 0640, TEXTFILE_SYNC, err,
					   sizeof(err)), 0);
	assert_true(textfile_commit_at(d->fd, "busy", TEXTFILE_SYNC, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "busy.tmp: cannot write"));
	assert_false(exists(d->fd, "busy.tmp"));
	assert_true(exists(d->fd, "busy/child"));
	/* Nothing staged: nothing to rename */
	assert_true(textfile_commit_at(d->fd, "none", TEXTFILE_SYNC, err, sizeof(err)) < 0);
	assert_false(exists(d->fd, "none"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(mode_is_the_one_asked_for, setup, teardown),
		cmocka_unit_test_setup_teardown(replaces_whole_text, setup, teardown),
		cmocka_unit_test_setup_teardown(symlink_at_tmp_is_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(directory_at_tmp_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(stale_tmp_goes, setup, teardown),
		cmocka_unit_test_setup_teardown(symlink_at_name_is_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(failure_leaves_nothing_behind, setup, teardown),
		cmocka_unit_test_setup_teardown(sync_only_when_asked, setup, teardown),
		cmocka_unit_test_setup_teardown(path_form, setup, teardown),
		cmocka_unit_test_setup_teardown(stage_then_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(stage_then_discard, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_commit_leaves_nothing_behind, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
