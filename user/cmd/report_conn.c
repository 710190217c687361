// SPDX-License-Identifier: GPL-2.0-only
/* One TCP 443 connection's shape and verdicts (see report_conn.h). */
#include <stdio.h>
#include <string.h>

#include "cmd/report_conn.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

/* A probe is over quickly: connect, one request, one answer, close. */
#define PROBE_MAX_NS UINT64_C(2000000000)
/*
 * TLS 1.2 takes 6 turns for one request and its answer (hello, hello,
 * finished twice, request, answer), then both may send close_notify.
 */
#define PROBE_TLS_MAX_TURNS 8

enum speaker { NOBODY, CLIENT, SERVER };

static const struct {
	const char *key, *text;
} results[CONN_NRESULTS] = {
	[CONN_OK] = { "ok", "connected" },
	[CONN_REFUSED] = { "tcp_refused", "TCP refused (SYN answered by RST)" },
	[CONN_TIMEOUT] = { "tcp_timeout", "TCP timed out (SYN never answered)" },
	[CONN_TLS_ALERT] = { "tls_alert", "TLS alert during the handshake" },
	[CONN_TLS_RESET] = { "tls_reset", "reset or closed during the TLS handshake" },
	[CONN_NO_SSTP_RESPONSE] = { "no_sstp_response", "no SSTP response after the TLS handshake" },
	[CONN_CLOSED_EARLY] = { "closed_early", "closed early, before SSTP got going" },
	[CONN_UNKNOWN] = { "unknown", "began before the capture or still opening at its end" },
};

const char *conn_result_key(enum conn_result r)
{
	return (unsigned int)r < CONN_NRESULTS ? results[r].key : "unknown";
}

const char *conn_result_text(enum conn_result r)
{
	return (unsigned int)r < CONN_NRESULTS ? results[r].text : "unknown";
}

const char *probe_kind_name(enum probe_kind k)
{
	static const char *const names[] = { "none", "tcp", "http", "tls", "udp" };

	return (unsigned int)k < sizeof(names) / sizeof(names[0]) ? names[k] : "none";
}

void conn_init(struct conn_obs *c, uint64_t ts_ns)
{
	memset(c, 0, sizeof(*c));
	c->start_ns = c->last_ns = ts_ns;
	c->alert = -1;
}

static void client_payload(struct conn_obs *c, const struct decoded *d)
{
	c->client_data++;
	if (d->tcp.tls_handshake == 1)
		c->client_hello = 1;
	if (!d->http.method[0])
		return;
	if (c->http_requests < UINT8_MAX)
		c->http_requests++;
	if (!strcmp(d->http.path, CONN_SSTP_HEALTH_PATH))
		c->health_path = 1;
	if (c->http_requests == 1)
		snprintf(c->http_path, sizeof(c->http_path), "%.63s", d->http.path);
}

/* The wire's payload length: a snap length may have cut the capture. */
static uint32_t payload_of(const struct decoded *d)
{
	return d->l4_len ? d->l4_len : d->tcp.payload_len;
}

/*
 * The server's turn that ends its side of the TLS handshake: after it,
 * the client's next turn carries the request. TLS 1.3 ends it with the
 * ServerHello's flight; TLS 1.2 two turns later, with ChangeCipherSpec.
 */
static uint16_t tls_data_start(const struct conn_obs *c)
{
	return c->turns_at_ccs ? c->turns_at_ccs : c->turns_at_hello;
}

static void server_payload(struct conn_obs *c, const struct decoded *d)
{
	c->server_data++;
	c->server_bytes += payload_of(d);
	if (d->tcp.tls_handshake == 2 && !c->server_hello) {
		c->server_hello = 1;
		c->turns_at_hello = c->turns;
	}
	/* TLS 1.2 ends the server's handshake in a later turn, with a ChangeCipherSpec. */
	if (c->server_hello && d->tcp.tls_type == 20 && c->turns > c->turns_at_hello &&
	    !c->turns_at_ccs)
		c->turns_at_ccs = c->turns;
	if (c->server_hello && c->turns > tls_data_start(c) + 1)
		c->answer_bytes += payload_of(d);
	if (d->http.status && !c->http_status)
		c->http_status = d->http.status;
}

static void closing_flags(struct conn_obs *c, uint8_t flags, int to_server, uint64_t ts)
{
	if (flags & TCP_RST) {
		if (to_server)
			c->client_rst = 1;
		else
			c->server_rst = 1;
	}
	if (flags & TCP_FIN) {
		if (to_server)
			c->client_fin = 1;
		else
			c->server_fin = 1;
	}
	if ((flags & (TCP_RST | TCP_FIN)) && !c->end_ns)
		c->end_ns = ts;
}

