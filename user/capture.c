// SPDX-License-Identifier: GPL-2.0-only
#include "capture.h"
#include "capture_file.h"
#include "clock.h"
#include "iface.h"
#include "log.h"
#include "rules.h"
#include "xdp_attach.h"
#include "xsk_rx.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#define POLL_TIMEOUT_MS 100
#define HOUSEKEEPING_NS 1000000000ull /* flush the file and resync the clock */
#define ERRLEN 256

struct capture_iface {
	struct iface_info info;
	struct classifier cls;
	struct xsk_rx queues[CAPTURE_MAX_QUEUES];
	unsigned int n_queues;
	uint64_t written;
	uint64_t ts_from_hook;          /* frames stamped at the XDP hook */
	uint64_t ts_from_batch;         /* frames stamped once per batch (no metadata) */
};

struct capture_session {
	const struct capture_opts *opts;
	struct capture_iface *ifaces;
	unsigned int n_ifaces;
	struct capture_file out;
	struct vc_clock clock;
	struct vpncap_ruleset rules;
	uint64_t start_wall_ns;
	uint64_t deadline_mono_ns;      /* 0 = none */
	uint64_t written;
	uint64_t write_failed;          /* frames lost to write errors */
	uint64_t after_count;           /* frames not written because --count was reached */
	int write_error;                /* -errno of the first write failure */
	int done;
};

/* ---- setup ------------------------------------------------------------ */

static int choose_queues(struct capture_iface *ci, const struct capture_opts *o,
			 char *err, size_t errlen)
{
	unsigned int i;

	if (!o->n_queues) {
		ci->n_queues = ci->info.rx_queues < CAPTURE_MAX_QUEUES ?
			ci->info.rx_queues : CAPTURE_MAX_QUEUES;
		for (i = 0; i < ci->n_queues; i++)
			ci->queues[i].queue_id = i;
		return 0;
	}
	for (i = 0; i < o->n_queues; i++) {
		if (o->queues[i] >= ci->info.rx_queues) {
			err_set(err, errlen, "%s: queue %u does not exist (%u RX queue%s)",
				ci->info.name, o->queues[i], ci->info.rx_queues,
				ci->info.rx_queues == 1 ? "" : "s");
			return -EINVAL;
		}
		ci->queues[i].queue_id = o->queues[i];
	}
	ci->n_queues = o->n_queues;
	return 0;
}

/* Checks that touch nothing: a failure here is bad usage (exit 2). */
static int check_iface(struct capture_iface *ci, const char *name,
		       const struct capture_opts *o, char *err, size_t errlen)
{
	int ret = iface_lookup(name, &ci->info, err, errlen);

	if (ret)
		return ret;
	if (iface_has_ip(&ci->info) && o->mode != CAPTURE_MODE_BYPASS) {
		err_set(err, errlen,
			"%s: has IP address %s; capturing redirects matched frames away from the host stack, "
			"which would cut this host's VPN traffic off. Use a capture port without addresses, "
			"or give --mode bypass if that is really wanted",
			name, ci->info.ip_addr);
		return -EADDRINUSE;
	}
	return choose_queues(ci, o, err, errlen);
}

static int open_sockets(struct capture_iface *ci, const struct capture_opts *o,
			char *err, size_t errlen)
{
	int map_fd = classifier_xsks_map_fd(&ci->cls);
	unsigned int i;
	int ret;

	for (i = 0; i < ci->n_queues; i++) {
		ret = xsk_rx_open(&ci->queues[i], ci->info.name, ci->queues[i].queue_id,
				  o->copy, map_fd, err, errlen);
		if (ret) {
			while (i--)
				xsk_rx_close(&ci->queues[i]);
			ci->n_queues = 0;
			return ret;
		}
	}
	return 0;
}

/* Maps filled and sockets bound first, so the first frame after attach is captured. */
static int start_iface(struct capture_session *s, struct capture_iface *ci,
		       char *err, size_t errlen)
{
	const struct capture_opts *o = s->opts;
	struct vpncap_settings settings = { .unmatched = o->unmatched };
	int ret;

	ret = classifier_open(&ci->cls, ci->info.name, ci->info.ifindex, err, errlen);
	if (ret)
		return ret;
	if (classifier_set_rules(&ci->cls, &s->rules) ||
	    classifier_set_settings(&ci->cls, &settings)) {
		ret = -errno;
		err_set(err, errlen, "%s: cannot fill the classifier maps: %s", ci->info.name,
			strerror(errno));
		return ret;
	}
	ret = open_sockets(ci, o, err, errlen);
	if (ret)
		return ret;
	return classifier_attach(&ci->cls, o->xdp_mode, err, errlen);
}

