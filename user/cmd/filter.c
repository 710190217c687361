// SPDX-License-Identifier: GPL-2.0-only
/*
 * `vpncap filter add|list|remove`: PktMon's filters, kept in filters.conf
 * (capture/filters.c is what a filter is, how the file reads and writes;
 * this file is the command: the directory, its lock, hits of the running
 * captures, the output).
 *
 * Hits come live from the classifiers in the kernel: every loaded vpncap
 * program's hits_map whose active rule set (settings_map.active_rules in
 * rules_map) is the filters' rule set, summed over CPUs and captures; rule
 * i is filter i. Without access (not root) or without such a classifier,
 * from the .hits files the captures replace once a second. `filter list`
 * says which.
 */
#include "cmd/cmd.h"
#include "cmd/filter.h"
#include "capture/config.h"
#include "capture/filters.h"
#include "log.h"
#include "optparse.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define N_OPTS(t) (sizeof(t) / sizeof((t)[0]))

enum { O_CONFIG_DIR = FILTERS_OPT_CONFIG_DIR, O_HELP = FILTERS_OPT_HELP, O_JSON, O_ALL };

static const struct optdef list_opts[] = {
	{ "json", 0, 0, O_JSON, NULL }, { "config-dir", 0, 1, O_CONFIG_DIR, NULL },
	{ "help", 'h', 0, O_HELP, NULL },
};

static const struct optdef remove_opts[] = {
	{ "all", 0, 0, O_ALL, NULL }, { "config-dir", 0, 1, O_CONFIG_DIR, NULL },
	{ "help", 'h', 0, O_HELP, NULL },
};

/* ---------------------------------------------------------------------- */
/* Hits of running captures                                                */
/* ---------------------------------------------------------------------- */

static const char *hits_dir = FILTERS_HITS_DIR;

void filters_set_hits_dir(const char *dir)
{
	hits_dir = dir ? dir : FILTERS_HITS_DIR;
}

/* One "NAME HITS" line; 0 with the two, or -1. */
static int hits_line(char *line, const char **name, unsigned long long *v)
{
	char *s = line, *e;

	while (*s && *s != ' ' && *s != '\t' && *s != '\n')
		s++;
	if (s == line || (*s != ' ' && *s != '\t'))
		return -1;
	*s++ = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	for (e = s; *e >= '0' && *e <= '9'; e++)
		;
	if (e == s || e - s > 20)
		return -1;
	while (isspace((unsigned char)*e))
		e++;
	if (*e)
		return -1;
	errno = 0;
	*v = strtoull(s, NULL, 10);
	if (errno == ERANGE)
		*v = ~0ull;
	*name = line;
	return 0;
}

/* The filter the k-th line named name (k from 0) of one .hits file stands for, or -1. */
static int nth_named(const struct filter_set *set, const char *name, unsigned int k)
{
	unsigned int i;

	for (i = 0; i < set->count; i++)
		if (!strcmp(set->names[i], name) && k-- == 0)
			return (int)i;
	return -1;
}

/* Hits from the .hits files; 1 when any file named a filter. */
static int read_hits(const struct filter_set *set, unsigned long long *hits, int *have)
{
	struct dirent *e;
	int any = 0;
	DIR *d = opendir(hits_dir);

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char path[4096], line[256];
		unsigned int times[VPNCAP_MAX_RULES] = { 0 };
		struct stat st;
		FILE *f;

		if (n <= 5 || strcmp(e->d_name + n - 5, ".hits") ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", hits_dir, e->d_name) >= sizeof(path))
			continue;
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
			fclose(f);
			continue;
		}
		while (fgets(line, sizeof(line), f)) {
			size_t l = strlen(line);
			const char *name;
			unsigned long long v;
			int idx;

			if (l && line[l - 1] != '\n' && !feof(f)) {
				int c;

				while ((c = fgetc(f)) != EOF && c != '\n')
					; /* too long to be ours */
				continue;
			}
			if (hits_line(line, &name, &v) || (idx = filters_find(set, name)) < 0)
				continue;
			/* Several filters may share a name: the k-th line of it is the k-th filter. */
			idx = nth_named(set, name, times[idx]++);
			if (idx < 0)
				continue;
			hits[idx] = hits[idx] + v < hits[idx] ? ~0ull : hits[idx] + v;
			have[idx] = 1;
			any = 1;
		}
		fclose(f);
	}
	closedir(d);
	return any;
}

