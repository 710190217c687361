// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of `vpncap list` (cmd/list.c), the parts that need no kernel:
 * option parsing, prefix lengths, XDP feature words, JSON escaping, the
 * table and the JSON made from a fixed array of interfaces, and the reader
 * of the netdev family's answers (netdev_genl.c) on crafted attributes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/list.h"
#include "json.h"
#include "hook/netdev_genl.h"

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
	e[1].rx_meta_known = 1;
	e[1].rx_metadata = NETDEV_RX_META_TIMESTAMP | NETDEV_RX_META_HASH;
	e[1].progs_known = 1;
	e[1].n_progs = 1;
	e[1].progs[0].id = 57;
	e[1].progs[0].mode = "skb";
	strcpy(e[1].progs[0].name, "xdp_dispatcher");
	strcpy(e[1].progs[0].components, "vpncap_xdp");
	e[1].capturing = 1;
	e[1].capture_mode = LIST_CAPTURE_BYPASS;
}

/* What is attached stays on the "xdp:" line; the RX metadata wraps first. */
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
		"IDX  NAME  DRIVER   MAC                STATE         MTU  RXQ  VPNCAP  ADDRESSES\n"
		"  1  lo    unknown  00:00:00:00:00:00  UP          65536    1  -       127.0.0.1/8\n"
		"                                                                       ::1/128\n"
		"     xdp: native unknown (kernel < 6.3), skb; zero-copy unknown; no program; rx metadata unknown (kernel < 6.8)\n"
		" 12  vc\"x  veth     6e:01:02:03:04:05  NO-CARRIER   1400    2  bypass  198.18.0.1/24\n"
		"                                                                       2001:db8::1/64\n"
		"                                                                       fe80::6c01:2ff:fe03:405/64\n"
		"     bypass: tcpdump and xdpdump here do not see the matched frames (vpncap takes them off the port)\n"
		"     xdp: native (redirect ndo-xmit rx-sg), skb; zero-copy no; "
		"program xdp_dispatcher id 57 (skb; libxdp: vpncap_xdp);\n"
		"          rx metadata: timestamp, hash\n");
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
	e[0].rx_meta_known = 1;
	e[0].rx_metadata = 0;
	cap_open(&c);
	list_print_table(c.f, e, 2);
	out = cap_close(&c);
	assert_non_null(strstr(out, "     xdp: skb only (no native XDP in the driver); zero-copy no; program unknown; "
				    "rx metadata: none\n"));
	assert_non_null(strstr(out, " 12  vc\"x  veth     -                  DOWN"));
	assert_non_null(strstr(out, "?    2  unknown  "));
	assert_non_null(strstr(out, "xdp: native, skb; zero-copy yes; "
				    "program id 57 (skb; name unknown, needs CAP_SYS_ADMIN);\n"
				    "          rx metadata: timestamp, hash\n"));
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
		"\"capturing\": false, \"capture_mode\": null, \"hidden_from_other_captures\": false, "
		"\"xdp\": {\"skb\": true, \"native\": null, "
		"\"hw_offload\": null, \"zero_copy\": null, \"features\": null, "
		"\"zc_max_segs\": null, \"rx_metadata\": null, \"programs\": null}},\n"
		"  {\"ifindex\": 12, \"name\": \"vc\\\"x\", \"driver\": \"veth\", "
		"\"mac\": \"6e:01:02:03:04:05\", \"state\": \"NO-CARRIER\", "
		"\"operstate\": \"lowerlayerdown\", \"flags\": [\"UP\", \"BROADCAST\", \"MULTICAST\"], "
		"\"mtu\": 1400, \"rx_queues\": 2, \"ipv4\": [\"198.18.0.1/24\"], "
		"\"ipv6\": [\"2001:db8::1/64\", \"fe80::6c01:2ff:fe03:405/64\"], "
		"\"capturing\": true, \"capture_mode\": \"bypass\", \"hidden_from_other_captures\": true, "
		"\"xdp\": {\"skb\": true, \"native\": true, "
		"\"hw_offload\": false, \"zero_copy\": false, "
		"\"features\": [\"redirect\", \"ndo-xmit\", \"rx-sg\"], \"zc_max_segs\": 1, "
		"\"rx_metadata\": [\"timestamp\", \"hash\"], "
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
	e[1].capture_mode = LIST_UNKNOWN;
	e[1].progs[0].name[0] = '\0';
	e[1].progs[0].components[0] = '\0';
	cap_open(&c);
	list_print_json(c.f, e + 1, 1);
	out = cap_close(&c);
	assert_non_null(strstr(out, "\"mac\": null"));
	assert_non_null(strstr(out, "\"mtu\": null"));
	assert_non_null(strstr(out, "\"capturing\": null"));
	assert_non_null(strstr(out, "\"capture_mode\": null, \"hidden_from_other_captures\": null"));
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

