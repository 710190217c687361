/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Persistent captures, the `netsh trace ... persistent=yes` of vpncap:
 * one configuration file per interface in the configuration directory
 * (/etc/vpncap, or $VPNCAP_CONFIG_DIR for `status`) and the systemd unit
 * vpncap@IFACE.
 */
#ifndef VPNCAP_CMD_SERVICE_H
#define VPNCAP_CMD_SERVICE_H

#include <stddef.h>

#include "capture/options.h"

#define SERVICE_STATE_DIR "/var/lib/vpncap"

/*
 * `vpncap capture -i IFACE ... --persistent`. First, before anything is
 * touched (exit 2): the configuration directory must be the one the unit
 * reads, no one-shot option (COPT_ONE_SHOT: --duration, --count) is
 * given, and the file as written must read back as the unit runs it. An
 * interface that does not exist yet is only warned about (hot-plugged
 * NICs; its unit is enabled, not started). Then for each interface on its
 * own: IFACE.conf.tmp written, the key-level change against the IFACE.conf
 * it replaces printed, the unit enabled, the file renamed into place, the
 * unit restarted. A failed
 * enable leaves nothing changed; a failed restart puts the old
 * configuration back (or removes the new one) and the unit as it was.
 * Returns an exit status.
 */
int service_make_persistent(const struct capture_opts *o);

/*
 * Run a command (systemctl, systemd-run) and wait for it: its stdout (and
 * with SERVICE_RUN_STDERR its stderr) to ours, or, with out, its first line
 * into out. Its exit status, -1 when it could not run or was killed.
 */
#define SERVICE_RUN_STDERR 0x1u
int service_run(char *const argv[], char *out, size_t outlen, unsigned int flags);


#endif /* VPNCAP_CMD_SERVICE_H */
