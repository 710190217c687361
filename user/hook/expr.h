/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Expressions: libpcap's filter syntax ("udp port 500 and host 198.18.0.1"),
 * compiled by libpcap's own pcap_compile(), the compiler every admin's
 * tcpdump uses, for Ethernet frames (DLT_EN10MB). The classic BPF that comes
 * out is translated into eBPF by hook/cbpf_xlate.c and run in the XDP and
 * TC hooks through the classifier's expr_progs (see vpncap/abi.h).
 */
#ifndef VPNCAP_HOOK_EXPR_H
#define VPNCAP_HOOK_EXPR_H

#include <stddef.h>
#include <linux/filter.h>

/* Longest expression text kept (filters.conf value, --rules, command line). */
#define EXPR_TEXT_MAX 512

/* A compiled expression: classic BPF, as libpcap emitted it. */
struct expr_cbpf {
	struct sock_filter *insns;
	unsigned int len;
};

/*
 * Compiles text (an empty or blank text selects every frame, as tcpdump).
 * 0, or -1 with libpcap's message in err ("syntax error" and the like);
 * out is empty after a failure. Free with expr_cbpf_free().
 */
int expr_compile(const char *text, struct expr_cbpf *out, char *err, size_t errlen);

void expr_cbpf_free(struct expr_cbpf *c);

/* expr_compile() without keeping the result: is text an expression? */
int expr_check(const char *text, char *err, size_t errlen);

#endif /* VPNCAP_HOOK_EXPR_H */
