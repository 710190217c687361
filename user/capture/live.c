// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include "capture/session_parts.h"
#include "textfile.h"
#include "trusted_dir.h"

#include <fcntl.h>

static void read_socket_totals(const struct capture_iface *ci, struct iface_totals *t)
{
	unsigned int i;

	t->sock_dropped = t->sock_ring_full = t->fill_empty = t->oversized = 0;
	for (i = 0; i < ci->n_queues; i++) {
		struct xdp_statistics st;

		if (xsk_rx_stats(&ci->queues[i], &st))
			continue;
		t->sock_dropped += st.rx_dropped;
		t->sock_ring_full += st.rx_ring_full;
		t->fill_empty += st.rx_fill_ring_empty_descs;
		/* Written by the queue's consumer thread, read here for the counts. */
		t->oversized += __atomic_load_n(&ci->queues[i].oversized, __ATOMIC_RELAXED);
	}
}

/* Snapshot for the writer's ISBs; with_hook = 0 once the program is gone. */
void session_snapshot_totals(struct capture_session *s, int with_hook)
{
	unsigned int i;

	for (i = 0; i < s->n_ifaces; i++) {
		struct capture_iface *ci = &s->ifaces[i];
		struct iface_totals t = ci->live;

		t.queue_full = OUTS_SUM(s, i, queue_full);
		t.ts_from_hook = OUTS_SUM(s, i, ts_hook);
		t.ts_from_batch = OUTS_SUM(s, i, ts_batch);
		t.ts_from_hw = OUTS_SUM(s, i, ts_hw);
		/* Sockets before hooks: a drop is never counted before its frame was seen. */
		t.ring_malformed = ci->ring_open ? ci->ring.malformed : 0;
		read_socket_totals(ci, &t);
		if (with_hook) {
			classifier_read_counters(&ci->cls, VPNCAP_DIR_IN, &t.hook);
			classifier_read_counters(&ci->cls, VPNCAP_DIR_OUT, &t.egress);
		} else {
			t.hook = s->totals[i].hook;
			t.egress = s->totals[i].egress;
		}
		pthread_mutex_lock(&s->totals_lock);
		s->totals[i] = t;
		pthread_mutex_unlock(&s->totals_lock);
	}
}

/* Hits per rule index, summed over the interfaces. */
void session_read_hits(struct capture_session *s, uint64_t hits[VPNCAP_MAX_RULES])
{
	uint64_t one[VPNCAP_MAX_RULES];
	unsigned int i, r;

	memset(hits, 0, VPNCAP_MAX_RULES * sizeof(hits[0]));
	for (i = 0; i < s->n_ifaces; i++)
		if (s->ifaces[i].cls.skel &&
		    !classifier_read_hits(&s->ifaces[i].cls, one, s->rules.count))
			for (r = 0; r < s->rules.count; r++)
				hits[r] += one[r];
}

static const char *rule_name(const struct capture_session *s, unsigned int r, char *buf,
			     size_t len)
{
	if (s->from_filters)
		return filters_name(&s->filters, r);
	snprintf(buf, len, "rule-%u", r);
	return buf;
}

/* ---- where counters and hits go ------------------------------------------- */

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/*
 * --metrics-file's directory, opened once (never through a symlink) and
 * refused when another user may write in it (trusted_dir.h) unless
 * --allow-shared-dir: the file is replaced there every second by root. 0,
 * or -errno with err (the metrics are then not written, the capture goes on).
 */
static int open_metrics_dir(struct capture_session *s, const char *path, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	char dir[4096], why[128];
	int fd, shared;

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + (slash == path) : 1,
		 slash ? path : ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		err_set(err, errlen, "--metrics-file %s: cannot open its directory: %s", path,
			e == ELOOP || e == ENOTDIR ? "a symbolic link or not a directory (refused)" :
			strerror(e));
		return -e;
	}
	shared = trusted_dir_shared_fd(fd, why, sizeof(why));
	if (shared && !(shared > 0 && s->opts->allow_shared_dir)) {
		err_set(err, errlen, shared < 0 ? "--metrics-file %s: cannot stat its directory: %s" :
			"--metrics-file %s: its directory is %s, so another user could steer what vpncap replaces there every second; use a directory only root can write in, or --allow-shared-dir",
			path, shared < 0 ? strerror(-shared) : why);
		close(fd);
		return shared < 0 ? shared : -EPERM;
	}
	if (shared)
		log_info("warning: --metrics-file %s: its directory is %s (--allow-shared-dir)", path,
			 why);
	if (s->metrics_dir_fd >= 0)
		close(s->metrics_dir_fd);
	s->metrics_dir_fd = fd;
	snprintf(s->metrics_opened, sizeof(s->metrics_opened), "%s", path);
	return 0;
}

