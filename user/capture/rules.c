// SPDX-License-Identifier: GPL-2.0-only
#include "capture/rules.h"
#include "log.h"

#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IKE_PORT 500
#define NATT_PORT 4500
#define SSTP_PORT 443
#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_ARP_ 0x0806

/* Fields only an IP frame can match (see VPNCAP_F_ETHERTYPE in abi.h). */
#define IP_FIELDS                                                                     \
	(VPNCAP_F_PROTO | VPNCAP_F_PORT | VPNCAP_F_ADDR | VPNCAP_F_CLASS |             \
	 VPNCAP_F_TCP_FLAGS | VPNCAP_F_ADDR_PAIR | VPNCAP_F_PORT_PAIR)

void rules_default(struct vpncap_ruleset *set)
{
	memset(set, 0, sizeof(*set));
	rules_add(set, IPPROTO_UDP, IKE_PORT);
	rules_add(set, IPPROTO_UDP, NATT_PORT);
	rules_add(set, IPPROTO_TCP, SSTP_PORT);
}

/* A zeroed rule appended; NULL when the table is full. */
static struct vpncap_rule *new_rule(struct vpncap_ruleset *set)
{
	struct vpncap_rule *r;

	if (set->count >= VPNCAP_MAX_RULES)
		return NULL;
	r = &set->rules[set->count++];
	memset(r, 0, sizeof(*r));
	return r;
}

int rules_add(struct vpncap_ruleset *set, __u8 l4_proto, __u16 port)
{
	struct vpncap_rule *r = new_rule(set);

	if (!r)
		return -1;
	r->fields = VPNCAP_F_PROTO | (port ? VPNCAP_F_PORT : 0);
	r->l4_proto = l4_proto;
	r->port_lo = r->port_hi = port;
	return 0;
}

/* ---- words ---------------------------------------------------------------- */

