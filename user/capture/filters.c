// SPDX-License-Identifier: GPL-2.0-only
/*
 * Named filters (see filters.h): the filter file, its rule set for the
 * classifier, and `vpncap filter add|list|remove`.
 *
 * The file is read line by line by keyfile.c, as the capture configuration
 * is: a value runs to the end of its line.
 *
 * Every value goes through one function (set_field) whether it comes from
 * the file or the command line, so both accept exactly the same filters.
 */
#include "capture/filters.h"
#include "keyfile.h"
#include "log.h"
#include "optparse.h"
#include "textfile.h"
#include "capture/config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILTERS_MAX_BYTES (1u << 20)    /* 64 filters are a few kilobytes */
#define FILTERS_MAX_LINE 4096
#define SNAPLEN_MIN 64
#define SNAPLEN_MAX 262144
#define MATCH_FIELDS                                                                  \
	(VPNCAP_F_PROTO | VPNCAP_F_PORT | VPNCAP_F_ADDR | VPNCAP_F_VLAN | VPNCAP_F_MAC | \
	 VPNCAP_F_CLASS)
#define ALL_CLASSES (VPNCAP_CLASS_IKE | VPNCAP_CLASS_ESP | VPNCAP_CLASS_KEEPALIVE)

/* Keys of a filter section, options of `filter add`: one per field. */
enum key { K_PROTO, K_PORT, K_ADDR, K_VLAN, K_MAC, K_CLASS, K_SNAPLEN, N_KEYS };

static const struct {
	const char *file;       /* key in filters.conf */
	const char *cli;        /* option of `filter add`, as messages name it */
	int repeatable;
} keys[N_KEYS] = {
	[K_PROTO] = { "protocol", "-t", 0 },
	[K_PORT] = { "port", "-p", 0 },
	[K_ADDR] = { "address", "-i", 1 },
	[K_VLAN] = { "vlan", "--vlan", 0 },
	[K_MAC] = { "mac", "--mac", 0 },
	[K_CLASS] = { "class", "--class", 1 },
	[K_SNAPLEN] = { "snaplen", "--snaplen", 0 },
};

static const struct {
	const char *name;
	__u8 num;
} protos[] = {
	{ "udp", IPPROTO_UDP }, { "tcp", IPPROTO_TCP }, { "esp", IPPROTO_ESP },
	{ "icmp", IPPROTO_ICMP }, { "icmpv6", IPPROTO_ICMPV6 },
};

static const struct {
	const char *name;
	__u8 bit;
} classes[] = {
	{ "ike", VPNCAP_CLASS_IKE }, { "esp", VPNCAP_CLASS_ESP },
	{ "keepalive", VPNCAP_CLASS_KEEPALIVE },
};

#define N_PROTOS (sizeof(protos) / sizeof(protos[0]))
#define N_CLASSES (sizeof(classes) / sizeof(classes[0]))

/* The one preset: Always On VPN (IKEv2, NAT-T, ESP, SSTP). */
static const struct {
	const char *name;
	__u8 proto;
	__u16 port;     /* 0: any */
} aovpn[] = {
	{ "IKEv2", IPPROTO_UDP, 500 },
	{ "NAT-T", IPPROTO_UDP, 4500 },
	{ "ESP", IPPROTO_ESP, 0 },
	{ "SSTP", IPPROTO_TCP, 443 },
};

#define N_AOVPN (sizeof(aovpn) / sizeof(aovpn[0]))

static const char name_rule[] = "1-32 of A-Z a-z 0-9 . _ -";

/* ---------------------------------------------------------------------- */
/* Values                                                                  */
/* ---------------------------------------------------------------------- */