static void test_rx_metadata_words(void **state)
{
	char buf[64];

	(void)state;
	netdev_rx_meta_words(0, buf, sizeof(buf));
	assert_string_equal(buf, "");
	netdev_rx_meta_words(NETDEV_RX_META_TIMESTAMP, buf, sizeof(buf));
	assert_string_equal(buf, "timestamp");
	netdev_rx_meta_words(7 | 0x80, buf, sizeof(buf));   /* an unknown bit is left out */
	assert_string_equal(buf, "timestamp, hash, vlan-tag");
	netdev_rx_meta_words(7, buf, 12);                    /* cut, still terminated */
	assert_string_equal(buf, "timestamp, ");
}

/* ---- the netdev family's answers, crafted -------------------------------- */

enum { A_IFINDEX = 1, A_PAD = 2, A_XDP_FEATURES = 3, A_ZC_MAX_SEGS = 4, A_RX_METADATA = 5,
       A_XSK_FEATURES = 6 };

struct msg {
	unsigned char b[256];
	size_t len;
};

/* An attribute as the kernel lays it out: header, value, padding to 4 bytes. */
static void put(struct msg *m, uint16_t type, const void *data, uint16_t len)
{
	uint16_t alen = (uint16_t)(4 + len);

	memcpy(m->b + m->len, &alen, 2);
	memcpy(m->b + m->len + 2, &type, 2);
	memcpy(m->b + m->len + 4, data, len);
	m->len += (size_t)(alen + 3) & ~(size_t)3;
}

static void put32(struct msg *m, uint16_t type, uint32_t v)
{
	put(m, type, &v, 4);
}

static void put64(struct msg *m, uint16_t type, uint64_t v)
{
	put(m, type, &v, 8);
}

/* What Linux 6.8+ sends for veth: ifindex, features, RX metadata, XSK features. */
static void kernel_message(struct msg *m, int with_rx_metadata, uint64_t rx_metadata)
{
	memset(m, 0, sizeof(*m));
	put32(m, A_IFINDEX, 7);
	put(m, A_PAD, "", 0);
	put64(m, A_XDP_FEATURES, 0x23);
	if (with_rx_metadata)
		put64(m, A_RX_METADATA, rx_metadata);
	put64(m, A_XSK_FEATURES, 0);
	put32(m, A_ZC_MAX_SEGS, 1);
}

static void test_parse_dev(void **state)
{
	struct netdev_dev d;
	struct msg m;

	(void)state;
	kernel_message(&m, 1, NETDEV_RX_META_TIMESTAMP | NETDEV_RX_META_HASH);
	assert_int_equal(netdev_parse_dev(m.b, m.len, &d), 0);
	assert_int_equal(d.ifindex, 7);
	assert_true(d.has_xdp_features);
	assert_int_equal(d.xdp_features, 0x23);
	assert_int_equal(d.zc_max_segs, 1);
	assert_true(d.has_rx_metadata);
	assert_int_equal(d.rx_metadata, 3);
	assert_int_equal(netdev_rx_ts_of(&d), NETDEV_RX_TS_YES);

	/* A driver with hash only: the answer is no. */
	kernel_message(&m, 1, NETDEV_RX_META_HASH);
	assert_int_equal(netdev_parse_dev(m.b, m.len, &d), 0);
	assert_int_equal(netdev_rx_ts_of(&d), NETDEV_RX_TS_NO);

	/* Linux 6.3 to 6.7: no attribute, so nobody knows. */
	kernel_message(&m, 0, 0);
	assert_int_equal(netdev_parse_dev(m.b, m.len, &d), 0);
	assert_false(d.has_rx_metadata);
	assert_true(d.has_xdp_features);
	assert_int_equal(netdev_rx_ts_of(&d), NETDEV_RX_TS_UNKNOWN);

	/* Nothing at all is a device with nothing known. */
	assert_int_equal(netdev_parse_dev(m.b, 0, &d), 0);
	assert_int_equal(d.ifindex, 0);
	assert_int_equal(netdev_rx_ts_of(&d), NETDEV_RX_TS_UNKNOWN);
}

