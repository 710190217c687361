// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include "path/consumer.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define IDLE_POLL_MS 100
#define CLOCK_RESYNC_NS 1000000000ull
/*
 * While frames flow but a pass found less than a full batch, let the rings
 * fill for this long before the next pass instead of sleeping in poll(),
 * which the kernel would end at the very next frame: one wake-up per frame
 * costs more than the frame. A 4096-entry RX ring (the default) lasts 200 us
 * up to 20 million frames/s per queue. This is TPACKET_V3's block timeout, made short.
 */
#define COALESCE_NS 100000
/*
 * While the writer holds frames, the fill ring waits for them: poll() for
 * new frames at most this long, then hand back what the writer released.
 */
#define HELD_POLL_MS 1
/*
 * Frames held that wake a napping writer (it naps 1 ms), at most: a UMEM
 * with fewer spare frames than twice this wakes it at half of them.
 */
#define REFS_URGENT 1024
/* A frame's token: its socket in the consumer, and its UMEM address. */
#define TOKEN_SOCK_SHIFT 56
#define TOKEN_ADDR_MASK ((1ull << TOKEN_SOCK_SHIFT) - 1)

_Static_assert(XSK_RX_MAX_SEGS <= FRAME_REC_MAX_SEGS, "a multi-buffer frame fits one record");

/* The writer is done with a frame: back to its socket's spare frames. */
static void give_back(void *ctx, uint64_t token)
{
	struct consumer *c = ctx;

	xsk_rx_give_back(c->socks[token >> TOKEN_SOCK_SHIFT].xsk, token & TOKEN_ADDR_MASK);
}

int consumer_init(struct consumer *c, struct frame_path *path, size_t queue_bytes, int cpu,
		  int busy_poll)
{
	int ret;

	memset(c, 0, sizeof(*c));
	c->path = path;
	c->cpu = cpu;
	c->busy_poll = busy_poll;
	ret = frame_out_init(&c->out, queue_bytes);
	if (!ret)
		frame_queue_set_reclaim(&c->out.queue, give_back, c, REFS_URGENT);
	return ret;
}

void consumer_add_socket(struct consumer *c, struct xsk_rx *xsk, unsigned int if_id,
			 const char *ifname, _Atomic uint64_t *taken)
{
	uint64_t spare_for_writer = xsk->umem_frames > xsk->fill_ring ?
				    xsk->umem_frames - xsk->fill_ring : 1;
	uint64_t urgent = spare_for_writer / 2 ? spare_for_writer / 2 : 1;

	c->socks[c->n_socks++] = (struct consumer_socket){
		.xsk = xsk, .if_id = if_id, .ifname = ifname, .taken = taken,
	};
	/* Wake the writer while the smallest UMEM still has half its spare frames. */
	if (urgent < c->out.queue.refs_urgent)
		frame_queue_set_reclaim(&c->out.queue, give_back, c, urgent);
}

/*
 * What the frame path needs of a frame. Every buffer of it can stay in the
 * UMEM until the writer is done (tokens[]: each one's, for a multi-buffer
 * frame).
 */
static void captured_of(const struct xsk_rx *q, const struct xsk_frame *fr, uint64_t sock,
			struct captured *c, uint64_t *tokens)
{
	int can_keep = 1;
	uint32_t i;

	for (i = 0; i < fr->n_segs; i++) {
		can_keep &= fr->seg_addrs[i] <= TOKEN_ADDR_MASK;
		tokens[i] = sock << TOKEN_SOCK_SHIFT | fr->seg_addrs[i];
	}
	*c = (struct captured){
		.data = fr->data,
		.len = fr->total_len,
		.origlen = fr->total_len,
		.segs = fr->segs,
		.n_segs = fr->n_segs,
		.queue = q->queue_id,
		.rule = fr->meta ? fr->meta->rule : VPNCAP_MAX_RULES,
		.stamped = fr->meta != NULL,
		.hook_ns = fr->meta ? fr->meta->hook_ns : 0,
		.hw_stamped = fr->meta && (fr->meta->flags & VPNCAP_META_HW_TS),
		.hw_ns = fr->meta ? fr->meta->hw_ns : 0,
		/* The bytes stay in the UMEM until the file has them. */
		.can_keep = can_keep,
		.token = tokens[0],
		.seg_tokens = tokens,
	};
}

/*
 * One batch from one socket; returns the descriptors taken. Frames the
 * writer queue took by reference stay out of the fill ring until reclaimed.
 */
