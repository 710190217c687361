// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the configuration file parser. The input is the
 * text of a configuration file: config_parse reads it from memory (the same
 * path config_load takes after reading the file).
 *
 * abort()s when:
 *  - an error comes back with an empty message, one that spans lines, or
 *    one that does not start "PATH:" (every problem names the file), or out
 *    is not left empty;
 *  - a file is accepted but capture_opts_parse refuses "capture" + its
 *    arguments + "-i x" (only when the file names no interface: a file's
 *    "interface = x" and -i x would be x twice) + "-w y";
 *  - config_expand_argv of "--config FILE -i x -w y" (the file in a memfd)
 *    fails or its result does not parse to exactly interface x and output y;
 *  - config_write refuses the accepted options, or what it writes does not
 *    load back to the same options (files on tmpfs under /dev/shm, when
 *    there is one).
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/options.h"
#include "capture/config.h"

#define MAX_INPUT 65536

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond))                                                 \
			abort();                                             \
	} while (0)

static char path_name[] = "fuzz.conf";
static char write_dir[64];
static char write_path[96];

static void remove_write_dir(void)
{
	char tmp[128];

	snprintf(tmp, sizeof(tmp), "%s.tmp", write_path);
	unlink(write_path);
	unlink(tmp);
	rmdir(write_dir);
}

static int setup_write_dir(void)
{
	static int state; /* 0 not tried, 1 ready, -1 unavailable */

	if (!state) {
		snprintf(write_dir, sizeof(write_dir), "/dev/shm/fuzz_config.XXXXXX");
		state = mkdtemp(write_dir) ? 1 : -1;
		if (state > 0) {
			snprintf(write_path, sizeof(write_path), "%s/x.conf", write_dir);
			atexit(remove_write_dir);
		}
	}
	return state > 0;
}

static int str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static int same_options(const struct capture_opts *a, const struct capture_opts *b)
{
	unsigned int i;

	if (a->n_ifaces != b->n_ifaces || a->n_queues != b->n_queues)
		return 0;
	for (i = 0; i < a->n_ifaces; i++)
		if (strcmp(a->ifaces[i], b->ifaces[i]))
			return 0;
	for (i = 0; i < a->n_queues; i++)
		if (a->queues[i] != b->queues[i])
			return 0;
	return str_eq(a->output, b->output) && a->snaplen == b->snaplen &&
	       a->duration_ms == b->duration_ms && a->count == b->count &&
	       a->mode == b->mode && a->unmatched == b->unmatched &&
	       a->xdp_mode == b->xdp_mode && a->copy == b->copy &&
	       a->rotate_size == b->rotate_size && a->rotate_time_ms == b->rotate_time_ms &&
	       a->max_files == b->max_files && a->max_bytes == b->max_bytes &&
	       a->min_free == b->min_free && a->sync_interval_ms == b->sync_interval_ms &&
	       str_eq(a->on_rotate, b->on_rotate) && a->compress == b->compress &&
	       a->queue_size == b->queue_size && str_eq(a->rules, b->rules) &&
	       a->output_io == b->output_io && a->verbose == b->verbose;
}

static void check_message(const char *err, const char *path)
{
	size_t n = strlen(path);

	CHECK(err[0] != '\0');
	CHECK(strchr(err, '\n') == NULL);
	CHECK(!strncmp(err, path, n) && err[n] == ':');
}

/* "capture" + a's arguments + (-i x when a names no interface) + -w y */
static int parse_file_args(const struct config_args *a, struct capture_opts *o, char *err,
			   size_t errlen)
{
	static char opt_i[] = "-i", opt_x[] = "x", opt_w[] = "-w", opt_y[] = "y";
	char **argv = calloc((size_t)a->argc + 5, sizeof(*argv));
	int argc = 0, i, has_iface = 0, rc;

	CHECK(argv);
	for (i = 0; i < a->argc; i++) {
		argv[argc++] = a->argv[i];
		if (!strcmp(a->argv[i], "--interface"))
			has_iface = 1;
	}
	if (!has_iface) {
		argv[argc++] = opt_i;
		argv[argc++] = opt_x;
	}
	argv[argc++] = opt_w;
	argv[argc++] = opt_y;
	argv[argc] = NULL;
	err[0] = '\0';
	rc = capture_opts_parse(argc, argv, o, err, errlen);
	free(argv);
	return rc;
}

