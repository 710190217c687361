// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of `vpncap list` (iface_list.c), the parts that need no kernel:
 * option parsing, prefix lengths, XDP feature words, JSON escaping, and the
 * table and the JSON made from a fixed array of interfaces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "iface_list.h"
#include "json.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif

/* What a function printed into a FILE, as a string to free. */
struct capture_buf {
	char *text;
	size_t len;
	FILE *f;
};

static void cap_open(struct capture_buf *c)
{
	c->f = open_memstream(&c->text, &c->len);
	assert_non_null(c->f);
}

static char *cap_close(struct capture_buf *c)
{
	fclose(c->f);
	return c->text;
}

static char *json_of(const char *s)
{
	struct capture_buf c;

	cap_open(&c);
	json_string(c.f, s);
	return cap_close(&c);
}

static void test_json_escaping(void **state)
{
	char *s;

	(void)state;
	s = json_of("eth0");
	assert_string_equal(s, "\"eth0\"");
	free(s);
	s = json_of("a\"b\\c");
	assert_string_equal(s, "\"a\\\"b\\\\c\"");
	free(s);
	s = json_of("tab\there\nnl\x01\x1f\x7f");
	assert_string_equal(s, "\"tab\\there\\nnl\\u0001\\u001f\\u007f\"");
	free(s);
	/* UTF-8 passes through untouched: JSON allows it as is. */
	s = json_of("w\xc3\xa4n");
	assert_string_equal(s, "\"w\xc3\xa4n\"");
	free(s);
	s = json_of(NULL);
	assert_string_equal(s, "null");
	free(s);
	s = json_of("");
	assert_string_equal(s, "\"\"");
	free(s);
}

static int parse(struct list_opts *o, char *err, int argc, char **argv)
{
	return list_parse_args(argc, argv, o, err, 256);
}

static void test_options(void **state)
{
	struct list_opts o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, 1, (char *[]){ "list", NULL }), 0);
	assert_false(o.json);
	assert_false(o.help);
	assert_int_equal(parse(&o, err, 2, (char *[]){ "list", "--json", NULL }), 0);
	assert_true(o.json);
	assert_int_equal(parse(&o, err, 3, (char *[]){ "list", "--json", "-h", NULL }), 0);
	assert_true(o.help);
	assert_int_equal(parse(&o, err, 2, (char *[]){ "list", "--jsonx", NULL }), -1);
	assert_string_equal(err, "unknown option '--jsonx'");
	assert_int_equal(parse(&o, err, 2, (char *[]){ "list", "eth0", NULL }), -1);
	assert_string_equal(err, "unexpected argument 'eth0'");
	assert_int_equal(parse(&o, err, 2, (char *[]){ "list", "-", NULL }), -1);
	assert_int_equal(parse(&o, err, 2, (char *[]){ "list", "", NULL }), -1);
	assert_string_equal(err, "unexpected argument ''");
	assert_int_equal(parse(&o, err, 2, (char *[]){ "list", "--json=yes", NULL }), -1);
}

static void test_prefix_len(void **state)
{
	const unsigned char m24[4] = { 255, 255, 255, 0 }, m0[4] = { 0 };
	const unsigned char m21[4] = { 255, 255, 248, 0 }, m32[4] = { 255, 255, 255, 255 };
	unsigned char m64[16] = { 0 }, m128[16];

	(void)state;
	memset(m64, 0xff, 8);
	memset(m128, 0xff, 16);
	assert_int_equal(list_prefix_len(m24, 4), 24);
	assert_int_equal(list_prefix_len(m0, 4), 0);
	assert_int_equal(list_prefix_len(m21, 4), 21);
	assert_int_equal(list_prefix_len(m32, 4), 32);
	assert_int_equal(list_prefix_len(m64, 16), 64);
	assert_int_equal(list_prefix_len(m128, 16), 128);
}

static void test_feature_words(void **state)
{
	char buf[128], tiny[10];

	(void)state;
	list_feature_words(LIST_XDP_BASIC | LIST_XDP_REDIRECT | LIST_XDP_NDO_XMIT | LIST_XDP_RX_SG,
			   buf, sizeof(buf));
	assert_string_equal(buf, "redirect ndo-xmit rx-sg");
	list_feature_words(LIST_XDP_BASIC, buf, sizeof(buf));
	assert_string_equal(buf, "");
	list_feature_words(0x7f, buf, sizeof(buf));
	assert_string_equal(buf, "redirect ndo-xmit xsk-zerocopy hw-offload rx-sg ndo-xmit-sg");
	/* Unknown future bits are left out, a short buffer is cut, never overrun. */
	list_feature_words(1ULL << 40, buf, sizeof(buf));
	assert_string_equal(buf, "");
	list_feature_words(0x7f, tiny, sizeof(tiny));
	assert_true(strlen(tiny) < sizeof(tiny));
}

