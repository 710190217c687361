// SPDX-License-Identifier: GPL-2.0-only
/*
 * Cost of the XDP classifier (bpf/classifier.bpf.c) by rule count: the
 * program is loaded from its skeleton and run in the kernel through
 * BPF_PROG_TEST_RUN, 1,000,000 times per measurement, on
 *  - a matching frame: IKE_SA_INIT on UDP 500, IPv4;
 *  - a frame matching no rule: a DNS query (UDP 40000 -> 53), IPv4;
 * with 1, 16 and 64 rules. Every rule names a protocol, a port range and
 * two prefixes (one IPv4, one IPv6). The matching rule is the last one; the
 * others cover port 500 too and differ only in their prefixes, so for the
 * IKE frame every rule is checked down to its last field (the worst case),
 * while the DNS frame is turned down by each rule's port range.
 *
 * Prints one table: rules, frame, ns per frame (the kernel's average,
 * opts.duration, median of 5 measurements), and the ratio to the 1-rule
 * case of the same frame measured in the same run. Needs root. Not a ctest
 * test: numbers depend on the machine. Usage: bench_classifier [repeat]
 */
#define _GNU_SOURCE             /* sched_getcpu, sched_setaffinity */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hook/kernel_probe.h"
#include "vpncap/abi.h"
#include "vpncap_classifier.skel.h"
#include "hook/classifier.h"

#define DEFAULT_REPEAT 1000000u
#define TRIALS 5

static struct vpncap_classifier *skel;
static int prog_fd, counters_fd, ncpus;

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void die(const char *what)
{
	fprintf(stderr, "bench_classifier: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void put_be16(uint8_t *q, uint16_t v)
{
	q[0] = v >> 8;
	q[1] = v & 0xff;
}

static uint16_t csum16(const uint8_t *d, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)d[i] << 8 | d[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/*
 * Ethernet + IPv4 (192.0.2.1 -> 198.51.100.2) + UDP sport -> dport + payload.
 * Returns the frame length.
 */
static size_t udp_frame(uint8_t *b, uint16_t sport, uint16_t dport, const uint8_t *payload,
			size_t plen)
{
	static const uint8_t macs[12] = { 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01 };
	uint8_t *ip = b + 14, *udp = ip + 20;
	size_t len = 14 + 20 + 8 + plen;

	memset(b, 0, len);
	memcpy(b, macs, 12);
	put_be16(b + 12, ETH_P_IP);
	ip[0] = 0x45;
	put_be16(ip + 2, (uint16_t)(20 + 8 + plen));
	put_be16(ip + 4, 0x1234);
	put_be16(ip + 6, 0x4000);       /* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	inet_pton(AF_INET, "192.0.2.1", ip + 12);
	inet_pton(AF_INET, "198.51.100.2", ip + 16);
	put_be16(ip + 10, csum16(ip, 20));
	put_be16(udp, sport);
	put_be16(udp + 2, dport);
	put_be16(udp + 4, (uint16_t)(8 + plen));
	memcpy(udp + 8, payload, plen);
	return len;
}

static void add_prefix(struct vpncap_rule *r, const char *addr, uint8_t len)
{
	struct vpncap_prefix *p = &r->addrs[r->n_addrs++];

	p->family = strchr(addr, ':') ? 6 : 4;
	p->len = len;
	if (inet_pton(p->family == 6 ? AF_INET6 : AF_INET, addr, p->addr) != 1) {
		fprintf(stderr, "bench_classifier: bad address %s\n", addr);
		exit(1);
	}
	r->fields |= VPNCAP_F_ADDR;
}

/* n rules; only the last one matches the IKE frame (see the top comment). */
static void fill_rules(unsigned n)
{
	struct vpncap_ruleset *set = calloc(1, sizeof(*set));
	char v4[32], v6[48];
	__u32 key = 0;
	unsigned i;

	if (!set)
		die("calloc");
	for (i = 0; i < n; i++) {
		struct vpncap_rule *r = &set->rules[i];

		r->fields = VPNCAP_F_PROTO | VPNCAP_F_PORT;
		r->l4_proto = IPPROTO_UDP;
		if (i + 1 < n) {
			r->port_lo = 400;
			r->port_hi = 600;
			snprintf(v4, sizeof(v4), "10.%u.0.0", i);
			snprintf(v6, sizeof(v6), "2001:db8:%x::", 0x100 + i);
			add_prefix(r, v4, 16);
			add_prefix(r, v6, 48);
		} else {
			r->port_lo = 500;
			r->port_hi = 500;
			add_prefix(r, "2001:db8::", 64);
			add_prefix(r, "192.0.2.0", 24);
		}
	}
	set->count = n;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.rules_map), &key, set, BPF_ANY))
		die("rules_map update");
	free(set);
}

static uint64_t matched_total(void)
{
	struct vpncap_counters *v = calloc(ncpus, sizeof(*v)), sum;
	__u32 key = 0;

	if (!v)
		die("calloc");
	if (bpf_map_lookup_elem(counters_fd, &key, v))
		die("counters_map lookup");
	counters_sum(v, ncpus, &sum);
	free(v);
	return sum.matched;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* Median over TRIALS of the kernel's average ns per run; checks the verdict. */
static __u32 measure(const uint8_t *frame, size_t len, unsigned repeat, int want_match)
{
	__u32 d[TRIALS];
	uint64_t before, after;
	int t;

	for (t = 0; t < TRIALS; t++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts,
			.data_in = frame,
			.data_size_in = (__u32)len,
			.repeat = repeat,
		);

		before = matched_total();
		if (bpf_prog_test_run_opts(prog_fd, &opts))
			die("BPF_PROG_TEST_RUN");
		after = matched_total();
		if (opts.retval != XDP_PASS || after - before != (want_match ? repeat : 0)) {
			fprintf(stderr, "bench_classifier: unexpected verdict (action %u, %llu matched)\n",
				opts.retval, (unsigned long long)(after - before));
			exit(1);
		}
		d[t] = opts.duration;
	}
	qsort(d, TRIALS, sizeof(d[0]), cmp_u32);
	return d[TRIALS / 2];
}

static void print_machine(void)
{
	char line[256], *model = NULL;
	struct utsname u;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			model = strchr(line, ':') + 2;
			model[strcspn(model, "\n")] = '\0';
			break;
		}
	}
	if (f)
		fclose(f);
	uname(&u);
	printf("cpu: %s, %d CPUs; kernel: %s\n", model ? model : "unknown", ncpus, u.release);
}

