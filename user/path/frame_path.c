// SPDX-License-Identifier: GPL-2.0-only
#include "path/frame_path.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

/*
 * A NIC clock nobody synchronises counts from the NIC's reset, not from
 * 1970, and one that ptp4l disciplines usually runs on TAI, 37 s ahead of
 * UTC. A stamp is kept when it agrees with the hook's software stamp to
 * within this much, as UTC or as TAI (then moved to UTC); otherwise the
 * frame keeps its software stamp, and the file never claims 1970.
 */
#define HW_TS_MAX_SKEW_NS 1000000000ll

void frame_path_init(struct frame_path *p, uint32_t snaplen, int has_output, uint64_t count,
		     struct realtime *rt)
{
	memset(p, 0, sizeof(*p));
	p->snaplen = snaplen;
	p->has_output = has_output;
	p->count = count;
	p->rt = rt;
	pthread_mutex_init(&p->rt_lock, NULL);
}

void frame_path_destroy(struct frame_path *p)
{
	pthread_mutex_destroy(&p->rt_lock);
}

void frame_path_set_rules(struct frame_path *p, const struct vpncap_ruleset *rules)
{
	unsigned int i;

	for (i = 0; i < VPNCAP_MAX_RULES; i++)
		atomic_store_explicit(&p->rule_snaplen[i],
				      i < rules->count ? rules->rules[i].snaplen : 0,
				      memory_order_relaxed);
}

int frame_path_count_reached(struct frame_path *p)
{
	return p->count && atomic_load_explicit(&p->reserved, memory_order_relaxed) >= p->count;
}

int frame_out_init(struct frame_out *o, size_t queue_bytes)
{
	memset(o, 0, sizeof(*o));
	clock_sync(&o->clock);
	return frame_queue_init(&o->queue, queue_bytes);
}

void frame_out_destroy(struct frame_out *o)
{
	frame_queue_destroy(&o->queue);
}

/* --count: a place for one more frame, or 0 when the count is reached. */
static int reserve_place(struct frame_path *p)
{
	if (!p->count)
		return 1;
	if (atomic_fetch_add_explicit(&p->reserved, 1, memory_order_relaxed) < p->count)
		return 1;
	atomic_fetch_sub_explicit(&p->reserved, 1, memory_order_relaxed);
	return 0;
}

static void give_back_place(struct frame_path *p)
{
	if (p->count)
		atomic_fetch_sub_explicit(&p->reserved, 1, memory_order_relaxed);
}

/* A filter's own snaplen: IKE kept whole, ESP or TLS cut to their headers. */
static uint32_t caplen_of(const struct frame_path *p, const struct captured *c)
{
	uint32_t caplen = c->len < p->snaplen ? c->len : p->snaplen, rule_snaplen;

	if (c->rule >= VPNCAP_MAX_RULES)
		return caplen;
	rule_snaplen = atomic_load_explicit(&p->rule_snaplen[c->rule], memory_order_relaxed);
	return rule_snaplen && rule_snaplen < caplen ? rule_snaplen : caplen;
}

static int close_to(uint64_t a, uint64_t b)
{
	int64_t d = (int64_t)(a - b);

	return d < HW_TS_MAX_SKEW_NS && d > -HW_TS_MAX_SKEW_NS;
}

/* *ts_ns is the hook's stamp in UTC: replaced by the NIC's when that is sane. */
static int hw_to_utc(const struct vc_clock *clock, uint64_t hw_ns, uint64_t *ts_ns)
{
	uint64_t as_utc = (uint64_t)((int64_t)hw_ns + clock->tai_to_real_ns);

	if (close_to(hw_ns, *ts_ns)) {
		*ts_ns = hw_ns;
		return 1;
	}
	if (clock->tai_to_real_ns && close_to(as_utc, *ts_ns)) {
		*ts_ns = as_utc;
		return 1;
	}
	return 0;
}

