// SPDX-License-Identifier: GPL-2.0-only
/*
 * vpncap: capture VPN traffic (IKEv2, NAT-T, SSTP) at the XDP hook into
 * PCAPNG. This file only dispatches subcommands.
 */
#include "capture.h"
#include "cli_capture.h"
#include "log.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* No SA_RESTART: poll() returns at once and the loop sees the flag. */
static void install_signal_handlers(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static const char main_usage[] =
	"usage: vpncap COMMAND [options]\n"
	"\n"
	"Commands:\n"
	"  capture    capture VPN frames at the XDP hook into a PCAPNG file\n"
	"  help       this text (vpncap help capture: options of capture)\n"
	"  version    print the version (also --version)\n";

static int cmd_capture(int argc, char **argv)
{
	struct capture_opts opts;
	char err[256];

	if (capture_opts_parse(argc, argv, &opts, err, sizeof(err))) {
		log_error("%s (see 'vpncap help capture')", err);
		return EXIT_USAGE;
	}
	if (opts.help) {
		fputs(capture_usage, stdout);
		return EXIT_OK;
	}
	if (opts.verbose)
		log_set_level(LOG_DEBUG);
	install_signal_handlers();
	return capture_run(&opts, &stop_requested);
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
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h"))
		return cmd_help(argc - 1, argv + 1);
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("vpncap %s\n", VPNCAP_VERSION);
		return EXIT_OK;
	}
	log_error("unknown command '%s' (try 'vpncap help')", cmd);
	return EXIT_USAGE;
}
