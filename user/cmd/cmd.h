/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The subcommands of vpncap, one file each under user/cmd/. Each takes its
 * arguments as main() gets them after the command word (argv[0] is the
 * command's name) and returns an exit status (enum vpncap_exit, log.h).
 */
#ifndef VPNCAP_CMD_CMD_H
#define VPNCAP_CMD_CMD_H

int cmd_capture(int argc, char **argv);         /* cmd/capture.c */
int cmd_help_config(int argc, char **argv);     /* cmd/capture.c: vpncap help config */
int cmd_filter(int argc, char **argv);          /* cmd/filter.c */
int cmd_start(int argc, char **argv);           /* cmd/start.c */
int cmd_stop(int argc, char **argv);            /* cmd/service.c */
int cmd_status(int argc, char **argv);          /* cmd/service.c */
int cmd_show(int argc, char **argv);            /* cmd/show.c */
int cmd_report(int argc, char **argv);          /* cmd/report.c */
int cmd_counters(int argc, char **argv);        /* cmd/counters.c */
int cmd_list(int argc, char **argv);            /* cmd/list.c */
int cmd_version(int argc, char **argv);         /* cmd/version.c */

#endif /* VPNCAP_CMD_CMD_H */
