/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Named filters, PktMon's `filter` verbs with PktMon's meaning:
 *
 *   vpncap filter add [NAME] [-m MAC [MAC2]] [-v VLAN] [-d IPv4|IPv6|ARP|TYPE]
 *                     [-t TCP|UDP|ICMP|ICMPv6|ESP|NUM [TCP-FLAGS...]]
 *                     [-i IP[/LEN] [IP2[/LEN]]] [-p PORT [PORT2]]
 *                     [--any-ip IP[/LEN]]... [--tcp-flags FLAG,...]
 *                     [--class ike|esp|keepalive] [--snaplen N] [--expr 'tcpdump expr']
 *   vpncap filter add --preset aovpn [--snaplen N]
 *   vpncap filter list [--json]
 *   vpncap filter remove [NAME | --all]     (no NAME: every filter, as PktMon)
 *
 * Words are case-insensitive (UDP, udp; SYN, syn). A name is optional
 * ("Filter1", the lowest free number, is given) and may be given to
 * several filters: they list together and `remove NAME` removes them all.
 * Two values of -i, -p or -m (`-i A B` or `-i A -i B`) mean the traffic
 * between the two (VPNCAP_F_*_PAIR); a word after the first value is a
 * second value when it reads as one (an address, a port, a MAC) or cannot
 * be a name; else it is the name. -p without -t: UDP or TCP. A range
 * (-p 8000-8443) is one value. --any-ip keeps "any of up to 4 addresses".
 * TCP flag words after -t (FIN SYN RST PSH ACK URG ECE CWR) or --tcp-flags:
 * every flag given must be set. -d: the EtherType after the VLAN tags
 * (0x88cc, or decimal 1536-65535). --expr: a libpcap expression (checked
 * by libpcap), at most VPNCAP_MAX_EXPRS filters have one.
 *
 * Refused with one line, exit 2: fields that contradict each other (-t tcp
 * --class esp, -t icmp -p 443, --tcp-flags with -t udp, -d ARP with an IP
 * field, -d IPv6 with IPv4 addresses only, a pair of two families), and an
 * exact duplicate of an existing filter (match fields and snaplen), named.
 * A filter that an earlier one covers (rules_covers: first match wins, so
 * it never matches) is added with a warning on stderr and marked by list.
 *
 * The filters live in DIR/filters.conf (DIR: --config-dir, else
 * $VPNCAP_CONFIG_DIR, else /etc/vpncap), an INI-style file with one
 * section per filter, in order:
 *
 *     [IKEv2]
 *     protocol = udp          udp, tcp, esp, icmp, icmpv6 or 1-255
 *     port = 500              or LOW-HIGH; udp or tcp frames (no protocol:
 *                             either; another protocol is refused)
 *     port2 = 4500            with a single port: between port and port2
 *     address = 198.18.0.0/15 IPv4 or IPv6, /LEN optional; repeatable (4):
 *                             any of them, source or destination
 *     address2 = 198.18.0.9   with one address: between address and address2
 *     vlan = 100              1-4094
 *     mac = aa:bb:cc:dd:ee:ff
 *     mac2 = aa:bb:cc:dd:ee:00  with mac: between mac and mac2
 *     ethertype = arp         ipv4, ipv6, arp, 0xNNNN or 1536-65535
 *     tcp_flags = syn,ack     fin syn rst psh ack urg ece cwr: all set
 *     class = ike,esp         ike, esp, keepalive; repeatable
 *     expression = udp and greater 1000   libpcap syntax, to the end of the line
 *     snaplen = 256           64-262144, 0 = whole frame (not a match field)
 *
 * Every key of a filter must match; a frame is captured when any filter
 * matches, the first that matches names it. Filter i is rule i of the
 * classifier's rule set; the k-th filter with an expression has
 * expression slot k.
 *
 * Decisions the file format makes:
 *  - Names are 1-32 characters of A-Z a-z 0-9 . _ -, case-sensitive; the
 *    same name may head several sections (PktMon's `filter add IKEv2`
 *    twice).
 *  - A prefix with host bits set (10.0.0.1/8, 2001:db8::1/32) is refused,
 *    naming it, rather than silently cut: the user may have meant the host.
 *    An address without /LEN is a host (/32, /128).
 *  - The same address twice in one filter is refused; a class named twice
 *    is the same class.
 *  - A filter needs at least one match field (snaplen alone is not one).
 *  - address2, port2 and mac2 come after their first end; keys other than
 *    address and class may appear once per filter.
 *  - Values run to the end of the line: there are no inline comments.
 *    Whole-line comments start with '#' or ';'.
 *
 * Every error is one line: "PATH:LINE: problem" for the file, the bad
 * token named for the command line ("vpncap: filter add: '10.0.0.0/33' is
 * not an address or prefix", exit 2). A command that fails leaves the file
 * byte-for-byte as it was.
 */
#ifndef VPNCAP_CAPTURE_FILTERS_H
#define VPNCAP_CAPTURE_FILTERS_H

#include <stddef.h>
#include <stdio.h>

#include "vpncap/abi.h"
#include "capture/rules.h"
#include "hook/expr.h"

#define FILTER_NAME_MAX 32              /* characters of a filter name */
#define FILTERS_FILE "filters.conf"     /* in the configuration directory */
#define FILTERS_HITS_DIR "/run/vpncap"  /* the .hits files of running captures */

/*
 * A filter set: filter i is names[i] + rules[i] (+ exprs[i] when the rule
 * has VPNCAP_F_EXPR; expr_slot is 0 here, filters_to_ruleset numbers them).
 * Unused slots and bytes are zero.
 */
struct filter_set {
	unsigned int count;
	char names[VPNCAP_MAX_RULES][FILTER_NAME_MAX + 1];
	struct vpncap_rule rules[VPNCAP_MAX_RULES];
	char exprs[VPNCAP_MAX_RULES][EXPR_TEXT_MAX];
};

/*
 * Loads a filter file. A missing file is an empty set. 0; -EINVAL for a
 * problem in the text, err = "PATH:LINE: problem"; another -errno when the
 * file cannot be read, err = "PATH: cannot read: reason". out is an empty
 * set after a failure. Rules come out canonical: fields not named in
 * `fields`, padding and unused address slots are zero.
 */
int filters_load(const char *path, struct filter_set *out, char *err, size_t errlen);

/* Same on text[0..len) in memory; path only names it in messages. */
int filters_parse(const char *path, const char *text, size_t len, struct filter_set *out,
		  char *err, size_t errlen);

/*
 * Writes the set to path: PATH.tmp (0640, never through a symlink), fsync,
 * rename, fsync of the directory. A set that filters_parse would refuse
 * (a bad name or rule) is refused with -EINVAL. Only what `fields` names
 * is written: bytes of a rule that it does not name do not come back.
 * 0 or -errno with err.
 */
int filters_save(const char *path, const struct filter_set *set, char *err, size_t errlen);

/*
 * The classifier's rule set: rule i = filter i, expression slots 0, 1, ...
 * in filter order (rs->n_exprs of them), their texts into exprs by slot
 * (exprs may be NULL). 0, or -1 if set->count or the expressions are out
 * of range.
 */
int filters_to_ruleset(const struct filter_set *set, struct vpncap_ruleset *rs,
		       struct rule_exprs *exprs);

/*
 * The set in words for the PCAPNG if_filter and for messages, e.g.
 * "IKEv2: udp port 500; SSTP: tcp port 443 snaplen 128"; "no filters" for
 * an empty set. Returns the length needed, like snprintf (buf may be NULL
 * when len is 0).
 */
int filters_describe(const struct filter_set *set, char *buf, size_t len);

/*
 * One rule's match fields in words ("udp port 1000-2000 addr 10.0.0.0/8"),
 * like snprintf; an expression is "expr '?'" (its text is the set's):
 * filters_describe_filter describes filter idx of a set, text included.
 */
int filters_describe_rule(const struct vpncap_rule *r, char *buf, size_t len);
int filters_describe_filter(const struct filter_set *set, unsigned int idx, char *buf,
			    size_t len);

/* The name of rule idx, NULL past the end. */
const char *filters_name(const struct filter_set *set, unsigned int idx);

/* Index of the first filter called name, or -1. */
int filters_find(const struct filter_set *set, const char *name);

/* Index of the first filter before idx that covers filter idx (rules_covers), or -1. */
int filters_covered_by(const struct filter_set *set, unsigned int idx);

/* 1 when s is a valid filter name. */
int filters_valid_name(const char *s);

/* The fields of a rule as JSON object members, each ", \"key\": value"; expr: its text. */
void filters_rule_json(FILE *f, const struct vpncap_rule *r, const char *expr);

/* `filter add` options that are not fields (ids the command line hands back). */
#define FILTERS_N_KEYS 13               /* the keys of a filter section */
enum { FILTERS_OPT_PRESET = FILTERS_N_KEYS, FILTERS_OPT_CONFIG_DIR, FILTERS_OPT_HELP };

/* What `filter add` was told, checked on its own (filters_add_parse). */
struct filter_add_req {
	const char *name;               /* NULL: a preset, or a name to generate */
	const char *preset;
	struct vpncap_rule rule;
	char expr[EXPR_TEXT_MAX];       /* --expr, trimmed */
	int seen_keys[FILTERS_N_KEYS];
	int n_ip, n_any_ip, n_port, n_mac; /* values of -i, --any-ip, -p, -m so far */
	int help;
};

/*
 * Parse `filter add` arguments (argv[0] = "add"). cfg: where --config-dir
 * goes, or NULL when it is not an option. 0, or -1 with err naming the bad
 * token; req->help after -h.
 */
int filters_add_parse(int argc, char **argv, struct filter_add_req *req, const char **cfg,
		      char *err, size_t errlen);
/* The request into set, all of it or nothing. 0, or -1 with err. */
int filters_add_apply(struct filter_set *set, const struct filter_add_req *req, char *err,
		      size_t errlen);
/* --config-dir DIR into *cfg (NULL cfg: not an option here). 0, or -1 with err. */
int filters_take_config_dir(const char **cfg, const char *val, char *err, size_t errlen);

/*
 * Parses `filter add` arguments (argv[0] = "add"; --config-dir is not
 * known here) and adds the filter(s) to set, all or none. 0; 1 for -h or
 * --help (set unchanged); -1 with err naming the bad token (without the
 * "vpncap: filter add: " prefix), set unchanged. The pure part of
 * `vpncap filter add`, for tests and the fuzzer.
 */
int filters_add_args(struct filter_set *set, int argc, char **argv, char *err, size_t errlen);

/* The format of filters.conf and its keys, for `vpncap help config` and vpncap.conf(5). */
void filters_file_usage(FILE *f);

#endif /* VPNCAP_CAPTURE_FILTERS_H */
