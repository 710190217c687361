// SPDX-License-Identifier: GPL-2.0-only
/*
 * `vpncap capture --check`: everything a capture checks before it touches
 * anything (options, configuration file, filters.conf, interfaces and the
 * mode each would get, the output and the kernel), then what the capture
 * would do, in words, and exit. Nothing is attached, created or written:
 * an admin runs it on a production gateway before `systemctl enable`.
 * Invalid: one line on stderr and EXIT_USAGE, as the capture itself says it.
 */
#define _GNU_SOURCE
#include "capture/session_parts.h"
#include "store/output_check.h"

#include <limits.h>

/* Everything found, printed only once all of it passed. */
struct check_result {
	char output_said[PATH_MAX + 200];
	struct kernel_features kf;
	int kernel_probed;      /* 0 without root: probing loads programs */
};

static int check_output(const struct capture_session *s, struct check_result *r, char *err,
			size_t errlen)
{
	if (!s->opts->output)
		return 0;
	return output_check(s->opts->output, s->is_dir, s->opts->allow_shared_dir, r->output_said,
			    sizeof(r->output_said), err, errlen);
}

static int check_kernel(struct check_result *r, char *err, size_t errlen)
{
	if (geteuid() != 0)
		return 0;
	r->kernel_probed = 1;
	return kernel_probe(&r->kf, err, errlen);
}

/* The options as a configuration file would hold them, indented. */
static void print_options(const struct capture_opts *o, const char *config)
{
	char err[256], *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	printf("options: %s%s\n", config ? config : "the command line",
	       config ? ", then the command line" : "");
	if (!f || capture_opts_write(f, "--check", o, err, sizeof(err))) {
		if (f)
			fclose(f);
		free(text);
		return;
	}
	fclose(f);
	if (!len)
		printf("  (every option at its default)\n");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		printf("  %s\n", line);
	free(text);
}

static void print_interfaces(const struct capture_session *s)
{
	unsigned int i;

	if (!s->n_ifaces && !s->any) {
		printf("interface: none given; vpncap@IFACE.service gives it (-i IFACE)\n");
		return;
	}
	if (s->any)
		printf("interface: any (those below now, and any that appears later)\n");
	for (i = 0; i < s->n_ifaces; i++) {
		const struct capture_iface *ci = &s->ifaces[i];

		printf("interface: %s (index %d, driver %s, %u RX queue%s): %s, %s%s\n",
		       ci->info.name, ci->info.ifindex, ci->info.driver[0] ? ci->info.driver : "?",
		       ci->info.rx_queues, ci->info.rx_queues == 1 ? "" : "s",
		       session_mode_name(ci->mode), ci->auto_mode ? "chosen by --mode auto: " : "",
		       ci->host_use.why[0] ? ci->host_use.why : "nothing on this host uses it");
	}
}

static void print_output(const struct capture_session *s, const struct check_result *r)
{
	const char *state = getenv("STATE_DIRECTORY");
	/* The unit's instance when one interface is given, else its placeholder. */
	const char *unit_iface = s->n_ifaces == 1 && !s->any ? s->ifaces[0].info.name : "IFACE";

	if (s->opts->output) {
		printf("output: %s: %s\n", s->opts->output, r->output_said);
		printf("output I/O: %s\n", s->output_io_said); /* session_check_all found it */
	}
	else if (s->opts->realtime)
		printf("output: the terminal only (--realtime)\n");
	else if (state && *state)
		printf("output: %s/ (the unit's state directory)\n", state);
	else
		printf("output: none given; vpncap@%s.service writes into /var/lib/vpncap/%s/\n",
		       unit_iface, unit_iface);
}

static void print_rules(const struct capture_session *s)
{
	if (s->from_filters)
		printf("rules: the named filters of %s: %s\n", s->filters_path, s->rules_words);
	else if (s->opts->rules)
		printf("rules: %s\n", s->rules_words);
	else
		printf("rules: %s (the VPN default; %s has no filter)\n", s->rules_words,
		       s->filters_path);
}

static void print_kernel(const struct check_result *r)
{
	int i, costly;

	if (!r->kernel_probed) {
		printf("kernel: not probed (run as root: probing loads BPF programs)\n");
		return;
	}
	kernel_describe(&r->kf, stdout);
	for (i = 0; r->kf.probed && i < KFEAT_COUNT; i++) {
		const char *effect;

		if (kernel_has(&r->kf, (enum kfeat)i))
			continue;
		effect = kfeat_effect(&r->kf, (enum kfeat)i, &costly);
		if (costly)
			printf("  without %s: %s\n", kfeat_name((enum kfeat)i), effect);
	}
}

int capture_check(const struct capture_opts *o, const char *config)
{
	struct capture_session *s = session_new(o);
	struct check_result *r = calloc(1, sizeof(*r));
	char err[ERRLEN] = "";
	int status = EXIT_USAGE;

	if (!s || !r) {
		log_error("out of memory");
		status = EXIT_RUNTIME;
		goto out;
	}
	if (session_check_all(s, &s->is_dir, err, sizeof(err)) ||
	    check_output(s, r, err, sizeof(err)) || check_kernel(r, err, sizeof(err))) {
		log_error("%s", err);
		goto out;
	}
	print_options(o, config);
	print_interfaces(s);
	print_output(s, r);
	print_rules(s);
	print_kernel(r);
	printf("vpncap capture --check: valid; a capture would start (nothing was captured or changed)\n");
	status = EXIT_OK;
out:
	if (s)
		session_free(s);
	free(r);
	return status;
}
