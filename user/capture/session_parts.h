/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The capture session's parts share this (private to user/capture/):
 * the session and interface structs, and the functions one part calls in
 * another. session.c sets up, runs and ends a capture; interfaces.c
 * starts and stops one interface; loop.c is the main loop and the
 * consumer threads; headers.c is what the files say about the capture
 * (IDB, ISB) and the start and summary lines; live.c is the live counters,
 * status line, metrics and hits; reload.c is reload, filter following
 * and the --mode auto switch.
 */
#ifndef VPNCAP_CAPTURE_SESSION_PARTS_H
#define VPNCAP_CAPTURE_SESSION_PARTS_H

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

#include "clock.h"
#include "log.h"
#include "privileges.h"
#include "capture/config.h"
#include "capture/counters.h"
#include "capture/filters.h"
#include "capture/rules.h"
#include "capture/session.h"
#include "hook/classifier.h"
#include "hook/degrade.h"
#include "hook/expr_progs.h"
#include "hook/host_use.h"
#include "hook/iface.h"
#include "hook/kernel_probe.h"
#include "hook/ring_rx.h"
#include "hook/xsk_rx.h"
#include "path/consumer.h"
#include "path/frame_path.h"
#include "path/frame_queue.h"
#include "path/realtime.h"
#include "path/writer.h"
#include "store/fileset.h"

#define POLL_TIMEOUT_MS 100
/* While the writer holds ring records: their space goes back within this. */
#define HELD_POLL_MS 1
/*
 * Ring records held that wake a napping writer: a quarter of the ring in
 * records of 2 KiB, at most 1024 (2 MiB of the default 8 MiB ring).
 */
#define RING_REFS_URGENT(ring_size) \
	((ring_size) / 4 / 2048 > 1024 ? 1024 : (ring_size) / 4 / 2048 ? (ring_size) / 4 / 2048 : 1)
#define HOUSEKEEPING_NS 1000000000ull /* counters snapshot and clock resync */
#define FILTER_CHECK_NS 250000000ull  /* a changed filter file applies well within 1 s */
#define IFACE_CHECK_NS 250000000ull   /* an interface gone is noticed well within 1 s */
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
	struct host_use host_use;       /* why the host needs its traffic, at the choice */
	struct xsk_rx queues[CAPTURE_MAX_QUEUES];
	unsigned int n_queues;
	struct ring_rx ring;            /* inline copies (bypass: multi-buffer frames) */
	int ring_open;
	struct ring_ctx ring_ctx;
	struct iface_totals live;       /* the main thread's own counts (ring_taken) */
	_Atomic uint64_t queue_taken[CAPTURE_MAX_QUEUES]; /* frames taken off each socket */
	char description[2048];          /* how it is captured (if_description) */
	char comment[2048];              /* the IDB comment: what the kernel took away */
	struct degradation degraded[DEGRADE_MAX];
	unsigned int n_degraded;
	int gone;                       /* -i any: went away (or failed to start); slot kept */
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
	struct rule_exprs exprs;        /* the texts of the rule set's expressions */
	uint64_t start_wall_ns;
	uint64_t deadline_mono_ns;      /* 0 = none */
	/* Read by the writer thread for the ISBs, written by the capture thread. */
	pthread_mutex_t totals_lock;
	struct iface_totals totals[CAPTURE_MAX_IFACES];
	/*
	 * File headers. What the IDBs say is built here, then copied into an
	 * immutable set (store/idb_set.h) handed to the writer: a change builds
	 * a new set, and no set the writer holds ever changes.
	 */
	char hw[300], os[200], tag[FILESET_TAG_MAX];
	char hostname[65];              /* uname's nodename, first in each if_description */
	char filter[2048];
	struct pcapng_shb_info shb;
	struct idb_set *idbs;           /* the latest set (the session's reference) */
	/* What is captured: --rules, else the named filters, else the VPN default. */
	char rules_words[2048];         /* the rule set in words, for if_filter */
	struct filter_set filters;      /* names of the rules, when they are filters */
	int from_filters;
	char filters_path[4096];
	struct stat filters_stat;       /* to see the filter file change */
	char hits_path[4096];
	char prom_path[4096];           /* /run/vpncap/TAG.prom, for `vpncap counters` */
	/* Opened once (live.c): files replaced there never follow a swapped path. */
	int run_dir_fd;                 /* COUNTERS_DIR, or -1 (not published) */
	int metrics_dir_fd;             /* --metrics-file's directory, or -1 */
	char metrics_opened[4096];      /* the --metrics-file that metrics_dir_fd is for */
	struct counters_snapshot snap;  /* built each second; large, so kept here */
	uint64_t last_hits[VPNCAP_MAX_RULES]; /* as last read, kept once the maps are gone */
	int status_line;                /* stderr is a terminal: one line refreshed each second */
	uint64_t status_written;        /* frames written at the last refresh */
	double status_time;
	int metrics_error_logged;
	int has_output;                 /* -w given (--realtime may run without) */
	/* How -w's files are written: foreseen by the checks, then the first file's. */
	char output_io_said[160];
	struct realtime rt;             /* --realtime */
	const char *ifnames[CAPTURE_MAX_IFACES];
	const struct capture_reloader *reloader;
	struct capture_opts *reloaded;  /* options of the last reload, owned */
	int is_dir;
	unsigned int gone_iface;        /* 1 + index of an interface that went away, or 0 */
	/* -i any (any.c): s->ifaces and s->consumers have room for more */
	int any;
	unsigned int cap_consumers;     /* room in s->consumers */
	size_t queue_share;             /* each producer's share of --queue-size */
	int refused[256];               /* ifindexes not to try again (any.c scans as many) */
	unsigned int n_refused, refused_next;
};