static const char *proto_word(__u8 proto, char *tmp, size_t len)
{
	switch (proto) {
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_ESP:
		return "esp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmp6";
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

/* One part of a rule's words, " and " between parts. */
struct words {
	char *buf;
	size_t len, *used;
	int parts;
};

static void part(struct words *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void part(struct words *w, const char *fmt, ...)
{
	char tmp[EXPR_TEXT_MAX + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	append(w->buf, w->len, w->used, "%s%s", w->parts++ ? " and " : "", tmp);
}

static void prefix_words(const struct vpncap_prefix *p, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(p->family == 6 ? AF_INET6 : AF_INET, p->addr, a, sizeof(a));
	if (p->len >= (p->family == 6 ? 128 : 32))
		snprintf(out, len, "host %s", a);
	else
		snprintf(out, len, "net %s/%u", a, p->len);
}

static void mac_words(const __u8 *m, char *out, size_t len)
{
	snprintf(out, len, "ether host %02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
		 m[4], m[5]);
}

static void ethertype_part(struct words *w, __u16 type)
{
	if (type == ETH_P_IPV4)
		part(w, "ip");
	else if (type == ETH_P_IPV6)
		part(w, "ip6");
	else if (type == ETH_P_ARP_)
		part(w, "arp");
	else
		part(w, "ether proto 0x%04x", type);
}

static void tcp_flags_part(struct words *w, __u8 flags)
{
	static const char *const names[8] = { "fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr" };
	char tmp[64] = "";
	size_t used = 0;
	int i;

	for (i = 0; i < 8; i++)
		if (flags & (1u << i))
			append(tmp, sizeof(tmp), &used, "%s%s", used ? "|" : "", names[i]);
	part(w, "tcp flags %s", tmp);
}

/* Protocol and ports: "udp port 500", "portrange 1-2", "udp port 500 and port 4500". */
static void l4_parts(struct words *w, const struct vpncap_rule *r)
{
	char tmp[24], pp[48] = "";

	if (r->fields & VPNCAP_F_PORT)
		snprintf(pp, sizeof(pp), r->port_lo == r->port_hi ? "port %u" : "portrange %u-%u",
			 r->port_lo, r->port_hi);
	else if (r->fields & VPNCAP_F_PORT_PAIR)
		snprintf(pp, sizeof(pp), "port %u and port %u", r->port_lo, r->port2);
	if (r->fields & VPNCAP_F_PROTO)
		part(w, "%s%s%s", proto_word(r->l4_proto, tmp, sizeof(tmp)), *pp ? " " : "", pp);
	else if (*pp)
		part(w, "%s", pp);
}

static void addr_parts(struct words *w, const struct vpncap_rule *r)
{
	char a[INET6_ADDRSTRLEN + 16], b[INET6_ADDRSTRLEN + 16], list[256] = "";
	size_t used = 0;
	unsigned int i;

	if (!(r->fields & VPNCAP_F_ADDR))
		return;
	if (r->fields & VPNCAP_F_ADDR_PAIR) {
		prefix_words(&r->addrs[0], a, sizeof(a));
		prefix_words(&r->addrs[1], b, sizeof(b));
		part(w, "%s and %s", a, b);
		return;
	}
	for (i = 0; i < r->n_addrs && i < VPNCAP_RULE_ADDRS; i++) {
		prefix_words(&r->addrs[i], a, sizeof(a));
		append(list, sizeof(list), &used, "%s%s", i ? " or " : "", a);
	}
	part(w, r->n_addrs > 1 ? "(%s)" : "%s", list);
}

static void class_part(struct words *w, __u8 mask)
{
	char tmp[32] = "";
	size_t used = 0;

	if (mask & VPNCAP_CLASS_IKE)
		append(tmp, sizeof(tmp), &used, "ike");
	if (mask & VPNCAP_CLASS_ESP)
		append(tmp, sizeof(tmp), &used, "%sesp", used ? "," : "");
	if (mask & VPNCAP_CLASS_KEEPALIVE)
		append(tmp, sizeof(tmp), &used, "%skeepalive", used ? "," : "");
	part(w, "class %s", tmp);
}

/* Every field of r as parts; the number of parts. */
static int rule_parts(struct words *w, const struct vpncap_rule *r, const struct rule_exprs *ex)
{
	char a[64], b[64];

	if (r->fields & VPNCAP_F_ALL) {
		part(w, "all frames");
		return w->parts;
	}
	if (r->fields & VPNCAP_F_ETHERTYPE)
		ethertype_part(w, r->ethertype);
	if (r->fields & VPNCAP_F_VLAN)
		part(w, "vlan %u", r->vlan_id);
	if (r->fields & VPNCAP_F_MAC) {
		mac_words(r->mac, a, sizeof(a));
		mac_words(r->mac2, b, sizeof(b));
		if (r->fields & VPNCAP_F_MAC_PAIR)
			part(w, "%s and %s", a, b);
		else
			part(w, "%s", a);
	}
	l4_parts(w, r);
	addr_parts(w, r);
	if (r->fields & VPNCAP_F_TCP_FLAGS)
		tcp_flags_part(w, r->tcp_flags);
	if (r->fields & VPNCAP_F_CLASS)
		class_part(w, r->class_mask);
	if (r->fields & VPNCAP_F_EXPR) {
		if (ex && r->expr_slot < ex->n && r->expr_slot < VPNCAP_MAX_EXPRS)
			part(w, "(%s)", ex->text[r->expr_slot]);
		else
			part(w, "expression %u", r->expr_slot);
	}
	if (!w->parts)
		part(w, "ip");
	return w->parts;
}

/* A rule in words; "(...)" around a rule of several parts when others follow or precede. */
static void describe_rule(const struct vpncap_rule *r, const struct rule_exprs *ex, int alone,
			  char *buf, size_t len, size_t *used)
{
	struct words count = { NULL, 0, NULL, 0 };
	size_t dummy = 0;
	struct words w = { buf, len, used, 0 };

	count.used = &dummy;
	if (!alone && rule_parts(&count, r, ex) > 1) {
		append(buf, len, used, "(");
		rule_parts(&w, r, ex);
		append(buf, len, used, ")");
		return;
	}
	rule_parts(&w, r, ex);
}

int rules_describe_exprs(const struct vpncap_ruleset *set, const struct rule_exprs *exprs,
			 char *buf, size_t len)
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
		describe_rule(&set->rules[i], exprs, set->count == 1, buf, len, &used);
	}
	return (int)used;
}

int rules_describe(const struct vpncap_ruleset *set, char *buf, size_t len)
{
	return rules_describe_exprs(set, NULL, buf, len);
}

/* ---- the list grammar ----------------------------------------------------- */

static int parse_number(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9' || strlen(s) > 10)
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
		if (!strcasecmp(s, names[i].name)) {
			*proto = names[i].num;
			return 0;
		}
	}
	return parse_number(s, 1, 255, proto);
}

/* "PORT" or "LOW-HIGH". */
static int parse_ports(char *s, unsigned long *lo, unsigned long *hi)
{
	char *dash = strchr(s, '-');
	int rc;

	if (!dash)
		return parse_number(s, 1, 65535, lo) || (*hi = *lo, 0);
	*dash = '\0';
	rc = parse_number(s, 1, 65535, lo) || parse_number(dash + 1, 1, 65535, hi) || *lo > *hi;
	*dash = '-';
	return rc ? -1 : 0;
}

static int class_bit(const char *s)
{
	if (!strcasecmp(s, "ike"))
		return VPNCAP_CLASS_IKE;
	if (!strcasecmp(s, "esp"))
		return VPNCAP_CLASS_ESP;
	if (!strcasecmp(s, "keepalive"))
		return VPNCAP_CLASS_KEEPALIVE;
	return 0;
}

/*
 * filter add's -d words: arp, ipv4, ipv6, or "ethertype:TYPE" (0x88cc or
 * decimal, not a VLAN tag's). 1 when tok is one (into r), 0 if not, -1 bad.
 */
static int parse_data_link_rule(const char *tok, struct vpncap_rule *r, char *err, size_t errlen)
{
	static const struct { const char *word; __u16 type; } words[] = {
		{ "arp", 0x0806 }, { "ipv4", 0x0800 }, { "ipv6", 0x86dd },
	};
	unsigned long type;
	char *end;
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (!strcasecmp(tok, words[i].word)) {
			r->fields = VPNCAP_F_ETHERTYPE;
			r->ethertype = words[i].type;
			return 1;
		}
	}
	if (strncasecmp(tok, "ethertype:", 10))
		return 0;
	errno = 0;
	type = strtoul(tok + 10, &end, 0);
	if (errno || end == tok + 10 || *end || type < 0x600 || type > 0xffff ||
	    type == 0x8100 || type == 0x88a8) {
		err_set(err, errlen, "'%s' is not an EtherType (0x0600-0xffff, not a VLAN tag's)",
			tok + 10);
		return -1;
	}
	r->fields = VPNCAP_F_ETHERTYPE;
	r->ethertype = (__u16)type;
	return 1;
}

