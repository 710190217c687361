// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of show's filter: the class words on the frames decode.c
 * names IKE, ESP, NAT-T keepalive and TLS (IPv4 and IPv6, the non-ESP
 * marker read only when the UDP length says it is there), combined with
 * and/or/not and plain tcpdump words; libpcap's reason for a bad
 * expression; raw IP frames through a program of their own, and a link
 * type the expression cannot apply to reported once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "read/frame_filter.h"

struct frm {
	uint8_t b[256];
	size_t n;
	size_t ip;              /* offset of the IP header */
};

static void put(struct frm *f, const void *p, size_t n)
{
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void put16(struct frm *f, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(f, b, 2);
}

static void ether(struct frm *f, uint16_t type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };

	f->n = 0;
	put(f, macs, sizeof(macs));
	put16(f, type);
}

/* IPv4 (or IPv6) then UDP or TCP ports, then payload; lengths filled in. */
static void ip_l4(struct frm *f, int v6, uint8_t proto, uint16_t sport, uint16_t dport,
		  const void *payload, size_t plen)
{
	static const uint8_t a4[8] = { 198, 18, 0, 2, 198, 18, 0, 1 };
	static const uint8_t a6[32] = { 0x20, 1, 0xd, 0xb8, [15] = 2,
					0x20, 1, 0xd, 0xb8, [31] = 1 };
	size_t l4 = proto == 17 ? 8 + plen : proto == 6 ? 20 + plen : plen;

	f->ip = f->n;
	if (v6) {
		put16(f, 0x6000);
		put16(f, 0);
		put16(f, (uint16_t)l4);
		put(f, &proto, 1);
		put(f, "\x40", 1);
		put(f, a6, sizeof(a6));
	} else {
		put16(f, 0x4500);
		put16(f, (uint16_t)(20 + l4));
		put16(f, 0);
		put16(f, 0);
		put(f, "\x40", 1);
		put(f, &proto, 1);
		put16(f, 0);
		put(f, a4, sizeof(a4));
	}
	if (proto == 17) {
		put16(f, sport);
		put16(f, dport);
		put16(f, (uint16_t)(8 + plen));
		put16(f, 0);
	} else if (proto == 6) {
		static const uint8_t rest[16] = { [8] = 0x50, [9] = 0x02 };

		put16(f, sport);
		put16(f, dport);
		put(f, rest, sizeof(rest));
	}
	put(f, payload, plen);
}

static const uint8_t zero32[32], spi32[32] = { 0xc0, 0xff, 0xee, 0x01 };

enum { IKE500, IKE4500, ESP4500, KEEPALIVE, ESP50, TLS, IKE4500_V6, ESP4500_V6, DNS, N_FRAMES };

static void build(int which, struct frm *f)
{
	int v6 = which == IKE4500_V6 || which == ESP4500_V6;

	ether(f, v6 ? 0x86dd : 0x0800);
	switch (which) {
	case IKE500: ip_l4(f, 0, 17, 500, 500, zero32, 32); break;
	case IKE4500: case IKE4500_V6: ip_l4(f, v6, 17, 4500, 4500, zero32, 32); break;
	case ESP4500: case ESP4500_V6: ip_l4(f, v6, 17, 4500, 4500, spi32, 32); break;
	case KEEPALIVE: ip_l4(f, 0, 17, 4500, 4500, "\xff", 1); break;
	case ESP50: ip_l4(f, 0, 50, 0, 0, spi32, 16); break;
	case TLS: ip_l4(f, 0, 6, 50000, 443, "", 0); break;
	default: ip_l4(f, 0, 17, 5353, 53, zero32, 12); break;
	}
}

/* Bit i set when frame i matches text. */
static unsigned int matches(const char *text)
{
	struct frame_filter *ff;
	struct frm f;
	char err[256];
	unsigned int bits = 0;
	int i;

	ff = frame_filter_new(text, err, sizeof(err));
	if (!ff)
		fail_msg("'%s': %s", text, err);
	for (i = 0; i < N_FRAMES; i++) {
		build(i, &f);
		if (frame_filter_match(ff, 1, f.b, (uint32_t)f.n, (uint32_t)f.n, err, sizeof(err)) == 1)
			bits |= 1u << i;
	}
	frame_filter_free(ff);
	return bits;
}

