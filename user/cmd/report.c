// SPDX-License-Identifier: GPL-2.0-only
/*
 * `vpncap report` (see report.h). Frames are folded into four tables as
 * they come: addresses (which role each played: IKE initiator, ESP
 * endpoint, SSTP client), IKE SAs by initiator SPI, TCP 443 sessions by
 * 4-tuple, and a small cache of IP fragment datagrams. Everything that
 * needs the whole capture (health probes, clients per protocol, the
 * concurrency peaks and the timeline) is worked out by finish() when a
 * printer asks, so frames may come in any order and files in any number.
 *
 * Each table is an array that grows up to its limit, indexed by a chained
 * hash (uint32 indices, so no pointers move when the array grows). The
 * keys come from the capture, that is from anyone who can send a packet,
 * so the hash is SipHash with a random key of this run: nobody can craft
 * keys that share a bucket. And work is bounded even so: a chain holds at
 * most TABLE_MAX_CHAIN items, so no frame costs more than that many
 * comparisons, however full the table. When an array (or a chain) is
 * full, the frame is still counted in its protocol's totals but the new
 * address, SA or session is not tracked, and the "limits hit" counters say
 * how many frames that concerned.
 */
#define _GNU_SOURCE /* qsort_r */
#include "cmd/cmd.h"
#include "cmd/report.h"
#include "cmd/report_conn.h"
#include "cmd/report_health.h"
#include "cmd/report_timeline.h"
#include "json.h"
#include "read/input_file.h"
#include "read/input_list.h"
#include "log.h"
#include "optparse.h"
#include "siphash.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static const struct report_limits default_limits = {
	.addresses = 1u << 18, .ike_sas = 1u << 17, .sessions = 1u << 18,
};

static const char *const proto_names[REPORT_NPROTO] = { "IKEv2", "NAT-T", "ESP", "SSTP", "other" };
static const char *const proto_keys[REPORT_NPROTO] = { "ikev2", "natt", "esp", "sstp", "other" };

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
static const struct {
	uint8_t type;
	const char *name;
} xchgs[NXCHG] = {
	[X_INIT] = { 34, "IKE_SA_INIT" }, [X_AUTH] = { 35, "IKE_AUTH" },
	[X_CHILD] = { 36, "CREATE_CHILD_SA" }, [X_INFO] = { 37, "INFORMATIONAL" },
	[X_INTER] = { 43, "IKE_INTERMEDIATE" }, [X_OTHER] = { 0, "other" },
};

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

/* ---- tables ------------------------------------------------------------- */

static uint32_t key_hash(const struct report *r, const void *p, size_t len)
{
	return (uint32_t)siphash24(&r->key, p, len);
}

/* Buckets: a quarter of the limit, so chains stay short even when full. */
static int table_init(struct table *t, size_t size, size_t next_offset, uint32_t limit)
{
	uint32_t nb = 64;

	while (nb < limit / 4 && nb < (1u << 20))
		nb <<= 1;
	memset(t, 0, sizeof(*t));
	t->size = size;
	t->next_offset = next_offset;
	t->limit = limit;
	t->mask = nb - 1;
	t->heads = malloc(nb * sizeof(*t->heads));
	if (!t->heads)
		return -1;
	memset(t->heads, 0xff, nb * sizeof(*t->heads));
	return 0;
}

static void table_free(struct table *t)
{
	free(t->items);
	free(t->heads);
}

static void *table_at(const struct table *t, uint32_t i)
{
	return (char *)t->items + (size_t)i * t->size;
}

static uint32_t table_next(const struct table *t, uint32_t i)
{
	uint32_t next;

	memcpy(&next, (const char *)table_at(t, i) + t->next_offset, sizeof(next));
	return next;
}

/* The latest item of bucket h's chain that same(item, key) accepts; NONE if none. */
static uint32_t table_find(const struct table *t, uint32_t h,
			   int (*same)(const void *item, const void *key), const void *key)
{
	uint32_t i;

	for (i = t->heads[h & t->mask]; i != NONE; i = table_next(t, i))
		if (same(table_at(t, i), key))
			return i;
	return NONE;
}

static int chain_full(const struct table *t, uint32_t h)
{
	uint32_t i, n = 0;

	for (i = t->heads[h & t->mask]; i != NONE && n < TABLE_MAX_CHAIN; i = table_next(t, i))
		n++;
	return n == TABLE_MAX_CHAIN;
}

/*
 * A new zeroed item at the head of bucket h's chain; NONE when the table
 * or the chain is at its limit, or out of memory.
 */
static uint32_t table_append(struct table *t, uint32_t h)
{
	uint32_t i = t->n;

	if (t->n == t->limit || chain_full(t, h))
		return NONE;
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 256;
		void *p;

		if (cap > t->limit)
			cap = t->limit;
		p = realloc(t->items, (size_t)cap * t->size);
		if (!p)
			return NONE;
		t->items = p;
		t->cap = cap;
	}
	memset(table_at(t, i), 0, t->size);
	memcpy((char *)table_at(t, i) + t->next_offset, &t->heads[h & t->mask], sizeof(uint32_t));
	t->heads[h & t->mask] = i;
	t->n++;
	return i;
}

/* Item i out of bucket h's chain (it stays in the array). */
static void table_unlink(struct table *t, uint32_t h, uint32_t i)
{
	uint32_t *link = &t->heads[h & t->mask], j;

	while (*link != NONE && *link != i) {
		j = *link;
		link = (uint32_t *)((char *)table_at(t, j) + t->next_offset);
	}
	if (*link == i) {
		j = table_next(t, i);
		memcpy(link, &j, sizeof(j));
	}
}

static uint32_t addr_hash(const struct report *r, const struct addr_key *k)
{
	return key_hash(r, k, sizeof(*k));
}

static void addr_from(struct addr_key *k, int family, const uint8_t *bin)
{
	memset(k, 0, sizeof(*k));
	k->family = (uint8_t)family;
	memcpy(k->bin, bin, family == 6 ? 16 : 4);
}

static int same_addr(const void *item, const void *key)
{
	const struct addr_rec *a = item;

	return !memcmp(&a->key, key, sizeof(a->key));
}

/* The record of an address, added when new; NULL when the table is full. */
static struct addr_rec *addr_get(struct report *r, const struct addr_key *k, uint32_t *index)
{
	uint32_t h = addr_hash(r, k), i = table_find(&r->addrs, h, same_addr, k);
	struct addr_rec *a;

	if (i == NONE) {
		i = table_append(&r->addrs, h);
		if (i == NONE) {
			r->dropped_addresses++;
			return NULL;
		}
		a = table_at(&r->addrs, i);
		a->key = *k;
	}
	if (index)
		*index = i;
	return table_at(&r->addrs, i);
}

static uint32_t addr_role(struct report *r, const struct addr_key *k, uint32_t roles)
{
	uint32_t i = NONE;
	struct addr_rec *a = addr_get(r, k, &i);

	if (a)
		a->roles |= roles;
	return a ? i : NONE;
}

static struct addr_rec *addr_lookup(const struct report *r, const struct addr_key *k)
{
	uint32_t i = table_find(&r->addrs, addr_hash(r, k), same_addr, k);

	return i == NONE ? NULL : table_at(&r->addrs, i);
}

/* ---- frames ------------------------------------------------------------- */

static void stretch(uint64_t *first, uint64_t *last, uint64_t ts)
{
	if (!*first || ts < *first)
		*first = ts;
	if (ts > *last)
		*last = ts;
}

/* Fragments held back until their protocol was known, counted now. */
static void add_pending(struct report_proto_totals *t, const struct frag_slot *f)
{
	t->frames += f->pending_frames;
	t->bytes += f->pending_bytes;
	t->frames_in += f->pending_in;
	t->frames_out += f->pending_out;
	stretch(&t->first_ns, &t->last_ns, f->pending_first);
	stretch(&t->first_ns, &t->last_ns, f->pending_last);
}

static void proto_count(struct report *r, int p, uint64_t ts, enum decode_dir dir, uint64_t frames,
			uint64_t bytes)
{
	struct report_proto_totals *t = &r->proto[p];

	t->frames += frames;
	t->bytes += bytes;
	if (dir == DECODE_DIR_IN)
		t->frames_in += frames;
	else if (dir == DECODE_DIR_OUT)
		t->frames_out += frames;
	stretch(&t->first_ns, &t->last_ns, ts);
}

static enum report_proto classify(const struct decoded *d)
{
	switch (d->kind) {
	case DECODE_IKE:
		return d->ike.natt ? REPORT_NATT : REPORT_IKEV2;
	case DECODE_KEEPALIVE:
		return REPORT_NATT;
	case DECODE_ESP:
		return REPORT_ESP;
	case DECODE_TCP:
		if (d->has_ports && (d->sport == 443 || d->dport == 443))
			return REPORT_SSTP;
		return REPORT_OTHER;
	default:
		return REPORT_OTHER;
	}
}

/* ---- IP fragments --------------------------------------------------------- */

static struct frag_slot *frag_slot(struct report *r, const struct decoded *d, int *is_new)
{
	struct addr_key src, dst;
	uint8_t key[2 * sizeof(struct addr_key) + sizeof(d->frag_id)];
	struct frag_slot *f;

	addr_from(&src, d->family, d->src_bin);
	addr_from(&dst, d->family, d->dst_bin);
	memcpy(key, &src, sizeof(src));
	memcpy(key + sizeof(src), &dst, sizeof(dst));
	memcpy(key + 2 * sizeof(src), &d->frag_id, sizeof(d->frag_id));
	f = &r->frags[key_hash(r, key, sizeof(key)) % FRAG_SLOTS];
	*is_new = !f->used || f->id != d->frag_id || memcmp(&f->src, &src, sizeof(src)) ||
		  memcmp(&f->dst, &dst, sizeof(dst));
	if (!*is_new)
		return f;
	/* Evicted before its first fragment came: its frames stay "other". */
	if (f->used && f->proto < 0 && f->pending_frames) {
		r->dropped_fragments += f->pending_frames;
		proto_count(r, REPORT_OTHER, f->pending_first, DECODE_DIR_UNKNOWN, f->pending_frames,
			    f->pending_bytes);
		stretch(&r->proto[REPORT_OTHER].first_ns, &r->proto[REPORT_OTHER].last_ns,
			f->pending_last);
	}
	memset(f, 0, sizeof(*f));
	f->used = 1;
	f->src = src;
	f->dst = dst;
	f->id = d->frag_id;
	f->proto = -1;
	r->ip_frag_datagrams++;
	return f;
}

/* The first fragment (offset 0) names the datagram's protocol for the rest. */
static void frag_first(struct report *r, const struct decoded *d, enum report_proto p)
{
	int is_new;
	struct frag_slot *f = frag_slot(r, d, &is_new);

	if (f->proto >= 0)
		return;         /* the first fragment again: a retransmission */
	f->proto = p;
	if (d->kind == DECODE_IKE)
		r->ip_frag_ike++;
	if (f->pending_frames) {
		add_pending(&r->proto[p], f);
		f->pending_frames = 0;
	}
}

/* A later fragment has no ports: it counts where its first fragment did. */
static void frag_later(struct report *r, uint64_t ts, enum decode_dir dir, const struct decoded *d,
		       uint32_t origlen)
{
	int is_new;
	struct frag_slot *f = frag_slot(r, d, &is_new);

	if (f->proto >= 0) {
		proto_count(r, f->proto, ts, dir, 1, origlen);
		return;
	}
	f->pending_frames++;
	f->pending_bytes += origlen;
	f->pending_in += dir == DECODE_DIR_IN;
	f->pending_out += dir == DECODE_DIR_OUT;
	stretch(&f->pending_first, &f->pending_last, ts);
}

/* ---- IKE ---------------------------------------------------------------- */

static enum xchg xchg_index(uint8_t type)
{
	int x;

	for (x = 0; x < X_OTHER; x++)
		if (xchgs[x].type == type)
			return x;
	return X_OTHER;
}

static int same_spi(const void *item, const void *key)
{
	const struct ike_sa *sa = item;

	return sa->ispi == *(const uint64_t *)key;
}

static struct ike_sa *sa_get(struct report *r, uint64_t ispi, const struct addr_key *client,
			     const struct addr_key *server)
{
	uint32_t h = key_hash(r, &ispi, sizeof(ispi));
	uint32_t i = table_find(&r->sas, h, same_spi, &ispi);
	struct ike_sa *sa;

	if (i != NONE)
		return table_at(&r->sas, i);
	i = table_append(&r->sas, h);
	if (i == NONE) {
		r->dropped_sas++;
		return NULL;
	}
	sa = table_at(&r->sas, i);
	sa->ispi = ispi;
	sa->client = *client;
	sa->server = *server;
	return sa;
}

/*
 * What makes two frames the same message for retransmission counting:
 * (msg_id, request/response, exchange, fragment number) and the direction,
 * which flag I gives (the original initiator sent it, or not).
 */
static uint64_t msg_key(const struct decode_ike *k)
{
	return (uint64_t)k->msg_id | (uint64_t)k->exchange << 32 | (uint64_t)k->frag_num << 40 |
	       (uint64_t)(k->response ? 1 : 0) << 56 | (uint64_t)(k->initiator ? 1 : 0) << 57;
}

/* 1 when seen recently; otherwise remembered. */
static int sa_seen(struct ike_sa *sa, uint64_t key)
{
	unsigned int i, n = sa->nrecent < RETX_RING ? sa->nrecent : RETX_RING;

	for (i = 0; i < n; i++)
		if (sa->recent[i] == key)
			return 1;
	sa->recent[sa->nrecent++ % RETX_RING] = key;
	return 0;
}

static uint16_t error_notify(const struct decode_ike *k)
{
	unsigned int i;

	/* Types below 16384 are errors (RFC 7296 3.10.1). */
	for (i = 0; i < k->n_notify && i < DECODE_MAX_NOTIFY; i++)
		if (k->notify[i] && k->notify[i] < 16384)
			return k->notify[i];
	return 0;
}

/* A new message (not a retransmission) of an SA. */
static void sa_message(struct report *r, struct ike_sa *sa, const struct decode_ike *k,
		       int first_ip_fragment)
{
	enum xchg x = xchg_index(k->exchange);

	/* The fragments of one message count once, with the first. */
	if (k->frag_num <= 1) {
		if (k->response)
			sa->resp[x]++;
		else
			sa->req[x]++;
	}
	if (x == X_INIT && k->response)
		sa->init_error = error_notify(k);
	if (x != X_AUTH)
		return;
	if (k->response && k->msg_id >= sa->auth_resp_max) {
		sa->auth_resp_max = k->msg_id;
		sa->auth_resp_len = k->length;
		sa->auth_resp_big = k->frag_total > 1 || first_ip_fragment;
	}
	if (!k->response && k->msg_id > sa->auth_req_max)
		sa->auth_req_max = k->msg_id;
	if (k->frag_total > 1) {
		r->skf_fragments++;
		if (k->frag_total > sa->skf_total)
			sa->skf_total = k->frag_total;
		if (k->frag_num == 1) {
			sa->skf_messages++;
			r->skf_messages++;
		}
	}
	if (first_ip_fragment) {
		sa->ip_fragmented++;
		r->auth_ip_fragmented++;
	}
}

static void ike_add(struct report *r, uint64_t ts, const struct decoded *d)
{
	const struct decode_ike *k = &d->ike;
	struct addr_key src, dst;
	const struct addr_key *client, *server;
	struct ike_sa *sa;

	if (k->version >> 4 != 2) {
		r->ikev1_frames++;
		return;
	}
	if (!k->ispi || !d->family)
		return;
	addr_from(&src, d->family, d->src_bin);
	addr_from(&dst, d->family, d->dst_bin);
	/* Flag I marks every message of the original initiator: the client. */
	client = k->initiator ? &src : &dst;
	server = k->initiator ? &dst : &src;
	addr_role(r, client, k->natt ? ROLE_NATT_CLIENT : ROLE_IKE_CLIENT);
	sa = sa_get(r, k->ispi, client, server);
	if (!sa)
		return;
	stretch(&sa->first_ns, &sa->last_ns, ts);
	if (k->rspi)
		sa->rspi = k->rspi;
	sa->natt |= k->natt;
	sa->plain |= !k->natt;
	if (sa_seen(sa, msg_key(k))) {
		sa->retransmissions++;
		r->retransmissions++;
		return;
	}
	sa_message(r, sa, k, d->is_fragment && !d->frag_offset);
}

/*
 * The gateway refused the client's authentication: its last IKE_AUTH
 * response is too short to hold IDr and AUTH, so it holds only an
 * encrypted notify (AUTHENTICATION_FAILED, or another error).
 */
static int sa_auth_refused(const struct ike_sa *sa)
{
	return sa->resp[X_AUTH] && !sa->auth_resp_big && sa->auth_resp_len &&
	       sa->auth_resp_len < IKE_AUTH_REFUSED_LEN;
}

/* Established: an IKE_AUTH response to the last IKE_AUTH request (EAP takes several). */
static int sa_established(const struct ike_sa *sa)
{
	return sa->resp[X_AUTH] && (!sa->req[X_AUTH] || sa->auth_resp_max >= sa->auth_req_max) &&
	       !sa_auth_refused(sa);
}

enum sa_state { SA_ESTABLISHED, SA_INCOMPLETE, SA_UNKNOWN };

static enum sa_state sa_state(const struct ike_sa *sa, char *why, size_t len)
{
	const char *name;

