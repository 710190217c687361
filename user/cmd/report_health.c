// SPDX-License-Identifier: GPL-2.0-only
/* Load-balancer health from the probes (see report_health.h). */
#include <stdlib.h>
#include <string.h>

#include "cmd/report_health.h"

static int cmp_addr(const struct addr_key *a, const struct addr_key *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->bin, b->bin, sizeof(a->bin));
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int same_backend(const struct health_probe *a, const struct health_probe *b)
{
	return !cmp_addr(&a->backend, &b->backend) && a->port == b->port && a->kind == b->kind;
}

static int by_backend_time(const void *pa, const void *pb)
{
	const struct health_probe *a = pa, *b = pb;
	int c = cmp_addr(&a->backend, &b->backend);

	if (c)
		return c;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return cmp_u64(a->ts_ns, b->ts_ns);
}

static int by_prober_backend_time(const void *pa, const void *pb)
{
	const struct health_probe *a = pa, *b = pb;
	int c = cmp_addr(&a->prober, &b->prober);

	if (c)
		return c;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return by_backend_time(pa, pb);
}

static int cmp_bytes(const void *pa, const void *pb)
{
	return cmp_u64(*(const uint64_t *)pa, *(const uint64_t *)pb);
}

/* Unhealthy backends first: those are the ones someone is looking for. */
static int backend_order(const void *pa, const void *pb)
{
	const struct health_backend *a = pa, *b = pb;
	int c = cmp_addr(&a->addr, &b->addr);

	if (a->healthy_now != b->healthy_now)
		return a->healthy_now - b->healthy_now;
	if (c)
		return c;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return a->kind < b->kind ? -1 : a->kind > b->kind;
}

static void backend_change(struct health_backend *b, const struct health_probe *p)
{
	struct health_change *c;

	if (b->n_changes++ >= HEALTH_MAX_CHANGES)
		return;
	c = &b->changes[b->n_changes - 1];
	c->ts_ns = p->ts_ns;
	c->healthy = p->verdict.healthy;
	memcpy(c->why, p->verdict.why, sizeof(c->why));
}

/* One backend's probes [0, n), in time order; scratch holds n sizes. */
static void judge_backend(struct health_backend *b, const struct health_probe *p, size_t n,
			  uint64_t *scratch)
{
	size_t i, sizes = 0;

	memset(b, 0, sizeof(*b));
	b->addr = p[0].backend;
	b->port = p[0].port;
	b->kind = p[0].kind;
	for (i = 0; i < n; i++) {
		const struct probe_verdict *v = &p[i].verdict;

		b->probes++;
		if (v->healthy) {
			b->healthy++;
			if (v->inferred)        /* sizes compared where the status is hidden */
				scratch[sizes++] = p[i].response_bytes;
		} else {
			b->unhealthy++;
		}
		if (i && v->healthy != p[i - 1].verdict.healthy)
			backend_change(b, &p[i]);
		b->inferred |= v->inferred;
		if (v->status)
			b->last_status = v->status;
		b->healthy_now = v->healthy;
		memcpy(b->last_why, v->why, sizeof(b->last_why));
		b->last_inferred = v->inferred;
	}
	if (sizes) {
		qsort(scratch, sizes, sizeof(*scratch), cmp_bytes);
		b->median_response_bytes = scratch[sizes / 2];
	}
}

static int tls_sizes_differ(const struct health *h)
{
	uint64_t first = 0;
	size_t i;

	for (i = 0; i < h->n_backends; i++) {
		uint64_t size = h->backends[i].median_response_bytes;

		if (h->backends[i].kind != PROBE_TLS || !size)
			continue;
		if (first && size != first)
			return 1;
		first = size;
	}
	return 0;
}

static int judge_backends(struct health_probe *p, size_t n, struct health *h)
{
	uint64_t *scratch = malloc((n ? n : 1) * sizeof(*scratch));
	size_t i, start;

	h->backends = calloc(n ? n : 1, sizeof(*h->backends));
	if (!scratch || !h->backends) {
		free(scratch);
		return -1;
	}
	qsort(p, n, sizeof(*p), by_backend_time);
	for (start = 0; start < n; start = i) {
		for (i = start + 1; i < n && same_backend(&p[i], &p[start]); i++)
			;
		judge_backend(&h->backends[h->n_backends++], p + start, i - start, scratch);
	}
	free(scratch);
	qsort(h->backends, h->n_backends, sizeof(*h->backends), backend_order);
	h->tls_sizes_differ = tls_sizes_differ(h);
	return 0;
}

static void prober_probe(struct health_prober *pr, const struct health_probe *p,
			 const struct health_probe *prev, uint64_t *gaps, uint32_t *n_gaps)
{
	pr->probes++;
	if (p->verdict.healthy)
		pr->healthy++;
	else
		pr->unhealthy++;
	pr->inferred |= p->verdict.inferred;
	if (!pr->first_ns || p->ts_ns < pr->first_ns)
		pr->first_ns = p->ts_ns;
	if (p->ts_ns > pr->last_ns)
		pr->last_ns = p->ts_ns;
	if (!prev || !same_backend(prev, p)) {
		pr->backends++;
		return;
	}
	*gaps += p->ts_ns - prev->ts_ns;
	(*n_gaps)++;
}

static int judge_probers(struct health_probe *p, size_t n, struct health *h)
{
	size_t i;

	h->probers = calloc(n ? n : 1, sizeof(*h->probers));
	if (!h->probers)
		return -1;
	qsort(p, n, sizeof(*p), by_prober_backend_time);
	for (i = 0; i < n;) {
		struct health_prober *pr = &h->probers[h->n_probers++];
		uint64_t gaps = 0;
		uint32_t n_gaps = 0;
		size_t start = i;

		memset(pr, 0, sizeof(*pr));
		pr->addr = p[i].prober;
		pr->kind = p[i].kind;
		for (; i < n && !cmp_addr(&p[i].prober, &pr->addr) && p[i].kind == pr->kind; i++)
			prober_probe(pr, &p[i], i > start ? &p[i - 1] : NULL, &gaps, &n_gaps);
		pr->interval_s = n_gaps ? (double)gaps / n_gaps / 1e9 : 0;
	}
	return 0;
}

int health_judge(struct health_probe *probes, size_t n, struct health *h)
{
	memset(h, 0, sizeof(*h));
	if (judge_backends(probes, n, h) || judge_probers(probes, n, h)) {
		health_free(h);
		return -1;
	}
	return 0;
}

void health_free(struct health *h)
{
	free(h->probers);
	free(h->backends);
	memset(h, 0, sizeof(*h));
}
