// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include "capture/session_parts.h"
#include "store/output_check.h"

static int output_is_dir(const char *path)
{
	struct stat st;
	size_t n = strlen(path);

	if (n && path[n - 1] == '/')
		return 1;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Set options make no sense for one file: say so before touching anything. */
int session_check_output(const struct capture_opts *o, int is_dir, char *err, size_t errlen)
{
	const char *opt = o->rotate_size ? "--rotate-size" : o->rotate_time_ms ? "--rotate-time" :
			  o->max_files ? "--max-files" : o->max_bytes ? "--max-bytes" :
			  o->min_free ? "--min-free" : o->on_rotate ? "--on-rotate" :
			  o->compress ? "--compress" : NULL;

	if (is_dir || !opt)
		return 0;
	err_set(err, errlen, "%s needs -w DIR (a directory, or a path ending in '/'); %s is a file",
		opt, o->output);
	return -EINVAL;
}

/*
 * Detach first so no new frame arrives, read the hooks' final counters, then
 * take what is still in the rings: the last counters then add up exactly.
 */
static int finish(struct capture_session *s)
{
	unsigned int i;
	int ret;

	for (i = 0; i < s->n_ifaces; i++)
		classifier_detach(&s->ifaces[i].cls);
	session_stop_consumers(s);
	session_snapshot_totals(s, 1);
	session_read_hits(s, s->last_hits);
	for (i = 0; i < s->n_ifaces; i++)
		classifier_close(&s->ifaces[i].cls);
	while (session_drain_rings(s))
		;
	session_snapshot_totals(s, 0);
	realtime_finish(&s->rt);
	writer_finish(&s->writer);
	ret = s->has_output ? fileset_close(&s->fs, clock_real_ns()) : 0;
	session_publish_counters(s, 0);
	return ret;
}

/*
 * What is kept after start beyond the base set, as far as the output
 * decides it: rotation creates files later, so in a directory of someone
 * else's the right to stays. (CAP_SYS_ADMIN for the dispatcher is added
 * once attached; it does not bear on files.)
 */
static void output_privileges(const struct capture_session *s, struct privileges_extra *extra)
{
	struct stat st;

	*extra = (struct privileges_extra){ 0 };
	extra->dac_override = s->is_dir && stat(s->opts->output, &st) == 0 &&
			      st.st_uid != geteuid();
	/* The same for --metrics-file's directory (accepted with --allow-shared-dir). */
	extra->dac_override |= s->metrics_dir_fd >= 0 && fstat(s->metrics_dir_fd, &st) == 0 &&
			       st.st_uid != geteuid();
}

struct dir_probe {
	const struct fileset *fs;
	char err[FILESET_PATH_MAX + 100];
};

static int probe_dir(void *arg)
{
	struct dir_probe *p = arg;

	return fileset_probe_dir(p->fs, p->err, sizeof(p->err));
}

/*
 * fileset_open, once a set's directory exists, before anything is written
 * there or attached anywhere: can the set create, write, rename and delete
 * files once vpncap has dropped to what it keeps? Checked by doing it, on
 * a thread with exactly those capabilities, not by reading modes: ACLs, an
 * LSM or a read-only mount decide too, and only the kernel knows them all.
 * (Dropping first is no choice: attaching needs what goes.) -w FILE is
 * open before the drop and nothing is created after: no check.
 */
static int check_dir_as_kept(void *ctx, const struct fileset *fs, char *err, size_t errlen)
{
	const struct capture_session *s = ctx;
	struct privileges_extra extra;
	struct dir_probe *probe;
	char kept[160];
	struct stat st;
	int ret;

	probe = calloc(1, sizeof(*probe));
	if (!probe) {
		err_set(err, errlen, "out of memory");
		return -ENOMEM;
	}
	probe->fs = fs;
	output_privileges(s, &extra);
	ret = privileges_run_as_kept(&extra, probe_dir, probe);
	if (!ret) {
		free(probe);
		return 0;
	}
	fileset_probe_cleanup(fs);
	privileges_kept_names(&extra, kept, sizeof(kept));
	if (stat(fs->dir, &st))
		st = (struct stat){ 0 };
	err_set(err, errlen,
		"%s: not usable once capturing: %s, with the capabilities vpncap keeps after start (%s); "
		"the directory is mode %04o, owner uid %u",
		fs->dir, probe->err[0] ? probe->err : strerror(-ret), kept,
		(unsigned int)(st.st_mode & 07777), (unsigned int)st.st_uid);
	free(probe);
	return ret;
}

void session_fileset_config_of(struct capture_session *s, int is_dir, struct fileset_config *c)
{
	const struct capture_opts *o = s->opts;

	*c = (struct fileset_config){
		.path = o->output,
		.is_dir = is_dir,
		.allow_shared_dir = o->allow_shared_dir,
		.tag = s->tag,
		.rotate_bytes = o->rotate_size,
		.rotate_ns = o->rotate_time_ms * 1000000ull,
		.retention = { .max_files = o->max_files, .max_bytes = o->max_bytes },
		.min_free = o->min_free,
		.sync_ns = o->sync_interval_ms * 1000000ull,
		.compress = o->compress,
		.output_io = o->output_io,
		.on_rotate = o->on_rotate,
		.shb = &s->shb,
		.idbs = s->idbs,
		.fill_isb = session_fill_isb,
		.check_dir = check_dir_as_kept,
		.ctx = s,
	};
}

/* The writer drains every producer's queue: this thread's first, then each consumer's. */
static int start_writer(struct capture_session *s)
{
	struct frame_queue *queues[WRITER_MAX_QUEUES];
	unsigned int i;

	for (i = 0; i < s->n_outs; i++)
		queues[i] = &s->outs[i]->queue;
	int ret = writer_start(&s->writer, queues, s->n_outs, &s->fs);

	if (!ret)
		pthread_setname_np(s->writer.thread, "vpncap-writer");
	return ret;
}

static int setup(struct capture_session *s, char *err, size_t errlen)
{
	unsigned int i;
	int ret;

	for (i = 0; i < s->n_ifaces; i++) {
		s->ifaces[i].ring_ctx = (struct ring_ctx){ .s = s, .if_id = i };
		ret = session_start_iface(s, &s->ifaces[i], err, errlen);
		if (ret)
			return ret;
	}
	ret = session_prepare_idbs(s, s->opts->unmatched);
	if (ret) {
		err_set(err, errlen, "out of memory");
		return ret;
	}
	if (s->has_output)
		fileset_use_idbs(&s->fs, s->idbs);
	s->start_wall_ns = clock_real_ns();
	ret = session_create_consumers(s, err, errlen);
	if (ret)
		return ret;
	session_snapshot_totals(s, 1);
	if (s->has_output) {
		ret = fileset_start(&s->fs, s->start_wall_ns, err, errlen);
		if (ret)
			return ret;
		fileset_io_words(&s->fs, s->output_io_said, sizeof(s->output_io_said));
		ret = start_writer(s);
		if (ret) {
			err_set(err, errlen, "cannot start the writer thread: %s", strerror(-ret));
			return ret;
		}
	}
	return session_start_consumers(s, err, errlen);
}

/* --realtime: the printer thread, before anything is attached. */
static int start_realtime(struct capture_session *s, char *err, size_t errlen)
{
	unsigned int i;
	int ret;

	if (!s->opts->realtime)
		return 0;
	for (i = 0; i < s->n_ifaces; i++)
		s->ifnames[i] = s->ifaces[i].info.name;
	/* -i any: the names of interfaces added later are set before their first frame. */
	ret = realtime_start(&s->rt, stdout, isatty(STDOUT_FILENO), s->ifnames,
			     s->any ? CAPTURE_MAX_IFACES : s->n_ifaces);
	if (ret)
		err_set(err, errlen, "--realtime: cannot start the view: %s", strerror(-ret));
	return ret;
}

/* --cpus: every CPU named must be one this process may run on (cgroup, taskset). */
static int check_cpus(const struct capture_opts *o, char *err, size_t errlen)
{
	cpu_set_t allowed;
	unsigned int i;

	if (!o->n_cpus)
		return 0;
	if (sched_getaffinity(0, sizeof(allowed), &allowed)) {
		err_set(err, errlen, "--cpus: cannot read the CPUs allowed: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < o->n_cpus; i++) {
		if (!CPU_ISSET(o->cpus[i], &allowed)) {
			err_set(err, errlen, "--cpus: CPU %u is offline or not allowed to vpncap "
				"(%d CPUs allowed; see taskset -p or the cgroup's cpuset)",
				o->cpus[i], CPU_COUNT(&allowed));
			return -1;
		}
	}
	return 0;
}

/* Validation that touches nothing; EXIT_USAGE on failure (also capture --check). */
int session_check_all(struct capture_session *s, int *is_dir, char *err, size_t errlen)
{
	const struct capture_opts *o = s->opts;
	const char *names[CAPTURE_MAX_IFACES];
	unsigned int i;

	if (s->any && session_pick_any(s, err, errlen))
		return -1;
	for (i = 0; !s->any && i < s->n_ifaces; i++)
		if (session_check_iface(&s->ifaces[i], o->ifaces[i], o, err, errlen))
			return -1;
	if (check_cpus(o, err, errlen))
		return -1;
	*is_dir = o->output && output_is_dir(o->output);
	if (o->output && session_check_output(o, *is_dir, err, errlen))
		return -1;
	if (o->output && output_check_io(o->output, *is_dir, o->output_io, s->output_io_said,
					 sizeof(s->output_io_said), err, errlen))
		return -1;
	/* Files are named by the interfaces found (-i 2 is eth0's), or "any". */
	for (i = 0; i < s->n_ifaces; i++)
		names[i] = s->ifaces[i].info.name;
	/* (--check may have none: the unit gives it.) */
	if ((s->any || s->n_ifaces) &&
	    (s->any ? fileset_make_tag(s->tag, sizeof(s->tag), o->ifaces, 1) :
		      fileset_make_tag(s->tag, sizeof(s->tag), names, s->n_ifaces))) {
		err_set(err, errlen, "-i: interface names do not make a valid file name");
		return -1;
	}
	session_remember_filters_file(s);
	if (session_choose_rules(s, o, &s->rules, &s->exprs, err, errlen))
		return -1;
	session_note_rules(s);
	return 0;
}

struct capture_session *session_new(const struct capture_opts *opts)
{
	struct capture_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->opts = opts;
	s->has_output = opts->output != NULL;
	s->any = capture_opts_any(opts);
	s->n_ifaces = s->any ? 0 : opts->n_ifaces;
	s->ifaces = calloc(s->any ? CAPTURE_MAX_IFACES : opts->n_ifaces, sizeof(*s->ifaces));
	if (!s->ifaces) {
		free(s);
		return NULL;
	}
	frame_path_init(&s->path, opts->snaplen, opts->output != NULL, opts->count,
			opts->realtime ? &s->rt : NULL);
	pthread_mutex_init(&s->totals_lock, NULL);
	s->run_dir_fd = s->metrics_dir_fd = -1;
	snprintf(s->filters_path, sizeof(s->filters_path), "%s/filters.conf",
		 config_dir());
	return s;
}

void session_free(struct capture_session *s)
{
	unsigned int i;

	session_stop_consumers(s);
	for (i = 0; i < s->n_ifaces; i++)
		session_stop_iface(&s->ifaces[i]);
	session_free_consumers(s);
	if (s->n_outs)
		frame_out_destroy(&s->main_out);
	frame_path_destroy(&s->path);
	pthread_mutex_destroy(&s->totals_lock);
	session_close_publish_dirs(s);
	idb_set_unref(s->idbs);
	free(s->reloaded);
	free(s->ifaces);
	free(s);
}

/* Running: tell systemd, then give up what start-up alone needed. */
static int started(struct capture_session *s, char *err, size_t errlen)
{
	struct privileges_extra extra;
	struct stat st;
	unsigned int i;

	output_privileges(s, &extra);
	for (i = 0; i < s->n_ifaces; i++)
		extra.sys_admin |= s->ifaces[i].cls.hook == HOOK_DISPATCHER;
	extra.attach_later = s->any;
	if (privileges_drop_after_start(&extra, err, errlen))
		return -1;
	/* Named by network namespace too: the same interface name may be in several. */
	if (stat("/proc/self/ns/net", &st))
		st.st_ino = 0;
	snprintf(s->hits_path, sizeof(s->hits_path), "%s/%lu-%s.hits", COUNTERS_DIR,
		 (unsigned long)st.st_ino, s->tag);
	snprintf(s->prom_path, sizeof(s->prom_path), "%s/%lu-%s.prom", COUNTERS_DIR,
		 (unsigned long)st.st_ino, s->tag);
	session_publish_counters(s, 1);
	/* Not over the real-time view on the same terminal. */
	s->status_line = isatty(STDERR_FILENO) && !(s->opts->realtime && isatty(STDOUT_FILENO));
	session_announce(s);
	sd_notifyf(0, "READY=1\nSTATUS=capturing on %s into %s", s->tag,
		   s->has_output ? s->opts->output : "the terminal");
	return 0;
}

/*
 * An interface went away: one line, and the status that tells systemd
 * (Restart=on-failure) and scripts so. A file that could not be completed
 * stays the failure it is (exit 1, its own line said which).
 */
static int iface_gone_status(const struct capture_session *s, int status)
{
	const char *name = s->ifaces[s->gone_iface - 1].info.name;

	if (status != EXIT_OK) {
		log_error("%s: the interface went away; capture ended", name);
		return status;
	}
	log_error("%s: the interface went away; capture ended%s", name,
		  s->has_output ? ", files completed" : "");
	return EXIT_IFACE_GONE;
}

int capture_run(const struct capture_opts *opts, const struct capture_reloader *reloader,
		struct capture_signals *sig)
{
	struct capture_session *s = session_new(opts);
	struct fileset_config fcfg;
	char err[ERRLEN] = "";
	int status = EXIT_RUNTIME, failed = 0;

	if (!s) {
		log_error("out of memory");
		return EXIT_RUNTIME;
	}
	s->reloader = reloader;
	if (session_check_all(s, &s->is_dir, err, sizeof(err))) {
		log_error("%s", err);
		session_free(s);
		return EXIT_USAGE;
	}
	if (kernel_probe(&s->kf, err, sizeof(err))) {
		log_error("%s", err);
		session_free(s);
		return EXIT_USAGE;
	}
	session_open_publish_dirs(s);
	session_prepare_headers(s);
	session_fileset_config_of(s, s->is_dir, &fcfg);
	/* Without bpffs only libxdp's dispatcher is lost: vpncap attaches alone. */
	s->bpffs = !bpffs_ensure_mounted(err, sizeof(err));
	if (!s->bpffs) {
		log_debug("%s", err);
		err[0] = '\0';
	}
	if (s->has_output && fileset_open(&s->fs, &fcfg, err, sizeof(err)))
		goto out;
	if (start_realtime(s, err, sizeof(err)) || setup(s, err, sizeof(err))) {
		if (!err[0])
			snprintf(err, sizeof(err), "%s: cannot start the capture", s->tag);
		session_stop_consumers(s);
		realtime_finish(&s->rt);
		writer_finish(&s->writer);
		if (s->has_output)
			fileset_abandon(&s->fs);
		goto out;
	}
	if (opts->duration_ms)
		s->deadline_mono_ns = clock_mono_ns() + opts->duration_ms * 1000000ull;
	failed = started(s, err, sizeof(err));
	if (failed) {
		log_error("%s", err);
		err[0] = '\0';
		sig->stop = 1; /* still end cleanly: detach, complete the file */
	}
	session_capture_loop(s, sig);
	/* Also when a signal came first: systemd stops a unit whose device went. */
	if (!s->gone_iface && !s->any)
		s->gone_iface = session_find_gone_iface(s);
	session_clear_status_line(s);
	sd_notify(0, "STOPPING=1");
	if (s->hits_path[0] && s->run_dir_fd >= 0)
		unlinkat(s->run_dir_fd, strrchr(s->hits_path, '/') + 1, 0);
	status = finish(s) || failed ? EXIT_RUNTIME : EXIT_OK;
	if (s->gone_iface)
		status = iface_gone_status(s, status);
	session_print_summary(s);
out:
	if (err[0])
		log_error("%s", err);
	session_free(s);
	return status;
}
