// SPDX-License-Identifier: GPL-2.0-only
/* `vpncap report`: the text report (see report.h). */
#include "cmd/report_model.h"

#include <inttypes.h>
#include <string.h>

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
		fprintf(out, "%-8s %12" PRIu64 " %15" PRIu64 " ", report_proto_names[p], t->frames, t->bytes);
		if (p == REPORT_OTHER)
			fprintf(out, "%8s", "-");
		else
			fprintf(out, "%8" PRIu64, t->clients);
		fprintf(out, "  %-24s  %s\n", report_fmt_time(a, sizeof(a), t->first_ns, 0),
			report_fmt_time(b, sizeof(b), t->last_ns, 0));
	}
	if (s->ikev1_frames)
		fprintf(out, "(%" PRIu64 " IKEv1 frames are counted above but not followed as SAs)\n",
			s->ikev1_frames);
}

static void text_sa_row(const struct ike_sa *sa, FILE *out)
{
	char c[INET6_ADDRSTRLEN], sv[INET6_ADDRSTRLEN], x[160], f[24], why[96];
	enum sa_state st = report_sa_state(sa, why, sizeof(why));

	fprintf(out, "  %016" PRIx64 "/%016" PRIx64 "  %-15s %-15s %-11s %5u  %-9s %s\n", sa->ispi,
		sa->rspi, report_fmt_addr(c, sizeof(c), &sa->client), report_fmt_addr(sv, sizeof(sv), &sa->server),
		report_sa_state_names[st], sa->retransmissions, report_fmt_frag(f, sizeof(f), sa),
		report_fmt_exchanges(x, sizeof(x), sa));
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

		if (report_sa_state(sa, why, sizeof(why)) != SA_INCOMPLETE)
			continue;
		if (shown++ == TEXT_MAX_ROWS) {
			fprintf(out, "  ... and more (--json lists all)\n");
			break;
		}
		fprintf(out, "  %016" PRIx64 "  %s -> %s  %s (first seen %s)\n", sa->ispi,
			report_fmt_addr(c, sizeof(c), &sa->client), report_fmt_addr(sv, sizeof(sv), &sa->server),
			why, report_fmt_time(t, sizeof(t), sa->first_ns, 0));
	}
	fprintf(out, "Fragmented IKE_AUTH: %" PRIu64 " messages in IKEv2 fragments (SKF, %" PRIu64
		" fragments), %" PRIu64 " in IP fragments; IP-fragmented datagrams: %" PRIu64
		" (IKE %" PRIu64 ")\n",
		s->ike_auth_skf_messages, s->ike_auth_skf_fragments, s->ike_auth_ip_fragmented,
		s->ip_fragmented_datagrams, s->ip_fragmented_ike);
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

		if (report_session_is_probe(r, s))
			continue;
		shown++;
		n = (int)strlen(report_fmt_endpoint(e, sizeof(e), &s->client, s->cport));
		w = n > w ? n : w;
		n = (int)strlen(report_fmt_endpoint(e, sizeof(e), &s->server, s->sport));
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

		if (report_session_is_probe(r, s))
			continue;
		if (shown++ == TEXT_MAX_ROWS) {
			fprintf(out, "  ... and %" PRIu64 " more (--json lists all)\n",
				r->sum.sstp_sessions - TEXT_MAX_ROWS);
			break;
		}
		fprintf(out, "  %-*s %-*s %-24s %10.3f s %12" PRIu64 "  %s\n",
			w, report_fmt_endpoint(c, sizeof(c), &s->client, s->cport),
			w, report_fmt_endpoint(sv, sizeof(sv), &s->server, s->sport),
			report_fmt_time(t, sizeof(t), s->start_ns, 0),
			report_seconds(report_session_end(r, s) - s->start_ns), s->bytes, report_session_end_name(s));
	}
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
		fprintf(out, "  %-15s %8u %10.3f s  %-24s  %s\n", report_fmt_addr(a1, sizeof(a1), &a->key),
			a->sessions, report_probe_interval(a), report_fmt_time(t1, sizeof(t1), a->first_start, 0),
			report_fmt_time(t2, sizeof(t2), a->last_start, 0));
	}
}

static void text_sstp(const struct report *r, FILE *out)
{
	const struct report_summary *s = &r->sum;
	char t[40];

	fprintf(out, "\nSSTP (TCP 443): %" PRIu64 " sessions from %" PRIu64 " clients; peak %" PRIu64
		" concurrent at %s (Azure SSTP gateway limit: %d)\n",
		s->sstp_sessions, s->sstp_clients, s->sstp_peak,
		report_fmt_time(t, sizeof(t), s->sstp_peak_ns, 0), REPORT_AZURE_SSTP_LIMIT);
	if (s->sstp_peak > REPORT_AZURE_SSTP_LIMIT)
		fprintf(out, "warning: peak of %" PRIu64 " concurrent SSTP sessions is above the "
			"Azure SSTP gateway limit of %d\n", s->sstp_peak, REPORT_AZURE_SSTP_LIMIT);
	text_sessions(r, out);
	text_probes(r, out);
}

/* " (at gw1:eth0, gw2:eth0)" when there are gateways. */
static void text_client_gateways(const struct report *r, const struct addr_rec *a,
				 enum client_proto proto, FILE *out)
{
	size_t g;
	int n = 0;

	for (g = 0; g < r->n_gateways; g++)
		if (report_client_at_gateway(r, g, a, proto))
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

		fprintf(out, "  %-39s %-5s %8u %5u %6u  %s", report_fmt_addr(a1, sizeof(a1), &a->key),
			report_client_proto_names[r->clients[i].proto], c->attempts, c->successes, c->failures,
			report_reasons_line(line, sizeof(line), c));
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
			report_fmt_addr(a1, sizeof(a1), &p->addr), probe_kind_name(p->kind), p->probes,
			p->healthy, p->unhealthy, p->backends, p->interval_s,
			p->inferred ? "  (inside TLS: judged by shape, inferred)" : "");
	}
}

static void text_backend_changes(const struct health_backend *b, FILE *out)
{
	char t[40];
	uint32_t i;

	for (i = 0; i < b->n_changes && i < HEALTH_MAX_CHANGES; i++)
		fprintf(out, "      %s became %s (%s)\n", report_fmt_time(t, sizeof(t), b->changes[i].ts_ns, 0),
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
			report_fmt_endpoint(a1, sizeof(a1), &b->addr, b->port), probe_kind_name(b->kind),
			b->probes, b->healthy, b->unhealthy, b->healthy_now ? "healthy" : "UNHEALTHY",
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
			report_fmt_addr(a1, sizeof(a1), &sp->client), sp->ispi,
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

	report_finish(r);
	fprintf(out, "vpncap report: %" PRIu64 " frames, %" PRIu64 " bytes, %s to %s (%.3f s)\n\n",
		r->sum.frames, r->sum.bytes, report_fmt_time(a, sizeof(a), r->first_ns, 0),
		report_fmt_time(b, sizeof(b), r->last_ns, 0), report_seconds(r->last_ns - r->first_ns));
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