int main(int argc, char **argv)
{
	static const unsigned counts[] = { 1, 16, 64 };
	static const uint8_t dns[29] = { 0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
					 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
					 0, 1, 0, 1 };
	uint8_t ike[28] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
	uint8_t ike_frame[128], dns_frame[128];
	size_t ike_len, dns_len;
	struct vpncap_settings s = {
		.unmatched = VPNCAP_UNMATCHED_PASS,
		.active_rules = 0,
		.frag_timeout_ns = 30000000000ull,      /* the product defaults */
		.host_window_ns = 10000000000ull,
	};
	unsigned repeat = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : DEFAULT_REPEAT;
	__u32 ns[3][2], key = 0;
	struct classifier_variant variant;
	struct kernel_features kf;
	char err[256];
	cpu_set_t cpus;
	unsigned i;
	int fr;

	if (!repeat)
		repeat = DEFAULT_REPEAT;
	/* Stay on one CPU: test_run runs the program where it is called. */
	CPU_ZERO(&cpus);
	CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);

	libbpf_set_print(quiet);
	/* The variant vpncap itself loads on this kernel. */
	if (kernel_probe(&kf, err, sizeof(err)))
		die(err);
	classifier_choose_variant(&kf, &variant);
	skel = vpncap_classifier__open();
	if (skel)
		classifier_variant_apply(skel, &variant);
	if (!skel || vpncap_classifier__load(skel))
		die("cannot load the classifier (root and a BTF kernel needed)");
	prog_fd = bpf_program__fd(skel->progs.vpncap_xdp);
	counters_fd = bpf_map__fd(skel->maps.counters_map);
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		die("libbpf_num_possible_cpus");
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.settings_map), &key, &s, BPF_ANY))
		die("settings_map update");

	ike[16] = 33;                   /* IKEv2 IKE_SA_INIT request header */
	ike[17] = 0x20;
	ike[18] = 34;
	ike[19] = 0x08;
	ike[27] = 28;
	ike_len = udp_frame(ike_frame, 500, 500, ike, sizeof(ike));
	dns_len = udp_frame(dns_frame, 40000, 53, dns, sizeof(dns));

	for (i = 0; i < 3; i++) {
		fill_rules(counts[i]);
		ns[i][0] = measure(ike_frame, ike_len, repeat, 1);
		ns[i][1] = measure(dns_frame, dns_len, repeat, 0);
	}

	print_machine();
	printf("repeat %u per measurement, median of %d measurements\n\n", repeat, TRIALS);
	printf("| rules | frame | ns per frame | ratio to 1 rule |\n");
	printf("|------:|-------|-------------:|----------------:|\n");
	for (fr = 0; fr < 2; fr++)
		for (i = 0; i < 3; i++)
			printf("| %u | %s | %u | %.2f |\n", counts[i],
			       fr ? "DNS query (no match)" : "IKE UDP 500 (matches the last rule)",
			       ns[i][fr], ns[0][fr] ? (double)ns[i][fr] / ns[0][fr] : 0.0);
	vpncap_classifier__destroy(skel);
	return 0;
}
