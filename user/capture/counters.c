// SPDX-License-Identifier: GPL-2.0-only
#include "capture/counters.h"
#include "log.h"
#include "textfile.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the identity --------------------------------------------------------- */

static void add_hook(struct counters_identity *id, const struct vpncap_counters *c)
{
	/* The hook's passed also counts matched frames it let through. */
	uint64_t let_through = c->redirect_fail + c->copied + c->ring_full;

	id->seen += c->seen;
	id->passed += c->passed > let_through ? c->passed - let_through : 0;
	id->unmatched_dropped += c->dropped;
	id->no_socket += c->redirect_fail;
	id->ring_full += c->ring_full;
}

void counters_identity(const struct counters_snapshot *s, struct counters_identity *id)
{
	uint64_t parts;
	unsigned int i, q;

	memset(id, 0, sizeof(*id));
	for (i = 0; i < s->n_ifaces; i++) {
		const struct counters_iface *ci = &s->ifaces[i];

		add_hook(id, &ci->in);
		add_hook(id, &ci->out);
		id->queue_full += ci->queue_full;
		for (q = 0; q < ci->n_queues; q++) {
			id->af_xdp_no_buffer += ci->queues[q].af_xdp_no_buffer;
			id->af_xdp_ring_full += ci->queues[q].af_xdp_ring_full;
		}
	}
	id->written = s->written;
	id->disk_full = s->disk_full;
	id->min_free = s->min_free;
	id->write_error = s->write_error;
	id->after_count = s->after_count;
	parts = id->passed + id->written + id->unmatched_dropped + id->no_socket + id->ring_full +
		id->af_xdp_no_buffer + id->af_xdp_ring_full + id->queue_full + id->disk_full +
		id->min_free + id->write_error + id->after_count;
	id->holds = parts <= id->seen;
	id->in_flight = id->holds ? id->seen - parts : 0;
}

/* ---- writing -------------------------------------------------------------- */

/* Hook counters by metric name, for writing and reading alike. */
static const struct {
	const char *metric;
	size_t off;
	const char *help;
} hook_metrics[] = {
	{ "vpncap_hook_seen_total", offsetof(struct vpncap_counters, seen), "Frames that reached the hook." },
	{ "vpncap_hook_matched_total", offsetof(struct vpncap_counters, matched), "Frames that matched a rule." },
	{ "vpncap_hook_passed_total", offsetof(struct vpncap_counters, passed), "Frames handed on to the stack or the wire (unmatched, no socket, copied)." },
	{ "vpncap_hook_dropped_total", offsetof(struct vpncap_counters, dropped), "Unmatched frames dropped (--unmatched drop)." },
	{ "vpncap_hook_redirected_total", offsetof(struct vpncap_counters, redirected), "Matched frames redirected to AF_XDP (bypass)." },
	{ "vpncap_hook_no_socket_total", offsetof(struct vpncap_counters, redirect_fail), "Matched frames on a queue without a socket (not captured)." },
	{ "vpncap_hook_copied_total", offsetof(struct vpncap_counters, copied), "Matched frames copied into the ring buffer (inline)." },
	{ "vpncap_hook_ring_full_total", offsetof(struct vpncap_counters, ring_full), "Copies lost to a full ring buffer (the frames went on)." },
	{ "vpncap_hook_truncated_total", offsetof(struct vpncap_counters, truncated), "Copies cut at 64 KiB below the snaplen." },
	{ "vpncap_hook_fragments_total", offsetof(struct vpncap_counters, fragments), "Later IP fragments matched through their first fragment." },
	{ "vpncap_hook_early_fragments_total", offsetof(struct vpncap_counters, early_fragments), "IP fragments matched ahead of their first fragment." },
	{ "vpncap_hook_hw_stamped_total", offsetof(struct vpncap_counters, hw_stamped), "Matched frames the NIC gave a receive stamp (XDP RX metadata, device-bound program)." },
};
#define N_HOOK_METRICS (sizeof(hook_metrics) / sizeof(hook_metrics[0]))

