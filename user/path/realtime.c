// SPDX-License-Identifier: GPL-2.0-only
#include "path/realtime.h"
#include "read/decode.h"

#include <errno.h>
#include <string.h>

#define REALTIME_WAIT_MS 200

void realtime_offer(struct realtime *rt, const struct frame_rec *rec, const uint8_t *data)
{
	struct frame_rec head = *rec;

	if (!rt->started)
		return;
	if (head.caplen > REALTIME_FRAME_BYTES)
		head.caplen = REALTIME_FRAME_BYTES;
	if (frame_queue_push(&rt->queue, &head, data))
		atomic_fetch_add_explicit(&rt->skipped, 1, memory_order_relaxed);
}

void realtime_publish(struct realtime *rt)
{
	if (rt->started)
		frame_queue_publish(&rt->queue);
}

/* Said once the printer has caught up, so the gap shows where it was. */
static void tell_skipped(struct realtime *rt)
{
	uint64_t skipped = atomic_load_explicit(&rt->skipped, memory_order_relaxed);

	if (skipped == rt->skipped_told)
		return;
	fprintf(rt->out, "vpncap: %llu frame%s not shown: the console could not keep up (all are in the capture file)\n",
		(unsigned long long)(skipped - rt->skipped_told), skipped - rt->skipped_told == 1 ? "" : "s");
	rt->skipped_told = skipped;
}

static void print_one(struct realtime *rt, const struct frame_rec *rec)
{
	struct decode_line line = {
		.ts_ns = rec->ts_ns,
		.iface = rec->if_id < rt->n_ifnames ? rt->ifnames[rec->if_id] : NULL,
		.queue = (int)rec->queue,
		.dir = rec->flags & FRAME_REC_OUTBOUND ? DECODE_DIR_OUT : DECODE_DIR_IN,
		.caplen = rec->caplen,
		.origlen = rec->origlen,
		.colour = rt->colour,
	};
	struct decoded d;
	char buf[1024];

	decode_frame((const uint8_t *)(rec + 1), rec->caplen, &d);
	decode_format_line(&line, &d, buf, sizeof(buf));
	fputs(buf, rt->out);
	fputc('\n', rt->out);
	rt->shown++;
}

static void *printer_main(void *arg)
{
	struct realtime *rt = arg;
	const struct frame_rec *rec;

	while (frame_queue_wait(&rt->queue, REALTIME_WAIT_MS)) {
		while ((rec = frame_queue_peek(&rt->queue))) {
			print_one(rt, rec);
			frame_queue_consume(&rt->queue, rec);
		}
		frame_queue_release(&rt->queue);
		tell_skipped(rt);
		fflush(rt->out);
	}
	tell_skipped(rt);
	fflush(rt->out);
	return NULL;
}

int realtime_start(struct realtime *rt, FILE *out, int colour, const char *const *ifnames,
		   unsigned int n_ifnames)
{
	int ret;

	memset(rt, 0, sizeof(*rt));
	rt->out = out;
	rt->colour = colour;
	rt->ifnames = ifnames;
	rt->n_ifnames = n_ifnames;
	ret = frame_queue_init(&rt->queue, REALTIME_QUEUE_BYTES);
	if (ret)
		return ret;
	ret = pthread_create(&rt->thread, NULL, printer_main, rt);
	if (ret) {
		frame_queue_destroy(&rt->queue);
		return -ret;
	}
	rt->started = 1;
	return 0;
}

void realtime_finish(struct realtime *rt)
{
	if (!rt->started)
		return;
	frame_queue_close(&rt->queue);
	pthread_join(rt->thread, NULL);
	frame_queue_destroy(&rt->queue);
	rt->started = 0;
}
