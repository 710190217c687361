// SPDX-License-Identifier: GPL-2.0-only
/*
 * `vpncap filter add|list|remove`: PktMon's filters, kept in filters.conf
 * (capture/filters.c is what a filter is, how the file reads and writes;
 * this file is the command: the directory, its lock, hits of the running
 * captures, the output).
 */
#include "cmd/cmd.h"
#include "cmd/filter.h"
#include "capture/config.h"
#include "capture/filters.h"
#include "log.h"
#include "optparse.h"

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

static void read_hits(const struct filter_set *set, unsigned long long *hits, int *have)
{
	struct dirent *e;
	DIR *d = opendir(hits_dir);

	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char path[4096], line[256];
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
			hits[idx] = hits[idx] + v < hits[idx] ? ~0ull : hits[idx] + v;
			have[idx] = 1;
		}
		fclose(f);
	}
	closedir(d);
}

static const char filter_usage[] =
	"usage: vpncap filter add NAME [-t PROTO] [-p PORT|LOW-HIGH] [-i ADDR[/LEN]]...\n"
	"                         [--vlan ID] [--mac MAC] [--class CLASS[,CLASS...]]...\n"
	"                         [--snaplen N]\n"
	"       vpncap filter add --preset aovpn [--snaplen N]\n"
	"       vpncap filter list [--json]\n"
	"       vpncap filter remove NAME | --all\n"
	"\n"
	"Named filters: a frame is captured when every field of one filter matches.\n"
	"A capture without --rules uses them (in order; the first match names the\n"
	"frame), or the VPN default when there are none.\n"
	"\n"
	"  -t, --protocol PROTO  udp, tcp, esp, icmp, icmpv6 or an IP protocol 1-255\n"
	"  -p, --port PORT       1-65535 or LOW-HIGH, source or destination (-t udp/tcp)\n"
	"  -i, --address ADDR    IPv4 or IPv6 address or prefix (10.0.0.0/8), source or\n"
	"                        destination; up to 4, any of them matches\n"
	"  --vlan ID             802.1Q VLAN ID 1-4094 (outer or inner tag)\n"
	"  --mac MAC             aa:bb:cc:dd:ee:ff, source or destination\n"
	"  --class CLASS         ike, esp or keepalive (as the classifier tells them\n"
	"                        apart); repeatable or a comma list, any matches\n"
	"  --snaplen N           bytes kept of a matching frame, 64-262144 (0: all)\n"
	"  --preset aovpn        Always On VPN: IKEv2 (udp 500), NAT-T (udp 4500),\n"
	"                        ESP (esp), SSTP (tcp 443)\n"
	"  --json                list as JSON\n"
	"  --config-dir DIR      the filters are DIR/filters.conf (default:\n"
	"                        $VPNCAP_CONFIG_DIR, else " CONFIG_DIR_DEFAULT ")\n"
	"\n"
	"Names: 1-32 of A-Z a-z 0-9 . _ -, case-sensitive. A prefix must have no\n"
	"host bits set (10.0.0.0/8, not 10.0.0.1/8). Hits are those of the running\n"
	"captures.\n";

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
		filters_describe_rule(&set->rules[i], words, sizeof(words));
		if (set->rules[i].snaplen)
			printf("added filter %s: %s snaplen %u\n", set->names[i], words,
			       set->rules[i].snaplen);
		else
			printf("added filter %s: %s\n", set->names[i], words);
	}
	status = EXIT_OK;
out:
	free(set);
	close(lk);
	return status;
}

static void json_row(const struct filter_set *set, unsigned int i, const unsigned long long *hits,
		     const int *have)
{
	char words[512];

	filters_describe_rule(&set->rules[i], words, sizeof(words));
	printf("  {\"name\": \"%s\", \"filter\": \"%s\"", set->names[i], words);
	filters_rule_json(stdout, &set->rules[i]);
	if (have[i])
		printf(", \"hits\": %llu}", hits[i]);
	else
		printf(", \"hits\": null}");
	printf("%s\n", i + 1 < set->count ? "," : "");
}