#define B(x) (1u << (x))

static void test_classes(void **state)
{
	(void)state;
	assert_int_equal(matches("ike"), B(IKE500) | B(IKE4500) | B(IKE4500_V6));
	assert_int_equal(matches("natt"), B(IKE4500) | B(ESP4500) | B(KEEPALIVE) | B(IKE4500_V6) |
						  B(ESP4500_V6));
	assert_int_equal(matches("esp"), B(ESP4500) | B(ESP50) | B(ESP4500_V6));
	assert_int_equal(matches("sstp"), B(TLS));
	/* A keepalive is too short for the marker, yet "ike or natt" still takes it. */
	assert_int_equal(matches("ike or natt"), B(IKE500) | B(IKE4500) | B(ESP4500) | B(KEEPALIVE) |
						    B(IKE4500_V6) | B(ESP4500_V6));
	assert_int_equal(matches("natt and not (ike or esp)"), B(KEEPALIVE));
	assert_int_equal(matches("(ike)&&ip6"), B(IKE4500_V6));
	assert_int_equal(matches("!esp and udp and not natt"), B(IKE500) | B(DNS));
	assert_int_equal(matches("sstp or port 53"), B(TLS) | B(DNS));
	assert_int_equal(matches("ip proto \\esp"), B(ESP50));
	assert_int_equal(matches("host 198.18.0.2 and udp port 500"), B(IKE500));
}

static void test_expand(void **state)
{
	char out[1024];
	int n;

	(void)state;
	n = frame_filter_expand("natt and !sstp", out, sizeof(out));
	assert_string_equal(out, "(udp port 4500) and !(tcp port 443)");
	assert_int_equal(n, (int)strlen(out));
	/* Only whole words: a host name holding one is left alone. */
	frame_filter_expand("host ike.example and port 500", out, sizeof(out));
	assert_string_equal(out, "host ike.example and port 500");
	/* Cut to the room given, the length it needs returned. */
	assert_int_equal(frame_filter_expand("natt", out, 5), 15);
	assert_string_equal(out, "(udp");
}

static void test_bad_expression(void **state)
{
	char err[256];

	(void)state;
	assert_null(frame_filter_new("port 99999", err, sizeof(err)));
	assert_string_equal(err, "illegal port number 99999 > 65535");
	assert_null(frame_filter_new("host", err, sizeof(err)));
	assert_non_null(strstr(err, "syntax error"));
}

static void test_link_types(void **state)
{
	struct frame_filter *ff;
	struct frm f;
	char err[256] = "";

	(void)state;
	build(IKE500, &f);
	ff = frame_filter_new("ike", err, sizeof(err));
	assert_non_null(ff);
	/* LINKTYPE_RAW (101): the same IP packet without its Ethernet header. */
	assert_int_equal(frame_filter_match(ff, 101, f.b + 14, (uint32_t)f.n - 14, (uint32_t)f.n - 14,
					    err, sizeof(err)), 1);
	build(TLS, &f);
	assert_int_equal(frame_filter_match(ff, 101, f.b + 14, (uint32_t)f.n - 14, (uint32_t)f.n - 14,
					    err, sizeof(err)), 0);
	frame_filter_free(ff);
	/* "ether host" cannot apply to raw IP: said once, then simply no match. */
	ff = frame_filter_new("ether host 02:00:00:00:00:01", err, sizeof(err));
	assert_non_null(ff);
	assert_int_equal(frame_filter_match(ff, 101, f.b + 14, (uint32_t)f.n - 14, (uint32_t)f.n - 14,
					    err, sizeof(err)), -1);
	assert_true(strlen(err) > 0);
	assert_int_equal(frame_filter_match(ff, 101, f.b + 14, (uint32_t)f.n - 14, (uint32_t)f.n - 14,
					    err, sizeof(err)), 0);
	assert_int_equal(frame_filter_match(ff, 1, f.b, (uint32_t)f.n, (uint32_t)f.n, err,
					    sizeof(err)), 1);
	frame_filter_free(ff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_bad_expression),
		cmocka_unit_test(test_link_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
