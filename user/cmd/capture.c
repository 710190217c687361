// SPDX-License-Identifier: GPL-2.0-only
/*
 * `vpncap capture`: the options (a configuration file overridden by the
 * command line, and again at each reload), signals turned into requests,
 * --persistent handed to the service, and the capture session run.
 */
#include "capture/config.h"
#include "capture/options.h"
#include "capture/filters.h"
#include "capture/session.h"
#include "cmd/cmd.h"
#include "cmd/service.h"
#include "log.h"

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

/*
 * One parse of the options: the expanded arguments, which the options point
 * into, so they live until the capture ends.
 */
struct loaded_args {
	struct config_args args;
	char **with_output;     /* args.argv with "-w STATE_DIRECTORY/" in front, or NULL */
	char *output;
	struct loaded_args *next;
};

/* The command line as given, kept for reloads, and every parse made of it. */
struct cli_args {
	int argc;
	char **argv;
	const char *config;     /* --config FILE, NULL without */
	struct loaded_args *loaded;
};

static void cli_release(struct cli_args *cli)
{
	while (cli->loaded) {
		struct loaded_args *l = cli->loaded;

		cli->loaded = l->next;
		config_args_free(&l->args);
		free(l->with_output);
		free(l->output);
		free(l);
	}
}

/*
 * Under systemd ($STATE_DIRECTORY) the state directory is the default
 * output: "-w DIR/" goes first, so the file's or the command line's -w wins.
 */
static int prepend_output(struct loaded_args *l, const char *dir, int *argc, char ***argv)
{
	l->with_output = calloc((size_t)l->args.argc + 3, sizeof(*l->with_output));
	l->output = malloc(strlen(dir) + 2);
	if (!l->with_output || !l->output)
		return -1;
	sprintf(l->output, "%s/", dir);
	l->with_output[0] = l->args.argv[0];
	l->with_output[1] = "-w";
	l->with_output[2] = l->output;
	memcpy(l->with_output + 3, l->args.argv + 1, (size_t)l->args.argc * sizeof(char *));
	*argc = l->args.argc + 2;
	*argv = l->with_output;
	return 0;
}

/*
 * Options = the configuration file (--config) overridden by the command
 * line; under systemd the state directory is the default output. Used at
 * start and by every reload.
 */
static int load_options(void *ctx, struct capture_opts *o, char *err, size_t errlen)
{
	struct cli_args *cli = ctx;
	struct loaded_args *l = calloc(1, sizeof(*l));
	const char *state = getenv("STATE_DIRECTORY");
	char **argv;
	int argc;

	if (!l)
		return -1;
	l->next = cli->loaded;
	cli->loaded = l;
	if (config_expand_argv(cli->argc, cli->argv, &l->args, &cli->config, err, errlen))
		return -1;
	argc = l->args.argc;
	argv = l->args.argv;
	if (state && *state && prepend_output(l, state, &argc, &argv)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return capture_opts_parse(argc, argv, o, err, errlen);
}

static int run_capture(struct cli_args *cli)
{
	struct capture_reloader reloader = { load_options, cli };
	struct capture_opts opts;
	char err[512];

	if (load_options(cli, &opts, err, sizeof(err))) {
		log_error("%s (see 'vpncap help capture')", err);
		return EXIT_USAGE;
	}
	if (opts.help) {
		capture_opts_usage(stdout);
		return EXIT_OK;
	}
	if (opts.verbose)
		log_set_level(LOG_DEBUG);
	if (opts.persistent)
		return service_make_persistent(&opts);
	if (opts.check)
		return capture_check(&opts, cli->config);
	install_signal_handlers();
	return capture_run(&opts, cli->config ? &reloader : NULL, &signals_seen);
}

int cmd_capture(int argc, char **argv)
{
	struct cli_args cli = { argc, argv, NULL, NULL };
	int status = run_capture(&cli);

	cli_release(&cli);
	return status;
}


/* `vpncap help config`: the configuration file and filters.conf (vpncap.conf(5)). */
int cmd_help_config(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	config_usage(stdout);
	filters_file_usage(stdout);
	return EXIT_OK;
}