/* Flags in the type's top bits, no padding after the last one, an odd address. */
static void test_parse_dev_layouts(void **state)
{
	unsigned char shifted[sizeof(((struct msg *)0)->b) + 1];
	struct netdev_dev d;
	struct msg m;

	(void)state;
	memset(&m, 0, sizeof(m));
	put32(&m, A_IFINDEX, 9);
	put64(&m, (uint16_t)(A_RX_METADATA | 0x8000), 1);  /* NLA_F_NESTED set */
	put(&m, 99, "ab", 2);                               /* unknown, last, unpadded */
	m.len -= 2;
	assert_int_equal(netdev_parse_dev(m.b, m.len, &d), 0);
	assert_int_equal(d.ifindex, 9);
	assert_int_equal(netdev_rx_ts_of(&d), NETDEV_RX_TS_YES);

	memcpy(shifted + 1, m.b, m.len);
	assert_int_equal(netdev_parse_dev(shifted + 1, m.len, &d), 0);
	assert_int_equal(d.ifindex, 9);
}

static void expect_malformed(const struct msg *m, size_t len)
{
	struct netdev_dev d;

	assert_int_equal(netdev_parse_dev(m->b, len, &d), -EINVAL);
	/* Nothing half-read survives: the caller sees "unknown". */
	assert_int_equal(d.ifindex, 0);
	assert_false(d.has_rx_metadata);
	assert_int_equal(netdev_rx_ts_of(&d), NETDEV_RX_TS_UNKNOWN);
}

static void test_parse_dev_malformed(void **state)
{
	uint16_t bad_len;
	struct msg m;

	(void)state;
	/* The RX metadata as 4 bytes, the ifindex as 8: sizes the kernel never sends. */
	memset(&m, 0, sizeof(m));
	put32(&m, A_IFINDEX, 7);
	put32(&m, A_RX_METADATA, 1);
	expect_malformed(&m, m.len);
	memset(&m, 0, sizeof(m));
	put64(&m, A_IFINDEX, 7);
	expect_malformed(&m, m.len);

	/* An attribute longer than the message, one shorter than its header. */
	kernel_message(&m, 1, 1);
	expect_malformed(&m, m.len - 4);
	bad_len = 3;
	memcpy(m.b, &bad_len, 2);
	expect_malformed(&m, m.len);

	/* Two bytes left: half a header. */
	kernel_message(&m, 1, 1);
	expect_malformed(&m, m.len + 2);
}

/*
 * Every cut of a kernel message and every byte set to every interesting
 * value: never a read past the end (ASan watches in the sanitizer build),
 * and either a clean answer or -EINVAL with nothing known.
 */
static void test_parse_dev_every_cut_and_byte(void **state)
{
	static const unsigned char values[] = { 0x00, 0x01, 0x03, 0x04, 0x05, 0x08, 0x0c, 0x7f,
						0x80, 0xff };
	struct netdev_dev d;
	struct msg good, m;
	size_t cut, i, v;

	(void)state;
	kernel_message(&good, 1, 1);
	for (cut = 0; cut <= good.len; cut++) {
		unsigned char *copy = malloc(cut ? cut : 1);

		memcpy(copy, good.b, cut);
		if (netdev_parse_dev(copy, cut, &d))
			assert_int_equal(netdev_rx_ts_of(&d), NETDEV_RX_TS_UNKNOWN);
		free(copy);
	}
	for (i = 0; i < good.len; i++)
		for (v = 0; v < sizeof(values); v++) {
			m = good;
			m.b[i] = values[v];
			if (netdev_parse_dev(m.b, m.len, &d))
				assert_int_equal(d.ifindex, 0);
		}
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
		cmocka_unit_test(test_rx_metadata_words),
		cmocka_unit_test(test_parse_dev),
		cmocka_unit_test(test_parse_dev_layouts),
		cmocka_unit_test(test_parse_dev_malformed),
		cmocka_unit_test(test_parse_dev_every_cut_and_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
