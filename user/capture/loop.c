// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include "capture/session_parts.h"

/* ---- the hot path ------------------------------------------------------ */

/*
 * Bypass frames are taken by the consumer threads (consumer.c); this thread
 * takes the inline copies off each interface's BPF ring buffer, and does
 * everything that is not per frame.
 */

/* A ring record's token in the main thread's writer queue: its interface and end. */
#define RING_TOKEN_IF_SHIFT 56
#define RING_TOKEN_END_MASK ((1ull << RING_TOKEN_IF_SHIFT) - 1)

/* The writer is done with a ring record: its space goes back to the kernel. */
void session_release_ring_record(void *ctx, uint64_t token)
{
	struct capture_session *s = ctx;

	ring_rx_release(&s->ifaces[token >> RING_TOKEN_IF_SHIFT].ring, token & RING_TOKEN_END_MASK);
}

/*
 * ring_rx callback: one copied frame, in place in the ring. The writer queue
 * takes it by reference and the writer copies it from the ring into the file.
 */
int session_on_ring_frame(void *ctx, const struct ring_frame *frame)
{
	struct ring_ctx *rc = ctx;
	const struct vpncap_ring_rec *h = frame->hdr;
	struct captured c = {
		.data = frame->data,
		.len = h->caplen,
		.origlen = h->origlen > h->caplen ? h->origlen : h->caplen,
		.n_segs = 1,
		.queue = h->queue,
		.rule = h->rule,
		.flags = FRAME_REC_COPIED |
			 (h->ring_flags & VPNCAP_RING_OUTBOUND ? FRAME_REC_OUTBOUND : 0),
		.stamped = 1,
		.hook_ns = h->hook_ns,
		.hw_stamped = !!(h->flags & VPNCAP_META_HW_TS),
		.hw_ns = h->hw_ns,
		.can_keep = frame->end <= RING_TOKEN_END_MASK,
		.token = (uint64_t)rc->if_id << RING_TOKEN_IF_SHIFT | frame->end,
	};

	return frame_out_put(&rc->s->path, &rc->s->main_out, rc->if_id, &c, &rc->batch_ns) > 0;
}

static uint32_t drain_ring(struct capture_iface *ci)
{
	uint32_t n;

	ci->ring_ctx.batch_ns = 0;
	n = ring_rx_drain(&ci->ring);
	ci->live.ring_taken += n;
	return n;
}

/* Every ring once, then one hand-over to the writer; returns the frames taken. */
uint64_t session_drain_rings(struct capture_session *s)
{
	uint64_t total = 0;
	unsigned int i;

	/* Ring space of the records the writer has written goes back first. */
	frame_queue_reclaim(&s->main_out.queue);
	for (i = 0; i < s->n_ifaces; i++)
		if (s->ifaces[i].ring_open)
			total += drain_ring(&s->ifaces[i]);
	if (total)
		frame_out_publish(&s->path, &s->main_out);
	return total;
}

/*
 * The rings to sleep on. A ring with records the writer still holds polls
 * readable all along (the kernel counts them as unread): it is left out, and
 * *timeout_ms shortened so that their space goes back within a millisecond.
 */
static unsigned int build_pollfds(struct capture_session *s, struct pollfd *pfds,
				  int *timeout_ms)
{
	unsigned int i, n = 0;

	*timeout_ms = POLL_TIMEOUT_MS;
	for (i = 0; i < s->n_ifaces; i++) {
		if (!s->ifaces[i].ring_open)
			continue;
		if (ring_rx_kept(&s->ifaces[i].ring)) {
			*timeout_ms = HELD_POLL_MS;
			continue;
		}
		pfds[n++] = (struct pollfd){ .fd = ring_rx_fd(&s->ifaces[i].ring),
					     .events = POLLIN };
	}
	return n;
}

static int should_stop(struct capture_session *s, struct capture_signals *sig)
{
	if (sig->stop || s->gone_iface)
		return 1;
	if (frame_path_count_reached(&s->path))
		return 1;
	return s->deadline_mono_ns && clock_mono_ns() >= s->deadline_mono_ns;
}

/* ---- consumer threads ---------------------------------------------------- */

static unsigned int count_sockets(const struct capture_session *s)
{
	unsigned int i, n = 0;

	for (i = 0; i < s->n_ifaces; i++)
		n += s->ifaces[i].n_queues;
	return n;
}

/*
 * One consumer per socket (more sockets than threads share them round
 * robin), each with its share of --queue-size, so the writer queues together
 * stay within what was configured.
 */
