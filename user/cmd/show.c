// SPDX-License-Identifier: GPL-2.0-only
/*
 * vpncap show (see show.h): input_file iterates, decode names, this file only
 * parses the options and prints. A bad file is reported after the frames
 * read before the damage, and the remaining files are still shown. A file
 * that ends inside its last block (torn: a capture killed or out of disk, a
 * copy of a file still being written) is no damage: its frames, then a
 * warning, exit status 0; `vpncap report` does the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "read/input_file.h"
#include "log.h"
#include "optparse.h"
#include "read/decode.h"
#include "cmd/cmd.h"

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
	"  -h, --help   this text\n"
	"\n"
	"Exit status: 0; 2 for bad usage or a file that cannot be read, after the\n"
	"frames before the damage. A file that ends inside its last block (a\n"
	"capture killed or out of disk) is shown up to there with a warning, 0.\n";

struct show_opts {
	unsigned long count;    /* 0 = no limit */
	int colour;
	char **files;           /* the FILE arguments, in order */
	int n_files;
};

enum { OPT_COUNT, OPT_COLOR, OPT_NO_COLOR, OPT_HELP };

static int default_colour(void)
{
	const char *no = getenv("NO_COLOR");

	return isatty(STDOUT_FILENO) && !(no && *no);
}

/*
 * -c N as `vpncap capture -c` takes it: 1 to 2^64 - 2. strtoull() gives
 * 2^64 - 1 for a number that overflows, so that value is refused too.
 */
static int parse_count(const char *s, unsigned long *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (*end || !v || v == (unsigned long long)-1 || v != (unsigned long)v)
		return -1;
	*out = (unsigned long)v;
	return 0;
}

/*
 * 0, 1 after -h, or -1 on a usage error (already reported). o->files
 * points into argv (o->files itself is argv's own array, reordered: files
 * first, as getopt permutes).
 */
static int parse_opts(int argc, char **argv, struct show_opts *o)
{
	static const struct optdef defs[] = {
		{ NULL, 'c', 1, OPT_COUNT, NULL }, { "color", 0, 0, OPT_COLOR, NULL },
		{ "colour", 0, 0, OPT_COLOR, NULL }, { "no-color", 0, 0, OPT_NO_COLOR, NULL },
		{ "no-colour", 0, 0, OPT_NO_COLOR, NULL }, { "help", 'h', 0, OPT_HELP, NULL },
	};
	struct optparse p;
	const char *value;
	char err[256];
	int rc, id;

	o->count = 0;
	o->colour = default_colour();
	o->files = argv;
	o->n_files = 0;
	optparse_init(&p, argc, argv, OPTPARSE_PERMUTE | OPTPARSE_CLUSTER);
	while ((rc = optparse_next(&p, defs, sizeof(defs) / sizeof(defs[0]), &id, &value, err,
				   sizeof(err))) != OPTPARSE_END) {
		if (rc == OPTPARSE_ERROR) {
			log_error("show: %s (see 'vpncap show -h')", err);
			return -1;
		}
		if (rc == OPTPARSE_WORD) {
			o->files[o->n_files++] = (char *)value; /* never ahead of p */
		} else if (id == OPT_COUNT) {
			if (parse_count(value, &o->count)) {
				log_error("show: -c '%s': expected a positive number of frames", value);
				return -1;
			}
		} else if (id == OPT_HELP) {
			return 1;
		} else {
			o->colour = id == OPT_COLOR;
		}
	}
	if (!o->n_files) {
		log_error("show: no file given (see 'vpncap show -h')");
		return -1;
	}
	return 0;
}

static void print_frame(const struct input_file_frame *fr, int colour)
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

/* Prints one file's frames; 0 (torn: after the warning), or -1 after reporting the file's error. */
static int show_file(const char *path, const struct show_opts *o, unsigned long *shown)
{
	struct input_file_frame fr;
	struct input_file *f;
	char err[512];
	int rc = 0;

	f = input_file_open(path, err, sizeof(err));
	if (!f) {
		err_one_line(err, sizeof(err));
		log_error("%s", err);
		return -1;
	}
	while ((!o->count || *shown < o->count) &&
	       (rc = input_file_next(f, &fr, err, sizeof(err))) == 1) {
		print_frame(&fr, o->colour);
		(*shown)++;
	}
	if (rc < 0) {
		fflush(stdout);         /* the frames before the damage come first */
		err_one_line(err, sizeof(err));
		log_error("%s", err);
	}
	rc = rc < 0 && !input_file_torn(f) ? -1 : 0;
	input_file_close(f);
	return rc;
}

int cmd_show(int argc, char **argv)
{
	struct show_opts o;
	unsigned long shown = 0;
	int i, status = EXIT_OK, rc = parse_opts(argc, argv, &o);

	if (rc)
		return rc > 0 ? (fputs(show_usage, stdout), EXIT_OK) : EXIT_USAGE;
	for (i = 0; i < o.n_files && (!o.count || shown < o.count); i++)
		if (show_file(o.files[i], &o, &shown))
			status = EXIT_USAGE;
	if (fflush(stdout) || ferror(stdout)) {
		log_error("standard output: write error");
		return EXIT_RUNTIME;
	}
	return status;
}