	*why = 0;
	if (sa_established(sa))
		return SA_ESTABLISHED;
	if (sa_auth_refused(sa)) {
		snprintf(why, len, "IKE_AUTH refused (a %u-byte response: an encrypted error "
			 "notify such as AUTHENTICATION_FAILED)", sa->auth_resp_len);
	} else if (sa->req[X_AUTH]) {
		snprintf(why, len, "no IKE_AUTH response");
	} else if (sa->resp[X_INIT] && sa->init_error) {
		name = decode_ike_notify_name(sa->init_error);
		if (name)
			snprintf(why, len, "IKE_SA_INIT answered with %s", name);
		else
			snprintf(why, len, "IKE_SA_INIT answered with error %u", sa->init_error);
	} else if (sa->resp[X_INIT]) {
		snprintf(why, len, "no IKE_AUTH request");
	} else if (sa->req[X_INIT]) {
		snprintf(why, len, "no IKE_SA_INIT response");
	} else {
		snprintf(why, len, "began before the capture");
		return SA_UNKNOWN;
	}
	return SA_INCOMPLETE;
}

static const char *const sa_state_names[] = { "established", "incomplete", "unknown" };

/* ---- TCP 443 ------------------------------------------------------------ */

static uint32_t session_hash(const struct report *r, const struct tcp_session *k)
{
	uint8_t key[2 * sizeof(struct addr_key) + 2 * sizeof(uint16_t)];

	memcpy(key, &k->client, sizeof(k->client));
	memcpy(key + sizeof(k->client), &k->server, sizeof(k->server));
	memcpy(key + 2 * sizeof(k->client), &k->cport, sizeof(k->cport));
	memcpy(key + 2 * sizeof(k->client) + sizeof(k->cport), &k->sport, sizeof(k->sport));
	return key_hash(r, key, sizeof(key));
}

static int same_four_tuple(const void *item, const void *key)
{
	const struct tcp_session *s = item, *k = key;

	return s->cport == k->cport && s->sport == k->sport &&
	       !memcmp(&s->client, &k->client, sizeof(k->client)) &&
	       !memcmp(&s->server, &k->server, sizeof(k->server));
}

/* The latest session of a 4-tuple: new ones go to the head of the chain. */
static struct tcp_session *session_find(struct report *r, const struct tcp_session *k)
{
	uint32_t i = table_find(&r->sessions, session_hash(r, k), same_four_tuple, k);

	return i == NONE ? NULL : table_at(&r->sessions, i);
}

/*
 * A new session of k's 4-tuple. The one it follows (old, or NULL) leaves
 * the hash chain: lookups want the latest only, so a chain holds distinct
 * 4-tuples and a port used again and again does not lengthen it.
 */
static struct tcp_session *session_new(struct report *r, const struct tcp_session *k, uint64_t ts,
				       const struct tcp_session *old)
{
	uint32_t h = session_hash(r, k), prev = NONE, i;
	struct tcp_session *s;
	uint32_t next;

	if (old)        /* its index now: the array may move below */
		prev = (uint32_t)(((const char *)old - (const char *)r->sessions.items) / sizeof(*old));
	i = table_append(&r->sessions, h);
	if (i == NONE) {
		r->dropped_sessions++;
		return NULL;
	}
	if (prev != NONE)
		table_unlink(&r->sessions, h, prev);
	s = table_at(&r->sessions, i);
	next = s->next;
	*s = *k;
	s->next = next;
	s->start_ns = ts;
	conn_init(&s->obs, ts);
	s->client_addr = addr_role(r, &k->client, ROLE_SSTP_CLIENT);
	return s;
}

/*
 * The session a frame belongs to. A SYN from the client opens a new one
 * unless it repeats the SYN of a session not yet closed; a frame of a
 * 4-tuple never seen opens one too (it began before the capture).
 */
