// SPDX-License-Identifier: GPL-2.0-only
#include "capture/rules.h"
#include "log.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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
	memset(r, 0, sizeof(*r));
	r->fields = VPNCAP_F_PROTO | (port ? VPNCAP_F_PORT : 0);
	r->l4_proto = l4_proto;
	r->port_lo = r->port_hi = port;
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

/* Append to buf like snprintf: past the end nothing is written, the length still counts. */
static void append(char *buf, size_t len, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*used < len ? buf + *used : NULL, *used < len ? len - *used : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*used += (size_t)n;
}

/* The protocol and port fields in libpcap-like words ("udp port 500"). */
static void describe_rule(const struct vpncap_rule *r, char *buf, size_t len, size_t *used)
{
	char tmp[24];

	if (r->fields & VPNCAP_F_PROTO)
		append(buf, len, used, "%s", proto_word(r->l4_proto, tmp, sizeof(tmp)));
	else
		append(buf, len, used, "ip");
	if (!(r->fields & VPNCAP_F_PORT))
		return;
	if (r->port_lo == r->port_hi)
		append(buf, len, used, " port %u", r->port_lo);
	else
		append(buf, len, used, " portrange %u-%u", r->port_lo, r->port_hi);
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
		if (i)
			append(buf, len, &used, " or ");
		describe_rule(&set->rules[i], buf, len, &used);
	}
	return (int)used;
}

static int parse_number(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	*out = strtoul(s, &end, 10);
	return *end || *out < min || *out > max ? -1 : 0;
}

static int parse_proto(const char *s, unsigned long *proto)
{
	static const struct { const char *name; unsigned long num; } names[] = {
		{ "udp", IPPROTO_UDP }, { "tcp", IPPROTO_TCP }, { "esp", IPPROTO_ESP },
		{ "icmp", IPPROTO_ICMP }, { "icmpv6", IPPROTO_ICMPV6 },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i].name)) {
			*proto = names[i].num;
			return 0;
		}
	}
	return parse_number(s, 1, 255, proto);
}

/* One "PROTO[:PORT]" token, already cut out of the list. */
static int parse_rule(char *tok, struct vpncap_ruleset *set, char *err, size_t errlen)
{
	char *colon = strchr(tok, ':');
	unsigned long proto, port = 0;

	if (colon)
		*colon = '\0';
	if (parse_proto(tok, &proto)) {
		err_set(err, errlen, "'%s' is not a protocol (udp, tcp, esp, icmp, icmpv6, 1-255)",
			     tok);
		return -1;
	}
	if (colon && ((proto != IPPROTO_UDP && proto != IPPROTO_TCP) ||
		      parse_number(colon + 1, 1, 65535, &port))) {
		err_set(err, errlen, "'%s' is not a port of %s (1-65535, udp and tcp only)",
			     colon + 1, tok);
		return -1;
	}
	if (rules_add(set, (__u8)proto, (__u16)port)) {
		err_set(err, errlen, "more than %d rules", VPNCAP_MAX_RULES);
		return -1;
	}
	return 0;
}

int rules_parse(const char *text, struct vpncap_ruleset *set, char *err, size_t errlen)
{
	char buf[1024], *tok, *save = NULL;

	memset(set, 0, sizeof(*set));
	if (strlen(text) >= sizeof(buf) || !*text) {
		err_set(err, errlen, "empty or too long rule list");
		return -1;
	}
	memcpy(buf, text, strlen(text) + 1);
	if (buf[0] == ',' || buf[strlen(buf) - 1] == ',' || strstr(buf, ",,")) {
		err_set(err, errlen, "'%s' has an empty rule", text);
		return -1;
	}
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (parse_rule(tok, set, err, errlen))
			return -1;
	return 0;
}
