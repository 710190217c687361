/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The insides of `vpncap report`, shared by its files: the aggregator
 * (report.c: the tables, and the totals finish() works out), the printers
 * (report_text.c, report_json.c, report_html.c, over report_format.c) and
 * the command (report_cmd.c). Not an interface for anyone else: report.h is.
 */
#ifndef VPNCAP_CMD_REPORT_MODEL_H
#define VPNCAP_CMD_REPORT_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cmd/report.h"
#include "cmd/report_conn.h"
#include "cmd/report_health.h"
#include "cmd/report_timeline.h"
#include "siphash.h"

#define NONE UINT32_MAX
#define RETX_RING 16            /* recent messages per SA; retransmissions come within seconds */
#define FRAG_SLOTS 4096         /* datagrams being fragmented at once; direct-mapped */
/*
 * Items of one hash chain at most. With a random key and at most 4 items
 * per bucket on average (table_init), a chain of 32 distinct keys is a
 * chance below 1e-17 per bucket: only a broken hash could reach it.
 */
#define TABLE_MAX_CHAIN 32
#define TIMELINE_BUCKETS 120
#define TEXT_MAX_ROWS 100       /* per table in the text report; --json lists all */
#define HTML_MAX_ROWS 1000
#define PROBE_MIN_SESSIONS 3
/* A prober keeps its pace: the spread of its intervals is within 30 % of their mean. */
#define PROBE_MAX_CV2 0.09
/* Below this, an IKE_AUTH response holds no AUTH: only an encrypted notify. */
#define IKE_AUTH_REFUSED_LEN 120
#define NS UINT64_C(1000000000)

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10


extern const char *const report_proto_names[REPORT_NPROTO];
extern const char *const report_proto_keys[REPORT_NPROTO];

enum role {
	ROLE_IKE_CLIENT = 1,    /* initiator of IKE on UDP 500 */
	ROLE_NATT_CLIENT = 2,   /* initiator of IKE on UDP 4500 */
	ROLE_ESP_END = 4,       /* source or destination of ESP */
	ROLE_KEEPALIVE = 8,     /* sent a NAT-T keepalive */
	ROLE_SSTP_CLIENT = 16,  /* the non-443 end of a TCP 443 session */
};

/* Why a client's attempt failed: SSTP's (conn_result's order), then IKEv2's. */
enum fail_reason {
	F_TCP_REFUSED, F_TCP_TIMEOUT, F_TLS_ALERT, F_TLS_RESET, F_NO_SSTP_RESPONSE, F_CLOSED_EARLY,
	F_NO_INIT_RESPONSE, F_INIT_ERROR, F_NO_AUTH_REQUEST, F_NO_AUTH_RESPONSE, F_AUTH_FAILED,
	NFAIL
};

enum client_proto { CP_IKEV2, CP_SSTP, NCP };

/* One client's attempts over one protocol: IKE SAs, or SSTP connections. */
struct client_stats {
	uint32_t attempts, successes, failures, unknown;
	uint32_t reasons[NFAIL];
	uint16_t init_error;            /* the last IKE_SA_INIT error notify */
	uint64_t first_ns, last_ns;
};

struct addr_rec {
	struct addr_key key;
	uint32_t next;
	uint32_t roles;
	/* Filled by finish(): this address's TCP 443 sessions. */
	uint32_t sessions, probe_like, answered;
	uint64_t first_start, last_start;
	double interval_s;              /* between probes of one backend */
	int prober;
	struct client_stats clients[NCP];
};

/* Exchange types the report names; the rest are counted as "other". */
enum xchg { X_INIT, X_AUTH, X_CHILD, X_INFO, X_INTER, X_OTHER, NXCHG };
struct xchg_name {
	uint8_t type;
	const char *name;
};
extern const struct xchg_name report_xchgs[NXCHG];

struct ike_sa {
	uint64_t ispi, rspi;
	struct addr_key client, server;
	uint32_t next;
	uint64_t first_ns, last_ns;
	uint32_t req[NXCHG], resp[NXCHG];       /* messages, retransmissions not counted */
	uint32_t auth_req_max, auth_resp_max;   /* highest IKE_AUTH message IDs */
	uint64_t recent[RETX_RING];             /* msg_key() of recent messages */
	unsigned int nrecent;
	uint32_t retransmissions;
	uint16_t init_error;                    /* error notify of the last IKE_SA_INIT response */
	uint16_t skf_total;                     /* most SKF fragments of one IKE_AUTH message */
	uint32_t skf_messages, ip_fragmented;   /* IKE_AUTH messages sent so */
	int natt;                               /* seen on UDP 4500 */
	int plain;                              /* seen on UDP 500 */
	uint32_t auth_resp_len;                 /* IKE length of the latest IKE_AUTH response */
	int auth_resp_big;                      /* it came in fragments: never a bare notify */
};

enum ses_flag {
	SES_SYN = 1, SES_SYNACK = 2, SES_FIN = 4, SES_RST = 8, SES_CLOSED = 16,
	SES_REPLACED = 32,      /* a new SYN on the same 4-tuple before any FIN or RST */
};

struct tcp_session {
	struct addr_key client, server;
	uint16_t cport, sport;
	uint32_t next;
	uint32_t client_addr;   /* index in addrs, NONE when that table was full */
	uint64_t start_ns, end_ns, last_ns;
	uint64_t bytes, frames;
	uint32_t data, client_data;     /* segments with payload: all, from the client */
	uint32_t syn_seq;
	unsigned int flags;
	struct conn_obs obs;    /* what report_conn judges */
	enum probe_kind probe_kind;
};

