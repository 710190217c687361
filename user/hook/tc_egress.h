/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The TC egress hook of inline capture: XDP sees only received frames, so
 * transmitted ones are classified and copied by vpncap_tc_egress.
 *
 * Attached through a tcx link where the kernel has one (6.6 and later): the
 * link belongs to this process and goes away with it, however it ends. On
 * older kernels (Debian 12's 6.1) it is a direct-action filter on the clsact
 * qdisc (created if missing, then left in place: other tools may use it),
 * with vpncap's own handle and priority, so a filter left by a killed vpncap
 * is found and removed at the next start.
 */
#ifndef VPNCAP_HOOK_TC_EGRESS_H
#define VPNCAP_HOOK_TC_EGRESS_H

#include <stddef.h>

#define TC_EGRESS_HANDLE 0x5643     /* "VC": vpncap's clsact filter */
#define TC_EGRESS_PRIORITY 0x5643
#define TC_EGRESS_PROG_NAME "vpncap_tc_egress"

enum tc_egress_kind { TC_EGRESS_NONE, TC_EGRESS_TCX, TC_EGRESS_CLSACT };

struct tc_egress {
	int ifindex;
	enum tc_egress_kind kind;
	int link_fd;            /* tcx link, -1 if none */
};

/* Detach a clsact filter of an earlier vpncap that did not exit cleanly. */
void tc_egress_remove_orphan(int ifindex, const char *ifname);

/*
 * Attach prog_fd to ifindex's egress: a tcx link where the kernel has them
 * (try_tcx) and takes it, else a clsact filter. 0 or -errno with err.
 */
int tc_egress_attach(struct tc_egress *t, int ifindex, const char *ifname, int prog_fd,
		     int try_tcx, char *err, size_t errlen);

/* Detach if attached; safe to call twice. */
void tc_egress_detach(struct tc_egress *t, const char *ifname);

/* "tcx", "clsact" or "none", for logs and the IDB. */
const char *tc_egress_kind_name(enum tc_egress_kind kind);

#endif /* VPNCAP_HOOK_TC_EGRESS_H */
