// SPDX-License-Identifier: GPL-2.0-only
/*
 * The counters a capture publishes: the identity, the Prometheus text
 * format, and reading it back (what `vpncap counters` does).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/counters.h"

static struct counters_snapshot a, b;

/* Two interfaces, bypass with two queues and inline; every field distinct. */
static void fill(struct counters_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->capture, sizeof(s->capture), "eth1+eth\"2\\x");
	s->pid = 4242;
	s->running = 1;
	s->start_time = 1795000000.25;
	s->time = 1795000060.5;
	snprintf(s->output, sizeof(s->output), "/var/lib/vpncap/a dir/");
	snprintf(s->current_file, sizeof(s->current_file), "/var/lib/vpncap/a dir/x.pcapng.part");
	s->n_ifaces = 2;
	snprintf(s->ifaces[0].name, sizeof(s->ifaces[0].name), "eth1");
	snprintf(s->ifaces[0].mode, sizeof(s->ifaces[0].mode), "bypass");
	s->ifaces[0].in = (struct vpncap_counters){ .seen = 1000, .matched = 700, .redirected = 690,
		.redirect_fail = 10, .passed = 310, .fragments = 5, .early_fragments = 1,
		.hw_stamped = 9 };
	s->ifaces[0].n_queues = 2;
	s->ifaces[0].queues[0] = (struct counters_queue){ 0, 400, 3, 2, 7 };
	s->ifaces[0].queues[1] = (struct counters_queue){ 3, 280, 4, 1, 0 };
	s->ifaces[0].queue_full = 6;
	s->ifaces[0].stamped = (struct counters_stamps){ .hook = 671, .batch = 2, .hardware = 3 };
	snprintf(s->ifaces[1].name, sizeof(s->ifaces[1].name), "eth2");
	snprintf(s->ifaces[1].mode, sizeof(s->ifaces[1].mode), "inline");
	s->ifaces[1].in = (struct vpncap_counters){ .seen = 500, .matched = 100, .copied = 90,
		.ring_full = 10, .passed = 500, .truncated = 2 };
	s->ifaces[1].out = (struct vpncap_counters){ .seen = 300, .matched = 80, .copied = 80,
		.passed = 300 };
	s->ifaces[1].ring_taken = 170;
	s->ifaces[1].queue_full = 4;
	s->ifaces[1].stamped = (struct counters_stamps){ .hook = 161, .batch = 5, .hardware = 7 };
	s->written = 820;
	s->bytes = 123456789;
	s->files = 3;
	s->disk_full = 7;
	s->min_free = 1;
	s->write_error = 2;
	s->after_count = 0;
	s->n_filters = 2;
	snprintf(s->filters[0].name, sizeof(s->filters[0].name), "IKE");
	s->filters[0].hits = 700;
	snprintf(s->filters[1].name, sizeof(s->filters[1].name), "Branch 1");
	s->filters[1].hits = 180;
}

static char *to_text(const struct counters_snapshot *s, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	assert_int_equal(counters_write_prometheus(f, s), 0);
	fclose(f);
	return buf;
}

static void test_identity(void **state)
{
	struct counters_identity id;

	(void)state;
	fill(&a);
	counters_identity(&a, &id);
	assert_int_equal(id.seen, 1800);
	/* eth1: 310 passed of which 10 no socket; eth2: 500 - 90 - 10, 300 - 80. */
	assert_int_equal(id.passed, 300 + 400 + 220);
	assert_int_equal(id.no_socket, 10);
	assert_int_equal(id.ring_full, 10);
	assert_int_equal(id.af_xdp_no_buffer, 7);
	assert_int_equal(id.af_xdp_ring_full, 3);
	assert_int_equal(id.queue_full, 10);
	assert_int_equal(id.written, 820);
	assert_true(id.holds);
	assert_int_equal(id.in_flight,
			 1800 - (920 + 820 + 10 + 10 + 7 + 3 + 10 + 7 + 1 + 2));

	a.written = 2000; /* more written than seen: cannot be */
	counters_identity(&a, &id);
	assert_false(id.holds);
	assert_int_equal(id.in_flight, 0);
}

