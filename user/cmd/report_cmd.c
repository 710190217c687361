// SPDX-License-Identifier: GPL-2.0-only
/* `vpncap report`: the command: options, the files, the gateways they come from (see report.h). */
#include "cmd/report_model.h"
#include "cmd/cmd.h"
#include "log.h"
#include "optparse.h"
#include "read/input_file.h"
#include "read/input_list.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- vpncap report ----------------------------------------------------------- */

const char report_usage[] =
	"usage: vpncap report FILE...|DIR...|- [--json] [--html FILE]\n"
	"\n"
	"A summary of capture files (PCAPNG or pcap, gzip or zstd members of a\n"
	"vpncap file set) for troubleshooting and for planning the move off SSTP.\n"
	"A DIR stands for its vpncap-*.pcapng* members (.part files, still being\n"
	"written or left by a crash, are skipped) in sequence order, and its\n"
	"*.pcap and *.pcapng files by name.\n"
	"\n"
	"  - gateways: with files of several gateways (DIR1 DIR2 ..., or files of\n"
	"    several interfaces), a report per gateway and the total. A gateway is\n"
	"    named by the host and interface its files name (vpncap writes the host\n"
	"    first in each interface's description), else by its directory. An IKE\n"
	"    SA whose UDP 500 reached one gateway and UDP 4500 another is warned\n"
	"    about: the balancer does not keep a client on one gateway.\n"
	"  - clients, failing ones first: per address and protocol, attempts,\n"
	"    successes, and why each failed attempt failed. IKEv2: no IKE_SA_INIT\n"
	"    response, IKE_SA_INIT answered with an error notify, no IKE_AUTH, IKE_AUTH\n"
	"    refused (its last response too short for AUTH: an encrypted error such\n"
	"    as AUTHENTICATION_FAILED). SSTP, by the shape of the connection (TLS\n"
	"    hides the rest): TCP refused or timed out, TLS alert or reset during\n"
	"    the handshake, no SSTP response after it, closed early.\n"
	"  - load-balancer health: a source is a prober when all its connections\n"
	"    (at least 3) look like probes (TCP connect and close; one HTTP request\n"
	"    in clear; a TLS handshake with one request; datagrams to UDP 500/4500\n"
	"    that are not IKE), at a regular pace, and one got its full answer.\n"
	"    Verdicts: in clear the HTTP status (the SSTP health path\n"
	"    /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ is healthy when answered\n"
	"    401, anything else is not); inside TLS the shape (handshake, request,\n"
	"    response, close), marked inferred; UDP: ICMP port unreachable. Per\n"
	"    prober and per backend, with every change of a backend's state.\n"
	"  - per protocol (IKEv2 on UDP 500; NAT-T: IKE on UDP 4500 and keepalives;\n"
	"    ESP: IP protocol 50 and ESP in UDP; SSTP: TCP 443): frames, bytes,\n"
	"    distinct clients, first and last frame. A client is an IKE initiator's\n"
	"    address (ESP and keepalives count the initiators they carry), or the\n"
	"    sender of a SYN to port 443.\n"
	"  - IKE SAs by SPI pair: client, server, exchanges seen, state: established\n"
	"    (an IKE_AUTH response to the last IKE_AUTH request), incomplete (a\n"
	"    handshake that never completed, and why), or unknown (began before the\n"
	"    capture); retransmissions (the same message ID, request or response,\n"
	"    exchange and fragment number seen again in the same direction); IKE_AUTH\n"
	"    sent in IKEv2 fragments (RFC 7383) or in IP fragments.\n"
	"  - SSTP: TCP 443 sessions from SYN to FIN or RST (or the end of the\n"
	"    capture), the peak number at once, against Azure's SSTP limit of 128.\n"
	"    Probers are listed apart, not counted as SSTP clients or sessions.\n"
	"\n"
	"Options:\n"
	"  --json       the report as one JSON object instead of text; keys:\n"
	"                 capture {frames, bytes, first, last, duration_s}\n"
	"                 gateways [{name, frames, ike_sas, ike_established,\n"
	"                   sstp_sessions, clients_total, failing_clients,\n"
	"                   probes_healthy, probes_unhealthy, backends_unhealthy,\n"
	"                   clients [...], health {...}}]\n"
	"                 warnings [{kind: ike_split, client, ispi, udp500_gateway,\n"
	"                   udp4500_gateway} | {kind: azure_sstp_limit, peak, limit}]\n"
	"                 client_totals {clients, failing, attempts, failures}\n"
	"                 clients [{address, protocol (ikev2, sstp), attempts,\n"
	"                   successes, failures, unknown, reasons [{reason, count,\n"
	"                   text}], first, last}]: reason is tcp_refused, tcp_timeout,\n"
	"                   tls_alert, tls_reset, no_sstp_response, closed_early,\n"
	"                   no_init_response, init_error:NOTIFY, no_auth_request,\n"
	"                   no_auth_response or auth_failed\n"
	"                 health {probers [{address, kind (tcp, http, tls, udp), probes,\n"
	"                   healthy, unhealthy, backends, interval_s, inferred, first,\n"
	"                   last}], backends [{address, port, probes, healthy,\n"
	"                   unhealthy, status, last_probe, http_status, inferred,\n"
	"                   response_bytes, changes [{time, status, why}],\n"
	"                   changes_total}]}\n"
	"                 protocols {ikev2, natt, esp, sstp, other}: {frames, bytes,\n"
	"                   frames_in, frames_out, clients, first, last}\n"
	"                 ike {sas, established, incomplete, unknown, retransmissions,\n"
	"                   ikev1_frames, peak_concurrent, peak_time}\n"
	"                 ike_fragmentation {ike_auth_skf_messages, ike_auth_skf_fragments,\n"
	"                   ike_auth_ip_fragmented, ip_fragmented_datagrams,\n"
	"                   ip_fragmented_ike}\n"
	"                 ike_sas [{ispi, rspi, client, server, state, reason, natt,\n"
	"                   retransmissions, skf_messages, skf_fragments, ip_fragmented,\n"
	"                   first, last, exchanges {NAME: {requests, responses}}}]\n"
	"                 sstp {sessions, clients, peak_concurrent, peak_time,\n"
	"                   azure_limit, above_azure_limit, probe_sources, probe_sessions}\n"
	"                 sstp_sessions [{client, client_port, server, server_port,\n"
	"                   start, end, duration_s, frames, bytes, data_segments,\n"
	"                   syn_seen, end_reason (FIN, RST, open, reused)}]\n"
	"                 health_probes [{source, sessions, interval_s, first, last}]\n"
	"                 timeline {start_ns, step_ns, buckets, ike_sas [], sstp_sessions []}\n"
	"                 limits_hit {addresses, ike_sas, sstp_sessions, ip_fragments}\n"
	"               Times are UTC ISO 8601 strings (null when none), each with a\n"
	"               KEY_ns twin in nanoseconds since the epoch; frames_in and\n"
	"               frames_out count frames whose file records the direction.\n"
	"  --html FILE  also write a self-contained HTML page (tables and a timeline\n"
	"               chart of concurrent IKE SAs and SSTP sessions, a panel per\n"
	"               burst when the files are far apart) to FILE; it reads at\n"
	"               desktop and phone widths (wide tables scroll in their box)\n"
	"  -h, --help   this text\n"
	"\n"
	"Exit status: 0, 1 when the output could not be written, 2 for bad usage\n"
	"or a file that cannot be read (`vpncap: FILE: reason`). A file that ends\n"
	"inside its last block (a capture killed or out of disk) is reported up to\n"
	"there with a warning, status 0.\n";

