// SPDX-License-Identifier: GPL-2.0-only
#include "cmd/background.h"
#include "cmd/service.h"
#include "log.h"
#include "textfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* How long stop waits for a capture to complete its files and end. */
#define BG_STOP_WAIT_MS 120000
/* At most this much of a log is read back (its tail, where the summary is). */
#define BG_LOG_MAX (1u << 20)

/* ---- pure ------------------------------------------------------------------------------ */

int bg_record_format(const struct bg_record *r, char *buf, size_t len)
{
	return snprintf(buf, len,
			"%ld\nstart=%llu\nstarted=%lld\ntag=%s\nunit=%s\noutput=%s\nis_dir=%d\nlog_ready=%llu\n",
			(long)r->pid, r->pid_start, r->started, r->tag, r->unit, r->output,
			r->is_dir, r->log_ready);
}

/* value of "key=" at line into buf; 1 when line is that key. */
static int take(const char *line, size_t n, const char *key, char *buf, size_t len)
{
	size_t k = strlen(key);

	if (n <= k || strncmp(line, key, k) || line[k] != '=' || n - k - 1 >= len)
		return 0;
	memcpy(buf, line + k + 1, n - k - 1);
	buf[n - k - 1] = '\0';
	return 1;
}

static int number(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return *s >= '0' && *s <= '9' && !*end && !errno ? 0 : -1;
}

int bg_record_parse(const char *text, size_t len, struct bg_record *r)
{
	char pidbuf[32] = "", start[32] = "", started[32] = "", isdir[8] = "", ready[32] = "";
	unsigned long long v;
	const char *p = text, *end = text + len;
	int line = 0;

	r->tag[0] = r->unit[0] = r->output[0] = '\0';
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		if (line++ == 0) {
			if (n >= sizeof(pidbuf))
				return -1;
			memcpy(pidbuf, p, n);
			pidbuf[n] = '\0';
		} else if (!take(p, n, "start", start, sizeof(start)) &&
			   !take(p, n, "started", started, sizeof(started)) &&
			   !take(p, n, "tag", r->tag, sizeof(r->tag)) &&
			   !take(p, n, "unit", r->unit, sizeof(r->unit)) &&
			   !take(p, n, "output", r->output, sizeof(r->output)) &&
			   !take(p, n, "is_dir", isdir, sizeof(isdir))) {
			take(p, n, "log_ready", ready, sizeof(ready)); /* other keys: a later version's */
		}
		p += n + 1;
	}
	if (number(pidbuf, &v) || !v || v > 0x7fffffff)
		return -1;
	r->pid = (pid_t)v;
	if (number(start, &r->pid_start) || number(started, &v) || number(ready, &r->log_ready))
		return -1;
	r->started = (long long)v;
	r->is_dir = !strcmp(isdir, "1");
	return r->tag[0] && r->output[0] ? 0 : -1;
}

int bg_stat_starttime(const char *stat_line, unsigned long long *start)
{
	/* "PID (COMM) S F4 ...": COMM may hold anything, ')' too, so the last ')' ends it. */
	const char *p = strrchr(stat_line, ')');
	char *end;
	int field;

	if (!p)
		return -1;
	p++;
	for (field = 3; field <= 22; field++) {
		while (*p == ' ')
			p++;
		if (!*p)
			return -1;
		if (field == 22)
			break;
		while (*p && *p != ' ')
			p++;
	}
	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	*start = strtoull(p, &end, 10);
	return errno || (*end && *end != ' ' && *end != '\n') ? -1 : 0;
}