static void test_round_trip(void **state)
{
	char err[256], *text;
	size_t len;

	(void)state;
	fill(&a);
	text = to_text(&a, &len);
	assert_non_null(strstr(text, "# TYPE vpncap_hook_seen_total counter\n"));
	assert_non_null(strstr(text, "vpncap_hook_seen_total{capture=\"eth1+eth\\\"2\\\\x\",interface=\"eth1\",direction=\"in\"} 1000\n"));
	assert_non_null(strstr(text, "vpncap_queue_taken_total{capture=\"eth1+eth\\\"2\\\\x\",interface=\"eth1\",queue=\"3\"} 280\n"));
	assert_non_null(strstr(text, "vpncap_writer_dropped_total{capture=\"eth1+eth\\\"2\\\\x\",reason=\"disk_full\"} 7\n"));
	assert_non_null(strstr(text, "vpncap_identity_holds{capture=\"eth1+eth\\\"2\\\\x\"} 1\n"));
	assert_int_equal(counters_parse_prometheus(text, len, &b, err, sizeof(err)), 0);
	free(text);
	assert_string_equal(b.capture, a.capture);
	assert_int_equal(b.pid, 4242);
	assert_int_equal(b.running, 1);
	assert_true(b.start_time > 1795000000.24 && b.start_time < 1795000000.26);
	assert_string_equal(b.output, a.output);
	assert_string_equal(b.current_file, a.current_file);
	assert_int_equal(b.n_ifaces, 2);
	assert_memory_equal(&b.ifaces[0], &a.ifaces[0], sizeof(a.ifaces[0]));
	assert_memory_equal(&b.ifaces[1], &a.ifaces[1], sizeof(a.ifaces[1]));
	assert_int_equal(b.n_filters, 2);
	assert_string_equal(b.filters[1].name, "Branch 1");
	assert_int_equal(b.filters[1].hits, 180);
	assert_int_equal(b.written, 820);
	assert_int_equal(b.bytes, 123456789);
	assert_int_equal(b.disk_full, 7);
	assert_int_equal(b.min_free, 1);
	assert_int_equal(b.write_error, 2);
}

/* One sample per interface and source, with its HELP and TYPE, read back to the same numbers. */
static void test_timestamp_sources(void **state)
{
	static const char *const want[] = {
		"vpncap_frames_timestamped_total{capture=\"c\",interface=\"eth1\",source=\"hook\"} 671\n",
		"vpncap_frames_timestamped_total{capture=\"c\",interface=\"eth1\",source=\"batch\"} 2\n",
		"vpncap_frames_timestamped_total{capture=\"c\",interface=\"eth1\",source=\"hardware\"} 3\n",
		"vpncap_frames_timestamped_total{capture=\"c\",interface=\"eth2\",source=\"hook\"} 161\n",
		"vpncap_frames_timestamped_total{capture=\"c\",interface=\"eth2\",source=\"batch\"} 5\n",
		"vpncap_frames_timestamped_total{capture=\"c\",interface=\"eth2\",source=\"hardware\"} 7\n",
		"# TYPE vpncap_frames_timestamped_total counter\n",
		"# HELP vpncap_frames_timestamped_total Frames by the source of their timestamp",
		"vpncap_hook_hw_stamped_total{capture=\"c\",interface=\"eth1\",direction=\"in\"} 9\n",
	};
	char err[256], *text;
	unsigned int i;
	size_t len;

	(void)state;
	fill(&a);
	snprintf(a.capture, sizeof(a.capture), "c");
	text = to_text(&a, &len);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(text, want[i]))
			fail_msg("missing: %s", want[i]);
	assert_int_equal(counters_parse_prometheus(text, len, &b, err, sizeof(err)), 0);
	free(text);
	assert_int_equal(b.ifaces[0].stamped.hook, 671);
	assert_int_equal(b.ifaces[0].stamped.batch, 2);
	assert_int_equal(b.ifaces[0].stamped.hardware, 3);
	assert_int_equal(b.ifaces[1].stamped.hook, 161);
	assert_int_equal(b.ifaces[1].stamped.batch, 5);
	assert_int_equal(b.ifaces[1].stamped.hardware, 7);
	assert_int_equal(b.ifaces[0].in.hw_stamped, 9);
}

/* A file of an older vpncap has no sources (zeros); a newer one's unknown source is skipped. */
static void test_timestamp_sources_old_and_new_writers(void **state)
{
	const char *text = "vpncap_capture_info{capture=\"x\"} 1\n"
			   "vpncap_interface_info{capture=\"x\",interface=\"e\",mode=\"bypass\"} 1\n"
			   "vpncap_frames_timestamped_total{capture=\"x\",interface=\"e\",source=\"ptp\"} 5\n"
			   "vpncap_frames_timestamped_total{capture=\"x\",interface=\"e\",source=\"hook\"} 4\n";
	char err[256];

	(void)state;
	assert_int_equal(counters_parse_prometheus(text, strlen(text), &b, err, sizeof(err)), 0);
	assert_int_equal(b.n_ifaces, 1);
	assert_int_equal(b.ifaces[0].stamped.hook, 4);
	assert_int_equal(b.ifaces[0].stamped.batch, 0);
	assert_int_equal(b.ifaces[0].stamped.hardware, 0);
}

