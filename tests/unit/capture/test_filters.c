// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the named filters (filters.c): `vpncap filter add|list|
 * remove` through cmd_filter, the filter file (filters_load/filters_save),
 * the rule set and the words for if_filter.
 *
 * Every refused command must give exit 2, exactly one line on stderr that
 * names the bad token, nothing on stdout, and leave the filter file
 * byte-for-byte as it was (or still missing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmd/cmd.h"
#include "cmd/filter.h"
#include "capture/filters.h"
#include "capture/rules.h"
#include "vpncap/abi.h"

#define ERRLEN 512
#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static char tmpdir[] = "/tmp/test_filters.XXXXXX";

static char hits_dir[256];

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(hits_dir, sizeof(hits_dir), "%s/hits", tmpdir);
	if (mkdir(hits_dir, 0700))
		return -1;
	/* Never the hits of a capture that happens to run on this machine */
	filters_set_hits_dir(hits_dir);
	filters_set_live_hits(0);
	unsetenv("VPNCAP_CONFIG_DIR");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	filters_set_hits_dir(NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- helpers ------------------------------------------------------------- */

/* A fresh configuration directory tmpdir/NAME. */
static const char *new_dir(const char *name)
{
	static char bufs[4][256];
	static int next;
	char *p = bufs[next++ % 4], cmd[400];

	snprintf(p, sizeof(bufs[0]), "%s/%s", tmpdir, name);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(mkdir(p, 0750), 0);
	return p;
}

static const char *conf_of(const char *dir)
{
	static char bufs[4][300];
	static int next;
	char *p = bufs[next++ % 4];

	snprintf(p, sizeof(bufs[0]), "%s/filters.conf", dir);
	return p;
}

struct blob {
	char *data;     /* NULL: no such file */
	size_t len;
};

static struct blob read_blob(const char *path)
{
	struct blob b = { NULL, 0 };
	FILE *f = fopen(path, "rb");
	long n;

	if (!f) {
		assert_int_equal(errno, ENOENT);
		return b;
	}
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	b.data = malloc((size_t)n + 1);
	assert_non_null(b.data);
	b.len = fread(b.data, 1, (size_t)n, f);
	assert_int_equal(b.len, (size_t)n);
	b.data[b.len] = '\0';
	fclose(f);
	return b;
}

static int same_blob(const struct blob *a, const struct blob *b)
{
	if (!a->data || !b->data)
		return !a->data && !b->data;
	return a->len == b->len && !memcmp(a->data, b->data, a->len);
}

static void write_text(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* What the last cmd_filter call did. */
static struct {
	int status;
	char out[65536];
	char err[8192];
} R;

static void read_fd(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	assert_true(n >= 0);
	buf[n] = '\0';
}

/* cmd_filter("filter", args...), stdout and stderr into R. */
static int run(const char *const *args)
{
	char *argv[200], path[300];
	int argc = 0, so, se, fo, fe;

	argv[argc++] = "filter";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;

	snprintf(path, sizeof(path), "%s/stdout", tmpdir);
	fo = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	snprintf(path, sizeof(path), "%s/stderr", tmpdir);
	fe = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fo >= 0 && fe >= 0);
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	dup2(fo, 1);
	dup2(fe, 2);
	R.status = cmd_filter(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	read_fd(fo, R.out, sizeof(R.out));
	read_fd(fe, R.err, sizeof(R.err));
	close(fo);
	close(fe);
	return R.status;
}

/* filter --config-dir DIR args... */
static int run_in(const char *dir, const char *const *args)
{
	const char *all[200];
	int n = 0;

	all[n++] = "--config-dir";
	all[n++] = dir;
	for (; *args; args++)
		all[n++] = *args;
	all[n] = NULL;
	return run(all);
}

static void expect_ok(const char *dir, const char *const *args, const char *file, int line)
{
	if (run_in(dir, args) != 0 || R.err[0]) {
		print_error("%s:%d: exit %d, stderr '%s'\n", file, line, R.status, R.err);
		_fail(file, line);
	}
}

#define RUN_OK(dir, ...) expect_ok((dir), ARGS(__VA_ARGS__), __FILE__, __LINE__)

/*
 * Refused: exit 2, one line "vpncap: PREFIX..." holding want, nothing on
 * stdout, the filter file unchanged.
 */
static void expect_refused(const char *dir, const char *const *args, const char *prefix,
			   const char *want, const char *file, int line)
{
	struct blob before = read_blob(conf_of(dir)), after;
	size_t n = strlen(R.err);

	run_in(dir, args);
	after = read_blob(conf_of(dir));
	n = strlen(R.err);
	if (R.status != 2 || !n || R.err[n - 1] != '\n' || strchr(R.err, '\n') != R.err + n - 1 ||
	    strncmp(R.err, prefix, strlen(prefix)) || !strstr(R.err, want) || R.out[0] ||
	    !same_blob(&before, &after)) {
		print_error("%s:%d: exit %d, stdout '%s', stderr '%s' (want '%s...%s'), file %s\n",
			    file, line, R.status, R.out, R.err, prefix, want,
			    same_blob(&before, &after) ? "unchanged" : "CHANGED");
		_fail(file, line);
	}
	free(before.data);
	free(after.data);
}

#define REFUSED(dir, want, ...)                                                        \
	expect_refused((dir), ARGS(__VA_ARGS__), "vpncap: filter add: ", (want), __FILE__, \
		       __LINE__)

static void load_ok(const char *path, struct filter_set *set)
{
	char err[ERRLEN] = "";
	int rc = filters_load(path, set, err, sizeof(err));

	if (rc)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(rc, 0);
}

/* filters_parse of text must fail with exactly "PATH:" + want. */
static void check_parse_err(const char *text, size_t len, const char *want, const char *file,
			    int line)
{
	struct filter_set set;
	char err[ERRLEN], full[ERRLEN];
	int rc;

	memset(&set, 0x55, sizeof(set));
	memset(err, 0, sizeof(err));
	rc = filters_parse("f.conf", text, len, &set, err, sizeof(err));
	snprintf(full, sizeof(full), "f.conf:%s", want);
	if (rc != -EINVAL || strcmp(err, full) || set.count != 0) {
		print_error("%s:%d: rc %d count %u, message\n  '%s', expected\n  '%s'\n", file,
			    line, rc, set.count, err, full);
		_fail(file, line);
	}
}

#define PARSE_ERR(text, want) check_parse_err((text), strlen(text), (want), __FILE__, __LINE__)

static void parse_ok(const char *text, struct filter_set *set)
{
	char err[ERRLEN] = "";
	int rc = filters_parse("f.conf", text, strlen(text), set, err, sizeof(err));

	if (rc)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(rc, 0);
}

/* Rule bytes with every padding byte zeroed (they are zero anyway). */
static void zero_pad(struct vpncap_rule *r)
{
	unsigned int i;

	r->pad = 0;
	for (i = 0; i < VPNCAP_RULE_ADDRS; i++)
		memset(r->addrs[i].pad, 0, sizeof(r->addrs[i].pad));
}

static void assert_same_sets(struct filter_set *a, struct filter_set *b)
{
	unsigned int i;

	for (i = 0; i < VPNCAP_MAX_RULES; i++) {
		zero_pad(&a->rules[i]);
		zero_pad(&b->rules[i]);
	}
	assert_int_equal(a->count, b->count);
	for (i = 0; i < a->count; i++) {
		assert_string_equal(a->names[i], b->names[i]);
		assert_memory_equal(&a->rules[i], &b->rules[i], sizeof(a->rules[i]));
	}
	assert_memory_equal(a, b, sizeof(*a));
}

static struct vpncap_prefix pfx(int family, const char *addr, unsigned int len)
{
	struct vpncap_prefix p;

	memset(&p, 0, sizeof(p));
	p.family = (__u8)family;
	p.len = (__u8)len;
	assert_int_equal(inet_pton(family == 6 ? AF_INET6 : AF_INET, addr, p.addr), 1);
	return p;
}

/* ---- add: every option ---------------------------------------------------- */

static void test_add_every_option(void **state)
{
	const char *dir = new_dir("every");
	struct filter_set set;
	struct vpncap_rule want;
	struct stat st;

	(void)state;
	RUN_OK(dir, "add", "All", "-t", "udp", "-p", "1000-2000", "--any-ip", "10.0.0.0/8",
	       "--any-ip", "2001:db8::/32", "--any-ip", "192.0.2.1", "--any-ip", "2001:db8:1::7",
	       "--vlan", "100",
	       "--mac", "AA:bb:cc:dd:ee:0F", "--class", "ike", "--class", "esp,keepalive",
	       "--snaplen", "128");
	assert_string_equal(R.out, "added filter All: udp port 1000-2000 addr "
				   "10.0.0.0/8,2001:db8::/32,192.0.2.1,2001:db8:1::7 vlan 100 "
				   "mac aa:bb:cc:dd:ee:0f class ike,esp,keepalive snaplen 128\n");
	load_ok(conf_of(dir), &set);
	assert_int_equal(set.count, 1);
	assert_string_equal(filters_name(&set, 0), "All");
	assert_null(filters_name(&set, 1));

	memset(&want, 0, sizeof(want));
	want.fields = VPNCAP_F_PROTO | VPNCAP_F_PORT | VPNCAP_F_ADDR | VPNCAP_F_VLAN |
		      VPNCAP_F_MAC | VPNCAP_F_CLASS;
	want.l4_proto = IPPROTO_UDP;
	want.port_lo = 1000;
	want.port_hi = 2000;
	want.n_addrs = 4;
	want.addrs[0] = pfx(4, "10.0.0.0", 8);
	want.addrs[1] = pfx(6, "2001:db8::", 32);
	want.addrs[2] = pfx(4, "192.0.2.1", 32);
	want.addrs[3] = pfx(6, "2001:db8:1::7", 128);
	want.vlan_id = 100;
	memcpy(want.mac, "\xaa\xbb\xcc\xdd\xee\x0f", 6);
	want.class_mask = VPNCAP_CLASS_IKE | VPNCAP_CLASS_ESP | VPNCAP_CLASS_KEEPALIVE;
	want.snaplen = 128;
	assert_memory_equal(&set.rules[0], &want, sizeof(want));

	/* The file as documented, 0640 */
	{
		struct blob b = read_blob(conf_of(dir));

		assert_non_null(strstr(b.data, "\n[All]\nprotocol = udp\nport = 1000-2000\n"
						"address = 10.0.0.0/8\naddress = 2001:db8::/32\n"
						"address = 192.0.2.1\naddress = 2001:db8:1::7\n"
						"vlan = 100\nmac = aa:bb:cc:dd:ee:0f\n"
						"class = ike,esp,keepalive\nsnaplen = 128\n"));
		free(b.data);
	}
	assert_int_equal(stat(conf_of(dir), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
}

/* Each option alone, and the spellings getopt would take. */
static void test_add_each_option(void **state)
{
	const char *dir = new_dir("each");
	struct filter_set set;
	const struct vpncap_rule *r;

	(void)state;
	RUN_OK(dir, "add", "p-udp", "-t", "UDP", "-p", "9"); /* words in any case */
	RUN_OK(dir, "add", "p-num", "-t", "47");
	RUN_OK(dir, "add", "p-17", "-t17", "-p443");         /* 17 is udp */
	RUN_OK(dir, "add", "p-icmp", "--protocol=ICMP");
	RUN_OK(dir, "add", "p-icmpv6", "--protocol", "icmpv6");
	RUN_OK(dir, "add", "port", "--port=4500", "-t", "tcp"); /* order of options is free */
	RUN_OK(dir, "add", "range", "-t", "tcp", "-p", "1-65535");
	RUN_OK(dir, "add", "one", "-t", "udp", "-p", "500-500");
	RUN_OK(dir, "add", "v4", "-i", "198.18.0.0/15");
	RUN_OK(dir, "add", "v6", "--address=::/0");
	RUN_OK(dir, "add", "vlan", "--vlan=4094");
	RUN_OK(dir, "add", "mac", "--mac", "00:00:5e:00:53:01");
	RUN_OK(dir, "add", "class", "--class", "keepalive");
	load_ok(conf_of(dir), &set);
	assert_int_equal(set.count, 13);
	r = &set.rules[0];
	assert_int_equal(r->fields, VPNCAP_F_PROTO | VPNCAP_F_PORT);
	assert_int_equal(r->l4_proto, IPPROTO_UDP);
	assert_int_equal(set.rules[1].l4_proto, 47);
	r = &set.rules[2];
	assert_int_equal(r->fields, VPNCAP_F_PROTO | VPNCAP_F_PORT);
	assert_int_equal(r->l4_proto, IPPROTO_UDP);
	assert_int_equal(r->port_lo, 443);
	assert_int_equal(r->port_hi, 443);
	assert_int_equal(set.rules[3].l4_proto, IPPROTO_ICMP);
	assert_int_equal(set.rules[4].l4_proto, IPPROTO_ICMPV6);
	assert_int_equal(set.rules[5].l4_proto, IPPROTO_TCP);
	assert_int_equal(set.rules[5].port_lo, 4500);
	assert_int_equal(set.rules[6].port_lo, 1);
	assert_int_equal(set.rules[6].port_hi, 65535);
	assert_int_equal(set.rules[7].port_lo, 500);
	assert_int_equal(set.rules[7].port_hi, 500);
	r = &set.rules[8];
	assert_int_equal(r->fields, VPNCAP_F_ADDR);
	assert_int_equal(r->n_addrs, 1);
	assert_int_equal(r->addrs[0].family, 4);
	assert_int_equal(r->addrs[0].len, 15);
	assert_memory_equal(r->addrs[0].addr, "\xc6\x12\x00\x00", 4);
	r = &set.rules[9];
	assert_int_equal(r->addrs[0].family, 6);
	assert_int_equal(r->addrs[0].len, 0);
	assert_int_equal(set.rules[10].fields, VPNCAP_F_VLAN);
	assert_int_equal(set.rules[10].vlan_id, 4094);
	assert_int_equal(set.rules[11].fields, VPNCAP_F_MAC);
	assert_memory_equal(set.rules[11].mac, "\x00\x00\x5e\x00\x53\x01", 6);
	assert_int_equal(set.rules[12].fields, VPNCAP_F_CLASS);
	assert_int_equal(set.rules[12].class_mask, VPNCAP_CLASS_KEEPALIVE);
}

/* "--" lets a name start with '-'; options before the name work too. */
static void test_add_name_forms(void **state)
{
	const char *dir = new_dir("names");
	struct filter_set set;

	(void)state;
	RUN_OK(dir, "add", "-t", "esp", "--", "-dash");
	RUN_OK(dir, "add", "a.b_c-D9", "-t", "47");
	RUN_OK(dir, "add", "A234567890123456789012345678901Z", "-t", "48"); /* 32 */
	RUN_OK(dir, "add", "ikev2", "-t", "udp");  /* case-sensitive: not IKEv2 */
	RUN_OK(dir, "add", "IKEv2", "-t", "tcp");
	load_ok(conf_of(dir), &set);
	assert_int_equal(set.count, 5);
	assert_string_equal(set.names[0], "-dash");
	assert_string_equal(set.names[2], "A234567890123456789012345678901Z");
	assert_int_equal(filters_find(&set, "ikev2"), 3);
	assert_int_equal(filters_find(&set, "IKEv2"), 4);
	assert_int_equal(filters_find(&set, "IKEV2"), -1);
	assert_true(filters_valid_name("a"));
	assert_false(filters_valid_name(""));
	assert_false(filters_valid_name("a b"));
	assert_false(filters_valid_name("a/b"));
	assert_false(filters_valid_name("A234567890123456789012345678901ZZ"));
}

/* --config-dir before or after the subcommand, =DIR, and $VPNCAP_CONFIG_DIR. */
static void test_config_dir(void **state)
{
	const char *a = new_dir("cfg_a"), *b = new_dir("cfg_b");
	char eq[300];
	struct filter_set set;

	(void)state;
	assert_int_equal(run(ARGS("add", "X", "-t", "udp", "--config-dir", a)), 0);
	snprintf(eq, sizeof(eq), "--config-dir=%s", a);
	assert_int_equal(run(ARGS(eq, "add", "Y", "-t", "tcp")), 0);
	assert_int_equal(run(ARGS("add", eq, "Z", "-t", "esp")), 0);
	load_ok(conf_of(a), &set);
	assert_int_equal(set.count, 3);

	setenv("VPNCAP_CONFIG_DIR", b, 1);
	assert_int_equal(run(ARGS("add", "E", "-t", "esp")), 0);
	assert_int_equal(run(ARGS("list")), 0);
	assert_non_null(strstr(R.out, "\nE "));
	/* --config-dir wins over the environment */
	assert_int_equal(run(ARGS("--config-dir", a, "list")), 0);
	assert_null(strstr(R.out, "\nE "));
	unsetenv("VPNCAP_CONFIG_DIR");
	load_ok(conf_of(b), &set);
	assert_int_equal(set.count, 1);

	/* Twice, empty, missing */
	expect_refused(a, ARGS("add", "W", "-t", "udp", "--config-dir", b), "vpncap: filter add: ",
		       "--config-dir given twice", __FILE__, __LINE__);
	assert_int_equal(run(ARGS("--config-dir", "", "list")), 2);
	assert_string_equal(R.err, "vpncap: filter: --config-dir: empty directory name\n");
	assert_int_equal(run(ARGS("--config-dir")), 2);
	assert_string_equal(R.err, "vpncap: filter: option '--config-dir' needs a value\n");

	/* A directory that does not exist yet is made by add */
	{
		char sub[300];
		struct stat st;

		snprintf(sub, sizeof(sub), "%s/new", b);
		assert_int_equal(run(ARGS("--config-dir", sub, "add", "N", "-t", "tcp")), 0);
		assert_int_equal(stat(sub, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
	}
}

/* ---- the preset ----------------------------------------------------------- */

static void test_preset(void **state)
{
	const char *dir = new_dir("preset");
	struct filter_set set;
	static const char *const names[] = { "IKEv2", "NAT-T", "ESP", "SSTP" };
	static const __u8 proto[] = { IPPROTO_UDP, IPPROTO_UDP, IPPROTO_ESP, IPPROTO_TCP };
	static const __u16 port[] = { 500, 4500, 0, 443 };
	unsigned int i;

	(void)state;
	RUN_OK(dir, "add", "--preset", "aovpn");
	assert_string_equal(R.out, "added filter IKEv2: udp port 500\n"
				   "added filter NAT-T: udp port 4500\n"
				   "added filter ESP: esp\n"
				   "added filter SSTP: tcp port 443\n");
	load_ok(conf_of(dir), &set);
	assert_int_equal(set.count, 4);
	for (i = 0; i < 4; i++) {
		struct vpncap_rule want;

		memset(&want, 0, sizeof(want));
		want.fields = VPNCAP_F_PROTO | (port[i] ? VPNCAP_F_PORT : 0);
		want.l4_proto = proto[i];
		want.port_lo = want.port_hi = port[i];
		assert_string_equal(set.names[i], names[i]);
		assert_memory_equal(&set.rules[i], &want, sizeof(want));
	}

	/* Again: every filter is there, nothing is added */
	REFUSED(dir, "'IKEv2': the same filter is already there: 'IKEv2' (filter 1: udp port 500) "
		"(nothing of --preset aovpn added)", "add", "--preset", "aovpn");

	/* One of them there already (another name): none added */
	dir = new_dir("preset2");
	RUN_OK(dir, "add", "mine", "-t", "tcp", "-p", "80");
	RUN_OK(dir, "add", "Esp", "-t", "esp");
	REFUSED(dir, "'ESP': the same filter is already there: 'Esp' (filter 2: esp) (nothing of "
		"--preset aovpn added)", "add", "--preset", "aovpn");
	load_ok(conf_of(dir), &set);
	assert_int_equal(set.count, 2);

	/* --snaplen goes with it, nothing else does */
	dir = new_dir("preset3");
	RUN_OK(dir, "add", "--preset=aovpn", "--snaplen", "96");
	load_ok(conf_of(dir), &set);
	assert_int_equal(set.count, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(set.rules[i].snaplen, 96);
	dir = new_dir("preset4");
	REFUSED(dir, "'vpn': --preset names its filters itself", "add", "vpn", "--preset",
		"aovpn");
	REFUSED(dir, "-t cannot go with --preset", "add", "--preset", "aovpn", "-t", "udp");
	REFUSED(dir, "--vlan cannot go with --preset", "add", "--preset", "aovpn", "--vlan", "3");
	REFUSED(dir, "'AOVPN' is not a preset (aovpn)", "add", "--preset", "AOVPN");
	REFUSED(dir, "--preset given twice", "add", "--preset", "aovpn", "--preset", "aovpn");
	REFUSED(dir, "option '--preset' needs a value", "add", "--preset");

	/* Room for four more, or nothing */
	{
		char name[16];

		dir = new_dir("preset5");
		for (i = 0; i < VPNCAP_MAX_RULES - 3; i++) {
			char proto[8];

			snprintf(name, sizeof(name), "F%u", i);
			snprintf(proto, sizeof(proto), "%u", 100 + i);
			RUN_OK(dir, "add", name, "-t", proto);
		}
		REFUSED(dir, "--preset aovpn: 61 filters and 4 more are more than 64", "add",
			"--preset", "aovpn");
		RUN_OK(dir, "remove", "F0");
		RUN_OK(dir, "add", "--preset", "aovpn");
		load_ok(conf_of(dir), &set);
		assert_int_equal(set.count, VPNCAP_MAX_RULES);
	}
}

/* ---- bad input ------------------------------------------------------------ */

static void test_bad_add(void **state)
{
	const char *dir = new_dir("bad"), *none = new_dir("bad_none");
	char long_name[40];

	(void)state;
	RUN_OK(dir, "add", "--preset", "aovpn");
	RUN_OK(dir, "add", "Net", "-i", "10.0.0.0/8");

	/* Protocols */
	REFUSED(dir, "'foo' is not a protocol (udp, tcp, esp, icmp, icmpv6 or 1-255)", "add", "X",
		"-t", "foo");
	REFUSED(dir, "'0' is not a protocol", "add", "X", "-t", "0");
	REFUSED(dir, "'256' is not a protocol", "add", "X", "-t", "256");
	REFUSED(dir, "'-1' is not a protocol", "add", "X", "-t", "-1");
	REFUSED(dir, "'' is not a protocol", "add", "X", "-t", "");
	REFUSED(dir, "'udp ' is not a protocol", "add", "X", "-t", "udp ");

	/* Ports */
	REFUSED(dir, "'0' is not a port or port range (1-65535, LOW-HIGH with LOW <= HIGH)", "add",
		"X", "-t", "udp", "-p", "0");
	REFUSED(dir, "'65536' is not a port", "add", "X", "-t", "udp", "-p", "65536");
	REFUSED(dir, "'99999999999' is not a port", "add", "X", "-t", "udp", "-p", "99999999999");
	REFUSED(dir, "'2000-1000' is not a port", "add", "X", "-t", "tcp", "-p", "2000-1000");
	REFUSED(dir, "'1000-' is not a port", "add", "X", "-t", "tcp", "-p", "1000-");
	REFUSED(dir, "'-5' is not a port", "add", "X", "-t", "tcp", "-p", "-5");
	REFUSED(dir, "'0-10' is not a port", "add", "X", "-t", "tcp", "-p", "0-10");
	REFUSED(dir, "'+5' is not a port", "add", "X", "-t", "tcp", "-p", "+5");
	REFUSED(dir, "-p cannot go with -t esp (ports are UDP's and TCP's; no -t: either)", "add",
		"X", "-t", "esp", "-p", "500");
	REFUSED(dir, "-p cannot go with -t icmp", "add", "X", "-p", "500", "-t", "1");
	REFUSED(dir, "-p cannot go with -t icmp", "add", "X", "-t", "icmp", "-p", "443");
	REFUSED(dir, "-p cannot go with -t 47", "add", "X", "-t", "47", "-p", "1", "2");

	/* Addresses and prefixes */
	REFUSED(dir, "'10.0.0.0/33' is not an address or prefix", "add", "X", "-i", "10.0.0.0/33");
	REFUSED(dir, "'2001:db8::/129' is not an address or prefix", "add", "X", "-i",
		"2001:db8::/129");
	REFUSED(dir, "'300.1.1.1' is not an address or prefix", "add", "X", "-i", "300.1.1.1");
	REFUSED(dir, "'1.2.3' is not an address", "add", "X", "-i", "1.2.3");
	REFUSED(dir, "'10.0.0.0/' is not an address", "add", "X", "-i", "10.0.0.0/");
	REFUSED(dir, "'/8' is not an address", "add", "X", "-i", "/8");
	REFUSED(dir, "'10.0.0.0/8/8' is not an address", "add", "X", "-i", "10.0.0.0/8/8");
	REFUSED(dir, "'10.0.0.0/-1' is not an address", "add", "X", "-i", "10.0.0.0/-1");
	REFUSED(dir, "'fe80::1%eth0' is not an address", "add", "X", "-i", "fe80::1%eth0");
	REFUSED(dir, "'2001:db8:::1' is not an address", "add", "X", "-i", "2001:db8:::1");
	REFUSED(dir, "'host' is not an address", "add", "X", "-i", "host");
	REFUSED(dir, "'10.0.0.1/8' has host bits set (the prefix is 10.0.0.0/8)", "add", "X",
		"-i", "10.0.0.1/8");
	REFUSED(dir, "'2001:db8::1/32' has host bits set (the prefix is 2001:db8::/32)", "add",
		"X", "-i", "2001:db8::1/32");
	REFUSED(dir, "'192.168.1.128/24' has host bits set", "add", "X", "-i", "192.168.1.128/24");
	REFUSED(dir, "'10.0.0.0/08' given twice in one filter", "add", "X", "-i", "10.0.0.0/8",
		"-i", "10.0.0.0/08");
	REFUSED(dir, "'10.0.0.5' is one address too many (at most 4 a filter)", "add", "X",
		"--any-ip", "10.0.0.1", "--any-ip", "10.0.0.2", "--any-ip", "10.0.0.3", "--any-ip",
		"10.0.0.4", "--any-ip", "10.0.0.5");

	/* VLAN, MAC, class, snaplen */
	REFUSED(dir, "'0' is not a VLAN ID (1-4094)", "add", "X", "--vlan", "0");
	REFUSED(dir, "'4095' is not a VLAN ID", "add", "X", "--vlan", "4095");
	REFUSED(dir, "'ten' is not a VLAN ID", "add", "X", "--vlan", "ten");
	REFUSED(dir, "'aa:bb:cc:dd:ee' is not a MAC address (aa:bb:cc:dd:ee:ff)", "add", "X",
		"--mac", "aa:bb:cc:dd:ee");
	REFUSED(dir, "'aa-bb-cc-dd-ee-ff' is not a MAC address", "add", "X", "--mac",
		"aa-bb-cc-dd-ee-ff");
	REFUSED(dir, "'gg:bb:cc:dd:ee:ff' is not a MAC address", "add", "X", "--mac",
		"gg:bb:cc:dd:ee:ff");
	REFUSED(dir, "'aa:bb:cc:dd:ee:ff:00' is not a MAC address", "add", "X", "--mac",
		"aa:bb:cc:dd:ee:ff:00");
	REFUSED(dir, "'foo' is not a class (ike, esp, keepalive)", "add", "X", "--class", "foo");
	REFUSED(dir, "'sstp' is not a class", "add", "X", "--class", "ike,sstp");
	REFUSED(dir, "'ike,,esp' has an empty class", "add", "X", "--class", "ike,,esp");
	REFUSED(dir, "',' has an empty class", "add", "X", "--class", ",");
	REFUSED(dir, "'63' is not a snaplen (64-262144, 0 = whole frame)", "add", "X", "-t", "udp",
		"--snaplen", "63");
	REFUSED(dir, "'262145' is not a snaplen", "add", "X", "-t", "udp", "--snaplen", "262145");
	REFUSED(dir, "'1k' is not a snaplen", "add", "X", "-t", "udp", "--snaplen", "1k");

	/* Names */
	REFUSED(dir, "'IKEv2': the same filter is already there: 'IKEv2' (filter 1: udp port 500)",
		"add", "IKEv2", "-t", "UDP", "-p", "500");
	REFUSED(dir, "'Other': the same filter is already there: 'Net' (filter 5: addr "
		"10.0.0.0/8)", "add", "Other", "-i", "10.0.0.0/8");
	REFUSED(dir, "'a b' is not a filter name (1-32 of A-Z a-z 0-9 . _ -)", "add", "a b", "-t",
		"udp");
	REFUSED(dir, "'a?b' is not a filter name", "add", "a\tb", "-t", "udp");
	REFUSED(dir, "'a?b' is not a filter name", "add", "a\nb", "-t", "udp");
	REFUSED(dir, "'' is not a filter name", "add", "", "-t", "udp");
	REFUSED(dir, "'n/a' is not a filter name", "add", "n/a", "-t", "udp");
	REFUSED(dir, "'caf\xc3\xa9' is not a filter name", "add", "caf\xc3\xa9", "-t", "udp");
	memset(long_name, 'n', 33);
	long_name[33] = '\0';
	REFUSED(dir, "'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn' is not a filter name", "add", long_name,
		"-t", "udp");
	REFUSED(dir, "unexpected argument 'Y'", "add", "X", "Y", "-t", "udp");

	/* Options */
	REFUSED(dir, "unknown option '--foo'", "add", "X", "--foo", "1");
	REFUSED(dir, "unknown option '--json'", "add", "X", "--json");
	REFUSED(dir, "unknown option '--vla'", "add", "X", "--vla", "3");
	REFUSED(dir, "unknown option '-x'", "add", "X", "-x");
	REFUSED(dir, "unknown option '-hx'", "add", "X", "-hx");
	REFUSED(dir, "option '-t' needs a value", "add", "X", "-t");
	REFUSED(dir, "option '--vlan' needs a value", "add", "X", "--vlan");
	REFUSED(dir, "-t given twice ('tcp')", "add", "X", "-t", "udp", "-t", "tcp");
	REFUSED(dir, "--vlan given twice", "add", "X", "--vlan", "1", "--vlan", "1");
	REFUSED(dir, "--snaplen given twice", "add", "X", "-t", "udp", "--snaplen", "0",
		"--snaplen", "64");
	REFUSED(dir, "'X' has no match field (give -t, -p, -i, -m, -v, -d, --class or --expr)",
		"add", "X");
	REFUSED(dir, "'X' has no match field", "add", "X", "--snaplen", "128");

	/* The first problem is the one named */
	REFUSED(dir, "'bad' is not a protocol", "add", "X", "-t", "bad", "-p", "0");

	/* Where there is no file yet, there is none after */
	REFUSED(none, "'10.0.0.0/33' is not an address", "add", "X", "-i", "10.0.0.0/33");
	REFUSED(none, "no match field (give -t", "add");
	{
		struct blob b = read_blob(conf_of(none));

		assert_null(b.data);
	}
}

/* Other subcommands and the word before them. */
static void test_bad_usage(void **state)
{
	const char *dir = new_dir("usage");

	(void)state;
	RUN_OK(dir, "add", "--preset", "aovpn");
	expect_refused(dir, ARGS("frob"), "vpncap: filter: ",
		       "unknown subcommand 'frob' (add, list or remove)", __FILE__, __LINE__);
	expect_refused(dir, ARGS("--json", "list"), "vpncap: filter: ", "unknown option '--json'",
		       __FILE__, __LINE__);
	expect_refused(dir, ARGS("list", "extra"), "vpncap: filter list: ",
		       "unexpected argument 'extra'", __FILE__, __LINE__);
	expect_refused(dir, ARGS("list", "--json=1"), "vpncap: filter list: ",
		       "option '--json' takes no value", __FILE__, __LINE__);
	expect_refused(dir, ARGS("remove", "IKEv2", "--all"), "vpncap: filter remove: ",
		       "'IKEv2' and --all exclude each other", __FILE__, __LINE__);
	expect_refused(dir, ARGS("remove", "IKEv2", "ESP"), "vpncap: filter remove: ",
		       "unexpected argument 'ESP'", __FILE__, __LINE__);
	expect_refused(dir, ARGS("remove", "nope"), "vpncap: filter remove: ",
		       "no filter named 'nope'", __FILE__, __LINE__);
	expect_refused(dir, ARGS("remove", "ikev2"), "vpncap: filter remove: ",
		       "no filter named 'ikev2'", __FILE__, __LINE__);
	expect_refused(dir, ARGS("remove", "--al"), "vpncap: filter remove: ",
		       "unknown option '--al'", __FILE__, __LINE__);

	/* No subcommand */
	assert_int_equal(run((const char *const[]){ NULL }), 2);
	assert_string_equal(R.err, "vpncap: filter: missing subcommand (add, list or remove)\n");

	/* Help: stdout, exit 0, nothing else */
	assert_int_equal(run(ARGS("help")), 0);
	assert_non_null(strstr(R.out, "usage: vpncap filter add [NAME]"));
	assert_int_equal(run(ARGS("-h")), 0);
	assert_non_null(strstr(R.out, "--preset aovpn"));
	assert_int_equal(run_in(dir, ARGS("add", "--help", "-t", "bogus")), 0);
	assert_non_null(strstr(R.out, "usage:"));
	assert_string_equal(R.err, "");
}

/* ---- limits --------------------------------------------------------------- */

static void test_64_filters(void **state)
{
	const char *dir = new_dir("limit");
	struct filter_set set;
	char name[16];
	unsigned int i;

	(void)state;
	for (i = 0; i < VPNCAP_MAX_RULES; i++) {
		char port[8];

		snprintf(name, sizeof(name), "F%u", i);
		snprintf(port, sizeof(port), "%u", i + 1);
		RUN_OK(dir, "add", name, "-t", "udp", "-p", port);
	}
	load_ok(conf_of(dir), &set);
	assert_int_equal(set.count, VPNCAP_MAX_RULES);
	assert_string_equal(filters_name(&set, 63), "F63");
	assert_int_equal(set.rules[63].port_lo, 64);
	REFUSED(dir, "'F64' would be filter 65 (at most 64)", "add", "F64", "-t", "udp");

	/* filters_add_args: the same, and the set is left as it was */
	{
		struct filter_set copy = set;
		char err[ERRLEN] = "";
		char *argv[] = { "add", "F64", "-t", "udp", NULL };

		assert_int_equal(filters_add_args(&copy, 4, argv, err, sizeof(err)), -1);
		assert_string_equal(err, "'F64' would be filter 65 (at most 64)");
		assert_memory_equal(&copy, &set, sizeof(set));
	}

	/* A file with a 65th section */
	{
		char text[8192];
		size_t n = 0;

		for (i = 0; i <= VPNCAP_MAX_RULES; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n, "[F%u]\nprotocol = esp\n",
					      i);
		check_parse_err(text, n, "129: 'F64' is one filter too many (at most 64)",
				__FILE__, __LINE__);
	}
}

/* Prefixes: host bits are an error; /0 and hosts are fine. */
static void test_prefix_host_bits(void **state)
{
	struct filter_set set;
	char err[ERRLEN];
	const char *ok[] = { "0.0.0.0/0", "::/0", "10.0.0.0/8", "10.0.0.1", "10.0.0.1/32",
			     "10.128.0.0/9", "2001:db8:8000::/33", "2001:db8::/32", "2001:db8::1", "2001:db8::1/128",
			     "::ffff:192.0.2.0/120", "255.255.255.254/31" };
	const char *bad[][2] = {
		{ "10.0.0.1/8", "'10.0.0.1/8' has host bits set (the prefix is 10.0.0.0/8)" },
		{ "10.0.0.1/0", "'10.0.0.1/0' has host bits set (the prefix is 0.0.0.0/0)" },
		{ "10.192.0.0/9", "'10.192.0.0/9' has host bits set (the prefix is 10.128.0.0/9)" },
		{ "2001:db8::1/32", "'2001:db8::1/32' has host bits set (the prefix is 2001:db8::/32)" },
		{ "2001:db8:4000::/33", "'2001:db8:4000::/33' has host bits set (the prefix is 2001:db8::/33)" },
		{ "::1/127", "'::1/127' has host bits set (the prefix is ::/127)" },
		{ "10.0.0.0/33", "'10.0.0.0/33' is not an address or prefix" },
		{ "2001:db8::/129", "'2001:db8::/129' is not an address or prefix" },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char *argv[] = { "add", "P", "-i", (char *)ok[i], NULL };

		memset(&set, 0, sizeof(set));
		err[0] = '\0';
		if (filters_add_args(&set, 4, argv, err, sizeof(err)))
			print_error("'%s': %s\n", ok[i], err);
		assert_int_equal(set.count, 1);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "add", "P", "-i", (char *)bad[i][0], NULL };

		memset(&set, 0, sizeof(set));
		assert_int_equal(filters_add_args(&set, 4, argv, err, sizeof(err)), -1);
		assert_string_equal(err, bad[i][1]);
		assert_int_equal(set.count, 0);
	}
	/* In the file: the same rule, with the line */
	PARSE_ERR("[A]\naddress = 10.0.0.1/8\n",
		  "2: '10.0.0.1/8' has host bits set (the prefix is 10.0.0.0/8)");
}

/* ---- the file ------------------------------------------------------------- */

/* A set of many kinds of rules, built the way add builds them. */
static void varied_set(struct filter_set *set, unsigned int n)
{
	static const char *const opts[][12] = {
		{ "-t", "udp", "-p", "500", NULL },
		{ "-t", "tcp", "-p", "1000-2000", NULL },
		{ "-t", "esp", "--any-ip", "198.18.0.0/15", "--any-ip", "2001:db8::/48", NULL },
		{ "-t", "132", NULL },
		{ "--vlan", "7", "--mac", "02:00:00:00:00:01", NULL },
		{ "--class", "keepalive,ike", NULL },
		{ "--any-ip", "::", "--any-ip", "0.0.0.0/0", "--any-ip", "fe80::/10", "--any-ip",
		  "192.0.2.255", NULL },
		{ "-t", "esp", "--class", "esp", "--vlan", "4094", NULL },
		{ "-p", "500", "4500", "-i", "198.18.0.1", "198.18.0.0/24", NULL },
		{ "-m", "02:00:00:00:00:01", "02:00:00:00:00:02", "-d", "0x88cc", NULL },
		{ "-t", "tcp", "syn", "ACK", "-d", "IPv6", "-i", "2001:db8::/32", NULL },
		{ "--expr", "udp and greater 1000", NULL },
		{ "-d", "arp", "-v", "12", NULL },
	};
	/* snaplens of the first round; later rounds differ by snaplen so none is a copy */
	static const char *const snap[] = { NULL, "64", NULL, NULL, NULL, "262144" };
	unsigned int i, kinds = sizeof(opts) / sizeof(opts[0]);

	memset(set, 0, sizeof(*set));
	for (i = 0; i < n; i++) {
		char name[16], *argv[20], err[ERRLEN] = "", len[16];
		const char *const *o = opts[i % kinds];
		int argc = 0, rc;

		snprintf(name, sizeof(name), "r%u.x", i);
		argv[argc++] = "add";
		argv[argc++] = name;
		for (; *o; o++)
			argv[argc++] = (char *)*o;
		if (i >= kinds || (i < sizeof(snap) / sizeof(snap[0]) && snap[i])) {
			snprintf(len, sizeof(len), "%u", 100 + i);
			argv[argc++] = "--snaplen";
			argv[argc++] = i < kinds ? (char *)snap[i] : len;
		}
		argv[argc] = NULL;
		rc = filters_add_args(set, argc, argv, err, sizeof(err));
		if (rc)
			print_error("%s\n", err);
		assert_int_equal(rc, 0);
	}
}

static void test_round_trip(void **state)
{
	const char *dir = new_dir("trip");
	struct filter_set set, back;
	char err[ERRLEN] = "";
	unsigned int n;

	(void)state;
	for (n = 0; n <= VPNCAP_MAX_RULES; n += 8) {
		varied_set(&set, n);
		assert_int_equal(filters_save(conf_of(dir), &set, err, sizeof(err)), 0);
		memset(&back, 0x55, sizeof(back));
		load_ok(conf_of(dir), &back);
		assert_same_sets(&set, &back);
	}

	/* What the CLI wrote loads back to what filters_add_args made */
	dir = new_dir("trip_cli");
	RUN_OK(dir, "add", "r0.x", "-t", "udp", "-p", "500");
	RUN_OK(dir, "add", "r1.x", "-t", "tcp", "-p", "1000-2000", "--snaplen", "64");
	RUN_OK(dir, "add", "r2.x", "-t", "esp", "--any-ip", "198.18.0.0/15", "--any-ip",
	       "2001:db8::/48");
	varied_set(&set, 3);
	load_ok(conf_of(dir), &back);
	assert_same_sets(&set, &back);

	/* Saving twice gives the same bytes */
	{
		struct blob a, b;

		assert_int_equal(filters_save(conf_of(dir), &back, err, sizeof(err)), 0);
		a = read_blob(conf_of(dir));
		load_ok(conf_of(dir), &set);
		assert_int_equal(filters_save(conf_of(dir), &set, err, sizeof(err)), 0);
		b = read_blob(conf_of(dir));
		assert_true(same_blob(&a, &b));
		free(a.data);
		free(b.data);
	}
}

static void test_save_refuses(void **state)
{
	const char *dir = new_dir("save_bad");
	struct filter_set set;
	char err[ERRLEN], victim[300], tmp[300];
	struct blob before, after;

	(void)state;
	varied_set(&set, 2);
	assert_int_equal(filters_save(conf_of(dir), &set, err, sizeof(err)), 0);
	before = read_blob(conf_of(dir));

	set.rules[1].port_lo = 0;
	assert_int_equal(filters_save(conf_of(dir), &set, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "filter 'r1.x': port range 0-2000"));
	varied_set(&set, 2);
	strcpy(set.names[1], "r0 x");
	assert_int_equal(filters_save(conf_of(dir), &set, err, sizeof(err)), -EINVAL);
	varied_set(&set, 13);
	set.exprs[11][0] = ' ';  /* the file would not give it back */
	assert_int_equal(filters_save(conf_of(dir), &set, err, sizeof(err)), -EINVAL);
	varied_set(&set, 13);
	set.rules[8].port_hi = 1;  /* a pair has no range */
	assert_int_equal(filters_save(conf_of(dir), &set, err, sizeof(err)), -EINVAL);
	varied_set(&set, 2);
	strcpy(set.exprs[0], "udp");  /* a text without the field */
	assert_int_equal(filters_save(conf_of(dir), &set, err, sizeof(err)), -EINVAL);
	varied_set(&set, 2);
	set.rules[0].fields = 0;
	assert_int_equal(filters_save(conf_of(dir), &set, err, sizeof(err)), -EINVAL);
	varied_set(&set, 3);
	set.rules[2].addrs[0].addr[3] = 1; /* host bits */
	assert_int_equal(filters_save(conf_of(dir), &set, err, sizeof(err)), -EINVAL);
	varied_set(&set, 2);
	set.count = VPNCAP_MAX_RULES + 1;
	assert_int_equal(filters_save(conf_of(dir), &set, err, sizeof(err)), -EINVAL);
	after = read_blob(conf_of(dir));
	assert_true(same_blob(&before, &after));
	free(after.data);

	/* A symlink at PATH.tmp is never followed: it goes itself, the filters are saved */
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", conf_of(dir));
	write_text(victim, "precious\n", 9);
	assert_int_equal(symlink(victim, tmp), 0);
	varied_set(&set, 2);
	assert_int_equal(filters_save(conf_of(dir), &set, err, sizeof(err)), 0);
	after = read_blob(victim);
	assert_string_equal(after.data, "precious\n");
	free(after.data);
	free(before.data);
	assert_int_equal(access(tmp, F_OK), -1);
}

static void test_load_forms(void **state)
{
	struct filter_set set;
	char err[ERRLEN] = "x";

	(void)state;
	/* Missing file: empty set, no error */
	memset(&set, 0x55, sizeof(set));
	assert_int_equal(filters_load("/nonexistent-dir/filters.conf", &set, err, sizeof(err)), 0);
	assert_int_equal(set.count, 0);

	/* Empty and comment-only files */
	parse_ok("", &set);
	assert_int_equal(set.count, 0);
	parse_ok("# only\n; comments\n\n   \n", &set);
	assert_int_equal(set.count, 0);

	/* BOM, CRLF, indentation, comments, keys in any order, repeated address/class */
	parse_ok("\xEF\xBB\xBF# c\r\n; c\r\n  [A]  \r\n  port = 500 \r\n\tprotocol=UDP\r\n"
		 "\n[B]\naddress=10.0.0.0/8\naddress = 10.1.0.0/16\nclass = ike\nclass=esp,ike\n"
		 "[C]\nvlan = 0100\nsnaplen = 0\nmac = 0a:0B:0c:0d:0e:0f",
		 &set);
	assert_int_equal(set.count, 3);
	assert_string_equal(set.names[0], "A");
	assert_int_equal(set.rules[0].fields, VPNCAP_F_PROTO | VPNCAP_F_PORT);
	assert_int_equal(set.rules[0].l4_proto, IPPROTO_UDP);
	assert_int_equal(set.rules[0].port_lo, 500);
	assert_int_equal(set.rules[1].n_addrs, 2);
	assert_int_equal(set.rules[1].class_mask, VPNCAP_CLASS_IKE | VPNCAP_CLASS_ESP);
	assert_int_equal(set.rules[2].vlan_id, 100);
	assert_int_equal(set.rules[2].snaplen, 0);
	assert_int_equal(set.rules[2].fields, VPNCAP_F_VLAN | VPNCAP_F_MAC);

	/* A long comment is fine (no line buffer of an INI parser cuts it) */
	{
		char text[3000];

		memset(text, 'c', sizeof(text));
		text[0] = '#';
		memcpy(text + sizeof(text) - 20, "\n[L]\nprotocol=esp\n", 19);
		text[sizeof(text) - 1] = '\0';
		parse_ok(text, &set);
		assert_int_equal(set.count, 1);
	}
}

static void test_corrupt_file(void **state)
{
	char text[4200];

	(void)state;
	PARSE_ERR("protocol = udp\n",
		  "1: 'protocol' before the first filter (start one with [NAME])");
	PARSE_ERR("[A]\n", "1: filter 'A' has no match field (protocol, port, address, vlan, "
			   "mac, ethertype, tcp_flags, class or expression)");
	PARSE_ERR("[A]\nsnaplen = 128\n[B]\nprotocol = esp\n",
		  "1: filter 'A' has no match field (protocol, port, address, vlan, mac, ethertype, "
		  "tcp_flags, class or expression)");
	PARSE_ERR("[A]\nport = 500\nprotocol = esp\n[B]\nprotocol = tcp\n",
		  "2: port needs protocol = udp or tcp (filter 'A')");
	PARSE_ERR("[A]\nprotocol = udp\nport = 0\n",
		  "3: '0' is not a port or port range (1-65535, LOW-HIGH with LOW <= HIGH)");
	PARSE_ERR("[A]\nfoo = 1\n",
		  "2: unknown key 'foo' (protocol, port, port2, address, address2, vlan, mac, mac2, ethertype, tcp_flags, class, expression, snaplen)");
	PARSE_ERR("[A]\nProtocol = udp\n",
		  "2: unknown key 'Protocol' (protocol, port, port2, address, address2, vlan, mac, mac2, ethertype, tcp_flags, class, expression, snaplen)");
	PARSE_ERR("[A]\nprotocol = udp\nprotocol = udp\n",
		  "3: 'protocol' given twice in filter 'A' (first on line 2)");
	PARSE_ERR("[A b]\n", "1: 'A b' is not a filter name (1-32 of A-Z a-z 0-9 . _ -)");
	PARSE_ERR("[]\n", "1: '' is not a filter name (1-32 of A-Z a-z 0-9 . _ -)");
	PARSE_ERR("[A]]\n", "1: 'A]' is not a filter name (1-32 of A-Z a-z 0-9 . _ -)");
	PARSE_ERR("[A\n", "1: malformed section (expected [NAME])");
	PARSE_ERR("[A] ; comment\n", "1: malformed section (expected [NAME])");
	PARSE_ERR("[A]\nprotocol udp\n", "2: malformed line (expected [NAME] or key = value)");
	PARSE_ERR("[A]\nprotocol: udp\n", "2: malformed line (expected [NAME] or key = value)");
	PARSE_ERR("[A]\nprotocol =\n", "2: protocol: empty value");
	PARSE_ERR("[A]\nprotocol = udp ; inline\n",
		  "2: 'udp ; inline' is not a protocol (udp, tcp, esp, icmp, icmpv6 or 1-255)");
	PARSE_ERR("[A]\naddress = 10.0.0.0/33\n", "2: '10.0.0.0/33' is not an address or prefix");
	PARSE_ERR("[A]\naddress = 10.0.0.1\naddress = 10.0.0.2\naddress = 10.0.0.3\n"
		  "address = 10.0.0.4\naddress = 10.0.0.5\n",
		  "6: '10.0.0.5' is one address too many (at most 4 a filter)");
	PARSE_ERR("[A]\nvlan = 4095\n", "2: '4095' is not a VLAN ID (1-4094)");
	PARSE_ERR("[A]\nmac = 1:2:3:4:5:6\n", "2: '1:2:3:4:5:6' is not a MAC address (aa:bb:cc:dd:ee:ff)");
	PARSE_ERR("[A]\nclass = ike,\n", "2: 'ike,' has an empty class (ike, esp, keepalive)");
	PARSE_ERR("[A]\nprotocol = udp\nsnaplen = 10\n",
		  "3: '10' is not a snaplen (64-262144, 0 = whole frame)");
	check_parse_err("[A]\nprotocol = u\0dp\n", 18, "2: malformed line (holds a NUL byte)",
			__FILE__, __LINE__);
	memset(text, 'x', sizeof(text));
	memcpy(text, "[A]\n#", 5);
	check_parse_err(text, sizeof(text), "2: line longer than 4096 bytes", __FILE__, __LINE__);
	/* The first problem wins */
	PARSE_ERR("[A]\nfoo = 1\nbar = 2\n",
		  "2: unknown key 'foo' (protocol, port, port2, address, address2, vlan, mac, mac2, ethertype, tcp_flags, class, expression, snaplen)");
	/* Control characters are not echoed */
	PARSE_ERR("[A\x1b]\n", "1: 'A?' is not a filter name (1-32 of A-Z a-z 0-9 . _ -)");
}

/* The commands on a broken file: exit 2, "PATH:LINE: problem", file unchanged. */
static void test_corrupt_file_cli(void **state)
{
	const char *dir = new_dir("corrupt");
	const char *text = "[A]\nprotocol = udp\nport = 70000\n";
	char want[512];

	(void)state;
	write_text(conf_of(dir), text, strlen(text));
	snprintf(want, sizeof(want), "vpncap: %s:3: '70000' is not a port", conf_of(dir));
	expect_refused(dir, ARGS("list"), want, "", __FILE__, __LINE__);
	expect_refused(dir, ARGS("add", "B", "-t", "esp"), want, "", __FILE__, __LINE__);
	expect_refused(dir, ARGS("add", "--preset", "aovpn"), want, "", __FILE__, __LINE__);
	expect_refused(dir, ARGS("remove", "A"), want, "", __FILE__, __LINE__);
	expect_refused(dir, ARGS("remove", "--all"), want, "", __FILE__, __LINE__);
}

/* ---- list ----------------------------------------------------------------- */

static void write_hits(const char *name, const char *text)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/%s", hits_dir, name);
	write_text(path, text, strlen(text));
}

static void test_list(void **state)
{
	const char *dir = new_dir("list");
	char cmd[400];

	(void)state;
	/* Nothing yet */
	RUN_OK(dir, "list");
	assert_non_null(strstr(R.out, "no filters ("));
	RUN_OK(dir, "list", "--json");
	assert_string_equal(R.out, "[\n]\n");

	RUN_OK(dir, "add", "--preset", "aovpn");
	RUN_OK(dir, "remove", "SSTP");
	RUN_OK(dir, "add", "SSTP", "-t", "tcp", "-p", "443", "--snaplen", "128");
	/* No capture running: no hits */
	RUN_OK(dir, "list");
	assert_string_equal(R.out, "NAME   FILTER         SNAPLEN  HITS\n"
				   "IKEv2  udp port 500   all      -\n"
				   "NAT-T  udp port 4500  all      -\n"
				   "ESP    esp            all      -\n"
				   "SSTP   tcp port 443   128      -\n"
				   "hits: none: no capture runs with these filters\n");

	/* Two captures; a name not in the set, junk, a .tmp file: ignored */
	write_hits("4026531840-eth0.hits", "IKEv2 10\nSSTP 5\nother 7\n");
	write_hits("4026531840-eth1.hits", "IKEv2 32\ngarbage\nESP x\nNAT-T 1 2\n\nESP\n");
	write_hits("4026531840-eth2.hits.tmp", "IKEv2 1000\n");
	write_hits("notes.txt", "IKEv2 1000\n");
	RUN_OK(dir, "list");
	assert_string_equal(R.out, "NAME   FILTER         SNAPLEN  HITS\n"
				   "IKEv2  udp port 500   all      42\n"
				   "NAT-T  udp port 4500  all      -\n"
				   "ESP    esp            all      -\n"
				   "SSTP   tcp port 443   128      5\n"
				   "hits: from the .hits files of running captures (up to a second old)\n");

	RUN_OK(dir, "list", "--json");
	assert_string_equal(
		R.out,
		"[\n"
		"  {\"name\": \"IKEv2\", \"filter\": \"udp port 500\", \"protocol\": \"udp\", "
		"\"port_low\": 500, \"port_high\": 500, \"snaplen\": 0, \"covered_by\": null, "
		"\"hits\": 42, \"hits_source\": \"files\"},\n"
		"  {\"name\": \"NAT-T\", \"filter\": \"udp port 4500\", \"protocol\": \"udp\", "
		"\"port_low\": 4500, \"port_high\": 4500, \"snaplen\": 0, \"covered_by\": null, "
		"\"hits\": null, \"hits_source\": \"files\"},\n"
		"  {\"name\": \"ESP\", \"filter\": \"esp\", \"protocol\": \"esp\", "
		"\"snaplen\": 0, \"covered_by\": null, \"hits\": null, \"hits_source\": \"files\"},\n"
		"  {\"name\": \"SSTP\", \"filter\": \"tcp port 443\", \"protocol\": \"tcp\", "
		"\"port_low\": 443, \"port_high\": 443, \"snaplen\": 128, \"covered_by\": null, "
		"\"hits\": 5, \"hits_source\": \"files\"}\n"
		"]\n");

	/* Every field in JSON; a wide filter widens the column */
	dir = new_dir("list2");
	RUN_OK(dir, "add", "everything", "-t", "17", "--any-ip", "10.0.0.0/8", "--any-ip",
	       "2001:db8::1",
	       "--vlan", "9", "--mac", "02:00:00:00:00:01", "--class", "esp,ike");
	RUN_OK(dir, "add", "x", "-t", "esp");
	RUN_OK(dir, "list", "--json");
	assert_string_equal(
		R.out,
		"[\n"
		"  {\"name\": \"everything\", \"filter\": \"udp addr 10.0.0.0/8,2001:db8::1 "
		"vlan 9 mac 02:00:00:00:00:01 class ike,esp\", \"protocol\": \"udp\", "
		"\"addresses\": [\"10.0.0.0/8\", \"2001:db8::1\"], \"vlan\": 9, "
		"\"mac\": \"02:00:00:00:00:01\", \"classes\": [\"ike\", \"esp\"], "
		"\"snaplen\": 0, \"covered_by\": null, \"hits\": null, \"hits_source\": \"none\"},\n"
		"  {\"name\": \"x\", \"filter\": \"esp\", \"protocol\": \"esp\", \"snaplen\": 0, "
		"\"covered_by\": null, \"hits\": null, \"hits_source\": \"none\"}\n"
		"]\n");
	RUN_OK(dir, "list");
	assert_string_equal(R.out,
			    "NAME        FILTER                                                     "
			    "                 SNAPLEN  HITS\n"
			    "everything  udp addr 10.0.0.0/8,2001:db8::1 vlan 9 mac "
			    "02:00:00:00:00:01 class ike,esp  all      -\n"
			    "x           esp                                                        "
			    "                 all      -\n"
			    "hits: none: no capture runs with these filters\n");

	snprintf(cmd, sizeof(cmd), "rm -f '%s'/*", hits_dir);
	assert_int_equal(system(cmd), 0);
}

/* ---- remove --------------------------------------------------------------- */

static void test_remove(void **state)
{
	const char *dir = new_dir("remove");
	struct filter_set set;

	(void)state;
	RUN_OK(dir, "add", "--preset", "aovpn");
	RUN_OK(dir, "remove", "NAT-T");
	assert_string_equal(R.out, "removed filter NAT-T\n");
	load_ok(conf_of(dir), &set);
	assert_int_equal(set.count, 3);
	assert_string_equal(set.names[0], "IKEv2");
	assert_string_equal(set.names[1], "ESP");
	assert_string_equal(set.names[2], "SSTP");
	assert_int_equal(set.rules[2].port_lo, 443);
	assert_string_equal(set.names[3], "");  /* the freed slot is zero */
	RUN_OK(dir, "remove", "SSTP");
	RUN_OK(dir, "remove", "IKEv2");
	load_ok(conf_of(dir), &set);
	assert_int_equal(set.count, 1);
	assert_string_equal(set.names[0], "ESP");

	/* ESP is still there: nothing of the preset */
	REFUSED(dir, "'ESP': the same filter is already there: 'ESP' (filter 1: esp) (nothing of "
		"--preset aovpn added)", "add", "--preset", "aovpn");
	RUN_OK(dir, "remove", "ESP");
	RUN_OK(dir, "add", "--preset", "aovpn", "--snaplen", "0");
	load_ok(conf_of(dir), &set);
	assert_int_equal(set.count, 4);
}

static void test_remove_all(void **state)
{
	const char *dir = new_dir("remove_all"), *none = new_dir("remove_none");
	struct filter_set set;
	struct stat st;

	(void)state;
	RUN_OK(dir, "add", "--preset", "aovpn");
	RUN_OK(dir, "remove", "--all");
	assert_string_equal(R.out, "removed 4 filters\n");
	load_ok(conf_of(dir), &set);
	assert_int_equal(set.count, 0);
	RUN_OK(dir, "remove", "--all");
	assert_string_equal(R.out, "no filters to remove\n");
	RUN_OK(dir, "add", "--preset", "aovpn"); /* the names are free again */

	/* No file: nothing made */
	RUN_OK(none, "remove", "--all");
	assert_int_equal(stat(conf_of(none), &st), -1);
	expect_refused(none, ARGS("remove", "IKEv2"), "vpncap: filter remove: ",
		       "no filter named 'IKEv2'", __FILE__, __LINE__);
}

/* ---- describe, rule set --------------------------------------------------- */

static void test_describe(void **state)
{
	const char *dir = new_dir("describe");
	struct filter_set set;
	char buf[1024], small[12];
	int n;

	(void)state;
	memset(&set, 0, sizeof(set));
	assert_int_equal(filters_describe(&set, buf, sizeof(buf)), 10);
	assert_string_equal(buf, "no filters");

	RUN_OK(dir, "add", "IKEv2", "-t", "udp", "-p", "500");
	RUN_OK(dir, "add", "SSTP", "-t", "tcp", "-p", "443", "--snaplen", "128");
	load_ok(conf_of(dir), &set);
	n = filters_describe(&set, buf, sizeof(buf));
	assert_string_equal(buf, "IKEv2: udp port 500; SSTP: tcp port 443 snaplen 128");
	assert_int_equal(n, (int)strlen(buf));

	/* Cut like snprintf: the full length back, terminated */
	memset(small, 'Z', sizeof(small));
	assert_int_equal(filters_describe(&set, small, 8), n);
	assert_string_equal(small, "IKEv2: ");
	assert_int_equal(small[8], 'Z');
	assert_int_equal(filters_describe(&set, NULL, 0), n);

	RUN_OK(dir, "add", "All", "-t", "17", "--any-ip", "10.0.0.0/8", "--any-ip",
	       "2001:db8::/32", "--any-ip", "192.0.2.1", "--vlan", "100", "--mac", "aa:bb:cc:dd:ee:ff", "--class",
	       "keepalive,ike,esp");
	RUN_OK(dir, "add", "R", "-t", "tcp", "-p", "1000-2000");
	RUN_OK(dir, "add", "C", "--class", "keepalive");
	load_ok(conf_of(dir), &set);
	filters_describe(&set, buf, sizeof(buf));
	assert_string_equal(buf, "IKEv2: udp port 500; SSTP: tcp port 443 snaplen 128; "
				 "All: udp addr 10.0.0.0/8,2001:db8::/32,192.0.2.1 "
				 "vlan 100 mac aa:bb:cc:dd:ee:ff class ike,esp,keepalive; "
				 "R: tcp port 1000-2000; C: class keepalive");
	assert_int_equal(filters_describe_rule(&set.rules[3], buf, sizeof(buf)),
			 (int)strlen("tcp port 1000-2000"));
	assert_string_equal(buf, "tcp port 1000-2000");
}

static void test_ruleset(void **state)
{
	struct filter_set set;
	struct vpncap_ruleset rs;
	unsigned int i;

	(void)state;
	varied_set(&set, VPNCAP_MAX_RULES);
	memset(&rs, 0x55, sizeof(rs));
	assert_int_equal(filters_to_ruleset(&set, &rs, NULL), 0);
	assert_int_equal(rs.count, VPNCAP_MAX_RULES);
	assert_int_equal(rs.n_exprs, 5);        /* kind 11 of 13: filters 11, 24, 37, 50, 63 */
	for (i = 0; i < VPNCAP_MAX_RULES; i++) {
		struct vpncap_rule want = set.rules[i];

		if (i % 13 == 11)
			want.expr_slot = (__u8)(i / 13);
		assert_memory_equal(&rs.rules[i], &want, sizeof(rs.rules[i]));
	}

	varied_set(&set, 3);
	memset(&rs, 0x55, sizeof(rs));
	assert_int_equal(filters_to_ruleset(&set, &rs, NULL), 0);
	assert_int_equal(rs.count, 3);
	for (i = 3; i < VPNCAP_MAX_RULES; i++) {
		struct vpncap_rule zero;

		memset(&zero, 0, sizeof(zero));
		assert_memory_equal(&rs.rules[i], &zero, sizeof(zero));
	}
	set.count = VPNCAP_MAX_RULES + 1;
	assert_int_equal(filters_to_ruleset(&set, &rs, NULL), -1);
	assert_int_equal(rs.count, 0);
}

/* filters_add_args: all or nothing, help, messages without the prefix. */
static void test_add_args(void **state)
{
	struct filter_set set, before;
	char err[ERRLEN];
	char *help[] = { "add", "-h", NULL };
	char *bad[] = { "add", "X", "-t", "udp", "-p", "0", NULL };
	char *cfg[] = { "add", "X", "-t", "udp", "--config-dir", "/tmp", NULL };

	(void)state;
	varied_set(&set, 5);
	before = set;
	assert_int_equal(filters_add_args(&set, 2, help, err, sizeof(err)), 1);
	assert_memory_equal(&set, &before, sizeof(set));
	assert_int_equal(filters_add_args(&set, 6, bad, err, sizeof(err)), -1);
	assert_string_equal(err,
			    "'0' is not a port or port range (1-65535, LOW-HIGH with LOW <= HIGH)");
	assert_memory_equal(&set, &before, sizeof(set));
	/* The directory is the command's business, not the parser's */
	assert_int_equal(filters_add_args(&set, 6, cfg, err, sizeof(err)), -1);
	assert_string_equal(err, "unknown option '--config-dir'");
	/* A tiny error buffer: cut and terminated */
	{
		char tiny[6];

		memset(tiny, 'Z', sizeof(tiny));
		assert_int_equal(filters_add_args(&set, 6, bad, tiny, 5), -1);
		assert_string_equal(tiny, "'0' ");
		assert_int_equal(tiny[5], 'Z');
	}
}

/* ---- PktMon's verbs (issue 18) --------------------------------------------- */

/* The article's commands exactly as typed there (its addresses moved into 198.18.0.0/15). */
static void test_pktmon_article(void **state)
{
	const char *dir = new_dir("article");
	struct filter_set set;

	(void)state;
	RUN_OK(dir, "add", "IKEv2", "-t", "UDP", "-p", "500");
	assert_string_equal(R.out, "added filter IKEv2: udp port 500\n");
	RUN_OK(dir, "add", "IKEv2", "-t", "UDP", "-p", "4500");
	assert_string_equal(R.out, "added filter IKEv2: udp port 4500\n");
	RUN_OK(dir, "add", "VPN1", "-i", "198.18.12.50");
	RUN_OK(dir, "add", "Subnet1", "-i", "198.18.0.0/16");
	RUN_OK(dir, "list");
	assert_string_equal(R.out, "NAME     FILTER              SNAPLEN  HITS\n"
				   "IKEv2    udp port 500        all      -\n"
				   "IKEv2    udp port 4500       all      -\n"
				   "VPN1     addr 198.18.12.50   all      -\n"
				   "Subnet1  addr 198.18.0.0/16  all      -\n"
				   "hits: none: no capture runs with these filters\n");
	load_ok(conf_of(dir), &set);
	assert_int_equal(set.count, 4);
	assert_int_equal(set.rules[2].fields, VPNCAP_F_ADDR);
	/* PktMon: "this removes ALL filters" */
	RUN_OK(dir, "remove");
	assert_string_equal(R.out, "removed 4 filters\n");
	load_ok(conf_of(dir), &set);
	assert_int_equal(set.count, 0);
	RUN_OK(dir, "remove");
	assert_string_equal(R.out, "no filters to remove\n");
	/* `filter add help`, as PktMon's */
	RUN_OK(dir, "add", "help");
	assert_non_null(strstr(R.out, "usage: vpncap filter add [NAME]"));
}

/* Names: optional, shared by several filters, removed together. */
static void test_pktmon_names(void **state)
{
	const char *dir = new_dir("pk_names");
	struct filter_set set;

	(void)state;
	RUN_OK(dir, "add", "-t", "udp", "-p", "500");
	assert_string_equal(R.out, "added filter Filter1: udp port 500\n");
	RUN_OK(dir, "add", "Filter2", "-t", "tcp");
	RUN_OK(dir, "add", "-t", "esp");
	assert_string_equal(R.out, "added filter Filter3: esp\n");
	RUN_OK(dir, "remove", "Filter1");
	RUN_OK(dir, "add", "-p", "443");             /* the lowest free number again */
	assert_string_equal(R.out, "added filter Filter1: port 443\n");
	RUN_OK(dir, "add", "IKEv2", "-t", "udp", "-p", "500");
	RUN_OK(dir, "add", "IKEv2", "-t", "udp", "-p", "4500");
	load_ok(conf_of(dir), &set);
	assert_int_equal(set.count, 5);
	assert_string_equal(set.names[3], "IKEv2");
	assert_string_equal(set.names[4], "IKEv2");
	RUN_OK(dir, "remove", "IKEv2");
	assert_string_equal(R.out, "removed 2 filters named IKEv2\n");
	load_ok(conf_of(dir), &set);
	assert_int_equal(set.count, 3);
	assert_int_equal(filters_find(&set, "IKEv2"), -1);
	RUN_OK(dir, "remove", "--all");
	assert_string_equal(R.out, "removed 3 filters\n");
	expect_refused(dir, ARGS("remove", "Filter1", "--all"), "vpncap: filter remove: ",
		       "'Filter1' and --all exclude each other", __FILE__, __LINE__);
}

static struct vpncap_rule only_rule(const char *dir)
{
	struct filter_set set;

	load_ok(conf_of(dir), &set);
	assert_int_equal(set.count, 1);
	return set.rules[0];
}

/* Each new option into the rule, and the words of `filter add`. */
static void test_pktmon_fields(void **state)
{
	const char *dir;
	struct vpncap_rule r;

	(void)state;
	/* Ports: two values or two -p: between them; a range is one value */
	dir = new_dir("pk_p1");
	RUN_OK(dir, "add", "NATT", "-t", "udp", "-p", "500", "4500");
	assert_string_equal(R.out, "added filter NATT: udp port 500<->4500\n");
	r = only_rule(dir);
	assert_int_equal(r.fields, VPNCAP_F_PROTO | VPNCAP_F_PORT_PAIR);
	assert_int_equal(r.port_lo, 500);
	assert_int_equal(r.port2, 4500);
	assert_int_equal(r.port_hi, 0);
	dir = new_dir("pk_p2");
	RUN_OK(dir, "add", "-p", "500", "-p", "4500", "Named");
	assert_string_equal(R.out, "added filter Named: port 500<->4500\n");
	assert_int_equal(only_rule(dir).fields, VPNCAP_F_PORT_PAIR);
	dir = new_dir("pk_p3");
	RUN_OK(dir, "add", "-p", "8000-8443");
	r = only_rule(dir);
	assert_int_equal(r.fields, VPNCAP_F_PORT);
	assert_int_equal(r.port_hi, 8443);

	/* Addresses: between two; --any-ip keeps "any of" */
	dir = new_dir("pk_i1");
	RUN_OK(dir, "add", "Pair", "-i", "198.18.0.1", "198.18.1.0/24");
	assert_string_equal(R.out, "added filter Pair: addr 198.18.0.1<->198.18.1.0/24\n");
	r = only_rule(dir);
	assert_int_equal(r.fields, VPNCAP_F_ADDR | VPNCAP_F_ADDR_PAIR);
	assert_int_equal(r.n_addrs, 2);
	assert_int_equal(r.addrs[1].len, 24);
	dir = new_dir("pk_i2");
	RUN_OK(dir, "add", "-i", "2001:db8::1", "-i", "2001:db8::2", "VPN");
	r = only_rule(dir);
	assert_int_equal(r.fields, VPNCAP_F_ADDR | VPNCAP_F_ADDR_PAIR);
	dir = new_dir("pk_i3");
	RUN_OK(dir, "add", "VPN", "-i", "198.18.0.1");   /* one: source or destination */
	assert_int_equal(only_rule(dir).fields, VPNCAP_F_ADDR);
	dir = new_dir("pk_i4");
	RUN_OK(dir, "add", "--any-ip", "198.18.0.1", "--any-ip", "198.18.0.2", "--any-ip",
	       "2001:db8::1");
	r = only_rule(dir);
	assert_int_equal(r.fields, VPNCAP_F_ADDR);
	assert_int_equal(r.n_addrs, 3);

	/* MACs, VLAN, data link */
	dir = new_dir("pk_m");
	RUN_OK(dir, "add", "-m", "02:00:00:00:00:01", "02:00:00:00:00:02", "-v", "12");
	assert_string_equal(R.out, "added filter Filter1: vlan 12 mac "
				   "02:00:00:00:00:01<->02:00:00:00:00:02\n");
	r = only_rule(dir);
	assert_int_equal(r.fields, VPNCAP_F_MAC | VPNCAP_F_MAC_PAIR | VPNCAP_F_VLAN);
	assert_memory_equal(r.mac2, "\x02\0\0\0\0\x02", 6);
	assert_int_equal(r.vlan_id, 12);
	{
		static const struct { const char *arg; __u16 type; } dl[] = {
			{ "IPv4", 0x0800 }, { "ipv6", 0x86dd }, { "ARP", 0x0806 },
			{ "0x88CC", 0x88cc }, { "35020", 0x88cc }, { "1536", 0x0600 },
		};
		size_t i;

		for (i = 0; i < sizeof(dl) / sizeof(dl[0]); i++) {
			dir = new_dir("pk_d");
			RUN_OK(dir, "add", "--data-link", dl[i].arg);
			r = only_rule(dir);
			assert_int_equal(r.fields, VPNCAP_F_ETHERTYPE);
			assert_int_equal(r.ethertype, dl[i].type);
		}
	}

	/* TCP flags after -t TCP, or --tcp-flags; -t in any case */
	dir = new_dir("pk_t1");
	RUN_OK(dir, "add", "Syn", "-t", "Tcp", "SYN", "ack", "-p", "443");
	assert_string_equal(R.out, "added filter Syn: tcp port 443 flags syn,ack\n");
	r = only_rule(dir);
	assert_int_equal(r.fields, VPNCAP_F_PROTO | VPNCAP_F_PORT | VPNCAP_F_TCP_FLAGS);
	assert_int_equal(r.tcp_flags, 0x12);
	dir = new_dir("pk_t2");
	RUN_OK(dir, "add", "--tcp-flags", "SYN,ACK");
	r = only_rule(dir);
	assert_int_equal(r.fields, VPNCAP_F_TCP_FLAGS);
	assert_int_equal(r.tcp_flags, 0x12);
	dir = new_dir("pk_t3");
	RUN_OK(dir, "add", "-t", "tcp", "fin", "RST", "psh", "urg", "ece", "cwr");
	assert_int_equal(only_rule(dir).tcp_flags, 0xed);

	/* An expression */
	dir = new_dir("pk_e");
	RUN_OK(dir, "add", "Big", "--expr", "  udp and greater 1000 ", "--snaplen", "96");
	assert_string_equal(R.out, "added filter Big: expr 'udp and greater 1000' snaplen 96\n");
	{
		struct filter_set set;
		struct blob b = read_blob(conf_of(dir));

		load_ok(conf_of(dir), &set);
		assert_int_equal(set.rules[0].fields, VPNCAP_F_EXPR);
		assert_string_equal(set.exprs[0], "udp and greater 1000");
		assert_non_null(strstr(b.data, "\n[Big]\nexpression = udp and greater 1000\n"
						"snaplen = 96\n"));
		free(b.data);
	}
	/* libpcap's backslash (ether proto \ip) escaped in JSON */
	dir = new_dir("pk_e2");
	RUN_OK(dir, "add", "--expr", "ether proto \\ip");
	RUN_OK(dir, "list", "--json");
	assert_non_null(strstr(R.out, "\"filter\": \"expr 'ether proto \\\\ip'\", "
				      "\"expression\": \"ether proto \\\\ip\", \"snaplen\": 0"));
}

/* The new keys in the file, written and read. */
static void test_pktmon_file(void **state)
{
	const char *dir = new_dir("pk_file");
	struct filter_set set, back;
	struct blob b;

	(void)state;
	RUN_OK(dir, "add", "A", "-t", "udp", "-p", "500", "4500", "-i", "198.18.0.1",
	       "198.18.0.0/24");
	RUN_OK(dir, "add", "B", "-m", "02:00:00:00:00:01", "02:00:00:00:00:02", "-d", "0x88cc");
	RUN_OK(dir, "add", "C", "-t", "tcp", "syn", "-d", "IPv6");
	RUN_OK(dir, "add", "D", "--expr", "arp or icmp");
	b = read_blob(conf_of(dir));
	assert_non_null(strstr(b.data, "\n[A]\nprotocol = udp\nport = 500\nport2 = 4500\n"
					"address = 198.18.0.1\naddress2 = 198.18.0.0/24\n"));
	assert_non_null(strstr(b.data, "\n[B]\nmac = 02:00:00:00:00:01\nmac2 = 02:00:00:00:00:02\n"
					"ethertype = 0x88cc\n"));
	assert_non_null(strstr(b.data, "\n[C]\nprotocol = tcp\nethertype = ipv6\ntcp_flags = syn\n"));
	assert_non_null(strstr(b.data, "\n[D]\nexpression = arp or icmp\n"));
	free(b.data);
	load_ok(conf_of(dir), &set);
	assert_int_equal(filters_save(conf_of(dir), &set, (char[ERRLEN]){ 0 }, ERRLEN), 0);
	load_ok(conf_of(dir), &back);
	assert_same_sets(&set, &back);

	/* Words of the file: any case, any order of the first key and its pair */
	parse_ok("[A]\nethertype = ARP\n[B]\ntcp_flags = SYN,fin\n[C]\nport = 7\nport2 = 7\n", &set);
	assert_int_equal(set.rules[0].ethertype, 0x0806);
	assert_int_equal(set.rules[1].tcp_flags, 0x03);
	assert_int_equal(set.rules[2].fields, VPNCAP_F_PORT_PAIR);
	PARSE_ERR("[A]\naddress2 = 10.0.0.1\n",
		  "2: address pair: '10.0.0.1' needs exactly one address before it");
	PARSE_ERR("[A]\naddress = 10.0.0.1\naddress = 10.0.0.2\naddress2 = 10.0.0.3\n",
		  "4: address pair: '10.0.0.3' needs exactly one address before it");
	PARSE_ERR("[A]\naddress = 10.0.0.1\naddress2 = 10.0.0.2\naddress = 10.0.0.3\n",
		  "4: '10.0.0.3': the filter has an address pair already");
	PARSE_ERR("[A]\nport = 1-5\nport2 = 7\n",
		  "3: port pair: '7' needs one single port before it (no range)");
	PARSE_ERR("[A]\nmac2 = 02:00:00:00:00:01\n",
		  "2: MAC pair: '02:00:00:00:00:01' needs one MAC address before it");
	PARSE_ERR("[A]\nethertype = 0x8100\n",
		  "2: '0x8100' is a VLAN tag, which filters look past (use -v ID)");
	PARSE_ERR("[A]\nethertype = arp\nprotocol = udp\n",
		  "1: filter 'A': ethertype ARP cannot go with protocol (which matches IPv4 and "
		  "IPv6 frames only)");
	PARSE_ERR("[A]\nexpression = udp port\n",
		  "2: not a tcpdump expression: 'udp port': can't parse filter expression: "
		  "syntax error");
	PARSE_ERR("[A]\ntcp_flags = syn,nope\n",
		  "2: 'syn,nope' is not a list of TCP flags (FIN SYN RST PSH ACK URG ECE CWR, "
		  "comma-separated)");
	/* Same name twice is fine now (PktMon's IKEv2 on 500 and 4500) */
	parse_ok("[A]\nprotocol = udp\n\n[A]\nprotocol = tcp\n", &set);
	assert_int_equal(set.count, 2);
	/* A port without a protocol: UDP or TCP */
	parse_ok("[A]\nport = 500\n", &set);
	assert_int_equal(set.rules[0].fields, VPNCAP_F_PORT);
}

/* Fields that contradict each other, and more values than an option takes. */
static void test_pktmon_refusals(void **state)
{
	const char *dir = new_dir("pk_bad");
	unsigned int i;

	(void)state;
	RUN_OK(dir, "add", "IKEv2", "-t", "udp", "-p", "500");
	REFUSED(dir, "--class esp cannot go with -t tcp", "add", "-t", "tcp", "--class", "esp");
	REFUSED(dir, "--class ike cannot go with -t esp", "add", "-t", "esp", "--class", "ike");
	REFUSED(dir, "-p cannot go with -t icmp", "add", "-t", "icmp", "-p", "443");
	REFUSED(dir, "--tcp-flags cannot go with -t udp (TCP flags are TCP's)", "add",
		"--tcp-flags", "SYN", "-t", "udp");
	REFUSED(dir, "--tcp-flags cannot go with -t udp", "add", "-t", "udp", "SYN");
	REFUSED(dir, "--class cannot go with --tcp-flags", "add", "--class", "ike", "--tcp-flags",
		"syn");
	REFUSED(dir, "-d ARP cannot go with -i (which matches IPv4 and IPv6 frames only)", "add",
		"-d", "ARP", "-i", "198.18.0.1");
	REFUSED(dir, "-d ARP cannot go with -p", "add", "-d", "arp", "-p", "500");
	REFUSED(dir, "-d ARP cannot go with -t", "add", "-d", "arp", "-t", "udp");
	REFUSED(dir, "-d 0x88cc cannot go with --class", "add", "-d", "0x88cc", "--class", "esp");
	REFUSED(dir, "-d IPv6 cannot go with the IPv4 address 198.18.0.1", "add", "-d", "IPv6",
		"-i", "198.18.0.1");
	REFUSED(dir, "-d IPv4 cannot go with the IPv6 address 2001:db8::/32", "add", "-d", "ipv4",
		"--any-ip", "2001:db8::/32");
	REFUSED(dir, "-i 198.18.0.1 2001:db8::1: one IPv4 and one IPv6 end never talk", "add",
		"-i", "198.18.0.1", "2001:db8::1");
	REFUSED(dir, "'0x8100' is a VLAN tag", "add", "-d", "0x8100");
	REFUSED(dir, "'1500' is not a data link type (IPv4, IPv6, ARP, or an EtherType "
		"0x0600-0xffff)", "add", "-d", "1500");
	REFUSED(dir, "'0x1234567' is not a data link type", "add", "-d", "0x1234567");
	REFUSED(dir, "'SYNN' is not a list of TCP flags", "add", "--tcp-flags", "SYNN");
	REFUSED(dir, "-p '4501': at most two ports (the traffic between them)", "add", "-p", "500",
		"4500", "4501");
	REFUSED(dir, "-p '3': at most two ports", "add", "-p", "1", "-p", "2", "-p", "3");
	REFUSED(dir, "port pair: '4500' needs one single port before it (no range)", "add", "-p",
		"500-600", "4500");
	REFUSED(dir, "'600-700' is not a port (1-65535; a pair takes single ports)", "add", "-p",
		"500", "600-700");
	REFUSED(dir, "-i '198.18.0.3': at most two addresses (the traffic between them; --any-ip "
		"for any of up to 4)", "add", "-i", "198.18.0.1", "198.18.0.2", "198.18.0.3");
	REFUSED(dir, "-i (between two addresses) and --any-ip (any of them) exclude each other",
		"add", "-i", "198.18.0.1", "--any-ip", "198.18.0.2");
	REFUSED(dir, "'198.18.0.1' given twice in one filter", "add", "-i", "198.18.0.1",
		"198.18.0.1");
	REFUSED(dir, "'198.18.0.300' is not an address", "add", "-i", "198.18.0.1", "198.18.0.300");
	REFUSED(dir, "-m '02:00:00:00:00:03': at most two MAC addresses", "add", "-m",
		"02:00:00:00:00:01", "02:00:00:00:00:02", "-m", "02:00:00:00:00:03");
	REFUSED(dir, "-d given twice", "add", "-d", "arp", "-d", "arp");
	REFUSED(dir, "--expr given twice", "add", "--expr", "udp", "--expr", "tcp");
	REFUSED(dir, "empty expression", "add", "--expr", "  ");
	REFUSED(dir, "not a tcpdump expression: 'udp port': ", "add", "--expr", "udp port");
	REFUSED(dir, "an expression is one line", "add", "--expr", "udp\nor tcp");
	/* An exact duplicate (match fields and snaplen), named */
	REFUSED(dir, "'Again': the same filter is already there: 'IKEv2' (filter 1: udp port 500)",
		"add", "Again", "-t", "UDP", "-p", "500");

	/* At most VPNCAP_MAX_EXPRS expressions */
	dir = new_dir("pk_exprs");
	for (i = 0; i < VPNCAP_MAX_EXPRS; i++) {
		char e[32];

		snprintf(e, sizeof(e), "udp port %u", 1000 + i);
		RUN_OK(dir, "add", "--expr", e);
	}
	REFUSED(dir, "'Filter9' would be expression 9 (at most 8)", "add", "--expr", "tcp");
	RUN_OK(dir, "add", "-t", "tcp");                   /* other filters still fit */
	{
		char text[1024];
		size_t n = 0;

		for (i = 0; i <= VPNCAP_MAX_EXPRS; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n,
					      "[E%u]\nexpression = udp port %u\n", i, i + 1);
		check_parse_err(text, n, "18: filter 'E8' is one expression too many (at most 8)",
				__FILE__, __LINE__);
	}
}

/* Expressions into the classifier's rule set: slots in filter order, the texts by slot. */
static void test_pktmon_expr_ruleset(void **state)
{
	static struct rule_exprs ex;
	struct vpncap_ruleset rs;
	struct filter_set set;

	(void)state;
	parse_ok("[A]\nprotocol = udp\n[B]\nexpression = arp\n[C]\nport = 5\n"
		 "[D]\nexpression = udp and greater 1000\nsnaplen = 96\n", &set);
	memset(&ex, 0x55, sizeof(ex));
	assert_int_equal(filters_to_ruleset(&set, &rs, &ex), 0);
	assert_int_equal(rs.count, 4);
	assert_int_equal(rs.n_exprs, 2);
	assert_int_equal(rs.rules[1].fields, VPNCAP_F_EXPR);
	assert_int_equal(rs.rules[1].expr_slot, 0);
	assert_int_equal(rs.rules[3].expr_slot, 1);
	assert_int_equal(rs.rules[3].snaplen, 96);
	assert_int_equal(ex.n, 2);
	assert_string_equal(ex.text[0], "arp");
	assert_string_equal(ex.text[1], "udp and greater 1000");
	assert_int_equal(ex.text[2][0], 0);
	/* the set itself keeps slot 0: the file knows no slots */
	assert_int_equal(set.rules[3].expr_slot, 0);
	{
		char buf[256];

		rules_describe_exprs(&rs, &ex, buf, sizeof(buf));
		assert_string_equal(buf, "udp or (arp) or port 5 or (udp and greater 1000)");
		filters_describe(&set, buf, sizeof(buf));
		assert_string_equal(buf, "A: udp; B: expr 'arp'; C: port 5; D: expr 'udp and "
					 "greater 1000' snaplen 96");
	}
}

/* A filter an earlier one covers: added with a warning, marked by list. */
static void test_pktmon_covered(void **state)
{
	const char *dir = new_dir("pk_cover");
	struct blob before, after;

	(void)state;
	RUN_OK(dir, "add", "--preset", "aovpn");
	assert_int_equal(run_in(dir, ARGS("add", "ESP-headers", "-t", "udp", "-p", "4500",
					  "--snaplen", "96")), 0);
	assert_string_equal(R.out, "added filter ESP-headers: udp port 4500 snaplen 96\n");
	assert_string_equal(R.err, "vpncap: filter add: warning: 'ESP-headers' (filter 5) never "
				   "matches: 'NAT-T' (filter 2) matches every frame it would, "
				   "first\n");
	RUN_OK(dir, "list");
	assert_non_null(strstr(R.out, "\nESP-headers  udp port 4500  96       -  (never matches: "
				      "NAT-T, filter 2, takes its frames first)\n"));
	assert_non_null(strstr(R.out, "\nNAT-T        udp port 4500  all      -\n"));
	RUN_OK(dir, "list", "--json");
	assert_non_null(strstr(R.out, "\"snaplen\": 96, \"covered_by\": \"NAT-T\", "
				      "\"covered_by_index\": 2, \"hits\": null"));
	assert_non_null(strstr(R.out, "\"snaplen\": 0, \"covered_by\": null"));
	/* A narrower filter before a wider one is fine both ways round */
	dir = new_dir("pk_cover2");
	RUN_OK(dir, "add", "Host", "-i", "198.18.12.50");
	RUN_OK(dir, "add", "Net", "-i", "198.18.0.0/16");
	assert_int_equal(run_in(dir, ARGS("add", "Pair", "-i", "198.18.0.1", "198.18.0.2")), 0);
	assert_non_null(strstr(R.err, "'Pair' (filter 3) never matches: 'Net' (filter 2)"));
	/* A refused filter says nothing else */
	before = read_blob(conf_of(dir));
	REFUSED(dir, "the same filter is already there: 'Net'", "add", "-i", "198.18.0.0/16");
	after = read_blob(conf_of(dir));
	assert_true(same_blob(&before, &after));
	free(before.data);
	free(after.data);
}

/* .hits files: the k-th line of a name is the k-th filter of that name. */
static void test_hits_shared_names(void **state)
{
	const char *dir = new_dir("pk_hits");
	char cmd[400];

	(void)state;
	RUN_OK(dir, "add", "IKEv2", "-t", "UDP", "-p", "500");
	RUN_OK(dir, "add", "IKEv2", "-t", "UDP", "-p", "4500");
	RUN_OK(dir, "add", "VPN1", "-i", "198.18.12.50");
	write_hits("1-eth0.hits", "IKEv2 74\nIKEv2 3\nVPN1 9\n");
	write_hits("1-eth1.hits", "IKEv2 1\n");
	RUN_OK(dir, "list");
	assert_string_equal(R.out, "NAME   FILTER             SNAPLEN  HITS\n"
				   "IKEv2  udp port 500       all      75\n"
				   "IKEv2  udp port 4500      all      3\n"
				   "VPN1   addr 198.18.12.50  all      9\n"
				   "hits: from the .hits files of running captures (up to a second "
				   "old)\n");
	snprintf(cmd, sizeof(cmd), "rm -f '%s'/*", hits_dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_every_option),
		cmocka_unit_test(test_add_each_option),
		cmocka_unit_test(test_add_name_forms),
		cmocka_unit_test(test_config_dir),
		cmocka_unit_test(test_preset),
		cmocka_unit_test(test_bad_add),
		cmocka_unit_test(test_bad_usage),
		cmocka_unit_test(test_64_filters),
		cmocka_unit_test(test_prefix_host_bits),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_save_refuses),
		cmocka_unit_test(test_load_forms),
		cmocka_unit_test(test_corrupt_file),
		cmocka_unit_test(test_corrupt_file_cli),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_remove_all),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_ruleset),
		cmocka_unit_test(test_add_args),
		cmocka_unit_test(test_pktmon_article),
		cmocka_unit_test(test_pktmon_names),
		cmocka_unit_test(test_pktmon_fields),
		cmocka_unit_test(test_pktmon_file),
		cmocka_unit_test(test_pktmon_refusals),
		cmocka_unit_test(test_pktmon_expr_ruleset),
		cmocka_unit_test(test_pktmon_covered),
		cmocka_unit_test(test_hits_shared_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
