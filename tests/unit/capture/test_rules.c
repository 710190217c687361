// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of capture/rules.c beyond the default set (test_options has
 * those): the --rules list grammar of issue 18 (ranges, words in any case,
 * classes, all), rules_parse_any's tcpdump expressions, the words of every
 * field, and rules_covers, which must say "covers" only when it is sure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "capture/rules.h"
#include "vpncap/abi.h"

#define ERRLEN 256

static struct vpncap_ruleset set;

/* ---- the list grammar ------------------------------------------------------ */

static void parse_ok(const char *text)
{
	char err[ERRLEN] = "";

	if (rules_parse(text, &set, err, sizeof(err)))
		fail_msg("'%s': %s", text, err);
}

static void parse_bad(const char *text, const char *want)
{
	char err[ERRLEN] = "";

	memset(&set, 0x55, sizeof(set));
	assert_int_equal(rules_parse(text, &set, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("'%s': '%s', want '%s'", text, err, want);
	assert_int_equal(set.count, 0);
}

static void test_list_ranges_and_case(void **state)
{
	(void)state;
	parse_ok("udp:500-4500,TCP:443,Esp,UDP:1-65535,icmpv6,47");
	assert_int_equal(set.count, 6);
	assert_int_equal(set.rules[0].fields, VPNCAP_F_PROTO | VPNCAP_F_PORT);
	assert_int_equal(set.rules[0].l4_proto, IPPROTO_UDP);
	assert_int_equal(set.rules[0].port_lo, 500);
	assert_int_equal(set.rules[0].port_hi, 4500);
	assert_int_equal(set.rules[1].l4_proto, IPPROTO_TCP);
	assert_int_equal(set.rules[1].port_lo, 443);
	assert_int_equal(set.rules[1].port_hi, 443);
	assert_int_equal(set.rules[2].fields, VPNCAP_F_PROTO);   /* esp: IP protocol 50, as before */
	assert_int_equal(set.rules[2].l4_proto, IPPROTO_ESP);
	assert_int_equal(set.rules[3].port_hi, 65535);
	assert_int_equal(set.rules[4].l4_proto, IPPROTO_ICMPV6);
	assert_int_equal(set.rules[5].l4_proto, 47);

	parse_bad("udp:4500-500", "'4500-500' is not a port or LOW-HIGH range of udp");
	parse_bad("udp:0-5", "is not a port");
	parse_bad("udp:5-", "is not a port");
	parse_bad("udp:-5", "is not a port");
	parse_bad("esp:500", "'500' is not a port or LOW-HIGH range of esp");
	parse_bad("udp:500,,tcp", "has an empty rule");
	parse_bad("sctp", "'sctp' is not a protocol (udp, tcp, esp, icmp, icmpv6, 1-255), class");
}

static void test_list_words(void **state)
{
	(void)state;
	parse_ok("IKE,keepalive,class:esp,class:IKE,udp:500");
	assert_int_equal(set.count, 5);
	assert_int_equal(set.rules[0].fields, VPNCAP_F_CLASS);
	assert_int_equal(set.rules[0].class_mask, VPNCAP_CLASS_IKE);
	assert_int_equal(set.rules[1].class_mask, VPNCAP_CLASS_KEEPALIVE);
	assert_int_equal(set.rules[2].fields, VPNCAP_F_CLASS);
	assert_int_equal(set.rules[2].class_mask, VPNCAP_CLASS_ESP);
	assert_int_equal(set.rules[3].class_mask, VPNCAP_CLASS_IKE);

	parse_ok("all");
	assert_int_equal(set.count, 1);
	assert_int_equal(set.rules[0].fields, VPNCAP_F_ALL);
	parse_ok("ALL,udp:500");
	assert_int_equal(set.rules[0].fields, VPNCAP_F_ALL);

	/* filter add's -d words */
	parse_ok("ARP,ipv6,ethertype:0x88cc,ethertype:2048");
	assert_int_equal(set.count, 4);
	assert_int_equal(set.rules[0].fields, VPNCAP_F_ETHERTYPE);
	assert_int_equal(set.rules[0].ethertype, 0x0806);
	assert_int_equal(set.rules[1].ethertype, 0x86dd);
	assert_int_equal(set.rules[2].ethertype, 0x88cc);
	assert_int_equal(set.rules[3].ethertype, 0x0800);
	parse_bad("ethertype:0x8100", "not an EtherType");
	parse_bad("ethertype:12", "not an EtherType");
	parse_bad("ethertype:", "not an EtherType");

	parse_bad("class:sstp", "'sstp' is not a class (ike, esp, keepalive)");
	parse_bad("class:", "'' is not a class");
	parse_bad("", "empty");
}

/* ---- rules_parse_any ---------------------------------------------------------- */

static void test_parse_any(void **state)
{
	static struct rule_exprs ex;
	char err[ERRLEN] = "";

	(void)state;
	/* The list grammar first: no expression */
	memset(&ex, 0x55, sizeof(ex));
	assert_int_equal(rules_parse_any("udp:500,tcp:443", &set, &ex, err, sizeof(err)), 0);
	assert_int_equal(set.count, 2);
	assert_int_equal(set.n_exprs, 0);
	assert_int_equal(ex.n, 0);
	assert_int_equal(rules_parse_any("udp", &set, &ex, err, sizeof(err)), 0);
	assert_int_equal(set.rules[0].fields, VPNCAP_F_PROTO);

	/* Else a tcpdump expression: one rule, slot 0 */
	memset(&ex, 0x55, sizeof(ex));
	assert_int_equal(rules_parse_any("udp port 500 or host 198.18.0.1", &set, &ex, err,
					 sizeof(err)), 0);
	assert_int_equal(set.count, 1);
	assert_int_equal(set.n_exprs, 1);
	assert_int_equal(set.rules[0].fields, VPNCAP_F_EXPR);
	assert_int_equal(set.rules[0].expr_slot, 0);
	assert_int_equal(ex.n, 1);
	assert_string_equal(ex.text[0], "udp port 500 or host 198.18.0.1");
	assert_int_equal(ex.text[1][0], 0);
	/* "arp" is a word of the list grammar first (the same frames either way) */
	assert_int_equal(rules_parse_any("arp", &set, NULL, err, sizeof(err)), 0);
	assert_int_equal(set.rules[0].fields, VPNCAP_F_ETHERTYPE);
	assert_int_equal(rules_parse_any("arp or rarp", &set, NULL, err, sizeof(err)), 0);
	assert_int_equal(set.rules[0].fields, VPNCAP_F_EXPR);

	/* Neither: the message of what it looked like */
	assert_int_equal(rules_parse_any("udp port", &set, &ex, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a tcpdump expression: 'udp port': "));
	assert_int_equal(rules_parse_any("udp:70000", &set, &ex, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'70000' is not a port"));
	/* An empty expression: every frame, as tcpdump's */
	assert_int_equal(rules_parse_any("   ", &set, &ex, err, sizeof(err)), 0);
	assert_int_equal(set.count, 1);
	assert_int_equal(set.rules[0].fields, VPNCAP_F_ALL);
	assert_int_equal(ex.n, 0);
	assert_int_equal(rules_parse_any("", &set, &ex, err, sizeof(err)), 0);
	assert_int_equal(set.rules[0].fields, VPNCAP_F_ALL);
	assert_int_equal(rules_parse_any("udp\nor tcp", &set, &ex, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than one line"));
	assert_int_equal(set.count, 0);
	assert_int_equal(ex.n, 0);
}

/* ---- words ---------------------------------------------------------------------- */

static struct vpncap_prefix pfx(int family, const char *addr, unsigned int len)
{
	struct vpncap_prefix p;

	memset(&p, 0, sizeof(p));
	p.family = (__u8)family;
	p.len = (__u8)len;
	assert_int_equal(inet_pton(family == 6 ? AF_INET6 : AF_INET, addr, p.addr), 1);
	return p;
}

static const char *words(const struct vpncap_ruleset *s, const struct rule_exprs *ex)
{
	static char buf[2048];
	int n = rules_describe_exprs(s, ex, buf, sizeof(buf));

	assert_int_equal(n, (int)strlen(buf));
	assert_int_equal(rules_describe_exprs(s, ex, NULL, 0), n);
	return buf;
}

static void test_describe_every_field(void **state)
{
	static struct rule_exprs ex;
	struct vpncap_rule *r;

	(void)state;
	memset(&set, 0, sizeof(set));
	memset(&ex, 0, sizeof(ex));
	set.count = 1;
	r = &set.rules[0];
	r->fields = VPNCAP_F_PROTO | VPNCAP_F_PORT_PAIR | VPNCAP_F_ADDR | VPNCAP_F_ADDR_PAIR |
		    VPNCAP_F_TCP_FLAGS;
	r->l4_proto = IPPROTO_TCP;
	r->port_lo = 500;
	r->port2 = 4500;
	r->n_addrs = 2;
	r->addrs[0] = pfx(4, "198.18.0.1", 32);
	r->addrs[1] = pfx(4, "198.18.1.0", 24);
	r->tcp_flags = 0x12;
	assert_string_equal(words(&set, NULL), "tcp port 500 and port 4500 and host 198.18.0.1 and "
					       "net 198.18.1.0/24 and tcp flags syn|ack");

	memset(r, 0, sizeof(*r));
	r->fields = VPNCAP_F_ETHERTYPE | VPNCAP_F_VLAN | VPNCAP_F_MAC | VPNCAP_F_MAC_PAIR;
	r->ethertype = 0x88cc;
	r->vlan_id = 7;
	memcpy(r->mac, "\x02\0\0\0\0\x01", 6);
	memcpy(r->mac2, "\x02\0\0\0\0\x02", 6);
	assert_string_equal(words(&set, NULL), "ether proto 0x88cc and vlan 7 and ether host "
					       "02:00:00:00:00:01 and ether host 02:00:00:00:00:02");
	r->fields = VPNCAP_F_ETHERTYPE;
	r->ethertype = 0x0806;
	assert_string_equal(words(&set, NULL), "arp");

	/* Several rules: one of several parts in parentheses; expressions by text or slot */
	set.count = 4;
	r = &set.rules[1];
	r->fields = VPNCAP_F_EXPR;
	r->expr_slot = 0;
	set.rules[2].fields = VPNCAP_F_ALL;
	r = &set.rules[3];
	r->fields = VPNCAP_F_PORT | VPNCAP_F_ADDR | VPNCAP_F_CLASS;
	r->port_lo = 1000;
	r->port_hi = 2000;
	r->n_addrs = 2;
	r->addrs[0] = pfx(6, "2001:db8::", 32);
	r->addrs[1] = pfx(4, "10.0.0.1", 32);
	r->class_mask = VPNCAP_CLASS_IKE | VPNCAP_CLASS_KEEPALIVE;
	set.n_exprs = 1;
	assert_string_equal(words(&set, NULL),
			    "arp or expression 0 or all frames or (portrange 1000-2000 and "
			    "(net 2001:db8::/32 or host 10.0.0.1) and class ike,keepalive)");
	ex.n = 1;
	strcpy(ex.text[0], "udp and greater 1000");
	assert_string_equal(words(&set, &ex),
			    "arp or (udp and greater 1000) or all frames or (portrange 1000-2000 and "
			    "(net 2001:db8::/32 or host 10.0.0.1) and class ike,keepalive)");
	/* rules_describe is the same without texts */
	{
		char buf[512];

		rules_describe(&set, buf, sizeof(buf));
		assert_non_null(strstr(buf, "or expression 0 or"));
	}
}

/* ---- rules_covers ----------------------------------------------------------------- */

static struct vpncap_rule rule_of(const char *list)
{
	struct vpncap_ruleset s;
	char err[ERRLEN];

	assert_int_equal(rules_parse(list, &s, err, sizeof(err)), 0);
	return s.rules[0];
}

static void test_covers_ports_and_protocols(void **state)
{
	struct vpncap_rule udp = rule_of("udp"), u4500 = rule_of("udp:4500"),
			   range = rule_of("udp:4000-5000"), t4500 = rule_of("tcp:4500"), any, pair;

	(void)state;
	/* The case: ESP headers behind --preset aovpn's NAT-T */
	{
		struct vpncap_rule esp_headers = u4500;

		esp_headers.snaplen = 96;
		assert_true(rules_covers(&u4500, &esp_headers));
	}
	assert_true(rules_covers(&udp, &u4500));
	assert_true(rules_covers(&range, &u4500));
	assert_false(rules_covers(&u4500, &range));
	assert_false(rules_covers(&u4500, &udp));
	assert_false(rules_covers(&u4500, &t4500));
	assert_false(rules_covers(&udp, &t4500));

	/* -p without -t (udp or tcp) */
	memset(&any, 0, sizeof(any));
	any.fields = VPNCAP_F_PORT;
	any.port_lo = any.port_hi = 4500;
	assert_true(rules_covers(&any, &u4500));
	assert_true(rules_covers(&any, &t4500));
	assert_false(rules_covers(&u4500, &any));

	/* Port pairs: either order; a port of the pair inside a range */
	memset(&pair, 0, sizeof(pair));
	pair.fields = VPNCAP_F_PROTO | VPNCAP_F_PORT_PAIR;
	pair.l4_proto = IPPROTO_UDP;
	pair.port_lo = 500;
	pair.port2 = 4500;
	assert_true(rules_covers(&u4500, &pair));
	assert_true(rules_covers(&range, &pair));
	assert_false(rules_covers(&pair, &u4500));
	{
		struct vpncap_rule swapped = pair;

		swapped.port_lo = 4500;
		swapped.port2 = 500;
		assert_true(rules_covers(&pair, &swapped));
		swapped.port2 = 501;
		assert_false(rules_covers(&pair, &swapped));
	}

	/* TCP flags: fewer flags cover more; TCP covers flags */
	{
		struct vpncap_rule syn, synack, tcp = rule_of("tcp");

		memset(&syn, 0, sizeof(syn));
		syn.fields = VPNCAP_F_TCP_FLAGS;
		syn.tcp_flags = 0x02;
		synack = syn;
		synack.tcp_flags = 0x12;
		assert_true(rules_covers(&syn, &synack));
		assert_false(rules_covers(&synack, &syn));
		assert_true(rules_covers(&tcp, &syn));
		assert_false(rules_covers(&udp, &syn));
		assert_false(rules_covers(&syn, &tcp));
	}
}

static void test_covers_addresses(void **state)
{
	struct vpncap_rule net, host, pair, any, other;

	(void)state;
	memset(&net, 0, sizeof(net));
	net.fields = VPNCAP_F_ADDR;
	net.n_addrs = 1;
	net.addrs[0] = pfx(4, "198.18.0.0", 16);
	host = net;
	host.addrs[0] = pfx(4, "198.18.12.50", 32);
	assert_true(rules_covers(&net, &host));
	assert_false(rules_covers(&host, &net));
	other = net;
	other.addrs[0] = pfx(4, "198.19.0.0", 16);
	assert_false(rules_covers(&net, &other));
	other.addrs[0] = pfx(4, "198.18.0.0", 15);   /* wider */
	assert_false(rules_covers(&net, &other));
	assert_true(rules_covers(&other, &net));
	other.addrs[0] = pfx(6, "2001:db8::", 32);
	assert_false(rules_covers(&net, &other));

	/* A pair: one end inside is enough; a pair covers a pair end for end */
	pair = host;
	pair.fields |= VPNCAP_F_ADDR_PAIR;
	pair.n_addrs = 2;
	pair.addrs[1] = pfx(4, "203.0.113.9", 32);
	assert_true(rules_covers(&net, &pair));
	assert_false(rules_covers(&pair, &net));
	assert_false(rules_covers(&pair, &host));
	{
		struct vpncap_rule wide = pair;

		wide.addrs[0] = pfx(4, "203.0.113.0", 24);
		wide.addrs[1] = pfx(4, "198.18.0.0", 16);
		assert_true(rules_covers(&wide, &pair));  /* crosswise */
		assert_false(rules_covers(&pair, &wide));
	}

	/* Any of several: every one of later's inside one of earlier's */
	any = net;
	any.n_addrs = 2;
	any.addrs[1] = pfx(6, "2001:db8::", 32);
	other = any;
	other.addrs[0] = pfx(4, "198.18.1.1", 32);
	other.addrs[1] = pfx(6, "2001:db8:1::", 48);
	assert_true(rules_covers(&any, &other));
	other.addrs[1] = pfx(6, "2001:db9::", 32);
	assert_false(rules_covers(&any, &other));
	/* an address filter covers nothing without addresses */
	assert_false(rules_covers(&net, &(struct vpncap_rule){ .fields = VPNCAP_F_PROTO, .l4_proto = 17 }));
}

static void test_covers_layer2_and_special(void **state)
{
	struct vpncap_rule ipall, all, arp, vlan, vlan_udp, expr, mac, mac_pair, udp = rule_of("udp");

	(void)state;
	memset(&ipall, 0, sizeof(ipall));            /* fields 0: every IP frame */
	memset(&all, 0, sizeof(all));
	all.fields = VPNCAP_F_ALL;
	memset(&arp, 0, sizeof(arp));
	arp.fields = VPNCAP_F_ETHERTYPE;
	arp.ethertype = 0x0806;
	assert_true(rules_covers(&ipall, &udp));
	assert_false(rules_covers(&ipall, &arp));
	assert_true(rules_covers(&all, &arp));
	assert_true(rules_covers(&all, &udp));
	assert_false(rules_covers(&udp, &all));
	assert_false(rules_covers(&ipall, &all));
	assert_true(rules_covers(&all, &all));

	/* -d IPv4 is an IP field for the fields-0 rule; another type is not */
	{
		struct vpncap_rule v4 = arp;

		v4.ethertype = 0x0800;
		assert_true(rules_covers(&ipall, &v4));
		assert_false(rules_covers(&v4, &udp));   /* udp may be IPv6 */
		assert_false(rules_covers(&arp, &v4));
	}

	memset(&vlan, 0, sizeof(vlan));
	vlan.fields = VPNCAP_F_VLAN;
	vlan.vlan_id = 10;
	vlan_udp = udp;
	vlan_udp.fields |= VPNCAP_F_VLAN;
	vlan_udp.vlan_id = 10;
	assert_true(rules_covers(&vlan, &vlan_udp));
	assert_true(rules_covers(&udp, &vlan_udp));
	assert_false(rules_covers(&vlan_udp, &vlan));
	vlan_udp.vlan_id = 11;
	assert_false(rules_covers(&vlan, &vlan_udp));

	memset(&mac, 0, sizeof(mac));
	mac.fields = VPNCAP_F_MAC;
	memcpy(mac.mac, "\x02\0\0\0\0\x01", 6);
	mac_pair = mac;
	mac_pair.fields |= VPNCAP_F_MAC_PAIR;
	memcpy(mac_pair.mac2, "\x02\0\0\0\0\x02", 6);
	assert_true(rules_covers(&mac, &mac_pair));
	assert_false(rules_covers(&mac_pair, &mac));
	memcpy(mac.mac, "\x02\0\0\0\0\x02", 6);         /* the other end */
	assert_true(rules_covers(&mac, &mac_pair));

	/* An expression is never known to cover anything; it may be covered */
	memset(&expr, 0, sizeof(expr));
	expr.fields = VPNCAP_F_EXPR;
	assert_false(rules_covers(&expr, &udp));
	assert_false(rules_covers(&expr, &expr));
	assert_true(rules_covers(&all, &expr));
	assert_false(rules_covers(&ipall, &expr));      /* it may select ARP */

	/* Classes: a subset is covered */
	{
		struct vpncap_rule ike_esp = rule_of("ike"), ike = rule_of("ike");

		ike_esp.class_mask |= VPNCAP_CLASS_ESP;
		assert_true(rules_covers(&ike_esp, &ike));
		assert_false(rules_covers(&ike, &ike_esp));
		assert_false(rules_covers(&ike, &udp));
	}
	/* Unknown bits: never */
	{
		struct vpncap_rule odd = udp;

		odd.fields |= 1u << 20;
		assert_false(rules_covers(&odd, &udp));
		assert_false(rules_covers(&ipall, &odd));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_ranges_and_case),
		cmocka_unit_test(test_list_words),
		cmocka_unit_test(test_parse_any),
		cmocka_unit_test(test_describe_every_field),
		cmocka_unit_test(test_covers_ports_and_protocols),
		cmocka_unit_test(test_covers_addresses),
		cmocka_unit_test(test_covers_layer2_and_special),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