/* "FILE: reason", whether or not input_file's reason already names the file. */
static void file_error(const char *path, char *err, size_t errlen)
{
	size_t n = strlen(path);

	err_one_line(err, errlen);
	if (!strncmp(err, path, n) && !strncmp(err + n, ": ", 2))
		log_error("%s", err);
	else
		log_error("%s: %s", path, err);
}

/* More gateways than this in one report are counted in the total only. */
#define REPORT_MAX_GATEWAYS 32

/*
 * The gateways of one report: who captured a frame, as the file says (host
 * and interface: "gw1:eth0"), or the command-line argument it came from
 * when the file does not name its host. Each gets its own report; the
 * breakdown is printed only when there are two or more.
 */
struct gateways {
	struct report *r[REPORT_MAX_GATEWAYS];
	char *name[REPORT_MAX_GATEWAYS];
	size_t n;
	uint64_t frames_over;           /* of gateways past the limit */
};

static void gateway_name(char *buf, size_t len, const struct input_file_frame *fr,
			 const char *label)
{
	const char *who = fr->host ? fr->host : label;

	if (who && *who && fr->iface)
		snprintf(buf, len, "%s:%s", who, fr->iface);
	else
		snprintf(buf, len, "%s", who && *who ? who : fr->iface ? fr->iface : "(unnamed)");
}

