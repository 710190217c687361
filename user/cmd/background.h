/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Background captures, the `PktMon start` / `PktMon stop` of vpncap: what
 * `vpncap start` leaves behind so that `vpncap stop` and `vpncap status`
 * find the capture again. One record per capture in the capture's run
 * directory, BG_RUN_DIR/bg-NETNS-TAG.pid (the pid on its first line, then
 * key=value lines), and its log (the capture's stdout and stderr) beside it,
 * bg-NETNS-TAG.log. NETNS is the inode of the network namespace: interface
 * names, and so captures, are per namespace. A record names either a
 * process (detached) or a transient systemd unit running it.
 */
#ifndef VPNCAP_CMD_BACKGROUND_H
#define VPNCAP_CMD_BACKGROUND_H

#include <stddef.h>
#include <sys/types.h>

#include "store/fileset_name.h"

#define BG_RUN_DIR "/run/vpncap"

struct bg_record {
	pid_t pid;
	unsigned long long pid_start;   /* starttime of /proc/PID/stat: the pid is this process */
	long long started;              /* wall clock, seconds since the epoch */
	char tag[FILESET_TAG_MAX];      /* the interfaces, as file set names hold them */
	char unit[256];                 /* transient unit, "" for a detached process */
	char output[4096];              /* -w, absolute */
	int is_dir;                     /* output is a file set's directory */
	unsigned long long log_ready;   /* bytes of the log when the capture was ready */
	char path[4096];                /* of the record (not in the file) */
};

/* ---- pure (unit tests) ------------------------------------------------------------ */

/* The record's text; returns like snprintf. */
int bg_record_format(const struct bg_record *r, char *buf, size_t len);

/* The text back into r (path untouched). 0, or -1 when it is not a whole record. */
int bg_record_parse(const char *text, size_t len, struct bg_record *r);

/* The starttime field (22) of a /proc/PID/stat line, whatever the comm holds. 0 or -1. */
int bg_stat_starttime(const char *stat_line, unsigned long long *start);

/*
 * The transient unit of a tag: vpncap-run-TAG.service, every byte other than
 * [A-Za-z0-9_.:-] as \xNN (systemd-escape's form; '+' of several interfaces).
 * Returns like snprintf.
 */
int bg_unit_name(char *buf, size_t len, const char *tag);

/* Is iface one of the interfaces of tag ("eth0", "eth0+eth1")? */
int bg_tag_has_iface(const char *tag, const char *iface);

/* The last "vpncap: summary:" line of a log (its start), or NULL. */
const char *bg_find_summary(const char *text, size_t len);

/* ---- the records in BG_RUN_DIR --------------------------------------------------------------- */

/* Record and log paths of tag in this network namespace. */
void bg_paths(const char *tag, char *rec, size_t rec_len, char *log, size_t log_len);

/* starttime of a live process, 0 when there is none with that pid. */
unsigned long long bg_proc_starttime(pid_t pid);

/* Does the record's process still run? */
int bg_alive(const struct bg_record *r);

/* Write r to r->path (atomically). 0, or -1 (said so). */
int bg_record_save(const struct bg_record *r);

/* Read the record at path (r->path set). 0, or -1 when there is none or it is damaged. */
int bg_record_load(const char *path, struct bg_record *r);

/*
 * The records of this network namespace, in name order; a malloc'd array
 * (*n entries, the caller frees it), NULL when there are none.
 */
struct bg_record *bg_records(size_t *n);

/* The record of the capture that has iface, in this namespace: 0 and r, or -1. */
int bg_find(const char *iface, struct bg_record *r);

/*
 * End it (SIGTERM, or `systemctl stop` for a unit), wait for it to end,
 * print what it wrote and its summary, and remove its record and log.
 * An exit status: 1 when it did not end or ended without a summary (the log
 * is kept and named).
 */
int bg_stop(struct bg_record *r);

/* `vpncap status`: one row per background capture (a header first); nothing when none. */
void bg_status(void);

#endif /* VPNCAP_CMD_BACKGROUND_H */