static struct tcp_session *session_of(struct report *r, const struct tcp_session *k,
				      const struct decoded *d, int to_server, uint64_t ts)
{
	int syn = to_server && (d->tcp.flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
	struct tcp_session *s = session_find(r, k);

	if (s && syn && (s->flags & (SES_SYN | SES_CLOSED)) == SES_SYN && s->syn_seq == d->tcp.seq)
		return s;
	if (s && !syn)
		return s;
	if (s && !(s->flags & SES_CLOSED)) {
		/* The port came back before we saw the old session end. */
		s->flags |= SES_CLOSED | SES_REPLACED;
		s->end_ns = s->last_ns;
	}
	s = session_new(r, k, ts, s);
	if (s && syn) {
		s->flags |= SES_SYN;
		s->syn_seq = d->tcp.seq;
	}
	return s;
}

static void tcp_add(struct report *r, uint64_t ts, const struct decoded *d, uint32_t origlen)
{
	int to_server = d->dport == 443;
	struct tcp_session k, *s;

	if (!d->family)
		return;
	memset(&k, 0, sizeof(k));
	addr_from(&k.client, d->family, to_server ? d->src_bin : d->dst_bin);
	addr_from(&k.server, d->family, to_server ? d->dst_bin : d->src_bin);
	k.cport = to_server ? d->sport : d->dport;
	k.sport = to_server ? d->dport : d->sport;
	s = session_of(r, &k, d, to_server, ts);
	if (!s)
		return;
	if (ts < s->start_ns)
		s->start_ns = ts;
	if (ts > s->last_ns)
		s->last_ns = ts;
	s->frames++;
	s->bytes += origlen;
	if (!to_server && (d->tcp.flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK))
		s->flags |= SES_SYNACK;
	if (d->tcp.payload_len) {
		s->data++;
		s->client_data += to_server;
	}
	if ((d->tcp.flags & (TCP_FIN | TCP_RST)) && !(s->flags & SES_CLOSED)) {
		s->flags |= SES_CLOSED | (d->tcp.flags & TCP_RST ? SES_RST : SES_FIN);
		s->end_ns = ts;
	}
	conn_frame(&s->obs, d, to_server, ts);
}

/* ---- UDP probes to 500 and 4500 -------------------------------------------- */

/* An answer comes within a second of its probe. */
#define UDP_ANSWER_NS NS
/* How far back an answer looks for its probe. */
#define UDP_ANSWER_LOOKBACK 256

static int is_ike_port(uint16_t port)
{
	return port == 500 || port == 4500;
}

static void udp_probe_add(struct report *r, uint64_t ts, const struct decoded *d)
{
	struct udp_probe *u;

	if (r->n_udp == r->cap_udp) {
		size_t cap = r->cap_udp ? r->cap_udp * 2 : 64;

		if (cap > r->lim.sessions)
			cap = r->lim.sessions;
		u = cap > r->cap_udp ? realloc(r->udp, cap * sizeof(*u)) : NULL;
		if (!u) {
			r->dropped_udp++;
			return;
		}
		r->udp = u;
		r->cap_udp = cap;
	}
	u = &r->udp[r->n_udp++];
	memset(u, 0, sizeof(*u));
	addr_from(&u->src, d->family, d->src_bin);
	addr_from(&u->dst, d->family, d->dst_bin);
	u->dport = d->dport;
	u->ts = ts;
}

/* The latest probe from `to` to `from` (port, when not 0) within a second; NULL if none. */
static struct udp_probe *udp_probe_of(struct report *r, const struct decoded *d, uint16_t port,
				      uint64_t ts)
{
	struct addr_key from, to;
	size_t i, n = 0;

	addr_from(&from, d->family, d->src_bin);
	addr_from(&to, d->family, d->dst_bin);
	for (i = r->n_udp; i-- > 0 && n++ < UDP_ANSWER_LOOKBACK;) {
		struct udp_probe *u = &r->udp[i];

		if (ts >= u->ts && ts - u->ts <= UDP_ANSWER_NS && (!port || u->dport == port) &&
		    !memcmp(&u->src, &to, sizeof(to)) && !memcmp(&u->dst, &from, sizeof(from)))
			return u;
	}
	return NULL;
}

/*
 * UDP to 500 or 4500 that is not IKE, a keepalive or ESP: a probe; UDP
 * from those ports answers one; ICMP port unreachable refuses one.
 */
static void udp_probe_frame(struct report *r, uint64_t ts, const struct decoded *d)
{
	int unreachable = d->kind == DECODE_ICMP && d->l4_complete &&
			  (d->family == 4 ? d->icmp_type == 3 && d->icmp_code == 3
					  : d->icmp_type == 1 && d->icmp_code == 4);
	struct udp_probe *u;

	if (!d->family)
		return;
	if (d->kind == DECODE_UDP && d->has_ports && is_ike_port(d->dport) &&
	    !is_ike_port(d->sport)) {
		udp_probe_add(r, ts, d);
	} else if (d->kind == DECODE_UDP && d->has_ports && is_ike_port(d->sport)) {
		u = udp_probe_of(r, d, d->sport, ts);
		if (u && u->answer == UDP_SILENT)
			u->answer = UDP_ANSWERED;
	} else if (unreachable) {
		u = udp_probe_of(r, d, 0, ts);
		if (u)
			u->answer = UDP_UNREACHABLE;
	}
}

/* ---- the frame ------------------------------------------------------------ */

void report_add(struct report *r, uint64_t ts, enum decode_dir dir, const struct decoded *d,
		uint32_t origlen)
{
	enum report_proto p;
	struct addr_key a;

	r->frames++;
	r->bytes += origlen;
	stretch(&r->first_ns, &r->last_ns, ts);
	timeline_note(&r->activity, ts);
	if (d->kind == DECODE_FRAGMENT && d->family) {
		frag_later(r, ts, dir, d, origlen);
		return;
	}
	p = classify(d);
	if (d->is_fragment && d->family)
		frag_first(r, d, p);
	proto_count(r, p, ts, dir, 1, origlen);
	switch (p) {
	case REPORT_IKEV2:
	case REPORT_NATT:
		if (d->kind == DECODE_IKE) {
			ike_add(r, ts, d);
		} else if (d->family) {
			addr_from(&a, d->family, d->src_bin);
			addr_role(r, &a, ROLE_KEEPALIVE);
		}
		break;
	case REPORT_ESP:
		if (!d->family)
			break;
		addr_from(&a, d->family, d->src_bin);
		addr_role(r, &a, ROLE_ESP_END);
		addr_from(&a, d->family, d->dst_bin);
		addr_role(r, &a, ROLE_ESP_END);
		break;
	case REPORT_SSTP:
		tcp_add(r, ts, d, origlen);
		break;
	default:
		udp_probe_frame(r, ts, d);
		break;
	}
}

/* ---- life cycle ------------------------------------------------------------ */

struct report *report_new_limited(const struct report_limits *lim)
{
	struct siphash_key key;

	siphash_key_random(&key);
	return report_new_keyed(lim, &key);
}

struct report *report_new_keyed(const struct report_limits *lim, const struct siphash_key *key)
{
	struct report *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->lim = *lim;
	r->key = *key;
	r->frags = calloc(FRAG_SLOTS, sizeof(*r->frags));
	if (!r->frags ||
	    table_init(&r->addrs, sizeof(struct addr_rec), offsetof(struct addr_rec, next),
		       lim->addresses) ||
	    table_init(&r->sas, sizeof(struct ike_sa), offsetof(struct ike_sa, next),
		       lim->ike_sas) ||
	    table_init(&r->sessions, sizeof(struct tcp_session),
		       offsetof(struct tcp_session, next), lim->sessions)) {
		report_free(r);
		return NULL;
	}
	return r;
}

struct report *report_new(void)
{
	return report_new_limited(&default_limits);
}

void report_free(struct report *r)
{
	if (!r)
		return;
	table_free(&r->addrs);
	table_free(&r->sas);
	table_free(&r->sessions);
	free(r->frags);
	health_free(&r->health);
	free(r->clients);
	free(r->splits);
	free(r->udp);
	while (r->n_gateways--) {
		report_free(r->gateways[r->n_gateways]);
		free(r->gateway_names[r->n_gateways]);
	}
	free(r->gateways);
	free(r->gateway_names);
	free(r);
}

int report_add_gateway(struct report *r, struct report *gw, const char *name)
{
	size_t n = r->n_gateways + 1;
	struct report **gws = realloc(r->gateways, n * sizeof(*gws));
	char **names;

	if (gws)
		r->gateways = gws;
	names = gws ? realloc(r->gateway_names, n * sizeof(*names)) : NULL;
	if (names)
		r->gateway_names = names;
	if (!names || !(names[n - 1] = strdup(name))) {
		report_free(gw);
		return -1;
	}
	gws[n - 1] = gw;
	r->n_gateways = n;
	return 0;
}

/* ---- totals over the whole capture ---------------------------------------- */

/* A session still open when the capture ended lasts until its last frame. */
static uint64_t session_end(const struct report *r, const struct tcp_session *s)
{
	uint64_t end = s->flags & SES_CLOSED ? s->end_ns : r->last_ns;

	return end > s->start_ns ? end : s->start_ns;
}

static int session_is_probe(const struct report *r, const struct tcp_session *s)
{
	const struct addr_rec *a;

	if (s->client_addr == NONE)
		return 0;
	a = table_at(&r->addrs, s->client_addr);
	return a->prober;
}

/* When a probe of a source to one backend came: for the source's pace. */
struct pace {
	uint32_t addr;
	struct addr_key server;
	uint16_t sport;
	uint64_t start;
};

static int cmp_pace(const void *pa, const void *pb)
{
	const struct pace *a = pa, *b = pb;
	int c;

	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	c = memcmp(&a->server, &b->server, sizeof(a->server));
	if (c)
		return c;
	if (a->sport != b->sport)
		return a->sport < b->sport ? -1 : 1;
	return a->start < b->start ? -1 : a->start > b->start;
}

/*
 * 1 when one source's entries [from, to) keep a regular pace: at least two
 * gaps between probes of one backend, their variance within PROBE_MAX_CV2
 * of their mean squared. *interval_s: the mean gap.
 */
static int regular_pace(const struct pace *p, size_t from, size_t to, double *interval_s)
{
	double sum = 0, sumsq = 0, mean, gap;
	uint32_t n = 0;
	size_t i;

	for (i = from + 1; i < to; i++) {
		if (memcmp(&p[i].server, &p[i - 1].server, sizeof(p[i].server)) ||
		    p[i].sport != p[i - 1].sport)
			continue;
		gap = (double)(p[i].start - p[i - 1].start) / 1e9;
		sum += gap;
		sumsq += gap * gap;
		n++;
	}
	mean = n ? sum / n : 0;
	*interval_s = mean;
	return n >= 2 && mean > 0 && sumsq / n - mean * mean <= PROBE_MAX_CV2 * mean * mean;
}

/* Candidates that do not keep a regular pace are clients. */
static void keep_regular_probers(struct report *r)
{
	struct pace *p = malloc((r->sessions.n ? r->sessions.n : 1) * sizeof(*p));
	size_t n = 0, i, start;
	uint32_t j;

	if (!p) {       /* out of memory at the end: everyone is a client, nobody is hidden */
		for (j = 0; j < r->addrs.n; j++)
			((struct addr_rec *)table_at(&r->addrs, j))->prober = 0;
		return;
	}
	for (j = 0; j < r->sessions.n; j++) {
		const struct tcp_session *s = table_at(&r->sessions, j);

		if (session_is_probe(r, s))
			p[n++] = (struct pace){ s->client_addr, s->server, s->sport, s->start_ns };
	}
	qsort(p, n, sizeof(*p), cmp_pace);
	for (start = 0; start < n; start = i) {
		for (i = start + 1; i < n && p[i].addr == p[start].addr; i++)
			;
		struct addr_rec *a = table_at(&r->addrs, p[start].addr);

		a->prober = regular_pace(p, start, i, &a->interval_s);
	}
	free(p);
}

/*
 * Load-balancer health probes: a source whose TCP 443 connections, at
 * least PROBE_MIN_SESSIONS of them, all have a probe's shape (connect and
 * close, one HTTP request, or a TLS handshake and one request), of which
 * at least one got its full answer, at a regular pace. A client that
 * stayed, sent more, or never once got an answer is never one: it is
 * counted as a client, with its failures.
 */
static void find_probers(struct report *r)
{
	struct probe_verdict v;
	uint32_t i;

	for (i = 0; i < r->addrs.n; i++) {
		struct addr_rec *a = table_at(&r->addrs, i);

		a->sessions = a->probe_like = a->answered = 0;
		a->first_start = a->last_start = 0;
		a->interval_s = 0;
	}
	for (i = 0; i < r->sessions.n; i++) {
		struct tcp_session *s = table_at(&r->sessions, i);
		struct addr_rec *a;

		s->probe_kind = conn_probe_kind(&s->obs, r->last_ns);
		if (s->client_addr == NONE)
			continue;
		a = table_at(&r->addrs, s->client_addr);
		a->sessions++;
		stretch(&a->first_start, &a->last_start, s->start_ns);
		if (s->probe_kind == PROBE_NOT)
			continue;
		a->probe_like++;
		conn_probe_verdict(&s->obs, s->probe_kind, r->last_ns, &v);
		a->answered += v.healthy || v.status;
	}
	for (i = 0; i < r->addrs.n; i++) {
		struct addr_rec *a = table_at(&r->addrs, i);

		a->prober = a->sessions >= PROBE_MIN_SESSIONS && a->probe_like == a->sessions &&
			    a->answered;
	}
	keep_regular_probers(r);
}

/* An IKE client's datagrams are never probes, whatever their pace. */
static int ike_client(const struct report *r, const struct addr_key *k)
{
	const struct addr_rec *a = addr_lookup(r, k);

	return a && (a->roles & (ROLE_IKE_CLIENT | ROLE_NATT_CLIENT | ROLE_ESP_END));
}

static void udp_verdict(const struct udp_probe *u, struct probe_verdict *v)
{
	memset(v, 0, sizeof(*v));
	if (u->answer == UDP_UNREACHABLE) {
		snprintf(v->why, sizeof(v->why), "ICMP port unreachable");
		return;
	}
	v->healthy = 1;
	v->inferred = u->answer == UDP_SILENT;
	snprintf(v->why, sizeof(v->why), "%s", u->answer == UDP_ANSWERED ? "answered"
				: "no ICMP unreachable (silence counts as up)");
}

/* One source's UDP datagrams [from, to) of p (sorted by source): probes when regular. */
static void udp_source(const struct report *r, const struct pace *p, size_t from, size_t to,
		       struct health_probe *out, size_t *n)
{
	double interval;
	size_t i;

	if (to - from < PROBE_MIN_SESSIONS || !regular_pace(p, from, to, &interval) ||
	    ike_client(r, &r->udp[p[from].addr].src))
		return;
	for (i = from; i < to; i++) {
		const struct udp_probe *u = &r->udp[p[i].addr];
		struct health_probe *h = &out[(*n)++];

		memset(h, 0, sizeof(*h));
		h->prober = u->src;
		h->backend = u->dst;
		h->port = u->dport;
		h->ts_ns = u->ts;
		h->kind = PROBE_UDP;
		udp_verdict(u, &h->verdict);
	}
}

static int cmp_pace_source(const void *pa, const void *pb, void *ctx)
{
	const struct pace *a = pa, *b = pb;
	const struct report *r = ctx;
	int c = memcmp(&r->udp[a->addr].src, &r->udp[b->addr].src, sizeof(struct addr_key));

	if (c)
		return c;
	c = memcmp(&a->server, &b->server, sizeof(a->server));
	if (c)
		return c;
	if (a->sport != b->sport)
		return a->sport < b->sport ? -1 : 1;
	return a->start < b->start ? -1 : a->start > b->start;
}

/* The UDP probes among the datagrams to 500 and 4500, appended to out. */
static void udp_probes(const struct report *r, struct health_probe *out, size_t *n)
{
	struct pace *p = malloc((r->n_udp ? r->n_udp : 1) * sizeof(*p));
	size_t i, start;

	if (!p)
		return;
	for (i = 0; i < r->n_udp; i++)  /* addr: the datagram's index */
		p[i] = (struct pace){ (uint32_t)i, r->udp[i].dst, r->udp[i].dport, r->udp[i].ts };
	qsort_r(p, r->n_udp, sizeof(*p), cmp_pace_source, (void *)r);
	for (start = 0; start < r->n_udp; start = i) {
		for (i = start + 1; i < r->n_udp && !memcmp(&r->udp[p[i].addr].src,
							    &r->udp[p[start].addr].src,
							    sizeof(struct addr_key)); i++)
			;
		udp_source(r, p, start, i, out, n);
	}
	free(p);
}

/* Every probe's verdict on its backend, judged per prober and per backend. */
static void judge_health(struct report *r)
{
	struct health_probe *p = malloc((r->sessions.n + r->n_udp + 1) * sizeof(*p));
	size_t n = 0;
	uint32_t i;

	health_free(&r->health);
	if (!p)
		return;
	for (i = 0; i < r->sessions.n; i++) {
		const struct tcp_session *s = table_at(&r->sessions, i);
		struct health_probe *h = &p[n];

		if (!session_is_probe(r, s))
			continue;
		memset(h, 0, sizeof(*h));
		h->prober = s->client;
		h->backend = s->server;
		h->port = s->sport;
		h->ts_ns = s->start_ns;
		h->kind = s->probe_kind;
		h->response_bytes = s->probe_kind == PROBE_TLS ? s->obs.answer_bytes : s->obs.server_bytes;
		conn_probe_verdict(&s->obs, s->probe_kind, r->last_ns, &h->verdict);
		n++;
	}
	udp_probes(r, p, &n);
	health_judge(p, n, &r->health);
	free(p);
}

/* ---- clients: their attempts and why each failed --------------------------- */

static const struct {
	const char *key, *text;
} fail_names[NFAIL] = {
	[F_TCP_REFUSED] = { "tcp_refused", NULL }, [F_TCP_TIMEOUT] = { "tcp_timeout", NULL },
	[F_TLS_ALERT] = { "tls_alert", NULL }, [F_TLS_RESET] = { "tls_reset", NULL },
	[F_NO_SSTP_RESPONSE] = { "no_sstp_response", NULL },
	[F_CLOSED_EARLY] = { "closed_early", NULL },
	[F_NO_INIT_RESPONSE] = { "no_init_response", "no IKE_SA_INIT response" },
	[F_INIT_ERROR] = { "init_error", "IKE_SA_INIT answered with an error" },
	[F_NO_AUTH_REQUEST] = { "no_auth_request", "no IKE_AUTH request after IKE_SA_INIT" },
	[F_NO_AUTH_RESPONSE] = { "no_auth_response", "no IKE_AUTH response" },
	[F_AUTH_FAILED] = { "auth_failed",
			    "IKE_AUTH refused (short encrypted response: AUTHENTICATION_FAILED or another error)" },
};

static const char *const client_proto_keys[NCP] = { "ikev2", "sstp" };
static const char *const client_proto_names[NCP] = { "IKEv2", "SSTP" };

/* "init_error:NO_PROPOSAL_CHOSEN" or "tls_reset". */
static const char *fail_key(char *buf, size_t len, enum fail_reason f, uint16_t notify)
{
	const char *name = decode_ike_notify_name(notify);

	if (f != F_INIT_ERROR)
		return fail_names[f].key;
	if (name)
		snprintf(buf, len, "init_error:%s", name);
	else
		snprintf(buf, len, "init_error:%u", notify);
	return buf;
}

static const char *fail_text(char *buf, size_t len, enum fail_reason f, uint16_t notify)
{
	const char *name = decode_ike_notify_name(notify);

	if (f <= F_CLOSED_EARLY)
		return conn_result_text((enum conn_result)(f + CONN_REFUSED));
	if (f != F_INIT_ERROR)
		return fail_names[f].text;
	if (name)
		snprintf(buf, len, "IKE_SA_INIT answered with %s", name);
	else
		snprintf(buf, len, "IKE_SA_INIT answered with error %u", notify);
	return buf;
}

/* An IKE SA's outcome for its client: a failure reason, or -1 (established), -2 (unknown). */
static int sa_fail_reason(const struct ike_sa *sa)
{
	if (sa_established(sa))
		return -1;
	if (sa_auth_refused(sa))
		return F_AUTH_FAILED;
	if (sa->req[X_AUTH])
		return F_NO_AUTH_RESPONSE;
	if (sa->resp[X_INIT])
		return sa->init_error ? F_INIT_ERROR : F_NO_AUTH_REQUEST;
	if (sa->req[X_INIT])
		return F_NO_INIT_RESPONSE;
	return -2;
}

/* A connection's result for its client: a failure reason, or -1 (connected), -2 (unknown). */
static int conn_fail_reason(enum conn_result c)
{
	if (c == CONN_OK)
		return -1;
	if (c == CONN_UNKNOWN)
		return -2;
	return (int)c - CONN_REFUSED + F_TCP_REFUSED;
}

static void client_attempt(struct client_stats *c, int reason, uint64_t first, uint64_t last)
{
	c->attempts++;
	stretch(&c->first_ns, &c->last_ns, first);
	stretch(&c->first_ns, &c->last_ns, last);
	if (reason == -1)
		c->successes++;
	else if (reason == -2)
		c->unknown++;
	else
		c->failures++, c->reasons[reason]++;
}


static int cmp_client(const void *pa, const void *pb, void *ctx)
{
	const struct client_ref *a = pa, *b = pb;
	const struct report *r = ctx;
	const struct addr_rec *ra = table_at(&r->addrs, a->addr), *rb = table_at(&r->addrs, b->addr);
	const struct client_stats *ca = &ra->clients[a->proto], *cb = &rb->clients[b->proto];
	int c;

	if (ca->failures != cb->failures)
		return ca->failures > cb->failures ? -1 : 1;
	c = memcmp(&ra->key, &rb->key, sizeof(ra->key));
	if (c)
		return c;
	return (int)a->proto - (int)b->proto;
}

/* Every client's attempts (IKE SAs, SSTP connections but probes), failing ones first. */
static void count_attempts(struct report *r)
{
	uint32_t i;
	int p;

	for (i = 0; i < r->addrs.n; i++)
		memset(((struct addr_rec *)table_at(&r->addrs, i))->clients, 0,
		       sizeof(((struct addr_rec *)0)->clients));
	for (i = 0; i < r->sessions.n; i++) {
		const struct tcp_session *s = table_at(&r->sessions, i);

		if (s->client_addr == NONE || session_is_probe(r, s))
			continue;
		client_attempt(&((struct addr_rec *)table_at(&r->addrs, s->client_addr))->clients[CP_SSTP],
			       conn_fail_reason(conn_result(&s->obs, r->last_ns)), s->start_ns,
			       session_end(r, s));
	}
	for (i = 0; i < r->sas.n; i++) {
		const struct ike_sa *sa = table_at(&r->sas, i);
		struct addr_rec *a = addr_lookup(r, &sa->client);

		if (!a)
			continue;
		client_attempt(&a->clients[CP_IKEV2], sa_fail_reason(sa), sa->first_ns, sa->last_ns);
		if (sa->init_error)
			a->clients[CP_IKEV2].init_error = sa->init_error;
	}
	free(r->clients);
	r->n_clients = 0;
	r->clients = malloc((r->addrs.n ? r->addrs.n : 1) * NCP * sizeof(*r->clients));
	if (!r->clients)
		return;
	for (i = 0; i < r->addrs.n; i++)
		for (p = 0; p < NCP; p++)
			if (((struct addr_rec *)table_at(&r->addrs, i))->clients[p].attempts)
				r->clients[r->n_clients++] = (struct client_ref){ i, (enum client_proto)p };
	qsort_r(r->clients, r->n_clients, sizeof(*r->clients), cmp_client, r);
}

static const struct client_stats *client_of(const struct report *r, const struct client_ref *c,
					    const struct addr_rec **a)
{
	*a = table_at(&r->addrs, c->addr);
	return &(*a)->clients[c->proto];
}

/* 1 when gateway g saw attempts of this client over this protocol. */
static int client_at_gateway(const struct report *r, size_t g, const struct addr_rec *a,
			     enum client_proto proto)
{
	const struct addr_rec *there = addr_lookup(r->gateways[g], &a->key);

	return there && there->clients[proto].attempts;
}

struct event {
	uint64_t t;
	int delta;
};

static int cmp_event(const void *pa, const void *pb)
{
	const struct event *a = pa, *b = pb;

	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	return a->delta - b->delta;     /* ends first: back to back is not concurrent */
}

static void sweep_step(const struct event *e, int64_t *cur, uint64_t *peak, uint64_t *peak_ns)
{
	*cur += e->delta;
	if (*cur > (int64_t)*peak) {
		*peak = (uint64_t)*cur;
		*peak_ns = e->t;
	}
}

/*
 * The peak of concurrent intervals (when first reached) and a series: the
 * most at once within each bucket of the layout (whose panels may leave
 * time out between them: what happens there counts for the peak only).
 * ev is sorted. An interval [start, end] ends at end + 1 ns, so one of a
 * single frame still counts.
 */
static void sweep(const struct event *ev, size_t n, const struct timeline_layout *l,
		  uint64_t *tl, uint64_t *peak, uint64_t *peak_ns)
{
	int64_t cur = 0;
	size_t e = 0;
	unsigned int b;

	*peak = *peak_ns = 0;
	for (b = 0; b < l->buckets; b++) {
		uint64_t from = timeline_bucket_start(l, b), to = timeline_bucket_end(l, b);
		int64_t most;

		for (; e < n && ev[e].t < from; e++)
			sweep_step(&ev[e], &cur, peak, peak_ns);
		for (most = cur; e < n && ev[e].t < to; e++) {
			sweep_step(&ev[e], &cur, peak, peak_ns);
			if (cur > most)
				most = cur;
		}
		tl[b] = most > 0 ? (uint64_t)most : 0;
	}
	for (; e < n; e++)
		sweep_step(&ev[e], &cur, peak, peak_ns);
}

/* Both series of one kind of interval: the JSON's (one axis), the chart's (panels). */
static void sweep_both(struct report *r, struct event *ev, size_t n,
		       const struct timeline_layout *axis, uint64_t *tl, uint64_t *tl_panel,
		       uint64_t *peak, uint64_t *peak_ns)
{
	qsort(ev, n, sizeof(*ev), cmp_event);
	sweep(ev, n, axis, tl, peak, peak_ns);
	sweep(ev, n, &r->tl_panels, tl_panel, peak, peak_ns);
}

static void add_interval(struct event *ev, size_t *n, uint64_t start, uint64_t end)
{
	ev[(*n)++] = (struct event){ start, 1 };
	ev[(*n)++] = (struct event){ end + 1, -1 };
}

/* SSTP sessions (probes excluded) and IKE SAs over time. */
static void concurrency(struct report *r)
{
	size_t most = 2 * (size_t)(r->sessions.n > r->sas.n ? r->sessions.n : r->sas.n), n = 0;
	struct event *ev = malloc((most ? most : 1) * sizeof(*ev));
	struct timeline_layout axis;
	uint32_t i;

	timeline_linear(r->first_ns, r->last_ns, TIMELINE_BUCKETS, &axis);
	r->tl_start = axis.panel[0].start_ns;
	r->tl_step = axis.panel[0].step_ns;
	timeline_layout(&r->activity, TIMELINE_BUCKETS, &r->tl_panels);
	if (!ev) {
		/* Out of memory at the very end: no peaks rather than no report. */
		memset(r->tl_sstp, 0, sizeof(r->tl_sstp));
		memset(r->tl_ike, 0, sizeof(r->tl_ike));
		memset(r->tl_panel_sstp, 0, sizeof(r->tl_panel_sstp));
		memset(r->tl_panel_ike, 0, sizeof(r->tl_panel_ike));
		return;
	}
	for (i = 0; i < r->sessions.n; i++) {
		const struct tcp_session *s = table_at(&r->sessions, i);

		if (!session_is_probe(r, s))
			add_interval(ev, &n, s->start_ns, session_end(r, s));
	}
	sweep_both(r, ev, n, &axis, r->tl_sstp, r->tl_panel_sstp, &r->sum.sstp_peak,
		   &r->sum.sstp_peak_ns);
	n = 0;
	/* Without decryption a Delete cannot be told from a liveness check:
	 * an established SA counts until the end of the capture. */
	for (i = 0; i < r->sas.n; i++) {
		const struct ike_sa *sa = table_at(&r->sas, i);

		add_interval(ev, &n, sa->first_ns, sa_established(sa) ? r->last_ns : sa->last_ns);
	}
	sweep_both(r, ev, n, &axis, r->tl_ike, r->tl_panel_ike, &r->ike_peak, &r->ike_peak_ns);
	free(ev);
}

/* Clients per protocol, from the roles each address played. */
static void count_clients(struct report *r, struct report_summary *s)
{
	uint32_t i;

	for (i = 0; i < r->addrs.n; i++) {
		const struct addr_rec *a = table_at(&r->addrs, i);
		int ike_client = !!(a->roles & (ROLE_IKE_CLIENT | ROLE_NATT_CLIENT));

		s->proto[REPORT_IKEV2].clients += !!(a->roles & ROLE_IKE_CLIENT);
		s->proto[REPORT_NATT].clients +=
			(a->roles & ROLE_NATT_CLIENT) || ((a->roles & ROLE_KEEPALIVE) && ike_client);
		s->proto[REPORT_ESP].clients += (a->roles & ROLE_ESP_END) && ike_client;
		if (a->prober) {
			s->probe_sources++;
			s->probe_sessions += a->sessions;
		} else if (a->sessions) {
			s->sstp_clients++;
		}
	}
	s->proto[REPORT_SSTP].clients = s->sstp_clients;
}

/* Later fragments whose first fragment never came are "other". */
static void pending_fragments(const struct report *r, struct report_summary *s)
{
	struct report_proto_totals *t = &s->proto[REPORT_OTHER];
	unsigned int i;

	for (i = 0; i < FRAG_SLOTS; i++) {
		const struct frag_slot *f = &r->frags[i];

		if (!f->used || f->proto >= 0 || !f->pending_frames)
			continue;
		add_pending(t, f);
		s->dropped_fragments += f->pending_frames;
	}
}

/* Rows of one backend (address and port) for several kinds of probes: the first counts. */
static int backend_seen_before(const struct health *h, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (!memcmp(&h->backends[j].addr, &h->backends[i].addr, sizeof(struct addr_key)) &&
		    h->backends[j].port == h->backends[i].port)
			return 1;
	return 0;
}

/* A backend is healthy when every kind of probe found it so at its last probe. */
static int backend_healthy(const struct health *h, size_t i)
{
	size_t j;

	for (j = 0; j < h->n_backends; j++)
		if (!memcmp(&h->backends[j].addr, &h->backends[i].addr, sizeof(struct addr_key)) &&
		    h->backends[j].port == h->backends[i].port && !h->backends[j].healthy_now)
			return 0;
	return 1;
}

static void sum_clients_and_health(const struct report *r, struct report_summary *s)
{
	const struct addr_rec *a;
	size_t i;

	for (i = 0; i < r->n_clients; i++) {
		const struct client_stats *c = client_of(r, &r->clients[i], &a);

		s->clients++;
		s->failing_clients += !!c->failures;
		s->client_attempts += c->attempts;
		s->client_failures += c->failures;
	}
	for (i = 0; i < r->health.n_backends; i++) {
		const struct health_backend *b = &r->health.backends[i];

		s->probes_healthy += b->healthy;
		s->probes_unhealthy += b->unhealthy;
		if (backend_seen_before(&r->health, i))
			continue;
		s->backends++;
		s->backends_unhealthy += !backend_healthy(&r->health, i);
	}
}

/* One IKE SA at one gateway: which of UDP 500 and 4500 it used there. */
struct sa_at {
	uint64_t ispi;
	struct addr_key client;
	size_t gw;
	int plain, natt;
};

static int cmp_sa_at(const void *pa, const void *pb)
{
	const struct sa_at *a = pa, *b = pb;

	if (a->ispi != b->ispi)
		return a->ispi < b->ispi ? -1 : 1;
	return a->gw < b->gw ? -1 : a->gw > b->gw;
}

/* The SA's 500 at one gateway, its 4500 only at another: the balancer split the client. */
static void split_of(struct report *r, const struct sa_at *p, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (!p[i].plain || p[i].natt)
			continue;
		for (j = 0; j < n; j++) {
			if (j == i || !p[j].natt || p[j].plain)
				continue;
			r->splits[r->n_splits++] = (struct ike_split){ p[i].client, p[i].ispi,
								       p[i].gw, p[j].gw };
			return;
		}
	}
}