/* The report of a frame's gateway, made when new; NULL past the limit or out of memory. */
static struct report *gateway_of(struct gateways *g, const struct input_file_frame *fr,
				 const char *label)
{
	char name[200];
	size_t i;

	gateway_name(name, sizeof(name), fr, label);
	for (i = 0; i < g->n; i++)
		if (!strcmp(g->name[i], name))
			return g->r[i];
	if (g->n == REPORT_MAX_GATEWAYS)
		return NULL;
	g->r[g->n] = report_new();
	g->name[g->n] = strdup(name);
	if (!g->r[g->n] || !g->name[g->n]) {
		report_free(g->r[g->n]);
		free(g->name[g->n]);
		return NULL;
	}
	return g->r[g->n++];
}

/* Two or more gateways: the total owns them from now on. 0, or -1 out of memory. */
static int gateways_hand_over(struct gateways *g, struct report *total)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < g->n; i++) {
		if (g->n > 1 && !rc)
			rc = report_add_gateway(total, g->r[i], g->name[i]);
		else
			report_free(g->r[i]);
		free(g->name[i]);
	}
	g->n = 0;
	return rc;
}

static void gateways_free(struct gateways *g)
{
	while (g->n--) {
		report_free(g->r[g->n]);
		free(g->name[g->n]);
	}
}

/*
 * Every frame of one file into the report and its gateway's; only
 * Ethernet frames are decoded. A file that ends inside its last block
 * (torn) keeps the frames before it, with a warning, as `vpncap show` does.
 */
static int read_file(struct report *r, struct gateways *g, const char *path, const char *label)
{
	struct input_file_frame fr;
	struct report *gw;
	struct input_file *f;
	struct decoded d;
	char err[512];
	int rc;

	f = input_file_open(path, err, sizeof(err));
	if (!f) {
		file_error(path, err, sizeof(err));
		return -1;
	}
	while ((rc = input_file_next(f, &fr, err, sizeof(err))) == 1) {
		memset(&d, 0, sizeof(d));
		if (fr.linktype == 1)
			decode_frame(fr.data, fr.caplen, &d);
		report_add(r, fr.ts_ns, fr.dir, &d, fr.origlen);
		gw = gateway_of(g, &fr, label);
		if (gw)
			report_add(gw, fr.ts_ns, fr.dir, &d, fr.origlen);
		else
			g->frames_over++;
	}
	if (rc < 0)
		file_error(path, err, sizeof(err));
	rc = rc < 0 && !input_file_torn(f) ? -1 : 0;
	input_file_close(f);
	return rc;
}

struct report_opts {
	int json, help;
	const char *html;
	char **inputs;
	int ninputs;
};

static int parse_opts(int argc, char **argv, struct report_opts *o)
{
	enum { O_JSON, O_HELP, O_HTML };
	static const struct optdef defs[] = {
		{ "json", 0, 0, O_JSON, NULL }, { "help", 'h', 0, O_HELP, NULL }, { "html", 0, 1, O_HTML, "FILE" },
	};
	struct optparse p;
	const char *value;
	char err[256];
	int rc, id;

	memset(o, 0, sizeof(*o));
	o->inputs = calloc((size_t)argc + 1, sizeof(*o->inputs));
	if (!o->inputs)
		return -1;
	optparse_init(&p, argc, argv, OPTPARSE_PERMUTE);
	while ((rc = optparse_next(&p, defs, 3, &id, &value, err, sizeof(err))) != OPTPARSE_END) {
		if (rc == OPTPARSE_ERROR || (rc == OPTPARSE_OPTION && id == O_HTML && !*value)) {
			log_error("report: %s (see 'vpncap report --help')",
				  rc == OPTPARSE_ERROR ? err : "--html needs a FILE");
			return -1;
		}
		if (rc == OPTPARSE_WORD)
			o->inputs[o->ninputs++] = (char *)value; /* an argv string */
		else if (id == O_JSON)
			o->json = 1;
		else if (id == O_HELP)
			o->help = 1;
		else
			o->html = value;
	}
	if (!o->help && !o->ninputs) {
		log_error("report: no capture file or directory (see 'vpncap report --help')");
		return -1;
	}
	return 0;
}