/* A label value in quotes, with \, " and newline escaped. */
static void put_label(FILE *f, const char *key, const char *value, int first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", key);
	for (; *value; value++) {
		if (*value == '\\' || *value == '"')
			fprintf(f, "\\%c", *value);
		else if (*value == '\n')
			fputs("\\n", f);
		else
			fputc(*value, f);
	}
	fputc('"', f);
}

static void put_header(FILE *f, const char *metric, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", metric, help, metric, type);
}

static void put_capture_value(FILE *f, const struct counters_snapshot *s, const char *metric,
			      const char *type, const char *help, uint64_t v)
{
	put_header(f, metric, type, help);
	fprintf(f, "%s{", metric);
	put_label(f, "capture", s->capture, 1);
	fprintf(f, "} %llu\n", (unsigned long long)v);
}

static void write_info(FILE *f, const struct counters_snapshot *s)
{
	char pid[32];

	snprintf(pid, sizeof(pid), "%ld", s->pid);
	put_header(f, "vpncap_capture_info", "gauge", "A capture: its process, output and current file.");
	fputs("vpncap_capture_info{", f);
	put_label(f, "capture", s->capture, 1);
	put_label(f, "pid", pid, 0);
	put_label(f, "running", s->running ? "yes" : "no", 0);
	put_label(f, "output", s->output, 0);
	put_label(f, "current_file", s->current_file, 0);
	fputs("} 1\n", f);
	put_header(f, "vpncap_start_time_seconds", "gauge", "When the capture started.");
	fputs("vpncap_start_time_seconds{", f);
	put_label(f, "capture", s->capture, 1);
	fprintf(f, "} %.9f\n", s->start_time);
	put_header(f, "vpncap_snapshot_time_seconds", "gauge", "When these counters were read.");
	fputs("vpncap_snapshot_time_seconds{", f);
	put_label(f, "capture", s->capture, 1);
	fprintf(f, "} %.9f\n", s->time);
}

static void iface_labels(FILE *f, const struct counters_snapshot *s,
			 const struct counters_iface *ci)
{
	put_label(f, "capture", s->capture, 1);
	put_label(f, "interface", ci->name, 0);
}

/* Timestamp sources by label value, for writing and reading alike. */
static const struct {
	const char *source;
	size_t off;
} stamp_sources[] = {
	{ "hook", offsetof(struct counters_stamps, hook) },
	{ "batch", offsetof(struct counters_stamps, batch) },
	{ "hardware", offsetof(struct counters_stamps, hardware) },
};
#define N_STAMP_SOURCES (sizeof(stamp_sources) / sizeof(stamp_sources[0]))
#define STAMPS_METRIC "vpncap_frames_timestamped_total"

static void write_stamps(FILE *f, const struct counters_snapshot *s)
{
	unsigned int i, k;

	put_header(f, STAMPS_METRIC, "counter",
		   "Frames by the source of their timestamp: hook (XDP or TC hook), batch (one clock reading per batch, no metadata), hardware (the NIC's, XDP RX metadata).");
	for (i = 0; i < s->n_ifaces; i++)
		for (k = 0; k < N_STAMP_SOURCES; k++) {
			fputs(STAMPS_METRIC "{", f);
			iface_labels(f, s, &s->ifaces[i]);
			put_label(f, "source", stamp_sources[k].source, 0);
			fprintf(f, "} %llu\n", (unsigned long long)*(const uint64_t *)
				((const char *)&s->ifaces[i].stamped + stamp_sources[k].off));
		}
}

