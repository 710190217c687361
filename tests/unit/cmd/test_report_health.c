// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of report_health: per-backend verdicts in time order, the
 * state changes, unhealthy backends first, TLS answer sizes from the
 * probes judged by shape only, and each prober's pace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/report_health.h"

#define T0 UINT64_C(1764237600000000000)
#define SEC UINT64_C(1000000000)

static struct addr_key v4(uint8_t last)
{
	struct addr_key k;

	memset(&k, 0, sizeof(k));
	k.family = 4;
	k.bin[0] = 198;
	k.bin[1] = 18;
	k.bin[3] = last;
	return k;
}

static struct health_probe probe(uint8_t prober, uint8_t backend, uint64_t t, enum probe_kind kind,
				 int healthy, uint16_t status, uint64_t bytes)
{
	struct health_probe p;

	memset(&p, 0, sizeof(p));
	p.prober = v4(prober);
	p.backend = v4(backend);
	p.port = 443;
	p.ts_ns = t;
	p.kind = kind;
	p.verdict.healthy = healthy;
	p.verdict.status = status;
	p.verdict.inferred = kind == PROBE_TLS;
	if (status)
		snprintf(p.verdict.why, sizeof(p.verdict.why), "answered %u", status);
	else
		snprintf(p.verdict.why, sizeof(p.verdict.why), "%s", healthy ? "ok" : "bad");
	p.response_bytes = bytes;
	return p;
}

static void test_changes_and_order(void **state)
{
	struct health_probe p[8];
	struct health h;
	int i;

	(void)state;
	/* Backend .1: 401, 401, 503, 503, 401 (given out of order); backend .2: always healthy. */
	p[0] = probe(21, 1, T0 + 2 * SEC, PROBE_HTTP, 0, 503, 0);
	p[1] = probe(21, 1, T0, PROBE_HTTP, 1, 401, 0);
	p[2] = probe(21, 1, T0 + 4 * SEC, PROBE_HTTP, 1, 401, 0);
	p[3] = probe(21, 1, T0 + 1 * SEC, PROBE_HTTP, 1, 401, 0);
	p[4] = probe(21, 1, T0 + 3 * SEC, PROBE_HTTP, 0, 503, 0);
	p[5] = probe(21, 2, T0, PROBE_HTTP, 1, 401, 0);
	p[6] = probe(21, 2, T0 + SEC, PROBE_HTTP, 1, 401, 0);
	p[7] = probe(22, 2, T0 + 2 * SEC, PROBE_TCP, 0, 0, 0);
	assert_int_equal(health_judge(p, 8, &h), 0);
	/* Each kind of probe judges a backend apart: .2 by HTTP and by TCP. */
	assert_int_equal(h.n_backends, 3);
	/* .2 by TCP ends unhealthy: first. */
	assert_int_equal(h.backends[0].addr.bin[3], 2);
	assert_int_equal(h.backends[0].kind, PROBE_TCP);
	assert_false(h.backends[0].healthy_now);
	assert_int_equal(h.backends[1].addr.bin[3], 1);
	assert_true(h.backends[1].healthy_now);
	assert_int_equal(h.backends[2].addr.bin[3], 2);
	assert_int_equal(h.backends[2].kind, PROBE_HTTP);
	assert_int_equal(h.backends[2].n_changes, 0);
	assert_int_equal(h.backends[1].probes, 5);
	assert_int_equal(h.backends[1].healthy, 3);
	assert_int_equal(h.backends[1].unhealthy, 2);
	assert_int_equal(h.backends[1].n_changes, 2);
	assert_int_equal(h.backends[1].changes[0].ts_ns, T0 + 2 * SEC);
	assert_false(h.backends[1].changes[0].healthy);
	assert_string_equal(h.backends[1].changes[0].why, "answered 503");
	assert_int_equal(h.backends[1].changes[1].ts_ns, T0 + 4 * SEC);
	assert_true(h.backends[1].changes[1].healthy);
	assert_int_equal(h.backends[1].last_status, 401);
	/* Probers by address: .21 probed 2 backends every second. */
	assert_int_equal(h.n_probers, 2);
	assert_int_equal(h.probers[0].addr.bin[3], 21);
	assert_int_equal(h.probers[0].probes, 7);
	assert_int_equal(h.probers[0].backends, 2);
	assert_int_equal(h.probers[0].unhealthy, 2);
	assert_true(h.probers[0].interval_s > 0.99 && h.probers[0].interval_s < 1.01);
	assert_int_equal(h.probers[1].kind, PROBE_TCP);
	for (i = 0; i < 3; i++)
		assert_false(h.backends[i].inferred);
	assert_false(h.tls_sizes_differ);
	health_free(&h);
}

static void test_tls_sizes(void **state)
{
	struct health_probe p[4];
	struct health h;

	(void)state;
	p[0] = probe(21, 1, T0, PROBE_TLS, 1, 0, 300);
	p[1] = probe(21, 1, T0 + SEC, PROBE_TLS, 1, 0, 310);
	p[2] = probe(21, 1, T0 + 2 * SEC, PROBE_TLS, 1, 0, 300);
	p[3] = probe(23, 1, T0 + 3 * SEC, PROBE_TCP, 1, 0, 0);    /* no size: not by shape */
	assert_int_equal(health_judge(p, 4, &h), 0);
	/* By TLS: the median of the sizes; by TCP: no size. */
	assert_int_equal(h.n_backends, 2);
	assert_int_equal(h.backends[0].kind, PROBE_TCP);
	assert_false(h.backends[0].inferred);
	assert_int_equal(h.backends[1].kind, PROBE_TLS);
	assert_int_equal(h.backends[1].median_response_bytes, 300);
	assert_true(h.backends[1].inferred);
	assert_true(h.backends[1].last_inferred);
	assert_int_equal(h.backends[1].n_changes, 0);
	assert_true(h.probers[0].inferred);
	assert_false(h.tls_sizes_differ);
	health_free(&h);
	/* A second backend whose TLS answers weigh otherwise: said. */
	p[0] = probe(21, 1, T0, PROBE_TLS, 1, 0, 300);
	p[1] = probe(21, 2, T0, PROBE_TLS, 1, 0, 310);
	assert_int_equal(health_judge(p, 2, &h), 0);
	assert_true(h.tls_sizes_differ);
	health_free(&h);
}

static void test_many_changes_counted(void **state)
{
	struct health_probe p[3 * HEALTH_MAX_CHANGES];
	struct health h;
	size_t i;

	(void)state;
	for (i = 0; i < 3 * HEALTH_MAX_CHANGES; i++)
		p[i] = probe(21, 1, T0 + i * SEC, PROBE_HTTP, (int)(i % 2), i % 2 ? 401 : 503, 0);
	assert_int_equal(health_judge(p, 3 * HEALTH_MAX_CHANGES, &h), 0);
	assert_int_equal(h.backends[0].n_changes, 3 * HEALTH_MAX_CHANGES - 1);
	health_free(&h);
	assert_int_equal(health_judge(p, 0, &h), 0);
	assert_int_equal(h.n_backends, 0);
	assert_int_equal(h.n_probers, 0);
	health_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_changes_and_order),
		cmocka_unit_test(test_tls_sizes),
		cmocka_unit_test(test_many_changes_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