static int write_html(struct report *r, const char *path)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f) {
		log_error("%s: %s", path, strerror(errno));
		return -1;
	}
	rc = report_print_html(r, f);
	if (fclose(f) || rc) {
		log_error("%s: %s", path, strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}

/*
 * The directory a file came from ("gw1" for gw1/ or gw1/x.pcapng): when
 * the files come from several directories, it names the gateway of the
 * files that do not name their host. NULL when out of memory.
 */
static char *directory_label(const char *path)
{
	char *l = strdup(path), *slash;
	size_t n;

	if (!l)
		return NULL;
	slash = strrchr(l, '/');
	if (!slash) {
		free(l);
		return strdup(".");
	}
	slash[slash == l] = '\0';     /* "/x" keeps its "/" */
	for (n = strlen(l); n > 1 && l[n - 1] == '/'; n--)
		l[n - 1] = '\0';
	return l;
}

/* "/tmp/x/gw1" -> "gw1" */
static const char *last_component(const char *dir)
{
	const char *slash = strrchr(dir, '/');

	return slash && slash[1] ? slash + 1 : dir;
}

/*
 * Two directories whose last components are the same ("a/gw1", "b/gw1")
 * keep their whole names; otherwise each is named by its last component.
 */
static void shorten_labels(char **labels, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			if (strcmp(labels[i], labels[j]) &&
			    !strcmp(last_component(labels[i]), last_component(labels[j])))
				return;
	for (i = 0; i < n; i++)
		memmove(labels[i], last_component(labels[i]), strlen(last_component(labels[i])) + 1);
}

/* Directory labels of the files, or NULL for all when they come from one directory. */
static char **directory_labels(const struct input_list *files)
{
	char **labels = calloc(files->n ? files->n : 1, sizeof(*labels));
	size_t i, distinct = 1;

	for (i = 0; labels && i < files->n; i++) {
		labels[i] = directory_label(files->v[i].path);
		if (!labels[i]) {       /* out of memory: the frames are unnamed */
			while (i--)
				free(labels[i]);
			free(labels);
			return NULL;
		}
		if (i && strcmp(labels[i], labels[0]))
			distinct = 2;
	}
	if (labels && distinct == 1)
		for (i = 0; i < files->n; i++)
			free(labels[i]), labels[i] = NULL;
	else if (labels)
		shorten_labels(labels, files->n);
	return labels;
}

static int read_files(struct report *r, struct gateways *g, const struct input_list *files)
{
	char **labels = directory_labels(files);
	size_t i;
	int rc = 0;

	for (i = 0; i < files->n && !rc; i++)
		rc = read_file(r, g, files->v[i].path, labels ? labels[i] : NULL);
	for (i = 0; labels && i < files->n; i++)
		free(labels[i]);
	free(labels);
	if (rc)
		return -1;
	if (g->frames_over)
		log_error("report: warning: more than %d gateways: %" PRIu64 " frames of the others are in "
			 "the total only", REPORT_MAX_GATEWAYS, g->frames_over);
	return 0;
}

static int report_run(const struct report_opts *o, const struct input_list *files)
{
	struct report *r = report_new();
	struct gateways g = { 0 };
	int rc = EXIT_OK;

	if (!r) {
		log_error("report: out of memory");
		return EXIT_RUNTIME;
	}
	if (read_files(r, &g, files)) {
		gateways_free(&g);
		report_free(r);
		return EXIT_USAGE;
	}
	if (gateways_hand_over(&g, r)) {
		log_error("report: out of memory");
		report_free(r);
		return EXIT_RUNTIME;
	}
	if (o->html && write_html(r, o->html))
		rc = EXIT_RUNTIME;
	if ((o->json ? report_print_json(r, stdout) : report_print_text(r, stdout)) && !rc) {
		log_error("standard output: %s", strerror(errno ? errno : EIO));
		rc = EXIT_RUNTIME;
	}
	report_free(r);
	return rc;
}

int cmd_report(int argc, char **argv)
{
	struct input_list files = { 0 };
	struct report_opts o;
	char err[512];
	int rc;

	if (parse_opts(argc, argv, &o)) {
		free(o.inputs);
		return EXIT_USAGE;
	}
	if (o.help) {
		fputs(report_usage, stdout);
		free(o.inputs);
		return EXIT_OK;
	}
	if (input_list_expand(&files, o.ninputs, o.inputs, err, sizeof(err))) {
		log_error("%s", err);
		rc = EXIT_USAGE;
	} else {
		rc = report_run(&o, &files);
	}
	input_list_free(&files);
	free(o.inputs);
	return rc;
}