static void write_ifaces(FILE *f, const struct counters_snapshot *s)
{
	unsigned int i, m, d;

	put_header(f, "vpncap_interface_info", "gauge", "An interface of the capture and its mode.");
	for (i = 0; i < s->n_ifaces; i++) {
		fputs("vpncap_interface_info{", f);
		iface_labels(f, s, &s->ifaces[i]);
		put_label(f, "mode", s->ifaces[i].mode, 0);
		fputs("} 1\n", f);
	}
	for (m = 0; m < N_HOOK_METRICS; m++) {
		put_header(f, hook_metrics[m].metric, "counter", hook_metrics[m].help);
		for (i = 0; i < s->n_ifaces; i++)
			for (d = 0; d < 2; d++) {
				const struct vpncap_counters *c = d ? &s->ifaces[i].out : &s->ifaces[i].in;

				fprintf(f, "%s{", hook_metrics[m].metric);
				iface_labels(f, s, &s->ifaces[i]);
				put_label(f, "direction", d ? "out" : "in", 0);
				fprintf(f, "} %llu\n", (unsigned long long)*(const uint64_t *)
					((const char *)c + hook_metrics[m].off));
			}
	}
	put_header(f, "vpncap_ring_taken_total", "counter", "Records taken off the BPF ring buffer.");
	for (i = 0; i < s->n_ifaces; i++) {
		fputs("vpncap_ring_taken_total{", f);
		iface_labels(f, s, &s->ifaces[i]);
		fprintf(f, "} %llu\n", (unsigned long long)s->ifaces[i].ring_taken);
	}
	put_header(f, "vpncap_writer_queue_full_total", "counter", "Frames the writer queue had no room for.");
	for (i = 0; i < s->n_ifaces; i++) {
		fputs("vpncap_writer_queue_full_total{", f);
		iface_labels(f, s, &s->ifaces[i]);
		fprintf(f, "} %llu\n", (unsigned long long)s->ifaces[i].queue_full);
	}
	write_stamps(f, s);
}

static const struct {
	const char *metric;
	size_t off;
	const char *help;
} queue_metrics[] = {
	{ "vpncap_queue_taken_total", offsetof(struct counters_queue, taken), "Frames taken off the AF_XDP socket of a queue." },
	{ "vpncap_queue_af_xdp_no_buffer_total", offsetof(struct counters_queue, af_xdp_no_buffer), "Frames the socket had no buffer for (rx_dropped)." },
	{ "vpncap_queue_af_xdp_ring_full_total", offsetof(struct counters_queue, af_xdp_ring_full), "Frames lost to a full RX ring (rx_ring_full)." },
	{ "vpncap_queue_fill_ring_empty_total", offsetof(struct counters_queue, fill_ring_empty), "Times the fill ring was found empty." },
};
#define N_QUEUE_METRICS (sizeof(queue_metrics) / sizeof(queue_metrics[0]))

static void write_queues(FILE *f, const struct counters_snapshot *s)
{
	unsigned int m, i, q;
	char id[16];

	for (m = 0; m < N_QUEUE_METRICS; m++) {
		put_header(f, queue_metrics[m].metric, "counter", queue_metrics[m].help);
		for (i = 0; i < s->n_ifaces; i++)
			for (q = 0; q < s->ifaces[i].n_queues; q++) {
				const struct counters_queue *cq = &s->ifaces[i].queues[q];

				snprintf(id, sizeof(id), "%u", cq->id);
				fprintf(f, "%s{", queue_metrics[m].metric);
				iface_labels(f, s, &s->ifaces[i]);
				put_label(f, "queue", id, 0);
				fprintf(f, "} %llu\n", (unsigned long long)*(const uint64_t *)
					((const char *)cq + queue_metrics[m].off));
			}
	}
}

