/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One error style for the whole program: every message is one line on stderr,
 * prefixed "vpncap: ", naming the object and the reason.
 */
#ifndef VPNCAP_LOG_H
#define VPNCAP_LOG_H

#include <stddef.h>

enum log_level { LOG_ERROR = 0, LOG_INFO = 1, LOG_DEBUG = 2 };

/* Exit status of every command. */
enum vpncap_exit {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,   /* failed at run time */
	EXIT_USAGE = 2,     /* bad usage or input: nothing was touched */
	/*
	 * An interface went away during the capture; the files were completed.
	 * EX_TEMPFAIL of sysexits.h: try again later. Not 0, so systemd's
	 * Restart=on-failure restarts the unit (which waits for the device);
	 * not 1, so a script tells it from a failure.
	 */
	EXIT_IFACE_GONE = 75,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Route libbpf's and libxdp's own prints through our level (debug only). */
void log_hook_libraries(void);

/* snprintf into an error buffer, for functions that report rather than print. */
void err_set(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Messages echo arguments, paths and file contents: replace control bytes
 * (newlines above all) by '?' so every error stays one line. log_error(),
 * log_info() and log_debug() do the same to whatever they print; this is
 * for a message that goes elsewhere too (a file, JSON).
 */
void err_one_line(char *err, size_t errlen);

/*
 * A one-line status is shown on the terminal (stderr) and refreshed in
 * place; messages clear it first, and it is drawn again at the next refresh.
 */
void log_status_line(int shown);

#endif /* VPNCAP_LOG_H */