/*
 * "all", "ike", "keepalive", "class:CLASS" and the data link words: 1 when
 * tok is one (into r), 0 if not, -1 bad.
 */
static int parse_word_rule(const char *tok, struct vpncap_rule *r, char *err, size_t errlen)
{
	int bit = parse_data_link_rule(tok, r, err, errlen);

	if (bit)
		return bit;
	if (!strcasecmp(tok, "all")) {
		r->fields = VPNCAP_F_ALL;
		return 1;
	}
	if (!strncasecmp(tok, "class:", 6)) {
		bit = class_bit(tok + 6);
		if (!bit) {
			err_set(err, errlen, "'%s' is not a class (ike, esp, keepalive)", tok + 6);
			return -1;
		}
	} else if (!strcasecmp(tok, "ike") || !strcasecmp(tok, "keepalive")) {
		bit = class_bit(tok);
	} else {
		return 0;
	}
	r->fields = VPNCAP_F_CLASS;
	r->class_mask = (__u8)bit;
	return 1;
}

/* One token, already cut out of the list. */
static int parse_rule(char *tok, struct vpncap_ruleset *set, char *err, size_t errlen)
{
	char *colon = strchr(tok, ':');
	unsigned long proto, lo = 0, hi = 0;
	struct vpncap_rule *r, one;
	int w;

	memset(&one, 0, sizeof(one));
	w = parse_word_rule(tok, &one, err, errlen);
	if (w < 0)
		return -1;
	if (!w) {
		if (colon)
			*colon = '\0';
		if (parse_proto(tok, &proto)) {
			err_set(err, errlen,
				"'%s' is not a protocol (udp, tcp, esp, icmp, icmpv6, 1-255), class (ike, keepalive, class:esp), data link (arp, ipv4, ipv6, ethertype:TYPE) or all",
				tok);
			return -1;
		}
		if (colon && ((proto != IPPROTO_UDP && proto != IPPROTO_TCP) ||
			      parse_ports(colon + 1, &lo, &hi))) {
			err_set(err, errlen,
				"'%s' is not a port or LOW-HIGH range of %s (1-65535, udp and tcp only)",
				colon + 1, tok);
			return -1;
		}
		one.fields = VPNCAP_F_PROTO | (colon ? VPNCAP_F_PORT : 0);
		one.l4_proto = (__u8)proto;
		one.port_lo = (__u16)lo;
		one.port_hi = (__u16)hi;
	}
	r = new_rule(set);
	if (!r) {
		err_set(err, errlen, "more than %d rules", VPNCAP_MAX_RULES);
		return -1;
	}
	*r = one;
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
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (parse_rule(tok, set, err, errlen)) {
			memset(set, 0, sizeof(*set));
			return -1;
		}
	}
	return 0;
}