/* ---------------------------------------------------------------------- */
/* Hits read live from the running classifiers                             */
/* ---------------------------------------------------------------------- */

/*
 * The classifier's programs (bpf/classifier.bpf.c) and maps, as the kernel
 * names them (at most 15 characters). One classifier per interface of a
 * capture; its XDP, TC and expression programs share one hits_map.
 */
#define LIVE_PROG_PREFIX "vpncap_"
#define LIVE_MAX_MAPS 16
#define LIVE_MAX_CLASSIFIERS 256

static int live_hits_on = 1;

void filters_set_live_hits(int on)
{
	live_hits_on = on;
}

struct classifier_maps {
	int hits, settings, rules;      /* fds, -1 when missing */
	__u32 hits_id;
};

static void close_maps(struct classifier_maps *m)
{
	if (m->hits >= 0)
		close(m->hits);
	if (m->settings >= 0)
		close(m->settings);
	if (m->rules >= 0)
		close(m->rules);
	m->hits = m->settings = m->rules = -1;
}

/* The maps of program fd by name, those of the right size only. */
static void prog_maps(int prog_fd, struct classifier_maps *m)
{
	__u32 ids[LIVE_MAX_MAPS], len, i;
	struct bpf_prog_info info;

	memset(&info, 0, sizeof(info));
	info.nr_map_ids = LIVE_MAX_MAPS;
	info.map_ids = (__u64)(unsigned long)ids;
	len = sizeof(info);
	m->hits = m->settings = m->rules = -1;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return;
	for (i = 0; i < info.nr_map_ids && i < LIVE_MAX_MAPS; i++) {
		struct bpf_map_info mi;
		int fd = bpf_map_get_fd_by_id(ids[i]), *slot = NULL;

		if (fd < 0)
			continue;
		memset(&mi, 0, sizeof(mi));
		len = sizeof(mi);
		if (!bpf_obj_get_info_by_fd(fd, &mi, &len)) {
			if (!strcmp(mi.name, "hits_map") && mi.value_size == sizeof(__u64) &&
			    mi.max_entries >= VPNCAP_MAX_RULES)
				slot = &m->hits, m->hits_id = ids[i];
			else if (!strcmp(mi.name, "settings_map") &&
				 mi.value_size == sizeof(struct vpncap_settings))
				slot = &m->settings;
			else if (!strcmp(mi.name, "rules_map") &&
				 mi.value_size == sizeof(struct vpncap_ruleset))
				slot = &m->rules;
		}
		if (slot && *slot < 0)
			*slot = fd;
		else
			close(fd);
	}
}

/* 1 when the classifier's active rule set is want (the filters' rule set). */
static int runs_filters(const struct classifier_maps *m, const struct vpncap_ruleset *want)
{
	struct vpncap_settings st;
	struct vpncap_ruleset *rs;
	__u32 key = 0;
	int same;

	if (bpf_map_lookup_elem(m->settings, &key, &st) || st.active_rules >= VPNCAP_RULESET_SLOTS)
		return 0;
	rs = malloc(sizeof(*rs));
	if (!rs)
		return 0;
	key = st.active_rules;
	same = !bpf_map_lookup_elem(m->rules, &key, rs) && rs->count == want->count &&
	       !memcmp(rs->rules, want->rules, want->count * sizeof(want->rules[0]));
	free(rs);
	return same;
}

/* Adds the per-CPU hits of rules 0..n to hits, all of them or none. */
static int add_map_hits(int fd, unsigned int n, unsigned long long *hits)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	unsigned long long sum[VPNCAP_MAX_RULES] = { 0 };
	__u64 *per_cpu;
	__u32 key;

	if (ncpu <= 0 || n > VPNCAP_MAX_RULES)
		return -1;
	per_cpu = calloc((size_t)ncpu, sizeof(*per_cpu));
	if (!per_cpu)
		return -1;
	for (key = 0; key < n; key++) {
		if (bpf_map_lookup_elem(fd, &key, per_cpu)) {
			free(per_cpu);
			return -1;
		}
		for (c = 0; c < ncpu; c++)
			sum[key] += per_cpu[c];
	}
	for (key = 0; key < n; key++)
		hits[key] += sum[key];
	free(per_cpu);
	return 0;
}