static void find_ike_splits(struct report *r)
{
	size_t n = 0, i, g, start;
	struct sa_at *p;

	free(r->splits);
	r->splits = NULL;
	r->n_splits = 0;
	for (g = 0; g < r->n_gateways; g++)
		n += r->gateways[g]->sas.n;
	if (r->n_gateways < 2 || !n)
		return;
	p = malloc(n * sizeof(*p));
	r->splits = malloc(n * sizeof(*r->splits));
	if (!p || !r->splits) {
		free(p);
		return;
	}
	n = 0;
	for (g = 0; g < r->n_gateways; g++) {
		const struct report *gw = r->gateways[g];

		for (i = 0; i < gw->sas.n; i++) {
			const struct ike_sa *sa = table_at(&gw->sas, i);

			p[n++] = (struct sa_at){ sa->ispi, sa->client, g, sa->plain, sa->natt };
		}
	}
	qsort(p, n, sizeof(*p), cmp_sa_at);
	for (start = 0; start < n; start = i) {
		for (i = start + 1; i < n && p[i].ispi == p[start].ispi; i++)
			;
		if (i - start > 1)
			split_of(r, p + start, i - start);
	}
	free(p);
}

static void finish(struct report *r)
{
	struct report_summary *s = &r->sum;
	char why[96];
	uint32_t i;

	memset(s, 0, sizeof(*s));
	s->frames = r->frames;
	s->bytes = r->bytes;
	s->first_ns = r->first_ns;
	s->last_ns = r->last_ns;
	memcpy(s->proto, r->proto, sizeof(s->proto));
	for (i = 0; i < REPORT_NPROTO; i++)
		s->proto[i].clients = 0;
	s->ikev1_frames = r->ikev1_frames;
	find_probers(r);
	count_clients(r, s);
	s->sstp_sessions = r->sessions.n - s->probe_sessions;
	s->ike_sas = r->sas.n;
	for (i = 0; i < r->sas.n; i++) {
		switch (sa_state(table_at(&r->sas, i), why, sizeof(why))) {
		case SA_ESTABLISHED:
			s->ike_established++;
			break;
		case SA_INCOMPLETE:
			s->ike_incomplete++;
			break;
		default:
			s->ike_unknown++;
		}
	}
	s->ike_retransmissions = r->retransmissions;
	s->ike_auth_skf_messages = r->skf_messages;
	s->ike_auth_skf_fragments = r->skf_fragments;
	s->ike_auth_ip_fragmented = r->auth_ip_fragmented;
	s->ip_fragmented_datagrams = r->ip_frag_datagrams;
	s->ip_fragmented_ike = r->ip_frag_ike;
	s->dropped_addresses = r->dropped_addresses;
	s->dropped_sas = r->dropped_sas;
	s->dropped_sessions = r->dropped_sessions;
	s->dropped_fragments = r->dropped_fragments;
	pending_fragments(r, s);
	concurrency(r);
	judge_health(r);
	count_attempts(r);
	sum_clients_and_health(r, s);
	for (i = 0; i < r->n_gateways; i++)
		finish(r->gateways[i]);
	find_ike_splits(r);
	s->ike_splits = r->n_splits;
}

void report_summarize(struct report *r, struct report_summary *s)
{
	finish(r);
	*s = r->sum;
}

/* ---- formatting ------------------------------------------------------------ */

/* UTC, ISO 8601: milliseconds for people, nanoseconds for JSON. "-" for none. */
static const char *fmt_time(char *buf, size_t len, uint64_t ns, int nanos)
{
	time_t sec = (time_t)(ns / NS);
	struct tm tm;
	size_t n;

	if (!ns || !gmtime_r(&sec, &tm))
		return "-";
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (nanos)
		snprintf(buf + n, len - n, ".%09" PRIu64 "Z", ns % NS);
	else
		snprintf(buf + n, len - n, ".%03" PRIu64 "Z", ns % NS / 1000000);
	return buf;
}

