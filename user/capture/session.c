// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include "capture/session.h"
#include "clock.h"
#include "path/consumer.h"
#include "capture/counters.h"
#include "hook/degrade.h"
#include "store/fileset.h"
#include "capture/filters.h"
#include "path/frame_path.h"
#include "path/frame_queue.h"
#include "hook/iface.h"
#include "hook/kernel_probe.h"
#include "log.h"
#include "privileges.h"
#include "path/realtime.h"
#include "hook/ring_rx.h"
#include "capture/rules.h"
#include "capture/config.h"
#include "path/writer.h"
#include "hook/classifier.h"
#include "hook/xsk_rx.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#define POLL_TIMEOUT_MS 100
#define HOUSEKEEPING_NS 1000000000ull /* counters snapshot and clock resync */
#define FILTER_CHECK_NS 250000000ull  /* a changed filter file applies well within 1 s */
#define ERRLEN 512

/* What the hooks, the sockets and the ring counted for one interface. */
struct iface_totals {
	struct vpncap_counters hook;    /* XDP: received frames */
	struct vpncap_counters egress;  /* TC: transmitted frames (inline) */
	uint64_t ring_malformed;   /* ring records too short for what they claim */
	uint64_t sock_dropped;     /* XDP_STATISTICS rx_dropped */
	uint64_t sock_ring_full;   /* XDP_STATISTICS rx_ring_full */
	uint64_t fill_empty;       /* XDP_STATISTICS rx_fill_ring_empty_descs */
	uint64_t oversized;        /* frames of more AF_XDP buffers than a frame may have */
	uint64_t queue_full;       /* frames the writer queue had no room for */
	uint64_t ts_from_hook;     /* frames stamped at the XDP or TC hook */
	uint64_t ts_from_batch;    /* frames stamped once per batch (no metadata) */
	uint64_t ts_from_hw;       /* frames stamped by the NIC (XDP RX metadata) */
	uint64_t ring_taken;       /* records taken off the BPF ring buffer */
};

struct capture_session;

/* What the ring callback needs to know of its interface. */
struct ring_ctx {
	struct capture_session *s;
	unsigned int if_id;
	uint64_t batch_ns;              /* one clock read per drain, for unstamped frames */
};

struct capture_iface {
	struct iface_info info;
	struct classifier cls;
	enum capture_mode mode;         /* BYPASS or INLINE, as chosen */
	int auto_mode;                  /* chosen by --mode auto: may switch to inline */
	struct xsk_rx queues[CAPTURE_MAX_QUEUES];
	unsigned int n_queues;
	struct ring_rx ring;            /* inline copies (bypass: multi-buffer frames) */
	int ring_open;
	struct ring_ctx ring_ctx;
	struct iface_totals live;       /* the main thread's own counts (ring_taken) */
	_Atomic uint64_t queue_taken[CAPTURE_MAX_QUEUES]; /* frames taken off each socket */
	char description[2][1024];       /* one per IDB set: the writer may read the other */
	char comment[2][2048];           /* the IDB comment: what the kernel took away */
	struct degradation degraded[DEGRADE_MAX];
	unsigned int n_degraded;
};

struct capture_session {
	const struct capture_opts *opts;
	struct kernel_features kf;      /* what the kernel accepts, probed once at start */
	int bpffs;                      /* bpffs usable (libxdp's dispatcher pins there) */
	struct capture_iface *ifaces;
	unsigned int n_ifaces;
	struct fileset fs;
	struct frame_path path;         /* what every producer of frames shares */
	struct frame_out main_out;      /* this thread's frames: the rings (inline copies) */
	struct consumer *consumers;     /* one thread per AF_XDP socket (bypass) */
	unsigned int n_consumers;
	struct frame_out *outs[WRITER_MAX_QUEUES]; /* main_out, then each consumer's */
	unsigned int n_outs;
	struct writer writer;
	struct vpncap_ruleset rules;
	uint64_t start_wall_ns;
	uint64_t deadline_mono_ns;      /* 0 = none */
	/* Read by the writer thread for the ISBs, written by the capture thread. */
	pthread_mutex_t totals_lock;
	struct iface_totals totals[CAPTURE_MAX_IFACES];
	/*
	 * File headers. A reload that changes the rules writes the other of the
	 * two IDB sets and hands it to the writer; the one in use never changes.
	 */
	char hw[300], os[200], tag[FILESET_TAG_MAX];
	char filter[2][2048];
	struct pcapng_shb_info shb;
	struct pcapng_idb_info idbs[2][CAPTURE_MAX_IFACES];
	unsigned int idb_set;           /* the IDB set in use */
	/* What is captured: --rules, else the named filters, else the VPN default. */
	char rules_words[2048];         /* the rule set in words, for if_filter */
	struct filter_set filters;      /* names of the rules, when they are filters */
	int from_filters;
	char filters_path[4096];
	struct stat filters_stat;       /* to see the filter file change */
	char hits_path[4096];
	char prom_path[4096];           /* /run/vpncap/TAG.prom, for `vpncap counters` */
	struct counters_snapshot snap;  /* built each second; large, so kept here */
	uint64_t last_hits[VPNCAP_MAX_RULES]; /* as last read, kept once the maps are gone */
	int status_line;                /* stderr is a terminal: one line refreshed each second */
	uint64_t status_written;        /* frames written at the last refresh */
	double status_time;
	int metrics_error_logged;
	int has_output;                 /* -w given (--realtime may run without) */
	struct realtime rt;             /* --realtime */
	const char *ifnames[CAPTURE_MAX_IFACES];
	const struct capture_reloader *reloader;
	struct capture_opts *reloaded;  /* options of the last reload, owned */
	int is_dir;
};

/* A counter of struct out_counts summed over every producer, for interface i. */
#define OUTS_SUM(s, i, field) FRAME_OUTS_SUM((s)->outs, (s)->n_outs, i, field)

static uint64_t outs_sum_all(const struct capture_session *s, size_t offset)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < s->n_ifaces; i++)
		sum += frame_outs_sum(s->outs, s->n_outs, i, offset);
	return sum;
}

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

/*
 * --mode auto: a capture port (no IP address) gets bypass, an interface the
 * host uses gets inline, which never takes its traffic away.
 */