/*
 * Hits of every classifier loaded now whose active rule set is the
 * filters': the number of such classifiers, or -errno when the kernel's
 * programs cannot be read (not root).
 */
static int read_live_hits(const struct filter_set *set, unsigned long long *hits)
{
	__u32 seen[LIVE_MAX_CLASSIFIERS], id = 0;
	unsigned int n_seen = 0, i;
	struct vpncap_ruleset *want = malloc(sizeof(*want));
	int found = 0;

	if (!want || filters_to_ruleset(set, want, NULL)) {
		free(want);
		return -ENOMEM;
	}
	for (;;) {
		struct bpf_prog_info info;
		struct classifier_maps m;
		__u32 len = sizeof(info);
		int fd;

		if (bpf_prog_get_next_id(id, &id)) {
			if (errno != ENOENT && !found)
				found = -errno;
			break;
		}
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0) {
			if (errno == EPERM || errno == EACCES) {
				found = -errno;
				break;
			}
			continue; /* gone meanwhile */
		}
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
		    strncmp(info.name, LIVE_PROG_PREFIX, strlen(LIVE_PROG_PREFIX))) {
			close(fd);
			continue;
		}
		prog_maps(fd, &m);
		close(fd);
		for (i = 0; i < n_seen && m.hits >= 0; i++)
			if (seen[i] == m.hits_id)
				break;
		if (m.hits >= 0 && m.settings >= 0 && m.rules >= 0 && i == n_seen &&
		    n_seen < LIVE_MAX_CLASSIFIERS) {
			seen[n_seen++] = m.hits_id;
			if (runs_filters(&m, want) && !add_map_hits(m.hits, set->count, hits))
				found++;
		}
		close_maps(&m);
	}
	free(want);
	return found;
}

enum hits_source { HITS_NONE, HITS_LIVE, HITS_FILES };

/* Live when possible, else the .hits files; which it was. */
static enum hits_source get_hits(const struct filter_set *set, unsigned long long *hits,
				 int *have, int *n_live)
{
	unsigned int i;

	*n_live = live_hits_on ? read_live_hits(set, hits) : -ENOSYS;
	if (*n_live > 0) {
		for (i = 0; i < set->count; i++)
			have[i] = 1;
		return HITS_LIVE;
	}
	memset(hits, 0, VPNCAP_MAX_RULES * sizeof(hits[0]));
	return read_hits(set, hits, have) ? HITS_FILES : HITS_NONE;
}

static const char *source_words(enum hits_source src, int n_live, char *buf, size_t len)
{
	switch (src) {
	case HITS_LIVE:
		snprintf(buf, len, "live from the classifier of %d running capture interface%s", n_live,
			 n_live == 1 ? "" : "s");
		break;
	case HITS_FILES:
		snprintf(buf, len, "from the .hits files of running captures (up to a second old%s)",
			 n_live == -EPERM || n_live == -EACCES ? "; live needs root" : "");
		break;
	default:
		snprintf(buf, len, "none: no capture runs with these filters");
		break;
	}
	return buf;
}

