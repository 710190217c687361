/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * How much one capture may hold: interfaces and RX queues. Shared by every
 * layer that keeps something per interface or per queue (the hooks, the
 * frame path, the session, the options), so it lives here, below them all.
 */
#ifndef VPNCAP_CAPTURE_LIMITS_H
#define VPNCAP_CAPTURE_LIMITS_H

#define CAPTURE_MAX_IFACES 16
#define CAPTURE_MAX_QUEUES 64

#endif /* VPNCAP_CAPTURE_LIMITS_H */