static int choose_mode(struct capture_iface *ci, const struct capture_opts *o,
		       char *err, size_t errlen)
{
	ci->auto_mode = o->mode == CAPTURE_MODE_AUTO;
	if (!ci->auto_mode) {
		ci->mode = o->mode;
		return 0;
	}
	ci->mode = iface_has_ip(&ci->info) ? CAPTURE_MODE_INLINE : CAPTURE_MODE_BYPASS;
	if (ci->mode == CAPTURE_MODE_INLINE && o->unmatched == VPNCAP_UNMATCHED_DROP) {
		err_set(err, errlen,
			"%s: has IP address %s, so --mode auto captures inline, which never drops frames; "
			"--unmatched drop needs --mode bypass",
			ci->info.name, ci->info.ip_addr);
		return -EINVAL;
	}
	return 0;
}

static const char *mode_name(enum capture_mode mode)
{
	return mode == CAPTURE_MODE_INLINE ? "inline" : "bypass";
}

/* Checks that touch nothing: a failure here is bad usage (exit 2). */
static int check_iface(struct capture_iface *ci, const char *name,
		       const struct capture_opts *o, char *err, size_t errlen)
{
	int ret = iface_lookup(name, &ci->info, err, errlen);

	if (ret)
		return ret;
	ret = choose_mode(ci, o, err, errlen);
	if (ret)
		return ret;
	return choose_queues(ci, o, err, errlen);
}

