// SPDX-License-Identifier: GPL-2.0-only
/*
 * vpncap show (see show.h): capfile iterates, decode names, this file only
 * parses the options and prints. A bad file is reported after the frames
 * read before the damage, and the remaining files are still shown.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "read/input_file.h"
#include "log.h"
#include "read/decode.h"
#include "cmd/show.h"

static const char show_usage[] =
	"usage: vpncap show [options] FILE...\n"
	"\n"
	"Print one line per frame of capture files: pcap or pcapng from any tool\n"
	"(tcpdump, Wireshark, PktMon's etl2pcap) and vpncap's own files, gzip- and\n"
	"zstd-compressed members of a file set included. FILE '-' is standard input.\n"
	"Times are UTC.\n"
	"\n"
	"Options:\n"
	"  -c N         stop after N frames (over all files)\n"
	"  --color      colours even when standard output is not a terminal\n"
	"  --no-color   no colours, even on a terminal (also NO_COLOR=1)\n"
	"  -h, --help   this text\n";

struct show_opts {
	unsigned long count;    /* 0 = no limit */
	int colour;
};

enum { OPT_COLOR = 256, OPT_NO_COLOR };

static int default_colour(void)
{
	const char *no = getenv("NO_COLOR");

	return isatty(STDOUT_FILENO) && !(no && *no);
}

static int parse_count(const char *s, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	*out = strtoul(s, &end, 10);
	return *end || !*out ? -1 : 0;
}

/* 0, 1 after -h, or -1 on a usage error (already reported). */
static int parse_opts(int argc, char **argv, struct show_opts *o)
{
	static const struct option longs[] = {
		{ "color", no_argument, NULL, OPT_COLOR },
		{ "colour", no_argument, NULL, OPT_COLOR },
		{ "no-color", no_argument, NULL, OPT_NO_COLOR },
		{ "no-colour", no_argument, NULL, OPT_NO_COLOR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->count = 0;
	o->colour = default_colour();
	optind = 0;             /* a full reset: getopt may have run before */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:h", longs, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (parse_count(optarg, &o->count)) {
				log_error("show: -c '%s': expected a positive number of frames", optarg);
				return -1;
			}
			break;
		case OPT_COLOR:
			o->colour = 1;
			break;
		case OPT_NO_COLOR:
			o->colour = 0;
			break;
		case 'h':
			return 1;
		default:
			log_error("show: unknown option '%s' (see 'vpncap show -h')", argv[optind - 1]);
			return -1;
		}
	}
	if (optind >= argc) {
		log_error("show: no file given (see 'vpncap show -h')");
		return -1;
	}
	return 0;
}

static void print_frame(const struct capfile_frame *fr, int colour)
{
	struct decode_line l = {
		.ts_ns = fr->ts_ns, .iface = fr->iface, .queue = fr->queue, .dir = fr->dir,
		.caplen = fr->caplen, .origlen = fr->origlen, .colour = colour,
	};
	struct decoded d;
	char line[1024];

	decode_packet(fr->linktype, fr->data, fr->caplen, &d);
	decode_format_line(&l, &d, line, sizeof(line));
	puts(line);
}

/* Prints one file's frames; 0, or -1 after reporting the file's error. */
static int show_file(const char *path, const struct show_opts *o, unsigned long *shown)
{
	struct capfile_frame fr;
	struct capfile *f;
	char err[512];
	int rc = 0;

	f = capfile_open(path, err, sizeof(err));
	if (!f) {
		err_one_line(err, sizeof(err));
		log_error("%s", err);
		return -1;
	}
	while ((!o->count || *shown < o->count) && (rc = capfile_next(f, &fr, err, sizeof(err))) == 1) {
		print_frame(&fr, o->colour);
		(*shown)++;
	}
	capfile_close(f);
	if (rc < 0) {
		fflush(stdout);         /* the frames before the damage come first */
		err_one_line(err, sizeof(err));
		log_error("%s", err);
		return -1;
	}
	return 0;
}

int show_main(int argc, char **argv)
{
	struct show_opts o;
	unsigned long shown = 0;
	int i, status = EXIT_OK, rc = parse_opts(argc, argv, &o);

	if (rc)
		return rc > 0 ? (fputs(show_usage, stdout), EXIT_OK) : EXIT_USAGE;
	for (i = optind; i < argc && (!o.count || shown < o.count); i++)
		if (show_file(argv[i], &o, &shown))
			status = EXIT_USAGE;
	if (fflush(stdout) || ferror(stdout)) {
		log_error("standard output: write error");
		return EXIT_RUNTIME;
	}
	return status;
}