/* A counter of struct out_counts summed over every producer, for interface i. */
#define OUTS_SUM(s, i, field) FRAME_OUTS_SUM((s)->outs, (s)->n_outs, i, field)

/* A counter of struct out_counts summed over every producer and interface. */

static inline uint64_t outs_sum_all(const struct capture_session *s, size_t offset)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < s->n_ifaces; i++)
		sum += frame_outs_sum(s->outs, s->n_outs, i, offset);
	return sum;
}

/* ---- shared between the parts ---------------------------------------- */

/* interfaces.c */
const char *session_mode_name(enum capture_mode mode);
int session_check_iface(struct capture_iface *ci, const char *name,
			const struct capture_opts *o, char *err, size_t errlen);
void session_find_degradations(const struct capture_session *s, struct capture_iface *ci);
int session_start_iface(struct capture_session *s, struct capture_iface *ci,
			char *err, size_t errlen);
void session_stop_iface(struct capture_iface *ci);
unsigned int session_find_gone_iface(const struct capture_session *s);

/* headers.c */
void session_fill_isb(void *ctx, unsigned int if_id, struct pcapng_isb_info *isb,
		      char *comment, size_t len);
void session_describe_iface(struct capture_session *s, struct capture_iface *ci);
int session_prepare_idbs(struct capture_session *s, uint32_t unmatched);
void session_prepare_headers(struct capture_session *s);
void session_print_summary(const struct capture_session *s);
void session_announce(const struct capture_session *s);

/* live.c */
void session_snapshot_totals(struct capture_session *s, int with_hook);
void session_read_hits(struct capture_session *s, uint64_t hits[VPNCAP_MAX_RULES]);
void session_write_hits(struct capture_session *s);
void session_show_status_line(struct capture_session *s);
void session_clear_status_line(struct capture_session *s);
void session_publish_counters(struct capture_session *s, int running);

/* loop.c */
int session_on_ring_frame(void *ctx, const struct ring_frame *frame);
/* The main thread's writer queue's reclaim: a ring record written, its space back. */
void session_release_ring_record(void *ctx, uint64_t token);
uint64_t session_drain_rings(struct capture_session *s);
int session_create_consumers(struct capture_session *s, char *err, size_t errlen);
int session_start_consumers(struct capture_session *s, char *err, size_t errlen);
void session_stop_consumers(struct capture_session *s);
void session_free_consumers(struct capture_session *s);
void session_capture_loop(struct capture_session *s, struct capture_signals *sig);

/*
 * live.c: the directories counters and hits are published in, opened before
 * anything is attached; one that cannot be used is said once, and the
 * capture goes on without what would go there.
 */
void session_open_publish_dirs(struct capture_session *s);
void session_close_publish_dirs(struct capture_session *s);

/* reload.c */
void session_follow_host_use(struct capture_session *s);
void session_note_rules(struct capture_session *s);
int session_choose_rules(struct capture_session *s, const struct capture_opts *o,
			 struct vpncap_ruleset *rules, struct rule_exprs *exprs, char *err,
			 size_t errlen);
int session_start_exprs(struct capture_session *s, struct capture_iface *ci, char *err,
			size_t errlen);
void session_remember_filters_file(struct capture_session *s);
void session_follow_filters_file(struct capture_session *s);
void session_reload(struct capture_session *s);

/* any.c */
int session_pick_any(struct capture_session *s, char *err, size_t errlen);
void session_follow_any(struct capture_session *s);

/* session.c */
struct capture_session *session_new(const struct capture_opts *opts);
void session_free(struct capture_session *s);
/* Validation that touches nothing: -1 with err is bad usage (EXIT_USAGE). */
int session_check_all(struct capture_session *s, int *is_dir, char *err, size_t errlen);
int session_check_output(const struct capture_opts *o, int is_dir, char *err, size_t errlen);
void session_fileset_config_of(struct capture_session *s, int is_dir, struct fileset_config *c);

#endif /* VPNCAP_CAPTURE_SESSION_PARTS_H */