static const char filter_usage[] =
	"usage: vpncap filter add [NAME] [-m MAC [MAC2]] [-v VLAN] [-d IPv4|IPv6|ARP|TYPE]\n"
	"                         [-t TCP|UDP|ICMP|ICMPv6|ESP|NUM [TCP-FLAGS...]]\n"
	"                         [-i IP[/LEN] [IP2[/LEN]]] [-p PORT|LOW-HIGH [PORT2]]\n"
	"                         [--any-ip IP[/LEN]]... [--tcp-flags FLAG,...]\n"
	"                         [--class CLASS[,CLASS...]]... [--expr EXPRESSION]\n"
	"                         [--snaplen N]\n"
	"       vpncap filter add --preset aovpn [--snaplen N]\n"
	"       vpncap filter list [--json]\n"
	"       vpncap filter remove [NAME | --all]   (no NAME: removes ALL filters)\n"
	"\n"
	"PktMon's filters: a frame is captured when every field of one filter matches;\n"
	"the first filter that matches names it. A capture without --rules uses them,\n"
	"or the VPN default when there are none. Words are case-insensitive.\n"
	"\n"
	"  NAME                  1-32 of A-Z a-z 0-9 . _ -; optional (Filter1, ...);\n"
	"                        several filters may share one (remove NAME: all of them)\n"
	"  -m, --mac MAC [MAC2]  aa:bb:cc:dd:ee:ff, source or destination; two: between\n"
	"  -v, --vlan ID         802.1Q VLAN ID 1-4094 (outer or inner tag)\n"
	"  -d, --data-link TYPE  IPv4, IPv6, ARP or an EtherType (0x88cc, 1536-65535)\n"
	"  -t, --protocol PROTO  TCP, UDP, ICMP, ICMPv6, ESP or an IP protocol 1-255;\n"
	"                        after TCP: flags FIN SYN RST PSH ACK URG ECE CWR, all set\n"
	"  -i, --address IP [IP2]  IPv4 or IPv6 address or prefix (10.0.0.0/8), source\n"
	"                        or destination; two (-i A B, or -i A -i B): between them\n"
	"  -p, --port PORT [PORT2]  1-65535 or LOW-HIGH, source or destination (UDP\n"
	"                        or TCP unless -t says); two: between them\n"
	"  --any-ip IP           any of up to 4 addresses or prefixes (repeat it)\n"
	"  --tcp-flags LIST      SYN,ACK: TCP with all of them set\n"
	"  --class CLASS         ike, esp or keepalive (as the classifier tells them\n"
	"                        apart); repeatable or a comma list, any matches\n"
	"  --expr EXPRESSION     a tcpdump (libpcap) expression; at most 8 filters\n"
	"  --snaplen N           bytes kept of a matching frame, 64-262144 (0: all)\n"
	"  --preset aovpn        Always On VPN: IKEv2 (udp 500), NAT-T (udp 4500),\n"
	"                        ESP (esp), SSTP (tcp 443)\n"
	"  --json                list as JSON\n"
	"  --config-dir DIR      the filters are DIR/filters.conf (default:\n"
	"                        $VPNCAP_CONFIG_DIR, else " CONFIG_DIR_DEFAULT ")\n"
	"\n"
	"A prefix must have no host bits set (10.0.0.0/8, not 10.0.0.1/8). Fields that\n"
	"contradict each other and a second copy of a filter are refused; a filter that\n"
	"an earlier one covers is added with a warning (it never matches). Hits are\n"
	"those of the running captures, read live from the classifier (root).\n";

static int usage_error(const char *cmd, char *err, size_t errlen)
{
	err_one_line(err, errlen);
	log_error("%s: %s", cmd, err);
	return EXIT_USAGE;
}

/* The filter file in force: DIR/filters.conf. */
static int filters_path(const char *cfg, char *path, size_t len, const char **dir)
{
	*dir = cfg ? cfg : config_dir();
	if ((size_t)snprintf(path, len, "%s/%s", *dir, FILTERS_FILE) >= len) {
		log_error("%.80s...: directory name too long", *dir);
		return -1;
	}
	return 0;
}

/* Serializes `filter add/remove`: an exclusive flock on the directory. fd or -errno. */
static int lock_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX)) {
		if (errno != EINTR) {
			int e = errno;

			close(fd);
			return -e;
		}
	}
	return fd;
}

/* Loads for a command: exit status on failure, -1 on success. */
static int load_for(const char *path, struct filter_set *set)
{
	char err[512];
	int rc = filters_load(path, set, err, sizeof(err));

	if (!rc)
		return -1;
	log_error("%s", err);
	return rc == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
}

/* A filter an earlier one covers never matches (first match wins): say so, once. */
static void warn_covered(const struct filter_set *set, unsigned int i)
{
	int by = filters_covered_by(set, i);

	if (by >= 0)
		log_error("filter add: warning: '%s' (filter %u) never matches: '%s' (filter %d) "
			  "matches every frame it would, first", set->names[i], i + 1,
			  set->names[by], by + 1);
}

