// SPDX-License-Identifier: GPL-2.0-only
/* `vpncap report --html`: one self-contained page (see report.h). */
#include "cmd/report_model.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

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

/* A time as report_fmt_time() writes it: 2025-11-27T10:00:00.000Z. */
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
		const char *cells[6] = { report_fmt_addr(a1, sizeof(a1), &a->key),
					 report_client_proto_names[r->clients[i].proto], n1, n2, n3,
					 report_reasons_line(line, sizeof(line), c) };

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
		const char *cells[8] = { report_fmt_addr(a1, sizeof(a1), &p->addr), probe_kind_name(p->kind),
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
					 report_fmt_time(t, sizeof(t), b->changes[i].ts_ns, 0),
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
		const char *cells[8] = { report_fmt_endpoint(a1, sizeof(a1), &b->addr, b->port),
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
			report_fmt_addr(a1, sizeof(a1), &r->splits[i].client));
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
		const char *cells[6] = { report_proto_names[p], f, b, c,
					 report_fmt_time(t1, sizeof(t1), t->first_ns, 0),
					 report_fmt_time(t2, sizeof(t2), t->last_ns, 0) };

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
			report_fmt_time(t, sizeof(t), p->start_ns, 0));
		fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"end\">%s</text>\n", x1, PY1 + 16,
			report_fmt_time(t, sizeof(t), p->last_ns, 0));
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
		enum sa_state st = report_sa_state(sa, why, sizeof(why));
		const char *cells[9] = { spis, report_fmt_addr(c, sizeof(c), &sa->client),
					  report_fmt_addr(sv, sizeof(sv), &sa->server), report_sa_state_names[st],
					  why, rt, report_fmt_frag(fr, sizeof(fr), sa),
					  report_fmt_exchanges(x, sizeof(x), sa),
					  report_fmt_time(t, sizeof(t), sa->first_ns, 0) };

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
		const char *cells[6] = { c, sv, t, d, b, report_session_end_name(s) };

		if (report_session_is_probe(r, s))
			continue;
		n++;
		report_fmt_endpoint(c, sizeof(c), &s->client, s->cport);
		report_fmt_endpoint(sv, sizeof(sv), &s->server, s->sport);
		report_fmt_time(t, sizeof(t), s->start_ns, 0);
		snprintf(d, sizeof(d), "#%.3f", report_seconds(report_session_end(r, s) - s->start_ns));
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
		const char *cells[5] = { report_fmt_addr(a1, sizeof(a1), &a->key), n, iv,
					 report_fmt_time(t1, sizeof(t1), a->first_start, 0),
					 report_fmt_time(t2, sizeof(t2), a->last_start, 0) };

		if (!a->prober)
			continue;
		snprintf(n, sizeof(n), "#%u", a->sessions);
		snprintf(iv, sizeof(iv), "#%.3f", report_probe_interval(a));
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
		s->sstp_peak, report_fmt_time(t, sizeof(t), s->sstp_peak_ns, 0), REPORT_AZURE_SSTP_LIMIT);
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

	report_finish(r);
	fputs(html_head, out);
	fprintf(out, "<p>%" PRIu64 " frames, %" PRIu64 " bytes, %s to %s (%.3f s).</p>\n",
		s->frames, s->bytes, report_fmt_time(a, sizeof(a), r->first_ns, 0),
		report_fmt_time(b, sizeof(b), r->last_ns, 0), report_seconds(r->last_ns - r->first_ns));
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