static uint32_t drain_socket(struct consumer *c, unsigned int sock)
{
	struct consumer_socket *cs = &c->socks[sock];
	struct xsk_frame frames[XSK_RX_BATCH];
	uint64_t kept[XSK_RX_BATCH * XSK_RX_MAX_SEGS], tokens[XSK_RX_MAX_SEGS];
	uint64_t batch_ns = 0;
	uint32_t idx, n_descs, n, i, n_kept = 0;

	n = xsk_rx_peek(cs->xsk, frames, XSK_RX_BATCH, &idx, &n_descs);
	if (!n_descs) {
		/* Per idle socket, not per frame: a busy neighbour must not starve it. */
		if (!c->busy_poll)
			xsk_rx_wakeup_if_needed(cs->xsk);
		return 0;
	}
	for (i = 0; i < n; i++) {
		struct captured cap;
		uint32_t s;

		captured_of(cs->xsk, &frames[i], sock, &cap, tokens);
		if (frame_out_put(c->path, &c->out, cs->if_id, &cap, &batch_ns) > 0)
			for (s = 0; s < frames[i].n_segs; s++) /* in descriptor order */
				kept[n_kept++] = frames[i].seg_addrs[s];
	}
	xsk_rx_release_keep(cs->xsk, idx, n_descs, kept, n_kept);
	/* A zero-copy driver that ran out of fill buffers waits for this kick. */
	if (!c->busy_poll)
		xsk_rx_wakeup_if_needed(cs->xsk);
	COUNT_ADD(*cs->taken, n);
	if (n == XSK_RX_BATCH)
		c->more_waiting = 1;
	return n_descs;
}

/* The frames the writer has written since the last look: back into the fill rings. */
static void reclaim_frames(struct consumer *c)
{
	unsigned int i;

	if (!frame_queue_reclaim(&c->out.queue))
		return;
	for (i = 0; i < c->n_socks; i++)
		xsk_rx_refill(c->socks[i].xsk);
}

uint32_t consumer_drain(struct consumer *c)
{
	uint32_t total = 0;
	unsigned int i;

	c->more_waiting = 0;
	reclaim_frames(c);
	for (i = 0; i < c->n_socks; i++)
		total += drain_socket(c, i);
	if (total)
		frame_out_publish(c->path, &c->out);
	return total;
}

/* Nothing came: sleep until a socket has frames, or drive NAPI ourselves. */
static void wait_for_frames(struct consumer *c)
{
	struct pollfd pfds[CONSUMER_MAX_SOCKETS];
	unsigned int i;

	if (c->busy_poll) {
		for (i = 0; i < c->n_socks; i++)
			xsk_rx_kick(c->socks[i].xsk);
		return;
	}
	for (i = 0; i < c->n_socks; i++)
		pfds[i] = (struct pollfd){ .fd = xsk_rx_fd(c->socks[i].xsk), .events = POLLIN };
	poll(pfds, c->n_socks, frame_queue_refs_out(&c->out.queue) ? HELD_POLL_MS : IDLE_POLL_MS);
}

/* "rx-QUEUE-IFACE" (15 bytes at most), so top -H and ps -L show who is busy. */
static void name_thread(const struct consumer *c)
{
	const struct consumer_socket *cs = &c->socks[0];
	char name[16];

	if (!c->n_socks)
		return;
	snprintf(name, sizeof(name), "rx-%u-%s", cs->xsk->queue_id, cs->ifname);
	pthread_setname_np(pthread_self(), name);
}

static void let_rings_fill(void)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = COALESCE_NS };

	nanosleep(&ts, NULL);
}

static void *consumer_main(void *arg)
{
	struct consumer *c = arg;

	name_thread(c);

	while (!atomic_load_explicit(&c->path->stop, memory_order_acquire)) {
		if (!consumer_drain(c))
			wait_for_frames(c);
		else if (!c->more_waiting && !c->busy_poll)
			let_rings_fill();
		clock_maybe_resync(&c->out.clock, CLOCK_RESYNC_NS);
	}
	/* The hook is detached: what the rings hold now is all there will be. */
	while (consumer_drain(c))
		;
	return NULL;
}

static int pin(struct consumer *c, pthread_attr_t *attr)
{
	cpu_set_t set;

	if (c->cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(c->cpu, &set);
	return pthread_attr_setaffinity_np(attr, sizeof(set), &set);
}

int consumer_start(struct consumer *c)
{
	pthread_attr_t attr;
	int ret;

	pthread_attr_init(&attr);
	ret = pin(c, &attr);
	if (!ret)
		ret = pthread_create(&c->thread, &attr, consumer_main, c);
	pthread_attr_destroy(&attr);
	c->started = !ret;
	return -ret;
}

void consumer_join(struct consumer *c)
{
	if (c->started)
		pthread_join(c->thread, NULL);
	c->started = 0;
}

void consumer_destroy(struct consumer *c)
{
	frame_out_destroy(&c->out);
}
