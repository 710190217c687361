// SPDX-License-Identifier: GPL-2.0-only
/*
 * `vpncap counters [IFACE] [--watch] [--json]`: the counters every running
 * capture (foreground or service) publishes in /run/vpncap (NAME.prom), as a
 * table per capture or as JSON, once or every second.
 */
#include "cmd/cmd.h"
#include "capture/counters.h"
#include "json.h"
#include "log.h"
#include "optparse.h"
#include "textfile.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define COUNTERS_FILE_MAX (4u << 20)

static const char counters_usage[] =
	"usage: vpncap counters [IFACE] [--watch] [--json]\n"
	"\n"
	"Counters of the running captures (foreground and service), per interface\n"
	"and queue, with the identity they obey:\n"
	"  seen = passed + written + in flight + each named drop\n"
	"\n"
	"  IFACE      only captures on this interface\n"
	"  --watch    refresh every second until Ctrl-C\n"
	"  --json     one JSON array of captures\n"
	"\n"
	"JSON keys per capture: capture, pid, running, start_time, time, output,\n"
	"current_file, written, bytes, files, drops {disk_full, min_free,\n"
	"write_error, after_count}, identity {seen, passed, written, in_flight,\n"
	"unmatched_dropped, no_socket, ring_full, af_xdp_no_buffer,\n"
	"af_xdp_ring_full, queue_full, disk_full, min_free, write_error,\n"
	"after_count, holds}, filters [{name, hits}], interfaces [{name, mode, in\n"
	"{seen, matched, passed, dropped, redirected, no_socket, copied,\n"
	"ring_full, truncated, fragments, early_fragments, hw_stamped}, out {...},\n"
	"ring_taken, queue_full, timestamps {hook, batch, hardware}, queues [{queue,\n"
	"taken, af_xdp_no_buffer, af_xdp_ring_full, fill_ring_empty}]}].\n"
	"timestamps: frames stamped at the hook, once per batch (no metadata), or by\n"
	"the NIC; hw_stamped: matched frames the NIC gave a stamp at the hook.\n";

/* ---- text ----------------------------------------------------------------- */

static void print_hook(FILE *f, const char *what, const struct vpncap_counters *c)
{
	fprintf(f, "    %-11s seen %llu, matched %llu (fragments %llu, early %llu), redirected %llu, "
		   "copied %llu, passed %llu, dropped %llu, no socket %llu, ring full %llu\n",
		what, (unsigned long long)c->seen, (unsigned long long)c->matched,
		(unsigned long long)c->fragments, (unsigned long long)c->early_fragments,
		(unsigned long long)c->redirected, (unsigned long long)c->copied,
		(unsigned long long)c->passed, (unsigned long long)c->dropped,
		(unsigned long long)c->redirect_fail, (unsigned long long)c->ring_full);
}

static void print_iface(FILE *f, const struct counters_iface *ci)
{
	unsigned int q;

	fprintf(f, "  %s (%s)\n", ci->name, ci->mode[0] ? ci->mode : "?");
	print_hook(f, "received", &ci->in);
	if (ci->out.seen || !strcmp(ci->mode, "inline"))
		print_hook(f, "transmitted", &ci->out);
	fprintf(f, "    ring buffer: taken %llu; writer queue full %llu\n",
		(unsigned long long)ci->ring_taken, (unsigned long long)ci->queue_full);
	fprintf(f, "    timestamps: hook %llu, batch %llu, hardware %llu (the nic stamped %llu at the hook)\n",
		(unsigned long long)ci->stamped.hook, (unsigned long long)ci->stamped.batch,
		(unsigned long long)ci->stamped.hardware, (unsigned long long)ci->in.hw_stamped);
	for (q = 0; q < ci->n_queues; q++)
		fprintf(f, "    queue %-4u taken %llu, af_xdp no buffer %llu, rx ring full %llu, fill ring empty %llu\n",
			ci->queues[q].id, (unsigned long long)ci->queues[q].taken,
			(unsigned long long)ci->queues[q].af_xdp_no_buffer,
			(unsigned long long)ci->queues[q].af_xdp_ring_full,
			(unsigned long long)ci->queues[q].fill_ring_empty);
}

