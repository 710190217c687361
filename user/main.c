// SPDX-License-Identifier: GPL-2.0-only
/*
 * vpncap: capture VPN traffic (IKEv2, NAT-T, SSTP) at the XDP hook into
 * PCAPNG. This file only dispatches subcommands (user/cmd/, one file each).
 */
#include "capture/options.h"
#include "cmd/cmd.h"
#include "cmd/list.h"
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
	"  stop IFACE stop and disable the persistent capture on IFACE\n"
	"  status     list persistent captures, their state and current file\n"
	"  show       FILE...: one line per frame of pcap/pcapng files, times in\n"
	"             UTC (vpncap show -h)\n"
	"  report     FILE...|DIR: summary per protocol, IKE SAs and unfinished\n"
	"             handshakes, SSTP sessions and their peak; [--json] [--html FILE]\n"
	"  counters   counters of the running captures [IFACE] [--watch] [--json]\n"
	"  list       the interfaces: driver, addresses, XDP modes and programs,\n"
	"             captures running (--json: machine-readable; list --help)\n"
	"  help       this text (vpncap help capture: options of capture)\n"
	"  version    print the version (also --version)\n";

static int cmd_help(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "capture"))
		capture_opts_usage(stdout);
	else if (argc > 1 && !strcmp(argv[1], "list"))
		fputs(list_usage, stdout);
	else
		fputs(main_usage, stdout);
	return EXIT_OK;
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("vpncap %s\n", VPNCAP_VERSION);
	return EXIT_OK;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "capture", cmd_capture }, { "filter", cmd_filter }, { "stop", cmd_stop },
	{ "status", cmd_status }, { "show", cmd_show }, { "report", cmd_report },
	{ "counters", cmd_counters }, { "list", cmd_list }, { "help", cmd_help },
	{ "--help", cmd_help }, { "-h", cmd_help }, { "version", cmd_version },
	{ "--version", cmd_version }, { "-V", cmd_version },
};

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "help";
	size_t i;

	log_hook_libraries();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	log_error("unknown command '%s' (try 'vpncap help')", cmd);
	return EXIT_USAGE;
}
