/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Load-balancer health, judged from the probes `vpncap report` found: per
 * prober (who probed, how, how often it found a backend healthy) and per
 * backend (each probe's verdict in time order, the state it is in at the
 * end and every time that state changed). Pure: the caller hands over the
 * probes; tested on its own.
 */
#ifndef VPNCAP_CMD_REPORT_HEALTH_H
#define VPNCAP_CMD_REPORT_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "cmd/report_conn.h"

/* A backend's changes kept for the report; the rest are counted. */
#define HEALTH_MAX_CHANGES 32

struct health_probe {
	struct addr_key prober, backend;
	uint16_t port;                  /* the backend's */
	uint64_t ts_ns;
	enum probe_kind kind;
	struct probe_verdict verdict;
	uint64_t response_bytes;        /* the backend's payload bytes */
};

struct health_prober {
	struct addr_key addr;
	enum probe_kind kind;
	uint32_t probes, healthy, unhealthy, backends;
	uint64_t first_ns, last_ns;
	double interval_s;              /* mean time between two probes of one backend */
	int inferred;                   /* judged by shape (TLS) */
};

struct health_change {
	uint64_t ts_ns;
	int healthy;                    /* the state from then on */
	char why[56];                   /* the probe's words for it */
};

/*
 * A backend as one kind of probe sees it: a balancer probes a pool one
 * way, and verdicts of different kinds (a TCP connect, an HTTP status) are
 * not states of one thing to flip between.
 */
struct health_backend {
	struct addr_key addr;
	uint16_t port;
	enum probe_kind kind;
	uint32_t probes, healthy, unhealthy;
	int healthy_now;                /* the last probe's verdict */
	int inferred;                   /* some verdicts were judged by shape */
	uint16_t last_status;           /* the last HTTP status read in clear, 0 if none */
	char last_why[56];
	int last_inferred;              /* the last verdict was judged by shape */
	uint64_t median_response_bytes; /* of the probes judged healthy by shape (TLS) */
	uint32_t n_changes;             /* all of them; the first HEALTH_MAX_CHANGES are kept */
	struct health_change changes[HEALTH_MAX_CHANGES];
};

struct health {
	struct health_prober *probers;
	size_t n_probers;
	struct health_backend *backends;
	size_t n_backends;
	/*
	 * Backends probed inside TLS answer with different sizes: their status
	 * is hidden, but a 401 page and a 503 page rarely weigh the same.
	 */
	int tls_sizes_differ;
};

/*
 * Judge n probes (sorted in place). 0, or -1 when out of memory (h is then
 * empty). Probers come sorted by address and kind, backends by address,
 * port and kind, unhealthy ones first.
 */
int health_judge(struct health_probe *probes, size_t n, struct health *h);
void health_free(struct health *h);

#endif /* VPNCAP_CMD_REPORT_HEALTH_H */
