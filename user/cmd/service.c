// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE /* pipe2 */
#include "cmd/background.h"
#include "cmd/cmd.h"
#include "cmd/service.h"
#include "capture/options.h"
#include "log.h"
#include "optparse.h"
#include "capture/config.h"
#include "store/fileset_name.h"
#include "textfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int service_run(char *const argv[], char *out, size_t outlen, unsigned int flags)
{
	posix_spawn_file_actions_t fa;
	int pipefd[2] = { -1, -1 }, status = -1;
	pid_t pid;

	fflush(stdout); /* what we said comes before what it says */
	posix_spawn_file_actions_init(&fa);
	/* Close-on-exec: only the dup2()ed ends reach the command (and what it leaves running). */
	if (out && pipe2(pipefd, O_CLOEXEC) == 0) {
		posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
		if (flags & SERVICE_RUN_STDERR)
			posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
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

static int run(char *const argv[], char *out, size_t outlen)
{
	return service_run(argv, out, outlen, 0);
}

static void unit_name(char *buf, size_t len, const char *iface)
{
	snprintf(buf, len, "vpncap@%s.service", iface);
}

/* systemctl VERB [--now] vpncap@IFACE.service; 0 when it succeeded. */
static int systemctl_quiet(const char *verb, int now, const char *iface)
{
	char unit[96];
	char *argv[] = { "systemctl", (char *)verb, now ? "--now" : unit, now ? unit : NULL, NULL };

	unit_name(unit, sizeof(unit), iface);
	return run(argv, NULL, 0) == 0 ? 0 : -1;
}

/* The same, a failure said. */
static int systemctl(const char *verb, int now, const char *iface)
{
	if (!systemctl_quiet(verb, now, iface))
		return 0;
	log_error("%s: systemctl %s%s vpncap@%s.service failed (is systemd running?)", iface, verb,
		  now ? " --now" : "", iface);
	return -1;
}

/* Does `systemctl VERB vpncap@IFACE.service` (is-enabled, is-active) answer state? */
static int unit_is(const char *verb, const char *iface, const char *state)
{
	char unit[96], out[64];
	char *argv[] = { "systemctl", (char *)verb, unit, NULL };

	unit_name(unit, sizeof(unit), iface);
	return run(argv, out, sizeof(out)) >= 0 && !strcmp(out, state);
}

/* ---- --persistent ------------------------------------------------------------ */

/*
 * The unit reads CONFIG_DIR_DEFAULT/%I.conf whatever $VPNCAP_CONFIG_DIR says,
 * so a configuration anywhere else would never start. The same directory
 * by another name (a trailing '/', a symlink) is that directory.
 */
static int unit_reads_config_dir(void)
{
	const char *dir = config_dir();
	struct stat a, b;

	if (!strcmp(dir, CONFIG_DIR_DEFAULT))
		return 1;
	return !stat(dir, &a) && !stat(CONFIG_DIR_DEFAULT, &b) && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* A one-shot option as the user gave it: "--duration 5", its value from its line in text. */
static void given_as(const struct capture_option *c, const char *text, char *buf, size_t len)
{
	char line[80];
	const char *at;

	snprintf(line, sizeof(line), "\n%s = ", c->name);
	at = strstr(text, line);
	if (!at) {
		snprintf(buf, len, "--%s", c->name);
		return;
	}
	at += strlen(line);
	snprintf(buf, len, "--%s %.*s", c->name, (int)strcspn(at, "\n"), at);
}

/*
 * The configuration as vpncap@IFACE will run it: text loaded back, the
 * state directory first and -i IFACE last (cmd/capture.c, the unit's
 * ExecStart). 0, or -1 with err.
 */
static int parses_as_the_unit_runs_it(const char *path, const char *iface, const char *text,
				      size_t len, char *err, size_t errlen)
{
	char state[sizeof(SERVICE_STATE_DIR) + 32], **argv;
	struct capture_opts boot;
	struct config_args a;
	int i, n = 0, rc = -1;

	if (config_parse(path, text, len, &a, err, errlen))
		return -1;
	argv = calloc((size_t)a.argc + 5, sizeof(*argv));
	if (!argv) {
		err_set(err, errlen, "out of memory");
		goto out;
	}
	snprintf(state, sizeof(state), "%s/%s/", SERVICE_STATE_DIR, iface);
	argv[n++] = a.argv[0];
	argv[n++] = "-w";
	argv[n++] = state;
	for (i = 1; i < a.argc; i++)
		argv[n++] = a.argv[i];
	argv[n++] = "-i";
	argv[n++] = (char *)iface;
	rc = capture_opts_parse(n, argv, &boot, err, errlen);
out:
	free(argv);
	config_args_free(&a);
	return rc;
}

/*
 * The options as the boot service will run them, before anything is
 * touched: no option that ends the capture, and the file as written reads
 * back. An exit status.
 */
static int check_options(const struct capture_opts *o, const char *iface)
{
	const struct capture_option *once = capture_opts_one_shot(o);
	char path[4096], err[512], given[128], *text;
	size_t len;
	int status = EXIT_OK;

	snprintf(path, sizeof(path), "%s/%s.conf", config_dir(), iface);
	if (config_format(path, iface, o, &text, &len, err, sizeof(err))) {
		log_error("%s", err);
		return EXIT_USAGE;
	}
	if (once) {
		given_as(once, text, given, sizeof(given));
		log_error("capture: %s is one-shot: the boot capture would stop by it; leave it out with --persistent",
			  given);
		status = EXIT_USAGE;
	} else if (parses_as_the_unit_runs_it(path, iface, text, len, err, sizeof(err))) {
		log_error("capture: vpncap@%s.service would refuse this configuration: %s", iface,
			  err);
		status = EXIT_USAGE;
	}
	free(text);
	return status;
}

/*
 * The configuration directory, made if missing (*made set); -1 (said so)
 * when it cannot be opened.
 */
static int open_config_dir(int *made)
{
	int fd;

	*made = !mkdir(config_dir(), 0750);
	if (!*made && errno != EEXIST) {
		log_error("%s: cannot create: %s", config_dir(), strerror(errno));
		return -1;
	}
	fd = open(config_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		log_error("%s: cannot open: %s", config_dir(), strerror(errno));
	return fd;
}

/* One interface made persistent, and what to put back if its unit fails. */
struct persist {
	const char *iface;
	int dirfd;              /* the configuration directory */
	char name[64];          /* IFACE.conf in it */
	char path[4096];
	char *old;              /* the configuration replaced, NULL: there was none */
	size_t old_len;
	mode_t old_mode;
	int was_enabled, was_active;
};

/* The configuration there now, kept to be put back; -1 (said so) when unreadable. */
static int read_old(struct persist *p)
{
	struct stat st;
	int rc = textfile_read(p->path, 1u << 20, &p->old, &p->old_len);

	if (rc == -ENOENT)
		return 0;
	if (!rc && !stat(p->path, &st)) {
		p->old_mode = st.st_mode & 07777;
		return 0;
	}
	log_error("%s: cannot read: %s; nothing changed", p->path, strerror(rc ? -rc : errno));
	free(p->old);
	p->old = NULL;
	return -1;
}

/* The old configuration against the new, key by key, before it is replaced. */
static void show_diff(const struct persist *p, const char *text, size_t len)
{
	char *diff = NULL;
	size_t diff_len = 0;
	FILE *f = open_memstream(&diff, &diff_len);
	int n = f ? config_diff(f, p->old, p->old_len, text, len) : -ENOMEM;

	if (f)
		fclose(f);
	if (n < 0)
		printf("vpncap: %s: %s %s (its lines cannot be compared)\n", p->iface, p->path,
		       p->old ? "is replaced" : "is new");
	else if (!p->old)
		printf("vpncap: %s: new configuration %s%s\n%s", p->iface, p->path,
		       n ? ":" : " (all defaults)", n ? diff : "");
	else if (!n)
		printf("vpncap: %s: %s unchanged\n", p->iface, p->path);
	else
		printf("vpncap: %s: %s changes:\n%s", p->iface, p->path, diff);
	free(diff);
}

/* After a failed restart: the old configuration back, the unit as it was. */
static void roll_back(const struct persist *p)
{
	char err[512] = "";
	int rc;

	if (p->old) {
		rc = textfile_replace_at(p->dirfd, p->name, p->old, p->old_len, p->old_mode,
					 TEXTFILE_SYNC, err, sizeof(err));
	} else {
		rc = unlinkat(p->dirfd, p->name, 0) ? -errno : 0;
		err_set(err, sizeof(err), "%s: cannot remove: %s", p->path, strerror(-rc));
	}
	log_error("%s: vpncap@%s.service did not restart with the new configuration (journalctl -u vpncap@%s); %s%s",
		  p->iface, p->iface, p->iface,
		  rc ? "could not undo it" : p->old ? "the old configuration is back" :
						  "the new configuration is removed",
		  p->was_enabled ? "" : ", the unit disabled again");
	if (rc)
		log_error("%s", err);
	if (!p->was_enabled)
		systemctl("disable", 0, p->iface);
	/* Running with the old configuration, or not at all, as before. */
	if (p->was_active && p->old && !rc)
		systemctl("restart", 0, p->iface);
	else
		systemctl("stop", 0, p->iface);
}

static void say_done(const struct capture_opts *o, const struct persist *p, int started)
{
	char dir[sizeof(SERVICE_STATE_DIR) + 32];

	snprintf(dir, sizeof(dir), "%s/%s/", SERVICE_STATE_DIR, p->iface);
	printf("vpncap: persistent capture on %s: configuration %s, files in %s (vpncap@%s.service enabled%s)\n",
	       p->iface, p->path, o->output ? o->output : dir, p->iface,
	       started ? " and started" : "; it starts when the interface appears");
}

/*
 * IFACE.conf written to IFACE.conf.tmp, the change shown, the unit enabled,
 * and only then the file renamed into place (the unit's ConditionPathExists
 * needs it) and the unit restarted. Any failure leaves things as they were.
 * An interface that does not exist now is not started: the unit is bound to
 * its device, and a start would wait for it and fail.
 */
static int persist_one(const struct capture_opts *o, int dirfd, const char *iface)
{
	struct persist p = { .iface = iface, .dirfd = dirfd };
	char err[512], *text = NULL;
	int status = EXIT_RUNTIME, present = if_nametoindex(iface) != 0;
	size_t len;

	snprintf(p.name, sizeof(p.name), "%s.conf", iface);
	/* The directory the unit reads, by its own name (config_dir() is it). */
	snprintf(p.path, sizeof(p.path), "%s/%s", CONFIG_DIR_DEFAULT, p.name);
	if (!present)
		log_info("warning: %s: no such interface now; vpncap@%s.service is enabled, not started",
			 iface, iface);
	if (config_format(p.path, iface, o, &text, &len, err, sizeof(err)) ||
	    textfile_stage_at(dirfd, p.name, text, len, 0640, TEXTFILE_SYNC, err, sizeof(err))) {
		log_error("%s; nothing changed", err);
		goto out;
	}
	if (read_old(&p)) {
		textfile_discard_at(dirfd, p.name);
		goto out;
	}
	show_diff(&p, text, len);
	p.was_enabled = unit_is("is-enabled", iface, "enabled");
	p.was_active = unit_is("is-active", iface, "active");
	if (systemctl_quiet("enable", 0, iface)) {
		textfile_discard_at(dirfd, p.name);
		log_error("%s: systemctl enable vpncap@%s.service failed (is systemd running?); nothing changed",
			  iface, iface);
		goto out;
	}
	if (textfile_commit_at(dirfd, p.name, TEXTFILE_SYNC, err, sizeof(err))) {
		log_error("%s; nothing changed%s", err,
			  p.was_enabled ? "" : " (the unit is disabled again)");
		if (!p.was_enabled)
			systemctl("disable", 0, iface);
		goto out;
	}
	if (present && systemctl_quiet("restart", 0, iface)) {
		roll_back(&p);
		goto out;
	}
	say_done(o, &p, present);
	status = EXIT_OK;
out:
	free(text);
	free(p.old);
	return status;
}

int service_make_persistent(const struct capture_opts *o)
{
	int dirfd, made, status = EXIT_OK;
	unsigned int i;

	if (!unit_reads_config_dir()) {
		log_error("capture: --persistent: vpncap@.service reads its configuration from %s, not %s (unset VPNCAP_CONFIG_DIR)",
			  CONFIG_DIR_DEFAULT, config_dir());
		return EXIT_USAGE;
	}
	for (i = 0; i < o->n_ifaces; i++)
		if (check_options(o, o->ifaces[i]))
			return EXIT_USAGE;
	dirfd = open_config_dir(&made);
	if (dirfd < 0)
		return EXIT_RUNTIME;
	/* Each interface on its own: one failing leaves the others done. */
	for (i = 0; i < o->n_ifaces; i++)
		if (persist_one(o, dirfd, o->ifaces[i]))
			status = EXIT_RUNTIME;
	close(dirfd);
	if (made && status != EXIT_OK)
		rmdir(config_dir()); /* still empty when nothing was done */
	return status;
}

static const char stop_usage[] =
	"usage: vpncap stop [IFACE...]\n"
	"\n"
	"Without IFACE: end every background capture (vpncap start) of this network\n"
	"namespace, as PktMon stop; none running is said, exit 0.\n"
	"With IFACE: end the background capture on IFACE, wait for it to complete its\n"
	"files, and print them and its summary. Without one there, stop and disable\n"
	"the persistent capture vpncap@IFACE.service (its files and configuration\n"
	"are kept); neither there: said, exit 1.\n";

static const char status_usage[] =
	"usage: vpncap status\n"
	"\n"
	"The persistent captures (one per configuration file IFACE.conf in the\n"
	"configuration directory), their state and the file being written; then the\n"
	"background captures of this network namespace (vpncap start): running or\n"
	"ended, since when, pid or unit, files written so far and their directory.\n";

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

/* `vpncap stop`: every background capture of this namespace. */
static int stop_all_background(void)
{
	size_t n, i;
	struct bg_record *all = bg_records(&n);
	int status = EXIT_OK;

	if (!n)
		printf("vpncap: no background capture runs (persistent ones: vpncap status, vpncap stop IFACE)\n");
	for (i = 0; i < n; i++)
		if (bg_stop(&all[i]))
			status = EXIT_RUNTIME;
	free(all);
	return status;
}

/* The persistent capture of iface: stopped and disabled. */
static int stop_persistent(const char *iface)
{
	if (systemctl("disable", 1, iface))
		return EXIT_RUNTIME;
	printf("vpncap: stopped and disabled vpncap@%s.service (files and %s/%s.conf kept)\n", iface,
	       config_dir(), iface);
	return EXIT_OK;
}

/*
 * `vpncap stop IFACE`: its background capture if one runs (a persistent one
 * is left, and said so), else its persistent one. Without systemd and
 * without a configuration there is neither.
 */
static int stop_iface(const char *iface)
{
	char conf[4096];
	struct bg_record r;
	int configured, status;

	snprintf(conf, sizeof(conf), "%s/%s.conf", config_dir(), iface);
	configured = !access(conf, F_OK);
	if (!bg_find(iface, &r)) {
		status = bg_stop(&r);
		if (configured)
			printf("vpncap: %s: the persistent capture vpncap@%s.service is left as it is%s; vpncap stop %s again stops and disables it\n",
			       iface, iface, unit_is("is-active", iface, "active") ? " (running)" : "",
			       iface);
		return status;
	}
	if (!configured && access("/run/systemd/system", F_OK)) {
		log_error("stop: %s: no capture runs on it (no background capture, no persistent one)",
			  iface);
		return EXIT_RUNTIME;
	}
	return stop_persistent(iface);
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
	if (rc) {
		free(ifaces);
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	}
	if (!n)
		status = stop_all_background();
	for (i = 0; i < n; i++) {
		char tag[FILESET_TAG_MAX];
		const char *one[] = { ifaces[i] };

		if (fileset_make_tag(tag, sizeof(tag), one, 1)) {
			log_error("stop: '%s' is not an interface name", ifaces[i]);
			status = EXIT_USAGE;
			break;
		}
		if (stop_iface(ifaces[i]))
			status = EXIT_RUNTIME;
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
	if (!d) {
		bg_status(); /* no persistent capture configured */
		return EXIT_OK;
	}
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
	bg_status();
	return EXIT_OK;
}