/* Decimal digits only (no sign, no white space), at most 10 of them. */
static int parse_uint(const char *s, size_t n, unsigned long long min, unsigned long long max,
		      unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i;

	if (!n || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long long)(s[i] - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_proto(const char *s, __u8 *proto)
{
	unsigned long long v;
	size_t i;

	for (i = 0; i < N_PROTOS; i++) {
		if (!strcasecmp(s, protos[i].name)) {
			*proto = protos[i].num;
			return 0;
		}
	}
	if (parse_uint(s, strlen(s), 1, 255, &v))
		return -1;
	*proto = (__u8)v;
	return 0;
}

static int parse_port(const char *s, __u16 *lo, __u16 *hi)
{
	const char *dash = strchr(s, '-');
	unsigned long long a, b;

	if (!dash) {
		if (parse_uint(s, strlen(s), 1, 65535, &a))
			return -1;
		b = a;
	} else if (parse_uint(s, (size_t)(dash - s), 1, 65535, &a) ||
		   parse_uint(dash + 1, strlen(dash + 1), 1, 65535, &b) || a > b) {
		return -1;
	}
	*lo = (__u16)a;
	*hi = (__u16)b;
	return 0;
}

static unsigned int prefix_bits(const struct vpncap_prefix *p)
{
	return p->family == 6 ? 128 : 32;
}

/* "10.0.0.0/8"; a host without "/LEN". */
static void prefix_str(const struct vpncap_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if ((p->family != 4 && p->family != 6) ||
	    !inet_ntop(p->family == 6 ? AF_INET6 : AF_INET, p->addr, a, sizeof(a))) {
		snprintf(buf, len, "?");
		return;
	}
	if (p->len >= prefix_bits(p))
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%u", a, p->len);
}

/* 1 when bits past p->len are set in p->addr; net gets them cleared. */
static int host_bits(const struct vpncap_prefix *p, struct vpncap_prefix *net)
{
	unsigned int i, bits = prefix_bits(p);
	int set = 0;

	*net = *p;
	for (i = 0; i < bits / 8; i++) {
		unsigned int keep = p->len >= (i + 1) * 8 ? 8 : p->len > i * 8 ? p->len - i * 8 : 0;
		__u8 mask = (__u8)(0xff00u >> keep);

		if (p->addr[i] & (__u8)~mask)
			set = 1;
		net->addr[i] = p->addr[i] & mask;
	}
	return set;
}

static int parse_prefix(const char *s, struct vpncap_prefix *out, char *msg, size_t msglen)
{
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	char buf[INET6_ADDRSTRLEN], net_s[INET6_ADDRSTRLEN + 8];
	struct vpncap_prefix net;
	unsigned long long len;
	int v6;

	memset(out, 0, sizeof(*out));
	if (!alen || alen >= sizeof(buf))
		goto bad;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	v6 = strchr(buf, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, out->addr) != 1)
		goto bad;
	out->family = v6 ? 6 : 4;
	if (!slash)
		len = prefix_bits(out);
	else if (parse_uint(slash + 1, strlen(slash + 1), 0, prefix_bits(out), &len))
		goto bad;
	out->len = (__u8)len;
	if (host_bits(out, &net)) {
		prefix_str(&net, net_s, sizeof(net_s));
		err_set(msg, msglen, "'%.80s' has host bits set (the prefix is %s)", s, net_s);
		return -1;
	}
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	err_set(msg, msglen, "'%.80s' is not an address or prefix", s);
	return -1;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* aa:bb:cc:dd:ee:ff, exactly (either case). */
static int parse_mac(const char *s, __u8 mac[6])
{
	int i;

	if (strlen(s) != 17)
		return -1;
	for (i = 0; i < 6; i++) {
		int h = hex_digit(s[3 * i]), l = hex_digit(s[3 * i + 1]);

		if (h < 0 || l < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -1;
		mac[i] = (__u8)(h << 4 | l);
	}
	return 0;
}

/* "ike,esp": adds to *mask. */
static int parse_classes(const char *s, __u8 *mask, char *msg, size_t msglen)
{
	const char *p = s;
	__u8 m = 0;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p), i;

		if (!n) {
			err_set(msg, msglen, "'%.80s' has an empty class (ike, esp, keepalive)", s);
			return -1;
		}
		for (i = 0; i < N_CLASSES; i++)
			if (strlen(classes[i].name) == n && !strncasecmp(p, classes[i].name, n))
				break;
		if (i == N_CLASSES) {
			err_set(msg, msglen, "'%.*s' is not a class (ike, esp, keepalive)",
				(int)(n > 80 ? 80 : n), p);
			return -1;
		}
		m |= classes[i].bit;
		if (!comma)
			break;
		p = comma + 1;
	}
	*mask |= m;
	return 0;
}

/*
 * One value of a field into r, from a file line or an option. 0, or -1
 * with msg naming the value. Whether a key may be given again is the
 * caller's business.
 */
static int set_field(struct vpncap_rule *r, enum key k, const char *v, char *msg, size_t msglen)
{
	unsigned long long n;
	struct vpncap_prefix p;
	unsigned int i;

	switch (k) {
	case K_PROTO:
		if (parse_proto(v, &r->l4_proto)) {
			err_set(msg, msglen,
				"'%.80s' is not a protocol (udp, tcp, esp, icmp, icmpv6 or 1-255)", v);
			return -1;
		}
		r->fields |= VPNCAP_F_PROTO;
		return 0;
	case K_PORT:
		if (parse_port(v, &r->port_lo, &r->port_hi)) {
			err_set(msg, msglen,
				"'%.80s' is not a port or port range (1-65535, LOW-HIGH with LOW <= HIGH)",
				v);
			return -1;
		}
		r->fields |= VPNCAP_F_PORT;
		return 0;
	case K_ADDR:
		if (parse_prefix(v, &p, msg, msglen))
			return -1;
		for (i = 0; i < r->n_addrs && i < VPNCAP_RULE_ADDRS; i++) {
			if (!memcmp(&r->addrs[i], &p, sizeof(p))) {
				err_set(msg, msglen, "'%.80s' given twice in one filter", v);
				return -1;
			}
		}
		if (r->n_addrs >= VPNCAP_RULE_ADDRS) {
			err_set(msg, msglen, "'%.80s' is one address too many (at most %d a filter)",
				v, VPNCAP_RULE_ADDRS);
			return -1;
		}
		r->addrs[r->n_addrs++] = p;
		r->fields |= VPNCAP_F_ADDR;
		return 0;
	case K_VLAN:
		if (parse_uint(v, strlen(v), 1, 4094, &n)) {
			err_set(msg, msglen, "'%.80s' is not a VLAN ID (1-4094)", v);
			return -1;
		}
		r->vlan_id = (__u16)n;
		r->fields |= VPNCAP_F_VLAN;
		return 0;
	case K_MAC:
		if (parse_mac(v, r->mac)) {
			memset(r->mac, 0, sizeof(r->mac));
			err_set(msg, msglen, "'%.80s' is not a MAC address (aa:bb:cc:dd:ee:ff)", v);
			return -1;
		}
		r->fields |= VPNCAP_F_MAC;
		return 0;
	case K_CLASS:
		if (parse_classes(v, &r->class_mask, msg, msglen))
			return -1;
		r->fields |= VPNCAP_F_CLASS;
		return 0;
	case K_SNAPLEN:
		if (parse_uint(v, strlen(v), 0, SNAPLEN_MAX, &n) || (n && n < SNAPLEN_MIN)) {
			err_set(msg, msglen, "'%.80s' is not a snaplen (%d-%d, 0 = whole frame)", v,
				SNAPLEN_MIN, SNAPLEN_MAX);
			return -1;
		}
		r->snaplen = (__u32)n;
		return 0;
	default:
		err_set(msg, msglen, "unknown field");
		return -1;
	}
}

enum finish { FINISH_OK, FINISH_EMPTY, FINISH_PORT };

/* What the fields of a whole filter must satisfy together. */
static enum finish finish_rule(const struct vpncap_rule *r)
{
	if (!(r->fields & MATCH_FIELDS))
		return FINISH_EMPTY;
	if ((r->fields & VPNCAP_F_PORT) &&
	    (!(r->fields & VPNCAP_F_PROTO) ||
	     (r->l4_proto != IPPROTO_UDP && r->l4_proto != IPPROTO_TCP)))
		return FINISH_PORT;
	return FINISH_OK;
}

static int refuse(char *msg, size_t msglen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* vsnprintf into msg; -1. */
static int refuse(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	if (msg && msglen) {
		va_start(ap, fmt);
		vsnprintf(msg, msglen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A rule as filters_parse would give it back; 0, or -1 with the reason. */
static int valid_rule(const struct vpncap_rule *r, char *msg, size_t msglen)
{
	unsigned int i, j;

	if (r->fields & ~MATCH_FIELDS)
		return refuse(msg, msglen, "unknown fields 0x%x", r->fields);
	if (finish_rule(r) == FINISH_EMPTY)
		return refuse(msg, msglen, "no match field");
	if (finish_rule(r) == FINISH_PORT)
		return refuse(msg, msglen, "a port without protocol udp or tcp");
	if ((r->fields & VPNCAP_F_PROTO) && !r->l4_proto)
		return refuse(msg, msglen, "protocol 0");
	if ((r->fields & VPNCAP_F_PORT) && (!r->port_lo || r->port_lo > r->port_hi))
		return refuse(msg, msglen, "port range %u-%u", r->port_lo, r->port_hi);
	if (r->fields & VPNCAP_F_ADDR) {
		if (!r->n_addrs || r->n_addrs > VPNCAP_RULE_ADDRS)
			return refuse(msg, msglen, "%u addresses", r->n_addrs);
		for (i = 0; i < r->n_addrs; i++) {
			const struct vpncap_prefix *p = &r->addrs[i];
			struct vpncap_prefix net;

			if ((p->family != 4 && p->family != 6) || p->len > prefix_bits(p) ||
			    host_bits(p, &net))
				return refuse(msg, msglen, "address %u is not a prefix", i + 1);
			for (j = 0; j < i; j++)
				if (r->addrs[j].family == p->family && r->addrs[j].len == p->len &&
				    !memcmp(r->addrs[j].addr, p->addr, sizeof(p->addr)))
					return refuse(msg, msglen, "address %u given twice", i + 1);
		}
	}
	if ((r->fields & VPNCAP_F_VLAN) && (!r->vlan_id || r->vlan_id > 4094))
		return refuse(msg, msglen, "VLAN ID %u", r->vlan_id);
	if ((r->fields & VPNCAP_F_CLASS) && (!r->class_mask || (r->class_mask & ~ALL_CLASSES)))
		return refuse(msg, msglen, "class mask 0x%x", r->class_mask);
	if (r->snaplen && (r->snaplen < SNAPLEN_MIN || r->snaplen > SNAPLEN_MAX))
		return refuse(msg, msglen, "snaplen %u", r->snaplen);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* The set                                                                 */
/* ---------------------------------------------------------------------- */

int filters_valid_name(const char *s)
{
	size_t n = 0;

	if (!s)
		return 0;
	for (; s[n]; n++) {
		char c = s[n];

		if (n >= FILTER_NAME_MAX)
			return 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return n > 0;
}

int filters_find(const struct filter_set *set, const char *name)
{
	unsigned int i;

	for (i = 0; i < set->count && i < VPNCAP_MAX_RULES; i++)
		if (!strcmp(set->names[i], name))
			return (int)i;
	return -1;
}

const char *filters_name(const struct filter_set *set, unsigned int idx)
{
	return set && idx < set->count && idx < VPNCAP_MAX_RULES ? set->names[idx] : NULL;
}

int filters_to_ruleset(const struct filter_set *set, struct vpncap_ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
	if (set->count > VPNCAP_MAX_RULES)
		return -1;
	rs->count = set->count;
	memcpy(rs->rules, set->rules, set->count * sizeof(set->rules[0]));
	return 0;
}

/* Appends to a buffer like snprintf: used counts what was needed. */
struct sbuf {
	char *buf;
	size_t len, used;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->used < b->len ? b->buf + b->used : NULL,
		      b->used < b->len ? b->len - b->used : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->used += (size_t)n;
}

static const char *proto_word(__u8 proto, char *tmp, size_t len, int words)
{
	size_t i;

	for (i = 0; i < N_PROTOS; i++)
		if (protos[i].num == proto)
			return protos[i].name;
	snprintf(tmp, len, words ? "ip proto %u" : "%u", proto);
	return tmp;
}

static void put_port(struct sbuf *b, const struct vpncap_rule *r)
{
	if (r->port_lo == r->port_hi)
		sb_printf(b, "%u", r->port_lo);
	else
		sb_printf(b, "%u-%u", r->port_lo, r->port_hi);
}

static void put_addrs(struct sbuf *b, const struct vpncap_rule *r)
{
	char a[INET6_ADDRSTRLEN + 8];
	unsigned int i;

	for (i = 0; i < r->n_addrs && i < VPNCAP_RULE_ADDRS; i++) {
		prefix_str(&r->addrs[i], a, sizeof(a));
		sb_printf(b, "%s%s", i ? "," : "", a);
	}
}

static void put_mac(struct sbuf *b, const __u8 *m)
{
	sb_printf(b, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void put_classes(struct sbuf *b, __u8 mask)
{
	const char *sep = "";
	size_t i;

	for (i = 0; i < N_CLASSES; i++) {
		if (mask & classes[i].bit) {
			sb_printf(b, "%s%s", sep, classes[i].name);
			sep = ",";
		}
	}
}

static void describe_rule(struct sbuf *b, const struct vpncap_rule *r)
{
	const char *sep = "";
	char tmp[24];

	if (r->fields & VPNCAP_F_PROTO) {
		sb_printf(b, "%s", proto_word(r->l4_proto, tmp, sizeof(tmp), 1));
		sep = " ";
	}
	if (r->fields & VPNCAP_F_PORT) {
		sb_printf(b, "%sport ", sep);
		put_port(b, r);
		sep = " ";
	}
	if (r->fields & VPNCAP_F_ADDR) {
		sb_printf(b, "%saddr ", sep);
		put_addrs(b, r);
		sep = " ";
	}
	if (r->fields & VPNCAP_F_VLAN) {
		sb_printf(b, "%svlan %u", sep, r->vlan_id);
		sep = " ";
	}
	if (r->fields & VPNCAP_F_MAC) {
		sb_printf(b, "%smac ", sep);
		put_mac(b, r->mac);
		sep = " ";
	}
	if (r->fields & VPNCAP_F_CLASS) {
		sb_printf(b, "%sclass ", sep);
		put_classes(b, r->class_mask);
		sep = " ";
	}
	if (!*sep)
		sb_printf(b, "any");
}

int filters_describe_rule(const struct vpncap_rule *r, char *buf, size_t len)
{
	struct sbuf b = { buf, len, 0 };

	if (len)
		buf[0] = '\0';
	describe_rule(&b, r);
	return (int)b.used;
}

int filters_describe(const struct filter_set *set, char *buf, size_t len)
{
	struct sbuf b = { buf, len, 0 };
	unsigned int i;

	if (len)
		buf[0] = '\0';
	if (!set->count)
		sb_printf(&b, "no filters");
	for (i = 0; i < set->count && i < VPNCAP_MAX_RULES; i++) {
		sb_printf(&b, "%s%s: ", i ? "; " : "", set->names[i]);
		describe_rule(&b, &set->rules[i]);
		if (set->rules[i].snaplen)
			sb_printf(&b, " snaplen %u", set->rules[i].snaplen);
	}
	return (int)b.used;
}

/* ---------------------------------------------------------------------- */
/* Loading                                                                 */
/* ---------------------------------------------------------------------- */

struct fparse {
	struct keyfile_error e;
	int lineno;                     /* the line being read */
	struct filter_set *set;
	int section_line[VPNCAP_MAX_RULES];
	int key_line[N_KEYS];           /* first line of each key in the current filter */
	char value[FILTERS_MAX_LINE + 1];
};

/* Records a problem at line (the first one only). */
#define fail_at(p, line, ...) keyfile_fail(&(p)->e, line, __VA_ARGS__)

/* The filter before a new section or the end of the text: complete? */
static int finish_filter(struct fparse *p)
{
	unsigned int i;

	if (!p->set->count)
		return 0;
	i = p->set->count - 1;
	switch (finish_rule(&p->set->rules[i])) {
	case FINISH_EMPTY:
		fail_at(p, p->section_line[i],
			"filter '%s' has no match field (protocol, port, address, vlan, mac or class)",
			p->set->names[i]);
		return -1;
	case FINISH_PORT:
		fail_at(p, p->key_line[K_PORT], "port needs protocol = udp or tcp (filter '%s')",
			p->set->names[i]);
		return -1;
	default:
		return 0;
	}
}

/* "[NAME]" (s..end, trimmed): starts a filter. */
static int start_filter(struct fparse *p, const char *s, const char *end)
{
	char name[FILTER_NAME_MAX + 1];
	size_t n;
	int other;

	if (end - s < 2 || end[-1] != ']') {
		fail_at(p, p->lineno, "malformed section (expected [NAME])");
		return -1;
	}
	n = (size_t)(end - s - 2);
	if (n <= FILTER_NAME_MAX) {
		memcpy(name, s + 1, n);
		name[n] = '\0';
	}
	if (n > FILTER_NAME_MAX || !filters_valid_name(name)) {
		fail_at(p, p->lineno, "'%.*s' is not a filter name (%s)", (int)(n > 80 ? 80 : n),
			s + 1, name_rule);
		return -1;
	}
	if (finish_filter(p))
		return -1;
	other = filters_find(p->set, name);
	if (other >= 0) {
		fail_at(p, p->lineno, "filter '%s' given twice (first on line %d)", name,
			p->section_line[other]);
		return -1;
	}
	if (p->set->count >= VPNCAP_MAX_RULES) {
		fail_at(p, p->lineno, "'%s' is one filter too many (at most %d)", name,
			VPNCAP_MAX_RULES);
		return -1;
	}
	memset(&p->set->rules[p->set->count], 0, sizeof(p->set->rules[0]));
	memcpy(p->set->names[p->set->count], name, n + 1);
	p->section_line[p->set->count] = p->lineno;
	p->set->count++;
	memset(p->key_line, 0, sizeof(p->key_line));
	return 0;
}

static int key_by_file_name(const char *s, size_t n)
{
	int k;

	for (k = 0; k < N_KEYS; k++)
		if (strlen(keys[k].file) == n && !memcmp(keys[k].file, s, n))
			return k;
	return -1;
}

/* "key = value" inside a filter: the key known, not repeated, the value set. */
static int parse_pair(struct fparse *p, const struct keyfile_line *l)
{
	int k = key_by_file_name(l->key, l->key_len);
	struct vpncap_rule *r;
	char msg[400];
	unsigned int i;

	if (k < 0) {
		fail_at(p, p->lineno,
			"unknown key '%.*s' (protocol, port, address, vlan, mac, class, snaplen)",
			(int)(l->key_len > 64 ? 64 : l->key_len), l->key);
		return -1;
	}
	if (!p->set->count) {
		fail_at(p, p->lineno, "'%s' before the first filter (start one with [NAME])",
			keys[k].file);
		return -1;
	}
	i = p->set->count - 1;
	r = &p->set->rules[i];
	if (!l->value_len) {
		fail_at(p, p->lineno, "%s: empty value", keys[k].file);
		return -1;
	}
	if (p->key_line[k] && !keys[k].repeatable) {
		fail_at(p, p->lineno, "'%s' given twice in filter '%s' (first on line %d)",
			keys[k].file, p->set->names[i], p->key_line[k]);
		return -1;
	}
	if (!p->key_line[k])
		p->key_line[k] = p->lineno;
	memcpy(p->value, l->value, l->value_len);
	p->value[l->value_len] = '\0';
	if (set_field(r, (enum key)k, p->value, msg, sizeof(msg))) {
		fail_at(p, p->lineno, "%s", msg);
		return -1;
	}
	return 0;
}

/* One line of the file; 0 to go on, -1 with the problem recorded. */
static int parse_line(void *ctx, const struct keyfile_line *l)
{
	struct fparse *p = ctx;

	p->lineno = l->lineno;
	switch (l->kind) {
	case KEYFILE_SECTION:
		return start_filter(p, l->text, l->text + l->len);
	case KEYFILE_PAIR:
		return parse_pair(p, l);
	default:
		fail_at(p, p->lineno, "malformed line (expected [NAME] or key = value)");
		return -1;
	}
}

int filters_parse(const char *path, const char *text, size_t len, struct filter_set *out,
		  char *err, size_t errlen)
{
	struct fparse *p = calloc(1, sizeof(*p));
	struct keyfile_refusal why;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!p) {
		err_set(err, errlen, "%s: out of memory", path);
		err_one_line(err, errlen);
		return -ENOMEM;
	}
	p->e = (struct keyfile_error){ .path = path, .err = err, .errlen = errlen };
	p->set = out;
	if (keyfile_each(text, len, FILTERS_MAX_LINE, parse_line, p, &why) == KEYFILE_REFUSED)
		fail_at(p, why.lineno, "%s", why.problem);
	if (!p->e.line)
		finish_filter(p);
	rc = p->e.line ? -EINVAL : 0;
	free(p);
	if (rc) {
		memset(out, 0, sizeof(*out));
		err_one_line(err, errlen);
	}
	return rc;
}

int filters_load(const char *path, struct filter_set *out, char *err, size_t errlen)
{
	size_t len;
	char *text;
	int ret, rc;

	memset(out, 0, sizeof(*out));
	ret = textfile_read(path, FILTERS_MAX_BYTES, &text, &len);
	if (ret == -ENOENT)
		return 0; /* no filters yet */
	if (ret) {
		err_set(err, errlen, "%s: cannot read: %s", path, strerror(-ret));
		err_one_line(err, errlen);
		return ret;
	}
	rc = filters_parse(path, text, len, out, err, errlen);
	free(text);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Writing                                                                 */
/* ---------------------------------------------------------------------- */

static void put_filter(FILE *f, const char *name, const struct vpncap_rule *r)
{
	char text[512], tmp[24];
	struct sbuf b = { text, sizeof(text), 0 };
	unsigned int i;

	fprintf(f, "\n[%s]\n", name);
	if (r->fields & VPNCAP_F_PROTO)
		fprintf(f, "protocol = %s\n", proto_word(r->l4_proto, tmp, sizeof(tmp), 0));
	if (r->fields & VPNCAP_F_PORT) {
		put_port(&b, r);
		fprintf(f, "port = %s\n", text);
	}
	for (i = 0; (r->fields & VPNCAP_F_ADDR) && i < r->n_addrs; i++) {
		prefix_str(&r->addrs[i], text, sizeof(text));
		fprintf(f, "address = %s\n", text);
	}
	if (r->fields & VPNCAP_F_VLAN)
		fprintf(f, "vlan = %u\n", r->vlan_id);
	if (r->fields & VPNCAP_F_MAC) {
		b.used = 0;
		put_mac(&b, r->mac);
		fprintf(f, "mac = %s\n", text);
	}
	if (r->fields & VPNCAP_F_CLASS) {
		b.used = 0;
		put_classes(&b, r->class_mask);
		fprintf(f, "class = %s\n", text);
	}
	if (r->snaplen)
		fprintf(f, "snaplen = %u\n", r->snaplen);
}

int filters_save(const char *path, const struct filter_set *set, char *err, size_t errlen)
{
	char *text = NULL, msg[256];
	size_t len = 0;
	unsigned int i;
	FILE *f;
	int rc;

	if (set->count > VPNCAP_MAX_RULES) {
		err_set(err, errlen, "%s: cannot write: %u filters (at most %d)", path, set->count,
			VPNCAP_MAX_RULES);
		return -EINVAL;
	}
	for (i = 0; i < set->count; i++) {
		if (!filters_valid_name(set->names[i]) || filters_find(set, set->names[i]) != (int)i) {
			err_set(err, errlen, "%s: cannot write: filter %u has a bad or repeated name",
				path, i + 1);
			err_one_line(err, errlen);
			return -EINVAL;
		}
		if (valid_rule(&set->rules[i], msg, sizeof(msg))) {
			err_set(err, errlen, "%s: cannot write: filter '%s': %s", path,
				set->names[i], msg);
			err_one_line(err, errlen);
			return -EINVAL;
		}
	}
	f = open_memstream(&text, &len);
	if (!f) {
		err_set(err, errlen, "%s: cannot write: %s", path, strerror(ENOMEM));
		err_one_line(err, errlen);
		return -ENOMEM;
	}
	fprintf(f,
		"# vpncap named filters, written by `vpncap filter add/remove`.\n"
		"# One [NAME] section per filter, in order; a frame is captured when\n"
		"# every key of one filter matches. Keys: protocol, port, address\n"
		"# (repeatable), vlan, mac, class, snaplen (see `vpncap filter help`).\n");
	for (i = 0; i < set->count; i++)
		put_filter(f, set->names[i], &set->rules[i]);
	if (fclose(f) || !text) {
		free(text);
		err_set(err, errlen, "%s: cannot write: %s", path, strerror(ENOMEM));
		err_one_line(err, errlen);
		return -ENOMEM;
	}
	rc = textfile_replace(path, text, len, 0640, err, errlen);
	free(text);
	if (rc)
		err_one_line(err, errlen);
	return rc;
}

/* The fields of a rule as JSON members, each ", \"key\": value". */
void filters_rule_json(FILE *f, const struct vpncap_rule *r)
{
	char tmp[512];
	struct sbuf b = { tmp, sizeof(tmp), 0 };
	unsigned int a;
	size_t c;
	const char *sep = "";

	if (r->fields & VPNCAP_F_PROTO)
		fprintf(f, ", \"protocol\": \"%s\"", proto_word(r->l4_proto, tmp, sizeof(tmp), 0));
	if (r->fields & VPNCAP_F_PORT)
		fprintf(f, ", \"port_low\": %u, \"port_high\": %u", r->port_lo, r->port_hi);
	if (r->fields & VPNCAP_F_ADDR) {
		fprintf(f, ", \"addresses\": [");
		for (a = 0; a < r->n_addrs && a < VPNCAP_RULE_ADDRS; a++) {
			prefix_str(&r->addrs[a], tmp, sizeof(tmp));
			fprintf(f, "%s\"%s\"", a ? ", " : "", tmp);
		}
		fprintf(f, "]");
	}
	if (r->fields & VPNCAP_F_VLAN)
		fprintf(f, ", \"vlan\": %u", r->vlan_id);
	if (r->fields & VPNCAP_F_MAC) {
		put_mac(&b, r->mac);
		fprintf(f, ", \"mac\": \"%s\"", tmp);
	}
	if (r->fields & VPNCAP_F_CLASS) {
		fprintf(f, ", \"classes\": [");
		for (c = 0; c < N_CLASSES; c++) {
			if (r->class_mask & classes[c].bit) {
				fprintf(f, "%s\"%s\"", sep, classes[c].name);
				sep = ", ";
			}
		}
		fprintf(f, "]");
	}
	fprintf(f, ", \"snaplen\": %u", r->snaplen);
}

/* ---------------------------------------------------------------------- */
/* The command line                                                        */
/* ---------------------------------------------------------------------- */

enum { O_PRESET = FILTERS_OPT_PRESET, O_CONFIG_DIR = FILTERS_OPT_CONFIG_DIR, O_HELP = FILTERS_OPT_HELP };
_Static_assert(N_KEYS == FILTERS_N_KEYS, "filter fields and FILTERS_N_KEYS");

#define N_OPTS(t) (sizeof(t) / sizeof((t)[0]))

/* `filter add|list|remove`: options anywhere, exact long names, no clusters. */
static const struct optdef add_opts[] = {
	{ "protocol", 't', 1, K_PROTO, NULL }, { "port", 'p', 1, K_PORT, NULL },
	{ "address", 'i', 1, K_ADDR, NULL }, { "vlan", 0, 1, K_VLAN, NULL }, { "mac", 0, 1, K_MAC, NULL },
	{ "class", 0, 1, K_CLASS, NULL }, { "snaplen", 0, 1, K_SNAPLEN, NULL },
	{ "preset", 0, 1, O_PRESET, NULL }, { "config-dir", 0, 1, O_CONFIG_DIR, NULL },
	{ "help", 'h', 0, O_HELP, NULL },
};

/* --config-dir DIR; cfg NULL: not an option here. */
int filters_take_config_dir(const char **cfg, const char *val, char *err, size_t errlen)
{
	if (!cfg) {
		err_set(err, errlen, "unknown option '--config-dir'");
		return -1;
	}
	if (*cfg) {
		err_set(err, errlen, "--config-dir given twice");
		return -1;
	}
	if (!*val) {
		err_set(err, errlen, "--config-dir: empty directory name");
		return -1;
	}
	*cfg = val;
	return 0;
}


int filters_add_parse(int argc, char **argv, struct filter_add_req *req, const char **cfg,
		      char *err, size_t errlen)
{
	struct optparse op;
	const char *val;
	int rc, id, k;

	memset(req, 0, sizeof(*req));
	optparse_init(&op, argc, argv, OPTPARSE_PERMUTE);
	while ((rc = optparse_next(&op, add_opts, N_OPTS(add_opts), &id, &val, err, errlen)) !=
	       OPTPARSE_END) {
		if (rc == OPTPARSE_ERROR)
			return -1;
		if (rc == OPTPARSE_WORD) {
			if (req->name) {
				err_set(err, errlen, "unexpected argument '%.80s' (one filter name: '%s')",
					val, req->name);
				return -1;
			}
			if (!filters_valid_name(val)) {
				err_set(err, errlen, "'%.80s' is not a filter name (%s)", val, name_rule);
				return -1;
			}
			req->name = val;
			continue;
		}
		switch (id) {
		case O_HELP:
			req->help = 1;
			return 0;
		case O_CONFIG_DIR:
			if (filters_take_config_dir(cfg, val, err, errlen))
				return -1;
			break;
		case O_PRESET:
			if (req->preset) {
				err_set(err, errlen, "--preset given twice");
				return -1;
			}
			if (strcmp(val, "aovpn")) {
				err_set(err, errlen, "'%.80s' is not a preset (aovpn)", val);
				return -1;
			}
			req->preset = val;
			break;
		default:
			if (req->seen_keys[id] && !keys[id].repeatable) {
				err_set(err, errlen, "%s given twice ('%.80s')", keys[id].cli, val);
				return -1;
			}
			req->seen_keys[id] = 1;
			if (id == K_PORT)
				req->port = val;
			if (set_field(&req->rule, (enum key)id, val, err, errlen))
				return -1;
			break;
		}
	}
	if (req->preset) {
		if (req->name) {
			err_set(err, errlen, "'%s': --preset names its filters itself", req->name);
			return -1;
		}
		for (k = 0; k < N_KEYS; k++) {
			if (req->seen_keys[k] && k != K_SNAPLEN) {
				err_set(err, errlen, "%s cannot go with --preset (only --snaplen can)",
					keys[k].cli);
				return -1;
			}
		}
		return 0;
	}
	if (!req->name) {
		err_set(err, errlen, "missing filter name (filter add NAME [fields] or --preset aovpn)");
		return -1;
	}
	switch (finish_rule(&req->rule)) {
	case FINISH_EMPTY:
		err_set(err, errlen,
			"'%s' has no match field (give -t, -p, -i, --vlan, --mac or --class)",
			req->name);
		return -1;
	case FINISH_PORT:
		err_set(err, errlen, "-p '%.80s' needs -t udp or -t tcp", req->port);
		return -1;
	default:
		return 0;
	}
}

int filters_add_apply(struct filter_set *set, const struct filter_add_req *req, char *err,
		      size_t errlen)
{
	unsigned int i;

	if (req->preset) {
		for (i = 0; i < N_AOVPN; i++) {
			if (filters_find(set, aovpn[i].name) >= 0) {
				err_set(err, errlen, "'%s' already exists (nothing of --preset %s added)",
					aovpn[i].name, req->preset);
				return -1;
			}
		}
		if (set->count + N_AOVPN > VPNCAP_MAX_RULES) {
			err_set(err, errlen,
				"--preset %s: %u filters and %zu more are more than %d", req->preset,
				set->count, N_AOVPN, VPNCAP_MAX_RULES);
			return -1;
		}
		for (i = 0; i < N_AOVPN; i++) {
			struct vpncap_rule *r = &set->rules[set->count];

			memset(r, 0, sizeof(*r));
			r->fields = VPNCAP_F_PROTO;
			r->l4_proto = aovpn[i].proto;
			if (aovpn[i].port) {
				r->fields |= VPNCAP_F_PORT;
				r->port_lo = r->port_hi = aovpn[i].port;
			}
			r->snaplen = req->rule.snaplen;
			snprintf(set->names[set->count], sizeof(set->names[0]), "%s", aovpn[i].name);
			set->count++;
		}
		return 0;
	}
	if (filters_find(set, req->name) >= 0) {
		err_set(err, errlen, "'%s' already exists", req->name);
		return -1;
	}
	if (set->count >= VPNCAP_MAX_RULES) {
		err_set(err, errlen, "'%s' would be filter %u (at most %d)", req->name,
			set->count + 1, VPNCAP_MAX_RULES);
		return -1;
	}
	set->rules[set->count] = req->rule;
	snprintf(set->names[set->count], sizeof(set->names[0]), "%s", req->name);
	set->count++;
	return 0;
}

int filters_add_args(struct filter_set *set, int argc, char **argv, char *err, size_t errlen)
{
	struct filter_add_req req;

	if (filters_add_parse(argc, argv, &req, NULL, err, errlen)) {
		err_one_line(err, errlen);
		return -1;
	}
	if (req.help)
		return 1;
	if (filters_add_apply(set, &req, err, errlen)) {
		err_one_line(err, errlen);
		return -1;
	}
	return 0;
}

