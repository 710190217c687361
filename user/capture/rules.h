/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Rules: the rule table the XDP classifier matches against (pure logic).
 * --rules and the named filters (capture/filters.c) both end as a struct
 * vpncap_ruleset, all the classifier ever sees.
 */
#ifndef VPNCAP_CAPTURE_RULES_H
#define VPNCAP_CAPTURE_RULES_H

#include <stddef.h>
#include "vpncap/abi.h"

/* The VPN default: IKEv2 (UDP 500), NAT-T (UDP 4500), SSTP (TCP 443). */
void rules_default(struct vpncap_ruleset *set);

/* Append one rule; -1 when the table is full. */
int rules_add(struct vpncap_ruleset *set, __u8 l4_proto, __u16 port);

/*
 * Parse "PROTO[:PORT],..." (udp:500,tcp:443,esp,50): PROTO is udp, tcp, esp,
 * icmp, icmpv6 or an IP protocol number 1-255; PORT 1-65535, only with udp
 * and tcp; no port = any. 0, or -1 with the bad token named in err.
 */
int rules_parse(const char *text, struct vpncap_ruleset *set, char *err, size_t errlen);

/*
 * The rule set in words for the IDB's if_filter and for messages, e.g.
 * "udp port 500 or udp port 4500 or tcp port 443". Returns the length that
 * was needed (like snprintf).
 */
int rules_describe(const struct vpncap_ruleset *set, char *buf, size_t len);

#endif /* VPNCAP_CAPTURE_RULES_H */
