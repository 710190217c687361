// SPDX-License-Identifier: GPL-2.0-only
/* `vpncap report`: values as text, for the text, JSON and HTML printers (see report_model.h). */
#include "cmd/report_model.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <time.h>

/* ---- formatting ------------------------------------------------------------ */

/* UTC, ISO 8601: milliseconds for people, nanoseconds for JSON. "-" for none. */
const char *report_fmt_time(char *buf, size_t len, uint64_t ns, int nanos)
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

const char *report_fmt_addr(char *buf, size_t len, const struct addr_key *k)
{
	if (!inet_ntop(k->family == 6 ? AF_INET6 : AF_INET, k->bin, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

double report_seconds(uint64_t ns)
{
	return (double)ns / 1e9;
}

/* "IKE_SA_INIT 1/1, IKE_AUTH 1/1": requests/responses of each exchange seen. */
const char *report_fmt_exchanges(char *buf, size_t len, const struct ike_sa *sa)
{
	size_t n = 0;
	int x;

	buf[0] = 0;
	for (x = 0; x < NXCHG && n < len; x++) {
		if (!sa->req[x] && !sa->resp[x])
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s %u/%u", n ? ", " : "", report_xchgs[x].name,
				      sa->req[x], sa->resp[x]);
	}
	return n ? buf : "-";
}

/* How the SA's IKE_AUTH messages were fragmented: "SKF 4", "IP", "SKF 4, IP", "-". */
const char *report_fmt_frag(char *buf, size_t len, const struct ike_sa *sa)
{
	if (sa->skf_messages && sa->ip_fragmented)
		snprintf(buf, len, "SKF %u, IP", sa->skf_total);
	else if (sa->skf_messages)
		snprintf(buf, len, "SKF %u", sa->skf_total);
	else
		snprintf(buf, len, "%s", sa->ip_fragmented ? "IP" : "-");
	return buf;
}

const char *report_session_end_name(const struct tcp_session *s)
{
	if (s->flags & SES_RST)
		return "RST";
	if (s->flags & SES_FIN)
		return "FIN";
	if (s->flags & SES_REPLACED)
		return "reused";
	return "open";
}

/* "address:port" of a session end. */
const char *report_fmt_endpoint(char *buf, size_t len, const struct addr_key *k, uint16_t port)
{
	char a[INET6_ADDRSTRLEN];

	snprintf(buf, len, k->family == 6 ? "[%s]:%u" : "%s:%u", report_fmt_addr(a, sizeof(a), k), port);
	return buf;
}


double report_probe_interval(const struct addr_rec *a)
{
	return a->interval_s;
}


/* "4x reset or closed during the TLS handshake; 1x TCP refused" */
const char *report_reasons_line(char *line, size_t len, const struct client_stats *c)
{
	size_t used = 0;
	char buf[96];
	int f;

	line[0] = '\0';
	for (f = 0; f < NFAIL && used < len; f++)
		if (c->reasons[f])
			used += (size_t)snprintf(line + used, len - used, "%s%ux %s", used ? "; " : "",
						 c->reasons[f], report_fail_text(buf, sizeof(buf),
									  (enum fail_reason)f, c->init_error));
	if (c->unknown && used < len)
		snprintf(line + used, len - used, "%s%u unknown (began before the capture or still "
			 "opening)", used ? "; " : "", c->unknown);
	return line;
}