int session_create_consumers(struct capture_session *s, char *err, size_t errlen)
{
	const struct capture_opts *o = s->opts;
	unsigned int sockets = count_sockets(s), i, j, k = 0;
	size_t share;
	int ret;

	s->n_consumers = sockets < CONSUMER_MAX_THREADS ? sockets : CONSUMER_MAX_THREADS;
	share = o->queue_size / (s->n_consumers + 1);
	/* -i any: interfaces that appear later get threads of their own, same share. */
	s->queue_share = share;
	s->cap_consumers = s->any ? CONSUMER_MAX_THREADS : s->n_consumers;
	ret = frame_out_init(&s->main_out, share);
	if (ret) {
		err_set(err, errlen, "cannot allocate the writer queue (--queue-size): %s",
			strerror(-ret));
		return ret;
	}
	frame_queue_set_reclaim(&s->main_out.queue, session_release_ring_record, s,
				RING_REFS_URGENT(o->ring_size));
	s->outs[s->n_outs++] = &s->main_out;
	if (!s->cap_consumers)
		return 0;
	s->consumers = calloc(s->cap_consumers, sizeof(*s->consumers));
	if (!s->consumers)
		return -ENOMEM;
	for (i = 0; i < s->n_consumers; i++) {
		ret = consumer_init(&s->consumers[i], &s->path, share,
				    o->n_cpus ? (int)o->cpus[i % o->n_cpus] : -1, o->busy_poll);
		if (ret) {
			err_set(err, errlen, "cannot allocate the writer queue of consumer %u: %s",
				i, strerror(-ret));
			s->n_consumers = i;
			return ret;
		}
		s->outs[s->n_outs++] = &s->consumers[i].out;
	}
	for (i = 0; i < s->n_ifaces; i++)
		for (j = 0; j < s->ifaces[i].n_queues; j++, k++)
			consumer_add_socket(&s->consumers[k % s->n_consumers],
					    &s->ifaces[i].queues[j], i, s->ifaces[i].info.name,
					    &s->ifaces[i].queue_taken[j]);
	return 0;
}

int session_start_consumers(struct capture_session *s, char *err, size_t errlen)
{
	unsigned int i;
	int ret;

	for (i = 0; i < s->n_consumers; i++) {
		ret = consumer_start(&s->consumers[i]);
		if (ret) {
			err_set(err, errlen, "cannot start consumer thread %u (CPU %d): %s", i,
				s->consumers[i].cpu, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* The hooks are detached first: each thread takes what its sockets still hold, then ends. */
void session_stop_consumers(struct capture_session *s)
{
	unsigned int i;

	atomic_store_explicit(&s->path.stop, 1, memory_order_release);
	for (i = 0; i < s->n_consumers; i++)
		consumer_join(&s->consumers[i]);
}

void session_free_consumers(struct capture_session *s)
{
	unsigned int i;

	for (i = 0; i < s->n_consumers; i++)
		consumer_destroy(&s->consumers[i]);
	free(s->consumers);
	s->consumers = NULL;
	s->n_consumers = 0;
}

/* Wait only when idle: under load the loop never sleeps or makes syscalls per frame. */
void session_capture_loop(struct capture_session *s, struct capture_signals *sig)
{
	struct pollfd pfds[CAPTURE_MAX_IFACES];
	int timeout_ms;
	uint64_t next_housekeeping = clock_mono_ns() + HOUSEKEEPING_NS;
	uint64_t next_filter_check = clock_mono_ns() + FILTER_CHECK_NS;
	uint64_t next_iface_check = clock_mono_ns() + IFACE_CHECK_NS;

	while (!should_stop(s, sig)) {
		if (!session_drain_rings(s)) {
			unsigned int nfds = build_pollfds(s, pfds, &timeout_ms);

			poll(pfds, nfds, timeout_ms);
		}
		if (sig->reload) {
			sig->reload = 0;
			session_reload(s);
		}
		/*
		 * A device gone: end now, with files complete (session.c says so);
		 * -i any ends that interface's part only, and takes new ones.
		 */
		if (clock_mono_ns() >= next_iface_check) {
			next_iface_check = clock_mono_ns() + IFACE_CHECK_NS;
			if (s->any) {
				session_follow_any(s);
			} else {
				s->gone_iface = session_find_gone_iface(s);
				if (s->gone_iface)
					break;
			}
		}
		if (clock_mono_ns() >= next_filter_check) {
			session_follow_filters_file(s);
			next_filter_check = clock_mono_ns() + FILTER_CHECK_NS;
		}
		if (clock_mono_ns() >= next_housekeeping) {
			/* One read of hooks, sockets and hits serves ISBs, counters and hits file. */
			session_publish_counters(s, 1);
			session_write_hits(s);
			session_show_status_line(s);
			session_follow_host_use(s);
			/* This thread's stamps for the rings; consumers resync their own. */
			clock_sync(&s->main_out.clock);
			next_housekeeping = clock_mono_ns() + HOUSEKEEPING_NS;
		}
	}
}