/* A datagram in IP fragments: which protocol its first fragment showed. */
struct frag_slot {
	struct addr_key src, dst;
	uint32_t id;
	int used;
	int proto;              /* enum report_proto, or -1 until the first fragment */
	uint64_t pending_frames, pending_bytes, pending_first, pending_last;
	uint64_t pending_in, pending_out;
};

/* A growable array with a chained hash over it. */
struct table {
	void *items;
	uint32_t n, cap, limit;
	size_t size;
	size_t next_offset;     /* of each item's uint32_t chain field */
	uint32_t *heads, mask;
};

struct report {
	struct report_limits lim;
	struct siphash_key key;         /* of every table's hash; random per run */
	uint64_t frames, bytes, first_ns, last_ns;
	struct report_proto_totals proto[REPORT_NPROTO];
	uint64_t ikev1_frames;
	struct table addrs, sas, sessions;
	struct frag_slot *frags;
	uint64_t retransmissions, skf_messages, skf_fragments, auth_ip_fragmented;
	uint64_t ip_frag_datagrams, ip_frag_ike;
	uint64_t dropped_addresses, dropped_sas, dropped_sessions, dropped_fragments;
	/* finish() */
	struct report_summary sum;
	uint64_t ike_peak, ike_peak_ns;
	/* The timeline: when frames came (report_add()); then, by finish(), the
	 * JSON's series on one axis (tl_start, tl_step) and the chart's, a
	 * panel per burst (tl_panels). */
	struct timeline_activity activity;
	uint64_t tl_start, tl_step;
	uint64_t tl_ike[TIMELINE_BUCKETS], tl_sstp[TIMELINE_BUCKETS];
	struct timeline_layout tl_panels;
	uint64_t tl_panel_ike[TIMELINE_BUCKETS], tl_panel_sstp[TIMELINE_BUCKETS];
	struct health health;
	struct client_ref *clients;     /* with attempts, failing first */
	size_t n_clients;
	/* Several gateways' captures: each one's own report, this one the total. */
	struct report **gateways;
	char **gateway_names;
	size_t n_gateways;
	struct ike_split *splits;       /* clients whose UDP 500 and 4500 reached different gateways */
	size_t n_splits;
	struct udp_probe *udp;          /* in capture order; at most lim.sessions */
	size_t n_udp, cap_udp;
	uint64_t dropped_udp;
};

struct client_ref {
	uint32_t addr;                  /* index in addrs */
	enum client_proto proto;
};

/* A datagram to UDP 500 or 4500 that is not IKE: a balancer's UDP probe, when regular. */
struct udp_probe {
	struct addr_key src, dst;
	uint16_t dport;
	uint64_t ts;
	enum { UDP_SILENT, UDP_ANSWERED, UDP_UNREACHABLE } answer;
};

struct ike_split {
	struct addr_key client;
	uint64_t ispi;
	size_t gw_500, gw_4500;         /* indexes in gateways */
};

enum sa_state { SA_ESTABLISHED, SA_INCOMPLETE, SA_UNKNOWN };

/* ---- shared by the aggregator (report.c) and the printers ---------------- */

static inline void *table_at(const struct table *t, uint32_t i)
{
	return (char *)t->items + (size_t)i * t->size;
}


static inline const struct client_stats *client_of(const struct report *r, const struct client_ref *c,
					    const struct addr_rec **a)
{
	*a = table_at(&r->addrs, c->addr);
	return &(*a)->clients[c->proto];
}


extern const char *const report_sa_state_names[];
extern const char *const report_client_proto_keys[NCP];
extern const char *const report_client_proto_names[NCP];

/* The totals over the whole capture (and each gateway's): before printing. */
void report_finish(struct report *r);
enum sa_state report_sa_state(const struct ike_sa *sa, char *why, size_t len);
/* A session still open when the capture ended lasts until its last frame. */
uint64_t report_session_end(const struct report *r, const struct tcp_session *s);
int report_session_is_probe(const struct report *r, const struct tcp_session *s);
/* 1 when gateway g saw attempts of this client over this protocol. */
int report_client_at_gateway(const struct report *r, size_t g, const struct addr_rec *a,
			     enum client_proto proto);
/* "init_error:NO_PROPOSAL_CHOSEN" or "tls_reset". */
const char *report_fail_key(char *buf, size_t len, enum fail_reason f, uint16_t notify);
/* The same in words. */
const char *report_fail_text(char *buf, size_t len, enum fail_reason f, uint16_t notify);

/* report_format.c: text of values, shared by the three printers. */
const char *report_fmt_time(char *buf, size_t len, uint64_t ns, int nanos);
const char *report_fmt_addr(char *buf, size_t len, const struct addr_key *k);
const char *report_fmt_endpoint(char *buf, size_t len, const struct addr_key *k, uint16_t port);
const char *report_fmt_exchanges(char *buf, size_t len, const struct ike_sa *sa);
const char *report_fmt_frag(char *buf, size_t len, const struct ike_sa *sa);
double report_seconds(uint64_t ns);
const char *report_session_end_name(const struct tcp_session *s);
double report_probe_interval(const struct addr_rec *a);
const char *report_reasons_line(char *line, size_t len, const struct client_stats *c);

#endif /* VPNCAP_CMD_REPORT_MODEL_H */
