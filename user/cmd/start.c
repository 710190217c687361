// SPDX-License-Identifier: GPL-2.0-only
/*
 * `vpncap start`: `vpncap capture` in the background, as `PktMon start
 * --capture`: returns once the capture captures, or with its own error and
 * exit status. The capture itself says when it captures (sd_notify READY=1,
 * capture/session.c), so start listens where it tells: under systemd a
 * transient Type=notify unit (systemd-run returns on READY=1), elsewhere a
 * detached process whose NOTIFY_SOCKET is start's own socket. Either way its
 * output goes to a log beside its record (cmd/background.h), where
 * `vpncap stop` finds its summary.
 */
#define _GNU_SOURCE /* asprintf, struct ucred */
#include "capture/config.h"
#include "capture/options.h"
#include "cmd/background.h"
#include "cmd/cmd.h"
#include "cmd/service.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* How long a detached capture may take to say it captures (BPF load, verify). */
#define START_READY_WAIT_MS 120000

static const char start_usage[] =
	"usage: vpncap start -i IFACE -w FILE|DIR [capture options]\n"
	"\n"
	"Start a capture in the background and return once it captures (as\n"
	"PktMon start --capture); `vpncap stop [IFACE]` ends it and prints the files\n"
	"written and its summary, `vpncap status` lists it. The options are those of\n"
	"`vpncap capture` (vpncap help capture), but for --persistent and --realtime.\n"
	"A capture that fails to start prints its error and start exits with its\n"
	"status (2: bad options, nothing started). Under systemd the capture is the\n"
	"transient unit vpncap-run-IFACE.service; elsewhere (or in another network\n"
	"namespace than systemd's) a detached process. Its pid file and log are in\n"
	"/run/vpncap (bg-NETNS-IFACE.pid, .log). Relative paths are taken from the\n"
	"directory start runs in.\n";

/* What start needs of the options, parsed as `vpncap capture` parses them. */
struct start_plan {
	struct config_args args;
	struct capture_opts opts;
	char tag[FILESET_TAG_MAX];
	char exe[4096];         /* this vpncap, which the capture runs */
	char cwd[4096];
	char **argv;            /* "vpncap", "capture", the arguments as given, NULL */
	struct bg_record rec;
	char log[4096 + 8];
};

/* A usage error as the capture says it, in start's words. */
static int usage_error(const char *err)
{
	const char *words = strncmp(err, "capture: ", 9) ? err : err + 9;

	log_error("start: %s (see 'vpncap help start')", words);
	return EXIT_USAGE;
}

/*
 * The options, checked before anything starts: EXIT_OK to go on, else the
 * exit status (-1: help printed).
 */
static int plan_options(int argc, char **argv, struct start_plan *p)
{
	const char *config = NULL;
	char err[512];
	int i;

	p->argv = calloc((size_t)argc + 2, sizeof(*p->argv));
	if (!p->argv)
		return usage_error("out of memory");
	p->argv[0] = "vpncap";
	p->argv[1] = "capture";
	for (i = 1; i < argc; i++)
		p->argv[i + 1] = argv[i];
	if (config_expand_argv(argc, p->argv + 1, &p->args, &config, err, sizeof(err)) ||
	    capture_opts_parse(p->args.argc, p->args.argv, &p->opts, err, sizeof(err)))
		return usage_error(err);
	if (p->opts.help)
		return -1;
	if (p->opts.persistent)
		return usage_error("--persistent is `vpncap capture --persistent` (from boot, across reboots); start runs until `vpncap stop`");
	if (p->opts.realtime)
		return usage_error("--realtime needs a terminal; a background capture has none (vpncap capture --realtime)");
	if (!p->opts.output)
		return usage_error("no output given (-w FILE|DIR): a background capture writes files");
	if (fileset_make_tag(p->tag, sizeof(p->tag), p->opts.ifaces, p->opts.n_ifaces))
		return usage_error("-i: interface names do not make a valid file name");
	return EXIT_OK;
}