static void stop_iface(struct capture_iface *ci)
{
	unsigned int i;

	classifier_close(&ci->cls);
	for (i = 0; i < ci->n_queues; i++)
		xsk_rx_close(&ci->queues[i]);
	ci->n_queues = 0;
}

/* ---- file headers and statistics --------------------------------------- */

static void describe_iface(const struct capture_iface *ci, char *buf, size_t len)
{
	size_t used;
	unsigned int i;

	used = (size_t)snprintf(buf, len, "driver %s; rx queue%s", ci->info.driver,
				ci->n_queues == 1 ? "" : "s");
	for (i = 0; i < ci->n_queues && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%u", i ? "," : " ",
					 ci->queues[i].queue_id);
	if (used < len)
		snprintf(buf + used, len - used,
			 " of %u; xdp %s (%s); af_xdp %s; timestamps at the xdp hook",
			 ci->info.rx_queues, xdp_mode_name(ci->cls.mode),
			 ci->cls.shared_hook ? "libxdp dispatcher" : "single program",
			 ci->n_queues && ci->queues[0].zero_copy ? "zero-copy" : "copy");
}

static void read_hardware(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];
	struct utsname u;

	uname(&u);
	snprintf(buf, len, "%s", u.machine);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && colon) {
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(buf, len, "%s (%s)", colon + 2, u.machine);
			break;
		}
	}
	fclose(f);
}

static int write_headers(struct capture_session *s)
{
	char hw[300], os[200], filter[2048], desc[512];
	struct pcapng_shb_info shb = { hw, os, "vpncap " VPNCAP_VERSION };
	struct utsname u;
	unsigned int i;
	int ret, n;

	read_hardware(hw, sizeof(hw));
	uname(&u);
	snprintf(os, sizeof(os), "%s %s %s", u.sysname, u.release, u.version);
	n = rules_describe(&s->rules, filter, sizeof(filter));
	snprintf(filter + n, sizeof(filter) - (size_t)n, "; unmatched frames %s",
		 s->opts->unmatched == VPNCAP_UNMATCHED_DROP ? "dropped" : "passed");
	ret = capture_file_add_shb(&s->out, &shb);
	for (i = 0; i < s->n_ifaces && !ret; i++) {
		struct pcapng_idb_info idb = {
			.linktype = PCAPNG_LINKTYPE_ETHERNET,
			.snaplen = s->opts->snaplen,
			.name = s->ifaces[i].info.name,
			.description = desc,
			.filter = filter,
		};

		describe_iface(&s->ifaces[i], desc, sizeof(desc));
		ret = capture_file_add_idb(&s->out, &idb);
	}
	return ret ? ret : capture_file_flush(&s->out);
}

struct iface_totals {
	struct vpncap_counters hook;
	uint64_t sock_dropped;     /* XDP_STATISTICS rx_dropped */
	uint64_t sock_ring_full;   /* XDP_STATISTICS rx_ring_full */
	uint64_t fill_empty;       /* XDP_STATISTICS rx_fill_ring_empty_descs */
};

/* Socket counters; the hook counters are read before the program goes. */
static void read_socket_totals(const struct capture_iface *ci, struct iface_totals *t)
{
	unsigned int i;

	t->sock_dropped = t->sock_ring_full = t->fill_empty = 0;
	for (i = 0; i < ci->n_queues; i++) {
		struct xdp_statistics st;

		if (xsk_rx_stats(&ci->queues[i], &st))
			continue;
		t->sock_dropped += st.rx_dropped;
		t->sock_ring_full += st.rx_ring_full;
		t->fill_empty += st.rx_fill_ring_empty_descs;
	}
}

static int write_statistics(struct capture_session *s, const struct iface_totals *t,
			    uint64_t end_wall_ns)
{
	char comment[512];
	unsigned int i;
	int ret = 0;

	for (i = 0; i < s->n_ifaces && !ret; i++) {
		struct pcapng_isb_info isb = {
			.if_id = i,
			.ts_ns = end_wall_ns,
			.starttime_ns = s->start_wall_ns,
			.endtime_ns = end_wall_ns,
			.ifrecv = t[i].hook.seen,
			.ifdrop = t[i].sock_dropped,
			.filteraccept = t[i].hook.matched,
			.osdrop = t[i].sock_ring_full,
			.usrdeliv = s->ifaces[i].written,
			.comment = comment,
		};

		snprintf(comment, sizeof(comment),
			 "vpncap: hook: seen %llu, matched %llu, redirected %llu, no socket on queue %llu, "
			 "passed %llu, dropped %llu; af_xdp: rx_dropped %llu, rx_ring_full %llu, "
			 "fill_ring_empty %llu; timestamps of %llu frames taken at the XDP hook, "
			 "%llu per batch (no metadata)",
			 (unsigned long long)t[i].hook.seen, (unsigned long long)t[i].hook.matched,
			 (unsigned long long)t[i].hook.redirected,
			 (unsigned long long)t[i].hook.redirect_fail,
			 (unsigned long long)t[i].hook.passed, (unsigned long long)t[i].hook.dropped,
			 (unsigned long long)t[i].sock_dropped,
			 (unsigned long long)t[i].sock_ring_full,
			 (unsigned long long)t[i].fill_empty,
			 (unsigned long long)s->ifaces[i].ts_from_hook,
			 (unsigned long long)s->ifaces[i].ts_from_batch);
		ret = capture_file_add_isb(&s->out, &isb);
	}
	return ret;
}