static int filter_add(int argc, char **argv, const char *cfg)
{
	struct filter_set *set = NULL;
	struct filter_add_req req;
	const char *dir;
	char path[4096], err[512], words[512];
	unsigned int first, i;
	int lk = -1, status;

	if (filters_add_parse(argc, argv, &req, &cfg, err, sizeof(err)))
		return usage_error("filter add", err, sizeof(err));
	if (req.help) {
		fputs(filter_usage, stdout);
		return EXIT_OK;
	}
	if (filters_path(cfg, path, sizeof(path), &dir))
		return EXIT_USAGE;
	if (mkdir(dir, 0750) && errno != EEXIST) {
		log_error("%s: cannot create: %s", dir, strerror(errno));
		return EXIT_RUNTIME;
	}
	lk = lock_dir(dir);
	if (lk < 0) {
		log_error("%s: cannot lock: %s", dir, strerror(-lk));
		return EXIT_RUNTIME;
	}
	set = malloc(sizeof(*set));
	if (!set) {
		log_error("filter add: out of memory");
		status = EXIT_RUNTIME;
		goto out;
	}
	status = load_for(path, set);
	if (status >= 0)
		goto out;
	first = set->count;
	if (filters_add_apply(set, &req, err, sizeof(err))) {
		status = usage_error("filter add", err, sizeof(err));
		goto out;
	}
	if (filters_save(path, set, err, sizeof(err))) {
		log_error("%s", err);
		status = EXIT_RUNTIME;
		goto out;
	}
	for (i = first; i < set->count; i++) {
		filters_describe_filter(set, i, words, sizeof(words));
		if (set->rules[i].snaplen)
			printf("added filter %s: %s snaplen %u\n", set->names[i], words,
			       set->rules[i].snaplen);
		else
			printf("added filter %s: %s\n", set->names[i], words);
	}
	for (i = first; i < set->count; i++)
		warn_covered(set, i);
	status = EXIT_OK;
out:
	free(set);
	close(lk);
	return status;
}

static void json_string(const char *s);

static void json_row(const struct filter_set *set, unsigned int i, const unsigned long long *hits,
		     const int *have, enum hits_source src)
{
	static const char *const src_names[] = { "none", "live", "files" };
	char words[1024];
	int by = filters_covered_by(set, i);

	filters_describe_filter(set, i, words, sizeof(words));
	printf("  {\"name\": \"%s\", \"filter\": ", set->names[i]);
	json_string(words);
	filters_rule_json(stdout, &set->rules[i], set->exprs[i]);
	if (by >= 0)
		printf(", \"covered_by\": \"%s\", \"covered_by_index\": %d", set->names[by], by + 1);
	else
		printf(", \"covered_by\": null");
	if (have[i])
		printf(", \"hits\": %llu, \"hits_source\": \"%s\"}", hits[i], src_names[src]);
	else
		printf(", \"hits\": null, \"hits_source\": \"%s\"}", src_names[src]);
	printf("%s\n", i + 1 < set->count ? "," : "");
}

/* s as a JSON string on stdout (an expression may hold quotes). */
static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* The table: NAME FILTER SNAPLEN HITS, a note after a filter that never matches. */
static void print_table(const struct filter_set *set, const unsigned long long *hits,
			const int *have)
{
	char words[1024], num[32], snap[16];
	size_t wn = 4, wf = 6;
	unsigned int i;

	for (i = 0; i < set->count; i++) {
		size_t n = (size_t)filters_describe_filter(set, i, NULL, 0);

		wn = strlen(set->names[i]) > wn ? strlen(set->names[i]) : wn;
		wf = n > wf ? n : wf;
	}
	wf = wf > sizeof(words) - 1 ? sizeof(words) - 1 : wf;
	printf("%-*s  %-*s  %-7s  %s\n", (int)wn, "NAME", (int)wf, "FILTER", "SNAPLEN", "HITS");
	for (i = 0; i < set->count; i++) {
		int by = filters_covered_by(set, i);

		filters_describe_filter(set, i, words, sizeof(words));
		if (set->rules[i].snaplen)
			snprintf(snap, sizeof(snap), "%u", set->rules[i].snaplen);
		else
			snprintf(snap, sizeof(snap), "all");
		if (have[i])
			snprintf(num, sizeof(num), "%llu", hits[i]);
		else
			snprintf(num, sizeof(num), "-");
		printf("%-*s  %-*s  %-7s  %s", (int)wn, set->names[i], (int)wf, words, snap, num);
		if (by >= 0)
			printf("  (never matches: %s, filter %d, takes its frames first)",
			       set->names[by], by + 1);
		printf("\n");
	}
}