static int filter_list(int argc, char **argv, const char *cfg)
{
	struct optparse op;
	unsigned long long hits[VPNCAP_MAX_RULES] = { 0 };
	int have[VPNCAP_MAX_RULES] = { 0 };
	struct filter_set *set;
	const char *dir, *val;
	char path[4096], err[512], words[512], num[32];
	int rc, id, json = 0, status;
	size_t wn = 4, wf = 6;
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
	read_hits(set, hits, have);
	if (json) {
		printf("[\n");
		for (i = 0; i < set->count; i++)
			json_row(set, i, hits, have);
		printf("]\n");
		free(set);
		return EXIT_OK;
	}
	if (!set->count) {
		printf("no filters (%s)\n", path);
		free(set);
		return EXIT_OK;
	}
	for (i = 0; i < set->count; i++) {
		size_t n = (size_t)filters_describe_rule(&set->rules[i], NULL, 0);

		wn = strlen(set->names[i]) > wn ? strlen(set->names[i]) : wn;
		wf = n > wf ? n : wf;
	}
	printf("%-*s  %-*s  %-7s  %s\n", (int)wn, "NAME", (int)wf, "FILTER", "SNAPLEN", "HITS");
	for (i = 0; i < set->count; i++) {
		char snap[16];

		filters_describe_rule(&set->rules[i], words, sizeof(words));
		if (set->rules[i].snaplen)
			snprintf(snap, sizeof(snap), "%u", set->rules[i].snaplen);
		else
			snprintf(snap, sizeof(snap), "all");
		if (have[i])
			snprintf(num, sizeof(num), "%llu", hits[i]);
		else
			snprintf(num, sizeof(num), "-");
		printf("%-*s  %-*s  %-7s  %s\n", (int)wn, set->names[i], (int)wf, words, snap, num);
	}
	free(set);
	return EXIT_OK;
}

static int filter_remove(int argc, char **argv, const char *cfg)
{
	struct optparse op;
	struct filter_set *set = NULL;
	const char *dir, *val, *name = NULL;
	char path[4096], err[512];
	int rc, id, all = 0, lk, status, idx;

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
	if (!name && !all) {
		err_set(err, sizeof(err), "missing filter name (filter remove NAME, or --all)");
		return usage_error("filter remove", err, sizeof(err));
	}
	if (name && all) {
		err_set(err, sizeof(err), "'%.80s' and --all exclude each other", name);
		return usage_error("filter remove", err, sizeof(err));
	}
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
	if (all) {
		unsigned int n = set->count;

		status = EXIT_OK;
		if (!n) {
			printf("no filters to remove\n");
			goto out;
		}
		memset(set, 0, sizeof(*set));
		if (filters_save(path, set, err, sizeof(err))) {
			log_error("%s", err);
			status = EXIT_RUNTIME;
			goto out;
		}
		printf("removed %u filter%s\n", n, n == 1 ? "" : "s");
		goto out;
	}
	idx = filters_find(set, name);
	if (idx < 0) {
		err_set(err, sizeof(err), "no filter named '%.80s'", name);
		status = usage_error("filter remove", err, sizeof(err));
		goto out;
	}
	memmove(&set->names[idx], &set->names[idx + 1],
		(set->count - (unsigned int)idx - 1) * sizeof(set->names[0]));
	memmove(&set->rules[idx], &set->rules[idx + 1],
		(set->count - (unsigned int)idx - 1) * sizeof(set->rules[0]));
	set->count--;
	memset(set->names[set->count], 0, sizeof(set->names[0]));
	memset(&set->rules[set->count], 0, sizeof(set->rules[0]));
	if (filters_save(path, set, err, sizeof(err))) {
		log_error("%s", err);
		status = EXIT_RUNTIME;
		goto out;
	}
	printf("removed filter %s\n", name);
	status = EXIT_OK;
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
