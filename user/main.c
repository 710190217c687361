// SPDX-License-Identifier: GPL-2.0-only
/*
 * vpncap: capture VPN traffic (IKEv2, NAT-T, SSTP) at the XDP hook into
 * PCAPNG. This file only dispatches subcommands (user/cmd/, one file each).
 */
#include "cmd/cmd.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

static const char main_usage[] =
	"usage: vpncap COMMAND [options]\n"
	"\n"
	"Commands:\n"
	"  capture    capture VPN frames at the XDP hook into PCAPNG (a file or a\n"
	"             rotating file set); with --persistent, from boot, across reboots\n"
	"  filter     named filters: filter add NAME [fields] | add --preset aovpn |\n"
	"             list | remove NAME | remove --all (vpncap filter help)\n"
	"  start      -i IFACE -w DIR [capture options]: capture in the background,\n"
	"             return once capturing (vpncap start help)\n"
	"  stop       [IFACE]: end the background captures (all, or IFACE's), print\n"
	"             their files and summary; else stop and disable IFACE's persistent one\n"
	"  status     list persistent and background captures, their state and files\n"
	"  show       FILE...|DIR [FILTER]: one line per frame of pcap/pcapng files,\n"
	"             times in UTC; --since/--until, --date (vpncap show -h)\n"
	"  report     FILE...|DIR: summary per protocol, IKE SAs and unfinished\n"
	"             handshakes, SSTP sessions and their peak; [--json] [--html FILE]\n"
	"  counters   counters of the running captures [IFACE] [--watch] [--json]\n"
	"  list       the interfaces: driver, addresses, XDP modes and programs,\n"
	"             captures running (--json: machine-readable; list --help)\n"
	"  help       this text; help COMMAND (or COMMAND help, COMMAND --help):\n"
	"             the options of COMMAND; help config: the configuration file\n"
	"             and filters.conf\n"
	"  version    print the version, the libbpf and libxdp versions and the\n"
	"             kernel features found (also --version)\n";

static int cmd_help(int argc, char **argv);

/* help_self: the command answers --help with its own usage. */
static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	int help_self;
} commands[] = {
	{ "capture", cmd_capture, 1 }, { "filter", cmd_filter, 1 }, { "start", cmd_start, 1 },
	{ "stop", cmd_stop, 1 },
	{ "status", cmd_status, 1 }, { "show", cmd_show, 1 }, { "report", cmd_report, 1 },
	{ "counters", cmd_counters, 1 }, { "list", cmd_list, 1 }, { "help", cmd_help, 0 },
	{ "--help", cmd_help, 0 }, { "-h", cmd_help, 0 }, { "version", cmd_version, 0 },
	{ "--version", cmd_version, 0 }, { "-V", cmd_version, 0 },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/*
 * `vpncap help [COMMAND]`: the command list, or COMMAND's own --help (one
 * text per command, the one its --help prints). Anything else is bad usage.
 */
static int cmd_help(int argc, char **argv)
{
	char help_opt[] = "--help";
	char *sub_argv[3] = { NULL, help_opt, NULL };
	size_t i;

	if (argc > 2) {
		log_error("help: unexpected argument '%s' (usage: vpncap help [COMMAND])", argv[2]);
		return EXIT_USAGE;
	}
	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "version")) {
		fputs(main_usage, stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "config"))
		return cmd_help_config(argc - 1, argv + 1);
	for (i = 0; i < N_COMMANDS; i++) {
		if (!commands[i].help_self || strcmp(argv[1], commands[i].name))
			continue;
		sub_argv[0] = argv[1];
		return commands[i].run(2, sub_argv);
	}
	log_error("help: unknown command '%s' (the commands are in 'vpncap help')", argv[1]);
	return EXIT_USAGE;
}

/*
 * `vpncap COMMAND help`, as PktMon's `start help`: the word help alone
 * after a command is its --help. (A file or interface named "help" is
 * still reached as ./help or with --.)
 */
static int run_command(size_t i, int argc, char **argv)
{
	char help_opt[] = "--help";
	char *sub_argv[3] = { argv[0], help_opt, NULL };

	if (commands[i].help_self && argc == 2 && !strcmp(argv[1], "help"))
		return commands[i].run(2, sub_argv);
	return commands[i].run(argc, argv);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "help";
	size_t i;

	log_hook_libraries();
	for (i = 0; i < N_COMMANDS; i++)
		if (!strcmp(cmd, commands[i].name))
			return run_command(i, argc - 1, argv + 1);
	log_error("unknown command '%s' (try 'vpncap help')", cmd);
	return EXIT_USAGE;
}