static const char *fmt_addr(char *buf, size_t len, const struct addr_key *k)
{
	if (!inet_ntop(k->family == 6 ? AF_INET6 : AF_INET, k->bin, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

static double seconds(uint64_t ns)
{
	return (double)ns / 1e9;
}

/* "IKE_SA_INIT 1/1, IKE_AUTH 1/1": requests/responses of each exchange seen. */
static const char *fmt_exchanges(char *buf, size_t len, const struct ike_sa *sa)
{
	size_t n = 0;
	int x;

	buf[0] = 0;
	for (x = 0; x < NXCHG && n < len; x++) {
		if (!sa->req[x] && !sa->resp[x])
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s %u/%u", n ? ", " : "", xchgs[x].name,
				      sa->req[x], sa->resp[x]);
	}
	return n ? buf : "-";
}

/* How the SA's IKE_AUTH messages were fragmented: "SKF 4", "IP", "SKF 4, IP", "-". */
static const char *fmt_frag(char *buf, size_t len, const struct ike_sa *sa)
{
	if (sa->skf_messages && sa->ip_fragmented)
		snprintf(buf, len, "SKF %u, IP", sa->skf_total);
	else if (sa->skf_messages)
		snprintf(buf, len, "SKF %u", sa->skf_total);
	else
		snprintf(buf, len, "%s", sa->ip_fragmented ? "IP" : "-");
	return buf;
}

static const char *session_end_name(const struct tcp_session *s)
{
	if (s->flags & SES_RST)
		return "RST";
	if (s->flags & SES_FIN)
		return "FIN";
	if (s->flags & SES_REPLACED)
		return "reused";
	return "open";
}

/* ---- text ------------------------------------------------------------------ */

static void text_protocols(const struct report *r, FILE *out)
{
	const struct report_summary *s = &r->sum;
	char a[40], b[40];
	int p;

	fprintf(out, "%-8s %12s %15s %8s  %-24s  %s\n", "protocol", "frames", "bytes", "clients",
		"first", "last");
	for (p = 0; p < REPORT_NPROTO; p++) {
		const struct report_proto_totals *t = &s->proto[p];

		if (p == REPORT_OTHER && !t->frames)
			continue;
		fprintf(out, "%-8s %12" PRIu64 " %15" PRIu64 " ", proto_names[p], t->frames, t->bytes);
		if (p == REPORT_OTHER)
			fprintf(out, "%8s", "-");
		else
			fprintf(out, "%8" PRIu64, t->clients);
		fprintf(out, "  %-24s  %s\n", fmt_time(a, sizeof(a), t->first_ns, 0),
			fmt_time(b, sizeof(b), t->last_ns, 0));
	}
	if (s->ikev1_frames)
		fprintf(out, "(%" PRIu64 " IKEv1 frames are counted above but not followed as SAs)\n",
			s->ikev1_frames);
}

static void text_sa_row(const struct ike_sa *sa, FILE *out)
{
	char c[INET6_ADDRSTRLEN], sv[INET6_ADDRSTRLEN], x[160], f[24], why[96];
	enum sa_state st = sa_state(sa, why, sizeof(why));

	fprintf(out, "  %016" PRIx64 "/%016" PRIx64 "  %-15s %-15s %-11s %5u  %-9s %s\n", sa->ispi,
		sa->rspi, fmt_addr(c, sizeof(c), &sa->client), fmt_addr(sv, sizeof(sv), &sa->server),
		sa_state_names[st], sa->retransmissions, fmt_frag(f, sizeof(f), sa),
		fmt_exchanges(x, sizeof(x), sa));
}

static void text_ike(const struct report *r, FILE *out)
{
	const struct report_summary *s = &r->sum;
	char c[INET6_ADDRSTRLEN], sv[INET6_ADDRSTRLEN], t[40], why[96];
	uint32_t i, shown = 0;

	fprintf(out, "\nIKE SAs: %" PRIu64 " (established %" PRIu64 ", incomplete %" PRIu64
		", began before the capture %" PRIu64 "); retransmissions %" PRIu64
		"; peak %" PRIu64 " at once\n",
		s->ike_sas, s->ike_established, s->ike_incomplete, s->ike_unknown,
		s->ike_retransmissions, r->ike_peak);
	if (s->ike_sas)
		fprintf(out, "  %-33s  %-15s %-15s %-11s %5s  %-9s %s\n", "ispi/rspi", "client",
			"server", "state", "retx", "frag", "exchanges (requests/responses)");
	for (i = 0; i < r->sas.n && i < TEXT_MAX_ROWS; i++)
		text_sa_row(table_at(&r->sas, i), out);
	if (r->sas.n > TEXT_MAX_ROWS)
		fprintf(out, "  ... and %u more (--json lists all)\n", r->sas.n - TEXT_MAX_ROWS);

	fprintf(out, "Handshakes that never completed: %" PRIu64 "\n", s->ike_incomplete);
	for (i = 0; i < r->sas.n; i++) {
		const struct ike_sa *sa = table_at(&r->sas, i);

		if (sa_state(sa, why, sizeof(why)) != SA_INCOMPLETE)
			continue;
		if (shown++ == TEXT_MAX_ROWS) {
			fprintf(out, "  ... and more (--json lists all)\n");
			break;
		}
		fprintf(out, "  %016" PRIx64 "  %s -> %s  %s (first seen %s)\n", sa->ispi,
			fmt_addr(c, sizeof(c), &sa->client), fmt_addr(sv, sizeof(sv), &sa->server),
			why, fmt_time(t, sizeof(t), sa->first_ns, 0));
	}
	fprintf(out, "Fragmented IKE_AUTH: %" PRIu64 " messages in IKEv2 fragments (SKF, %" PRIu64
		" fragments), %" PRIu64 " in IP fragments; IP-fragmented datagrams: %" PRIu64
		" (IKE %" PRIu64 ")\n",
		s->ike_auth_skf_messages, s->ike_auth_skf_fragments, s->ike_auth_ip_fragmented,
		s->ip_fragmented_datagrams, s->ip_fragmented_ike);
}

/* "address:port" of a session end. */
static const char *fmt_endpoint(char *buf, size_t len, const struct addr_key *k, uint16_t port)
{
	char a[INET6_ADDRSTRLEN];

	snprintf(buf, len, k->family == 6 ? "[%s]:%u" : "%s:%u", fmt_addr(a, sizeof(a), k), port);
	return buf;
}

/* Columns as wide as the widest endpoint shown: IPv4 tables stay narrow. */
static int endpoint_width(const struct report *r)
{
	char e[INET6_ADDRSTRLEN + 8];
	uint32_t i, shown = 0;
	int w = 15;

	for (i = 0; i < r->sessions.n && shown < TEXT_MAX_ROWS; i++) {
		const struct tcp_session *s = table_at(&r->sessions, i);
		int n;

		if (session_is_probe(r, s))
			continue;
		shown++;
		n = (int)strlen(fmt_endpoint(e, sizeof(e), &s->client, s->cport));
		w = n > w ? n : w;
		n = (int)strlen(fmt_endpoint(e, sizeof(e), &s->server, s->sport));
		w = n > w ? n : w;
	}
	return w;
}

static void text_sessions(const struct report *r, FILE *out)
{
	char c[INET6_ADDRSTRLEN + 8], sv[INET6_ADDRSTRLEN + 8], t[40];
	uint32_t i, shown = 0;
	int w = endpoint_width(r);

	if (r->sum.sstp_sessions)
		fprintf(out, "  %-*s %-*s %-24s %12s %12s  %s\n", w, "client", w, "server", "start",
			"duration", "bytes", "end");
	for (i = 0; i < r->sessions.n; i++) {
		const struct tcp_session *s = table_at(&r->sessions, i);

		if (session_is_probe(r, s))
			continue;
		if (shown++ == TEXT_MAX_ROWS) {
			fprintf(out, "  ... and %" PRIu64 " more (--json lists all)\n",
				r->sum.sstp_sessions - TEXT_MAX_ROWS);
			break;
		}
		fprintf(out, "  %-*s %-*s %-24s %10.3f s %12" PRIu64 "  %s\n",
			w, fmt_endpoint(c, sizeof(c), &s->client, s->cport),
			w, fmt_endpoint(sv, sizeof(sv), &s->server, s->sport),
			fmt_time(t, sizeof(t), s->start_ns, 0),
			seconds(session_end(r, s) - s->start_ns), s->bytes, session_end_name(s));
	}
}

static double probe_interval(const struct addr_rec *a)
{
	return a->interval_s;
}

static void text_probes(const struct report *r, FILE *out)
{
	char a1[INET6_ADDRSTRLEN], t1[40], t2[40];
	uint32_t i;

	fprintf(out, "Health probes (short repeated TCP 443 connections; not counted above): %" PRIu64
		" sources, %" PRIu64 " sessions\n", r->sum.probe_sources, r->sum.probe_sessions);
	if (r->sum.probe_sources)
		fprintf(out, "  %-15s %8s %12s  %-24s  %s\n", "source", "sessions", "interval",
			"first", "last");
	for (i = 0; i < r->addrs.n; i++) {
		const struct addr_rec *a = table_at(&r->addrs, i);

		if (!a->prober)
			continue;
		fprintf(out, "  %-15s %8u %10.3f s  %-24s  %s\n", fmt_addr(a1, sizeof(a1), &a->key),
			a->sessions, probe_interval(a), fmt_time(t1, sizeof(t1), a->first_start, 0),
			fmt_time(t2, sizeof(t2), a->last_start, 0));
	}
}

static void text_sstp(const struct report *r, FILE *out)
{
	const struct report_summary *s = &r->sum;
	char t[40];

	fprintf(out, "\nSSTP (TCP 443): %" PRIu64 " sessions from %" PRIu64 " clients; peak %" PRIu64
		" concurrent at %s (Azure SSTP gateway limit: %d)\n",
		s->sstp_sessions, s->sstp_clients, s->sstp_peak,
		fmt_time(t, sizeof(t), s->sstp_peak_ns, 0), REPORT_AZURE_SSTP_LIMIT);
	if (s->sstp_peak > REPORT_AZURE_SSTP_LIMIT)
		fprintf(out, "warning: peak of %" PRIu64 " concurrent SSTP sessions is above the "
			"Azure SSTP gateway limit of %d\n", s->sstp_peak, REPORT_AZURE_SSTP_LIMIT);
	text_sessions(r, out);
	text_probes(r, out);
}

/* "4x reset or closed during the TLS handshake; 1x TCP refused" */
static const char *reasons_line(char *line, size_t len, const struct client_stats *c)
{
	size_t used = 0;
	char buf[96];
	int f;

	line[0] = '\0';
	for (f = 0; f < NFAIL && used < len; f++)
		if (c->reasons[f])
			used += (size_t)snprintf(line + used, len - used, "%s%ux %s", used ? "; " : "",
						 c->reasons[f], fail_text(buf, sizeof(buf),
									  (enum fail_reason)f, c->init_error));
	if (c->unknown && used < len)
		snprintf(line + used, len - used, "%s%u unknown (began before the capture or still "
			 "opening)", used ? "; " : "", c->unknown);
	return line;
}

/* " (at gw1:eth0, gw2:eth0)" when there are gateways. */
static void text_client_gateways(const struct report *r, const struct addr_rec *a,
				 enum client_proto proto, FILE *out)
{
	size_t g;
	int n = 0;

	for (g = 0; g < r->n_gateways; g++)
		if (client_at_gateway(r, g, a, proto))
			fprintf(out, "%s%s", n++ ? ", " : " (at ", r->gateway_names[g]);
	if (n)
		fputc(')', out);
}

static void text_clients(const struct report *r, FILE *out)
{
	const struct report_summary *s = &r->sum;
	char a1[INET6_ADDRSTRLEN], line[600];
	const struct addr_rec *a;
	size_t i;

	fprintf(out, "Clients: %" PRIu64 " (by address and protocol), %" PRIu64 " failing; %" PRIu64
		" attempts, %" PRIu64 " failed (load-balancer probes not included)\n", s->clients,
		s->failing_clients, s->client_attempts, s->client_failures);
	if (!r->n_clients)
		return;
	fprintf(out, "  %-39s %-5s %8s %5s %6s  %s\n", "client", "proto", "attempts", "ok", "failed",
		"why they failed");
	for (i = 0; i < r->n_clients && i < TEXT_MAX_ROWS; i++) {
		const struct client_stats *c = client_of(r, &r->clients[i], &a);

		fprintf(out, "  %-39s %-5s %8u %5u %6u  %s", fmt_addr(a1, sizeof(a1), &a->key),
			client_proto_names[r->clients[i].proto], c->attempts, c->successes, c->failures,
			reasons_line(line, sizeof(line), c));
		text_client_gateways(r, a, r->clients[i].proto, out);
		fputc('\n', out);
	}
	if (r->n_clients > TEXT_MAX_ROWS)
		fprintf(out, "  ... %zu more (--json lists all)\n", r->n_clients - TEXT_MAX_ROWS);
}

static void text_health_probers(const struct health *h, FILE *out)
{
	char a1[INET6_ADDRSTRLEN];
	size_t i;

	fprintf(out, "  %-39s %-4s %6s %7s %9s %8s %10s\n", "prober", "kind", "probes", "healthy",
		"unhealthy", "backends", "interval");
	for (i = 0; i < h->n_probers && i < TEXT_MAX_ROWS; i++) {
		const struct health_prober *p = &h->probers[i];

		fprintf(out, "  %-39s %-4s %6u %7u %9u %8u %8.3f s%s\n",
			fmt_addr(a1, sizeof(a1), &p->addr), probe_kind_name(p->kind), p->probes,
			p->healthy, p->unhealthy, p->backends, p->interval_s,
			p->inferred ? "  (inside TLS: judged by shape, inferred)" : "");
	}
}

static void text_backend_changes(const struct health_backend *b, FILE *out)
{
	char t[40];
	uint32_t i;

	for (i = 0; i < b->n_changes && i < HEALTH_MAX_CHANGES; i++)
		fprintf(out, "      %s became %s (%s)\n", fmt_time(t, sizeof(t), b->changes[i].ts_ns, 0),
			b->changes[i].healthy ? "healthy" : "unhealthy", b->changes[i].why);
	if (b->n_changes > HEALTH_MAX_CHANGES)
		fprintf(out, "      ... %u more changes\n", b->n_changes - HEALTH_MAX_CHANGES);
}

static void text_health_backends(const struct health *h, FILE *out)
{
	char a1[80];
	size_t i;

	fprintf(out, "  %-45s %-4s %6s %7s %9s  %-9s  %s\n", "backend", "kind", "probes", "healthy",
		"unhealthy", "now", "last probe");
	for (i = 0; i < h->n_backends && i < TEXT_MAX_ROWS; i++) {
		const struct health_backend *b = &h->backends[i];

		fprintf(out, "  %-45s %-4s %6u %7u %9u  %-9s  %s%s",
			fmt_endpoint(a1, sizeof(a1), &b->addr, b->port), probe_kind_name(b->kind), b->probes, b->healthy, b->unhealthy, b->healthy_now ? "healthy" : "UNHEALTHY",
			b->last_why, b->last_inferred ? " (inferred)" : "");
		if (b->inferred && b->median_response_bytes)
			fprintf(out, "; answers of %" PRIu64 " bytes", b->median_response_bytes);
		fputc('\n', out);
		text_backend_changes(b, out);
	}
}

static void text_health(const struct report *r, FILE *out)
{
	const struct report_summary *s = &r->sum;

	fprintf(out, "\nLoad-balancer health: %zu probers, %" PRIu64 " backends (%" PRIu64
		" unhealthy at their last probe); %" PRIu64 " probes, %" PRIu64 " unhealthy\n",
		r->health.n_probers, s->backends, s->backends_unhealthy,
		s->probes_healthy + s->probes_unhealthy, s->probes_unhealthy);
	if (!r->health.n_probers)
		return;
	text_health_probers(&r->health, out);
	text_health_backends(&r->health, out);
	if (r->health.tls_sizes_differ)
		fputs("  note: backends answer the TLS probes with different sizes: they may "
		      "answer with different statuses (not visible inside TLS)\n", out);
}

static void text_gateways(const struct report *r, FILE *out)
{
	size_t i;

	if (!r->n_gateways)
		return;
	fprintf(out, "Gateways: %zu\n  %-32s %9s %7s %11s %8s %7s %7s %9s\n", r->n_gateways,
		"gateway", "frames", "IKE SAs", "established", "SSTP", "clients", "failing",
		"unhealthy");
	for (i = 0; i < r->n_gateways; i++) {
		const struct report_summary *g = &r->gateways[i]->sum;

		fprintf(out, "  %-32s %9" PRIu64 " %7" PRIu64 " %11" PRIu64 " %8" PRIu64 " %7" PRIu64
			" %7" PRIu64 " %9s\n", r->gateway_names[i], g->frames, g->ike_sas,
			g->ike_established, g->sstp_sessions, g->clients, g->failing_clients,
			g->backends_unhealthy ? "yes" : g->backends ? "no" : "-");
	}
	fputc('\n', out);
}

static void text_splits(const struct report *r, FILE *out)
{
	char a1[INET6_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < r->n_splits; i++) {
		const struct ike_split *sp = &r->splits[i];

		fprintf(out, "warning: IKEv2 client %s (ispi 0x%016" PRIx64 "): UDP 500 reached %s, "
			"UDP 4500 reached %s; the load balancer must keep a client's UDP 500 and 4500 "
			"on one gateway (source-IP affinity)\n",
			fmt_addr(a1, sizeof(a1), &sp->client), sp->ispi,
			r->gateway_names[sp->gw_500], r->gateway_names[sp->gw_4500]);
	}
	if (r->n_splits)
		fputc('\n', out);
}

static void text_limits(const struct report_summary *s, FILE *out)
{
	if (!s->dropped_addresses && !s->dropped_sas && !s->dropped_sessions && !s->dropped_fragments)
		return;
	fprintf(out, "\nLimits hit (frames counted in their protocol, but not followed): "
		"addresses %" PRIu64 ", IKE SAs %" PRIu64 ", TCP 443 sessions %" PRIu64
		", IP fragments with no first fragment %" PRIu64 "\n",
		s->dropped_addresses, s->dropped_sas, s->dropped_sessions, s->dropped_fragments);
}

int report_print_text(struct report *r, FILE *out)
{
	char a[40], b[40];

	finish(r);
	fprintf(out, "vpncap report: %" PRIu64 " frames, %" PRIu64 " bytes, %s to %s (%.3f s)\n\n",
		r->sum.frames, r->sum.bytes, fmt_time(a, sizeof(a), r->first_ns, 0),
		fmt_time(b, sizeof(b), r->last_ns, 0), seconds(r->last_ns - r->first_ns));
	text_gateways(r, out);
	text_splits(r, out);
	text_clients(r, out);
	text_health(r, out);
	fputc('\n', out);
	text_protocols(r, out);
	text_ike(r, out);
	text_sstp(r, out);
	text_limits(&r->sum, out);
	return fflush(out) || ferror(out) ? -1 : 0;
}

/* ---- JSON ------------------------------------------------------------------ */

/* "KEY": "ISO time", "KEY_ns": ns (null and 0 when none). */
static void json_time(FILE *out, const char *key, uint64_t ns)
{
	char t[40];

	fprintf(out, "\"%s\": ", key);
	if (ns)
		json_string(out, fmt_time(t, sizeof(t), ns, 1));
	else
		fputs("null", out);
	fprintf(out, ", \"%s_ns\": %" PRIu64, key, ns);
}

static void json_addr(FILE *out, const char *key, const struct addr_key *k)
{
	char a[INET6_ADDRSTRLEN];

	fprintf(out, "\"%s\": ", key);
	json_string(out, fmt_addr(a, sizeof(a), k));
}

static void json_protocols(const struct report *r, FILE *out)
{
	int p;

	fputs("  \"protocols\": {\n", out);
	for (p = 0; p < REPORT_NPROTO; p++) {
		const struct report_proto_totals *t = &r->sum.proto[p];

		fprintf(out, "    \"%s\": {\"frames\": %" PRIu64 ", \"bytes\": %" PRIu64
			", \"frames_in\": %" PRIu64 ", \"frames_out\": %" PRIu64
			", \"clients\": %" PRIu64 ", ",
			proto_keys[p], t->frames, t->bytes, t->frames_in, t->frames_out, t->clients);
		json_time(out, "first", t->first_ns);
		fputs(", ", out);
		json_time(out, "last", t->last_ns);
		fprintf(out, "}%s\n", p + 1 < REPORT_NPROTO ? "," : "");
	}
	fputs("  },\n", out);
}

static void json_ike_totals(const struct report *r, FILE *out)
{
	const struct report_summary *s = &r->sum;

	fprintf(out, "  \"ike\": {\"sas\": %" PRIu64 ", \"established\": %" PRIu64
		", \"incomplete\": %" PRIu64 ", \"unknown\": %" PRIu64
		", \"retransmissions\": %" PRIu64 ", \"ikev1_frames\": %" PRIu64
		", \"peak_concurrent\": %" PRIu64 ", ",
		s->ike_sas, s->ike_established, s->ike_incomplete, s->ike_unknown,
		s->ike_retransmissions, s->ikev1_frames, r->ike_peak);
	json_time(out, "peak_time", r->ike_peak_ns);
	fputs("},\n", out);
	fprintf(out, "  \"ike_fragmentation\": {\"ike_auth_skf_messages\": %" PRIu64
		", \"ike_auth_skf_fragments\": %" PRIu64 ", \"ike_auth_ip_fragmented\": %" PRIu64
		", \"ip_fragmented_datagrams\": %" PRIu64 ", \"ip_fragmented_ike\": %" PRIu64 "},\n",
		s->ike_auth_skf_messages, s->ike_auth_skf_fragments, s->ike_auth_ip_fragmented,
		s->ip_fragmented_datagrams, s->ip_fragmented_ike);
}

static void json_sa(const struct ike_sa *sa, FILE *out)
{
	char why[96];
	enum sa_state st = sa_state(sa, why, sizeof(why));
	int x, n = 0;

	fprintf(out, "    {\"ispi\": \"%016" PRIx64 "\", \"rspi\": \"%016" PRIx64 "\", ", sa->ispi,
		sa->rspi);
	json_addr(out, "client", &sa->client);
	fputs(", ", out);
	json_addr(out, "server", &sa->server);
	fprintf(out, ", \"state\": \"%s\", \"reason\": ", sa_state_names[st]);
	json_string(out, why);
	fprintf(out, ", \"natt\": %s, \"retransmissions\": %u, \"skf_messages\": %u"
		", \"skf_fragments\": %u, \"ip_fragmented\": %u, ",
		sa->natt ? "true" : "false", sa->retransmissions, sa->skf_messages, sa->skf_total,
		sa->ip_fragmented);
	json_time(out, "first", sa->first_ns);
	fputs(", ", out);
	json_time(out, "last", sa->last_ns);
	fputs(", \"exchanges\": {", out);
	for (x = 0; x < NXCHG; x++) {
		if (!sa->req[x] && !sa->resp[x])
			continue;
		fprintf(out, "%s\"%s\": {\"requests\": %u, \"responses\": %u}", n++ ? ", " : "",
			xchgs[x].name, sa->req[x], sa->resp[x]);
	}
	fputs("}}", out);
}

static void json_sas(const struct report *r, FILE *out)
{
	uint32_t i;

	fputs("  \"ike_sas\": [", out);
	for (i = 0; i < r->sas.n; i++) {
		fputs(i ? ",\n" : "\n", out);
		json_sa(table_at(&r->sas, i), out);
	}
	fputs(r->sas.n ? "\n  ],\n" : "],\n", out);
}

static void json_sstp_totals(const struct report *r, FILE *out)
{
	const struct report_summary *s = &r->sum;

	fprintf(out, "  \"sstp\": {\"sessions\": %" PRIu64 ", \"clients\": %" PRIu64
		", \"peak_concurrent\": %" PRIu64 ", ", s->sstp_sessions, s->sstp_clients, s->sstp_peak);
	json_time(out, "peak_time", s->sstp_peak_ns);
	fprintf(out, ", \"azure_limit\": %d, \"above_azure_limit\": %s, \"probe_sources\": %" PRIu64
		", \"probe_sessions\": %" PRIu64 "},\n", REPORT_AZURE_SSTP_LIMIT,
		s->sstp_peak > REPORT_AZURE_SSTP_LIMIT ? "true" : "false", s->probe_sources,
		s->probe_sessions);
}

static void json_session(const struct report *r, const struct tcp_session *s, FILE *out)
{
	uint64_t end = session_end(r, s);

	fputs("    {", out);
	json_addr(out, "client", &s->client);
	fprintf(out, ", \"client_port\": %u, ", s->cport);
	json_addr(out, "server", &s->server);
	fprintf(out, ", \"server_port\": %u, ", s->sport);
	json_time(out, "start", s->start_ns);
	fputs(", ", out);
	json_time(out, "end", end);
	fprintf(out, ", \"duration_s\": %.6f, \"frames\": %" PRIu64 ", \"bytes\": %" PRIu64
		", \"data_segments\": %u, \"syn_seen\": %s, \"end_reason\": \"%s\"}",
		seconds(end - s->start_ns), s->frames, s->bytes, s->data,
		s->flags & SES_SYN ? "true" : "false", session_end_name(s));
}

static void json_sessions(const struct report *r, FILE *out)
{
	uint32_t i, n = 0;

	fputs("  \"sstp_sessions\": [", out);
	for (i = 0; i < r->sessions.n; i++) {
		const struct tcp_session *s = table_at(&r->sessions, i);

		if (session_is_probe(r, s))
			continue;
		fputs(n++ ? ",\n" : "\n", out);
		json_session(r, s, out);
	}
	fputs(n ? "\n  ],\n" : "],\n", out);
}

static void json_probes(const struct report *r, FILE *out)
{
	uint32_t i, n = 0;

	fputs("  \"health_probes\": [", out);
	for (i = 0; i < r->addrs.n; i++) {
		const struct addr_rec *a = table_at(&r->addrs, i);

		if (!a->prober)
			continue;
		fputs(n++ ? ",\n    {" : "\n    {", out);
		json_addr(out, "source", &a->key);
		fprintf(out, ", \"sessions\": %u, \"interval_s\": %.6f, ", a->sessions,
			probe_interval(a));
		json_time(out, "first", a->first_start);
		fputs(", ", out);
		json_time(out, "last", a->last_start);
		fputc('}', out);
	}
	fputs(n ? "\n  ],\n" : "],\n", out);
}

static void json_reasons(const struct client_stats *c, FILE *out)
{
	char key[64], text[96];
	int f, n = 0;

	fputs("\"reasons\": [", out);
	for (f = 0; f < NFAIL; f++) {
		if (!c->reasons[f])
			continue;
		fputs(n++ ? ", {\"reason\": " : "{\"reason\": ", out);
		json_string(out, fail_key(key, sizeof(key), (enum fail_reason)f, c->init_error));
		fprintf(out, ", \"count\": %u, \"text\": ", c->reasons[f]);
		json_string(out, fail_text(text, sizeof(text), (enum fail_reason)f, c->init_error));
		fputc('}', out);
	}
	fputc(']', out);
}

/* ', "gateways": ["gw1:eth0"]': where a client was seen, when there are gateways. */
static void json_client_gateways(const struct report *r, const struct addr_rec *a,
				 enum client_proto proto, FILE *out)
{
	size_t g;
	int n = 0;

	if (!r->n_gateways)
		return;
	fputs(", \"gateways\": [", out);
	for (g = 0; g < r->n_gateways; g++) {
		if (!client_at_gateway(r, g, a, proto))
			continue;
		if (n++)
			fputs(", ", out);
		json_string(out, r->gateway_names[g]);
	}
	fputc(']', out);
}

/* "clients": [...], failing ones first; indent is the key's. */
static void json_clients(const struct report *r, FILE *out, const char *indent)
{
	const struct addr_rec *a;
	size_t i;

	fprintf(out, "%s\"clients\": [", indent);
	for (i = 0; i < r->n_clients; i++) {
		const struct client_stats *c = client_of(r, &r->clients[i], &a);

		fprintf(out, "%s\n%s  {", i ? "," : "", indent);
		json_addr(out, "address", &a->key);
		fprintf(out, ", \"protocol\": \"%s\", \"attempts\": %u, \"successes\": %u, "
			"\"failures\": %u, \"unknown\": %u, ", client_proto_keys[r->clients[i].proto],
			c->attempts, c->successes, c->failures, c->unknown);
		json_reasons(c, out);
		json_client_gateways(r, a, r->clients[i].proto, out);
		fputs(", ", out);
		json_time(out, "first", c->first_ns);
		fputs(", ", out);
		json_time(out, "last", c->last_ns);
		fputc('}', out);
	}
	fprintf(out, i ? "\n%s]" : "]", indent);
}

static void json_probers(const struct health *h, FILE *out, const char *indent)
{
	size_t i;

	fprintf(out, "%s  \"probers\": [", indent);
	for (i = 0; i < h->n_probers; i++) {
		const struct health_prober *p = &h->probers[i];

		fprintf(out, "%s\n%s    {", i ? "," : "", indent);
		json_addr(out, "address", &p->addr);
		fprintf(out, ", \"kind\": \"%s\", \"probes\": %u, \"healthy\": %u, "
			"\"unhealthy\": %u, \"backends\": %u, \"interval_s\": %.6f, "
			"\"inferred\": %s, ", probe_kind_name(p->kind), p->probes, p->healthy,
			p->unhealthy, p->backends, p->interval_s, p->inferred ? "true" : "false");
		json_time(out, "first", p->first_ns);
		fputs(", ", out);
		json_time(out, "last", p->last_ns);
		fputc('}', out);
	}
	fprintf(out, i ? "\n%s  ]" : "]", indent);
}

static void json_changes(const struct health_backend *b, FILE *out)
{
	uint32_t i;

	fputs("\"changes\": [", out);
	for (i = 0; i < b->n_changes && i < HEALTH_MAX_CHANGES; i++) {
		fputs(i ? ", {" : "{", out);
		json_time(out, "time", b->changes[i].ts_ns);
		fprintf(out, ", \"status\": \"%s\", \"why\": ",
			b->changes[i].healthy ? "healthy" : "unhealthy");
		json_string(out, b->changes[i].why);
		fputc('}', out);
	}
	fprintf(out, "], \"changes_total\": %u", b->n_changes);
}

static void json_backends(const struct health *h, FILE *out, const char *indent)
{
	size_t i;

	fprintf(out, "%s  \"backends\": [", indent);
	for (i = 0; i < h->n_backends; i++) {
		const struct health_backend *b = &h->backends[i];

		fprintf(out, "%s\n%s    {", i ? "," : "", indent);
		json_addr(out, "address", &b->addr);
		fprintf(out, ", \"port\": %u, \"kind\": \"%s\", \"probes\": %u, \"healthy\": %u, "
			"\"unhealthy\": %u, \"status\": \"%s\", \"last_probe\": ", b->port,
			probe_kind_name(b->kind), b->probes, b->healthy, b->unhealthy,
			b->healthy_now ? "healthy" : "unhealthy");
		json_string(out, b->last_why);
		if (b->last_status)
			fprintf(out, ", \"http_status\": %u", b->last_status);
		else
			fputs(", \"http_status\": null", out);
		fprintf(out, ", \"inferred\": %s, \"response_bytes\": %" PRIu64 ", ",
			b->inferred ? "true" : "false", b->median_response_bytes);
		json_changes(b, out);
		fputc('}', out);
	}
	fprintf(out, i ? "\n%s  ]" : "]", indent);
}

static void json_health(const struct report *r, FILE *out, const char *indent)
{
	fprintf(out, "%s\"health\": {\n", indent);
	json_probers(&r->health, out, indent);
	fputs(",\n", out);
	json_backends(&r->health, out, indent);
	fprintf(out, ",\n%s  \"tls_answer_sizes_differ\": %s\n%s}", indent,
		r->health.tls_sizes_differ ? "true" : "false", indent);
}

static void json_gateways(const struct report *r, FILE *out)
{
	size_t i;

	fputs("  \"gateways\": [", out);
	for (i = 0; i < r->n_gateways; i++) {
		const struct report *g = r->gateways[i];
		const struct report_summary *s = &g->sum;

		fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", out);
		json_string(out, r->gateway_names[i]);
		fprintf(out, ", \"frames\": %" PRIu64 ", \"ike_sas\": %" PRIu64
			", \"ike_established\": %" PRIu64 ", \"sstp_sessions\": %" PRIu64
			", \"clients_total\": %" PRIu64 ", \"failing_clients\": %" PRIu64
			", \"probes_healthy\": %" PRIu64 ", \"probes_unhealthy\": %" PRIu64
			", \"backends_unhealthy\": %" PRIu64 ",\n", s->frames, s->ike_sas,
			s->ike_established, s->sstp_sessions, s->clients, s->failing_clients,
			s->probes_healthy, s->probes_unhealthy, s->backends_unhealthy);
		json_clients(g, out, "      ");
		fputs(",\n", out);
		json_health(g, out, "      ");
		fputc('}', out);
	}
	fputs(i ? "\n  ],\n" : "],\n", out);
}

static void json_warnings(const struct report *r, FILE *out)
{
	const struct report_summary *s = &r->sum;
	size_t i;
	int n = 0;

	fputs("  \"warnings\": [", out);
	for (i = 0; i < r->n_splits; i++) {
		const struct ike_split *sp = &r->splits[i];

		fputs(n++ ? ",\n    {\"kind\": \"ike_split\", " : "\n    {\"kind\": \"ike_split\", ", out);
		json_addr(out, "client", &sp->client);
		fprintf(out, ", \"ispi\": \"%016" PRIx64 "\", \"udp500_gateway\": ", sp->ispi);
		json_string(out, r->gateway_names[sp->gw_500]);
		fputs(", \"udp4500_gateway\": ", out);
		json_string(out, r->gateway_names[sp->gw_4500]);
		fputc('}', out);
	}
	if (s->sstp_peak > REPORT_AZURE_SSTP_LIMIT)
		fprintf(out, "%s\n    {\"kind\": \"azure_sstp_limit\", \"peak\": %" PRIu64
			", \"limit\": %d}", n++ ? "," : "", s->sstp_peak, REPORT_AZURE_SSTP_LIMIT);
	fputs(n ? "\n  ],\n" : "],\n", out);
}

static void json_series(FILE *out, const char *key, const uint64_t *v)
{
	unsigned int b;

	fprintf(out, "\"%s\": [", key);
	for (b = 0; b < TIMELINE_BUCKETS; b++)
		fprintf(out, "%s%" PRIu64, b ? ", " : "", v[b]);
	fputc(']', out);
}

static void json_tail(const struct report *r, FILE *out)
{
	const struct report_summary *s = &r->sum;

	fprintf(out, "  \"timeline\": {\"start_ns\": %" PRIu64 ", \"step_ns\": %" PRIu64
		", \"buckets\": %d,\n    ", r->tl_start, r->tl_step, TIMELINE_BUCKETS);
	json_series(out, "ike_sas", r->tl_ike);
	fputs(",\n    ", out);
	json_series(out, "sstp_sessions", r->tl_sstp);
	fputs("},\n", out);
	fprintf(out, "  \"limits_hit\": {\"addresses\": %" PRIu64 ", \"ike_sas\": %" PRIu64
		", \"sstp_sessions\": %" PRIu64 ", \"ip_fragments\": %" PRIu64 "}\n",
		s->dropped_addresses, s->dropped_sas, s->dropped_sessions, s->dropped_fragments);
}

int report_print_json(struct report *r, FILE *out)
{
	finish(r);
	fprintf(out, "{\n  \"capture\": {\"frames\": %" PRIu64 ", \"bytes\": %" PRIu64 ", ",
		r->sum.frames, r->sum.bytes);
	json_time(out, "first", r->first_ns);
	fputs(", ", out);
	json_time(out, "last", r->last_ns);
	fprintf(out, ", \"duration_s\": %.6f},\n", seconds(r->last_ns - r->first_ns));
	json_gateways(r, out);
	json_warnings(r, out);
	fprintf(out, "  \"client_totals\": {\"clients\": %" PRIu64 ", \"failing\": %" PRIu64
		", \"attempts\": %" PRIu64 ", \"failures\": %" PRIu64 "},\n", r->sum.clients,
		r->sum.failing_clients, r->sum.client_attempts, r->sum.client_failures);
	json_clients(r, out, "  ");
	fputs(",\n", out);
	json_health(r, out, "  ");
	fputs(",\n", out);
	json_protocols(r, out);
	json_ike_totals(r, out);
	json_sas(r, out);
	json_sstp_totals(r, out);
	json_sessions(r, out);
	json_probes(r, out);
	json_tail(r, out);
	fputs("}\n", out);
	return fflush(out) || ferror(out) ? -1 : 0;
}

/* ---- HTML ------------------------------------------------------------------ */

/*
 * The page fits a phone (390 px) as well as a desktop window: a viewport
 * meta for phones; every table in a box of its own that scrolls sideways
 * when the table is wider (html_table_begin()), so a wide table is never
 * cut and never widens the page; when a table is short of room its cells
 * wrap where a reader expects (html_row()), numbers never; the chart
 * scales to its box (viewBox, width 100%) down to a width where its text
 * stays readable, then its box scrolls.
 */
static const char html_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<title>vpncap report</title>\n<style>\n"
	"body{font-family:system-ui,sans-serif;margin:2em;color:#222;overflow-wrap:break-word}\n"
	"@media (max-width:1300px){body{margin:1.25em}}\n"
	"@media (max-width:600px){body{margin:.75em}h1{font-size:1.5em}h2{font-size:1.25em}}\n"
	".scroll{overflow-x:auto;max-width:100%;margin:.5em 0 1.5em}\n"
	/* a shade at an edge with more to scroll to (the white covers it at the ends) */
	"div.scroll{background:linear-gradient(to right,#fff 30%,#fff0) left/3em 100% no-repeat local,"
	"linear-gradient(to left,#fff 30%,#fff0) right/3em 100% no-repeat local,"
	"radial-gradient(farthest-side at 0 50%,#0003,#0000) left/1em 100% no-repeat scroll,"
	"radial-gradient(farthest-side at 100% 50%,#0003,#0000) right/1em 100% no-repeat scroll}\n"
	"table{border-collapse:collapse}\n"
	"caption{text-align:left;font-weight:bold;padding:.2em 0}\n"
	"th,td{border:1px solid #ccc;padding:.2em .45em;text-align:left;font-size:85%;"
	"white-space:nowrap;vertical-align:top}\n"
	"th{background:#eee;white-space:normal;hyphens:manual}\n"
	"td.w{white-space:normal;min-width:9em}\n"
	"td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
	".warn{background:#fdd;border:1px solid #c00;padding:.5em;font-weight:bold}\n"
	".chart svg{display:block;width:100%;min-width:480px;max-width:1000px;height:auto}\n"
	"svg text{font-size:12px;fill:#444}\n"
	"@media (max-width:600px){svg text{font-size:15px}}\n"
	".ike{stroke:#1f77b4}.sstp{stroke:#d62728}\n"
	".break line{stroke:#666;stroke-width:1.5}\n"
	"</style>\n</head>\n<body>\n<h1>vpncap report</h1>\n";

/* A space before a short number ("1/1,", "4"): no line break there. */
static int before_count(const char *s)
{
	size_t len = strcspn(s + 1, " ");

	return s[0] == ' ' && s[1] >= '0' && s[1] <= '9' && len <= 5;
}

/* Text, escaped; "IKE_AUTH 1/1" stays on one line (before_count()). */
static void html_str(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case ' ': fputs(before_count(s) ? "&nbsp;" : " ", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*s, out);
		}
	}
}

