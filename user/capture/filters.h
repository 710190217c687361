/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Named filters, the `pktmon filter` of vpncap: `vpncap filter add NAME
 * [-t PROTO] [-p PORT|LOW-HIGH] [-i ADDR[/LEN]]... [--vlan ID] [--mac MAC]
 * [--class ike|esp|keepalive] [--snaplen N]`, `vpncap filter list [--json]`,
 * `vpncap filter remove NAME|--all`, `vpncap filter add --preset aovpn`.
 *
 * The filters live in DIR/filters.conf (DIR: --config-dir, else
 * $VPNCAP_CONFIG_DIR, else /etc/vpncap), an INI-style file with one
 * section per filter, in order:
 *
 *     [IKEv2]
 *     protocol = udp          udp, tcp, esp, icmp, icmpv6 or 1-255
 *     port = 500              or LOW-HIGH; needs protocol udp or tcp
 *     address = 198.18.0.0/15 IPv4 or IPv6, /LEN optional; repeatable (4)
 *     vlan = 100              1-4094
 *     mac = aa:bb:cc:dd:ee:ff
 *     class = ike,esp         ike, esp, keepalive; repeatable
 *     snaplen = 256           64-262144, 0 = whole frame (not a match field)
 *
 * Every key of a filter must match; a frame is captured when any filter
 * matches. Filter i is rule i of the classifier's rule set.
 *
 * Decisions the file format makes:
 *  - Names are 1-32 characters of A-Z a-z 0-9 . _ -, case-sensitive, unique.
 *  - A prefix with host bits set (10.0.0.1/8, 2001:db8::1/32) is refused,
 *    naming it, rather than silently cut: the user may have meant the host.
 *    An address without /LEN is a host (/32, /128).
 *  - The same address twice in one filter is refused; a class named twice
 *    is the same class.
 *  - A filter needs at least one match field (snaplen alone is not one).
 *  - Keys other than address and class may appear once per filter.
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

#define FILTER_NAME_MAX 32              /* characters of a filter name */
#define FILTERS_FILE "filters.conf"     /* in the configuration directory */
#define FILTERS_HITS_DIR "/run/vpncap"  /* the .hits files of running captures */

/* A filter set: filter i is names[i] + rules[i]. Unused slots are zero. */
struct filter_set {
	unsigned int count;
	char names[VPNCAP_MAX_RULES][FILTER_NAME_MAX + 1];
	struct vpncap_rule rules[VPNCAP_MAX_RULES];
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

/* The classifier's rule set: rule i = filter i. 0, or -1 if set->count is out of range. */
int filters_to_ruleset(const struct filter_set *set, struct vpncap_ruleset *rs);

/*
 * The set in words for the PCAPNG if_filter and for messages, e.g.
 * "IKEv2: udp port 500; SSTP: tcp port 443 snaplen 128"; "no filters" for
 * an empty set. Returns the length needed, like snprintf (buf may be NULL
 * when len is 0).
 */
int filters_describe(const struct filter_set *set, char *buf, size_t len);

/* One rule's match fields in words ("udp port 1000-2000 addr 10.0.0.0/8"), like snprintf. */
int filters_describe_rule(const struct vpncap_rule *r, char *buf, size_t len);

/* The name of rule idx, NULL past the end. */
const char *filters_name(const struct filter_set *set, unsigned int idx);

/* Index of the filter called name, or -1. */
int filters_find(const struct filter_set *set, const char *name);

/* 1 when s is a valid filter name. */
int filters_valid_name(const char *s);

/* The fields of a rule as JSON object members, each ", \"key\": value". */
void filters_rule_json(FILE *f, const struct vpncap_rule *r);

/* `filter add` options that are not fields (ids the command line hands back). */
#define FILTERS_N_KEYS 7                /* fields: -t -p -i --vlan --mac --class --snaplen */
enum { FILTERS_OPT_PRESET = FILTERS_N_KEYS, FILTERS_OPT_CONFIG_DIR, FILTERS_OPT_HELP };

/* What `filter add` was told, checked on its own (filters_add_parse). */
struct filter_add_req {
	const char *name;               /* NULL with a preset */
	const char *preset;
	struct vpncap_rule rule;
	int seen_keys[FILTERS_N_KEYS];
	const char *port;               /* -p as given */
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

#endif /* VPNCAP_CAPTURE_FILTERS_H */
