/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `vpncap capture` options: a pure parser (no I/O, no exit) so unit tests and
 * the fuzzer call it directly. Errors come back as one line in err.
 */
#ifndef VPNCAP_CAPTURE_OPTIONS_H
#define VPNCAP_CAPTURE_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store/compress.h"
#include "store/output_file.h"      /* enum output_io_mode */
#include "capture_limits.h"
#include "hook/classifier.h"     /* enum xdp_mode_choice, enum ts_choice */
#include "hook/xsk_rx.h"         /* enum copy_choice */
#include "hook/expr.h"           /* EXPR_TEXT_MAX */

#define CAPTURE_DEFAULT_SNAPLEN 262144u
#define CAPTURE_MIN_SNAPLEN 64u
#define CAPTURE_DEFAULT_QUEUE_SIZE (32ull << 20)
#define CAPTURE_DEFAULT_RING_SIZE (8ull << 20)  /* inline copies: BPF ring buffer per interface */
#define CAPTURE_DEFAULT_SYNC_MS 1000
#define CAPTURE_DEFAULT_FRAG_TIMEOUT_MS 30000  /* a datagram's fragments are followed this long */
#define CAPTURE_DEFAULT_FRAG_WINDOW_MS 10000   /* early fragments: hosts seen this recently */
/* AF_XDP ring sizes (--rx-ring, --fill-ring): powers of two in this range. */
#define CAPTURE_MIN_RING 64u
#define CAPTURE_MAX_RING 65536u
/* --umem-frames: 4 KiB frames per queue (at most 4 GiB of UMEM per queue). */
#define CAPTURE_MIN_UMEM_FRAMES 64u
#define CAPTURE_MAX_UMEM_FRAMES 1048576u

/* auto: bypass on an interface without IP addresses (a capture port), else inline. */
enum capture_mode { CAPTURE_MODE_AUTO, CAPTURE_MODE_BYPASS, CAPTURE_MODE_INLINE };

struct capture_opts {
	const char *ifaces[CAPTURE_MAX_IFACES];
	unsigned int n_ifaces;
	const char *output;             /* -w FILE */
	uint32_t snaplen;
	uint64_t duration_ms;           /* 0 = until signalled */
	uint64_t count;                 /* 0 = unlimited */
	enum capture_mode mode;
	int force_bypass;               /* --mode bypass on a port the host uses */
	int allow_shared_dir;           /* -w DIR / --metrics-file dir writable by others */
	uint32_t unmatched;             /* enum vpncap_unmatched */
	enum xdp_mode_choice xdp_mode;
	enum copy_choice copy;
	uint32_t queues[CAPTURE_MAX_QUEUES]; /* -q N; none = all queues */
	unsigned int n_queues;
	/* Line rate: per-queue consumer threads and the AF_XDP socket's sizes */
	uint32_t cpus[CAPTURE_MAX_QUEUES]; /* --cpus LIST: thread i on cpus[i % n_cpus] */
	unsigned int n_cpus;            /* 0: threads not pinned */
	int busy_poll;                  /* --busy-poll: poll the driver instead of sleeping */
	uint32_t umem_frames;           /* --umem-frames N; 0 = fill ring + rx ring */
	uint32_t rx_ring;               /* --rx-ring N; 0 = XSK_RX_DEFAULT_RX_RING */
	uint32_t fill_ring;             /* --fill-ring N; 0 = rx ring + the NIC's RX ring */
	enum ts_choice timestamps;      /* --timestamps auto|hardware|software */
	/* File set (-w DIR) */
	uint64_t rotate_size;           /* bytes; 0 = off */
	uint64_t rotate_time_ms;        /* 0 = off */
	uint64_t max_files;             /* 0 = no limit */
	uint64_t max_bytes;             /* 0 = no limit */
	uint64_t min_free;              /* bytes; 0 = off */
	uint64_t sync_interval_ms;
	const char *on_rotate;
	enum compress_kind compress;
	enum output_io_mode output_io;  /* --output-io auto|direct|buffered */
	uint64_t queue_size;            /* bytes of the writer queue */
	uint64_t ring_size;             /* bytes of each interface's BPF ring buffer (inline) */
	const char *rules;              /* --rules LIST; NULL = named filters, else the VPN default */
	/*
	 * tcpdump's way: the words after the options are an expression, as
	 * --rules; several words are joined here (rules points at this).
	 */
	char expr_words[EXPR_TEXT_MAX];
	const char *metrics_file;       /* --metrics-file PATH: counters in Prometheus text format */
	uint64_t fragment_timeout_ms;
	uint64_t fragment_window_ms;
	const char *config;             /* --config FILE (loaded by config.c) */
	int persistent;                 /* --persistent: hand over to vpncap@IFACE */
	int realtime;                   /* --realtime: a decoded line per frame on stdout */
	int check;                      /* --check: validate everything, capture nothing */
	int verbose;
	int help;                       /* -h: print usage, nothing else */
};

/* -i any (--comp nics): every capturable interface, also those that appear later. */
#define CAPTURE_ANY_IFACE "any"