static void write_writer(FILE *f, const struct counters_snapshot *s)
{
	static const char *const reasons[] = { "disk_full", "min_free", "write_error" };
	const uint64_t drops[] = { s->disk_full, s->min_free, s->write_error };
	unsigned int i;

	put_capture_value(f, s, "vpncap_written_frames_total", "counter", "Frames written to files.", s->written);
	put_capture_value(f, s, "vpncap_written_bytes_total", "counter", "Bytes written to files.", s->bytes);
	put_capture_value(f, s, "vpncap_files_completed_total", "counter", "Files completed.", s->files);
	put_capture_value(f, s, "vpncap_after_count_total", "counter", "Frames not written because --count was reached.", s->after_count);
	put_header(f, "vpncap_writer_dropped_total", "counter", "Frames the writer could not write.");
	for (i = 0; i < 3; i++) {
		fputs("vpncap_writer_dropped_total{", f);
		put_label(f, "capture", s->capture, 1);
		put_label(f, "reason", reasons[i], 0);
		fprintf(f, "} %llu\n", (unsigned long long)drops[i]);
	}
	put_header(f, "vpncap_filter_hits_total", "counter", "Frames matched per named filter (or rule).");
	for (i = 0; i < s->n_filters; i++) {
		fputs("vpncap_filter_hits_total{", f);
		put_label(f, "capture", s->capture, 1);
		put_label(f, "filter", s->filters[i].name, 0);
		fprintf(f, "} %llu\n", (unsigned long long)s->filters[i].hits);
	}
}

int counters_write_prometheus(FILE *f, const struct counters_snapshot *s)
{
	struct counters_identity id;

	write_info(f, s);
	write_ifaces(f, s);
	write_queues(f, s);
	write_writer(f, s);
	counters_identity(s, &id);
	put_capture_value(f, s, "vpncap_in_flight_frames", "gauge",
			  "Frames between hook and file (seen minus every other part of the identity).",
			  id.in_flight);
	put_capture_value(f, s, "vpncap_identity_holds", "gauge",
			  "1 when seen = passed + written + in flight + drops can hold.", id.holds);
	return ferror(f) ? -1 : 0;
}

int counters_publish(int dir_fd, const char *name, const struct counters_snapshot *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int ret;

	if (!f)
		return -errno;
	ret = counters_write_prometheus(f, s);
	if (fclose(f) || ret)
		ret = -ENOMEM;
	/* Rewritten every second for scrapers and `vpncap counters`: whole, not durable. */
	if (!ret)
		ret = textfile_replace_at(dir_fd, name, text, len, 0644, TEXTFILE_NO_SYNC, NULL, 0);
	free(text);
	return ret;
}

/* ---- reading -------------------------------------------------------------- */

#define MAX_LABELS 8
#define COUNTERS_MAX_SECONDS 1e11     /* year 5138: far past any capture */
#define LABEL_MAX COUNTERS_PATH_MAX

struct sample {
	char name[128];
	unsigned int n_labels;
	char key[MAX_LABELS][32];
	char value[MAX_LABELS][LABEL_MAX];
	const char *number;     /* points into the line */
};

static const char *label(const struct sample *sm, const char *key)
{
	unsigned int i;

	for (i = 0; i < sm->n_labels; i++)
		if (!strcmp(sm->key[i], key))
			return sm->value[i];
	return "";
}

/* One quoted label value with escapes; *p after the closing quote. -1 if malformed. */
static int parse_label_value(const char **p, const char *end, char *out, size_t len)
{
	const char *s = *p;
	size_t n = 0;

	if (s >= end || *s != '"')
		return -1;
	for (s++; s < end && *s != '"'; s++) {
		char c = *s;

		if (c == '\\') {
			if (++s >= end)
				return -1;
			c = *s == 'n' ? '\n' : *s;
		}
		if (n + 1 < len)
			out[n++] = c;
	}
	if (s >= end)
		return -1;
	out[n] = '\0';
	*p = s + 1;
	return 0;
}

static int parse_labels(const char **p, const char *end, struct sample *sm)
{
	const char *s = *p + 1; /* after '{' */

	while (s < end && *s != '}') {
		size_t k = 0;

		if (sm->n_labels == MAX_LABELS)
			return -1;
		while (s < end && *s != '=' && k + 1 < sizeof(sm->key[0]))
			sm->key[sm->n_labels][k++] = *s++;
		sm->key[sm->n_labels][k] = '\0';
		if (s >= end || *s != '=' || !k)
			return -1;
		s++;
		if (parse_label_value(&s, end, sm->value[sm->n_labels], LABEL_MAX))
			return -1;
		sm->n_labels++;
		if (s < end && *s == ',')
			s++;
	}
	if (s >= end)
		return -1;
	*p = s + 1;
	return 0;
}