static void expect_parse_error(const char *text, const char *why)
{
	char err[256] = "";

	assert_int_equal(counters_parse_prometheus(text, strlen(text), &b, err, sizeof(err)), -1);
	if (!strstr(err, why))
		fail_msg("error '%s' does not say '%s'", err, why);
}

static void test_parse_errors(void **state)
{
	(void)state;
	expect_parse_error("", "not a vpncap counters file");
	expect_parse_error("# only comments\n", "not a vpncap counters file");
	expect_parse_error("vpncap_capture_info{capture=\"x\"} 1\nvpncap_written_frames_total{capture=\"x\"} -1\n",
			   "line 2");
	expect_parse_error("vpncap_capture_info{capture=\"x} 1\n", "line 1");
	expect_parse_error("vpncap_capture_info{capture=\"x\"\n", "line 1");
	expect_parse_error("vpncap_hook_seen_total{interface=\"a\"} 99999999999999999999999\n",
			   "line 1");
	expect_parse_error("novalue\n", "line 1");
	expect_parse_error("vpncap_capture_info{capture=\"x\"} 1\n"
			   "vpncap_frames_timestamped_total{interface=\"e\",source=\"hook\"} 1.5\n",
			   "line 2");
	/* Times must convert to time_t (the fuzzer found inf). */
	expect_parse_error("vpncap_start_time_seconds{capture=\"x\"} inf\n", "line 1");
	expect_parse_error("vpncap_snapshot_time_seconds{capture=\"x\"} nan\n", "line 1");
	expect_parse_error("vpncap_start_time_seconds{capture=\"x\"} -1\n", "line 1");
	expect_parse_error("vpncap_start_time_seconds{capture=\"x\"} 1e300\n", "line 1");
}

static void test_unknown_metrics_skipped(void **state)
{
	const char *text = "vpncap_capture_info{capture=\"x\",pid=\"7\",running=\"yes\"} 1\n"
			   "vpncap_from_the_future_total{capture=\"x\"} 5\n"
			   "vpncap_written_frames_total{capture=\"x\"} 12\n";
	char err[256];

	(void)state;
	assert_int_equal(counters_parse_prometheus(text, strlen(text), &b, err, sizeof(err)), 0);
	assert_int_equal(b.written, 12);
	assert_int_equal(b.pid, 7);
}

static void test_json(void **state)
{
	char *buf = NULL;
	size_t len;
	FILE *f;

	(void)state;
	fill(&a);
	f = open_memstream(&buf, &len);
	counters_print_json(f, &a);
	fclose(f);
	assert_non_null(strstr(buf, "\"capture\":\"eth1+eth\\\"2\\\\x\""));
	assert_non_null(strstr(buf, "\"identity\":{\"seen\":1800,\"passed\":920,\"written\":820,"));
	assert_non_null(strstr(buf, "\"holds\":true}"));
	assert_non_null(strstr(buf, "{\"queue\":3,\"taken\":280,\"af_xdp_no_buffer\":4,"));
	assert_non_null(strstr(buf, "\"queue_full\":6,\"timestamps\":{\"hook\":671,\"batch\":2,\"hardware\":3},\"queues\":["));
	assert_non_null(strstr(buf, "\"queue_full\":4,\"timestamps\":{\"hook\":161,\"batch\":5,\"hardware\":7},\"queues\":[]"));
	assert_non_null(strstr(buf, "\"early_fragments\":1,\"hw_stamped\":9}"));
	free(buf);
}

/* One timestamps line per interface, under the interface it counts. */
static void test_text(void **state)
{
	char *buf = NULL, *eth1, *eth2, *line;
	size_t len;
	FILE *f;

	(void)state;
	fill(&a);
	f = open_memstream(&buf, &len);
	counters_print_text(f, &a);
	fclose(f);
	eth1 = strstr(buf, "\n  eth1 (bypass)\n");
	eth2 = strstr(buf, "\n  eth2 (inline)\n");
	assert_non_null(eth1);
	assert_non_null(eth2);
	line = strstr(eth1, "\n    timestamps: hook 671, batch 2, hardware 3 (the nic stamped 9 at the hook)\n");
	assert_non_null(line);
	assert_true(line < eth2);
	assert_non_null(strstr(eth2, "\n    timestamps: hook 161, batch 5, hardware 7 (the nic stamped 0 at the hook)\n"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_unknown_metrics_skipped),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_timestamp_sources),
		cmocka_unit_test(test_timestamp_sources_old_and_new_writers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
