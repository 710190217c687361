// SPDX-License-Identifier: GPL-2.0-only
#include "cmd/cmd.h"
#include "cmd/service.h"
#include "capture/options.h"
#include "log.h"
#include "optparse.h"
#include "capture/config.h"
#include "store/fileset_name.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Run a command, output to our stderr or to out (captured, trimmed). */
static int run(char *const argv[], char *out, size_t outlen)
{
	posix_spawn_file_actions_t fa;
	int pipefd[2] = { -1, -1 }, status = -1;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	if (out && pipe(pipefd) == 0) {
		posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
		posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	}
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (out && outlen) {
		ssize_t n = pipefd[0] >= 0 && pid > 0 ? read(pipefd[0], out, outlen - 1) : 0;

		out[n > 0 ? n : 0] = '\0';
		out[strcspn(out, "\n")] = '\0';
	}
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void unit_name(char *buf, size_t len, const char *iface)
{
	snprintf(buf, len, "vpncap@%s.service", iface);
}

static int systemctl(const char *verb, const char *iface)
{
	char unit[96];
	char *argv[] = { "systemctl", (char *)verb, "--now", unit, NULL };

	unit_name(unit, sizeof(unit), iface);
	if (run(argv, NULL, 0) == 0)
		return 0;
	log_error("%s: systemctl %s --now %s failed (is systemd running?)", iface, verb, unit);
	return -1;
}

static void config_path(char *buf, size_t len, const char *iface)
{
	snprintf(buf, len, "%s/%s.conf", config_dir(), iface);
}

int service_make_persistent(const struct capture_opts *o)
{
	char path[4096], err[512];
	unsigned int i;

	if (mkdir(config_dir(), 0750) && errno != EEXIST) {
		log_error("%s: cannot create: %s", config_dir(), strerror(errno));
		return EXIT_RUNTIME;
	}
	for (i = 0; i < o->n_ifaces; i++) {
		config_path(path, sizeof(path), o->ifaces[i]);
		if (config_write(path, o, err, sizeof(err))) {
			log_error("%s", err);
			return EXIT_RUNTIME;
		}
		if (systemctl("enable", o->ifaces[i]))
			return EXIT_RUNTIME;
		if (o->output)
			printf("vpncap: persistent capture on %s: configuration %s, files in %s (vpncap@%s.service enabled and started)\n",
			       o->ifaces[i], path, o->output, o->ifaces[i]);
		else
			printf("vpncap: persistent capture on %s: configuration %s, files in %s/%s/ (vpncap@%s.service enabled and started)\n",
			       o->ifaces[i], path, SERVICE_STATE_DIR, o->ifaces[i], o->ifaces[i]);
	}
	return EXIT_OK;
}

static const char stop_usage[] =
	"usage: vpncap stop IFACE...\n"
	"\n"
	"Stop and disable the persistent capture vpncap@IFACE.service; its files and\n"
	"its configuration are kept.\n";

static const char status_usage[] =
	"usage: vpncap status\n"
	"\n"
	"The persistent captures (one per configuration file IFACE.conf in the\n"
	"configuration directory), their state and the file being written.\n";

/*
 * The words of a subcommand that takes -h and words only: 1 after -h (usage
 * printed), 0 with *words, *n set, -1 after a usage error (reported).
 */
static int words_or_help(const char *cmd, const char *usage, int argc, char **argv,
			 const char **words, int *n)
{
	static const struct optdef defs[] = { { "help", 'h', 0, 'h', NULL } };
	struct optparse p;
	const char *value;
	char err[256];
	int rc, id;

	*n = 0;
	optparse_init(&p, argc, argv, OPTPARSE_PERMUTE);
	while ((rc = optparse_next(&p, defs, 1, &id, &value, err, sizeof(err))) != OPTPARSE_END) {
		if (rc == OPTPARSE_ERROR) {
			log_error("%s: %s (see 'vpncap %s --help')", cmd, err, cmd);
			return -1;
		}
		if (rc == OPTPARSE_OPTION) {
			fputs(usage, stdout);
			return 1;
		}
		words[(*n)++] = value;
	}
	return 0;
}

int cmd_stop(int argc, char **argv)
{
	const char **ifaces = calloc((size_t)argc + 1, sizeof(*ifaces));
	int i, n, status = EXIT_OK, rc;

	if (!ifaces) {
		log_error("stop: out of memory");
		return EXIT_RUNTIME;
	}
	rc = words_or_help("stop", stop_usage, argc, argv, ifaces, &n);
	if (rc || !n) {
		if (!rc)
			log_error("stop: which interface? (vpncap stop IFACE)");
		free(ifaces);
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	}
	for (i = 0; i < n; i++) {
		char tag[FILESET_TAG_MAX];
		const char *one[] = { ifaces[i] };

		if (fileset_make_tag(tag, sizeof(tag), one, 1)) {
			log_error("stop: '%s' is not an interface name", ifaces[i]);
			status = EXIT_USAGE;
			break;
		}
		if (systemctl("disable", ifaces[i]))
			status = EXIT_RUNTIME;
		else
			printf("vpncap: stopped and disabled vpncap@%s.service (files and %s/%s.conf kept)\n",
			       ifaces[i], config_dir(), ifaces[i]);
	}
	free(ifaces);
	return status;
}

/* The output directory of a persistent capture: its configuration's, or the state directory. */
static void output_of(const char *iface, const char *conf, char *dir, size_t len)
{
	struct config_args args;
	char err[256];
	int i;

	snprintf(dir, len, "%s/%s", SERVICE_STATE_DIR, iface);
	if (config_load(conf, &args, err, sizeof(err)))
		return;
	for (i = 1; i + 1 < args.argc; i++)
		if (!strcmp(args.argv[i], "--write"))
			snprintf(dir, len, "%s", args.argv[i + 1]);
	config_args_free(&args);
}

/* The file being written: the newest .part file of the set. */
static void current_file(const char *dir, char *buf, size_t len)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	snprintf(buf, len, "-");
	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n > 5 && !strcmp(de->d_name + n - 5, ".part") && strcmp(de->d_name, buf) > 0)
			snprintf(buf, len, "%s", de->d_name);
	}
	closedir(d);
}