/* Where the capture's files go, absolute, and what runs it. 0, or -1 (said so). */
static int plan_paths(struct start_plan *p)
{
	const char *out = p->opts.output;
	ssize_t n = readlink("/proc/self/exe", p->exe, sizeof(p->exe) - 1);

	if (n <= 0 || !getcwd(p->cwd, sizeof(p->cwd))) {
		log_error("start: cannot find this program or the current directory: %s",
			  strerror(errno));
		return -1;
	}
	p->exe[n] = '\0';
	if (out[0] == '/')
		n = snprintf(p->rec.output, sizeof(p->rec.output), "%s", out);
	else
		n = snprintf(p->rec.output, sizeof(p->rec.output), "%s/%s", p->cwd, out);
	if (n < 0 || (size_t)n >= sizeof(p->rec.output)) {
		log_error("start: -w: the path is too long");
		return -1;
	}
	snprintf(p->rec.tag, sizeof(p->rec.tag), "%s", p->tag);
	bg_paths(p->tag, p->rec.path, sizeof(p->rec.path), p->log, sizeof(p->log));
	return 0;
}

/* A background capture of this namespace that runs on one of our interfaces: refused. */
static int already_running(const struct start_plan *p)
{
	size_t n, i;
	unsigned int k;
	struct bg_record *all = bg_records(&n);
	int found = 0;

	for (i = 0; i < n && !found; i++) {
		if (!bg_alive(&all[i]))
			continue;
		for (k = 0; k < p->opts.n_ifaces && !found; k++)
			found = bg_tag_has_iface(all[i].tag, p->opts.ifaces[k]);
		if (found)
			log_error("start: %s: a background capture runs on it already (pid %ld, files in %s); vpncap stop %s ends it",
				  p->opts.ifaces[k - 1], (long)all[i].pid, all[i].output,
				  p->opts.ifaces[k - 1]);
	}
	free(all);
	return found;
}

/*
 * Is systemd the init here, and its network namespace ours? Then a unit
 * captures. A namespace that cannot be compared is taken for the same.
 */
static int under_systemd(void)
{
	struct stat self, init;

	if (access("/run/systemd/system", F_OK))
		return 0;
	if (stat("/proc/self/ns/net", &self) || stat("/proc/1/ns/net", &init))
		return 1;
	return self.st_ino == init.st_ino;
}

/* The log, empty. Its fd (close-on-exec), or -1 (said so). */
static int open_log(const struct start_plan *p)
{
	int fd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		log_error("start: cannot create %s: %s", p->log, strerror(errno));
	return fd;
}

/* The log from byte from to its end, to stderr: what the capture said. */
static void relay_log(const char *log, unsigned long long from)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(log, "re");

	if (!f)
		return;
	fflush(stdout);
	if (!fseek(f, (long)from, SEEK_SET))
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, stderr);
	fclose(f);
}

static unsigned long long log_size(const char *log)
{
	struct stat st;

	return stat(log, &st) ? 0 : (unsigned long long)st.st_size;
}

/* Capturing: the record completed, what it said so far shown, and how to end it. */
static int started(struct start_plan *p)
{
	struct stat st;

	p->rec.log_ready = log_size(p->log);
	p->rec.is_dir = !stat(p->rec.output, &st) && S_ISDIR(st.st_mode);
	relay_log(p->log, 0);
	if (bg_record_save(&p->rec))
		return EXIT_RUNTIME;
	printf("vpncap: %s: capturing in the background (%s%s%ld), files in %s; `vpncap stop %s` ends it\n",
	       p->tag, p->rec.unit, p->rec.unit[0] ? ", pid " : "pid ", (long)p->rec.pid,
	       p->rec.output, p->tag);
	return EXIT_OK;
}

/* It did not start: what it said, nothing left behind, its status. */
static int not_started(const struct start_plan *p, int status)
{
	relay_log(p->log, 0);
	unlink(p->rec.path);
	unlink(p->log);
	return status;
}

/* ---- detached ------------------------------------------------------------------------ */