static void print_identity(FILE *f, const struct counters_identity *id)
{
	fprintf(f, "  identity: seen %llu = passed %llu + written %llu + in flight %llu + drops "
		   "(unmatched dropped %llu, no socket %llu, ring full %llu, af_xdp no buffer %llu, "
		   "af_xdp ring full %llu, writer queue full %llu, disk full %llu, min-free %llu, "
		   "write errors %llu, after --count %llu)%s\n",
		(unsigned long long)id->seen, (unsigned long long)id->passed,
		(unsigned long long)id->written, (unsigned long long)id->in_flight,
		(unsigned long long)id->unmatched_dropped, (unsigned long long)id->no_socket,
		(unsigned long long)id->ring_full, (unsigned long long)id->af_xdp_no_buffer,
		(unsigned long long)id->af_xdp_ring_full, (unsigned long long)id->queue_full,
		(unsigned long long)id->disk_full, (unsigned long long)id->min_free,
		(unsigned long long)id->write_error, (unsigned long long)id->after_count,
		id->holds ? "" : "  [DOES NOT ADD UP]");
}

void counters_print_text(FILE *f, const struct counters_snapshot *s)
{
	struct counters_identity id;
	char when[64] = "?";
	time_t t = (time_t)s->start_time;
	struct tm tm;
	unsigned int i;

	if (localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(f, "capture %s: pid %ld, %s since %s, %.0f s\n", s->capture, s->pid,
		s->running ? "running" : "ended", when, s->time - s->start_time);
	fprintf(f, "  output %s; current file %s\n", s->output,
		s->current_file[0] ? s->current_file : "-");
	for (i = 0; i < s->n_ifaces; i++)
		print_iface(f, &s->ifaces[i]);
	if (s->n_filters) {
		fprintf(f, "  filters:");
		for (i = 0; i < s->n_filters; i++)
			fprintf(f, "%s %s %llu", i ? "," : "", s->filters[i].name,
				(unsigned long long)s->filters[i].hits);
		fputc('\n', f);
	}
	fprintf(f, "  written %llu frames, %llu bytes, %llu files completed\n",
		(unsigned long long)s->written, (unsigned long long)s->bytes,
		(unsigned long long)s->files);
	counters_identity(s, &id);
	print_identity(f, &id);
}

/* ---- JSON ----------------------------------------------------------------- */

#define JU(f, key, v) fprintf(f, "\"%s\":%llu", key, (unsigned long long)(v))

static void json_hook(FILE *f, const char *key, const struct vpncap_counters *c)
{
	fprintf(f, "\"%s\":{", key);
	JU(f, "seen", c->seen); fputc(',', f);
	JU(f, "matched", c->matched); fputc(',', f);
	JU(f, "passed", c->passed); fputc(',', f);
	JU(f, "dropped", c->dropped); fputc(',', f);
	JU(f, "redirected", c->redirected); fputc(',', f);
	JU(f, "no_socket", c->redirect_fail); fputc(',', f);
	JU(f, "copied", c->copied); fputc(',', f);
	JU(f, "ring_full", c->ring_full); fputc(',', f);
	JU(f, "truncated", c->truncated); fputc(',', f);
	JU(f, "fragments", c->fragments); fputc(',', f);
	JU(f, "early_fragments", c->early_fragments); fputc(',', f);
	JU(f, "hw_stamped", c->hw_stamped);
	fputc('}', f);
}

static void json_iface(FILE *f, const struct counters_iface *ci)
{
	unsigned int q;

	fputs("{\"name\":", f);
	json_string(f, ci->name);
	fputs(",\"mode\":", f);
	json_string(f, ci->mode);
	fputc(',', f);
	json_hook(f, "in", &ci->in);
	fputc(',', f);
	json_hook(f, "out", &ci->out);
	fputc(',', f);
	JU(f, "ring_taken", ci->ring_taken); fputc(',', f);
	JU(f, "queue_full", ci->queue_full);
	fputs(",\"timestamps\":{", f);
	JU(f, "hook", ci->stamped.hook); fputc(',', f);
	JU(f, "batch", ci->stamped.batch); fputc(',', f);
	JU(f, "hardware", ci->stamped.hardware);
	fputs("},\"queues\":[", f);
	for (q = 0; q < ci->n_queues; q++) {
		const struct counters_queue *cq = &ci->queues[q];

		fprintf(f, "%s{", q ? "," : "");
		JU(f, "queue", cq->id); fputc(',', f);
		JU(f, "taken", cq->taken); fputc(',', f);
		JU(f, "af_xdp_no_buffer", cq->af_xdp_no_buffer); fputc(',', f);
		JU(f, "af_xdp_ring_full", cq->af_xdp_ring_full); fputc(',', f);
		JU(f, "fill_ring_empty", cq->fill_ring_empty);
		fputc('}', f);
	}
	fputs("]}", f);
}

static void json_identity(FILE *f, const struct counters_identity *id)
{
	fputs("\"identity\":{", f);
	JU(f, "seen", id->seen); fputc(',', f);
	JU(f, "passed", id->passed); fputc(',', f);
	JU(f, "written", id->written); fputc(',', f);
	JU(f, "in_flight", id->in_flight); fputc(',', f);
	JU(f, "unmatched_dropped", id->unmatched_dropped); fputc(',', f);
	JU(f, "no_socket", id->no_socket); fputc(',', f);
	JU(f, "ring_full", id->ring_full); fputc(',', f);
	JU(f, "af_xdp_no_buffer", id->af_xdp_no_buffer); fputc(',', f);
	JU(f, "af_xdp_ring_full", id->af_xdp_ring_full); fputc(',', f);
	JU(f, "queue_full", id->queue_full); fputc(',', f);
	JU(f, "disk_full", id->disk_full); fputc(',', f);
	JU(f, "min_free", id->min_free); fputc(',', f);
	JU(f, "write_error", id->write_error); fputc(',', f);
	JU(f, "after_count", id->after_count);
	fprintf(f, ",\"holds\":%s}", id->holds ? "true" : "false");
}

void counters_print_json(FILE *f, const struct counters_snapshot *s)
{
	struct counters_identity id;
	unsigned int i;

	fputs("{\"capture\":", f);
	json_string(f, s->capture);
	fprintf(f, ",\"pid\":%ld,\"running\":%s,\"start_time\":%.9f,\"time\":%.9f,\"output\":",
		s->pid, s->running ? "true" : "false", s->start_time, s->time);
	json_string(f, s->output);
	fputs(",\"current_file\":", f);
	json_string(f, s->current_file);
	fputc(',', f);
	JU(f, "written", s->written); fputc(',', f);
	JU(f, "bytes", s->bytes); fputc(',', f);
	JU(f, "files", s->files);
	fputs(",\"drops\":{", f);
	JU(f, "disk_full", s->disk_full); fputc(',', f);
	JU(f, "min_free", s->min_free); fputc(',', f);
	JU(f, "write_error", s->write_error); fputc(',', f);
	JU(f, "after_count", s->after_count);
	fputs("},", f);
	counters_identity(s, &id);
	json_identity(f, &id);
	fputs(",\"filters\":[", f);
	for (i = 0; i < s->n_filters; i++) {
		fprintf(f, "%s{\"name\":", i ? "," : "");
		json_string(f, s->filters[i].name);
		fprintf(f, ",\"hits\":%llu}", (unsigned long long)s->filters[i].hits);
	}
	fputs("],\"interfaces\":[", f);
	for (i = 0; i < s->n_ifaces; i++) {
		if (i)
			fputc(',', f);
		json_iface(f, &s->ifaces[i]);
	}
	fputs("]}", f);
}

/* ---- the command ---------------------------------------------------------- */

static int has_iface(const struct counters_snapshot *s, const char *iface)
{
	unsigned int i;

	if (!iface)
		return 1;
	for (i = 0; i < s->n_ifaces; i++)
		if (!strcmp(s->ifaces[i].name, iface))
			return 1;
	return 0;
}

/* A capture whose process is gone (killed) left its file: not running. */
static int alive(long pid)
{
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static int load_one(const char *path, struct counters_snapshot *s)
{
	char err[256], *text;
	size_t len;

	if (textfile_read(path, COUNTERS_FILE_MAX, &text, &len))
		return -1;
	if (counters_parse_prometheus(text, len, s, err, sizeof(err))) {
		log_error("%s: %s", path, err);
		free(text);
		return -1;
	}
	free(text);
	return s->running && alive(s->pid) ? 0 : -1;
}

/*
 * Print every running capture (on iface); returns how many. None on iface
 * is the caller's error to report, except in --watch, whose screen says so.
 */
static int show_all(const char *iface, int json, int watch)
{
	struct counters_snapshot *s = malloc(sizeof(*s));
	DIR *d = opendir(COUNTERS_DIR);
	struct dirent *e;
	char path[COUNTERS_PATH_MAX];
	int n = 0;

	if (json)
		fputc('[', stdout);
	while (s && d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (len < 6 || strcmp(e->d_name + len - 5, ".prom"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", COUNTERS_DIR, e->d_name);
		if (load_one(path, s) || !has_iface(s, iface))
			continue;
		if (json) {
			if (n)
				fputc(',', stdout);
			counters_print_json(stdout, s);
		} else {
			counters_print_text(stdout, s);
		}
		n++;
	}
	if (json)
		fputs("]\n", stdout);
	else if (!n && (!iface || watch))
		printf("no running capture%s%s\n", iface ? " on " : "", iface ? iface : "");
	if (d)
		closedir(d);
	free(s);
	fflush(stdout);
	return n;
}

static volatile sig_atomic_t watch_stop;

static void on_signal(int sig)
{
	(void)sig;
	watch_stop = 1;
}

int cmd_counters(int argc, char **argv)
{
	static const struct optdef opts[] = {
		{ "watch", 0, 0, 'W', NULL }, { "json", 0, 0, 'j', NULL }, { "help", 'h', 0, 'h', NULL },
	};
	const char *iface = NULL, *value;
	struct optparse p;
	char err[256];
	int watch = 0, json = 0, rc, id, tty = isatty(STDOUT_FILENO);

	optparse_init(&p, argc, argv, OPTPARSE_PERMUTE | OPTPARSE_CLUSTER);
	while ((rc = optparse_next(&p, opts, 3, &id, &value, err, sizeof(err))) != OPTPARSE_END) {
		if (rc == OPTPARSE_ERROR) {
			log_error("counters: %s (see vpncap counters --help)", err);
			return 2;
		}
		if (rc == OPTPARSE_WORD && iface) {
			log_error("counters: unexpected argument '%s'", value);
			return 2;
		}
		if (rc == OPTPARSE_WORD) {
			iface = value;
		} else if (id == 'W') {
			watch = 1;
		} else if (id == 'j') {
			json = 1;
		} else {
			fputs(counters_usage, stdout);
			return 0;
		}
	}
	if (!watch) {
		if (show_all(iface, json, 0) || !iface)
			return EXIT_OK;
		log_error("counters: %s: no running capture on this interface", iface);
		return EXIT_RUNTIME;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!watch_stop) {
		if (tty && !json)
			fputs("\033[H\033[2J", stdout);
		show_all(iface, json, 1);
		sleep(1);
	}
	return 0;
}