int bg_unit_name(char *buf, size_t len, const char *tag)
{
	size_t used = 0;
	int n = snprintf(buf, len, "vpncap-run-");

	if (n < 0)
		return n;
	used = (size_t)n;
	for (; *tag; tag++) {
		unsigned char c = (unsigned char)*tag;
		int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			    (c && strchr("_.:-", c));
		char one[5];
		int k = plain ? snprintf(one, sizeof(one), "%c", c) :
				snprintf(one, sizeof(one), "\\x%02x", c);

		if (used + (size_t)k < len)
			memcpy(buf + used, one, (size_t)k + 1);
		used += (size_t)k;
	}
	if (used + 8 < len)
		memcpy(buf + used, ".service", 9);
	used += 8;
	if (len && used >= len)
		buf[len - 1] = '\0';
	return (int)used;
}

int bg_tag_has_iface(const char *tag, const char *iface)
{
	size_t n = strlen(iface);

	while (*tag) {
		size_t k = strcspn(tag, "+");

		if (k == n && !strncmp(tag, iface, n))
			return 1;
		tag += k + (tag[k] == '+');
	}
	return 0;
}

const char *bg_find_summary(const char *text, size_t len)
{
	static const char mark[] = "vpncap: summary: ";
	const char *found = NULL, *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		if (n >= sizeof(mark) - 1 && !memcmp(p, mark, sizeof(mark) - 1))
			found = p;
		p += n + 1;
	}
	return found;
}

/* ---- records ------------------------------------------------------------------------------ */

static unsigned long netns_inode(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : (unsigned long)st.st_ino;
}

void bg_paths(const char *tag, char *rec, size_t rec_len, char *log, size_t log_len)
{
	unsigned long ns = netns_inode();

	snprintf(rec, rec_len, "%s/bg-%lu-%s.pid", BG_RUN_DIR, ns, tag);
	snprintf(log, log_len, "%s/bg-%lu-%s.log", BG_RUN_DIR, ns, tag);
}

unsigned long long bg_proc_starttime(pid_t pid)
{
	char path[64], line[1024];
	unsigned long long start = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f) || bg_stat_starttime(line, &start))
		start = 0;
	fclose(f);
	return start;
}

/* `systemctl is-active UNIT` says active (or activating, reloading...). */
static int unit_active(const char *unit)
{
	char out[64], *argv[] = { "systemctl", "is-active", (char *)unit, NULL };

	service_run(argv, out, sizeof(out), 0);
	return strcmp(out, "inactive") && strcmp(out, "failed") && strcmp(out, "unknown") &&
	       out[0];
}

int bg_alive(const struct bg_record *r)
{
	char path[64];
	char state = 0;
	FILE *f;

	if (r->unit[0] && r->pid <= 0) /* its main pid was not known: ask systemd */
		return unit_active(r->unit);
	if (r->pid <= 0 || bg_proc_starttime(r->pid) != r->pid_start)
		return 0;
	/* A zombie has ended (its parent has not reaped it yet). */
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)r->pid);
	f = fopen(path, "re");
	if (f) {
		char line[1024], *p = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;

		state = p && p[1] == ' ' ? p[2] : 0;
		fclose(f);
	}
	return state != 'Z' && state != 'X';
}

int bg_record_save(const struct bg_record *r)
{
	char text[8192], err[512];
	int n = bg_record_format(r, text, sizeof(text));

	if (n < 0 || (size_t)n >= sizeof(text) ||
	    textfile_replace_at(AT_FDCWD, r->path, text, (size_t)n, 0644, TEXTFILE_NO_SYNC,
				err, sizeof(err))) {
		log_error("%s", n < 0 || (size_t)n >= sizeof(text) ? "record too long" : err);
		return -1;
	}
	return 0;
}

int bg_record_load(const char *path, struct bg_record *r)
{
	size_t len, path_len = strlen(path);
	char *text;
	int rc;

	if (path_len >= sizeof(r->path) || textfile_read(path, 16384, &text, &len))
		return -1;
	rc = bg_record_parse(text, len, r);
	free(text);
	if (!rc)
		memcpy(r->path, path, path_len + 1);
	return rc;
}

static int by_tag(const void *a, const void *b)
{
	return strcmp(((const struct bg_record *)a)->tag, ((const struct bg_record *)b)->tag);
}