static int filter_list(int argc, char **argv, const char *cfg)
{
	struct optparse op;
	unsigned long long hits[VPNCAP_MAX_RULES] = { 0 };
	int have[VPNCAP_MAX_RULES] = { 0 };
	struct filter_set *set;
	const char *dir, *val;
	char path[4096], err[512], src_words[160];
	int rc, id, json = 0, status, n_live;
	enum hits_source src;
	unsigned int i;

	optparse_init(&op, argc, argv, OPTPARSE_PERMUTE);
	while ((rc = optparse_next(&op, list_opts, N_OPTS(list_opts), &id, &val, err, sizeof(err))) !=
	       OPTPARSE_END) {
		if (rc == OPTPARSE_ERROR)
			return usage_error("filter list", err, sizeof(err));
		if (rc == OPTPARSE_WORD) {
			err_set(err, sizeof(err), "unexpected argument '%.80s'", val);
			return usage_error("filter list", err, sizeof(err));
		}
		if (id == O_HELP) {
			fputs(filter_usage, stdout);
			return EXIT_OK;
		}
		if (id == O_JSON)
			json = 1;
		else if (id == O_CONFIG_DIR && filters_take_config_dir(&cfg, val, err, sizeof(err)))
			return usage_error("filter list", err, sizeof(err));
	}
	if (filters_path(cfg, path, sizeof(path), &dir))
		return EXIT_USAGE;
	set = malloc(sizeof(*set));
	if (!set) {
		log_error("filter list: out of memory");
		return EXIT_RUNTIME;
	}
	status = load_for(path, set);
	if (status >= 0) {
		free(set);
		return status;
	}
	src = set->count ? get_hits(set, hits, have, &n_live) : HITS_NONE;
	if (json) {
		printf("[\n");
		for (i = 0; i < set->count; i++)
			json_row(set, i, hits, have, src);
		printf("]\n");
	} else if (!set->count) {
		printf("no filters (%s)\n", path);
	} else {
		print_table(set, hits, have);
		printf("hits: %s\n", source_words(src, n_live, src_words, sizeof(src_words)));
	}
	free(set);
	return EXIT_OK;
}

/* Removes every filter called name; how many. */
static unsigned int remove_named(struct filter_set *set, const char *name)
{
	unsigned int i = 0, n = 0;

	while (i < set->count) {
		if (strcmp(set->names[i], name)) {
			i++;
			continue;
		}
		memmove(&set->names[i], &set->names[i + 1],
			(set->count - i - 1) * sizeof(set->names[0]));
		memmove(&set->rules[i], &set->rules[i + 1],
			(set->count - i - 1) * sizeof(set->rules[0]));
		memmove(&set->exprs[i], &set->exprs[i + 1],
			(set->count - i - 1) * sizeof(set->exprs[0]));
		set->count--;
		memset(set->names[set->count], 0, sizeof(set->names[0]));
		memset(&set->rules[set->count], 0, sizeof(set->rules[0]));
		memset(set->exprs[set->count], 0, sizeof(set->exprs[0]));
		n++;
	}
	return n;
}