/* An IPv6 address, or [address]:port: hex digits, colons, dots, brackets;
 * three colons or "::" (a clock time such as 10:00:00 has two). */
static int ipv6_like(const char *s)
{
	const char *start = s;
	int colons = 0;

	for (; *s; s++) {
		if (*s == ':')
			colons++;
		else if (!strchr("0123456789abcdefABCDEF.[]", *s))
			return 0;
	}
	return colons >= 3 || strstr(start, "::");
}

/* IPv6 text with a line break allowed after each colon (<wbr>). */
static void html_ipv6(FILE *out, const char *s)
{
	for (; *s; s++) {
		fputc(*s, out);
		if (*s == ':' && s[1])
			fputs("<wbr>", out);
	}
}

/* A time as fmt_time() writes it: 2025-11-27T10:00:00.000Z. */
static int iso_time(const char *s)
{
	return strlen(s) >= 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T';
}

/*
 * A table row. Cells starting with '#' are numbers (right-aligned, '#'
 * dropped). When the table is short of room, data cells may wrap (class
 * "w"): at spaces, after the colons of an IPv6 address, between the date
 * and the time of a time; the rest (numbers, SPIs, IPv4 addresses) stay
 * on one line.
 */
static void html_row(FILE *out, const char *tag, int n, const char *const *cells)
{
	int data = !strcmp(tag, "td"), i;

	fputs("<tr>", out);
	for (i = 0; i < n; i++) {
		const char *c = cells[i];
		int num = c[0] == '#', v6 = data && !num && ipv6_like(c);
		int when = data && !num && iso_time(c);
		int wrap = data && !num && (v6 || when || strchr(c, ' '));

		fprintf(out, "<%s%s>", tag, num ? " class=\"n\"" : wrap ? " class=\"w\"" : "");
		if (v6) {
			html_ipv6(out, c);
		} else if (when) {
			fprintf(out, "%.10s<wbr>", c);
			html_str(out, c + 10);
		} else {
			html_str(out, c + num);
		}
		fprintf(out, "</%s>", tag);
	}
	fputs("</tr>\n", out);
}

/*
 * Every table of the page: in a box that scrolls sideways when the table
 * is wider than the window, with an optional caption and its header row.
 * Rows with html_row(out, "td", ...), then html_table_end().
 */
static void html_table_begin(FILE *out, const char *caption, int ncols, const char *const *headers)
{
	fputs("<div class=\"scroll\"><table>\n", out);
	if (caption) {
		fputs("<caption>", out);
		html_str(out, caption);
		fputs("</caption>\n", out);
	}
	html_row(out, "th", ncols, headers);
}

static void html_table_end(FILE *out)
{
	fputs("</table></div>\n", out);
}

static void html_clients(const struct report *r, FILE *out)
{
	static const char *const head[] = { "client", "protocol", "attempts", "ok", "failed",
					    "why they failed" };
	char a1[INET6_ADDRSTRLEN], n1[16], n2[16], n3[16], line[600];
	const struct addr_rec *a;
	size_t i;

	fprintf(out, "<h2>Clients</h2>\n<p>%" PRIu64 " clients (by address and protocol), %" PRIu64
		" failing; %" PRIu64 " attempts, %" PRIu64 " failed. Load-balancer probes are not "
		"included. Failing clients first.</p>\n", r->sum.clients, r->sum.failing_clients,
		r->sum.client_attempts, r->sum.client_failures);
	if (!r->n_clients)
		return;
	html_table_begin(out, NULL, 6, head);
	for (i = 0; i < r->n_clients && i < HTML_MAX_ROWS; i++) {
		const struct client_stats *c = client_of(r, &r->clients[i], &a);
		const char *cells[6] = { fmt_addr(a1, sizeof(a1), &a->key),
					 client_proto_names[r->clients[i].proto], n1, n2, n3,
					 reasons_line(line, sizeof(line), c) };

		snprintf(n1, sizeof(n1), "#%u", c->attempts);
		snprintf(n2, sizeof(n2), "#%u", c->successes);
		snprintf(n3, sizeof(n3), "#%u", c->failures);
		html_row(out, "td", 6, cells);
	}
	html_table_end(out);
}

/* How a prober's probes were judged. */
static const char *probe_judged(const struct health_prober *p)
{
	switch (p->kind) {
	case PROBE_TLS:
		return "by shape inside TLS (inferred)";
	case PROBE_HTTP:
		return "HTTP status read in clear";
	default:
		return "TCP handshake answered or not";
	}
}

static void html_probers(const struct health *h, FILE *out)
{
	static const char *const head[] = { "prober", "kind", "probes", "healthy", "unhealthy",
					    "backends", "interval (s)", "judged" };
	char a1[INET6_ADDRSTRLEN], n[5][24];
	size_t i;

	html_table_begin(out, NULL, 8, head);
	for (i = 0; i < h->n_probers && i < HTML_MAX_ROWS; i++) {
		const struct health_prober *p = &h->probers[i];
		const char *cells[8] = { fmt_addr(a1, sizeof(a1), &p->addr), probe_kind_name(p->kind),
					 n[0], n[1], n[2], n[3], n[4],
					 probe_judged(p) };

		snprintf(n[0], sizeof(n[0]), "#%u", p->probes);
		snprintf(n[1], sizeof(n[1]), "#%u", p->healthy);
		snprintf(n[2], sizeof(n[2]), "#%u", p->unhealthy);
		snprintf(n[3], sizeof(n[3]), "#%u", p->backends);
		snprintf(n[4], sizeof(n[4]), "#%.3f", p->interval_s);
		html_row(out, "td", 8, cells);
	}
	html_table_end(out);
}

/* "2026-12-06T15:19:50.157Z unhealthy (answered 503); ..." */
static const char *changes_line(char *line, size_t len, const struct health_backend *b)
{
	size_t used = 0;
	char t[40];
	uint32_t i;

	line[0] = '\0';
	for (i = 0; i < b->n_changes && i < HEALTH_MAX_CHANGES && used < len; i++)
		used += (size_t)snprintf(line + used, len - used, "%s%s %s (%s)", i ? "; " : "",
					 fmt_time(t, sizeof(t), b->changes[i].ts_ns, 0),
					 b->changes[i].healthy ? "healthy" : "unhealthy",
					 b->changes[i].why);
	if (b->n_changes > HEALTH_MAX_CHANGES && used < len)
		snprintf(line + used, len - used, "; %u more", b->n_changes - HEALTH_MAX_CHANGES);
	return line[0] ? line : "none";
}

static void html_backends(const struct health *h, FILE *out)
{
	static const char *const head[] = { "backend", "kind", "probes", "healthy", "unhealthy",
					    "now", "last probe", "changes" };
	char a1[80], n[3][16], why[80], line[4096];
	size_t i;

	html_table_begin(out, NULL, 8, head);
	for (i = 0; i < h->n_backends && i < HTML_MAX_ROWS; i++) {
		const struct health_backend *b = &h->backends[i];
		const char *cells[8] = { fmt_endpoint(a1, sizeof(a1), &b->addr, b->port),
					 probe_kind_name(b->kind), n[0], n[1], n[2],
					 b->healthy_now ? "healthy" : "UNHEALTHY", why,
					 changes_line(line, sizeof(line), b) };

		snprintf(n[0], sizeof(n[0]), "#%u", b->probes);
		snprintf(n[1], sizeof(n[1]), "#%u", b->healthy);
		snprintf(n[2], sizeof(n[2]), "#%u", b->unhealthy);
		snprintf(why, sizeof(why), "%s%s", b->last_why, b->last_inferred ? " (inferred)" : "");
		html_row(out, "td", 8, cells);
	}
	html_table_end(out);
}

static void html_health(const struct report *r, FILE *out)
{
	const struct report_summary *s = &r->sum;

	fprintf(out, "<h2>Load-balancer health</h2>\n<p>%zu probers, %" PRIu64 " backends (%" PRIu64
		" unhealthy at their last probe); %" PRIu64 " probes, %" PRIu64 " unhealthy. In clear "
		"the HTTP status is read (the SSTP health path is healthy when answered 401); inside "
		"TLS a probe is judged by its shape: handshake, one request, a response, close.</p>\n",
		r->health.n_probers, s->backends, s->backends_unhealthy,
		s->probes_healthy + s->probes_unhealthy, s->probes_unhealthy);
	if (!r->health.n_probers)
		return;
	html_probers(&r->health, out);
	html_backends(&r->health, out);
	if (r->health.tls_sizes_differ)
		fputs("<p class=\"warn\">Backends answer the TLS probes with different sizes: they may "
		      "answer with different statuses, which TLS hides.</p>\n", out);
}