/* The NIC's stamp when there is a sane one, else the hook's, else the batch's. */
static void stamp(struct frame_out *o, struct out_counts *n, const struct captured *c,
		  uint64_t *batch_ns, struct frame_rec *rec)
{
	uint64_t hook_ns = c->hook_ns;

	if (clock_frame_ns(&o->clock, c->stamped ? &hook_ns : NULL, batch_ns, &rec->ts_ns)) {
		rec->flags |= FRAME_REC_TS_HOOK;
		if (c->hw_stamped && hw_to_utc(&o->clock, c->hw_ns, &rec->ts_ns)) {
			rec->flags |= FRAME_REC_TS_HW;
			COUNT_ADD(n->ts_hw, 1);
			return;
		}
		COUNT_ADD(n->ts_hook, 1);
	} else {
		COUNT_ADD(n->ts_batch, 1);
	}
}

static void offer_view(struct frame_path *p, struct frame_out *o, const struct frame_rec *rec,
		       const struct captured *c)
{
	if (!p->rt)
		return;
	pthread_mutex_lock(&p->rt_lock);
	realtime_offer(p->rt, rec, c->data); /* the headers are in the first segment */
	pthread_mutex_unlock(&p->rt_lock);
	o->offered_view = 1;
}

/* A multi-buffer frame by reference: every buffer, each with its token. */
static int push_segments(struct frame_out *o, const struct frame_rec *rec,
			 const struct captured *c)
{
	struct frame_ref segs[FRAME_REC_MAX_SEGS];
	uint32_t i;

	if (c->n_segs > FRAME_REC_MAX_SEGS)
		return -EINVAL;
	for (i = 0; i < c->n_segs; i++)
		segs[i] = (struct frame_ref){
			.data = c->segs[i].iov_base,
			.token = c->seg_tokens[i],
			.len = (uint32_t)c->segs[i].iov_len,
		};
	return frame_queue_push_refs(&o->queue, rec, segs, c->n_segs);
}

/* 1: taken by reference, 0: copied, -ENOSPC: no room. */
static int push(struct frame_out *o, const struct frame_rec *rec, const struct captured *c)
{
	int ret;

	if (!c->can_keep)
		return c->n_segs > 1 ? frame_queue_pushv(&o->queue, rec, c->segs, c->n_segs) :
				       frame_queue_push(&o->queue, rec, c->data);
	ret = c->n_segs > 1 ? push_segments(o, rec, c) :
			      frame_queue_push_ref(&o->queue, rec, c->data, c->token);
	return ret ? ret : 1;
}

int frame_out_put(struct frame_path *p, struct frame_out *o, unsigned int if_id,
		  const struct captured *c, uint64_t *batch_ns)
{
	struct out_counts *n = &o->per_if[if_id];
	struct frame_rec rec = {
		.if_id = if_id,
		.caplen = caplen_of(p, c),
		.origlen = c->origlen,
		.queue = c->queue,
		.flags = c->flags,
	};
	int ret = 0;

	if (!reserve_place(p)) {
		COUNT_ADD(n->after_count, 1);
		return 0;
	}
	stamp(o, n, c, batch_ns, &rec);
	offer_view(p, o, &rec, c);
	if (p->has_output) {
		ret = push(o, &rec, c);
		if (ret < 0) {
			give_back_place(p);
			COUNT_ADD(n->queue_full, 1); /* the writer is behind: drop, never grow */
			return 0;
		}
	}
	COUNT_ADD(n->queued, 1);
	return ret;
}

void frame_out_publish(struct frame_path *p, struct frame_out *o)
{
	if (p->has_output)
		frame_queue_publish(&o->queue);
	if (o->offered_view) {
		pthread_mutex_lock(&p->rt_lock);
		realtime_publish(p->rt);
		pthread_mutex_unlock(&p->rt_lock);
		o->offered_view = 0;
	}
}

uint64_t frame_outs_sum(struct frame_out *const *outs, unsigned int n, unsigned int if_id,
			size_t counter_offset)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		_Atomic uint64_t *c = (void *)((char *)&outs[i]->per_if[if_id] + counter_offset);

		sum += COUNT_READ(*c);
	}
	return sum;
}
