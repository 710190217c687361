/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `vpncap report`: a summary of decoded frames for troubleshooting and for
 * planning the SSTP retirement. The aggregator is pure (no I/O but the
 * printers' FILE): frames go in one by one with report_add(), in any order,
 * and the printers work the totals out at print time. Memory is bounded:
 * each table has a limit, and what did not fit is counted and printed
 * ("limits hit"), never silently lost.
 */
#ifndef VPNCAP_CMD_REPORT_H
#define VPNCAP_CMD_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "read/decode.h"
#include "siphash.h"

/* Azure's SSTP gateway takes at most this many concurrent SSTP sessions. */
#define REPORT_AZURE_SSTP_LIMIT 128

enum report_proto { REPORT_IKEV2, REPORT_NATT, REPORT_ESP, REPORT_SSTP, REPORT_OTHER, REPORT_NPROTO };

struct report_limits {
	uint32_t addresses;     /* distinct IP addresses (clients, endpoints) */
	uint32_t ike_sas;       /* IKE SAs (by initiator SPI) */
	uint32_t sessions;      /* TCP 443 sessions */
};

struct report_proto_totals {
	uint64_t frames, bytes;
	uint64_t frames_in, frames_out; /* by capture direction, when the file says */
	uint64_t clients;
	uint64_t first_ns, last_ns;     /* 0 when no frame */
};

/* The numbers of the report, for callers and tests. */
struct report_summary {
	uint64_t frames, bytes, first_ns, last_ns;
	struct report_proto_totals proto[REPORT_NPROTO];
	uint64_t ikev1_frames;
	uint64_t ike_sas, ike_established, ike_incomplete, ike_unknown;
	uint64_t ike_retransmissions;           /* frames seen again, same direction */
	uint64_t ike_auth_skf_messages;         /* IKE_AUTH messages sent as SKF fragments */
	uint64_t ike_auth_skf_fragments;        /* their fragments (retransmissions excluded) */
	uint64_t ike_auth_ip_fragmented;        /* IKE_AUTH messages in IP fragments */
	uint64_t ip_fragmented_datagrams;       /* by (src, dst, IP id) */
	uint64_t ip_fragmented_ike;             /* of them, IKE messages */
	uint64_t sstp_sessions, sstp_clients;   /* health probes excluded */
	uint64_t sstp_peak, sstp_peak_ns;
	uint64_t probe_sources, probe_sessions;
	uint64_t clients, failing_clients;      /* (address, protocol) pairs with attempts */
	uint64_t client_attempts, client_failures;
	uint64_t probes_healthy, probes_unhealthy;
	uint64_t backends, backends_unhealthy;  /* unhealthy at their last probe */
	uint64_t ike_splits;                    /* clients whose UDP 500 and 4500 went to different gateways */
	uint64_t dropped_addresses, dropped_sas, dropped_sessions, dropped_fragments;
};

struct report;

/* NULL when out of memory. report_new() uses the default limits. */
struct report *report_new(void);
struct report *report_new_limited(const struct report_limits *limits);
/*
 * The tables' hash is keyed at random for every report (so crafted keys
 * cannot collide); tests give the key instead.
 */
struct report *report_new_keyed(const struct report_limits *limits, const struct siphash_key *key);
void report_free(struct report *r);

/* One frame: its time, capture direction, decoding, and length on the wire. */
void report_add(struct report *r, uint64_t ts_ns, enum decode_dir dir, const struct decoded *d,
		uint32_t origlen);

void report_summarize(struct report *r, struct report_summary *s);

/*
 * Several gateways' captures in one report: r is the total, gw one
 * gateway's own report (frames go into both), named as the files say
 * (host and interface) or as the command line did. r owns gw from then on.
 * 0, or -1 when out of memory (gw is then freed).
 */
int report_add_gateway(struct report *r, struct report *gw, const char *name);

/* 0, or -1 when the stream failed (errno from the stream). */
int report_print_text(struct report *r, FILE *out);
int report_print_json(struct report *r, FILE *out);
int report_print_html(struct report *r, FILE *out);

extern const char report_usage[];


#endif /* VPNCAP_CMD_REPORT_H */
