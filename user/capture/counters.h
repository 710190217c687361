/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Counters of a running capture, for people and for monitoring.
 *
 * A capture publishes a snapshot every second, in Prometheus text format,
 * to /run/vpncap/<capture>.prom (read by `vpncap counters`) and, with
 * --metrics-file, to a path of the operator's choice (node_exporter's
 * textfile collector). Both are replaced atomically. The same format is
 * read back here, so the command and the monitoring always agree.
 *
 * Every frame the hooks saw ends in exactly one place, which the identity
 * says: seen = passed (unmatched) + written + in flight + each named drop.
 */
#ifndef VPNCAP_CAPTURE_COUNTERS_H
#define VPNCAP_CAPTURE_COUNTERS_H

#include <net/if.h>
#include <stdint.h>
#include <stdio.h>

#include "vpncap/abi.h"

#define COUNTERS_DIR "/run/vpncap"
#define COUNTERS_MAX_IFACES 16
#define COUNTERS_MAX_QUEUES 64
#define COUNTERS_MAX_FILTERS 64
#define COUNTERS_NAME_MAX 256
#define COUNTERS_PATH_MAX 8192

struct counters_queue {
	uint32_t id;
	uint64_t taken;                 /* frames taken off this AF_XDP socket */
	uint64_t af_xdp_no_buffer;      /* XDP_STATISTICS rx_dropped */
	uint64_t af_xdp_ring_full;      /* rx_ring_full */
	uint64_t fill_ring_empty;       /* rx_fill_ring_empty_descs (events, not frames) */
};

/*
 * Frames by where their timestamp came from. A frame is stamped once, just
 * before the writer queue (or the view, without -w) takes or refuses it:
 * hook + batch + hardware = frames handed on + writer queue full.
 */
struct counters_stamps {
	uint64_t hook;                  /* taken at the XDP or TC hook */
	uint64_t batch;                 /* one clock reading per batch (no metadata) */
	uint64_t hardware;              /* the NIC's receive stamp (XDP RX metadata) */
};

struct counters_iface {
	char name[IF_NAMESIZE];
	char mode[16];                  /* "bypass" or "inline" */
	struct vpncap_counters in;      /* XDP hook: received frames */
	struct vpncap_counters out;     /* TC egress hook: transmitted frames */
	uint64_t ring_taken;            /* records taken off the BPF ring buffer */
	uint64_t queue_full;            /* frames the writer queue had no room for */
	struct counters_stamps stamped;
	unsigned int n_queues;
	struct counters_queue queues[COUNTERS_MAX_QUEUES];
};

struct counters_filter {
	char name[COUNTERS_NAME_MAX];
	uint64_t hits;
};

struct counters_snapshot {
	char capture[COUNTERS_NAME_MAX];        /* the capture's tag: its interfaces */
	long pid;
	int running;                            /* 0 in the snapshot written at exit */
	double start_time;                      /* seconds since the epoch */
	double time;                            /* of this snapshot */
	char output[COUNTERS_PATH_MAX];         /* -w */
	char current_file[COUNTERS_PATH_MAX];   /* being written, "" if none */
	uint64_t written, bytes, files;
	uint64_t disk_full, min_free, write_error;  /* writer drops */
	uint64_t after_count;                   /* not written: --count reached */
	unsigned int n_ifaces;
	struct counters_iface ifaces[COUNTERS_MAX_IFACES];
	unsigned int n_filters;
	struct counters_filter filters[COUNTERS_MAX_FILTERS];
};

/* Where every frame seen went, summed over the capture's interfaces. */
struct counters_identity {
	uint64_t seen;          /* both hooks */
	uint64_t passed;        /* unmatched, handed on */
	uint64_t written;
	uint64_t in_flight;     /* between hook and file right now (0 once ended) */
	/* Named drops: matched frames that did not reach the file, and unmatched dropped. */
	uint64_t unmatched_dropped, no_socket, ring_full, af_xdp_no_buffer, af_xdp_ring_full;
	uint64_t queue_full, disk_full, min_free, write_error, after_count;
	int holds;              /* the named parts do not exceed seen */
};

void counters_identity(const struct counters_snapshot *s, struct counters_identity *id);

/* Prometheus text exposition format. 0, or -1 on a write error. */
int counters_write_prometheus(FILE *f, const struct counters_snapshot *s);

/*
 * Write name in the directory dir_fd atomically (a temporary file renamed
 * over it, never through a symlink; mode 0644: node_exporter reads it as
 * its own user, and it holds counters, no packet). 0 or -errno.
 */
int counters_publish(int dir_fd, const char *name, const struct counters_snapshot *s);

/*
 * Read what counters_write_prometheus() wrote. Unknown metrics are skipped
 * (newer writers); a malformed line is an error. 0, or -1 with err.
 */
int counters_parse_prometheus(const char *text, size_t len, struct counters_snapshot *s,
			      char *err, size_t errlen);

void counters_print_text(FILE *f, const struct counters_snapshot *s);
void counters_print_json(FILE *f, const struct counters_snapshot *s);


#endif /* VPNCAP_CAPTURE_COUNTERS_H */