/* The same text behind --config, with the command line's -i and -w. */
static void check_expand(const uint8_t *data, size_t size, const struct capture_opts *from_file)
{
	char fd_path[64], err[512];
	char *cli[] = { "capture", "--config", fd_path, "-i", "x", "-w", "y", NULL };
	struct config_args a;
	struct capture_opts o;
	const char *cfg = NULL;
	int fd = memfd_create("fuzz_config", MFD_CLOEXEC);

	if (fd < 0)
		return;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return;
	}
	snprintf(fd_path, sizeof(fd_path), "/proc/self/fd/%d", fd);
	err[0] = '\0';
	CHECK(config_expand_argv(7, cli, &a, &cfg, err, sizeof(err)) == 0);
	CHECK(cfg == fd_path);
	CHECK(capture_opts_parse(a.argc, a.argv, &o, err, sizeof(err)) == 0);
	CHECK(o.n_ifaces == 1 && !strcmp(o.ifaces[0], "x"));
	CHECK(o.output && !strcmp(o.output, "y"));
	CHECK(o.config == NULL);
	/* Everything else as the file says */
	CHECK(o.n_queues == from_file->n_queues && o.copy == from_file->copy &&
	      o.snaplen == from_file->snaplen && str_eq(o.rules, from_file->rules) &&
	      str_eq(o.on_rotate, from_file->on_rotate));
	config_args_free(&a);
	close(fd);
}

/* config_write of the options, loaded back: the same options. */
static void check_write(const struct capture_opts *o)
{
	struct config_args a;
	struct capture_opts back;
	char err[512];

	if (!setup_write_dir())
		return;
	err[0] = '\0';
	CHECK(config_write(write_path, o, err, sizeof(err)) == 0);
	CHECK(config_load(write_path, &a, err, sizeof(err)) == 0);
	{
		/* The interfaces come from -i, as the unit gives them */
		char **argv = calloc((size_t)a.argc + 2 * CAPTURE_MAX_IFACES + 1, sizeof(*argv));
		static char opt_i[] = "-i";
		int argc = 0, i;
		unsigned int k;

		CHECK(argv);
		for (i = 0; i < a.argc; i++)
			argv[argc++] = a.argv[i];
		for (k = 0; k < o->n_ifaces; k++) {
			argv[argc++] = opt_i;
			argv[argc++] = (char *)o->ifaces[k];
		}
		CHECK(capture_opts_parse(argc, argv, &back, err, sizeof(err)) == 0);
		CHECK(same_options(o, &back));
		free(argv);
	}
	config_args_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_args a = { 0, NULL };
	struct capture_opts o;
	char err[256];
	int rc, i;

	if (size > MAX_INPUT)
		return 0;
	memset(err, 0, sizeof(err));
	rc = config_parse(path_name, (const char *)data, size, &a, err, sizeof(err));
	CHECK(rc == 0 || rc == -1);
	if (rc) {
		check_message(err, path_name);
		CHECK(a.argc == 0 && a.argv == NULL);
		/* A tiny buffer: cut, still terminated */
		{
			char small[5];

			memset(small, 'Z', sizeof(small));
			CHECK(config_parse(path_name, (const char *)data, size, &a, small, 4) == -1);
			CHECK(small[3] == '\0' && small[4] == 'Z');
		}
		return 0;
	}

	CHECK(a.argc >= 1 && a.argv && !strcmp(a.argv[0], "capture") && !a.argv[a.argc]);
	for (i = 1; i < a.argc; i++)
		CHECK(a.argv[i] && !strchr(a.argv[i], '\n') && a.argv[i][0]);
	/*
	 * Every line is a valid option, but options may contradict each other
	 * (--unmatched drop with --mode inline, --force-bypass without bypass):
	 * the option parser refuses those, in one line, as it does on a reload.
	 */
	if (parse_file_args(&a, &o, err, sizeof(err))) {
		CHECK(err[0] && !strchr(err, '\n'));
		config_args_free(&a);
		return 0;
	}
	check_expand(data, size, &o);
	check_write(&o);
	config_args_free(&a);
	return 0;
}
