// SPDX-License-Identifier: GPL-2.0-only
#include "rules.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#define IKE_PORT 500
#define NATT_PORT 4500
#define SSTP_PORT 443

void rules_default(struct vpncap_ruleset *set)
{
	memset(set, 0, sizeof(*set));
	rules_add(set, IPPROTO_UDP, IKE_PORT);
	rules_add(set, IPPROTO_UDP, NATT_PORT);
	rules_add(set, IPPROTO_TCP, SSTP_PORT);
}

int rules_add(struct vpncap_ruleset *set, __u8 l4_proto, __u16 port)
{
	struct vpncap_rule *r;

	if (set->count >= VPNCAP_MAX_RULES)
		return -1;
	r = &set->rules[set->count++];
	r->l4_proto = l4_proto;
	r->port = port;
	return 0;
}

static const char *proto_word(__u8 proto, char *tmp, size_t len)
{
	switch (proto) {
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_ESP:
		return "esp";
	default:
		snprintf(tmp, len, "ip proto %u", proto);
		return tmp;
	}
}

int rules_describe(const struct vpncap_ruleset *set, char *buf, size_t len)
{
	size_t used = 0;
	__u32 i;

	if (len)
		buf[0] = '\0';
	if (set->count == 0)
		return snprintf(buf, len, "nothing (empty rule set)");
	for (i = 0; i < set->count && i < VPNCAP_MAX_RULES; i++) {
		const struct vpncap_rule *r = &set->rules[i];
		char tmp[24];
		int n;

		/* Past the end: size 0 and no pointer (buf may be NULL, len 0). */
		n = snprintf(used < len ? buf + used : NULL, used < len ? len - used : 0,
			     "%s%s", i ? " or " : "", proto_word(r->l4_proto, tmp, sizeof(tmp)));
		used += n;
		if (r->port) {
			n = snprintf(used < len ? buf + used : NULL,
				     used < len ? len - used : 0, " port %u", r->port);
			used += n;
		}
	}
	return (int)used;
}