/* ---- the hot path ------------------------------------------------------ */

static void write_frame(struct capture_session *s, unsigned int if_id,
			const struct xsk_rx *q, const struct xsk_frame *fr,
			uint64_t *batch_ns)
{
	struct pcapng_epb_info epb = {
		.if_id = if_id,
		.caplen = fr->len < s->opts->snaplen ? fr->len : s->opts->snaplen,
		.origlen = fr->len,
		.flags = PCAPNG_EPB_FLAG_INBOUND,
		.has_queue = 1,
		.queue = q->queue_id,
		.has_verdict = 1,
		.verdict = XDP_REDIRECT,
	};
	struct capture_iface *ci = &s->ifaces[if_id];
	uint64_t hook_ns;
	int ret;

	if (s->opts->count && s->written >= s->opts->count) {
		s->after_count++;
		return;
	}
	hook_ns = fr->meta ? fr->meta->hook_ns : 0;
	if (clock_frame_ns(&s->clock, fr->meta ? &hook_ns : NULL, batch_ns, &epb.ts_ns))
		ci->ts_from_hook++;
	else
		ci->ts_from_batch++;
	ret = capture_file_add_epb(&s->out, &epb, fr->data);
	if (ret) {
		if (!s->write_error)
			log_error("%s: write failed: %s", s->out.path, strerror(-ret));
		s->write_error = ret;
		s->write_failed++;
		return;
	}
	s->written++;
	ci->written++;
}

/* One batch from one queue; returns the number of frames taken. */
static uint32_t drain_batch(struct capture_session *s, unsigned int if_id, struct xsk_rx *q)
{
	struct xsk_frame frames[XSK_RX_BATCH];
	uint64_t batch_ns = 0;
	uint32_t idx, n, i;

	n = xsk_rx_peek(q, frames, XSK_RX_BATCH, &idx);
	if (!n) {
		/* Per idle queue, not per frame: a busy neighbour must not starve it. */
		xsk_rx_wakeup_if_needed(q);
		return 0;
	}
	for (i = 0; i < n; i++)
		write_frame(s, if_id, q, &frames[i], &batch_ns);
	xsk_rx_release(q, idx, n);
	return n;
}

/* Every queue once; returns the number of frames taken. */
static uint64_t drain_all(struct capture_session *s)
{
	uint64_t total = 0;
	unsigned int i, j;

	for (i = 0; i < s->n_ifaces; i++)
		for (j = 0; j < s->ifaces[i].n_queues; j++)
			total += drain_batch(s, i, &s->ifaces[i].queues[j]);
	return total;
}

static unsigned int build_pollfds(struct capture_session *s, struct pollfd *pfds)
{
	unsigned int i, j, n = 0;

	for (i = 0; i < s->n_ifaces; i++)
		for (j = 0; j < s->ifaces[i].n_queues; j++)
			pfds[n++] = (struct pollfd){ .fd = xsk_rx_fd(&s->ifaces[i].queues[j]),
						     .events = POLLIN };
	return n;
}

static int should_stop(const struct capture_session *s, volatile sig_atomic_t *stop)
{
	if (*stop || s->write_error)
		return 1;
	if (s->opts->count && s->written >= s->opts->count)
		return 1;
	return s->deadline_mono_ns && clock_mono_ns() >= s->deadline_mono_ns;
}

/* Wait only when idle: under load the loop never sleeps or makes syscalls per frame. */
static void capture_loop(struct capture_session *s, volatile sig_atomic_t *stop)
{
	struct pollfd pfds[CAPTURE_MAX_IFACES * CAPTURE_MAX_QUEUES];
	unsigned int nfds = build_pollfds(s, pfds);
	uint64_t next_housekeeping = clock_mono_ns() + HOUSEKEEPING_NS;

	while (!should_stop(s, stop)) {
		if (!drain_all(s))
			poll(pfds, nfds, POLL_TIMEOUT_MS);
		if (clock_mono_ns() >= next_housekeeping) {
			int ret = capture_file_flush(&s->out);

			if (ret && !s->write_error) {
				log_error("%s: write failed: %s", s->out.path, strerror(-ret));
				s->write_error = ret;
			}
			clock_sync(&s->clock);
			next_housekeeping = clock_mono_ns() + HOUSEKEEPING_NS;
		}
	}
}

