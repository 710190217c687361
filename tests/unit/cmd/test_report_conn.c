// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of report_conn: what becomes of a TCP 443 connection (each
 * failure of a client by the shape of its frames) and the verdict of a
 * load-balancer probe, in clear (HTTP status) and inside TLS (by shape),
 * for TLS 1.3 and TLS 1.2 conversations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/report_conn.h"

#define T0 UINT64_C(1764237600000000000)
#define MS UINT64_C(1000000)
#define SEC UINT64_C(1000000000)

enum { FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10 };
enum { C, S };  /* who sends */

struct conv {
	struct conn_obs c;
	uint64_t t;
};

static void seg(struct conv *v, int from, uint8_t flags, uint32_t len, int tls_type, int hs)
{
	struct decoded d;

	memset(&d, 0, sizeof(d));
	d.kind = DECODE_TCP;
	d.family = 4;
	d.tcp.flags = flags;
	d.tcp.payload_len = len;
	d.l4_len = len;
	d.tcp.tls_type = (uint8_t)tls_type;
	d.tcp.tls_handshake = hs;
	v->t += MS;
	conn_frame(&v->c, &d, from == C, v->t);
}

static void http(struct conv *v, int from, const char *method, const char *path, uint16_t status)
{
	struct decoded d;

	memset(&d, 0, sizeof(d));
	d.kind = DECODE_TCP;
	d.family = 4;
	d.tcp.flags = PSH | ACK;
	d.tcp.payload_len = d.l4_len = 100;
	d.tcp.tls_handshake = -1;
	snprintf(d.http.method, sizeof(d.http.method), "%s", method);
	snprintf(d.http.path, sizeof(d.http.path), "%s", path);
	d.http.status = status;
	v->t += MS;
	conn_frame(&v->c, &d, from == C, v->t);
}

static void start(struct conv *v)
{
	v->t = T0;
	conn_init(&v->c, T0);
	seg(v, C, SYN, 0, 0, -1);
	seg(v, S, SYN | ACK, 0, 0, -1);
	seg(v, C, ACK, 0, 0, -1);
}

/* TLS 1.3 up to the server's flight: hello; hello, ccs, encrypted extensions... */
static void tls13_hellos(struct conv *v)
{
	seg(v, C, PSH | ACK, 517, 22, 1);
	seg(v, S, PSH | ACK, 766, 22, 2);
}

/* The client's Finished and its request (one turn), then the server's answer. */
static void tls13_request(struct conv *v, int answered)
{
	seg(v, C, PSH | ACK, 80, 20, -1);
	seg(v, C, PSH | ACK, 139, 23, -1);
	if (answered)
		seg(v, S, PSH | ACK, 375, 23, -1);
}

static void close_by(struct conv *v, int who, uint8_t flag)
{
	seg(v, who, flag | ACK, 0, 0, -1);
}

static void test_refused_and_timeout(void **state)
{
	struct conv v;

	(void)state;
	v.t = T0;
	conn_init(&v.c, T0);
	seg(&v, C, SYN, 0, 0, -1);
	seg(&v, S, RST | ACK, 0, 0, -1);
	assert_int_equal(conn_result(&v.c, v.t), CONN_REFUSED);

	conn_init(&v.c, T0);
	v.t = T0;
	seg(&v, C, SYN, 0, 0, -1);
	seg(&v, C, SYN, 0, 0, -1);
	assert_int_equal(conn_result(&v.c, T0 + SEC), CONN_UNKNOWN);   /* the capture ended soon */
	assert_int_equal(conn_result(&v.c, T0 + 4 * SEC), CONN_TIMEOUT);
}

static void test_reset_during_handshake(void **state)
{
	struct conv v;

	(void)state;
	start(&v);
	seg(&v, C, PSH | ACK, 517, 22, 1);
	close_by(&v, S, RST);
	assert_int_equal(conn_result(&v.c, v.t + 10 * SEC), CONN_TLS_RESET);
	assert_string_equal(conn_result_key(CONN_TLS_RESET), "tls_reset");
}