static int blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t')
			return 0;
	return 1;
}

int rules_parse_any(const char *text, struct vpncap_ruleset *set, struct rule_exprs *exprs,
		    char *err, size_t errlen)
{
	char list_err[256], expr_err[256];

	if (exprs)
		memset(exprs, 0, sizeof(*exprs));
	if (!rules_parse(text, set, list_err, sizeof(list_err)))
		return 0;
	/* An empty expression is tcpdump's "every frame": all. */
	if (blank(text)) {
		memset(set, 0, sizeof(*set));
		set->count = 1;
		set->rules[0].fields = VPNCAP_F_ALL;
		return 0;
	}
	if (strchr(text, '\n') || expr_check(text, expr_err, sizeof(expr_err))) {
		/* A text with blanks was meant as an expression, else as a list. */
		if (strchr(text, ' ') || strchr(text, '\n'))
			err_set(err, errlen, "not a tcpdump expression: %s",
				strchr(text, '\n') ? "more than one line" : expr_err);
		else
			err_set(err, errlen, "%s", list_err);
		return -1;
	}
	memset(set, 0, sizeof(*set));
	set->count = 1;
	set->n_exprs = 1;
	set->rules[0].fields = VPNCAP_F_EXPR;
	set->rules[0].expr_slot = 0;
	if (exprs) {
		exprs->n = 1;
		snprintf(exprs->text[0], sizeof(exprs->text[0]), "%s", text);
	}
	return 0;
}

/* ---- coverage ------------------------------------------------------------- */

int rules_ip_only(const struct vpncap_rule *r)
{
	if (r->fields & VPNCAP_F_ALL)
		return 0;
	if (!r->fields || (r->fields & IP_FIELDS))
		return 1;
	return (r->fields & VPNCAP_F_ETHERTYPE) &&
	       (r->ethertype == ETH_P_IPV4 || r->ethertype == ETH_P_IPV6);
}

/* Every address of a inside b (same family, at least as long, same leading bits). */
static int prefix_within(const struct vpncap_prefix *a, const struct vpncap_prefix *b)
{
	unsigned int full = b->len / 8, rest = b->len % 8;

	if (a->family != b->family || a->len < b->len)
		return 0;
	if (memcmp(a->addr, b->addr, full))
		return 0;
	return !rest || ((a->addr[full] ^ b->addr[full]) & (0xff00u >> rest) & 0xff) == 0;
}

static int within_any(const struct vpncap_prefix *a, const struct vpncap_rule *e)
{
	unsigned int i;

	for (i = 0; i < e->n_addrs && i < VPNCAP_RULE_ADDRS; i++)
		if (prefix_within(a, &e->addrs[i]))
			return 1;
	return 0;
}

/* Does every frame of later satisfy earlier's addresses? */
static int addrs_covered(const struct vpncap_rule *e, const struct vpncap_rule *l)
{
	unsigned int i;

	if (!(l->fields & VPNCAP_F_ADDR))
		return 0;
	if (e->fields & VPNCAP_F_ADDR_PAIR) {
		if (!(l->fields & VPNCAP_F_ADDR_PAIR))
			return 0;
		return (prefix_within(&l->addrs[0], &e->addrs[0]) &&
			prefix_within(&l->addrs[1], &e->addrs[1])) ||
		       (prefix_within(&l->addrs[0], &e->addrs[1]) &&
			prefix_within(&l->addrs[1], &e->addrs[0]));
	}
	/* A pair's frames carry both ends: one end inside earlier's list is enough. */
	if (l->fields & VPNCAP_F_ADDR_PAIR)
		return within_any(&l->addrs[0], e) || within_any(&l->addrs[1], e);
	if (!l->n_addrs)
		return 0;
	for (i = 0; i < l->n_addrs && i < VPNCAP_RULE_ADDRS; i++)
		if (!within_any(&l->addrs[i], e))
			return 0;
	return 1;
}

