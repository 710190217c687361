// SPDX-License-Identifier: GPL-2.0-only
/*
 * show's filter (see frame_filter.h): libpcap compiles, pcap_offline_filter
 * runs the program over each frame. A transport offset past the captured
 * bytes ends a classic BPF program with "no match" whatever the other
 * branches say, so the class words read the four bytes after the UDP header
 * only once the UDP length says they are there: a one-byte keepalive on
 * 4500 then still matches "natt or ike".
 */
#include "read/frame_filter.h"

#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define FILTER_SNAPLEN 262144
#define FILTER_LINKS_MAX 16     /* link types in one run; more are not filtered in */

/* The non-ESP marker (four zero bytes after the UDP header) read, or not. */
#define MARKER4(op) "(ip and udp[4:2] >= 12 and udp[8:4] " op " 0)"
#define MARKER6(op) "(ip6 and ip6[6] = 17 and ip6[44:2] >= 12 and ip6[48:4] " op " 0)"

static const struct {
	const char *word, *expr;
} classes[] = {
	{ "ike", "(udp port 500 or (udp port 4500 and (" MARKER4("=") " or " MARKER6("=") ")))" },
	{ "natt", "(udp port 4500)" },
	{ "esp", "(esp or (udp port 4500 and (" MARKER4("!=") " or " MARKER6("!=") ")))" },
	{ "sstp", "(tcp port 443)" },
};

struct link_prog {
	uint16_t linktype;
	int ok;                 /* compiled; else none of its frames match */
	struct bpf_program prog;
};

struct frame_filter {
	char *expr;             /* the expanded text */
	struct link_prog links[FILTER_LINKS_MAX];
	unsigned int n_links;
};

static int delimiter(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '(' || c == ')' || c == '!' ||
	       c == '&' || c == '|';
}

static void emit(char *out, size_t len, size_t *pos, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++, (*pos)++)
		if (*pos + 1 < len)
			out[*pos] = s[i];
}

static const char *class_expr(const char *tok, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (strlen(classes[i].word) == n && !strncmp(tok, classes[i].word, n))
			return classes[i].expr;
	return NULL;
}

int frame_filter_expand(const char *text, char *out, size_t len)
{
	size_t pos = 0;

	while (*text) {
		size_t n = 0;
		const char *e;

		if (delimiter(*text)) {
			emit(out, len, &pos, text++, 1);
			continue;
		}
		while (text[n] && !delimiter(text[n]))
			n++;
		e = class_expr(text, n);
		emit(out, len, &pos, e ? e : text, e ? strlen(e) : n);
		text += n;
	}
	if (len)
		out[pos < len ? pos : len - 1] = '\0';
	return (int)pos;
}

/* The DLT libpcap compiles for, from a file's LINKTYPE. */
static int dlt_of(uint16_t linktype)
{
	/* LINKTYPE_RAW, and the DLT_RAW values of other systems. */
	if (linktype == 101 || linktype == 12 || linktype == 14)
		return DLT_RAW;
	return linktype;
}

static int compile(const char *expr, uint16_t linktype, struct bpf_program *prog, char *err,
		   size_t errlen)
{
	pcap_t *p = pcap_open_dead(dlt_of(linktype), FILTER_SNAPLEN);
	int rc = 0;

	if (!p) {
		err_set(err, errlen, "libpcap: cannot make a compiler handle");
		return -1;
	}
	/* netmask unknown: "ip broadcast" is then refused, as by tcpdump -r. */
	if (pcap_compile(p, prog, expr, 1, PCAP_NETMASK_UNKNOWN)) {
		err_set(err, errlen, "%s", pcap_geterr(p));
		rc = -1;
	}
	pcap_close(p);
	return rc;
}

struct frame_filter *frame_filter_new(const char *text, char *err, size_t errlen)
{
	struct frame_filter *f = calloc(1, sizeof(*f));
	int n = frame_filter_expand(text, NULL, 0);

	if (!f || !(f->expr = malloc((size_t)n + 1))) {
		free(f);
		err_set(err, errlen, "out of memory");
		return NULL;
	}
	frame_filter_expand(text, f->expr, (size_t)n + 1);
	f->links[0].linktype = DLT_EN10MB;
	if (compile(f->expr, DLT_EN10MB, &f->links[0].prog, err, errlen)) {
		frame_filter_free(f);
		return NULL;
	}
	f->links[0].ok = 1;
	f->n_links = 1;
	return f;
}

static struct link_prog *link_prog(struct frame_filter *f, uint16_t linktype, char *err,
				   size_t errlen, int *new_failure)
{
	struct link_prog *l;
	unsigned int i;

	*new_failure = 0;
	for (i = 0; i < f->n_links; i++)
		if (f->links[i].linktype == linktype)
			return &f->links[i];
	if (f->n_links == FILTER_LINKS_MAX)
		return NULL;
	l = &f->links[f->n_links++];
	l->linktype = linktype;
	l->ok = !compile(f->expr, linktype, &l->prog, err, errlen);
	*new_failure = !l->ok;
	return l;
}

int frame_filter_match(struct frame_filter *f, uint16_t linktype, const uint8_t *data,
		       uint32_t caplen, uint32_t origlen, char *err, size_t errlen)
{
	struct pcap_pkthdr h = { .caplen = caplen, .len = origlen };
	struct link_prog *l;
	int new_failure;

	l = link_prog(f, linktype, err, errlen, &new_failure);
	if (!l || !l->ok)
		return new_failure ? -1 : 0;
	return pcap_offline_filter(&l->prog, &h, data) != 0;
}

void frame_filter_free(struct frame_filter *f)
{
	unsigned int i;

	if (!f)
		return;
	for (i = 0; i < f->n_links; i++)
		if (f->links[i].ok)
			pcap_freecode(&f->links[i].prog);
	free(f->expr);
	free(f);
}