static int output_is_dir(const char *path)
{
	struct stat st;
	size_t n = strlen(path);

	if (n && path[n - 1] == '/')
		return 1;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Set options make no sense for one file: say so before touching anything. */
static int check_output(const struct capture_opts *o, int is_dir, char *err, size_t errlen)
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
 * Multi-buffer frames go to the sockets only when every socket of the
 * interface took XDP_USE_SG; otherwise the classifier copies them through
 * the ring buffer (whole up to 64 KiB, longer ones cut and counted).
 */
/* The driver's refusal of XDP_USE_SG on one of the sockets, or NULL. */
static const char *driver_refused_sg(const struct capture_iface *ci)
{
	unsigned int i;

	for (i = 0; i < ci->n_queues; i++)
		if (xsk_rx_sg_refused(&ci->queues[i]))
			return xsk_rx_sg_refused(&ci->queues[i]);
	return NULL;
}

static void choose_multi_buffer(const struct capture_session *s, struct capture_iface *ci)
{
	int sg = kernel_has(&s->kf, KFEAT_XSK_SG) && !driver_refused_sg(ci);

	if (classifier_set_xsk_sg(&ci->cls, sg))
		log_error("%s: cannot set up multi-buffer frames: %s", ci->info.name,
			  strerror(errno));
}

static int open_sockets(const struct capture_session *s, struct capture_iface *ci,
			char *err, size_t errlen)
{
	int map_fd = classifier_xsks_map_fd(&ci->cls);
	struct xsk_rx_config cfg;
	unsigned int i;
	int ret;

	cfg = (struct xsk_rx_config){
		.copy = s->opts->copy,
		.umem_frames = s->opts->umem_frames,
		.rx_ring = s->opts->rx_ring,
		.fill_ring = s->opts->fill_ring,
		.busy_poll = s->opts->busy_poll,
		.want_sg = kernel_has(&s->kf, KFEAT_XSK_SG),
	};
	for (i = 0; i < ci->n_queues; i++) {
		ret = xsk_rx_open(&ci->queues[i], ci->info.name, ci->queues[i].queue_id,
				  &cfg, map_fd, err, errlen);
		if (ret) {
			while (i--)
				xsk_rx_close(&ci->queues[i]);
			ci->n_queues = 0;
			return ret;
		}
	}
	choose_multi_buffer(s, ci);
	return 0;
}

static void on_ring_frame(void *ctx, const struct ring_frame *frame);

static void announce_mode(const struct capture_iface *ci)
{
	if (ci->auto_mode)
		log_info("%s: --mode auto chose %s: %s", ci->info.name, mode_name(ci->mode),
			 ci->mode == CAPTURE_MODE_INLINE ?
			 "the interface has an IP address, so matched frames are copied and the host keeps its traffic" :
			 "the interface has no IP address (a capture port), so matched frames are taken off it");
}

/* What this interface's capture lost to the kernel or its driver, as attached. */
static void find_degradations(const struct capture_session *s, struct capture_iface *ci)
{
	struct degrade_facts f = {
		.kf = &s->kf,
		.inline_mode = ci->mode == CAPTURE_MODE_INLINE,
		.variant = ci->cls.variant,
		.hook = ci->cls.hook,
		.hw_timestamps = ci->cls.hw_timestamps,
		.bpffs = ci->cls.bpffs,
		.egress_clsact = ci->cls.egress.kind == TC_EGRESS_CLSACT,
		.sg_refused = driver_refused_sg(ci),
	};

	ci->n_degraded = degradations_list(&f, ci->degraded);
}

/* One line each; those that cost the user nothing only with -v. */
static void announce_degradations(const struct capture_iface *ci)
{
	unsigned int i;

	for (i = 0; i < ci->n_degraded; i++) {
		if (ci->degraded[i].notable)
			log_info("%s: %s", ci->info.name, ci->degraded[i].text);
		else
			log_debug("%s: %s", ci->info.name, ci->degraded[i].text);
	}
}

/*
 * Maps filled and sockets bound first, so the first frame after attach is
 * captured. Inline needs no AF_XDP socket, but every interface has the ring:
 * bypass sends it the multi-buffer frames AF_XDP cannot take.
 */
static int start_iface(struct capture_session *s, struct capture_iface *ci,
		       char *err, size_t errlen)
{
	const struct capture_opts *o = s->opts;
	unsigned int i;
	int ret;

	ret = classifier_open(&ci->cls, ci->info.name, ci->info.ifindex, o->ring_size, &s->kf,
			      err, errlen);
	if (ret)
		return ret;
	ci->cls.bpffs = s->bpffs;
	if (ci->mode == CAPTURE_MODE_INLINE && !ci->cls.variant.can_copy_rx) {
		err_set(err, errlen, "%s: inline capture needs bpf_xdp_load_bytes (Linux 5.18) or bpf_probe_read_kernel in XDP programs, and kernel %s refuses both; on a port the host does not use, --mode bypass works",
			ci->info.name, s->kf.release);
		return -EOPNOTSUPP;
	}
	ci->cls.frag_timeout_ns = o->fragment_timeout_ms * 1000000ull;
	ci->cls.host_window_ns = o->fragment_window_ms * 1000000ull;
	ci->cls.bpf_mode = ci->mode == CAPTURE_MODE_INLINE ? VPNCAP_MODE_INLINE : VPNCAP_MODE_BYPASS;
	ci->cls.snaplen = o->snaplen;
	ret = classifier_apply_rules(&ci->cls, &s->rules, o->unmatched);
	if (ret) {
		err_set(err, errlen, "%s: cannot fill the classifier maps: %s", ci->info.name,
			strerror(-ret));
		return ret;
	}
	if (ci->mode == CAPTURE_MODE_BYPASS) {
		ret = open_sockets(s, ci, err, errlen);
		if (ret)
			return ret;
	} else {
		ci->n_queues = 0;
	}
	classifier_set_timestamps(&ci->cls, o->timestamps);
	ret = ring_rx_open(&ci->ring, classifier_ring_fd(&ci->cls), on_ring_frame, &ci->ring_ctx);
	if (ret) {
		err_set(err, errlen, "%s: cannot map the capture ring buffer: %s", ci->info.name,
			strerror(-ret));
		return ret;
	}
	ci->ring_open = 1;
	ret = classifier_attach(&ci->cls, o->xdp_mode, err, errlen);
	if (ret)
		return ret;
	for (i = 0; i < ci->n_queues; i++)
		xsk_rx_set_meta_place(&ci->queues[i], ci->cls.variant.meta);
	if (ci->mode == CAPTURE_MODE_INLINE) {
		ret = classifier_attach_egress(&ci->cls, err, errlen);
		if (ret)
			return ret;
	}
	announce_mode(ci);
	find_degradations(s, ci);
	announce_degradations(ci);
	ret = iface_ensure_up(ci->info.name);
	if (ret == 1)
		log_info("%s: link was down; set up for capture (left up at exit)", ci->info.name);
	else if (ret < 0)
		log_error("%s: cannot set the link up: %s", ci->info.name, strerror(-ret));
	return 0;
}

static void stop_iface(struct capture_iface *ci)
{
	unsigned int i;

	classifier_close(&ci->cls);
	for (i = 0; i < ci->n_queues; i++)
		xsk_rx_close(&ci->queues[i]);
	ci->n_queues = 0;
	if (ci->ring_open)
		ring_rx_close(&ci->ring);
	ci->ring_open = 0;
}

/* ---- file headers and statistics --------------------------------------- */

/* Where the frames' timestamps come from, for the file header. */
static const char *describe_timestamps(const struct capture_iface *ci, char *buf, size_t len)
{
	if (ci->mode == CAPTURE_MODE_BYPASS && ci->cls.variant.meta == VPNCAP_META_NONE)
		snprintf(buf, len, "timestamps per batch of frames (software): the kernel gives bypass no per-frame metadata");
	else if (ci->cls.hw_timestamps)
		snprintf(buf, len, "timestamps by the nic (xdp rx metadata), frames without one at the %s",
			 ci->mode == CAPTURE_MODE_INLINE ? "xdp and tc hooks" : "xdp hook");
	else
		snprintf(buf, len, "timestamps at the %s (software)%s%s",
			 ci->mode == CAPTURE_MODE_INLINE ? "xdp and tc hooks" : "xdp hook",
			 ci->cls.ts_reason[0] ? ": " : "", ci->cls.ts_reason);
	return buf;
}

static void describe_bypass(struct capture_iface *ci, char *buf, size_t len)
{
	char sockets[200] = "no socket", ts[300];
	size_t used;
	unsigned int i;

	used = (size_t)snprintf(buf, len, "rx queue%s", ci->n_queues == 1 ? "" : "s");
	for (i = 0; i < ci->n_queues && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%u", i ? "," : " ",
					 ci->queues[i].queue_id);
	if (ci->n_queues)
		xsk_rx_describe(&ci->queues[0], sockets, sizeof(sockets));
	if (used < len)
		snprintf(buf + used, len - used,
			 " of %u; xdp %s (%s); af_xdp %s; %s",
			 ci->info.rx_queues, xdp_mode_name(ci->cls.mode),
			 hook_kind_name(ci->cls.hook), sockets,
			 describe_timestamps(ci, ts, sizeof(ts)));
}

/* if_description of IDB set k: how this interface is captured. */
static void describe_iface(struct capture_session *s, struct capture_iface *ci, unsigned int k)
{
	char *buf = ci->description[k], how[700], ts[300];
	size_t len = sizeof(ci->description[k]);

	if (ci->mode == CAPTURE_MODE_BYPASS)
		describe_bypass(ci, how, sizeof(how));
	else
		snprintf(how, sizeof(how),
			 "received: xdp %s (%s), transmitted: tc egress %s; copied through a %llu-byte "
			 "bpf ring buffer; %s",
			 xdp_mode_name(ci->cls.mode), hook_kind_name(ci->cls.hook),
			 tc_egress_kind_name(ci->cls.egress.kind),
			 (unsigned long long)s->opts->ring_size,
			 describe_timestamps(ci, ts, sizeof(ts)));
	snprintf(buf, len, "driver %s; mode %s%s; %s", ci->info.driver, mode_name(ci->mode),
		 ci->auto_mode ? " (auto)" : "", how);
	degradations_comment(&s->kf, ci->degraded, ci->n_degraded, ci->comment[k],
			     sizeof(ci->comment[k]));
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

/* IDB set k, for the rules and unmatched action in force. */
static void prepare_idbs(struct capture_session *s, unsigned int k, uint32_t unmatched)
{
	unsigned int i;
	int n;

	n = snprintf(s->filter[k], sizeof(s->filter[k]), "%s", s->rules_words);
	if (n < 0 || (size_t)n >= sizeof(s->filter[k]))
		n = (int)strlen(s->filter[k]);
	snprintf(s->filter[k] + n, sizeof(s->filter[k]) - (size_t)n, "; unmatched frames %s",
		 unmatched == VPNCAP_UNMATCHED_DROP ? "dropped" : "passed");
	for (i = 0; i < s->n_ifaces; i++) {
		describe_iface(s, &s->ifaces[i], k);
		s->idbs[k][i] = (struct pcapng_idb_info){
			.linktype = PCAPNG_LINKTYPE_ETHERNET,
			.snaplen = s->opts->snaplen,
			.name = s->ifaces[i].info.name,
			.description = s->ifaces[i].description[k],
			.filter = s->filter[k],
			.comment = s->ifaces[i].comment[k], /* "" until attached: left out */
		};
	}
}

/* SHB and IDB contents; the IDBs are completed once the interfaces are attached. */
static void prepare_headers(struct capture_session *s)
{
	struct utsname u;

	read_hardware(s->hw, sizeof(s->hw));
	uname(&u);
	snprintf(s->os, sizeof(s->os), "%s %s %s", u.sysname, u.release, u.version);
	s->shb = (struct pcapng_shb_info){ s->hw, s->os, "vpncap " VPNCAP_VERSION };
	prepare_idbs(s, 0, s->opts->unmatched);
}

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
static void snapshot_totals(struct capture_session *s, int with_hook)
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

/* Writer thread: counters of interface if_id for the ISB closing a file. */
static void fill_isb(void *ctx, unsigned int if_id, struct pcapng_isb_info *isb,
		     char *comment, size_t len)
{
	struct capture_session *s = ctx;
	struct iface_totals t;

	pthread_mutex_lock(&s->totals_lock);
	t = s->totals[if_id];
	pthread_mutex_unlock(&s->totals_lock);
	isb->starttime_ns = s->start_wall_ns;
	isb->endtime_ns = isb->ts_ns;
	isb->ifrecv = t.hook.seen;
	isb->ifdrop = t.sock_dropped;
	isb->filteraccept = t.hook.matched + t.egress.matched;
	isb->osdrop = t.sock_ring_full + t.hook.ring_full + t.egress.ring_full;
	snprintf(comment, len,
		 "vpncap: hook: seen %llu, matched %llu (fragments %llu, early fragments %llu), "
		 "redirected %llu, no socket on queue %llu, passed %llu, dropped %llu; af_xdp: rx_dropped %llu, rx_ring_full %llu, "
		 "fill_ring_empty %llu, frames of too many buffers %llu; writer queue full %llu; timestamps of %llu frames taken by "
		 "the nic, %llu at the hook, %llu per batch (no metadata); "
		 "received copies: %llu, lost to a full ring %llu, cut at 64k %llu; "
		 "egress hook: seen %llu, matched %llu, copied %llu, lost to a full ring %llu, cut at 64k %llu",
		 (unsigned long long)t.hook.seen, (unsigned long long)t.hook.matched,
		 (unsigned long long)t.hook.fragments, (unsigned long long)t.hook.early_fragments,
		 (unsigned long long)t.hook.redirected, (unsigned long long)t.hook.redirect_fail,
		 (unsigned long long)t.hook.passed, (unsigned long long)t.hook.dropped,
		 (unsigned long long)t.sock_dropped, (unsigned long long)t.sock_ring_full,
		 (unsigned long long)t.fill_empty, (unsigned long long)t.oversized,
		 (unsigned long long)t.queue_full,
		 (unsigned long long)t.ts_from_hw, (unsigned long long)t.ts_from_hook, (unsigned long long)t.ts_from_batch,
		 (unsigned long long)t.hook.copied, (unsigned long long)t.hook.ring_full,
		 (unsigned long long)t.hook.truncated, (unsigned long long)t.egress.seen,
		 (unsigned long long)t.egress.matched, (unsigned long long)t.egress.copied,
		 (unsigned long long)t.egress.ring_full, (unsigned long long)t.egress.truncated);
}

/* ---- the hot path ------------------------------------------------------ */

/*
 * Bypass frames are taken by the consumer threads (consumer.c); this thread
 * takes the inline copies off each interface's BPF ring buffer, and does
 * everything that is not per frame.
 */

/* ring_rx callback: one copied frame, in place in the ring. */
static void on_ring_frame(void *ctx, const struct ring_frame *frame)
{
	struct ring_ctx *rc = ctx;
	const struct vpncap_ring_rec *h = frame->hdr;
	struct captured c = {
		.data = frame->data,
		.len = h->caplen,
		.origlen = h->origlen > h->caplen ? h->origlen : h->caplen,
		.n_segs = 1,
		.queue = h->queue,
		.rule = h->rule,
		.flags = FRAME_REC_COPIED |
			 (h->ring_flags & VPNCAP_RING_OUTBOUND ? FRAME_REC_OUTBOUND : 0),
		.stamped = 1,
		.hook_ns = h->hook_ns,
		.hw_stamped = !!(h->flags & VPNCAP_META_HW_TS),
		.hw_ns = h->hw_ns,
	};

	frame_out_put(&rc->s->path, &rc->s->main_out, rc->if_id, &c, &rc->batch_ns);
}

static uint32_t drain_ring(struct capture_iface *ci)
{
	uint32_t n;

	ci->ring_ctx.batch_ns = 0;
	n = ring_rx_drain(&ci->ring);
	ci->live.ring_taken += n;
	return n;
}

/* Every ring once, then one hand-over to the writer; returns the frames taken. */
static uint64_t drain_rings(struct capture_session *s)
{
	uint64_t total = 0;
	unsigned int i;

	for (i = 0; i < s->n_ifaces; i++)
		if (s->ifaces[i].ring_open)
			total += drain_ring(&s->ifaces[i]);
	if (total)
		frame_out_publish(&s->path, &s->main_out);
	return total;
}

static unsigned int build_pollfds(struct capture_session *s, struct pollfd *pfds)
{
	unsigned int i, n = 0;

	for (i = 0; i < s->n_ifaces; i++)
		if (s->ifaces[i].ring_open)
			pfds[n++] = (struct pollfd){ .fd = ring_rx_fd(&s->ifaces[i].ring),
						     .events = POLLIN };
	return n;
}

static int should_stop(struct capture_session *s, struct capture_signals *sig)
{
	if (sig->stop)
		return 1;
	if (frame_path_count_reached(&s->path))
		return 1;
	return s->deadline_mono_ns && clock_mono_ns() >= s->deadline_mono_ns;
}

/* ---- consumer threads ---------------------------------------------------- */

static unsigned int count_sockets(const struct capture_session *s)
{
	unsigned int i, n = 0;

	for (i = 0; i < s->n_ifaces; i++)
		n += s->ifaces[i].n_queues;
	return n;
}

/*
 * One consumer per socket (more sockets than threads share them round
 * robin), each with its share of --queue-size, so the writer queues together
 * stay within what was configured.
 */
static int create_consumers(struct capture_session *s, char *err, size_t errlen)
{
	const struct capture_opts *o = s->opts;
	unsigned int sockets = count_sockets(s), i, j, k = 0;
	size_t share;
	int ret;

	s->n_consumers = sockets < CONSUMER_MAX_THREADS ? sockets : CONSUMER_MAX_THREADS;
	share = o->queue_size / (s->n_consumers + 1);
	ret = frame_out_init(&s->main_out, share);
	if (ret) {
		err_set(err, errlen, "cannot allocate the writer queue (--queue-size): %s",
			strerror(-ret));
		return ret;
	}
	s->outs[s->n_outs++] = &s->main_out;
	if (!s->n_consumers)
		return 0;
	s->consumers = calloc(s->n_consumers, sizeof(*s->consumers));
	if (!s->consumers)
		return -ENOMEM;
	for (i = 0; i < s->n_consumers; i++) {
		ret = consumer_init(&s->consumers[i], &s->path, share,
				    o->n_cpus ? (int)o->cpus[i % o->n_cpus] : -1, o->busy_poll);
		if (ret) {
			err_set(err, errlen, "cannot allocate the writer queue of consumer %u: %s",
				i, strerror(-ret));
			s->n_consumers = i;
			return ret;
		}
		s->outs[s->n_outs++] = &s->consumers[i].out;
	}
	for (i = 0; i < s->n_ifaces; i++)
		for (j = 0; j < s->ifaces[i].n_queues; j++, k++)
			consumer_add_socket(&s->consumers[k % s->n_consumers],
					    &s->ifaces[i].queues[j], i, s->ifaces[i].info.name,
					    &s->ifaces[i].queue_taken[j]);
	return 0;
}

static int start_consumers(struct capture_session *s, char *err, size_t errlen)
{
	unsigned int i;
	int ret;

	for (i = 0; i < s->n_consumers; i++) {
		ret = consumer_start(&s->consumers[i]);
		if (ret) {
			err_set(err, errlen, "cannot start consumer thread %u (CPU %d): %s", i,
				s->consumers[i].cpu, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* The hooks are detached first: each thread takes what its sockets still hold, then ends. */
static void stop_consumers(struct capture_session *s)
{
	unsigned int i;

	atomic_store_explicit(&s->path.stop, 1, memory_order_release);
	for (i = 0; i < s->n_consumers; i++)
		consumer_join(&s->consumers[i]);
}

static void free_consumers(struct capture_session *s)
{
	unsigned int i;

	for (i = 0; i < s->n_consumers; i++)
		consumer_destroy(&s->consumers[i]);
	free(s->consumers);
	s->consumers = NULL;
	s->n_consumers = 0;
}


static void reload(struct capture_session *s);
static void publish_counters(struct capture_session *s, int running);
static void show_status_line(struct capture_session *s);
static void follow_filters_file(struct capture_session *s);
static void follow_addresses(struct capture_session *s);
static void write_hits(struct capture_session *s);
static void fileset_config_of(struct capture_session *s, int is_dir, struct fileset_config *c);

/* Wait only when idle: under load the loop never sleeps or makes syscalls per frame. */
static void capture_loop(struct capture_session *s, struct capture_signals *sig)
{
	struct pollfd pfds[CAPTURE_MAX_IFACES];
	unsigned int nfds = build_pollfds(s, pfds);
	uint64_t next_housekeeping = clock_mono_ns() + HOUSEKEEPING_NS;
	uint64_t next_filter_check = clock_mono_ns() + FILTER_CHECK_NS;

	while (!should_stop(s, sig)) {
		if (!drain_rings(s))
			poll(pfds, nfds, POLL_TIMEOUT_MS);
		if (sig->reload) {
			sig->reload = 0;
			reload(s);
		}
		if (clock_mono_ns() >= next_filter_check) {
			follow_filters_file(s);
			next_filter_check = clock_mono_ns() + FILTER_CHECK_NS;
		}
		if (clock_mono_ns() >= next_housekeeping) {
			/* One read of hooks, sockets and hits serves ISBs, counters and hits file. */
			publish_counters(s, 1);
			write_hits(s);
			show_status_line(s);
			follow_addresses(s);
			/* This thread's stamps for the rings; consumers resync their own. */
			clock_sync(&s->main_out.clock);
			next_housekeeping = clock_mono_ns() + HOUSEKEEPING_NS;
		}
	}
}

/* ---- --mode auto: an address appears ------------------------------------ */

/* The IDBs of the other set, for the interfaces as they are now; the writer starts a file. */
static void redescribe(struct capture_session *s)
{
	struct fileset_config cfg;
	unsigned int k = s->idb_set ^ 1;

	s->idb_set = k;
	prepare_idbs(s, k, s->opts->unmatched);
	fileset_config_of(s, s->is_dir, &cfg);
	writer_reconfigure(&s->writer, &cfg);
}

/*
 * Bypass was chosen because the interface had no address. Once the host
 * gives it one (networking comes up after vpncap at boot), taking matched
 * frames away would cut the host's own VPN traffic: copy instead, from now on.
 */
static int switch_to_inline(const struct capture_session *s, struct capture_iface *ci,
			    const char *addr)
{
	char err[ERRLEN];
	int ret;

	if (!ci->cls.variant.can_copy_rx) {
		/* Bypass would go on taking the host's traffic: stop capturing here instead. */
		classifier_detach(&ci->cls);
		log_error("%s: address %s appeared, and kernel %s cannot capture inline (no bpf_xdp_load_bytes or bpf_probe_read_kernel in XDP): capture on %s stopped, the host keeps its traffic",
			  ci->info.name, addr, s->kf.release, ci->info.name);
		ci->auto_mode = 0;
		return -EOPNOTSUPP;
	}
	ret = classifier_set_mode(&ci->cls, VPNCAP_MODE_INLINE);
	if (ret) {
		log_error("%s: address %s appeared, but switching to inline failed: %s", ci->info.name,
			  addr, strerror(-ret));
		return ret;
	}
	ci->mode = CAPTURE_MODE_INLINE;
	if (classifier_attach_egress(&ci->cls, err, sizeof(err)))
		log_error("%s; transmitted frames are not captured", err);
	log_info("%s: address %s appeared: --mode auto switched to inline, the host keeps its traffic",
		 ci->info.name, addr);
	find_degradations(s, ci);
	return 0;
}

static void follow_addresses(struct capture_session *s)
{
	struct iface_info now;
	unsigned int i;
	int switched = 0;
	char err[ERRLEN];

	for (i = 0; i < s->n_ifaces; i++) {
		struct capture_iface *ci = &s->ifaces[i];

		if (!ci->auto_mode || ci->mode != CAPTURE_MODE_BYPASS ||
		    iface_lookup(ci->info.name, &now, err, sizeof(err)) || !iface_has_ip(&now))
			continue;
		if (!switch_to_inline(s, ci, now.ip_addr))
			switched = 1;
	}
	if (switched)
		redescribe(s);
}

/* ---- reload -------------------------------------------------------------- */

/* What a reload cannot change without a restart; NULL when nothing of it changed. */
static const char *needs_restart(const struct capture_opts *a, const struct capture_opts *b)
{
	unsigned int i;

	if (a->n_ifaces != b->n_ifaces)
		return "interface";
	for (i = 0; i < a->n_ifaces; i++)
		if (strcmp(a->ifaces[i], b->ifaces[i]))
			return "interface";
	if (!a->output != !b->output || (a->output && strcmp(a->output, b->output)))
		return "write";
	if (a->realtime != b->realtime)
		return "realtime";
	if (a->n_queues != b->n_queues ||
	    memcmp(a->queues, b->queues, a->n_queues * sizeof(a->queues[0])))
		return "queue";
	if (a->mode != b->mode)
		return "mode";
	if (a->xdp_mode != b->xdp_mode)
		return "xdp-mode";
	if (a->copy != b->copy)
		return "copy/zero-copy";
	if (a->snaplen != b->snaplen)
		return "snaplen";
	if (a->queue_size != b->queue_size)
		return "queue-size";
	if (a->ring_size != b->ring_size)
		return "ring-size";
	if (a->n_cpus != b->n_cpus || memcmp(a->cpus, b->cpus, a->n_cpus * sizeof(a->cpus[0])))
		return "cpus";
	if (a->busy_poll != b->busy_poll)
		return "busy-poll";
	if (a->umem_frames != b->umem_frames || a->rx_ring != b->rx_ring ||
	    a->fill_ring != b->fill_ring)
		return "umem-frames/rx-ring/fill-ring";
	if (a->timestamps != b->timestamps)
		return "timestamps";
	return NULL;
}

/* Per-rule snaplen and the words for if_filter, for the rule set in s->rules. */
static void note_rules(struct capture_session *s)
{
	frame_path_set_rules(&s->path, &s->rules);
	if (s->from_filters)
		filters_describe(&s->filters, s->rules_words, sizeof(s->rules_words));
	else
		rules_describe(&s->rules, s->rules_words, sizeof(s->rules_words));
}

/*
 * What to capture: --rules, else the named filters of the configuration
 * directory (when there are any), else the VPN default. -1 with err when
 * the filter file is broken.
 */
static int choose_rules(struct capture_session *s, const struct capture_opts *o,
			struct vpncap_ruleset *rules, char *err, size_t errlen)
{
	s->from_filters = 0;
	if (o->rules && !rules_parse(o->rules, rules, NULL, 0))
		return 0;
	if (filters_load(s->filters_path, &s->filters, err, errlen))
		return -1;
	if (s->filters.count) {
		filters_to_ruleset(&s->filters, rules);
		s->from_filters = 1;
		return 0;
	}
	rules_default(rules);
	return 0;
}

/* New rules and unmatched action on every interface, each swapped in one store. */
static void install_rules(struct capture_session *s, const struct vpncap_ruleset *rules,
			  const struct capture_opts *n)
{
	unsigned int i;

	for (i = 0; i < s->n_ifaces; i++) {
		s->ifaces[i].cls.frag_timeout_ns = n->fragment_timeout_ms * 1000000ull;
		s->ifaces[i].cls.host_window_ns = n->fragment_window_ms * 1000000ull;
		if (classifier_apply_rules(&s->ifaces[i].cls, rules, n->unmatched))
			log_error("%s: cannot update the rules: %s", s->ifaces[i].info.name,
				  strerror(errno));
	}
	s->rules = *rules;
	note_rules(s);
	s->idb_set ^= 1;
	prepare_idbs(s, s->idb_set, n->unmatched);
}

static int rules_changed(const struct capture_session *s, const struct vpncap_ruleset *rules,
			 const struct capture_opts *n)
{
	return memcmp(rules, &s->rules, sizeof(*rules)) || n->unmatched != s->opts->unmatched ||
	       n->fragment_timeout_ms != s->opts->fragment_timeout_ms ||
	       n->fragment_window_ms != s->opts->fragment_window_ms;
}

static void remember_filters_file(struct capture_session *s)
{
	if (stat(s->filters_path, &s->filters_stat))
		memset(&s->filters_stat, 0, sizeof(s->filters_stat));
}

/*
 * `vpncap filter add/remove` while capturing: the file changed, so load it
 * and swap the rule set in (within a second); a broken file changes nothing.
 */
static void follow_filters_file(struct capture_session *s)
{
	struct vpncap_ruleset rules;
	struct fileset_config cfg;
	struct stat st;
	char err[512];

	if (s->opts->rules)
		return;
	if (stat(s->filters_path, &st))
		memset(&st, 0, sizeof(st));
	if (st.st_ino == s->filters_stat.st_ino && st.st_size == s->filters_stat.st_size &&
	    st.st_mtim.tv_sec == s->filters_stat.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == s->filters_stat.st_mtim.tv_nsec)
		return;
	s->filters_stat = st;
	if (choose_rules(s, s->opts, &rules, err, sizeof(err))) {
		log_error("filters: %s; keeping the running filters", err);
		return;
	}
	install_rules(s, &rules, s->opts);
	fileset_config_of(s, s->is_dir, &cfg);
	writer_reconfigure(&s->writer, &cfg);
	log_info("filters: now capturing %s", s->rules_words);
}

/* Hits per rule index, summed over the interfaces. */
static void read_hits(struct capture_session *s, uint64_t hits[VPNCAP_MAX_RULES])
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

/* "NAME HITS" per rule (as last read), for `vpncap filter list`; replaced atomically. */
static void write_hits(struct capture_session *s)
{
	char tmp[4200], name[32];
	unsigned int r;
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", s->hits_path);
	f = fopen(tmp, "we");
	if (!f)
		return;
	for (r = 0; r < s->rules.count; r++)
		fprintf(f, "%s %llu\n", rule_name(s, r, name, sizeof(name)),
			(unsigned long long)s->last_hits[r]);
	if (fclose(f) == 0)
		rename(tmp, s->hits_path);
}

/* ---- counters ------------------------------------------------------------ */

/* What this thread and the sockets counted for interface i (the hooks come after). */
static void snapshot_iface(const struct capture_session *s, unsigned int i,
			   struct counters_iface *out)
{
	const struct capture_iface *ci = &s->ifaces[i];
	unsigned int q;

	snprintf(out->name, sizeof(out->name), "%s", ci->info.name);
	snprintf(out->mode, sizeof(out->mode), "%s", mode_name(ci->mode));
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
		snapshot_totals(s, 1);
		read_hits(s, s->last_hits);
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
static void show_status_line(struct capture_session *s)
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

static void clear_status_line(struct capture_session *s)
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
static void publish_counters(struct capture_session *s, int running)
{
	int ret;

	build_snapshot(s, running, &s->snap);
	if (!s->prom_path[0])
		return;
	/* `vpncap counters` shows running captures; the last word goes to --metrics-file. */
	if (running)
		counters_publish(s->prom_path, &s->snap);
	else
		unlink(s->prom_path);
	if (!s->opts->metrics_file)
		return;
	ret = counters_publish(s->opts->metrics_file, &s->snap);
	if (ret && !s->metrics_error_logged) {
		log_error("--metrics-file %s: cannot write: %s", s->opts->metrics_file,
			  strerror(-ret));
		s->metrics_error_logged = 1;
	}
}

/*
 * SIGHUP: read the configuration again. An invalid one changes nothing;
 * otherwise rules, unmatched action, rotation, retention, sync, compression
 * and the on-rotate command apply at once, without stopping capture: the
 * rings, the queue and the current file stay as they are.
 */
static void reload(struct capture_session *s)
{
	struct capture_opts *n = calloc(1, sizeof(*n));
	struct vpncap_ruleset rules;
	struct fileset_config cfg;
	char err[ERRLEN] = "";
	const char *what;

	if (!n || !s->reloader) {
		log_error("reload: nothing to reload (no --config)");
		free(n);
		return;
	}
	sd_notify(0, "RELOADING=1");
	if (s->reloader->load(s->reloader->ctx, n, err, sizeof(err)) ||
	    check_output(n, s->is_dir, err, sizeof(err))) {
		log_error("reload: %s; keeping the running configuration", err);
		free(n);
		sd_notify(0, "READY=1");
		return;
	}
	what = needs_restart(s->opts, n);
	if (what) {
		log_error("reload: a change of '%s' needs a restart; keeping the running configuration",
			  what);
		free(n);
		sd_notify(0, "READY=1");
		return;
	}
	if (choose_rules(s, n, &rules, err, sizeof(err))) {
		log_error("reload: %s; keeping the running configuration", err);
		free(n);
		sd_notify(0, "READY=1");
		return;
	}
	if (rules_changed(s, &rules, n))
		install_rules(s, &rules, n);
	free(s->reloaded);
	s->reloaded = n;
	s->opts = n;
	fileset_config_of(s, s->is_dir, &cfg);
	writer_reconfigure(&s->writer, &cfg);
	log_info("reload: applied (%s)", s->filter[s->idb_set]);
	sd_notify(0, "READY=1");
}

/* ---- session ----------------------------------------------------------- */

static void print_summary(const struct capture_session *s)
{
	const struct fileset_stats *w = &s->fs.stats;
	uint64_t seen = 0, matched = 0, queue_full = 0, ring_full = 0, dropped, after_count;
	uint64_t per_batch;
	unsigned int i;

	dropped = w->dropped_disk_full + w->dropped_min_free + w->dropped_write_error;
	for (i = 0; i < s->n_ifaces; i++) {
		const struct iface_totals *t = &s->totals[i];

		seen += t->hook.seen + t->egress.seen;
		matched += t->hook.matched + t->egress.matched;
		queue_full += t->queue_full;
		ring_full += t->hook.ring_full + t->egress.ring_full;
		dropped += t->hook.redirect_fail + t->sock_dropped + t->sock_ring_full +
			   t->queue_full + t->hook.ring_full + t->egress.ring_full +
			   t->ring_malformed;
	}
	fprintf(stderr, "vpncap: summary: seen %llu, matched %llu, written %llu, dropped %llu",
		(unsigned long long)seen, (unsigned long long)matched,
		(unsigned long long)w->frames_written, (unsigned long long)dropped);
	if (queue_full || w->dropped_disk_full || w->dropped_min_free || w->dropped_write_error)
		fprintf(stderr, " (writer queue full %llu, disk full %llu, min-free %llu, write errors %llu)",
			(unsigned long long)queue_full, (unsigned long long)w->dropped_disk_full,
			(unsigned long long)w->dropped_min_free,
			(unsigned long long)w->dropped_write_error);
	if (ring_full)
		fprintf(stderr, " (copies lost to a full ring buffer %llu; the frames went on)",
			(unsigned long long)ring_full);
	after_count = outs_sum_all(s, offsetof(struct out_counts, after_count));
	if (after_count)
		fprintf(stderr, " (%llu more after --count)", (unsigned long long)after_count);
	per_batch = outs_sum_all(s, offsetof(struct out_counts, ts_batch));
	if (per_batch)
		fprintf(stderr, " (%llu stamped per batch, not per frame: no per-frame metadata)",
			(unsigned long long)per_batch);
	if (!s->has_output)
		fprintf(stderr, "; no file (--realtime without -w)");
	else if (s->fs.cfg.is_dir)
		fprintf(stderr, "; %llu file%s completed (%llu bytes) in %s",
			(unsigned long long)w->files_completed, w->files_completed == 1 ? "" : "s",
			(unsigned long long)w->bytes, s->opts->output);
	else
		fprintf(stderr, "; %llu bytes in %s", (unsigned long long)w->bytes, s->opts->output);
	fprintf(stderr, "\n");
}

/* Where frame timestamps come from, in a word or three, for the start line. */
static const char *timestamp_source(const struct capture_iface *ci)
{
	if (ci->mode == CAPTURE_MODE_BYPASS && ci->cls.variant.meta == VPNCAP_META_NONE)
		return "per batch";
	return ci->cls.hw_timestamps ? "by the nic where it stamps, else at the hook" : "at the hook";
}

static void announce(const struct capture_session *s)
{
	unsigned int i;

	for (i = 0; i < s->n_ifaces; i++) {
		const struct capture_iface *ci = &s->ifaces[i];
		const char *into = s->has_output ? s->opts->output : "the terminal only";

		if (ci->mode == CAPTURE_MODE_INLINE)
			log_info("capturing on %s (inline, both directions: xdp %s, %s, tc egress %s; timestamps %s) into %s",
				 ci->info.name, xdp_mode_name(ci->cls.mode),
				 hook_kind_name(ci->cls.hook),
				 tc_egress_kind_name(ci->cls.egress.kind), timestamp_source(ci), into);
		else
			log_info("capturing on %s (%u queue%s, xdp %s, %s, af_xdp %s; timestamps %s) into %s",
				 ci->info.name, ci->n_queues, ci->n_queues == 1 ? "" : "s",
				 xdp_mode_name(ci->cls.mode), hook_kind_name(ci->cls.hook),
				 ci->queues[0].zero_copy ? "zero-copy" : "copy", timestamp_source(ci),
				 into);
	}
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
	stop_consumers(s);
	snapshot_totals(s, 1);
	read_hits(s, s->last_hits);
	for (i = 0; i < s->n_ifaces; i++)
		classifier_close(&s->ifaces[i].cls);
	while (drain_rings(s))
		;
	snapshot_totals(s, 0);
	realtime_finish(&s->rt);
	writer_finish(&s->writer);
	ret = s->has_output ? fileset_close(&s->fs, clock_real_ns()) : 0;
	publish_counters(s, 0);
	return ret;
}

static void fileset_config_of(struct capture_session *s, int is_dir, struct fileset_config *c)
{
	const struct capture_opts *o = s->opts;

	*c = (struct fileset_config){
		.path = o->output,
		.is_dir = is_dir,
		.tag = s->tag,
		.rotate_bytes = o->rotate_size,
		.rotate_ns = o->rotate_time_ms * 1000000ull,
		.retention = { .max_files = o->max_files, .max_bytes = o->max_bytes },
		.min_free = o->min_free,
		.sync_ns = o->sync_interval_ms * 1000000ull,
		.compress = o->compress,
		.on_rotate = o->on_rotate,
		.shb = &s->shb,
		.idbs = s->idbs[s->idb_set],
		.n_idbs = s->n_ifaces,
		.fill_isb = fill_isb,
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
		ret = start_iface(s, &s->ifaces[i], err, errlen);
		if (ret)
			return ret;
		describe_iface(s, &s->ifaces[i], s->idb_set);
	}
	s->start_wall_ns = clock_real_ns();
	ret = create_consumers(s, err, errlen);
	if (ret)
		return ret;
	snapshot_totals(s, 1);
	if (s->has_output) {
		ret = fileset_start(&s->fs, s->start_wall_ns, err, errlen);
		if (ret)
			return ret;
		ret = start_writer(s);
		if (ret) {
			err_set(err, errlen, "cannot start the writer thread: %s", strerror(-ret));
			return ret;
		}
	}
	return start_consumers(s, err, errlen);
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
	ret = realtime_start(&s->rt, stdout, isatty(STDOUT_FILENO), s->ifnames, s->n_ifaces);
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

/* Validation that touches nothing; EXIT_USAGE on failure. */
static int check_all(struct capture_session *s, int *is_dir, char *err, size_t errlen)
{
	const struct capture_opts *o = s->opts;
	unsigned int i;

	for (i = 0; i < s->n_ifaces; i++)
		if (check_iface(&s->ifaces[i], o->ifaces[i], o, err, errlen))
			return -1;
	if (check_cpus(o, err, errlen))
		return -1;
	*is_dir = o->output && output_is_dir(o->output);
	if (o->output && check_output(o, *is_dir, err, errlen))
		return -1;
	if (fileset_make_tag(s->tag, sizeof(s->tag), o->ifaces, o->n_ifaces)) {
		err_set(err, errlen, "-i: interface names do not make a valid file name");
		return -1;
	}
	remember_filters_file(s);
	if (choose_rules(s, o, &s->rules, err, errlen))
		return -1;
	note_rules(s);
	return 0;
}

static struct capture_session *session_new(const struct capture_opts *opts)
{
	struct capture_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->opts = opts;
	s->has_output = opts->output != NULL;
	s->n_ifaces = opts->n_ifaces;
	s->ifaces = calloc(opts->n_ifaces, sizeof(*s->ifaces));
	if (!s->ifaces) {
		free(s);
		return NULL;
	}
	frame_path_init(&s->path, opts->snaplen, opts->output != NULL, opts->count,
			opts->realtime ? &s->rt : NULL);
	pthread_mutex_init(&s->totals_lock, NULL);
	snprintf(s->filters_path, sizeof(s->filters_path), "%s/filters.conf",
		 config_dir());
	return s;
}

static void session_free(struct capture_session *s)
{
	unsigned int i;

	stop_consumers(s);
	for (i = 0; i < s->n_ifaces; i++)
		stop_iface(&s->ifaces[i]);
	free_consumers(s);
	if (s->n_outs)
		frame_out_destroy(&s->main_out);
	frame_path_destroy(&s->path);
	pthread_mutex_destroy(&s->totals_lock);
	free(s->reloaded);
	free(s->ifaces);
	free(s);
}

/* Running: tell systemd, then give up what start-up alone needed. */
static int started(struct capture_session *s, char *err, size_t errlen)
{
	struct privileges_extra extra = { 0 };
	struct stat st;
	unsigned int i;

	/* Rotation creates files later: keep the right to in a directory of someone else's. */
	extra.dac_override = s->is_dir && stat(s->opts->output, &st) == 0 &&
			     st.st_uid != geteuid();
	for (i = 0; i < s->n_ifaces; i++)
		extra.sys_admin |= s->ifaces[i].cls.hook == HOOK_DISPATCHER;
	if (privileges_drop_after_start(&extra, err, errlen))
		return -1;
	/* Named by network namespace too: the same interface name may be in several. */
	if (stat("/proc/self/ns/net", &st))
		st.st_ino = 0;
	snprintf(s->hits_path, sizeof(s->hits_path), "%s/%lu-%s.hits", COUNTERS_DIR,
		 (unsigned long)st.st_ino, s->tag);
	snprintf(s->prom_path, sizeof(s->prom_path), "%s/%lu-%s.prom", COUNTERS_DIR,
		 (unsigned long)st.st_ino, s->tag);
	publish_counters(s, 1);
	/* Not over the real-time view on the same terminal. */
	s->status_line = isatty(STDERR_FILENO) && !(s->opts->realtime && isatty(STDOUT_FILENO));
	announce(s);
	sd_notifyf(0, "READY=1\nSTATUS=capturing on %s into %s", s->tag,
		   s->has_output ? s->opts->output : "the terminal");
	return 0;
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
	if (check_all(s, &s->is_dir, err, sizeof(err))) {
		log_error("%s", err);
		session_free(s);
		return EXIT_USAGE;
	}
	if (kernel_probe(&s->kf, err, sizeof(err))) {
		log_error("%s", err);
		session_free(s);
		return EXIT_USAGE;
	}
	prepare_headers(s);
	fileset_config_of(s, s->is_dir, &fcfg);
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
		stop_consumers(s);
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
	capture_loop(s, sig);
	clear_status_line(s);
	sd_notify(0, "STOPPING=1");
	if (s->hits_path[0])
		unlink(s->hits_path);
	status = finish(s) || failed ? EXIT_RUNTIME : EXIT_OK;
	print_summary(s);
out:
	if (err[0])
		log_error("%s", err);
	session_free(s);
	return status;
}
