// SPDX-License-Identifier: GPL-2.0-only
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

static enum log_level current_level = LOG_INFO;
static int status_line_shown;

void log_status_line(int shown)
{
	status_line_shown = shown;
}

void log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level log_get_level(void)
{
	return current_level;
}

static int is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/*
 * The one place every message passes: names the user gave (a directory
 * with a newline in it, an interface name with an escape sequence) are
 * echoed in many messages, so their control bytes become '?' here, as
 * err_one_line() does, and a message is always exactly one line.
 */
static void put_one_line(const char *fmt, va_list ap)
{
	char small[1024], *text = small, *p;
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n >= (int)sizeof(small)) {
		text = malloc((size_t)n + 1);
		if (text)
			vsnprintf(text, (size_t)n + 1, fmt, again);
		else
			text = small; /* cut, but still one line */
	}
	va_end(again);
	if (n < 0)
		snprintf(small, sizeof(small), "(message could not be formatted)");
	for (p = text; *p; p++)
		if (is_control((unsigned char)*p))
			*p = '?';
	fputs(text, stderr);
	if (text != small)
		free(text);
}

static void log_line(enum log_level level, const char *fmt, va_list ap)
{
	if (level > current_level)
		return;
	if (status_line_shown)
		fputs("\r\033[K", stderr); /* the message replaces the status line */
	fputs("vpncap: ", stderr);
	put_one_line(fmt, ap);
	fputc('\n', stderr);
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(LOG_ERROR, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(LOG_INFO, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

/*
 * libbpf and libxdp print multi-line diagnostics (verifier logs, fallback
 * notes) that would break the one-line error rule; we report their failures
 * ourselves and show their text only at debug level.
 */
static int library_print(const char *fmt, va_list ap)
{
	if (current_level < LOG_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return library_print(fmt, ap);
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return library_print(fmt, ap);
}

void log_hook_libraries(void)
{
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}

void err_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void err_one_line(char *err, size_t errlen)
{
	size_t i;

	for (i = 0; err && i < errlen && err[i]; i++)
		if (is_control((unsigned char)err[i]))
			err[i] = '?';
}