/* o captures -i any. */
int capture_opts_any(const struct capture_opts *o);

/* argv[0] is "capture". Returns 0, or -1 with a one-line reason in err. */
int capture_opts_parse(int argc, char **argv, struct capture_opts *o,
		       char *err, size_t errlen);

/*
 * Apply one long option by name, as a configuration file line gives it
 * ("rotate-size", "256M"); flags take yes/no, true/false, on/off or 1/0.
 * o keeps everything applied before. 0, or -1 with a one-line reason.
 */
int capture_opts_apply_long(struct capture_opts *o, const char *name, const char *value,
			    char *err, size_t errlen);

/*
 * Checks between options that no single value shows: --umem-frames at least
 * --fill-ring + --rx-ring when all three are given. capture_opts_parse()
 * runs it; config.c too, so that an accepted file always parses.
 */
int capture_opts_check_sizes(const struct capture_opts *o, char *err, size_t errlen);

/* Defaults, as capture_opts_parse() starts from. */
void capture_opts_defaults(struct capture_opts *o);

/*
 * The one table of `vpncap capture`'s options. The command line, --help,
 * the configuration file keys, what --persistent writes back and what a
 * reload may change all come from it: adding an option is one row plus the
 * code that uses its field.
 */
enum capture_opt_kind {
	COPT_FLAG,              /* int field set to 1 */
	COPT_UINT,              /* whole number in [min, max] (a 32- or 64-bit field) */
	COPT_SIZE,              /* bytes, k/M/G/T, in [min, max] (64-bit field) */
	COPT_DURATION,          /* milliseconds, ms/s/m/h/d, in [min, max] (64-bit field) */
	COPT_CHOICE,            /* one of words[] (an enum field: its index in words) */
	COPT_STRING,            /* a non-empty string (a const char * field) */
	COPT_CUSTOM,            /* parse and put of its own */
};

/* Options the command line gives win over the file for the whole group. */
enum capture_opt_group { COPT_GROUP_NONE, COPT_GROUP_IFACE, COPT_GROUP_QUEUE, COPT_GROUP_COPY };

#define COPT_IN_FILE 0x1u       /* a configuration file key, and written back by --persistent */
#define COPT_RELOAD 0x2u        /* a reload (SIGHUP) applies it; else it needs a restart */
#define COPT_ONE_SHOT 0x4u      /* ends the capture or needs a terminal: never --persistent */

struct capture_option {
	const char *name;       /* --name, and the configuration key */
	char shrt;              /* -x, or 0 */
	enum capture_opt_kind kind;
	const char *arg;        /* the value in --help ("N", "SIZE"); NULL for a flag */
	const char *help;       /* lines of --help, '\n' between them */
	size_t off;             /* the field of struct capture_opts */
	size_t size;            /* its size (COPT_UINT: 4 or 8) */
	uint64_t min, max;      /* COPT_UINT, COPT_SIZE, COPT_DURATION */
	const char *range;      /* COPT_SIZE, COPT_DURATION: "1M to 16G", in messages */
	const char *const *words; /* COPT_CHOICE, NULL-terminated */
	int (*parse)(struct capture_opts *o, const char *arg, char *err, size_t errlen);
	/* Write-back of a COPT_CUSTOM option when it differs from the default. */
	int (*put)(FILE *f, const char *path, const struct capture_opts *o, char *err,
		   size_t errlen);
	/* COPT_CUSTOM: did a and b get different values? (the restart check) */
	int (*differs)(const struct capture_opts *a, const struct capture_opts *b);
	unsigned int flags;     /* COPT_IN_FILE, COPT_RELOAD, COPT_ONE_SHOT */
	enum capture_opt_group group;
	int file_set;           /* listed under the file set's options in --help */
};

/* The table has at most this many rows (per-key state in config.c is sized by it). */
#define CAPTURE_MAX_OPTIONS 64

/* The table, and n, its length. */
const struct capture_option *capture_options(size_t *n);

/* By exact long name, as the command line resolves "--NAME" (never a prefix); NULL if none. */
const struct capture_option *capture_option_by_name(const char *name, size_t n);
const struct capture_option *capture_option_by_short(char c);

/* A flag's value in a configuration file: 1 yes/true/on/1, 0 no/false/off/0, -1 neither. */
int capture_opts_flag_word(const char *v);

/* The usage text of `vpncap capture`, built from the table. */
void capture_opts_usage(FILE *f);

/*
 * The configuration file lines ("key = value") of every COPT_IN_FILE option
 * that differs from its default, as capture_opts_apply_long() reads them
 * back. 0, or -1 with err (a value no line can hold).
 */
int capture_opts_write(FILE *f, const char *path, const struct capture_opts *o, char *err,
		       size_t errlen);

/* The first COPT_ONE_SHOT option o gives (not at its default), or NULL. */
const struct capture_option *capture_opts_one_shot(const struct capture_opts *o);

/* The first option a reload cannot change that differs between a and b, or NULL. */
const char *capture_opts_restart_needed(const struct capture_opts *a,
					const struct capture_opts *b);

#endif /* VPNCAP_CAPTURE_OPTIONS_H */
