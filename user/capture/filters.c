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
#include "capture/rules.h"
#include "hook/expr.h"

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
#define MATCH_FIELDS (VPNCAP_KNOWN_FIELDS & ~VPNCAP_F_ALL)
#define ALL_CLASSES (VPNCAP_CLASS_IKE | VPNCAP_CLASS_ESP | VPNCAP_CLASS_KEEPALIVE)
#define ETHERTYPE_MIN 0x0600            /* below: an 802.3 length, not a type */
#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_ARP 0x0806

/* Keys of a filter section, one per field (a pair's second end is a key of its own). */
enum key {
	K_PROTO, K_PORT, K_ADDR, K_VLAN, K_MAC, K_CLASS, K_SNAPLEN, K_ETHERTYPE, K_TCP_FLAGS,
	K_PORT2, K_ADDR2, K_MAC2, K_EXPR, N_KEYS
};

static const struct {
	const char *file;       /* key in filters.conf */
	const char *cli;        /* option of `filter add`, as messages name it */
	int repeatable;
} keys[N_KEYS] = {
	[K_PROTO] = { "protocol", "-t", 0 },
	[K_PORT] = { "port", "-p", 0 },
	[K_ADDR] = { "address", "-i", 1 },
	[K_VLAN] = { "vlan", "-v/--vlan", 0 },
	[K_MAC] = { "mac", "-m/--mac", 0 },
	[K_CLASS] = { "class", "--class", 1 },
	[K_SNAPLEN] = { "snaplen", "--snaplen", 0 },
	[K_ETHERTYPE] = { "ethertype", "-d", 0 },
	[K_TCP_FLAGS] = { "tcp_flags", "--tcp-flags", 0 },
	[K_PORT2] = { "port2", "-p", 0 },
	[K_ADDR2] = { "address2", "-i", 0 },
	[K_MAC2] = { "mac2", "-m", 0 },
	[K_EXPR] = { "expression", "--expr", 0 },
};

static const char *const tcp_flag_names[8] = { "fin", "syn", "rst", "psh",
					       "ack", "urg", "ece", "cwr" };

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

/* "ipv4", "IPv6", "ARP", "0x88cc" or 1536-65535 (an EtherType, not a length). */
static int parse_ethertype(const char *s, __u16 *out)
{
	static const struct { const char *name; __u16 type; } words[] = {
		{ "ipv4", ETH_IPV4 }, { "ipv6", ETH_IPV6 }, { "arp", ETH_ARP },
	};
	unsigned long long v = 0;
	size_t i, n = strlen(s);

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (!strcasecmp(s, words[i].name)) {
			*out = words[i].type;
			return 0;
		}
	}
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (n > 6)
			return -1;
		for (i = 2; i < n; i++) {
			int d = hex_digit(s[i]);

			if (d < 0)
				return -1;
			v = v * 16 + (unsigned long long)d;
		}
	} else if (parse_uint(s, n, 0, 65535, &v)) {
		return -1;
	}
	if (v < ETHERTYPE_MIN || v > 0xffff)
		return -1;
	*out = (__u16)v;
	return 0;
}

/* 1 for the EtherTypes of VLAN tags, which the classifier looks past. */
static int vlan_ethertype(__u16 t)
{
	return t == 0x8100 || t == 0x88a8 || t == 0x9100;
}