/* Two interfaces as the gatherer would have filled them. */
static void fixture(struct list_entry e[2])
{
	memset(e, 0, 2 * sizeof(e[0]));
	e[0].ifindex = 1;
	strcpy(e[0].name, "lo");
	strcpy(e[0].driver, "unknown");
	strcpy(e[0].mac, "00:00:00:00:00:00");
	e[0].flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP;
	strcpy(e[0].operstate, "unknown");
	e[0].mtu = 65536;
	e[0].rx_queues = 1;
	assert_int_equal(list_add_addr(&e[0], 0, "127.0.0.1/8"), 0);
	assert_int_equal(list_add_addr(&e[0], 1, "::1/128"), 0);
	e[0].features_known = 0;
	e[0].progs_known = 1;
	e[0].capturing = 0;

	e[1].ifindex = 12;
	strcpy(e[1].name, "vc\"x");
	strcpy(e[1].driver, "veth");
	strcpy(e[1].mac, "6e:01:02:03:04:05");
	e[1].flags = IFF_UP | IFF_BROADCAST | IFF_MULTICAST;
	strcpy(e[1].operstate, "lowerlayerdown");
	e[1].mtu = 1400;
	e[1].rx_queues = 2;
	assert_int_equal(list_add_addr(&e[1], 0, "198.18.0.1/24"), 0);
	assert_int_equal(list_add_addr(&e[1], 1, "2001:db8::1/64"), 0);
	assert_int_equal(list_add_addr(&e[1], 1, "fe80::6c01:2ff:fe03:405/64"), 0);
	e[1].features_known = 1;
	e[1].xdp_features = LIST_XDP_BASIC | LIST_XDP_REDIRECT | LIST_XDP_NDO_XMIT | LIST_XDP_RX_SG;
	e[1].zc_max_segs = 1;
	e[1].progs_known = 1;
	e[1].n_progs = 1;
	e[1].progs[0].id = 57;
	e[1].progs[0].mode = "skb";
	strcpy(e[1].progs[0].name, "xdp_dispatcher");
	strcpy(e[1].progs[0].components, "vpncap_xdp");
	e[1].capturing = 1;
}

static void test_table(void **state)
{
	struct list_entry e[2];
	struct capture_buf c;
	char *out;

	(void)state;
	fixture(e);
	cap_open(&c);
	list_print_table(c.f, e, 2);
	out = cap_close(&c);
	assert_string_equal(out,
		"IDX  NAME  DRIVER   MAC                STATE         MTU  RXQ  VPNCAP     ADDRESSES\n"
		"  1  lo    unknown  00:00:00:00:00:00  UP          65536    1  -          127.0.0.1/8\n"
		"                                                                          ::1/128\n"
		"     xdp: native unknown (kernel < 6.3), skb; zero-copy unknown; no program\n"
		" 12  vc\"x  veth     6e:01:02:03:04:05  NO-CARRIER   1400    2  capturing  198.18.0.1/24\n"
		"                                                                          2001:db8::1/64\n"
		"                                                                          fe80::6c01:2ff:fe03:405/64\n"
		"     xdp: native (redirect ndo-xmit rx-sg), skb; zero-copy no; "
		"program xdp_dispatcher id 57 (skb; libxdp: vpncap_xdp)\n");
	free(out);
	list_entries_free(e, 2);
}

/* Unknowns: no driver native XDP, no MAC, MTU and programs unknown, a name needing root. */
static void test_table_unknowns(void **state)
{
	struct list_entry e[2];
	struct capture_buf c;
	char *out;

	(void)state;
	fixture(e);
	e[1].mac[0] = '\0';
	e[1].mtu = LIST_UNKNOWN;
	e[1].flags = 0;
	e[1].xdp_features = LIST_XDP_BASIC | LIST_XDP_XSK_ZEROCOPY;
	e[1].progs[0].name[0] = '\0';
	e[1].capturing = LIST_UNKNOWN;
	e[0].progs_known = 0;
	e[0].features_known = 1;
	e[0].xdp_features = 0;
	cap_open(&c);
	list_print_table(c.f, e, 2);
	out = cap_close(&c);
	assert_non_null(strstr(out, "     xdp: skb only (no native XDP in the driver); zero-copy no; program unknown\n"));
	assert_non_null(strstr(out, " 12  vc\"x  veth     -                  DOWN"));
	assert_non_null(strstr(out, "?    2  unknown  "));
	assert_non_null(strstr(out, "xdp: native, skb; zero-copy yes; "
				    "program id 57 (skb; name unknown, needs CAP_SYS_ADMIN)\n"));
	free(out);
	list_entries_free(e, 2);
}

