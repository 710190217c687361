/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Rules: the rule table the XDP classifier matches against (pure logic).
 * --rules and the named filters (capture/filters.c) both end as a struct
 * vpncap_ruleset, all the classifier ever sees, plus the texts of its
 * expressions (struct rule_exprs), which the classifier reaches by slot.
 */
#ifndef VPNCAP_CAPTURE_RULES_H
#define VPNCAP_CAPTURE_RULES_H

#include <stddef.h>
#include "vpncap/abi.h"
#include "hook/expr.h"

/* The expressions of a rule set: text[s] is expression slot s (rule expr_slot). */
struct rule_exprs {
	unsigned int n;
	char text[VPNCAP_MAX_EXPRS][EXPR_TEXT_MAX];
};

/* The VPN default: IKEv2 (UDP 500), NAT-T (UDP 4500), SSTP (TCP 443). */
void rules_default(struct vpncap_ruleset *set);

/* Append one rule; -1 when the table is full. */
int rules_add(struct vpncap_ruleset *set, __u8 l4_proto, __u16 port);

/*
 * Parse the list grammar of --rules, "TOKEN,...", each token one rule, the
 * words as `vpncap filter add` takes them (case-insensitive):
 *   PROTO[:PORT|:LOW-HIGH]  PROTO: udp, tcp, esp, icmp, icmpv6 or 1-255;
 *                           ports only with udp and tcp; no port = any
 *   ike, keepalive          the classifier's classes (as --class)
 *   class:CLASS             any class: ike, esp, keepalive ("esp" alone
 *                           stays IP protocol 50, as in --rules before)
 *   arp, ipv4, ipv6         the data link (as -d), and ethertype:TYPE
 *   all                     every frame, IP or not (VPNCAP_F_ALL)
 * 0, or -1 with the bad token named in err.
 */
int rules_parse(const char *text, struct vpncap_ruleset *set, char *err, size_t errlen);

/*
 * The list grammar first; when that fails and text is a tcpdump expression
 * (expr_check), one rule VPNCAP_F_EXPR with slot 0, set->n_exprs 1 and the
 * text in exprs (which may be NULL). An empty or blank text is every
 * frame, as tcpdump's empty expression (the same as `all`). 0, or -1 with err.
 */
int rules_parse_any(const char *text, struct vpncap_ruleset *set, struct rule_exprs *exprs,
		    char *err, size_t errlen);

/*
 * The rule set in words for the IDB's if_filter and for messages, e.g.
 * "udp port 500 or udp port 4500 or tcp port 443"; every field in
 * libpcap-like words, rules with several fields in parentheses. Returns the
 * length that was needed (like snprintf). rules_describe names an
 * expression by its slot ("expression 0"); rules_describe_exprs writes its
 * text (exprs may be NULL).
 */
int rules_describe(const struct vpncap_ruleset *set, char *buf, size_t len);
int rules_describe_exprs(const struct vpncap_ruleset *set, const struct rule_exprs *exprs,
			 char *buf, size_t len);

/*
 * 1 when every frame later matches is matched by earlier too, so that with
 * first match wins later can never match behind earlier. Conservative: 0
 * whenever that is not certain (an expression in earlier, fields it cannot
 * compare). Snaplens play no part.
 */
int rules_covers(const struct vpncap_rule *earlier, const struct vpncap_rule *later);

/* 1 when the rule matches IP frames only (names a field only IP frames have). */
int rules_ip_only(const struct vpncap_rule *r);

#endif /* VPNCAP_CAPTURE_RULES_H */