static void test_alert(void **state)
{
	struct conv v;
	struct decoded d;

	(void)state;
	start(&v);
	seg(&v, C, PSH | ACK, 517, 22, 1);
	memset(&d, 0, sizeof(d));
	d.kind = DECODE_TCP;
	d.tcp.flags = PSH | ACK;
	d.tcp.payload_len = d.l4_len = 7;
	d.tcp.tls_type = 21;
	d.tcp.tls_handshake = -1;
	d.tls_alert_seen = 1;
	d.tls_alert = 40;       /* handshake_failure */
	conn_frame(&v.c, &d, 0, v.t + MS);
	close_by(&v, S, FIN);
	assert_int_equal(conn_result(&v.c, v.t + 10 * SEC), CONN_TLS_ALERT);
	assert_int_equal(v.c.alert, 40);
}

static void test_no_sstp_response(void **state)
{
	struct conv v;

	(void)state;
	start(&v);
	tls13_hellos(&v);
	tls13_request(&v, 0);
	close_by(&v, C, FIN);
	assert_int_equal(conn_result(&v.c, v.t), CONN_NO_SSTP_RESPONSE);
}

static void test_closed_early_and_connected(void **state)
{
	struct conv v;
	int i;

	(void)state;
	start(&v);
	tls13_hellos(&v);
	tls13_request(&v, 1);
	close_by(&v, S, FIN);
	assert_int_equal(conn_result(&v.c, v.t), CONN_CLOSED_EARLY);

	start(&v);
	tls13_hellos(&v);
	tls13_request(&v, 1);
	for (i = 0; i < CONN_SSTP_TURNS; i++)
		seg(&v, i % 2 ? S : C, PSH | ACK, 60, 23, -1);
	close_by(&v, C, FIN);
	assert_int_equal(conn_result(&v.c, v.t), CONN_OK);
	/* Still talking when the capture ended: not a failure. */
	start(&v);
	tls13_hellos(&v);
	tls13_request(&v, 1);
	assert_int_equal(conn_result(&v.c, v.t + MS), CONN_UNKNOWN);
}

static void test_tls13_probe_answered(void **state)
{
	struct probe_verdict pv;
	struct conv v;

	(void)state;
	start(&v);
	tls13_hellos(&v);
	tls13_request(&v, 1);
	seg(&v, C, PSH | ACK, 24, 23, -1);       /* close_notify: the client speaks last */
	close_by(&v, S, FIN);
	assert_int_equal(conn_probe_kind(&v.c, v.t), PROBE_TLS);
	conn_probe_verdict(&v.c, PROBE_TLS, v.t, &pv);
	assert_true(pv.healthy);
	assert_true(pv.inferred);
	assert_int_equal(v.c.answer_bytes, 375);
}

/* TLS 1.2: the server's ChangeCipherSpec turn is still handshake, not an answer. */
static void test_tls12_probe(void **state)
{
	struct probe_verdict pv;
	struct conv v;

	(void)state;
	start(&v);
	seg(&v, C, PSH | ACK, 200, 22, 1);
	seg(&v, S, PSH | ACK, 1400, 22, 2);
	seg(&v, C, PSH | ACK, 126, 22, 16);      /* ClientKeyExchange, CCS, Finished */
	seg(&v, S, PSH | ACK, 51, 20, -1);       /* CCS, Finished */
	seg(&v, C, PSH | ACK, 120, 23, -1);      /* the request */
	close_by(&v, S, FIN);
	conn_probe_verdict(&v.c, PROBE_TLS, v.t, &pv);
	assert_false(pv.healthy);
	assert_string_equal(pv.why, "no response to the request");
	assert_int_equal(conn_result(&v.c, v.t), CONN_NO_SSTP_RESPONSE);

	start(&v);
	seg(&v, C, PSH | ACK, 200, 22, 1);
	seg(&v, S, PSH | ACK, 1400, 22, 2);
	seg(&v, C, PSH | ACK, 126, 22, 16);
	seg(&v, S, PSH | ACK, 51, 20, -1);
	seg(&v, C, PSH | ACK, 120, 23, -1);
	seg(&v, S, PSH | ACK, 300, 23, -1);      /* the answer */
	close_by(&v, S, FIN);
	conn_probe_verdict(&v.c, PROBE_TLS, v.t, &pv);
	assert_true(pv.healthy);
	assert_int_equal(v.c.answer_bytes, 300);
}