/* Long program parts wrap onto a continuation line, the table stays ~120 wide. */
static void test_table_wraps(void **state)
{
	struct list_entry e[2];
	struct capture_buf c;
	char *out, *line;

	(void)state;
	fixture(e);
	e[1].xdp_features = 0x7f;
	e[1].n_progs = 2;
	e[1].progs[1] = e[1].progs[0];
	e[1].progs[0].mode = "native";
	strcpy(e[1].progs[0].name, "some_long_name1");
	e[1].progs[0].components[0] = '\0';
	e[1].progs[1].mode = "hw";
	strcpy(e[1].progs[1].components, "vpncap_xdp other_prog third_prog");
	cap_open(&c);
	list_print_table(c.f, e, 2);
	out = cap_close(&c);
	for (line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
		assert_true(strlen(line) <= 120);
	free(out);
	list_entries_free(e, 2);
}

static void test_empty(void **state)
{
	struct capture_buf c;
	char *out;

	(void)state;
	cap_open(&c);
	list_print_json(c.f, NULL, 0);
	out = cap_close(&c);
	assert_string_equal(out, "[]\n");
	free(out);
	cap_open(&c);
	list_print_table(c.f, NULL, 0);
	out = cap_close(&c);
	assert_string_equal(out, "IDX  NAME  DRIVER  MAC  STATE  MTU  RXQ  VPNCAP  ADDRESSES\n");
	free(out);
}

static void test_json(void **state)
{
	struct list_entry e[2];
	struct capture_buf c;
	char *out;

	(void)state;
	fixture(e);
	e[0].progs_known = 0;
	cap_open(&c);
	list_print_json(c.f, e, 2);
	out = cap_close(&c);
	assert_string_equal(out,
		"[\n"
		"  {\"ifindex\": 1, \"name\": \"lo\", \"driver\": \"unknown\", "
		"\"mac\": \"00:00:00:00:00:00\", \"state\": \"UP\", \"operstate\": \"unknown\", "
		"\"flags\": [\"UP\", \"LOWER_UP\", \"RUNNING\", \"LOOPBACK\"], \"mtu\": 65536, "
		"\"rx_queues\": 1, \"ipv4\": [\"127.0.0.1/8\"], \"ipv6\": [\"::1/128\"], "
		"\"capturing\": false, \"xdp\": {\"skb\": true, \"native\": null, "
		"\"hw_offload\": null, \"zero_copy\": null, \"features\": null, "
		"\"zc_max_segs\": null, \"programs\": null}},\n"
		"  {\"ifindex\": 12, \"name\": \"vc\\\"x\", \"driver\": \"veth\", "
		"\"mac\": \"6e:01:02:03:04:05\", \"state\": \"NO-CARRIER\", "
		"\"operstate\": \"lowerlayerdown\", \"flags\": [\"UP\", \"BROADCAST\", \"MULTICAST\"], "
		"\"mtu\": 1400, \"rx_queues\": 2, \"ipv4\": [\"198.18.0.1/24\"], "
		"\"ipv6\": [\"2001:db8::1/64\", \"fe80::6c01:2ff:fe03:405/64\"], "
		"\"capturing\": true, \"xdp\": {\"skb\": true, \"native\": true, "
		"\"hw_offload\": false, \"zero_copy\": false, "
		"\"features\": [\"redirect\", \"ndo-xmit\", \"rx-sg\"], \"zc_max_segs\": 1, "
		"\"programs\": [{\"id\": 57, \"mode\": \"skb\", \"name\": \"xdp_dispatcher\", "
		"\"owner\": \"libxdp\", \"components\": [\"vpncap_xdp\"], \"vpncap\": true}]}}\n"
		"]\n");
	free(out);
	list_entries_free(e, 2);
}

/* Unknowns in JSON: null, never a made-up value. */
static void test_json_unknowns(void **state)
{
	struct list_entry e[2];
	struct capture_buf c;
	char *out;

	(void)state;
	fixture(e);
	e[1].mac[0] = '\0';
	e[1].mtu = LIST_UNKNOWN;
	e[1].capturing = LIST_UNKNOWN;
	e[1].progs[0].name[0] = '\0';
	e[1].progs[0].components[0] = '\0';
	cap_open(&c);
	list_print_json(c.f, e + 1, 1);
	out = cap_close(&c);
	assert_non_null(strstr(out, "\"mac\": null"));
	assert_non_null(strstr(out, "\"mtu\": null"));
	assert_non_null(strstr(out, "\"capturing\": null"));
	assert_non_null(strstr(out, "{\"id\": 57, \"mode\": \"skb\", \"name\": null, "
				    "\"owner\": null, \"components\": [], \"vpncap\": false}"));
	free(out);
	list_entries_free(e, 2);
}

static void test_owner_and_state(void **state)
{
	struct list_prog p = { .id = 1, .mode = "native" };
	struct list_entry e = { .flags = IFF_UP | IFF_LOWER_UP };

	(void)state;
	strcpy(p.name, "vpncap_xdp");
	assert_string_equal(list_prog_owner(&p), "vpncap");
	strcpy(p.name, "xdp_dispatcher");
	assert_string_equal(list_prog_owner(&p), "libxdp");
	strcpy(p.name, "vpncap_xdp2");
	assert_null(list_prog_owner(&p));
	assert_string_equal(list_state(&e), "UP");
	e.flags = IFF_UP;
	assert_string_equal(list_state(&e), "NO-CARRIER");
	e.flags = IFF_LOWER_UP;
	assert_string_equal(list_state(&e), "DOWN");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_prefix_len),
		cmocka_unit_test(test_feature_words),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_table_unknowns),
		cmocka_unit_test(test_table_wraps),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_unknowns),
		cmocka_unit_test(test_owner_and_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