static void html_gateways(const struct report *r, FILE *out)
{
	static const char *const head[] = { "gateway", "frames", "IKE SAs", "established",
					    "SSTP sessions", "clients", "failing clients",
					    "unhealthy backends" };
	char n[7][24], a1[INET6_ADDRSTRLEN];
	size_t i;

	if (!r->n_gateways)
		return;
	fprintf(out, "<h2>Gateways</h2>\n<p>%zu gateways, named by the host and interface their "
		"files name, or by their directory.</p>\n", r->n_gateways);
	html_table_begin(out, NULL, 8, head);
	for (i = 0; i < r->n_gateways; i++) {
		const struct report_summary *g = &r->gateways[i]->sum;
		const char *cells[8] = { r->gateway_names[i], n[0], n[1], n[2], n[3], n[4], n[5], n[6] };

		snprintf(n[0], sizeof(n[0]), "#%" PRIu64, g->frames);
		snprintf(n[1], sizeof(n[1]), "#%" PRIu64, g->ike_sas);
		snprintf(n[2], sizeof(n[2]), "#%" PRIu64, g->ike_established);
		snprintf(n[3], sizeof(n[3]), "#%" PRIu64, g->sstp_sessions);
		snprintf(n[4], sizeof(n[4]), "#%" PRIu64, g->clients);
		snprintf(n[5], sizeof(n[5]), "#%" PRIu64, g->failing_clients);
		snprintf(n[6], sizeof(n[6]), "#%" PRIu64, g->backends_unhealthy);
		html_row(out, "td", 8, cells);
	}
	html_table_end(out);
	for (i = 0; i < r->n_splits; i++) {
		fputs("<p class=\"warn\">", out);
		fprintf(out, "IKEv2 client %s: UDP 500 reached ",
			fmt_addr(a1, sizeof(a1), &r->splits[i].client));
		html_str(out, r->gateway_names[r->splits[i].gw_500]);
		fputs(", UDP 4500 reached ", out);
		html_str(out, r->gateway_names[r->splits[i].gw_4500]);
		fputs(": the load balancer must keep a client's UDP 500 and 4500 on one gateway.</p>\n",
		      out);
	}
}


static void html_protocols(const struct report *r, FILE *out)
{
	static const char *const head[] = { "protocol", "frames", "bytes", "clients", "first", "last" };
	char f[24], b[24], c[24], t1[40], t2[40];
	int p;

	fputs("<h2>Protocols</h2>\n", out);
	html_table_begin(out, NULL, 6, head);
	for (p = 0; p < REPORT_NPROTO; p++) {
		const struct report_proto_totals *t = &r->sum.proto[p];
		const char *cells[6] = { proto_names[p], f, b, c,
					 fmt_time(t1, sizeof(t1), t->first_ns, 0),
					 fmt_time(t2, sizeof(t2), t->last_ns, 0) };

		snprintf(f, sizeof(f), "#%" PRIu64, t->frames);
		snprintf(b, sizeof(b), "#%" PRIu64, t->bytes);
		snprintf(c, sizeof(c), p == REPORT_OTHER ? "#-" : "#%" PRIu64, t->clients);
		html_row(out, "td", 6, cells);
	}
	html_table_end(out);
}

/*
 * The chart: one SVG in viewBox units, scaled to its box by the CSS. The
 * plot runs from PX0 to PX1; with several bursts, a panel each, BREAK_W
 * apart, as wide as its share of the buckets.
 */
#define SVG_W 760
#define SVG_H 300
#define PX0 48
#define PX1 748
#define PY0 26
#define PY1 230
#define BREAK_W 24

static double svg_y(double v, double ymax)
{
	return PY1 - (PY1 - PY0) * v / ymax;
}

/* One series over one panel's buckets, x0 to x1. */
static void svg_series(FILE *out, const char *cls, const uint64_t *v,
		       const struct timeline_panel *p, double x0, double x1, double ymax)
{
	unsigned int b;

	fprintf(out, "<polyline class=\"%s\" fill=\"none\" stroke-width=\"2\" points=\"", cls);
	for (b = 0; b < p->buckets; b++) {
		double xa = x0 + (x1 - x0) * b / p->buckets, xb = x0 + (x1 - x0) * (b + 1) / p->buckets;
		double y = svg_y((double)v[p->first + b], ymax);

		fprintf(out, "%.1f,%.1f %.1f,%.1f ", xa, y, xb, y);
	}
	fputs("\"/>\n", out);
}

static uint64_t series_max(const uint64_t *v)
{
	uint64_t m = 0;
	unsigned int b;

	for (b = 0; b < TIMELINE_BUCKETS; b++)
		m = v[b] > m ? v[b] : m;
	return m;
}

/* A panel's time label: the date too when the capture spans days (UTC). */
static const char *fmt_clock(char *buf, size_t len, uint64_t ns, int dated)
{
	time_t sec = (time_t)(ns / NS);
	struct tm tm;

	if (!gmtime_r(&sec, &tm) || !strftime(buf, len, dated ? "%m-%d %H:%M:%S" : "%H:%M:%S", &tm))
		snprintf(buf, len, "-");
	return buf;
}

/* How long a break lasts, roughly: "3 d 2 h", "5 h 10 min", "12 min". */
static const char *fmt_gap(char *buf, size_t len, uint64_t ns)
{
	uint64_t min = ns / NS / 60;

	if (min >= 24 * 60)
		snprintf(buf, len, "%" PRIu64 " d %" PRIu64 " h", min / 1440, min % 1440 / 60);
	else if (min >= 60)
		snprintf(buf, len, "%" PRIu64 " h %" PRIu64 " min", min / 60, min % 60);
	else
		snprintf(buf, len, "%" PRIu64 " min", min);
	return buf;
}

/* The time labels under one panel of several: start left, end right, or
 * below when the panel is too narrow for both on one line. */
static void svg_panel_times(FILE *out, const struct timeline_panel *p, double x0, double x1,
			    int dated)
{
	char t[40];
	int row2 = x1 - x0 < (dated ? 270 : 160);     /* two labels of 15 units (phones) */

	fprintf(out, "<text x=\"%.1f\" y=\"%d\">%s</text>\n", x0, PY1 + 16,
		fmt_clock(t, sizeof(t), p->start_ns, dated));
	fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"end\">%s</text>\n", x1,
		PY1 + (row2 ? 31 : 16), fmt_clock(t, sizeof(t), p->last_ns, dated));
}

/* Between two panels: a pair of slashes across both edges of the plot, and how long. */
static void svg_break(FILE *out, double x, uint64_t gap_ns)
{
	char g[40];
	int i;

	fputs("<g class=\"break\">", out);
	for (i = 0; i < 2; i++) {
		double y = i ? PY1 : PY0;

		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
			x - 8, y + 6, x - 2, y - 6, x + 2, y + 6, x + 8, y - 6);
	}
	fprintf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke-dasharray=\"2 4\"/>"
		"<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">+%s</text></g>\n",
		x, PY0 + 8, x, PY1 - 8, x, PY0 - 8, fmt_gap(g, sizeof(g), gap_ns));
}

/* One panel: its frame, Azure's line when near, both series, its time labels. */
static void svg_panel(FILE *out, const struct report *r, const struct timeline_panel *p, double x0,
		      double x1, uint64_t top, double ymax, int dated)
{
	char t[40];

	fprintf(out, "<g class=\"panel\">\n<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
		"fill=\"#fafafa\" stroke=\"#999\"/>\n", x0, PY0, x1 - x0, PY1 - PY0);
	if (top >= REPORT_AZURE_SSTP_LIMIT) {
		double y = svg_y(REPORT_AZURE_SSTP_LIMIT, ymax);

		fprintf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#c00\" "
			"stroke-dasharray=\"6 4\"/>\n", x0, x1, y, y);
	}
	svg_series(out, "ike", r->tl_panel_ike, p, x0, x1, ymax);
	svg_series(out, "sstp", r->tl_panel_sstp, p, x0, x1, ymax);
	if (r->tl_panels.npanels == 1) {
		/* One axis: full times, as the rest of the page writes them. */
		fprintf(out, "<text x=\"%.1f\" y=\"%d\">%s</text>\n", x0, PY1 + 16,
			fmt_time(t, sizeof(t), p->start_ns, 0));
		fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"end\">%s</text>\n", x1, PY1 + 16,
			fmt_time(t, sizeof(t), p->last_ns, 0));
	} else {
		svg_panel_times(out, p, x0, x1, dated);
	}
	fputs("</g>\n", out);
}

static void svg_legend(FILE *out, const struct report *r, uint64_t top, double ymax)
{
	int i, y = SVG_H - 12;

	for (i = 0; i <= 2; i++) {
		double v = top * i / 2.0;

		fprintf(out, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>\n", PX0 - 5,
			svg_y(v, ymax) + 4, v);
	}
	if (top >= REPORT_AZURE_SSTP_LIMIT)
		fprintf(out, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">Azure SSTP limit %d</text>\n",
			PX1 - 5, svg_y(REPORT_AZURE_SSTP_LIMIT, ymax) - 4, REPORT_AZURE_SSTP_LIMIT);
	fprintf(out, "<line class=\"ike\" x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke-width=\"2\"/>"
		"<text x=\"%d\" y=\"%d\">IKE SAs (peak %" PRIu64 ")</text>\n",
		PX0, PX0 + 20, y - 4, y - 4, PX0 + 25, y, r->ike_peak);
	fprintf(out, "<line class=\"sstp\" x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke-width=\"2\"/>"
		"<text x=\"%d\" y=\"%d\">SSTP sessions (peak %" PRIu64 ")</text>\n",
		PX0 + 230, PX0 + 250, y - 4, y - 4, PX0 + 255, y, r->sum.sstp_peak);
}

/*
 * Concurrent IKE SAs and SSTP sessions over time, with Azure's limit when
 * near: a panel per burst of activity (report_timeline.h), each with its
 * own time labels, dated when the capture spans days.
 */
static void html_chart(const struct report *r, FILE *out)
{
	const struct timeline_layout *l = &r->tl_panels;
	uint64_t top = series_max(r->tl_panel_ike);
	double ymax, x = PX0, plot = PX1 - PX0 - (double)(l->npanels - 1) * BREAK_W;
	int dated = r->first_ns / NS / 86400 != r->last_ns / NS / 86400;
	unsigned int i;

	if (series_max(r->tl_panel_sstp) > top)
		top = series_max(r->tl_panel_sstp);
	if (r->sum.sstp_peak > REPORT_AZURE_SSTP_LIMIT / 2 && top < REPORT_AZURE_SSTP_LIMIT)
		top = REPORT_AZURE_SSTP_LIMIT;
	ymax = top ? (double)top * 1.1 : 1;
	fputs("<h2>Concurrent sessions</h2>\n", out);
	if (l->npanels > 1)
		fprintf(out, "<p>%u bursts of activity, each on its own time axis; the breaks "
			"between them are marked.</p>\n", l->npanels);
	fprintf(out, "<div class=\"chart scroll\">\n<svg id=\"timeline\" "
		"xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" role=\"img\">\n"
		"<title>Concurrent IKE SAs and SSTP sessions over time</title>\n", SVG_W, SVG_H);
	for (i = 0; i < l->npanels; i++) {
		const struct timeline_panel *p = &l->panel[i];
		double w = plot * p->buckets / l->buckets;

		if (i)
			svg_break(out, x - BREAK_W / 2.0, p->start_ns - l->panel[i - 1].last_ns);
		svg_panel(out, r, p, x, x + w, top, ymax, dated);
		x += w + BREAK_W;
	}
	svg_legend(out, r, top, ymax);
	fputs("</svg>\n</div>\n", out);
}

static void html_ike(const struct report *r, FILE *out)
{
	/* The SPI pair in one cell, one above the other when room is short. */
	static const char *const head[] = { "ispi rspi", "client", "server", "state", "reason",
					    "retrans\xc2\xadmissions" /* a soft hyphen */,
					    "fragmented IKE_AUTH", "exchanges (req/resp)",
					    "first" };
	const struct report_summary *s = &r->sum;
	char spis[40], c[INET6_ADDRSTRLEN], sv[INET6_ADDRSTRLEN], why[96], rt[16], fr[24];
	char x[160], t[40];
	uint32_t i;

	fprintf(out, "<h2>IKE SAs</h2>\n<p>%" PRIu64 " SAs: %" PRIu64 " established, %" PRIu64
		" incomplete (handshakes that never completed), %" PRIu64
		" began before the capture; %" PRIu64 " retransmissions; peak %" PRIu64 " at once.</p>\n",
		s->ike_sas, s->ike_established, s->ike_incomplete, s->ike_unknown,
		s->ike_retransmissions, r->ike_peak);
	fprintf(out, "<p>Fragmented IKE_AUTH: %" PRIu64 " messages in IKEv2 fragments (SKF, %" PRIu64
		" fragments), %" PRIu64 " in IP fragments; IP-fragmented datagrams: %" PRIu64
		" (IKE %" PRIu64 ").</p>\n", s->ike_auth_skf_messages, s->ike_auth_skf_fragments,
		s->ike_auth_ip_fragmented, s->ip_fragmented_datagrams, s->ip_fragmented_ike);
	if (!r->sas.n)
		return;
	html_table_begin(out, NULL, 9, head);
	for (i = 0; i < r->sas.n && i < HTML_MAX_ROWS; i++) {
		const struct ike_sa *sa = table_at(&r->sas, i);
		enum sa_state st = sa_state(sa, why, sizeof(why));
		const char *cells[9] = { spis, fmt_addr(c, sizeof(c), &sa->client),
					  fmt_addr(sv, sizeof(sv), &sa->server), sa_state_names[st],
					  why, rt, fmt_frag(fr, sizeof(fr), sa),
					  fmt_exchanges(x, sizeof(x), sa),
					  fmt_time(t, sizeof(t), sa->first_ns, 0) };

		snprintf(spis, sizeof(spis), "%016" PRIx64 " %016" PRIx64, sa->ispi, sa->rspi);
		snprintf(rt, sizeof(rt), "#%u", sa->retransmissions);
		html_row(out, "td", 9, cells);
	}
	html_table_end(out);
	if (r->sas.n > HTML_MAX_ROWS)
		fprintf(out, "<p>... and %u more (vpncap report --json lists all)</p>\n",
			r->sas.n - HTML_MAX_ROWS);
}

static void html_sessions(const struct report *r, FILE *out)
{
	static const char *const head[] = { "client", "server", "start", "duration (s)", "bytes",
					    "end" };
	char c[INET6_ADDRSTRLEN + 8], sv[INET6_ADDRSTRLEN + 8], t[40], d[32], b[24];
	uint32_t i, n = 0;

	if (!r->sum.sstp_sessions)
		return;
	html_table_begin(out, NULL, 6, head);
	for (i = 0; i < r->sessions.n && n < HTML_MAX_ROWS; i++) {
		const struct tcp_session *s = table_at(&r->sessions, i);
		const char *cells[6] = { c, sv, t, d, b, session_end_name(s) };

		if (session_is_probe(r, s))
			continue;
		n++;
		fmt_endpoint(c, sizeof(c), &s->client, s->cport);
		fmt_endpoint(sv, sizeof(sv), &s->server, s->sport);
		fmt_time(t, sizeof(t), s->start_ns, 0);
		snprintf(d, sizeof(d), "#%.3f", seconds(session_end(r, s) - s->start_ns));
		snprintf(b, sizeof(b), "#%" PRIu64, s->bytes);
		html_row(out, "td", 6, cells);
	}
	html_table_end(out);
	if (r->sum.sstp_sessions > n)
		fprintf(out, "<p>... and %" PRIu64 " more (vpncap report --json lists all)</p>\n",
			r->sum.sstp_sessions - n);
}

static void html_probes(const struct report *r, FILE *out)
{
	static const char *const head[] = { "source", "sessions", "interval (s)", "first", "last" };
	char a1[INET6_ADDRSTRLEN], n[16], iv[32], t1[40], t2[40];
	uint32_t i;

	fprintf(out, "<h3>Load-balancer health probes</h3>\n<p>%" PRIu64 " sources, %" PRIu64
		" sessions: short repeated TCP 443 connections, not counted as SSTP clients or "
		"sessions.</p>\n", r->sum.probe_sources, r->sum.probe_sessions);
	if (!r->sum.probe_sources)
		return;
	html_table_begin(out, NULL, 5, head);
	for (i = 0; i < r->addrs.n; i++) {
		const struct addr_rec *a = table_at(&r->addrs, i);
		const char *cells[5] = { fmt_addr(a1, sizeof(a1), &a->key), n, iv,
					 fmt_time(t1, sizeof(t1), a->first_start, 0),
					 fmt_time(t2, sizeof(t2), a->last_start, 0) };

		if (!a->prober)
			continue;
		snprintf(n, sizeof(n), "#%u", a->sessions);
		snprintf(iv, sizeof(iv), "#%.3f", probe_interval(a));
		html_row(out, "td", 5, cells);
	}
	html_table_end(out);
}

static void html_sstp(const struct report *r, FILE *out)
{
	const struct report_summary *s = &r->sum;
	char t[40];

	fprintf(out, "<h2>SSTP (TCP 443)</h2>\n<p>%" PRIu64 " sessions from %" PRIu64
		" clients; peak <b id=\"sstp-peak\">%" PRIu64 "</b> concurrent at %s "
		"(Azure SSTP gateway limit: %d).</p>\n", s->sstp_sessions, s->sstp_clients,
		s->sstp_peak, fmt_time(t, sizeof(t), s->sstp_peak_ns, 0), REPORT_AZURE_SSTP_LIMIT);
	if (s->sstp_peak > REPORT_AZURE_SSTP_LIMIT)
		fprintf(out, "<p class=\"warn\">Warning: peak of %" PRIu64 " concurrent SSTP sessions "
			"is above the Azure SSTP gateway limit of %d.</p>\n", s->sstp_peak,
			REPORT_AZURE_SSTP_LIMIT);
	html_sessions(r, out);
	html_probes(r, out);
}

