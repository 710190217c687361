// SPDX-License-Identifier: GPL-2.0-only
/*
 * vpncap: capture VPN traffic (IKEv2, NAT-T, SSTP) at the XDP hook into
 * PCAPNG. This file only dispatches subcommands and turns signals into
 * requests.
 */
#include "capture.h"
#include "cli_capture.h"
#include "config.h"
#include "filters.h"
#include "log.h"
#include "service.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Signal handlers can only reach this; capture_run() reads it. */
static struct capture_signals signals_seen;

static void on_stop(int sig)
{
	(void)sig;
	signals_seen.stop = 1;
}

static void on_reload(int sig)
{
	(void)sig;
	signals_seen.reload = 1;
}

/* No SA_RESTART: poll() returns at once and the loop sees the flag. */
static void install_signal_handlers(void)
{
	struct sigaction stop = { .sa_handler = on_stop }, hup = { .sa_handler = on_reload };

	memset(&signals_seen, 0, sizeof(signals_seen));
	sigemptyset(&stop.sa_mask);
	sigemptyset(&hup.sa_mask);
	sigaction(SIGINT, &stop, NULL);
	sigaction(SIGTERM, &stop, NULL);
	sigaction(SIGHUP, &hup, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static const char main_usage[] =
	"usage: vpncap COMMAND [options]\n"
	"\n"
	"Commands:\n"
	"  capture    capture VPN frames at the XDP hook into PCAPNG (a file or a\n"
	"             rotating file set); with --persistent, from boot, across reboots\n"
	"  filter     named filters: filter add NAME [fields] | add --preset aovpn |\n"
	"             list | remove NAME | remove --all (vpncap filter help)\n"
	"  stop IFACE stop and disable the persistent capture on IFACE\n"
	"  status     list persistent captures, their state and current file\n"
	"  help       this text (vpncap help capture: options of capture)\n"
	"  version    print the version (also --version)\n";

/* The command line as given, kept for reloads. */
struct cli_args {
	int argc;
	char **argv;
	const char *config;     /* --config FILE, NULL without */
};

/*
 * Under systemd ($STATE_DIRECTORY) the state directory is the default
 * output: "-w DIR/" goes first, so the file's or the command line's -w wins.
 */
static int prepend_output(struct config_args *a, const char *dir)
{
	char **argv = calloc((size_t)a->argc + 3, sizeof(*argv));
	char *path = malloc(strlen(dir) + 2);

	if (!argv || !path) {
		free(argv);
		free(path);
		return -1;
	}
	sprintf(path, "%s/", dir);
	argv[0] = a->argv[0];
	argv[1] = "-w";
	argv[2] = path;
	memcpy(argv + 3, a->argv + 1, (size_t)a->argc * sizeof(*argv));
	a->argv = argv; /* the old array and its strings stay allocated: options point into them */
	a->argc += 2;
	return 0;
}

/*
 * Options = the configuration file (--config) overridden by the command
 * line. Under systemd, the state directory is the default output. The
 * strings stay allocated for the life of the process (options point into
 * them); a reload adds one more small set.
 */
static int load_options(void *ctx, struct capture_opts *o, char *err, size_t errlen)
{
	struct cli_args *cli = ctx;
	struct config_args *a = calloc(1, sizeof(*a));
	const char *state = getenv("STATE_DIRECTORY");

	if (!a || config_expand_argv(cli->argc, cli->argv, a, &cli->config, err, errlen)) {
		free(a);
		return -1;
	}
	if (state && *state && prepend_output(a, state)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return capture_opts_parse(a->argc, a->argv, o, err, errlen);
}

static int cmd_capture(int argc, char **argv)
{
	static struct cli_args cli;
	struct capture_reloader reloader = { load_options, &cli };
	struct capture_opts opts;
	char err[512];

	cli = (struct cli_args){ argc, argv, NULL };
	if (load_options(&cli, &opts, err, sizeof(err))) {
		log_error("%s (see 'vpncap help capture')", err);
		return EXIT_USAGE;
	}
	if (opts.help) {
		fputs(capture_usage, stdout);
		return EXIT_OK;
	}
	if (opts.verbose)
		log_set_level(LOG_DEBUG);
	if (opts.persistent)
		return service_make_persistent(&opts);
	install_signal_handlers();
	return capture_run(&opts, cli.config ? &reloader : NULL, &signals_seen);
}

static int cmd_help(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "capture"))
		fputs(capture_usage, stdout);
	else
		fputs(main_usage, stdout);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "help";

	log_hook_libraries();
	if (!strcmp(cmd, "capture"))
		return cmd_capture(argc - 1, argv + 1);
	if (!strcmp(cmd, "filter"))
		return filter_cli(argc - 1, argv + 1);
	if (!strcmp(cmd, "stop"))
		return service_stop(argc - 1, argv + 1);
	if (!strcmp(cmd, "status"))
		return service_status(argc - 1, argv + 1);
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h"))
		return cmd_help(argc - 1, argv + 1);
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("vpncap %s\n", VPNCAP_VERSION);
		return EXIT_OK;
	}
	log_error("unknown command '%s' (try 'vpncap help')", cmd);
	return EXIT_USAGE;
}