/* name{labels} value: 0, or -1 when the line is not a sample. */
static int parse_sample(const char *line, const char *end, struct sample *sm)
{
	const char *p = line;
	size_t n = 0;

	memset(sm, 0, sizeof(*sm));
	while (p < end && *p != '{' && *p != ' ' && n + 1 < sizeof(sm->name))
		sm->name[n++] = *p++;
	sm->name[n] = '\0';
	if (!n || p >= end)
		return -1;
	if (*p == '{' && parse_labels(&p, end, sm))
		return -1;
	if (p >= end || *p != ' ')
		return -1;
	sm->number = p + 1;
	return 0;
}

static int parse_u64(const char *s, const char *end, uint64_t *v)
{
	unsigned long long x = 0;

	if (s >= end || *s < '0' || *s > '9')
		return -1;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (x > (~0ull - 9) / 10)
			return -1;
		x = x * 10 + (unsigned long long)(*s - '0');
	}
	*v = x;
	return s == end ? 0 : -1;
}

static int parse_seconds(const char *s, const char *end, double *v)
{
	char buf[64], *stop;
	size_t n = (size_t)(end - s);

	if (!n || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*v = strtod(buf, &stop);
	/* A time since the epoch: finite, and one that converts to time_t. */
	return *stop || !isfinite(*v) || *v < 0 || *v > COUNTERS_MAX_SECONDS ? -1 : 0;
}

/* Later samples may set a string again: no bytes of an earlier value stay behind. */
static void set_str(char *dst, size_t len, const char *src)
{
	strncpy(dst, src, len - 1);
	dst[len - 1] = '\0';
}

static struct counters_iface *iface_of(struct counters_snapshot *s, const char *label)
{
	char name[sizeof(s->ifaces[0].name)];
	unsigned int i;

	/* Compared as stored: a name too long for an interface is cut the same way. */
	snprintf(name, sizeof(name), "%s", label);
	if (!*name)
		return NULL;
	for (i = 0; i < s->n_ifaces; i++)
		if (!strcmp(s->ifaces[i].name, name))
			return &s->ifaces[i];
	if (s->n_ifaces == COUNTERS_MAX_IFACES)
		return NULL;
	snprintf(s->ifaces[s->n_ifaces].name, sizeof(name), "%s", name);
	return &s->ifaces[s->n_ifaces++];
}

static struct counters_queue *queue_of(struct counters_iface *ci, const char *id)
{
	uint64_t q;
	unsigned int i;

	if (!ci || parse_u64(id, id + strlen(id), &q) || q > UINT32_MAX)
		return NULL;
	for (i = 0; i < ci->n_queues; i++)
		if (ci->queues[i].id == q)
			return &ci->queues[i];
	if (ci->n_queues == COUNTERS_MAX_QUEUES)
		return NULL;
	ci->queues[ci->n_queues].id = (uint32_t)q;
	return &ci->queues[ci->n_queues++];
}

static uint64_t *stamp_field(struct counters_iface *ci, const char *source)
{
	unsigned int k;

	for (k = 0; k < N_STAMP_SOURCES; k++)
		if (!strcmp(source, stamp_sources[k].source))
			return (uint64_t *)((char *)&ci->stamped + stamp_sources[k].off);
	return NULL;    /* a source of a newer writer */
}

static uint64_t *writer_field(struct counters_snapshot *s, const char *name, const char *reason)
{
	if (!strcmp(name, "vpncap_written_frames_total"))
		return &s->written;
	if (!strcmp(name, "vpncap_written_bytes_total"))
		return &s->bytes;
	if (!strcmp(name, "vpncap_files_completed_total"))
		return &s->files;
	if (!strcmp(name, "vpncap_after_count_total"))
		return &s->after_count;
	if (strcmp(name, "vpncap_writer_dropped_total"))
		return NULL;
	if (!strcmp(reason, "disk_full"))
		return &s->disk_full;
	if (!strcmp(reason, "min_free"))
		return &s->min_free;
	return !strcmp(reason, "write_error") ? &s->write_error : NULL;
}

/* Where a sample's integer goes; NULL for metrics read otherwise or not known. */
static uint64_t *field_of(struct counters_snapshot *s, const struct sample *sm)
{
	struct counters_iface *ci = iface_of(s, label(sm, "interface"));
	struct counters_queue *cq;
	unsigned int m;

	for (m = 0; ci && m < N_HOOK_METRICS; m++)
		if (!strcmp(sm->name, hook_metrics[m].metric))
			return (uint64_t *)((char *)(strcmp(label(sm, "direction"), "out") ?
						     &ci->in : &ci->out) + hook_metrics[m].off);
	for (m = 0; ci && m < N_QUEUE_METRICS; m++)
		if (!strcmp(sm->name, queue_metrics[m].metric)) {
			cq = queue_of(ci, label(sm, "queue"));
			return cq ? (uint64_t *)((char *)cq + queue_metrics[m].off) : NULL;
		}
	if (ci && !strcmp(sm->name, "vpncap_ring_taken_total"))
		return &ci->ring_taken;
	if (ci && !strcmp(sm->name, "vpncap_writer_queue_full_total"))
		return &ci->queue_full;
	if (ci && !strcmp(sm->name, STAMPS_METRIC))
		return stamp_field(ci, label(sm, "source"));
	if (!strcmp(sm->name, "vpncap_filter_hits_total") && s->n_filters < COUNTERS_MAX_FILTERS) {
		snprintf(s->filters[s->n_filters].name, COUNTERS_NAME_MAX, "%s", label(sm, "filter"));
		return &s->filters[s->n_filters++].hits;
	}
	return writer_field(s, sm->name, label(sm, "reason"));
}

static int apply_sample(struct counters_snapshot *s, const struct sample *sm, const char *end)
{
	uint64_t *field;
	uint64_t v;

	if (!strcmp(sm->name, "vpncap_capture_info")) {
		set_str(s->capture, sizeof(s->capture), label(sm, "capture"));
		s->pid = strtol(label(sm, "pid"), NULL, 10);
		s->running = !strcmp(label(sm, "running"), "yes");
		set_str(s->output, sizeof(s->output), label(sm, "output"));
		set_str(s->current_file, sizeof(s->current_file), label(sm, "current_file"));
		return 0;
	}
	if (!strcmp(sm->name, "vpncap_start_time_seconds"))
		return parse_seconds(sm->number, end, &s->start_time);
	if (!strcmp(sm->name, "vpncap_snapshot_time_seconds"))
		return parse_seconds(sm->number, end, &s->time);
	if (!strcmp(sm->name, "vpncap_interface_info")) {
		struct counters_iface *ci = iface_of(s, label(sm, "interface"));

		if (ci)
			set_str(ci->mode, sizeof(ci->mode), label(sm, "mode"));
		return 0;
	}
	if (parse_u64(sm->number, end, &v))
		return -1;
	field = field_of(s, sm);
	if (field)
		*field = v;
	return 0;
}

int counters_parse_prometheus(const char *text, size_t len, struct counters_snapshot *s,
			      char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	struct sample *sm = malloc(sizeof(*sm));
	unsigned int line = 0;

	memset(s, 0, sizeof(*s));
	if (!sm) {
		err_set(err, errlen, "out of memory");
		return -1;
	}
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (!eol)
			eol = end;
		line++;
		if (eol > p && *p != '#' &&
		    (parse_sample(p, eol, sm) || apply_sample(s, sm, eol))) {
			err_set(err, errlen, "line %u: not a metric sample this version reads", line);
			free(sm);
			return -1;
		}
		p = eol + 1;
	}
	free(sm);
	if (!s->capture[0]) {
		err_set(err, errlen, "no vpncap_capture_info: not a vpncap counters file");
		return -1;
	}
	return 0;
}
