/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One TCP 443 connection as `vpncap report` judges it: what its frames
 * showed (TCP handshake, TLS records in clear, HTTP in clear, who spoke
 * when), what became of it for a client (connected, or why not) and what
 * kind of load-balancer probe it could be and whether that probe found its
 * backend healthy. Pure: no I/O, no allocation; unit-tested on frame
 * sequences.
 *
 * Without the keys, TLS hides everything after the handshake, so the SSTP
 * verdicts read the shape of the conversation: how often the direction of
 * the data changed (its turns). An SSTP client that connects speaks many
 * turns (HTTP request and response, SSTP call connect, PPP); one that the
 * server does not answer stops after the TLS handshake.
 */
#ifndef VPNCAP_CMD_REPORT_CONN_H
#define VPNCAP_CMD_REPORT_CONN_H

#include <stdint.h>

#include "read/decode.h"

/* The SSTP health check of Microsoft's and the balancers' documentation. */
#define CONN_SSTP_HEALTH_PATH "/sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/"

/* Data turns a connected SSTP session reaches: TLS, HTTP, SSTP call, PPP. */
#define CONN_SSTP_TURNS 12
/* A SYN unanswered this long before the capture ended timed out. */
#define CONN_TIMEOUT_NS UINT64_C(3000000000)

/* An IP address as the report's tables key it: IPv4 in the first 4 bytes. */
struct addr_key {
	uint8_t family;         /* 4 or 6 */
	uint8_t bin[16];
};

struct conn_obs {
	uint64_t start_ns, last_ns, end_ns;     /* end_ns: first FIN or RST, 0 if none */
	uint8_t syn, synack;
	uint8_t client_rst, server_rst, client_fin, server_fin;
	uint8_t client_hello, server_hello;
	uint8_t last_speaker;           /* 0 none, 1 client, 2 server: for turns */
	uint16_t turns;                 /* direction changes of the data, saturating */
	uint16_t turns_at_hello;        /* turns when the ServerHello came */
	uint16_t turns_at_ccs;          /* when the server's ChangeCipherSpec came after it (TLS 1.2) */
	int alert;                      /* TLS alert description in clear, -1 if none */
	uint8_t alert_from_server;
	uint32_t client_data, server_data;      /* segments with payload */
	uint64_t server_bytes;          /* payload bytes from the server */
	uint64_t answer_bytes;          /* of them, after the client's first request in TLS */
	uint8_t http_requests;          /* requests in clear from the client */
	uint8_t health_path;            /* one of them asked for CONN_SSTP_HEALTH_PATH */
	char http_path[64];             /* the first request's path, cut */
	uint16_t http_status;           /* the first response's status in clear */
};

/* What became of one client connection. */
enum conn_result {
	CONN_OK,                /* reached SSTP's turns, or still talking at the end */
	CONN_REFUSED,           /* SYN answered by RST */
	CONN_TIMEOUT,           /* SYN never answered */
	CONN_TLS_ALERT,         /* an alert in clear during the handshake */
	CONN_TLS_RESET,         /* reset or closed by the server during the handshake */
	CONN_NO_SSTP_RESPONSE,  /* handshake done, the server never answered the request */
	CONN_CLOSED_EARLY,      /* answered, then closed before SSTP got going */
	CONN_UNKNOWN,           /* began before the capture, or too close to its end */
	CONN_NRESULTS
};

/* The key of a failure in JSON ("tcp_refused"), and its words for people. */
const char *conn_result_key(enum conn_result r);
const char *conn_result_text(enum conn_result r);

/* PROBE_UDP: a datagram to UDP 500 or 4500 that is not IKE (report.c finds those). */
enum probe_kind { PROBE_NOT, PROBE_TCP, PROBE_HTTP, PROBE_TLS, PROBE_UDP };
const char *probe_kind_name(enum probe_kind k);

struct probe_verdict {
	int healthy;
	uint16_t status;        /* HTTP status read in clear, 0 if none */
	int inferred;           /* judged by the shape (inside TLS) */
	char why[56];           /* "answered 401", "refused", "reset during the TLS handshake" */
};

void conn_init(struct conn_obs *c, uint64_t ts_ns);
/* One frame of the connection, in capture order; to_server when from the client. */
void conn_frame(struct conn_obs *c, const struct decoded *d, int to_server, uint64_t ts_ns);
/* capture_end_ns: the last frame of the capture, for connections still open. */
enum conn_result conn_result(const struct conn_obs *c, uint64_t capture_end_ns);
/* The kind of probe the connection could be; PROBE_NOT when it cannot be one. */
enum probe_kind conn_probe_kind(const struct conn_obs *c, uint64_t capture_end_ns);
/* A probe's verdict on its backend. */
void conn_probe_verdict(const struct conn_obs *c, enum probe_kind k, uint64_t capture_end_ns,
			struct probe_verdict *v);

#endif /* VPNCAP_CMD_REPORT_CONN_H */
