// SPDX-License-Identifier: GPL-2.0-only
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "hook/expr.h"
#include "log.h"

/* The frames the hooks see: Ethernet, whole (no snap length of libpcap's). */
#define EXPR_LINKTYPE DLT_EN10MB
#define EXPR_SNAPLEN 262144

static int too_long(const char *text, char *err, size_t errlen)
{
	if (strlen(text) < EXPR_TEXT_MAX)
		return 0;
	err_set(err, errlen, "expression longer than %d characters", EXPR_TEXT_MAX - 1);
	return 1;
}

int expr_compile(const char *text, struct expr_cbpf *out, char *err, size_t errlen)
{
	struct bpf_program prog = { 0 };
	pcap_t *p;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (too_long(text, err, errlen))
		return -1;
	p = pcap_open_dead(EXPR_LINKTYPE, EXPR_SNAPLEN);
	if (!p) {
		err_set(err, errlen, "libpcap: cannot make a compiler handle");
		return -1;
	}
	/* netmask unknown: "ip broadcast" is then refused, as by tcpdump -r. */
	if (pcap_compile(p, &prog, text, 1, PCAP_NETMASK_UNKNOWN)) {
		err_set(err, errlen, "'%s': %s", text, pcap_geterr(p));
		goto out;
	}
	out->insns = calloc(prog.bf_len, sizeof(*out->insns));
	if (!out->insns) {
		err_set(err, errlen, "out of memory");
		goto out_free;
	}
	/* struct bpf_insn of libpcap and struct sock_filter of Linux: same layout. */
	memcpy(out->insns, prog.bf_insns, prog.bf_len * sizeof(*out->insns));
	out->len = prog.bf_len;
	ret = 0;
out_free:
	pcap_freecode(&prog);
out:
	pcap_close(p);
	return ret;
}

void expr_cbpf_free(struct expr_cbpf *c)
{
	free(c->insns);
	c->insns = NULL;
	c->len = 0;
}

int expr_check(const char *text, char *err, size_t errlen)
{
	struct expr_cbpf c;

	if (expr_compile(text, &c, err, errlen))
		return -1;
	expr_cbpf_free(&c);
	return 0;
}
