// SPDX-License-Identifier: GPL-2.0-only
/* `vpncap report --json` (see report.h). */
#include "cmd/report_model.h"
#include "json.h"

#include <inttypes.h>

/* ---- JSON ------------------------------------------------------------------ */

/* "KEY": "ISO time", "KEY_ns": ns (null and 0 when none). */
static void json_time(FILE *out, const char *key, uint64_t ns)
{
	char t[40];

	fprintf(out, "\"%s\": ", key);
	if (ns)
		json_string(out, report_fmt_time(t, sizeof(t), ns, 1));
	else
		fputs("null", out);
	fprintf(out, ", \"%s_ns\": %" PRIu64, key, ns);
}

static void json_addr(FILE *out, const char *key, const struct addr_key *k)
{
	char a[INET6_ADDRSTRLEN];

	fprintf(out, "\"%s\": ", key);
	json_string(out, report_fmt_addr(a, sizeof(a), k));
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
			report_proto_keys[p], t->frames, t->bytes, t->frames_in, t->frames_out, t->clients);
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
	enum sa_state st = report_sa_state(sa, why, sizeof(why));
	int x, n = 0;

	fprintf(out, "    {\"ispi\": \"%016" PRIx64 "\", \"rspi\": \"%016" PRIx64 "\", ", sa->ispi,
		sa->rspi);
	json_addr(out, "client", &sa->client);
	fputs(", ", out);
	json_addr(out, "server", &sa->server);
	fprintf(out, ", \"state\": \"%s\", \"reason\": ", report_sa_state_names[st]);
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
			report_xchgs[x].name, sa->req[x], sa->resp[x]);
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
	uint64_t end = report_session_end(r, s);

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
		report_seconds(end - s->start_ns), s->frames, s->bytes, s->data,
		s->flags & SES_SYN ? "true" : "false", report_session_end_name(s));
}

static void json_sessions(const struct report *r, FILE *out)
{
	uint32_t i, n = 0;

	fputs("  \"sstp_sessions\": [", out);
	for (i = 0; i < r->sessions.n; i++) {
		const struct tcp_session *s = table_at(&r->sessions, i);

		if (report_session_is_probe(r, s))
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
			report_probe_interval(a));
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
		json_string(out, report_fail_key(key, sizeof(key), (enum fail_reason)f, c->init_error));
		fprintf(out, ", \"count\": %u, \"text\": ", c->reasons[f]);
		json_string(out, report_fail_text(text, sizeof(text), (enum fail_reason)f, c->init_error));
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
		if (!report_client_at_gateway(r, g, a, proto))
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
			"\"failures\": %u, \"unknown\": %u, ", report_client_proto_keys[r->clients[i].proto],
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
	report_finish(r);
	fprintf(out, "{\n  \"capture\": {\"frames\": %" PRIu64 ", \"bytes\": %" PRIu64 ", ",
		r->sum.frames, r->sum.bytes);
	json_time(out, "first", r->first_ns);
	fputs(", ", out);
	json_time(out, "last", r->last_ns);
	fprintf(out, ", \"duration_s\": %.6f},\n", report_seconds(r->last_ns - r->first_ns));
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
