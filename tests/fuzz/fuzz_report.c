// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for `vpncap report`'s analysis: the input is a capture
 * file (pcap or pcapng, as input_file reads it); every frame is decoded and
 * added to a total and, by its interface, to one of two gateway reports,
 * as the command does; then the text, JSON and HTML reports are printed
 * to a memory stream. Connections, probes, clients, health and the
 * gateways' UDP 500/4500 splits all come from the fuzzer's frames.
 */
#define _GNU_SOURCE /* open_memstream */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/report.h"
#include "read/input_file.h"

static void print_all(struct report *r)
{
	int (*const printers[])(struct report *, FILE *) = { report_print_text, report_print_json,
							     report_print_html };
	size_t i, len;
	char *buf;

	for (i = 0; i < 3; i++) {
		FILE *f = open_memstream(&buf, &len);

		if (!f)
			return;
		printers[i](r, f);
		fclose(f);
		free(buf);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report *r = report_new(), *gw[2] = { report_new(), report_new() };
	struct input_file_frame fr;
	struct input_file *f;
	struct decoded d;
	char err[256];
	int i;

	if (!r || !gw[0] || !gw[1])
		goto out;
	f = input_file_open_mem(data, size, "fuzz", err, sizeof(err));
	if (f) {
		while (input_file_next(f, &fr, err, sizeof(err)) == 1) {
			decode_packet(fr.linktype, fr.data, fr.caplen, &d);
			report_add(r, fr.ts_ns, fr.dir, &d, fr.origlen);
			report_add(gw[fr.iface && fr.iface[0] % 2], fr.ts_ns, fr.dir, &d, fr.origlen);
		}
		input_file_close(f);
	}
	for (i = 0; i < 2; i++) {
		struct report *g = gw[i];

		gw[i] = NULL;
		if (report_add_gateway(r, g, i ? "gw2:eth0" : "gw1:eth0"))
			goto out;
	}
	print_all(r);
out:
	report_free(gw[0]);
	report_free(gw[1]);
	report_free(r);
	return 0;
}