static int filter_remove(int argc, char **argv, const char *cfg)
{
	struct optparse op;
	struct filter_set *set = NULL;
	const char *dir, *val, *name = NULL;
	char path[4096], err[512];
	int rc, id, all = 0, lk, status;
	unsigned int n;

	optparse_init(&op, argc, argv, OPTPARSE_PERMUTE);
	while ((rc = optparse_next(&op, remove_opts, N_OPTS(remove_opts), &id, &val, err, sizeof(err))) !=
	       OPTPARSE_END) {
		if (rc == OPTPARSE_ERROR)
			return usage_error("filter remove", err, sizeof(err));
		if (rc == OPTPARSE_WORD) {
			if (name) {
				err_set(err, sizeof(err),
					"unexpected argument '%.80s' (one filter name: '%.80s')", val,
					name);
				return usage_error("filter remove", err, sizeof(err));
			}
			name = val;
			continue;
		}
		if (id == O_HELP) {
			fputs(filter_usage, stdout);
			return EXIT_OK;
		}
		if (id == O_ALL)
			all = 1;
		else if (id == O_CONFIG_DIR && filters_take_config_dir(&cfg, val, err, sizeof(err)))
			return usage_error("filter remove", err, sizeof(err));
	}
	if (name && all) {
		err_set(err, sizeof(err), "'%.80s' and --all exclude each other", name);
		return usage_error("filter remove", err, sizeof(err));
	}
	/* PktMon: `filter remove` without a name removes ALL filters. */
	all = !name;
	if (filters_path(cfg, path, sizeof(path), &dir))
		return EXIT_USAGE;
	lk = lock_dir(dir);
	if (lk < 0 && lk != -ENOENT) {
		log_error("%s: cannot lock: %s", dir, strerror(-lk));
		return EXIT_RUNTIME;
	}
	set = malloc(sizeof(*set));
	if (!set) {
		log_error("filter remove: out of memory");
		status = EXIT_RUNTIME;
		goto out;
	}
	status = load_for(path, set);
	if (status >= 0)
		goto out;
	status = EXIT_OK;
	if (all) {
		n = set->count;
		if (!n) {
			printf("no filters to remove\n");
			goto out;
		}
		memset(set, 0, sizeof(*set));
	} else {
		n = remove_named(set, name);
		if (!n) {
			err_set(err, sizeof(err), "no filter named '%.80s'", name);
			status = usage_error("filter remove", err, sizeof(err));
			goto out;
		}
	}
	if (filters_save(path, set, err, sizeof(err))) {
		log_error("%s", err);
		status = EXIT_RUNTIME;
		goto out;
	}
	if (all)
		printf("removed %u filter%s\n", n, n == 1 ? "" : "s");
	else if (n == 1)
		printf("removed filter %s\n", name);
	else
		printf("removed %u filters named %s\n", n, name);
out:
	free(set);
	if (lk >= 0)
		close(lk);
	return status;
}

int cmd_filter(int argc, char **argv)
{
	static const struct optdef top_opts[] = {
		{ "config-dir", 0, 1, O_CONFIG_DIR, NULL }, { "help", 'h', 0, O_HELP, NULL },
	};
	const char *cfg = NULL, *sub = NULL, *val;
	struct optparse op;
	char err[512];
	int i, rc, id;

	/* Options before the subcommand: --config-dir, -h; the first word is the subcommand. */
	optparse_init(&op, argc, argv, 0);
	while (!sub && (rc = optparse_next(&op, top_opts, N_OPTS(top_opts), &id, &val, err,
					   sizeof(err))) != OPTPARSE_END) {
		if (rc == OPTPARSE_ERROR)
			return usage_error("filter", err, sizeof(err));
		if (rc == OPTPARSE_WORD) {
			sub = val;
		} else if (id == O_HELP) {
			fputs(filter_usage, stdout);
			return EXIT_OK;
		} else if (filters_take_config_dir(&cfg, val, err, sizeof(err))) {
			return usage_error("filter", err, sizeof(err));
		}
	}
	if (!sub) {
		err_set(err, sizeof(err), "missing subcommand (add, list or remove)");
		return usage_error("filter", err, sizeof(err));
	}
	i = op.i - 1;
	/* `filter add help`, as PktMon's: the subcommand's --help. */
	if (argc - i == 2 && !strcmp(argv[i + 1], "help")) {
		static char help_opt[] = "--help";

		argv[i + 1] = help_opt;
	}
	if (!strcmp(sub, "add"))
		return filter_add(argc - i, argv + i, cfg);
	if (!strcmp(sub, "list"))
		return filter_list(argc - i, argv + i, cfg);
	if (!strcmp(sub, "remove"))
		return filter_remove(argc - i, argv + i, cfg);
	if (!strcmp(sub, "help")) {
		fputs(filter_usage, stdout);
		return EXIT_OK;
	}
	err_set(err, sizeof(err), "unknown subcommand '%.80s' (add, list or remove)", sub);
	return usage_error("filter", err, sizeof(err));
}
