/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `vpncap show FILE...`: one line per frame of capture files (pcap, pcapng,
 * vpncap's compressed file set members), decoded like the real-time view.
 */
#ifndef VPNCAP_CMD_SHOW_H
#define VPNCAP_CMD_SHOW_H

/* argv[0] is "show"; returns an enum vpncap_exit. */
int show_main(int argc, char **argv);

#endif /* VPNCAP_CMD_SHOW_H */