/* ---- session ----------------------------------------------------------- */

static void print_summary(const struct capture_session *s, const struct iface_totals *t)
{
	uint64_t seen = 0, matched = 0, dropped = s->write_failed;
	unsigned int i;

	for (i = 0; i < s->n_ifaces; i++) {
		seen += t[i].hook.seen;
		matched += t[i].hook.matched;
		dropped += t[i].hook.redirect_fail + t[i].sock_dropped + t[i].sock_ring_full;
	}
	fprintf(stderr, "vpncap: summary: seen %llu, matched %llu, written %llu, dropped %llu",
		(unsigned long long)seen, (unsigned long long)matched,
		(unsigned long long)s->written, (unsigned long long)dropped);
	if (s->after_count)
		fprintf(stderr, " (%llu more after --count)", (unsigned long long)s->after_count);
	fprintf(stderr, "; %s\n", s->out.path);
}

static void announce(const struct capture_session *s)
{
	unsigned int i;

	for (i = 0; i < s->n_ifaces; i++) {
		const struct capture_iface *ci = &s->ifaces[i];

		log_info("capturing on %s (%u queue%s, xdp %s, af_xdp %s) into %s", ci->info.name,
			 ci->n_queues, ci->n_queues == 1 ? "" : "s", xdp_mode_name(ci->cls.mode),
			 ci->queues[0].zero_copy ? "zero-copy" : "copy", s->out.path);
	}
}

/* Detach first so no new frame arrives, then take what is still in the rings. */
static int finish(struct capture_session *s)
{
	struct iface_totals totals[CAPTURE_MAX_IFACES];
	uint64_t end_ns;
	unsigned int i;
	int ret;

	for (i = 0; i < s->n_ifaces; i++) {
		classifier_read_counters(&s->ifaces[i].cls, &totals[i].hook);
		classifier_close(&s->ifaces[i].cls);
	}
	while (!s->write_error && drain_all(s))
		;
	end_ns = clock_real_ns();
	for (i = 0; i < s->n_ifaces; i++)
		read_socket_totals(&s->ifaces[i], &totals[i]);
	ret = s->write_error ? s->write_error : write_statistics(s, totals, end_ns);
	if (capture_file_close(&s->out) && !ret)
		ret = -EIO;
	print_summary(s, totals);
	return ret;
}

static int setup(struct capture_session *s, char *err, size_t errlen)
{
	unsigned int i;
	int ret;

	for (i = 0; i < s->n_ifaces; i++) {
		ret = start_iface(s, &s->ifaces[i], err, errlen);
		if (ret)
			return ret;
	}
	ret = capture_file_begin(&s->out);
	if (ret) {
		err_set(err, errlen, "%s: cannot truncate: %s", s->out.path, strerror(-ret));
		return ret;
	}
	clock_sync(&s->clock);
	s->start_wall_ns = clock_real_ns();
	return write_headers(s);
}

int capture_run(const struct capture_opts *opts, volatile sig_atomic_t *stop)
{
	struct capture_session s = { .opts = opts, .n_ifaces = opts->n_ifaces };
	char err[ERRLEN] = "";
	int status = EXIT_RUNTIME;
	unsigned int i;

	rules_default(&s.rules);
	s.ifaces = calloc(opts->n_ifaces, sizeof(*s.ifaces));
	if (!s.ifaces) {
		log_error("out of memory");
		return EXIT_RUNTIME;
	}
	for (i = 0; i < s.n_ifaces; i++) {
		if (check_iface(&s.ifaces[i], opts->ifaces[i], opts, err, sizeof(err))) {
			log_error("%s", err);
			free(s.ifaces);
			return EXIT_USAGE;
		}
	}
	if (bpffs_ensure_mounted(err, sizeof(err)) ||
	    capture_file_open(&s.out, opts->output, err, sizeof(err)))
		goto out;
	if (setup(&s, err, sizeof(err))) {
		if (!err[0])
			snprintf(err, sizeof(err), "%s: cannot write the file header", opts->output);
		capture_file_abandon(&s.out);
		goto out;
	}
	if (opts->duration_ms)
		s.deadline_mono_ns = clock_mono_ns() + opts->duration_ms * 1000000ull;
	announce(&s);
	capture_loop(&s, stop);
	status = finish(&s) ? EXIT_RUNTIME : EXIT_OK;
out:
	if (err[0])
		log_error("%s", err);
	for (i = 0; i < s.n_ifaces; i++)
		stop_iface(&s.ifaces[i]);
	free(s.ifaces);
	return status;
}