/* A datagram socket in the abstract namespace for NOTIFY_SOCKET ("@name"); its fd or -1. */
static int notify_socket(char *name, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	unsigned int rnd = 0;
	int one = 1, fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	size_t n;

	if (fd < 0)
		return -1;
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (unsigned int)time(NULL);
	snprintf(name, len, "@vpncap-start-%ld-%08x", (long)getpid(), rnd);
	n = strlen(name);
	memcpy(sa.sun_path + 1, name + 1, n - 1); /* sun_path[0] = 0: abstract */
	/* The kernel stamps each message with its sender: only the capture is heard. */
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One message: 1 when it is READY=1 from pid. */
static int got_ready(int fd, pid_t pid)
{
	char buf[4096], ctl[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { buf, sizeof(buf) - 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;
	ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	pid_t from = 0;

	if (n < 0)
		return 0;
	buf[n] = '\0';
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred u;

			memcpy(&u, CMSG_DATA(c), sizeof(u));
			from = u.pid;
		}
	return from == pid && (!strncmp(buf, "READY=1", 7) || strstr(buf, "\nREADY=1"));
}

/* The child: a session of its own, no terminal, output to the log; then the capture. */
static void exec_capture(const struct start_plan *p, int logfd, const char *notify)
{
	int null = open("/dev/null", O_RDONLY);

	setsid();
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(logfd, STDOUT_FILENO) < 0 ||
	    dup2(logfd, STDERR_FILENO) < 0 || setenv("NOTIFY_SOCKET", notify, 1))
		_exit(EXIT_RUNTIME);
	if (null > STDERR_FILENO)
		close(null);
	execv(p->exe, p->argv);
	dprintf(STDERR_FILENO, "vpncap: start: cannot run %s: %s\n", p->exe, strerror(errno));
	_exit(EXIT_RUNTIME);
}

/* Its exit status as ours (a signal: 1). */
static int status_of(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	log_error("start: the capture was killed by signal %d", WTERMSIG(wstatus));
	return EXIT_RUNTIME;
}

/* Until READY=1 (EXIT_OK), the capture's end (its status) or the time out. */
static int wait_ready(struct start_plan *p, int nfd)
{
	struct pollfd pfd = { .fd = nfd, .events = POLLIN };
	int waited, wstatus;

	for (waited = 0; waited < START_READY_WAIT_MS; waited += 100) {
		if (poll(&pfd, 1, 100) > 0 && got_ready(nfd, p->rec.pid))
			return started(p);
		if (waitpid(p->rec.pid, &wstatus, WNOHANG) == p->rec.pid)
			return not_started(p, status_of(wstatus));
	}
	kill(p->rec.pid, SIGTERM);
	waitpid(p->rec.pid, &wstatus, 0);
	relay_log(p->log, 0);
	log_error("start: %s: the capture did not say it captures within %d s; stopped it",
		  p->tag, START_READY_WAIT_MS / 1000);
	not_started(p, EXIT_RUNTIME);
	return EXIT_RUNTIME;
}

static int start_detached(struct start_plan *p, int logfd)
{
	char notify[64];
	int nfd = notify_socket(notify, sizeof(notify)), status;

	if (nfd < 0) {
		log_error("start: cannot make a socket to hear the capture start: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	fflush(NULL);
	p->rec.started = (long long)time(NULL);
	p->rec.pid = fork();
	if (p->rec.pid < 0) {
		log_error("start: fork: %s", strerror(errno));
		close(nfd);
		return EXIT_RUNTIME;
	}
	if (p->rec.pid == 0)
		exec_capture(p, logfd, notify);
	/* Recorded at once: a second start on the same interface sees it. */
	p->rec.pid_start = bg_proc_starttime(p->rec.pid);
	bg_record_save(&p->rec);
	status = wait_ready(p, nfd);
	close(nfd);
	return status;
}

/* ---- systemd ------------------------------------------------------------------------- */

/* `systemctl show -p PROP --value UNIT` as a number, -1 when there is none. */
static long long unit_number(const char *unit, const char *prop)
{
	char out[64], *argv[] = { "systemctl", "show", "-p", (char *)prop, "--value",
				  (char *)unit, NULL };
	char *end;
	long long v;

	if (service_run(argv, out, sizeof(out), 0) != 0 || !out[0])
		return -1;
	v = strtoll(out, &end, 10);
	return *end ? -1 : v;
}

static void unit_quiet(const char *verb, const char *unit)
{
	char said[256], *argv[] = { "systemctl", (char *)verb, (char *)unit, NULL };

	service_run(argv, said, sizeof(said), SERVICE_RUN_STDERR);
}

/* The command line of systemd-run; NULL when out of memory. Free with free_argv(). */
static char **systemd_run_argv(const struct start_plan *p, const char *unit)
{
	size_t n = 0, i, extra = 0;
	char **a;
	int k;

	for (i = 0; environ[i]; i++)
		extra += !strncmp(environ[i], "VPNCAP_", 7);
	a = calloc(16 + extra + (size_t)p->args.argc + 64, sizeof(*a));
	if (!a)
		return NULL;
	a[n++] = strdup("systemd-run");
	a[n++] = strdup("--quiet");
	if (asprintf(&a[n++], "--unit=%s", unit) < 0 ||
	    asprintf(&a[n++], "--description=vpncap background capture on %s", p->tag) < 0 ||
	    asprintf(&a[n++], "--property=StandardOutput=append:%s", p->log) < 0 ||
	    asprintf(&a[n++], "--property=StandardError=append:%s", p->log) < 0 ||
	    asprintf(&a[n++], "--property=WorkingDirectory=%s", p->cwd) < 0)
		a[n - 1] = NULL;
	a[n++] = strdup("--property=Type=notify");
	a[n++] = strdup("--property=NotifyAccess=main");
	for (i = 0; environ[i]; i++)
		if (!strncmp(environ[i], "VPNCAP_", 7) && asprintf(&a[n++], "--setenv=%s", environ[i]) < 0)
			a[n - 1] = NULL;
	a[n++] = strdup("--");
	a[n++] = strdup(p->exe);
	for (k = 1; p->argv[k]; k++)
		a[n++] = strdup(p->argv[k]);
	for (i = 0; i < n; i++)
		if (!a[i]) {
			while (n)
				free(a[--n]);
			free(a);
			return NULL;
		}
	return a;
}

static void free_argv(char **a)
{
	size_t i;

	for (i = 0; a && a[i]; i++)
		free(a[i]);
	free(a);
}

/*
 * systemd-run waits for the start job: with Type=notify that is READY=1,
 * or the capture's failure (its status kept by the failed unit until
 * reset-failed).
 */
static int start_unit(struct start_plan *p)
{
	char said[512] = "", **argv;
	long long v;
	int rc;

	if ((size_t)bg_unit_name(p->rec.unit, sizeof(p->rec.unit), p->tag) >= sizeof(p->rec.unit)) {
		log_error("start: %s: too long for the name of a unit", p->tag);
		return not_started(p, EXIT_USAGE);
	}
	unit_quiet("reset-failed", p->rec.unit); /* a failed one of before would refuse the name */
	argv = systemd_run_argv(p, p->rec.unit);
	if (!argv) {
		log_error("start: out of memory");
		return EXIT_RUNTIME;
	}
	p->rec.started = (long long)time(NULL);
	rc = service_run(argv, said, sizeof(said), SERVICE_RUN_STDERR);
	free_argv(argv);
	if (rc != 0) {
		v = unit_number(p->rec.unit, "ExecMainStatus");
		unit_quiet("reset-failed", p->rec.unit);
		if (log_size(p->log) && v > 0)
			return not_started(p, (int)v);
		log_error("start: systemd-run %s failed: %s", p->rec.unit, said[0] ? said : "no reason given");
		return not_started(p, EXIT_RUNTIME);
	}
	v = unit_number(p->rec.unit, "MainPID");
	p->rec.pid = v > 0 ? (pid_t)v : 0;
	p->rec.pid_start = p->rec.pid ? bg_proc_starttime(p->rec.pid) : 0;
	return started(p);
}

/* ---- the command --------------------------------------------------------------------- */

/*
 * One start at a time (an flock on the run directory, held until the
 * capture is ready or failed): two starts on one interface would both find
 * it free, and the loser would remove the winner's record.
 */
static int lock_starts(void)
{
	int fd;

	if (mkdir(BG_RUN_DIR, 0750) && errno != EEXIST) {
		log_error("start: cannot create %s: %s", BG_RUN_DIR, strerror(errno));
		return -1;
	}
	fd = open(BG_RUN_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX)) {
		log_error("start: cannot lock %s: %s", BG_RUN_DIR, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int start(struct start_plan *p)
{
	int lockfd, logfd, status = EXIT_RUNTIME;

	if (plan_paths(p))
		return EXIT_RUNTIME;
	lockfd = lock_starts();
	if (lockfd < 0)
		return EXIT_RUNTIME;
	if (!already_running(p)) {
		logfd = open_log(p);
		if (logfd >= 0) {
			status = under_systemd() ? start_unit(p) : start_detached(p, logfd);
			close(logfd);
		}
	}
	close(lockfd);
	return status;
}

int cmd_start(int argc, char **argv)
{
	struct start_plan *p;
	int status;

	if (argc == 2 && !strcmp(argv[1], "help")) {
		fputs(start_usage, stdout);
		return EXIT_OK;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		log_error("start: out of memory");
		return EXIT_RUNTIME;
	}
	status = plan_options(argc, argv, p);
	if (status < 0) {
		fputs(start_usage, stdout);
		status = EXIT_OK;
	} else if (status == EXIT_OK) {
		status = start(p);
	}
	config_args_free(&p->args);
	free(p->argv);
	free(p);
	return status;
}