void conn_frame(struct conn_obs *c, const struct decoded *d, int to_server, uint64_t ts)
{
	uint8_t flags = d->tcp.flags;
	enum speaker who = to_server ? CLIENT : SERVER;

	if (ts < c->start_ns)
		c->start_ns = ts;
	if (ts > c->last_ns)
		c->last_ns = ts;
	if (to_server && (flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
		c->syn = 1;
	if (!to_server && (flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK))
		c->synack = 1;
	closing_flags(c, flags, to_server, ts);
	if (d->tls_alert_seen && c->alert < 0) {
		c->alert = d->tls_alert;
		c->alert_from_server = !to_server;
	}
	if (!payload_of(d))
		return;
	if (c->last_speaker != who && c->turns < UINT16_MAX)
		c->turns++;
	c->last_speaker = (uint8_t)who;
	if (to_server)
		client_payload(c, d);
	else
		server_payload(c, d);
}

/* The client spoke again after the ServerHello: its side of the handshake is done. */
static int handshake_done(const struct conn_obs *c)
{
	return c->server_hello && c->turns > c->turns_at_hello;
}

/* The server spoke after the client's first turn of application data: its answer. */
static int answered(const struct conn_obs *c)
{
	return c->server_hello && c->turns >= tls_data_start(c) + 2;
}

static int closed(const struct conn_obs *c)
{
	return c->end_ns != 0;
}

/* A connection that never got an answer to its SYN. */
static enum conn_result unanswered(const struct conn_obs *c, uint64_t end)
{
	if (c->server_rst)
		return CONN_REFUSED;
	return end - c->start_ns >= CONN_TIMEOUT_NS ? CONN_TIMEOUT : CONN_UNKNOWN;
}

enum conn_result conn_result(const struct conn_obs *c, uint64_t end)
{
	if (!c->syn && !c->client_hello && !c->http_requests)
		return c->turns >= CONN_SSTP_TURNS ? CONN_OK : CONN_UNKNOWN;
	if (!c->synack && !c->server_data)
		return unanswered(c, end);
	if (c->turns >= CONN_SSTP_TURNS)
		return CONN_OK;
	if (!closed(c) && end - c->last_ns < CONN_TIMEOUT_NS)
		return CONN_UNKNOWN;    /* still talking when the capture ended */
	if (c->alert >= 0 && !handshake_done(c))
		return CONN_TLS_ALERT;
	if (!c->client_data)
		return CONN_CLOSED_EARLY;
	if (!handshake_done(c))
		return CONN_TLS_RESET;
	return answered(c) ? CONN_CLOSED_EARLY : CONN_NO_SSTP_RESPONSE;
}

enum probe_kind conn_probe_kind(const struct conn_obs *c, uint64_t end)
{
	uint64_t stop = closed(c) ? c->end_ns : end;

	if (!c->syn || stop - c->start_ns >= PROBE_MAX_NS)
		return PROBE_NOT;
	if (c->http_requests)
		return c->http_requests == 1 ? PROBE_HTTP : PROBE_NOT;
	if (!c->client_data)
		return PROBE_TCP;
	if (c->client_hello && c->turns <= PROBE_TLS_MAX_TURNS)
		return PROBE_TLS;
	return PROBE_NOT;
}

static void set_why(struct probe_verdict *v, const char *why)
{
	snprintf(v->why, sizeof(v->why), "%s", why);
}

/* 401 is the SSTP health check's healthy answer: the path needs authentication. */
static void http_verdict(const struct conn_obs *c, struct probe_verdict *v)
{
	v->status = c->http_status;
	if (!c->http_status) {
		set_why(v, c->server_rst ? "reset, no HTTP response" : "no HTTP response");
		return;
	}
	if (c->health_path)
		v->healthy = c->http_status == 401;
	else
		v->healthy = c->http_status == 401 || c->http_status < 400;
	snprintf(v->why, sizeof(v->why), "answered %u", c->http_status);
}

static void tls_verdict(const struct conn_obs *c, struct probe_verdict *v)
{
	v->inferred = 1;
	if (c->alert >= 0)
		set_why(v, "TLS alert during the handshake");
	else if (!handshake_done(c))
		set_why(v, "reset or closed during the TLS handshake");
	else if (!answered(c))
		set_why(v, "no response to the request");
	else
		v->healthy = 1, set_why(v, "handshake, request, response, close");
}

void conn_probe_verdict(const struct conn_obs *c, enum probe_kind k, uint64_t end,
			struct probe_verdict *v)
{
	memset(v, 0, sizeof(*v));
	if (!c->synack && !c->server_data) {
		set_why(v, c->server_rst ? "refused"
			   : end - c->start_ns >= CONN_TIMEOUT_NS ? "timed out" : "no answer yet");
		return;
	}
	switch (k) {
	case PROBE_HTTP:
		http_verdict(c, v);
		break;
	case PROBE_TLS:
		tls_verdict(c, v);
		break;
	default:
		v->healthy = 1;
		set_why(v, "connected");
	}
}