int report_print_html(struct report *r, FILE *out)
{
	const struct report_summary *s = &r->sum;
	char a[40], b[40];

	finish(r);
	fputs(html_head, out);
	fprintf(out, "<p>%" PRIu64 " frames, %" PRIu64 " bytes, %s to %s (%.3f s).</p>\n",
		s->frames, s->bytes, fmt_time(a, sizeof(a), r->first_ns, 0),
		fmt_time(b, sizeof(b), r->last_ns, 0), seconds(r->last_ns - r->first_ns));
	html_gateways(r, out);
	html_clients(r, out);
	html_health(r, out);
	html_protocols(r, out);
	html_chart(r, out);
	html_ike(r, out);
	html_sstp(r, out);
	if (s->dropped_addresses || s->dropped_sas || s->dropped_sessions || s->dropped_fragments)
		fprintf(out, "<p>Limits hit (frames counted, not followed): addresses %" PRIu64
			", IKE SAs %" PRIu64 ", TCP 443 sessions %" PRIu64 ", IP fragments %" PRIu64
			".</p>\n", s->dropped_addresses, s->dropped_sas, s->dropped_sessions,
			s->dropped_fragments);
	fputs("</body>\n</html>\n", out);
	return fflush(out) || ferror(out) ? -1 : 0;
}

/* ---- vpncap report ----------------------------------------------------------- */

const char report_usage[] =
	"usage: vpncap report FILE...|DIR...|- [--json] [--html FILE]\n"
	"\n"
	"A summary of capture files (PCAPNG or pcap, gzip or zstd members of a\n"
	"vpncap file set) for troubleshooting and for planning the move off SSTP.\n"
	"A DIR stands for its vpncap-*.pcapng* members (.part files, still being\n"
	"written or left by a crash, are skipped) in sequence order, and its\n"
	"*.pcap and *.pcapng files by name.\n"
	"\n"
	"  - gateways: with files of several gateways (DIR1 DIR2 ..., or files of\n"
	"    several interfaces), a report per gateway and the total. A gateway is\n"
	"    named by the host and interface its files name (vpncap writes the host\n"
	"    first in each interface's description), else by its directory. An IKE\n"
	"    SA whose UDP 500 reached one gateway and UDP 4500 another is warned\n"
	"    about: the balancer does not keep a client on one gateway.\n"
	"  - clients, failing ones first: per address and protocol, attempts,\n"
	"    successes, and why each failed attempt failed. IKEv2: no IKE_SA_INIT\n"
	"    response, IKE_SA_INIT answered with an error notify, no IKE_AUTH, IKE_AUTH\n"
	"    refused (its last response too short for AUTH: an encrypted error such\n"
	"    as AUTHENTICATION_FAILED). SSTP, by the shape of the connection (TLS\n"
	"    hides the rest): TCP refused or timed out, TLS alert or reset during\n"
	"    the handshake, no SSTP response after it, closed early.\n"
	"  - load-balancer health: a source is a prober when all its connections\n"
	"    (at least 3) look like probes (TCP connect and close; one HTTP request\n"
	"    in clear; a TLS handshake with one request; datagrams to UDP 500/4500\n"
	"    that are not IKE), at a regular pace, and one got its full answer.\n"
	"    Verdicts: in clear the HTTP status (the SSTP health path\n"
	"    /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ is healthy when answered\n"
	"    401, anything else is not); inside TLS the shape (handshake, request,\n"
	"    response, close), marked inferred; UDP: ICMP port unreachable. Per\n"
	"    prober and per backend, with every change of a backend's state.\n"
	"  - per protocol (IKEv2 on UDP 500; NAT-T: IKE on UDP 4500 and keepalives;\n"
	"    ESP: IP protocol 50 and ESP in UDP; SSTP: TCP 443): frames, bytes,\n"
	"    distinct clients, first and last frame. A client is an IKE initiator's\n"
	"    address (ESP and keepalives count the initiators they carry), or the\n"
	"    sender of a SYN to port 443.\n"
	"  - IKE SAs by SPI pair: client, server, exchanges seen, state: established\n"
	"    (an IKE_AUTH response to the last IKE_AUTH request), incomplete (a\n"
	"    handshake that never completed, and why), or unknown (began before the\n"
	"    capture); retransmissions (the same message ID, request or response,\n"
	"    exchange and fragment number seen again in the same direction); IKE_AUTH\n"
	"    sent in IKEv2 fragments (RFC 7383) or in IP fragments.\n"
	"  - SSTP: TCP 443 sessions from SYN to FIN or RST (or the end of the\n"
	"    capture), the peak number at once, against Azure's SSTP limit of 128.\n"
	"    Probers are listed apart, not counted as SSTP clients or sessions.\n"
	"\n"
	"Options:\n"
	"  --json       the report as one JSON object instead of text; keys:\n"
	"                 capture {frames, bytes, first, last, duration_s}\n"
	"                 gateways [{name, frames, ike_sas, ike_established,\n"
	"                   sstp_sessions, clients_total, failing_clients,\n"
	"                   probes_healthy, probes_unhealthy, backends_unhealthy,\n"
	"                   clients [...], health {...}}]\n"
	"                 warnings [{kind: ike_split, client, ispi, udp500_gateway,\n"
	"                   udp4500_gateway} | {kind: azure_sstp_limit, peak, limit}]\n"
	"                 client_totals {clients, failing, attempts, failures}\n"
	"                 clients [{address, protocol (ikev2, sstp), attempts,\n"
	"                   successes, failures, unknown, reasons [{reason, count,\n"
	"                   text}], first, last}]: reason is tcp_refused, tcp_timeout,\n"
	"                   tls_alert, tls_reset, no_sstp_response, closed_early,\n"
	"                   no_init_response, init_error:NOTIFY, no_auth_request,\n"
	"                   no_auth_response or auth_failed\n"
	"                 health {probers [{address, kind (tcp, http, tls, udp), probes,\n"
	"                   healthy, unhealthy, backends, interval_s, inferred, first,\n"
	"                   last}], backends [{address, port, probes, healthy,\n"
	"                   unhealthy, status, last_probe, http_status, inferred,\n"
	"                   response_bytes, changes [{time, status, why}],\n"
	"                   changes_total}]}\n"
	"                 protocols {ikev2, natt, esp, sstp, other}: {frames, bytes,\n"
	"                   frames_in, frames_out, clients, first, last}\n"
	"                 ike {sas, established, incomplete, unknown, retransmissions,\n"
	"                   ikev1_frames, peak_concurrent, peak_time}\n"
	"                 ike_fragmentation {ike_auth_skf_messages, ike_auth_skf_fragments,\n"
	"                   ike_auth_ip_fragmented, ip_fragmented_datagrams,\n"
	"                   ip_fragmented_ike}\n"
	"                 ike_sas [{ispi, rspi, client, server, state, reason, natt,\n"
	"                   retransmissions, skf_messages, skf_fragments, ip_fragmented,\n"
	"                   first, last, exchanges {NAME: {requests, responses}}}]\n"
	"                 sstp {sessions, clients, peak_concurrent, peak_time,\n"
	"                   azure_limit, above_azure_limit, probe_sources, probe_sessions}\n"
	"                 sstp_sessions [{client, client_port, server, server_port,\n"
	"                   start, end, duration_s, frames, bytes, data_segments,\n"
	"                   syn_seen, end_reason (FIN, RST, open, reused)}]\n"
	"                 health_probes [{source, sessions, interval_s, first, last}]\n"
	"                 timeline {start_ns, step_ns, buckets, ike_sas [], sstp_sessions []}\n"
	"                 limits_hit {addresses, ike_sas, sstp_sessions, ip_fragments}\n"
	"               Times are UTC ISO 8601 strings (null when none), each with a\n"
	"               KEY_ns twin in nanoseconds since the epoch; frames_in and\n"
	"               frames_out count frames whose file records the direction.\n"
	"  --html FILE  also write a self-contained HTML page (tables and a timeline\n"
	"               chart of concurrent IKE SAs and SSTP sessions, a panel per\n"
	"               burst when the files are far apart) to FILE; it reads at\n"
	"               desktop and phone widths (wide tables scroll in their box)\n"
	"  -h, --help   this text\n"
	"\n"
	"Exit status: 0, 1 when the output could not be written, 2 for bad usage\n"
	"or a file that cannot be read (`vpncap: FILE: reason`). A file that ends\n"
	"inside its last block (a capture killed or out of disk) is reported up to\n"
	"there with a warning, status 0.\n";

/* "FILE: reason", whether or not input_file's reason already names the file. */
static void file_error(const char *path, char *err, size_t errlen)
{
	size_t n = strlen(path);

	err_one_line(err, errlen);
	if (!strncmp(err, path, n) && !strncmp(err + n, ": ", 2))
		log_error("%s", err);
	else
		log_error("%s: %s", path, err);
}

/* More gateways than this in one report are counted in the total only. */
#define REPORT_MAX_GATEWAYS 32

/*
 * The gateways of one report: who captured a frame, as the file says (host
 * and interface: "gw1:eth0"), or the command-line argument it came from
 * when the file does not name its host. Each gets its own report; the
 * breakdown is printed only when there are two or more.
 */
struct gateways {
	struct report *r[REPORT_MAX_GATEWAYS];
	char *name[REPORT_MAX_GATEWAYS];
	size_t n;
	uint64_t frames_over;           /* of gateways past the limit */
};

static void gateway_name(char *buf, size_t len, const struct input_file_frame *fr,
			 const char *label)
{
	const char *who = fr->host ? fr->host : label;

	if (who && *who && fr->iface)
		snprintf(buf, len, "%s:%s", who, fr->iface);
	else
		snprintf(buf, len, "%s", who && *who ? who : fr->iface ? fr->iface : "(unnamed)");
}

/* The report of a frame's gateway, made when new; NULL past the limit or out of memory. */
static struct report *gateway_of(struct gateways *g, const struct input_file_frame *fr,
				 const char *label)
{
	char name[200];
	size_t i;

	gateway_name(name, sizeof(name), fr, label);
	for (i = 0; i < g->n; i++)
		if (!strcmp(g->name[i], name))
			return g->r[i];
	if (g->n == REPORT_MAX_GATEWAYS)
		return NULL;
	g->r[g->n] = report_new();
	g->name[g->n] = strdup(name);
	if (!g->r[g->n] || !g->name[g->n]) {
		report_free(g->r[g->n]);
		free(g->name[g->n]);
		return NULL;
	}
	return g->r[g->n++];
}

/* Two or more gateways: the total owns them from now on. 0, or -1 out of memory. */
static int gateways_hand_over(struct gateways *g, struct report *total)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < g->n; i++) {
		if (g->n > 1 && !rc)
			rc = report_add_gateway(total, g->r[i], g->name[i]);
		else
			report_free(g->r[i]);
		free(g->name[i]);
	}
	g->n = 0;
	return rc;
}

static void gateways_free(struct gateways *g)
{
	while (g->n--) {
		report_free(g->r[g->n]);
		free(g->name[g->n]);
	}
}

/*
 * Every frame of one file into the report and its gateway's; only
 * Ethernet frames are decoded. A file that ends inside its last block
 * (torn) keeps the frames before it, with a warning, as `vpncap show` does.
 */
static int read_file(struct report *r, struct gateways *g, const char *path, const char *label)
{
	struct input_file_frame fr;
	struct report *gw;
	struct input_file *f;
	struct decoded d;
	char err[512];
	int rc;

	f = input_file_open(path, err, sizeof(err));
	if (!f) {
		file_error(path, err, sizeof(err));
		return -1;
	}
	while ((rc = input_file_next(f, &fr, err, sizeof(err))) == 1) {
		memset(&d, 0, sizeof(d));
		if (fr.linktype == 1)
			decode_frame(fr.data, fr.caplen, &d);
		report_add(r, fr.ts_ns, fr.dir, &d, fr.origlen);
		gw = gateway_of(g, &fr, label);
		if (gw)
			report_add(gw, fr.ts_ns, fr.dir, &d, fr.origlen);
		else
			g->frames_over++;
	}
	if (rc < 0)
		file_error(path, err, sizeof(err));
	rc = rc < 0 && !input_file_torn(f) ? -1 : 0;
	input_file_close(f);
	return rc;
}

struct report_opts {
	int json, help;
	const char *html;
	char **inputs;
	int ninputs;
};

static int parse_opts(int argc, char **argv, struct report_opts *o)
{
	enum { O_JSON, O_HELP, O_HTML };
	static const struct optdef defs[] = {
		{ "json", 0, 0, O_JSON, NULL }, { "help", 'h', 0, O_HELP, NULL }, { "html", 0, 1, O_HTML, "FILE" },
	};
	struct optparse p;
	const char *value;
	char err[256];
	int rc, id;

	memset(o, 0, sizeof(*o));
	o->inputs = calloc((size_t)argc + 1, sizeof(*o->inputs));
	if (!o->inputs)
		return -1;
	optparse_init(&p, argc, argv, OPTPARSE_PERMUTE);
	while ((rc = optparse_next(&p, defs, 3, &id, &value, err, sizeof(err))) != OPTPARSE_END) {
		if (rc == OPTPARSE_ERROR || (rc == OPTPARSE_OPTION && id == O_HTML && !*value)) {
			log_error("report: %s (see 'vpncap report --help')",
				  rc == OPTPARSE_ERROR ? err : "--html needs a FILE");
			return -1;
		}
		if (rc == OPTPARSE_WORD)
			o->inputs[o->ninputs++] = (char *)value; /* an argv string */
		else if (id == O_JSON)
			o->json = 1;
		else if (id == O_HELP)
			o->help = 1;
		else
			o->html = value;
	}
	if (!o->help && !o->ninputs) {
		log_error("report: no capture file or directory (see 'vpncap report --help')");
		return -1;
	}
	return 0;
}

static int write_html(struct report *r, const char *path)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f) {
		log_error("%s: %s", path, strerror(errno));
		return -1;
	}
	rc = report_print_html(r, f);
	if (fclose(f) || rc) {
		log_error("%s: %s", path, strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}

/*
 * The directory a file came from ("gw1" for gw1/ or gw1/x.pcapng): when
 * the files come from several directories, it names the gateway of the
 * files that do not name their host. NULL when out of memory.
 */
static char *directory_label(const char *path)
{
	char *l = strdup(path), *slash;
	size_t n;

	if (!l)
		return NULL;
	slash = strrchr(l, '/');
	if (!slash) {
		free(l);
		return strdup(".");
	}
	slash[slash == l] = '\0';     /* "/x" keeps its "/" */
	for (n = strlen(l); n > 1 && l[n - 1] == '/'; n--)
		l[n - 1] = '\0';
	return l;
}

/* "/tmp/x/gw1" -> "gw1" */
static const char *last_component(const char *dir)
{
	const char *slash = strrchr(dir, '/');

	return slash && slash[1] ? slash + 1 : dir;
}

/*
 * Two directories whose last components are the same ("a/gw1", "b/gw1")
 * keep their whole names; otherwise each is named by its last component.
 */
static void shorten_labels(char **labels, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			if (strcmp(labels[i], labels[j]) &&
			    !strcmp(last_component(labels[i]), last_component(labels[j])))
				return;
	for (i = 0; i < n; i++)
		memmove(labels[i], last_component(labels[i]), strlen(last_component(labels[i])) + 1);
}

/* Directory labels of the files, or NULL for all when they come from one directory. */
static char **directory_labels(const struct input_list *files)
{
	char **labels = calloc(files->n ? files->n : 1, sizeof(*labels));
	size_t i, distinct = 1;

	for (i = 0; labels && i < files->n; i++) {
		labels[i] = directory_label(files->v[i].path);
		if (!labels[i]) {       /* out of memory: the frames are unnamed */
			while (i--)
				free(labels[i]);
			free(labels);
			return NULL;
		}
		if (i && strcmp(labels[i], labels[0]))
			distinct = 2;
	}
	if (labels && distinct == 1)
		for (i = 0; i < files->n; i++)
			free(labels[i]), labels[i] = NULL;
	else if (labels)
		shorten_labels(labels, files->n);
	return labels;
}

static int read_files(struct report *r, struct gateways *g, const struct input_list *files)
{
	char **labels = directory_labels(files);
	size_t i;
	int rc = 0;

	for (i = 0; i < files->n && !rc; i++)
		rc = read_file(r, g, files->v[i].path, labels ? labels[i] : NULL);
	for (i = 0; labels && i < files->n; i++)
		free(labels[i]);
	free(labels);
	if (rc)
		return -1;
	if (g->frames_over)
		log_error("report: warning: more than %d gateways: %" PRIu64 " frames of the others are in "
			 "the total only", REPORT_MAX_GATEWAYS, g->frames_over);
	return 0;
}

static int report_run(const struct report_opts *o, const struct input_list *files)
{
	struct report *r = report_new();
	struct gateways g = { 0 };
	int rc = EXIT_OK;

	if (!r) {
		log_error("report: out of memory");
		return EXIT_RUNTIME;
	}
	if (read_files(r, &g, files)) {
		gateways_free(&g);
		report_free(r);
		return EXIT_USAGE;
	}
	if (gateways_hand_over(&g, r)) {
		log_error("report: out of memory");
		report_free(r);
		return EXIT_RUNTIME;
	}
	if (o->html && write_html(r, o->html))
		rc = EXIT_RUNTIME;
	if ((o->json ? report_print_json(r, stdout) : report_print_text(r, stdout)) && !rc) {
		log_error("standard output: %s", strerror(errno ? errno : EIO));
		rc = EXIT_RUNTIME;
	}
	report_free(r);
	return rc;
}

int cmd_report(int argc, char **argv)
{
	struct input_list files = { 0 };
	struct report_opts o;
	char err[512];
	int rc;

	if (parse_opts(argc, argv, &o)) {
		free(o.inputs);
		return EXIT_USAGE;
	}
	if (o.help) {
		fputs(report_usage, stdout);
		free(o.inputs);
		return EXIT_OK;
	}
	if (input_list_expand(&files, o.ninputs, o.inputs, err, sizeof(err))) {
		log_error("%s", err);
		rc = EXIT_USAGE;
	} else {
		rc = report_run(&o, &files);
	}
	input_list_free(&files);
	free(o.inputs);
	return rc;
}