/* "syn,ack" (FIN SYN RST PSH ACK URG ECE CWR, any case): adds to *flags. */
static int parse_tcp_flags(const char *s, __u8 *flags)
{
	const char *p = s;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		int i;

		for (i = 0; i < 8; i++)
			if (strlen(tcp_flag_names[i]) == n && !strncasecmp(p, tcp_flag_names[i], n))
				break;
		if (i == 8)
			return -1;
		*flags |= (__u8)(1u << i);
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

/* A TCP flag word ("SYN"), as PktMon takes them after -t TCP. */
static int tcp_flag_word(const char *s)
{
	__u8 f = 0;

	return !strchr(s, ',') && !parse_tcp_flags(s, &f);
}

static int add_address(struct vpncap_rule *r, unsigned int at, const char *v, char *msg,
		       size_t msglen)
{
	struct vpncap_prefix p;
	unsigned int i;

	if (parse_prefix(v, &p, msg, msglen))
		return -1;
	for (i = 0; i < r->n_addrs && i < VPNCAP_RULE_ADDRS; i++) {
		if (!memcmp(&r->addrs[i], &p, sizeof(p))) {
			err_set(msg, msglen, "'%.80s' given twice in one filter", v);
			return -1;
		}
	}
	if (at >= VPNCAP_RULE_ADDRS) {
		err_set(msg, msglen, "'%.80s' is one address too many (at most %d a filter)", v,
			VPNCAP_RULE_ADDRS);
		return -1;
	}
	r->addrs[at] = p;
	r->n_addrs = (__u8)(at + 1);
	r->fields |= VPNCAP_F_ADDR;
	return 0;
}

/* The second end of a pair: the first must be there, alone. */
static int set_pair_end(struct vpncap_rule *r, enum key k, const char *v, char *msg,
			size_t msglen)
{
	unsigned long long n;

	switch (k) {
	case K_PORT2:
		if (!(r->fields & VPNCAP_F_PORT) || r->port_lo != r->port_hi) {
			err_set(msg, msglen, "port pair: '%.80s' needs one single port before it "
				"(no range)", v);
			return -1;
		}
		if (parse_uint(v, strlen(v), 1, 65535, &n)) {
			err_set(msg, msglen, "'%.80s' is not a port (1-65535; a pair takes single ports)", v);
			return -1;
		}
		r->fields = (r->fields & ~VPNCAP_F_PORT) | VPNCAP_F_PORT_PAIR;
		r->port_hi = 0;
		r->port2 = (__u16)n;
		return 0;
	case K_ADDR2:
		if (r->n_addrs != 1 || (r->fields & VPNCAP_F_ADDR_PAIR)) {
			err_set(msg, msglen, "address pair: '%.80s' needs exactly one address before it", v);
			return -1;
		}
		if (add_address(r, 1, v, msg, msglen))
			return -1;
		r->fields |= VPNCAP_F_ADDR_PAIR;
		return 0;
	default: /* K_MAC2 */
		if (!(r->fields & VPNCAP_F_MAC) || (r->fields & VPNCAP_F_MAC_PAIR)) {
			err_set(msg, msglen, "MAC pair: '%.80s' needs one MAC address before it", v);
			return -1;
		}
		if (parse_mac(v, r->mac2)) {
			memset(r->mac2, 0, sizeof(r->mac2));
			err_set(msg, msglen, "'%.80s' is not a MAC address (aa:bb:cc:dd:ee:ff)", v);
			return -1;
		}
		r->fields |= VPNCAP_F_MAC_PAIR;
		return 0;
	}
}

/* An expression: one line, libpcap compiles it. expr gets the text. */
static int set_expr(struct vpncap_rule *r, char *expr, const char *v, char *msg, size_t msglen)
{
	char why[300];

	if (!*v) {
		err_set(msg, msglen, "empty expression");
		return -1;
	}
	if (strchr(v, '\n') || strchr(v, '\r')) {
		err_set(msg, msglen, "an expression is one line");
		return -1;
	}
	if (expr_check(v, why, sizeof(why))) {
		err_set(msg, msglen, "not a tcpdump expression: %s", why);
		return -1;
	}
	memset(expr, 0, EXPR_TEXT_MAX);
	memcpy(expr, v, strlen(v));
	r->fields |= VPNCAP_F_EXPR;
	r->expr_slot = 0;
	return 0;
}

/*
 * One value of a field into r (expr: where an expression's text goes),
 * from a file line or an option. 0, or -1 with msg naming the value.
 * Whether a key may be given again is the caller's business.
 */
static int set_field(struct vpncap_rule *r, char *expr, enum key k, const char *v, char *msg,
		     size_t msglen)
{
	unsigned long long n;

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
		if (r->fields & VPNCAP_F_PORT_PAIR) {
			err_set(msg, msglen, "'%.80s': the filter has a port pair already", v);
			return -1;
		}
		if (parse_port(v, &r->port_lo, &r->port_hi)) {
			err_set(msg, msglen,
				"'%.80s' is not a port or port range (1-65535, LOW-HIGH with LOW <= HIGH)",
				v);
			return -1;
		}
		r->fields |= VPNCAP_F_PORT;
		return 0;
	case K_ADDR:
		if (r->fields & VPNCAP_F_ADDR_PAIR) {
			err_set(msg, msglen, "'%.80s': the filter has an address pair already", v);
			return -1;
		}
		return add_address(r, r->n_addrs, v, msg, msglen);
	case K_PORT2:
	case K_ADDR2:
	case K_MAC2:
		return set_pair_end(r, k, v, msg, msglen);
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
	case K_ETHERTYPE:
		if (parse_ethertype(v, &r->ethertype)) {
			err_set(msg, msglen,
				"'%.80s' is not a data link type (IPv4, IPv6, ARP, or an EtherType 0x0600-0xffff)",
				v);
			return -1;
		}
		if (vlan_ethertype(r->ethertype)) {
			err_set(msg, msglen, "'%.80s' is a VLAN tag, which filters look past (use -v ID)",
				v);
			r->ethertype = 0;
			return -1;
		}
		r->fields |= VPNCAP_F_ETHERTYPE;
		return 0;
	case K_TCP_FLAGS:
		if (parse_tcp_flags(v, &r->tcp_flags)) {
			err_set(msg, msglen,
				"'%.80s' is not a list of TCP flags (FIN SYN RST PSH ACK URG ECE CWR, comma-separated)",
				v);
			return -1;
		}
		r->fields |= VPNCAP_F_TCP_FLAGS;
		return 0;
	case K_EXPR:
		return set_expr(r, expr, v, msg, msglen);
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

/* ---------------------------------------------------------------------- */
/* Fields that contradict each other                                       */
/* ---------------------------------------------------------------------- */

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

/* How a key is named in a message: the option, or the file's key. */
static const char *kname(enum key k, int cli)
{
	return cli ? keys[k].cli : keys[k].file;
}

static const char *proto_name(__u8 proto, char *tmp, size_t len)
{
	size_t i;

	for (i = 0; i < N_PROTOS; i++)
		if (protos[i].num == proto)
			return protos[i].name;
	snprintf(tmp, len, "%u", proto);
	return tmp;
}

/* The classes an IP protocol can carry (IKE and keepalives: UDP; ESP: 50 or UDP). */
static __u8 classes_of_proto(__u8 proto)
{
	if (proto == IPPROTO_UDP)
		return ALL_CLASSES;
	return proto == IPPROTO_ESP ? VPNCAP_CLASS_ESP : 0;
}

/* The first key naming a field only IP frames have, or N_KEYS. */
static enum key first_ip_key(const struct vpncap_rule *r)
{
	if (r->fields & VPNCAP_F_PROTO)
		return K_PROTO;
	if (r->fields & (VPNCAP_F_PORT | VPNCAP_F_PORT_PAIR))
		return K_PORT;
	if (r->fields & VPNCAP_F_ADDR)
		return K_ADDR;
	if (r->fields & VPNCAP_F_TCP_FLAGS)
		return K_TCP_FLAGS;
	if (r->fields & VPNCAP_F_CLASS)
		return K_CLASS;
	return N_KEYS;
}

/* -d IPv4 or IPv6 with addresses all of the other family. */
static int family_clash(const struct vpncap_rule *r, char *msg, size_t msglen, int cli)
{
	int fam = r->ethertype == ETH_IPV4 ? 4 : r->ethertype == ETH_IPV6 ? 6 : 0;
	char a[INET6_ADDRSTRLEN + 8];
	unsigned int i;

	if (!fam || !(r->fields & VPNCAP_F_ETHERTYPE) || !(r->fields & VPNCAP_F_ADDR))
		return 0;
	for (i = 0; i < r->n_addrs && i < VPNCAP_RULE_ADDRS; i++)
		if (r->addrs[i].family == fam)
			return 0;
	prefix_str(&r->addrs[0], a, sizeof(a));
	return refuse(msg, msglen, "%s IPv%d cannot go with the IPv%d address %s",
		      kname(K_ETHERTYPE, cli), fam, fam == 4 ? 6 : 4, a);
}

static const char *ethertype_word(__u16 t, char *tmp, size_t len)
{
	if (t == ETH_ARP)
		return "ARP";
	snprintf(tmp, len, "0x%04x", t);
	return tmp;
}

/* Fields that no frame can satisfy together: 0, or -1 with the reason. */
static int contradiction(const struct vpncap_rule *r, char *msg, size_t msglen, int cli)
{
	char tmp[24], a[INET6_ADDRSTRLEN + 8], b[INET6_ADDRSTRLEN + 8];
	const char *pname = proto_name(r->l4_proto, tmp, sizeof(tmp));
	int proto = (r->fields & VPNCAP_F_PROTO) != 0;
	enum key ip = first_ip_key(r);

	if (proto && (r->fields & VPNCAP_F_TCP_FLAGS) && r->l4_proto != IPPROTO_TCP)
		return refuse(msg, msglen, "%s cannot go with %s %s (TCP flags are TCP's)",
			      kname(K_TCP_FLAGS, cli), kname(K_PROTO, cli), pname);
	if ((r->fields & VPNCAP_F_CLASS) && proto &&
	    !(r->class_mask & classes_of_proto(r->l4_proto)))
		return refuse(msg, msglen,
			      "%s %s cannot go with %s %s (IKE and keepalives are UDP, ESP is protocol esp or UDP)",
			      kname(K_CLASS, cli), r->class_mask & VPNCAP_CLASS_ESP ? "esp" :
			      r->class_mask & VPNCAP_CLASS_IKE ? "ike" : "keepalive",
			      kname(K_PROTO, cli), pname);
	if ((r->fields & VPNCAP_F_CLASS) && (r->fields & VPNCAP_F_TCP_FLAGS))
		return refuse(msg, msglen, "%s cannot go with %s (the classes are UDP or ESP)",
			      kname(K_CLASS, cli), kname(K_TCP_FLAGS, cli));
	if ((r->fields & VPNCAP_F_ETHERTYPE) && r->ethertype != ETH_IPV4 &&
	    r->ethertype != ETH_IPV6 && ip != N_KEYS)
		return refuse(msg, msglen,
			      "%s %s cannot go with %s (which matches IPv4 and IPv6 frames only)",
			      kname(K_ETHERTYPE, cli), ethertype_word(r->ethertype, tmp, sizeof(tmp)),
			      kname(ip, cli));
	if (family_clash(r, msg, msglen, cli))
		return -1;
	if ((r->fields & VPNCAP_F_ADDR_PAIR) && r->addrs[0].family != r->addrs[1].family) {
		prefix_str(&r->addrs[0], a, sizeof(a));
		prefix_str(&r->addrs[1], b, sizeof(b));
		return refuse(msg, msglen, "%s %s %s: one IPv4 and one IPv6 end never talk",
			      kname(K_ADDR, cli), a, b);
	}
	return 0;
}

enum finish { FINISH_OK, FINISH_EMPTY, FINISH_PORT };

/* What the fields of a whole filter must satisfy together (before contradiction()). */
static enum finish finish_rule(const struct vpncap_rule *r)
{
	if (!(r->fields & MATCH_FIELDS))
		return FINISH_EMPTY;
	if ((r->fields & (VPNCAP_F_PORT | VPNCAP_F_PORT_PAIR)) && (r->fields & VPNCAP_F_PROTO) &&
	    r->l4_proto != IPPROTO_UDP && r->l4_proto != IPPROTO_TCP)
		return FINISH_PORT;
	return FINISH_OK;
}

static int valid_pairs(const struct vpncap_rule *r, char *msg, size_t msglen)
{
	if ((r->fields & VPNCAP_F_PORT) && (r->fields & VPNCAP_F_PORT_PAIR))
		return refuse(msg, msglen, "a port range and a port pair");
	if ((r->fields & VPNCAP_F_PORT_PAIR) && (!r->port_lo || !r->port2 || r->port_hi))
		return refuse(msg, msglen, "port pair %u %u", r->port_lo, r->port2);
	if ((r->fields & VPNCAP_F_ADDR_PAIR) && (!(r->fields & VPNCAP_F_ADDR) || r->n_addrs != 2))
		return refuse(msg, msglen, "an address pair of %u addresses", r->n_addrs);
	if ((r->fields & VPNCAP_F_MAC_PAIR) && !(r->fields & VPNCAP_F_MAC))
		return refuse(msg, msglen, "a MAC pair without mac");
	if ((r->fields & VPNCAP_F_ETHERTYPE) &&
	    (r->ethertype < ETHERTYPE_MIN || vlan_ethertype(r->ethertype)))
		return refuse(msg, msglen, "ethertype 0x%04x", r->ethertype);
	if ((r->fields & VPNCAP_F_TCP_FLAGS) && !r->tcp_flags)
		return refuse(msg, msglen, "no TCP flag");
	if (r->expr_slot)
		return refuse(msg, msglen, "expression slot %u in a filter set", r->expr_slot);
	return 0;
}

/* An expression text as filters_parse gives it back: "" without F_EXPR, zero-padded. */
static int valid_expr(const struct vpncap_rule *r, const char *expr, char *msg, size_t msglen)
{
	size_t n = strnlen(expr, EXPR_TEXT_MAX), i;
	char why[300];

	if (n == EXPR_TEXT_MAX)
		return refuse(msg, msglen, "expression not terminated");
	for (i = n; i < EXPR_TEXT_MAX; i++)
		if (expr[i])
			return refuse(msg, msglen, "bytes after the expression");
	if (!(r->fields & VPNCAP_F_EXPR))
		return n ? refuse(msg, msglen, "an expression text without the field") : 0;
	if (!n || strchr(expr, '\n') || strchr(expr, '\r') || isspace((unsigned char)expr[0]) ||
	    isspace((unsigned char)expr[n - 1]))
		return refuse(msg, msglen, "expression '%.80s'", expr);
	if (expr_check(expr, why, sizeof(why)))
		return refuse(msg, msglen, "%s", why);
	return 0;
}

/* A rule as filters_parse would give it back; 0, or -1 with the reason. */
static int valid_rule(const struct vpncap_rule *r, const char *expr, char *msg, size_t msglen)
{
	unsigned int i, j;

	if (r->fields & ~MATCH_FIELDS)
		return refuse(msg, msglen, "unknown fields 0x%x", r->fields);
	if (finish_rule(r) == FINISH_EMPTY)
		return refuse(msg, msglen, "no match field");
	if (finish_rule(r) == FINISH_PORT)
		return refuse(msg, msglen, "a port with a protocol other than udp or tcp");
	if (contradiction(r, msg, msglen, 0) || valid_pairs(r, msg, msglen) ||
	    valid_expr(r, expr, msg, msglen))
		return -1;
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

int filters_to_ruleset(const struct filter_set *set, struct vpncap_ruleset *rs,
		       struct rule_exprs *exprs)
{
	unsigned int i;

	memset(rs, 0, sizeof(*rs));
	if (exprs)
		memset(exprs, 0, sizeof(*exprs));
	if (set->count > VPNCAP_MAX_RULES)
		return -1;
	rs->count = set->count;
	memcpy(rs->rules, set->rules, set->count * sizeof(set->rules[0]));
	for (i = 0; i < set->count; i++) {
		if (!(rs->rules[i].fields & VPNCAP_F_EXPR))
			continue;
		if (rs->n_exprs >= VPNCAP_MAX_EXPRS) {
			memset(rs, 0, sizeof(*rs));
			if (exprs)
				memset(exprs, 0, sizeof(*exprs));
			return -1;
		}
		rs->rules[i].expr_slot = (__u8)rs->n_exprs;
		if (exprs) {
			memcpy(exprs->text[rs->n_exprs], set->exprs[i], EXPR_TEXT_MAX);
			exprs->text[rs->n_exprs][EXPR_TEXT_MAX - 1] = '\0';
			exprs->n = rs->n_exprs + 1;
		}
		rs->n_exprs++;
	}
	return 0;
}

int filters_covered_by(const struct filter_set *set, unsigned int idx)
{
	unsigned int j;

	for (j = 0; j < idx && j < set->count && idx < set->count; j++)
		if (rules_covers(&set->rules[j], &set->rules[idx]))
			return (int)j;
	return -1;
}

/* Filters with an expression. */
static unsigned int count_exprs(const struct filter_set *set)
{
	unsigned int i, n = 0;

	for (i = 0; i < set->count && i < VPNCAP_MAX_RULES; i++)
		n += (set->rules[i].fields & VPNCAP_F_EXPR) != 0;
	return n;
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
		sb_printf(b, "%s%s", !i ? "" : (r->fields & VPNCAP_F_ADDR_PAIR) ? "<->" : ",", a);
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

static void put_ethertype(struct sbuf *b, __u16 t, int words)
{
	if (t == ETH_IPV4)
		sb_printf(b, words ? "IPv4" : "ipv4");
	else if (t == ETH_IPV6)
		sb_printf(b, words ? "IPv6" : "ipv6");
	else if (t == ETH_ARP)
		sb_printf(b, words ? "ARP" : "arp");
	else
		sb_printf(b, "0x%04x", t);
}

static void put_tcp_flags(struct sbuf *b, __u8 flags)
{
	const char *sep = "";
	int i;

	for (i = 0; i < 8; i++) {
		if (flags & (1u << i)) {
			sb_printf(b, "%s%s", sep, tcp_flag_names[i]);
			sep = ",";
		}
	}
}

/* The pair fields: "port 500<->4500", "addr A<->B", "mac A<->B". */
static void describe_l2(struct sbuf *b, const struct vpncap_rule *r, const char **sep)
{
	if (r->fields & VPNCAP_F_ETHERTYPE) {
		sb_printf(b, "%sdata-link ", *sep);
		put_ethertype(b, r->ethertype, 1);
		*sep = " ";
	}
	if (r->fields & VPNCAP_F_MAC) {
		sb_printf(b, "%smac ", *sep);
		put_mac(b, r->mac);
		if (r->fields & VPNCAP_F_MAC_PAIR) {
			sb_printf(b, "<->");
			put_mac(b, r->mac2);
		}
		*sep = " ";
	}
}

static void describe_rule(struct sbuf *b, const struct vpncap_rule *r, const char *expr)
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
	} else if (r->fields & VPNCAP_F_PORT_PAIR) {
		sb_printf(b, "%sport %u<->%u", sep, r->port_lo, r->port2);
		sep = " ";
	}
	if (r->fields & VPNCAP_F_TCP_FLAGS) {
		sb_printf(b, "%sflags ", sep);
		put_tcp_flags(b, r->tcp_flags);
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
	describe_l2(b, r, &sep);
	if (r->fields & VPNCAP_F_CLASS) {
		sb_printf(b, "%sclass ", sep);
		put_classes(b, r->class_mask);
		sep = " ";
	}
	if (r->fields & VPNCAP_F_EXPR) {
		sb_printf(b, "%sexpr '%s'", sep, expr && *expr ? expr : "?");
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
	describe_rule(&b, r, NULL);
	return (int)b.used;
}

int filters_describe_filter(const struct filter_set *set, unsigned int idx, char *buf,
			    size_t len)
{
	struct sbuf b = { buf, len, 0 };

	if (len)
		buf[0] = '\0';
	if (idx < set->count && idx < VPNCAP_MAX_RULES)
		describe_rule(&b, &set->rules[idx], set->exprs[idx]);
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
		describe_rule(&b, &set->rules[i], set->exprs[i]);
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
	char msg[400];
	unsigned int i;

	if (!p->set->count)
		return 0;
	i = p->set->count - 1;
	switch (finish_rule(&p->set->rules[i])) {
	case FINISH_EMPTY:
		fail_at(p, p->section_line[i],
			"filter '%s' has no match field (protocol, port, address, vlan, mac, ethertype, tcp_flags, class or expression)",
			p->set->names[i]);
		return -1;
	case FINISH_PORT:
		fail_at(p, p->key_line[K_PORT], "port needs protocol = udp or tcp (filter '%s')",
			p->set->names[i]);
		return -1;
	default:
		break;
	}
	if (contradiction(&p->set->rules[i], msg, sizeof(msg), 0)) {
		fail_at(p, p->section_line[i], "filter '%s': %s", p->set->names[i], msg);
		return -1;
	}
	if ((p->set->rules[i].fields & VPNCAP_F_EXPR) && count_exprs(p->set) > VPNCAP_MAX_EXPRS) {
		fail_at(p, p->key_line[K_EXPR], "filter '%s' is one expression too many (at most %d)",
			p->set->names[i], VPNCAP_MAX_EXPRS);
		return -1;
	}
	return 0;
}

/* "[NAME]" (s..end, trimmed): starts a filter. */
static int start_filter(struct fparse *p, const char *s, const char *end)
{
	char name[FILTER_NAME_MAX + 1];
	size_t n;

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
	if (p->set->count >= VPNCAP_MAX_RULES) {
		fail_at(p, p->lineno, "'%s' is one filter too many (at most %d)", name,
			VPNCAP_MAX_RULES);
		return -1;
	}
	memset(&p->set->rules[p->set->count], 0, sizeof(p->set->rules[0]));
	memset(p->set->exprs[p->set->count], 0, sizeof(p->set->exprs[0]));
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
			"unknown key '%.*s' (protocol, port, port2, address, address2, vlan, mac, mac2, ethertype, tcp_flags, class, expression, snaplen)",
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
	if (set_field(r, p->set->exprs[i], (enum key)k, p->value, msg, sizeof(msg))) {
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

static void put_filter(FILE *f, const char *name, const struct vpncap_rule *r, const char *expr)
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
	if (r->fields & VPNCAP_F_PORT_PAIR)
		fprintf(f, "port = %u\nport2 = %u\n", r->port_lo, r->port2);
	for (i = 0; (r->fields & VPNCAP_F_ADDR) && i < r->n_addrs; i++) {
		prefix_str(&r->addrs[i], text, sizeof(text));
		fprintf(f, "%s = %s\n", i && (r->fields & VPNCAP_F_ADDR_PAIR) ? "address2" : "address",
			text);
	}
	if (r->fields & VPNCAP_F_VLAN)
		fprintf(f, "vlan = %u\n", r->vlan_id);
	if (r->fields & VPNCAP_F_MAC) {
		b.used = 0;
		put_mac(&b, r->mac);
		fprintf(f, "mac = %s\n", text);
	}
	if (r->fields & VPNCAP_F_MAC_PAIR) {
		b.used = 0;
		put_mac(&b, r->mac2);
		fprintf(f, "mac2 = %s\n", text);
	}
	if (r->fields & VPNCAP_F_ETHERTYPE) {
		b.used = 0;
		put_ethertype(&b, r->ethertype, 0);
		fprintf(f, "ethertype = %s\n", text);
	}
	if (r->fields & VPNCAP_F_TCP_FLAGS) {
		b.used = 0;
		put_tcp_flags(&b, r->tcp_flags);
		fprintf(f, "tcp_flags = %s\n", text);
	}
	if (r->fields & VPNCAP_F_CLASS) {
		b.used = 0;
		put_classes(&b, r->class_mask);
		fprintf(f, "class = %s\n", text);
	}
	if (r->fields & VPNCAP_F_EXPR)
		fprintf(f, "expression = %s\n", expr);
	if (r->snaplen)
		fprintf(f, "snaplen = %u\n", r->snaplen);
}

int filters_save(const char *path, const struct filter_set *set, char *err, size_t errlen)
{
	char *text = NULL, msg[400];
	size_t len = 0;
	unsigned int i;
	FILE *f;
	int rc;

	if (set->count > VPNCAP_MAX_RULES) {
		err_set(err, errlen, "%s: cannot write: %u filters (at most %d)", path, set->count,
			VPNCAP_MAX_RULES);
		return -EINVAL;
	}
	if (count_exprs(set) > VPNCAP_MAX_EXPRS) {
		err_set(err, errlen, "%s: cannot write: %u expressions (at most %d)", path,
			count_exprs(set), VPNCAP_MAX_EXPRS);
		return -EINVAL;
	}
	for (i = 0; i < set->count; i++) {
		if (!filters_valid_name(set->names[i])) {
			err_set(err, errlen, "%s: cannot write: filter %u has a bad name", path, i + 1);
			err_one_line(err, errlen);
			return -EINVAL;
		}
		if (valid_rule(&set->rules[i], set->exprs[i], msg, sizeof(msg))) {
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
		"# every key of one filter matches (the first that matches names the frame).\n"
		"# Keys: protocol, port, port2, address (repeatable), address2, vlan, mac,\n"
		"# mac2, ethertype, tcp_flags, class, expression, snaplen (`vpncap filter help`).\n");
	for (i = 0; i < set->count; i++)
		put_filter(f, set->names[i], &set->rules[i], set->exprs[i]);
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

/* s as a JSON string (an expression may hold quotes and backslashes). */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* The fields of a rule as JSON members, each ", \"key\": value". */
void filters_rule_json(FILE *f, const struct vpncap_rule *r, const char *expr)
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
	if (r->fields & VPNCAP_F_PORT_PAIR)
		fprintf(f, ", \"port_pair\": [%u, %u]", r->port_lo, r->port2);
	if (r->fields & VPNCAP_F_ADDR) {
		fprintf(f, ", \"%s\": [", r->fields & VPNCAP_F_ADDR_PAIR ? "address_pair" : "addresses");
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
	if (r->fields & VPNCAP_F_MAC_PAIR) {
		b.used = 0;
		put_mac(&b, r->mac2);
		fprintf(f, ", \"mac2\": \"%s\"", tmp);
	}
	if (r->fields & VPNCAP_F_ETHERTYPE)
		fprintf(f, ", \"ethertype\": %u", r->ethertype);
	if (r->fields & VPNCAP_F_TCP_FLAGS) {
		b.used = 0;
		put_tcp_flags(&b, r->tcp_flags);
		fprintf(f, ", \"tcp_flags\": \"%s\"", tmp);
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
	if ((r->fields & VPNCAP_F_EXPR) && expr) {
		fprintf(f, ", \"expression\": ");
		json_str(f, expr);
	}
	fprintf(f, ", \"snaplen\": %u", r->snaplen);
}

/* ---------------------------------------------------------------------- */
/* The command line                                                        */
/* ---------------------------------------------------------------------- */

_Static_assert(N_KEYS == FILTERS_N_KEYS, "filter fields and FILTERS_N_KEYS");

/*
 * `filter add`: PktMon's options, some taking one or two values (-i A B),
 * so the walk is this file's own rather than optparse's. Forms: "--name
 * VALUE", "--name=VALUE", "-x VALUE", "-xVALUE"; exact long names; "--"
 * ends the options; words anywhere.
 */
enum add_id {
	A_PROTO, A_PORT, A_IP, A_ANY_IP, A_MAC, A_VLAN, A_DLINK, A_TCP_FLAGS, A_CLASS,
	A_SNAPLEN, A_EXPR, A_PRESET, A_CONFIG_DIR, A_HELP
};

static const struct {
	const char *name;
	char shrt;
	enum add_id id;
} add_opts[] = {
	{ "protocol", 't', A_PROTO }, { "port", 'p', A_PORT }, { "address", 'i', A_IP },
	{ "any-ip", 0, A_ANY_IP }, { "mac", 'm', A_MAC }, { "vlan", 'v', A_VLAN },
	{ "data-link", 'd', A_DLINK }, { "tcp-flags", 0, A_TCP_FLAGS }, { "class", 0, A_CLASS },
	{ "snaplen", 0, A_SNAPLEN }, { "expr", 0, A_EXPR }, { "preset", 0, A_PRESET },
	{ "config-dir", 0, A_CONFIG_DIR }, { "help", 'h', A_HELP },
};

#define N_ADD_OPTS (sizeof(add_opts) / sizeof(add_opts[0]))

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

/* The option argv[*i] names; its value (inline or the next argument). -1 with err. */
static int add_option(int argc, char **argv, int *i, enum add_id *id, const char **val,
		      char *err, size_t errlen)
{
	const char *a = argv[*i], *name = a[1] == '-' ? a + 2 : NULL, *eq = NULL;
	size_t k, n = 0;

	if (name) {
		eq = strchr(name, '=');
		n = eq ? (size_t)(eq - name) : strlen(name);
	}
	for (k = 0; k < N_ADD_OPTS; k++)
		if (name ? strlen(add_opts[k].name) == n && !strncmp(add_opts[k].name, name, n) :
			   add_opts[k].shrt == a[1])
			break;
	if (k == N_ADD_OPTS) {
		err_set(err, errlen, "unknown option '%.80s'", a);
		return -1;
	}
	*id = add_opts[k].id;
	if (*id == A_HELP) {
		if (eq || (!name && a[2])) {
			err_set(err, errlen, "unknown option '%.80s'", a);
			return -1;
		}
		*val = NULL;
		return 0;
	}
	if (eq || (!name && a[2])) {
		*val = eq ? eq + 1 : a + 2;
		return 0;
	}
	if (*i + 1 >= argc) {
		err_set(err, errlen, "option '%.80s' needs a value", a);
		return -1;
	}
	*val = argv[++*i];
	return 0;
}

/* 1 when s looks like a value of id rather than a filter name (see filters.h). */
static int second_value(enum add_id id, const char *s)
{
	struct vpncap_prefix p;
	__u16 lo, hi;
	__u8 mac[6];

	if (!*s || s[0] == '-')
		return 0;
	if (!filters_valid_name(s))
		return 1;
	switch (id) {
	case A_PORT:
		return strspn(s, "0123456789-") == strlen(s) || !parse_port(s, &lo, &hi);
	case A_IP:
		return strspn(s, "0123456789./") == strlen(s) ||
		       !parse_prefix(s, &p, NULL, 0);
	default:
		return !parse_mac(s, mac);
	}
}

/* One value of a field option into req, the key it goes to chosen by what came before. */
static int add_value(struct filter_add_req *req, enum add_id id, const char *val, char *err,
		     size_t errlen)
{
	static const enum key simple[] = {
		[A_PROTO] = K_PROTO, [A_VLAN] = K_VLAN, [A_DLINK] = K_ETHERTYPE,
		[A_TCP_FLAGS] = K_TCP_FLAGS, [A_CLASS] = K_CLASS, [A_SNAPLEN] = K_SNAPLEN,
		[A_EXPR] = K_EXPR, [A_ANY_IP] = K_ADDR,
	};
	char trimmed[EXPR_TEXT_MAX + 1];
	enum key k;

	switch (id) {
	case A_PORT:
		if (req->n_port >= 2) {
			err_set(err, errlen, "-p '%.80s': at most two ports (the traffic between them)", val);
			return -1;
		}
		k = req->n_port++ ? K_PORT2 : K_PORT;
		break;
	case A_IP:
	case A_ANY_IP:
		if (id == A_IP ? req->n_any_ip : req->n_ip) {
			err_set(err, errlen, "-i (between two addresses) and --any-ip (any of them) exclude each other ('%.80s')",
				val);
			return -1;
		}
		if (id == A_ANY_IP) {
			req->n_any_ip++;
			k = K_ADDR;
			break;
		}
		if (req->n_ip >= 2) {
			err_set(err, errlen,
				"-i '%.80s': at most two addresses (the traffic between them; --any-ip for any of up to %d)",
				val, VPNCAP_RULE_ADDRS);
			return -1;
		}
		k = req->n_ip++ ? K_ADDR2 : K_ADDR;
		break;
	case A_MAC:
		if (req->n_mac >= 2) {
			err_set(err, errlen, "-m '%.80s': at most two MAC addresses (the traffic between them)",
				val);
			return -1;
		}
		k = req->n_mac++ ? K_MAC2 : K_MAC;
		break;
	default:
		k = simple[id];
		break;
	}
	if (req->seen_keys[k] && !keys[k].repeatable && k != K_TCP_FLAGS) {
		err_set(err, errlen, "%s given twice ('%.80s')", keys[k].cli, val);
		return -1;
	}
	req->seen_keys[k] = 1;
	if (k == K_EXPR) {
		size_t n;

		while (isspace((unsigned char)*val))
			val++;
		n = strnlen(val, EXPR_TEXT_MAX);
		while (n && isspace((unsigned char)val[n - 1]))
			n--;
		memcpy(trimmed, val, n);
		trimmed[n] = '\0';
		val = trimmed;
	}
	return set_field(&req->rule, req->expr, k, val, err, errlen);
}

/* A word: the filter name (or PktMon's `filter add help`). */
static int add_word(struct filter_add_req *req, const char *val, char *err, size_t errlen)
{
	if (!req->name && !strcmp(val, "help")) {
		req->help = 1;
		return 0;
	}
	if (req->name) {
		err_set(err, errlen, "unexpected argument '%.80s' (one filter name: '%s')", val,
			req->name);
		return -1;
	}
	if (!filters_valid_name(val)) {
		err_set(err, errlen, "'%.80s' is not a filter name (%s)", val, name_rule);
		return -1;
	}
	req->name = val;
	return 0;
}

static int add_preset(struct filter_add_req *req, const char *val, char *err, size_t errlen)
{
	if (req->preset) {
		err_set(err, errlen, "--preset given twice");
		return -1;
	}
	if (strcmp(val, "aovpn")) {
		err_set(err, errlen, "'%.80s' is not a preset (aovpn)", val);
		return -1;
	}
	req->preset = val;
	return 0;
}

/* After an option of one or two values: the second, TCP flag words after -t. */
static int add_followers(struct filter_add_req *req, enum add_id id, int argc, char **argv,
			 int *i, char *err, size_t errlen)
{
	if (id == A_PROTO) {
		while (*i + 1 < argc && tcp_flag_word(argv[*i + 1]))
			if (add_value(req, A_TCP_FLAGS, argv[++*i], err, errlen))
				return -1;
		return 0;
	}
	if ((id == A_PORT || id == A_IP || id == A_MAC) && *i + 1 < argc &&
	    second_value(id, argv[*i + 1]) && add_value(req, id, argv[++*i], err, errlen))
		return -1;
	/* A third value would otherwise become the name ("-p 500 4500 4501"). */
	if ((id == A_PORT || id == A_IP || id == A_MAC) && *i + 1 < argc &&
	    second_value(id, argv[*i + 1]))
		return add_value(req, id, argv[++*i], err, errlen);
	return 0;
}

/* The whole request's checks, after the last argument. */
static int add_finish(struct filter_add_req *req, char *err, size_t errlen)
{
	int k;

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
	switch (finish_rule(&req->rule)) {
	case FINISH_EMPTY:
		err_set(err, errlen,
			"%s%s%s match field (give -t, -p, -i, -m, -v, -d, --class or --expr)",
			req->name ? "'" : "", req->name ? req->name : "",
			req->name ? "' has no" : "no");
		return -1;
	case FINISH_PORT:
		err_set(err, errlen, "-p cannot go with -t %s (ports are UDP's and TCP's; no -t: either)",
			proto_name(req->rule.l4_proto, (char[24]){ 0 }, 24));
		return -1;
	default:
		return contradiction(&req->rule, err, errlen, 1);
	}
}

int filters_add_parse(int argc, char **argv, struct filter_add_req *req, const char **cfg,
		      char *err, size_t errlen)
{
	int i, words_only = 0;

	memset(req, 0, sizeof(*req));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val;
		enum add_id id;
		int rc;

		if (!words_only && !strcmp(a, "--")) {
			words_only = 1;
			continue;
		}
		if (words_only || a[0] != '-' || !a[1]) {
			if (add_word(req, a, err, errlen))
				return -1;
			if (req->help)
				return 0;
			continue;
		}
		if (add_option(argc, argv, &i, &id, &val, err, errlen))
			return -1;
		switch (id) {
		case A_HELP:
			req->help = 1;
			return 0;
		case A_CONFIG_DIR:
			rc = filters_take_config_dir(cfg, val, err, errlen);
			break;
		case A_PRESET:
			rc = add_preset(req, val, err, errlen);
			break;
		default:
			rc = add_value(req, id, val, err, errlen) ||
			     add_followers(req, id, argc, argv, &i, err, errlen);
			break;
		}
		if (rc)
			return -1;
	}
	return add_finish(req, err, errlen);
}

/* Index of a filter with the same match fields, snaplen and expression as (r, expr), or -1. */
static int find_same(const struct filter_set *set, const struct vpncap_rule *r, const char *expr)
{
	unsigned int i;

	for (i = 0; i < set->count && i < VPNCAP_MAX_RULES; i++)
		if (!memcmp(&set->rules[i], r, sizeof(*r)) &&
		    !strncmp(set->exprs[i], expr, EXPR_TEXT_MAX))
			return (int)i;
	return -1;
}

/* Appends one filter, refusing an exact duplicate. */
static int append_filter(struct filter_set *set, const char *name, const struct vpncap_rule *r,
			 const char *expr, char *err, size_t errlen)
{
	int same = find_same(set, r, expr);
	char words[256];

	if (same >= 0) {
		filters_describe_filter(set, (unsigned int)same, words, sizeof(words));
		err_set(err, errlen, "'%s': the same filter is already there: '%s' (filter %d: %s%s)",
			name, set->names[same], same + 1, words,
			set->rules[same].snaplen ? ", same snaplen" : "");
		return -1;
	}
	if (set->count >= VPNCAP_MAX_RULES) {
		err_set(err, errlen, "'%s' would be filter %u (at most %d)", name, set->count + 1,
			VPNCAP_MAX_RULES);
		return -1;
	}
	set->rules[set->count] = *r;
	memset(set->exprs[set->count], 0, EXPR_TEXT_MAX);
	snprintf(set->exprs[set->count], EXPR_TEXT_MAX, "%s", expr);
	snprintf(set->names[set->count], sizeof(set->names[0]), "%s", name);
	set->count++;
	return 0;
}

/* "Filter1", the lowest number no filter has. */
static void generate_name(const struct filter_set *set, char *name, size_t len)
{
	unsigned int n;

	for (n = 1; n <= VPNCAP_MAX_RULES + 1; n++) {
		snprintf(name, len, "Filter%u", n);
		if (filters_find(set, name) < 0)
			return;
	}
}

static int apply_preset(struct filter_set *set, const struct filter_add_req *req, char *err,
			size_t errlen)
{
	unsigned int i;

	if (set->count + N_AOVPN > VPNCAP_MAX_RULES) {
		err_set(err, errlen, "--preset %s: %u filters and %zu more are more than %d",
			req->preset, set->count, N_AOVPN, VPNCAP_MAX_RULES);
		return -1;
	}
	for (i = 0; i < N_AOVPN; i++) {
		struct vpncap_rule r;
		char why[400];

		memset(&r, 0, sizeof(r));
		r.fields = VPNCAP_F_PROTO;
		r.l4_proto = aovpn[i].proto;
		if (aovpn[i].port) {
			r.fields |= VPNCAP_F_PORT;
			r.port_lo = r.port_hi = aovpn[i].port;
		}
		r.snaplen = req->rule.snaplen;
		if (append_filter(set, aovpn[i].name, &r, "", why, sizeof(why))) {
			err_set(err, errlen, "%s (nothing of --preset %s added)", why, req->preset);
			return -1;
		}
	}
	return 0;
}

int filters_add_apply(struct filter_set *set, const struct filter_add_req *req, char *err,
		      size_t errlen)
{
	struct filter_set *copy = malloc(sizeof(*copy));
	char name[FILTER_NAME_MAX + 1];
	int rc;

	if (!copy) {
		err_set(err, errlen, "out of memory");
		return -1;
	}
	*copy = *set;
	if (req->preset) {
		rc = apply_preset(copy, req, err, errlen);
	} else {
		if (req->name)
			snprintf(name, sizeof(name), "%s", req->name);
		else
			generate_name(set, name, sizeof(name));
		rc = 0;
		if ((req->rule.fields & VPNCAP_F_EXPR) && count_exprs(set) >= VPNCAP_MAX_EXPRS) {
			err_set(err, errlen, "'%s' would be expression %u (at most %d)", name,
				count_exprs(set) + 1, VPNCAP_MAX_EXPRS);
			rc = -1;
		}
		if (!rc)
			rc = append_filter(copy, name, &req->rule, req->expr, err, errlen);
	}
	if (!rc)
		*set = *copy;
	free(copy);
	return rc;
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


/* ---- vpncap help config: the filter file (and vpncap.conf(5)) --------------- */

void filters_file_usage(FILE *f)
{
	int k;

	fputs("\n"
	      "Named filters: the file filters.conf in the configuration directory\n"
	      "(" CONFIG_DIR_DEFAULT ", or $VPNCAP_CONFIG_DIR, or --config-dir), written by\n"
	      "`vpncap filter add` and `vpncap filter remove`; a capture without --rules\n"
	      "uses its filters. One [NAME] section per filter (NAME: 1-32 of A-Z a-z 0-9\n"
	      ". _ -), in order, then its \"key = value\" lines; comments and values as in\n"
	      "the configuration file. A frame is captured when every key of one filter\n"
	      "matches; the first filter that matches names the frame. Each key takes\n"
	      "what the option of `vpncap filter add` named after it takes:\n"
	      "\n"
	      "Filter keys:\n", f);
	for (k = 0; k < N_KEYS; k++)
		fprintf(f, "  %-12s as %s of filter add%s\n", keys[k].file, keys[k].cli,
			keys[k].repeatable ? " (repeatable)" : "");
	fputs("\n"
	      "Example:\n"
	      "  [ike]\n"
	      "  protocol = udp\n"
	      "  port = 500\n"
	      "  snaplen = 0\n", f);
}
