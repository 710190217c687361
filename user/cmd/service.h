/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Persistent captures, the `netsh trace ... persistent=yes` of vpncap:
 * one configuration file per interface in the configuration directory
 * (/etc/vpncap, or $VPNCAP_CONFIG_DIR) and the systemd unit vpncap@IFACE.
 */
#ifndef VPNCAP_CMD_SERVICE_H
#define VPNCAP_CMD_SERVICE_H

#include <stddef.h>

#include "capture/options.h"

#define SERVICE_STATE_DIR "/var/lib/vpncap"

/*
 * `vpncap capture -i IFACE ... --persistent`: write IFACE.conf for every
 * interface, enable and start vpncap@IFACE, and say where files go.
 * Returns an exit status.
 */
int service_make_persistent(const struct capture_opts *o);



#endif /* VPNCAP_CMD_SERVICE_H */