struct bg_record *bg_records(size_t *n)
{
	char prefix[64], path[4096 + 300];
	struct bg_record *all = NULL, *more;
	struct dirent *de;
	DIR *d = opendir(BG_RUN_DIR);
	size_t cap = 0;

	*n = 0;
	if (!d)
		return NULL;
	snprintf(prefix, sizeof(prefix), "bg-%lu-", netns_inode());
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (strncmp(de->d_name, prefix, strlen(prefix)) || len < 5 ||
		    strcmp(de->d_name + len - 4, ".pid"))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 4;
			more = realloc(all, cap * sizeof(*all));
			if (!more)
				break;
			all = more;
		}
		snprintf(path, sizeof(path), "%s/%s", BG_RUN_DIR, de->d_name);
		if (bg_record_load(path, &all[*n]))
			log_debug("%s: not a background capture's record; ignored", path);
		else
			(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(all, *n, sizeof(*all), by_tag);
	else {
		free(all);
		all = NULL;
	}
	return all;
}

int bg_find(const char *iface, struct bg_record *r)
{
	size_t n, i;
	struct bg_record *all = bg_records(&n);
	int rc = -1;

	for (i = 0; i < n && rc; i++)
		if (bg_tag_has_iface(all[i].tag, iface)) {
			*r = all[i];
			rc = 0;
		}
	free(all);
	return rc;
}

static void log_path_of(const struct bg_record *r, char *buf, size_t len)
{
	size_t n = strlen(r->path);

	snprintf(buf, len, "%.*s.log", (int)(n > 4 ? n - 4 : n), r->path);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The files of the set this capture started (their names carry their start,
 * at or after the capture's), in name order: a malloc'd array of malloc'd
 * names. A single -w FILE is that file.
 */
static char **files_written(const struct bg_record *r, size_t *n)
{
	struct fileset_name fn;
	struct dirent *de;
	char **names = NULL, **more;
	size_t cap = 0;
	DIR *d;

	*n = 0;
	if (!r->is_dir) {
		names = malloc(sizeof(*names));
		if (names && (names[0] = strdup(r->output)) && !access(r->output, F_OK))
			*n = 1;
		else if (names)
			free(names[0]);
		return names;
	}
	d = opendir(r->output);
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (!fileset_parse_name(de->d_name, r->tag, &fn) || fn.start_sec < r->started)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			more = realloc(names, cap * sizeof(*names));
			if (!more)
				break;
			names = more;
		}
		names[*n] = strdup(de->d_name);
		if (names[*n])
			(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(names, *n, sizeof(*names), by_name);
	return names;
}

static void free_names(char **names, size_t n)
{
	while (n)
		free(names[--n]);
	free(names);
}

static void print_files(const struct bg_record *r)
{
	size_t n, i, len = strlen(r->output);
	char **names = files_written(r, &n);
	const char *slash = len && r->output[len - 1] == '/' ? "" : "/";

	printf("vpncap: %s: %zu file%s written%s\n", r->tag, n, n == 1 ? "" : "s", n ? ":" : "");
	for (i = 0; i < n; i++)
		if (r->is_dir)
			printf("  %s%s%s\n", r->output, slash, names[i]);
		else
			printf("  %s\n", names[i]);
	free_names(names, n);
}

/*
 * What the capture said after it was ready (its last BG_LOG_MAX bytes):
 * copied to stdout. 0 when its summary is among it.
 */
static int print_log(const struct bg_record *r, const char *log)
{
	FILE *f = fopen(log, "re");
	char *text;
	size_t len = 0;
	long size;
	int rc = -1;

	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0) {
		fclose(f);
		return -1;
	}
	if ((unsigned long long)size > r->log_ready + BG_LOG_MAX)
		fseek(f, size - (long)BG_LOG_MAX, SEEK_SET);
	else
		fseek(f, (long)r->log_ready, SEEK_SET);
	text = malloc(BG_LOG_MAX + 1);
	if (text) {
		len = fread(text, 1, BG_LOG_MAX, f);
		fwrite(text, 1, len, stdout);
		if (len && text[len - 1] != '\n')
			putchar('\n');
		rc = bg_find_summary(text, len) ? 0 : -1;
		free(text);
	}
	fclose(f);
	return rc;
}

static void when(long long t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "-");
}