static void test_http_probe(void **state)
{
	struct probe_verdict pv;
	struct conv v;

	(void)state;
	start(&v);
	http(&v, C, "GET", CONN_SSTP_HEALTH_PATH, 0);
	http(&v, S, "", "", 401);
	close_by(&v, S, FIN);
	assert_int_equal(conn_probe_kind(&v.c, v.t), PROBE_HTTP);
	conn_probe_verdict(&v.c, PROBE_HTTP, v.t, &pv);
	assert_true(pv.healthy);
	assert_false(pv.inferred);
	assert_int_equal(pv.status, 401);
	assert_string_equal(pv.why, "answered 401");

	start(&v);
	http(&v, C, "GET", CONN_SSTP_HEALTH_PATH, 0);
	http(&v, S, "", "", 200);       /* the health path wants 401: 200 is a wrong answer */
	close_by(&v, S, FIN);
	conn_probe_verdict(&v.c, PROBE_HTTP, v.t, &pv);
	assert_false(pv.healthy);
	assert_string_equal(pv.why, "answered 200");

	start(&v);
	http(&v, C, "GET", "/", 0);
	http(&v, S, "", "", 503);
	close_by(&v, S, FIN);
	conn_probe_verdict(&v.c, PROBE_HTTP, v.t, &pv);
	assert_false(pv.healthy);
	assert_int_equal(pv.status, 503);
}

static void test_probe_kinds(void **state)
{
	struct probe_verdict pv;
	struct conv v;

	(void)state;
	start(&v);
	close_by(&v, C, RST);
	assert_int_equal(conn_probe_kind(&v.c, v.t), PROBE_TCP);
	conn_probe_verdict(&v.c, PROBE_TCP, v.t, &pv);
	assert_true(pv.healthy);

	v.t = T0;
	conn_init(&v.c, T0);
	seg(&v, C, SYN, 0, 0, -1);
	seg(&v, S, RST | ACK, 0, 0, -1);
	conn_probe_verdict(&v.c, PROBE_TCP, v.t, &pv);
	assert_false(pv.healthy);
	assert_string_equal(pv.why, "refused");

	/* Long, or two requests: no probe. */
	start(&v);
	v.t += 3 * SEC;
	close_by(&v, C, FIN);
	assert_int_equal(conn_probe_kind(&v.c, v.t), PROBE_NOT);
	start(&v);
	http(&v, C, "GET", "/a", 0);
	http(&v, C, "GET", "/b", 0);
	close_by(&v, C, FIN);
	assert_int_equal(conn_probe_kind(&v.c, v.t), PROBE_NOT);
	/* Began before the capture (no SYN): no probe. */
	v.t = T0;
	conn_init(&v.c, T0);
	seg(&v, C, PSH | ACK, 100, 23, -1);
	assert_int_equal(conn_probe_kind(&v.c, v.t), PROBE_NOT);
	assert_int_equal(conn_result(&v.c, v.t), CONN_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused_and_timeout),
		cmocka_unit_test(test_reset_during_handshake),
		cmocka_unit_test(test_alert),
		cmocka_unit_test(test_no_sstp_response),
		cmocka_unit_test(test_closed_early_and_connected),
		cmocka_unit_test(test_tls13_probe_answered),
		cmocka_unit_test(test_tls12_probe),
		cmocka_unit_test(test_http_probe),
		cmocka_unit_test(test_probe_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