/* After a reload named another --metrics-file: -1 (said once) when its directory is refused. */
static int follow_metrics_file(struct capture_session *s)
{
	char err[ERRLEN];

	s->metrics_error_logged = 0;
	if (!open_metrics_dir(s, s->opts->metrics_file, err, sizeof(err)))
		return 0;
	if (s->metrics_dir_fd >= 0)
		close(s->metrics_dir_fd);
	s->metrics_dir_fd = -1;
	snprintf(s->metrics_opened, sizeof(s->metrics_opened), "%s", s->opts->metrics_file);
	log_error("%s", err);
	return -1;
}

void session_open_publish_dirs(struct capture_session *s)
{
	char err[ERRLEN];

	/* /run/vpncap is root's: without it `vpncap counters` only misses this capture. */
	if (mkdir(COUNTERS_DIR, 0755) && errno != EEXIST)
		log_debug("%s: cannot create: %s", COUNTERS_DIR, strerror(errno));
	s->run_dir_fd = open(COUNTERS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->run_dir_fd < 0)
		log_debug("%s: cannot open: %s", COUNTERS_DIR, strerror(errno));
	if (!s->opts->metrics_file)
		return;
	/* Counters never cost the capture: without them it goes on, and says why once. */
	if (open_metrics_dir(s, s->opts->metrics_file, err, sizeof(err))) {
		log_error("%s; capturing without it", err);
		snprintf(s->metrics_opened, sizeof(s->metrics_opened), "%s", s->opts->metrics_file);
		s->metrics_error_logged = 1;
	}
}

void session_close_publish_dirs(struct capture_session *s)
{
	if (s->run_dir_fd >= 0)
		close(s->run_dir_fd);
	if (s->metrics_dir_fd >= 0)
		close(s->metrics_dir_fd);
	s->run_dir_fd = s->metrics_dir_fd = -1;
}

/* "NAME HITS" per rule (as last read), for `vpncap filter list`; replaced atomically. */
void session_write_hits(struct capture_session *s)
{
	char name[32], *text = NULL;
	size_t len = 0;
	unsigned int r;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return;
	for (r = 0; r < s->rules.count; r++)
		fprintf(f, "%s %llu\n", rule_name(s, r, name, sizeof(name)),
			(unsigned long long)s->last_hits[r]);
	if (fclose(f) == 0 && s->run_dir_fd >= 0)
		textfile_replace_at(s->run_dir_fd, base_name(s->hits_path), text, len, 0644,
				    TEXTFILE_NO_SYNC, NULL, 0);
	free(text);
}

/* ---- counters ------------------------------------------------------------ */

/* What this thread and the sockets counted for interface i (the hooks come after). */
static void snapshot_iface(const struct capture_session *s, unsigned int i,
			   struct counters_iface *out)
{
	const struct capture_iface *ci = &s->ifaces[i];
	unsigned int q;

	snprintf(out->name, sizeof(out->name), "%s", ci->info.name);
	snprintf(out->mode, sizeof(out->mode), "%s", session_mode_name(ci->mode));
	out->ring_taken = ci->live.ring_taken;
	out->queue_full = OUTS_SUM(s, i, queue_full);
	out->n_queues = ci->n_queues < COUNTERS_MAX_QUEUES ? ci->n_queues : COUNTERS_MAX_QUEUES;
	for (q = 0; q < out->n_queues; q++) {
		struct xdp_statistics st = { 0 };

		xsk_rx_stats(&ci->queues[q], &st);
		out->queues[q] = (struct counters_queue){
			.id = ci->queues[q].queue_id,
			.taken = COUNT_READ(ci->queue_taken[q]),
			.af_xdp_no_buffer = st.rx_dropped,
			.af_xdp_ring_full = st.rx_ring_full,
			.fill_ring_empty = st.rx_fill_ring_empty_descs,
		};
	}
}

/*
 * Everything downstream is read before what is upstream of it (writer, then
 * this thread's counts, then sockets, then the hooks), so at any moment the
 * parts of the identity never exceed seen; at the end in flight is 0.
 */
