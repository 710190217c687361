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
#include "cmd/report_model.h"

#include <stdlib.h>
#include <string.h>

static const struct report_limits default_limits = {
	.addresses = 1u << 18, .ike_sas = 1u << 17, .sessions = 1u << 18,
};

const char *const report_proto_names[REPORT_NPROTO] = { "IKEv2", "NAT-T", "ESP", "SSTP", "other" };
const char *const report_proto_keys[REPORT_NPROTO] = { "ikev2", "natt", "esp", "sstp", "other" };
const struct xchg_name report_xchgs[NXCHG] = {
	[X_INIT] = { 34, "IKE_SA_INIT" }, [X_AUTH] = { 35, "IKE_AUTH" },
	[X_CHILD] = { 36, "CREATE_CHILD_SA" }, [X_INFO] = { 37, "INFORMATIONAL" },
	[X_INTER] = { 43, "IKE_INTERMEDIATE" }, [X_OTHER] = { 0, "other" },
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
		if (report_xchgs[x].type == type)
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

/*
 * The SA's state and why it is not established, in the words of the SA
 * tables: one decision with the clients' (sa_fail_reason), two wordings.
 */
enum sa_state report_sa_state(const struct ike_sa *sa, char *why, size_t len)
{
	int f = sa_fail_reason(sa);
	char text[96];

	*why = 0;
	switch (f) {
	case -1:
		return SA_ESTABLISHED;
	case -2:
		snprintf(why, len, "began before the capture");
		return SA_UNKNOWN;
	case F_AUTH_FAILED:
		snprintf(why, len, "IKE_AUTH refused (a %u-byte response: an encrypted error "
			 "notify such as AUTHENTICATION_FAILED)", sa->auth_resp_len);
		break;
	case F_NO_AUTH_REQUEST:
		snprintf(why, len, "no IKE_AUTH request");
		break;
	default:
		snprintf(why, len, "%s", report_fail_text(text, sizeof(text), (enum fail_reason)f,
							  sa->init_error));
	}
	return SA_INCOMPLETE;
}

const char *const report_sa_state_names[] = { "established", "incomplete", "unknown" };

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
uint64_t report_session_end(const struct report *r, const struct tcp_session *s)
{
	uint64_t end = s->flags & SES_CLOSED ? s->end_ns : r->last_ns;

	return end > s->start_ns ? end : s->start_ns;
}

int report_session_is_probe(const struct report *r, const struct tcp_session *s)
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

		if (report_session_is_probe(r, s))
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

		if (!report_session_is_probe(r, s))
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

const char *const report_client_proto_keys[NCP] = { "ikev2", "sstp" };
const char *const report_client_proto_names[NCP] = { "IKEv2", "SSTP" };

/* "init_error:NO_PROPOSAL_CHOSEN" or "tls_reset". */
const char *report_fail_key(char *buf, size_t len, enum fail_reason f, uint16_t notify)
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

const char *report_fail_text(char *buf, size_t len, enum fail_reason f, uint16_t notify)
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

		if (s->client_addr == NONE || report_session_is_probe(r, s))
			continue;
		client_attempt(&((struct addr_rec *)table_at(&r->addrs, s->client_addr))->clients[CP_SSTP],
			       conn_fail_reason(conn_result(&s->obs, r->last_ns)), s->start_ns,
			       report_session_end(r, s));
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

/* 1 when gateway g saw attempts of this client over this protocol. */
int report_client_at_gateway(const struct report *r, size_t g, const struct addr_rec *a,
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

		if (!report_session_is_probe(r, s))
			add_interval(ev, &n, s->start_ns, report_session_end(r, s));
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

void report_finish(struct report *r)
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
		switch (report_sa_state(table_at(&r->sas, i), why, sizeof(why))) {
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
		report_finish(r->gateways[i]);
	find_ike_splits(r);
	s->ike_splits = r->n_splits;
}

void report_summarize(struct report *r, struct report_summary *s)
{
	report_finish(r);
	*s = r->sum;
}