static void who(const struct bg_record *r, char *buf, size_t len)
{
	if (r->unit[0])
		snprintf(buf, len, "%s (pid %ld)", r->unit, (long)r->pid);
	else
		snprintf(buf, len, "pid %ld", (long)r->pid);
}

static int systemctl_unit(const char *verb, const char *unit)
{
	char *argv[] = { "systemctl", (char *)verb, (char *)unit, NULL };
	char said[256]; /* not shown: reset-failed of a unit already gone complains */

	return service_run(argv, said, sizeof(said), SERVICE_RUN_STDERR);
}

/* Ended within BG_STOP_WAIT_MS? */
static int ended(const struct bg_record *r)
{
	struct timespec nap = { 0, 50 * 1000000L };
	int waited;

	for (waited = 0; waited < BG_STOP_WAIT_MS; waited += 50) {
		if (!bg_alive(r))
			return 1;
		nanosleep(&nap, NULL);
	}
	return !bg_alive(r);
}

/* SIGTERM, or systemctl stop (which waits); 0 once it has ended. */
static int end_it(const struct bg_record *r)
{
	char id[320];

	who(r, id, sizeof(id));
	if (r->unit[0] && systemctl_unit("stop", r->unit)) {
		log_error("%s: systemctl stop %s failed", r->tag, r->unit);
		return -1;
	}
	if (!r->unit[0] && kill(r->pid, SIGTERM) && errno != ESRCH) {
		log_error("%s: cannot signal %s: %s", r->tag, id, strerror(errno));
		return -1;
	}
	if (!ended(r)) {
		log_error("%s: the capture (%s) has not ended after %d s; vpncap stop %s again waits on",
			  r->tag, id, BG_STOP_WAIT_MS / 1000, r->tag);
		return -1;
	}
	return 0;
}

int bg_stop(struct bg_record *r)
{
	char log[4096 + 8], id[320], since[32];
	int was_running = bg_alive(r);

	who(r, id, sizeof(id));
	when(r->started, since, sizeof(since));
	if (was_running && end_it(r))
		return EXIT_RUNTIME;
	if (r->unit[0]) /* a unit that failed stays loaded, and would refuse the next start */
		systemctl_unit("reset-failed", r->unit);
	printf("vpncap: %s: background capture %s (%s, since %s)\n", r->tag,
	       was_running ? "stopped" : "had ended by itself", id, since);
	print_files(r);
	fflush(stdout);
	log_path_of(r, log, sizeof(log));
	unlink(r->path);
	if (print_log(r, log)) {
		fflush(stdout);
		log_error("%s: the capture ended without a summary (killed?); its log is kept: %s",
			  r->tag, log);
		return EXIT_RUNTIME;
	}
	unlink(log);
	return EXIT_OK;
}

void bg_status(void)
{
	size_t n, i, files;
	struct bg_record *all = bg_records(&n);

	if (!n)
		return;
	printf("\n%-16s %-8s %-20s %-28s %5s  %s\n", "BACKGROUND", "STATE", "SINCE", "PID/UNIT",
	       "FILES", "FILES IN");
	for (i = 0; i < n; i++) {
		char since[32], id[320], **names = files_written(&all[i], &files);

		free_names(names, files);
		when(all[i].started, since, sizeof(since));
		who(&all[i], id, sizeof(id));
		printf("%-16s %-8s %-20s %-28s %5zu  %s\n", all[i].tag,
		       bg_alive(&all[i]) ? "running" : "ended", since, id, files, all[i].output);
	}
	free(all);
}
