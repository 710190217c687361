// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the `vpncap capture` option parser. The input is a
 * NUL-separated argument list ("-i\0eth0\0-w\0/tmp/x"); argv[0] is
 * "capture" and at most 64 argv strings are built (a NUL at the very end
 * does not add an empty argument; two NULs in a row give an empty one).
 *
 * abort()s when:
 *  - the parse succeeds without -h but with no interface, or no output file
 *    without --persistent (a persistent capture defaults to its state dir);
 *  - an error comes back with an empty message or one that spans lines;
 *  - a successful parse breaks the limits the rest of the program relies on
 *    (interface count and names, snaplen range, queue numbers unique and in
 *    range, pointers into argv).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture/options.h"
#include "vpncap/abi.h"

#define MAX_ARGV 64

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond))                                                 \
			abort();                                             \
	} while (0)

static char argv0[] = "capture";

/* p points into [buf, buf + len) and is NUL-terminated there. */
static int inside(const char *buf, size_t len, const char *p)
{
	return p >= buf && p < buf + len && memchr(p, '\0', (size_t)(buf + len - p));
}

static void check_success(const struct capture_opts *o, const char *buf, size_t len)
{
	/* --check may check a unit's file alone: -i and -w left to the unit. */
	CHECK(o->help || o->check ||
	      (o->n_ifaces > 0 && (o->output != NULL || o->persistent || o->realtime)));
	CHECK(!(o->realtime && o->persistent) || o->help);
	CHECK(!(o->check && o->persistent) || o->help);
	CHECK(o->n_ifaces <= CAPTURE_MAX_IFACES);
	for (unsigned int i = 0; i < o->n_ifaces; i++) {
		const char *name = o->ifaces[i];
		size_t n;

		/* --comp nics stores -i any's word, which argv need not hold */
		CHECK(inside(buf, len, name) || !strcmp(name, CAPTURE_ANY_IFACE));
		n = strlen(name);
		CHECK(n > 0 && n < 16);
		CHECK(!strpbrk(name, "/ \t\n"));
		for (unsigned int j = 0; j < i; j++)
			CHECK(strcmp(o->ifaces[j], name) != 0);
	}
	if (o->output) {
		CHECK(inside(buf, len, o->output));
		CHECK(o->output[0] != '\0');
	}
	CHECK(o->snaplen >= CAPTURE_MIN_SNAPLEN && o->snaplen <= CAPTURE_DEFAULT_SNAPLEN);
	CHECK(o->duration_ms <= 31536000ull * 1000);
	CHECK(o->n_queues <= CAPTURE_MAX_QUEUES);
	for (unsigned int i = 0; i < o->n_queues; i++) {
		CHECK(o->queues[i] < VPNCAP_MAX_QUEUES);
		for (unsigned int j = 0; j < i; j++)
			CHECK(o->queues[j] != o->queues[i]);
	}
	CHECK(o->mode == CAPTURE_MODE_AUTO || o->mode == CAPTURE_MODE_BYPASS ||
	      o->mode == CAPTURE_MODE_INLINE);
	/* Inline never drops: the combination is refused. */
	CHECK(!(o->mode == CAPTURE_MODE_INLINE && o->unmatched == VPNCAP_UNMATCHED_DROP) || o->help);
	CHECK(o->ring_size >= 64 * 1024 && o->ring_size <= (1ull << 30) &&
	      !(o->ring_size & (o->ring_size - 1)));
	if (o->metrics_file)
		CHECK(inside(buf, len, o->metrics_file) && o->metrics_file[0] != '\0');
	CHECK(o->unmatched == VPNCAP_UNMATCHED_PASS || o->unmatched == VPNCAP_UNMATCHED_DROP);
	CHECK(o->xdp_mode == XDP_MODE_CHOICE_AUTO || o->xdp_mode == XDP_MODE_CHOICE_NATIVE ||
	      o->xdp_mode == XDP_MODE_CHOICE_SKB);
	CHECK(o->copy == COPY_CHOICE_AUTO || o->copy == COPY_CHOICE_COPY ||
	      o->copy == COPY_CHOICE_ZEROCOPY);
	CHECK(o->output_io == OUTPUT_IO_AUTO || o->output_io == OUTPUT_IO_DIRECT ||
	      o->output_io == OUTPUT_IO_BUFFERED);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGV + 1];
	struct capture_opts o;
	char err[256];
	char *buf, *p, *end;
	int argc = 0, rc;

	/* Our own NUL-terminated copy: argv strings and o's pointers live here. */
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);
	buf[size] = '\0';

	argv[argc++] = argv0;
	p = buf;
	end = buf + size;
	while (p < end && argc < MAX_ARGV) {
		argv[argc++] = p;
		p += strlen(p) + 1;
	}
	argv[argc] = NULL;

	err[0] = '\0';
	rc = capture_opts_parse(argc, argv, &o, err, sizeof(err));
	CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		check_success(&o, buf, size + 1);
	} else {
		CHECK(err[0] != '\0');
		CHECK(strchr(err, '\n') == NULL);
	}

	/* A second parse of the same argv gives the same answer. */
	{
		struct capture_opts o2;
		char err2[256];

		err2[0] = '\0';
		CHECK(capture_opts_parse(argc, argv, &o2, err2, sizeof(err2)) == rc);
		if (rc)
			CHECK(strcmp(err, err2) == 0);
		else
			CHECK(o2.n_ifaces == o.n_ifaces && o2.output == o.output &&
			      o2.help == o.help && o2.n_queues == o.n_queues);
	}

	free(buf);
	return 0;
}