static int ports_covered(const struct vpncap_rule *e, const struct vpncap_rule *l)
{
	if (e->fields & VPNCAP_F_PORT) {
		if (l->fields & VPNCAP_F_PORT)
			return l->port_lo >= e->port_lo && l->port_hi <= e->port_hi;
		if (l->fields & VPNCAP_F_PORT_PAIR)
			return (l->port_lo >= e->port_lo && l->port_lo <= e->port_hi) ||
			       (l->port2 >= e->port_lo && l->port2 <= e->port_hi);
		return 0;
	}
	/* earlier has a port pair */
	if (!(l->fields & VPNCAP_F_PORT_PAIR))
		return 0;
	return (l->port_lo == e->port_lo && l->port2 == e->port2) ||
	       (l->port_lo == e->port2 && l->port2 == e->port_lo);
}

static int macs_covered(const struct vpncap_rule *e, const struct vpncap_rule *l)
{
	if (!(l->fields & VPNCAP_F_MAC))
		return 0;
	if (e->fields & VPNCAP_F_MAC_PAIR) {
		if (!(l->fields & VPNCAP_F_MAC_PAIR))
			return 0;
		return (!memcmp(l->mac, e->mac, 6) && !memcmp(l->mac2, e->mac2, 6)) ||
		       (!memcmp(l->mac, e->mac2, 6) && !memcmp(l->mac2, e->mac, 6));
	}
	if (!memcmp(l->mac, e->mac, 6))
		return 1;
	return (l->fields & VPNCAP_F_MAC_PAIR) && !memcmp(l->mac2, e->mac, 6);
}

/* Earlier's protocol holds for every frame of later. */
static int proto_covered(const struct vpncap_rule *e, const struct vpncap_rule *l)
{
	if ((l->fields & VPNCAP_F_PROTO) && l->l4_proto == e->l4_proto)
		return 1;
	return e->l4_proto == IPPROTO_TCP && (l->fields & VPNCAP_F_TCP_FLAGS);
}

int rules_covers(const struct vpncap_rule *e, const struct vpncap_rule *l)
{
	__u32 ef = e->fields, lf = l->fields;

	if (ef & VPNCAP_F_ALL)
		return 1;
	if ((lf & VPNCAP_F_ALL) || (ef & ~VPNCAP_KNOWN_FIELDS) || (lf & ~VPNCAP_KNOWN_FIELDS) ||
	    (ef & VPNCAP_F_EXPR))
		return 0;
	/* earlier matches IP frames only (fields 0, or an IP field): so must later */
	if (rules_ip_only(e) && !rules_ip_only(l))
		return 0;
	if ((ef & VPNCAP_F_ETHERTYPE) &&
	    (!(lf & VPNCAP_F_ETHERTYPE) || l->ethertype != e->ethertype))
		return 0;
	if ((ef & VPNCAP_F_VLAN) && (!(lf & VPNCAP_F_VLAN) || l->vlan_id != e->vlan_id))
		return 0;
	if ((ef & (VPNCAP_F_MAC | VPNCAP_F_MAC_PAIR)) && !macs_covered(e, l))
		return 0;
	if ((ef & VPNCAP_F_PROTO) && !proto_covered(e, l))
		return 0;
	if ((ef & (VPNCAP_F_PORT | VPNCAP_F_PORT_PAIR)) && !ports_covered(e, l))
		return 0;
	if ((ef & (VPNCAP_F_ADDR | VPNCAP_F_ADDR_PAIR)) && !addrs_covered(e, l))
		return 0;
	if ((ef & VPNCAP_F_CLASS) &&
	    (!(lf & VPNCAP_F_CLASS) || (l->class_mask & ~e->class_mask)))
		return 0;
	if ((ef & VPNCAP_F_TCP_FLAGS) &&
	    (!(lf & VPNCAP_F_TCP_FLAGS) || (e->tcp_flags & ~l->tcp_flags)))
		return 0;
	return 1;
}