static void build_snapshot(struct capture_session *s, int running, struct counters_snapshot *snap)
{
	struct writer_status ws;
	char name[32];
	unsigned int i;

	memset(snap, 0, sizeof(*snap));
	if (running) {
		writer_get_status(&s->writer, &ws);
	} else {
		ws.stats = s->fs.stats;
		ws.current[0] = '\0';
	}
	snap->n_ifaces = s->n_ifaces < COUNTERS_MAX_IFACES ? s->n_ifaces : COUNTERS_MAX_IFACES;
	for (i = 0; i < snap->n_ifaces; i++)
		snapshot_iface(s, i, &snap->ifaces[i]);
	if (running) {
		session_snapshot_totals(s, 1);
		session_read_hits(s, s->last_hits);
	}
	for (i = 0; i < snap->n_ifaces; i++) {
		snap->ifaces[i].in = s->totals[i].hook;
		snap->ifaces[i].out = s->totals[i].egress;
		snap->ifaces[i].stamped = (struct counters_stamps){
			.hook = s->totals[i].ts_from_hook,
			.batch = s->totals[i].ts_from_batch,
			.hardware = s->totals[i].ts_from_hw,
		};
	}
	snprintf(snap->capture, sizeof(snap->capture), "%s", s->tag);
	snap->pid = (long)getpid();
	snap->running = running;
	snap->start_time = (double)s->start_wall_ns / 1e9;
	snap->time = (double)clock_real_ns() / 1e9;
	snprintf(snap->output, sizeof(snap->output), "%s", s->has_output ? s->opts->output : "");
	snprintf(snap->current_file, sizeof(snap->current_file), "%s", ws.current);
	/* Without -w (--realtime only), frames delivered to the view count as written. */
	snap->written = s->has_output ? ws.stats.frames_written :
					outs_sum_all(s, offsetof(struct out_counts, queued));
	snap->bytes = ws.stats.bytes;
	snap->files = ws.stats.files_completed;
	snap->disk_full = ws.stats.dropped_disk_full;
	snap->min_free = ws.stats.dropped_min_free;
	snap->write_error = ws.stats.dropped_write_error;
	snap->after_count = outs_sum_all(s, offsetof(struct out_counts, after_count));
	snap->n_filters = s->rules.count < COUNTERS_MAX_FILTERS ? s->rules.count : COUNTERS_MAX_FILTERS;
	for (i = 0; i < snap->n_filters; i++) {
		snprintf(snap->filters[i].name, sizeof(snap->filters[i].name), "%s",
			 rule_name(s, i, name, sizeof(name)));
		snap->filters[i].hits = s->last_hits[i];
	}
}

/*
 * The terminal's status line, from the snapshot just published: what an
 * operator watches in an outage (is anything arriving, is anything lost).
 */
void session_show_status_line(struct capture_session *s)
{
	const struct counters_snapshot *sn = &s->snap;
	struct counters_identity id;
	double dt = sn->time - s->status_time;
	uint64_t drops;

	if (!s->status_line)
		return;
	counters_identity(sn, &id);
	drops = id.no_socket + id.ring_full + id.af_xdp_no_buffer + id.af_xdp_ring_full +
		id.queue_full + id.disk_full + id.min_free + id.write_error;
	fprintf(stderr, "\r\033[Kvpncap: %llu frames, %.0f/s, %.1f MB, %llu dropped, %s",
		(unsigned long long)sn->written,
		s->status_time > 0 && dt > 0 ? (double)(sn->written - s->status_written) / dt : 0.0,
		(double)sn->bytes / 1e6, (unsigned long long)drops,
		sn->current_file[0] ? sn->current_file : "-");
	fflush(stderr);
	log_status_line(1);
	s->status_written = sn->written;
	s->status_time = sn->time;
}

void session_clear_status_line(struct capture_session *s)
{
	if (!s->status_line)
		return;
	fputs("\r\033[K", stderr);
	log_status_line(0);
	s->status_line = 0;
}

/*
 * /run/vpncap/TAG.prom for `vpncap counters` while running, and
 * --metrics-file (also the final counters at exit); both atomically.
 */
void session_publish_counters(struct capture_session *s, int running)
{
	int ret;

	build_snapshot(s, running, &s->snap);
	if (!s->prom_path[0])
		return;
	/* `vpncap counters` shows running captures; the last word goes to --metrics-file. */
	if (running && s->run_dir_fd >= 0)
		counters_publish(s->run_dir_fd, base_name(s->prom_path), &s->snap);
	else if (s->run_dir_fd >= 0)
		unlinkat(s->run_dir_fd, base_name(s->prom_path), 0);
	if (!s->opts->metrics_file)
		return;
	/* A reload may name another file: its directory is opened (and checked) once. */
	if (strcmp(s->metrics_opened, s->opts->metrics_file) && follow_metrics_file(s))
		return;
	if (s->metrics_dir_fd < 0)
		return;
	ret = counters_publish(s->metrics_dir_fd, base_name(s->opts->metrics_file), &s->snap);
	if (ret && !s->metrics_error_logged) {
		log_error("--metrics-file %s: cannot write: %s", s->opts->metrics_file,
			  strerror(-ret));
		s->metrics_error_logged = 1;
	}
}