static void status_line(const char *iface, const char *conf)
{
	char unit[96], state[64], dir[4096], file[512];
	char *argv[] = { "systemctl", "is-active", unit, NULL };

	unit_name(unit, sizeof(unit), iface);
	if (run(argv, state, sizeof(state)) < 0 || !state[0])
		snprintf(state, sizeof(state), "unknown");
	output_of(iface, conf, dir, sizeof(dir));
	current_file(dir, file, sizeof(file));
	printf("%-16s %-10s %-40s %s\n", iface, state, dir, file);
}

int cmd_status(int argc, char **argv)
{
	const char *cdir = config_dir(), *none[1];
	struct dirent *de;
	int n = 0, rc;
	DIR *d;

	if (argc > 2) {
		log_error("status: unexpected argument '%s'", argv[2]);
		return EXIT_USAGE;
	}
	rc = words_or_help("status", status_usage, argc, argv, none, &n);
	if (rc || n) {
		if (!rc)
			log_error("status: unexpected argument '%s'", none[0]);
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	}
	printf("%-16s %-10s %-40s %s\n", "INTERFACE", "STATE", "FILES IN", "CURRENT FILE");
	d = opendir(cdir);
	if (!d)
		return EXIT_OK; /* no persistent capture configured */
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char iface[64], conf[4096];

		/* filters.conf holds the named filters, not an interface's capture. */
		if (len <= 5 || strcmp(de->d_name + len - 5, ".conf") || len - 5 >= sizeof(iface) ||
		    !strcmp(de->d_name, "filters.conf"))
			continue;
		memcpy(iface, de->d_name, len - 5);
		iface[len - 5] = '\0';
		snprintf(conf, sizeof(conf), "%s/%s", cdir, de->d_name);
		status_line(iface, conf);
		n++;
	}
	closedir(d);
	return EXIT_OK;
}
