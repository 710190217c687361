// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the frame decoder: frames built byte by byte (IKE_SA_INIT
 * with notifies, IKE_AUTH with SK, an SKF fragment behind the non-ESP
 * marker, keepalive, ESP and ESP-in-UDP, IPv6 extension headers, VLAN tags,
 * IP fragments, TCP, a TLS ClientHello with and without its SNI captured),
 * exact summary strings, and an IKE frame cut at every length (each cut
 * copied to a buffer of exactly that size, so ASan sees any overread).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "read/decode.h"

#define ISPI 0x1a2b3c4d5e6f7081ull
#define RSPI 0x1122334455667788ull

/* A frame under construction; lengths are fixed up by finish(). */
struct fb {
	uint8_t b[2048];
	size_t n;
	size_t ip, ip_hlen, udp, ike, tcp;
	int v6;
};

static void put8(struct fb *f, uint8_t v)
{
	assert_true(f->n < sizeof(f->b));
	f->b[f->n++] = v;
}

static void put16(struct fb *f, uint16_t v)
{
	put8(f, (uint8_t)(v >> 8));
	put8(f, (uint8_t)v);
}

static void put32(struct fb *f, uint32_t v)
{
	put16(f, (uint16_t)(v >> 16));
	put16(f, (uint16_t)v);
}

static void put64(struct fb *f, uint64_t v)
{
	put32(f, (uint32_t)(v >> 32));
	put32(f, (uint32_t)v);
}

static void fill(struct fb *f, uint8_t v, size_t n)
{
	while (n--)
		put8(f, v);
}

static void set16(struct fb *f, size_t off, uint16_t v)
{
	f->b[off] = (uint8_t)(v >> 8);
	f->b[off + 1] = (uint8_t)v;
}

static void set32(struct fb *f, size_t off, uint32_t v)
{
	set16(f, off, (uint16_t)(v >> 16));
	set16(f, off + 2, (uint16_t)v);
}

/* Ethernet: 02:00:00:00:00:01 > 02:00:00:00:00:02, then VLAN tags, then the type. */
static void eth(struct fb *f, uint16_t type, int n_tags, const uint16_t *tags)
{
	memset(f, 0, sizeof(*f));
	put32(f, 0x02000000);
	put16(f, 0x0001);
	put32(f, 0x02000000);
	put16(f, 0x0002);
	for (int i = 0; i < n_tags; i++) {
		put16(f, i == 0 && n_tags == 2 ? 0x88a8 : 0x8100);
		put16(f, tags[i]);
	}
	put16(f, type);
}

/* IPv4 198.18.0.2 > 198.18.0.1; opt_words of NOP options (IHL > 5). */
static void ipv4(struct fb *f, uint8_t proto, uint16_t frag, uint16_t id, int opt_words)
{
	f->ip = f->n;
	f->ip_hlen = 20 + 4 * (size_t)opt_words;
	put8(f, (uint8_t)(0x45 + opt_words));
	put8(f, 0);
	put16(f, 0);            /* total length: finish() */
	put16(f, id);
	put16(f, frag);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	put32(f, 0xc6120002);
	put32(f, 0xc6120001);
	fill(f, 1, 4 * (size_t)opt_words);
}

/* IPv6 2001:db8::1 > 2001:db8::2. */
static void ipv6(struct fb *f, uint8_t nh)
{
	f->ip = f->n;
	f->v6 = 1;
	put32(f, 0x60000000);
	put16(f, 0);            /* payload length: finish() */
	put8(f, nh);
	put8(f, 64);
	put32(f, 0x20010db8);
	fill(f, 0, 11);
	put8(f, 1);
	put32(f, 0x20010db8);
	fill(f, 0, 11);
	put8(f, 2);
}

/* A generic 8-byte extension header (hop-by-hop, destination options). */
static void ext8(struct fb *f, uint8_t nh)
{
	put8(f, nh);
	put8(f, 0);
	put16(f, 0x0104);       /* PadN, 4 bytes */
	put32(f, 0);
}

static void frag6(struct fb *f, uint8_t nh, uint16_t offset, int more, uint32_t id)
{
	put8(f, nh);
	put8(f, 0);
	put16(f, (uint16_t)(offset | (more ? 1 : 0)));
	put32(f, id);
}

static void udp(struct fb *f, uint16_t sport, uint16_t dport)
{
	f->udp = f->n;
	put16(f, sport);
	put16(f, dport);
	put16(f, 0);            /* finish() */
	put16(f, 0);
}

static void ike(struct fb *f, uint8_t first, uint8_t exch, uint8_t flags, uint32_t msgid,
		uint64_t rspi)
{
	f->ike = f->n;
	put64(f, ISPI);
	put64(f, rspi);
	put8(f, first);
	put8(f, 0x20);
	put8(f, exch);
	put8(f, flags);
	put32(f, msgid);
	put32(f, 0);            /* finish() */
}

/* Generic payload header + n filler bytes. */
static void payload(struct fb *f, uint8_t next, size_t n, uint8_t filler)
{
	put8(f, next);
	put8(f, 0);
	put16(f, (uint16_t)(4 + n));
	fill(f, filler, n);
}

static void notify(struct fb *f, uint8_t next, uint16_t type, size_t data)
{
	put8(f, next);
	put8(f, 0);
	put16(f, (uint16_t)(8 + data));
	put8(f, 0);             /* protocol: IKE */
	put8(f, 0);             /* SPI size */
	put16(f, type);
	fill(f, 0xab, data);
}

static void tcp(struct fb *f, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		uint8_t flags, int opt_words)
{
	f->tcp = f->n;
	put16(f, sport);
	put16(f, dport);
	put32(f, seq);
	put32(f, ack);
	put8(f, (uint8_t)((5 + opt_words) << 4));
	put8(f, flags);
	put16(f, 65535);
	put32(f, 0);
	for (int i = 0; i < opt_words; i++)
		put32(f, 0x01010101);   /* NOPs */
}

/* Every length field from what follows it. */
static void finish(struct fb *f)
{
	if (f->ike)
		set32(f, f->ike + 24, (uint32_t)(f->n - f->ike));
	if (f->udp)
		set16(f, f->udp + 4, (uint16_t)(f->n - f->udp));
	if (f->ip && f->v6)
		set16(f, f->ip + 4, (uint16_t)(f->n - f->ip - 40));
	else if (f->ip)
		set16(f, f->ip + 2, (uint16_t)(f->n - f->ip));
}

static void summary_is(const struct decoded *d, const char *want)
{
	char buf[512];

	decode_summary(d, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

/* Decodes from a heap copy of exactly len bytes: ASan catches overreads. */
static int decode_exact(const uint8_t *frame, size_t len, struct decoded *d)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, frame, len);
	rc = decode_frame(copy, len, d);
	free(copy);
	return rc;
}

/* ---- IKE ------------------------------------------------------------------ */

static void build_sa_init_request(struct fb *f)
{
	eth(f, 0x0800, 0, NULL);
	ipv4(f, 17, 0x4000, 1, 0);
	udp(f, 500, 500);
	ike(f, 33, 34, 0x08, 0, 0);
	payload(f, 34, 40, 0);                  /* SA */
	payload(f, 40, 36, 0);                  /* KE */
	payload(f, 41, 32, 0x4e);               /* Nonce */
	notify(f, 41, 16388, 20);               /* NAT_DETECTION_SOURCE_IP */
	notify(f, 41, 16389, 20);               /* NAT_DETECTION_DESTINATION_IP */
	notify(f, 0, 16430, 0);                 /* IKEV2_FRAGMENTATION_SUPPORTED */
	finish(f);
}

static void test_ike_sa_init_request(void **state)
{
	struct fb f;
	struct decoded d;

	(void)state;
	build_sa_init_request(&f);
	assert_int_equal(decode_exact(f.b, f.n, &d), 0);
	assert_int_equal(d.kind, DECODE_IKE);
	assert_int_equal(d.family, 4);
	assert_string_equal(d.src, "198.18.0.2");
	assert_string_equal(d.dst, "198.18.0.1");
	assert_int_equal(d.sport, 500);
	assert_int_equal(d.dport, 500);
	assert_true(d.has_ports);
	assert_false(d.truncated);
	assert_false(d.is_fragment);
	assert_true(d.ike.ispi == ISPI);
	assert_true(d.ike.rspi == 0);
	assert_int_equal(d.ike.exchange, 34);
	assert_int_equal(d.ike.version, 0x20);
	assert_int_equal(d.ike.next_payload, 33);
	assert_true(d.ike.initiator);
	assert_false(d.ike.response);
	assert_int_equal(d.ike.length, f.n - f.ike);
	assert_false(d.ike.natt);
	assert_false(d.ike.encrypted);
	assert_int_equal(d.ike.n_notify, 3);
	assert_int_equal(d.ike.notify[0], 16388);
	assert_int_equal(d.ike.notify[1], 16389);
	assert_int_equal(d.ike.notify[2], 16430);
	summary_is(&d, "IKE_SA_INIT request (I) msgid 0 ispi 0x1a2b3c4d5e6f7081 rspi 0 first SA "
		   "notify NAT_DETECTION_SOURCE_IP,NAT_DETECTION_DESTINATION_IP,"
		   "IKEV2_FRAGMENTATION_SUPPORTED");
}

static void test_ike_sa_init_response(void **state)
{
	struct fb f;
	struct decoded d;

	(void)state;
	eth(&f, 0x0800, 0, NULL);
	ipv4(&f, 17, 0, 2, 0);
	udp(&f, 500, 500);
	ike(&f, 33, 34, 0x20, 0, RSPI);
	payload(&f, 34, 40, 0);
	payload(&f, 40, 36, 0);
	payload(&f, 41, 32, 0);
	notify(&f, 41, 16431, 6);               /* SIGNATURE_HASH_ALGORITHMS */
	notify(&f, 41, 16406, 0);               /* REDIRECT_SUPPORTED */
	notify(&f, 0, 40960, 0);                /* private use: no name */
	finish(&f);
	assert_int_equal(decode_exact(f.b, f.n, &d), 0);
	assert_int_equal(d.kind, DECODE_IKE);
	assert_false(d.ike.initiator);
	assert_true(d.ike.response);
	assert_true(d.ike.rspi == RSPI);
	assert_int_equal(d.ike.n_notify, 3);
	summary_is(&d, "IKE_SA_INIT response msgid 0 ispi 0x1a2b3c4d5e6f7081 "
		   "rspi 0x1122334455667788 first SA notify SIGNATURE_HASH_ALGORITHMS,"
		   "REDIRECT_SUPPORTED,40960");
}

static void test_ike_error_notify(void **state)
{
	struct fb f;
	struct decoded d;

	(void)state;
	eth(&f, 0x0800, 0, NULL);
	ipv4(&f, 17, 0, 2, 0);
	udp(&f, 500, 500);
	ike(&f, 41, 34, 0x20, 0, 0);
	notify(&f, 0, 17, 2);                   /* INVALID_KE_PAYLOAD */
	finish(&f);
	decode_exact(f.b, f.n, &d);
	summary_is(&d, "IKE_SA_INIT response msgid 0 ispi 0x1a2b3c4d5e6f7081 rspi 0 first N "
		   "notify INVALID_KE_PAYLOAD");
}

static void test_ike_auth_sk(void **state)
{
	struct fb f;
	struct decoded d;

	(void)state;
	eth(&f, 0x0800, 0, NULL);
	ipv4(&f, 17, 0, 3, 0);
	udp(&f, 500, 500);
	ike(&f, 46, 35, 0x08, 1, RSPI);
	payload(&f, 35, 200, 0xee);             /* SK: first inner payload IDi */
	finish(&f);
	assert_int_equal(decode_exact(f.b, f.n, &d), 0);
	assert_int_equal(d.kind, DECODE_IKE);
	assert_true(d.ike.encrypted);
	assert_int_equal(d.ike.frag_total, 0);
	assert_int_equal(d.ike.n_notify, 0);
	assert_int_equal(d.ike.msg_id, 1);
	assert_false(d.truncated);
	summary_is(&d, "IKE_AUTH request (I) msgid 1 ispi 0x1a2b3c4d5e6f7081 "
		   "rspi 0x1122334455667788 first SK");
}

static void build_skf_natt(struct fb *f)
{
	eth(f, 0x0800, 0, NULL);
	ipv4(f, 17, 0, 4, 0);
	udp(f, 45001, 4500);
	put32(f, 0);                            /* non-ESP marker */
	ike(f, 53, 35, 0x08, 1, RSPI);
	put8(f, 0);                             /* SKF: next 0 (not the first fragment) */
	put8(f, 0);
	put16(f, 8 + 100);
	put16(f, 2);                            /* fragment number */
	put16(f, 4);                            /* total fragments */
	fill(f, 0xcd, 100);
	finish(f);
}

static void test_ike_skf_natt(void **state)
{
	struct fb f;
	struct decoded d;

	(void)state;
	build_skf_natt(&f);
	assert_int_equal(decode_exact(f.b, f.n, &d), 0);
	assert_int_equal(d.kind, DECODE_IKE);
	assert_true(d.ike.natt);
	assert_true(d.ike.encrypted);
	assert_int_equal(d.ike.frag_num, 2);
	assert_int_equal(d.ike.frag_total, 4);
	assert_int_equal(d.sport, 45001);
	summary_is(&d, "IKE_AUTH request (I) msgid 1 ispi 0x1a2b3c4d5e6f7081 "
		   "rspi 0x1122334455667788 first SKF fragment 2/4 [NAT-T]");
}

static void test_ikev1(void **state)
{
	struct fb f;
	struct decoded d;

	(void)state;
	eth(&f, 0x0800, 0, NULL);
	ipv4(&f, 17, 0, 4, 0);
	udp(&f, 500, 500);
	ike(&f, 1, 2, 0, 0, 0);
	f.b[f.ike + 17] = 0x10;                 /* version 1.0 */
	payload(&f, 0, 48, 0);
	finish(&f);
	decode_exact(f.b, f.n, &d);
	assert_int_equal(d.kind, DECODE_IKE);
	assert_int_equal(d.ike.version, 0x10);
	summary_is(&d, "IKEv1 Main Mode msgid 0 ispi 0x1a2b3c4d5e6f7081 rspi 0");
}

/* Cut anywhere: never a read outside the cut, always truncated. */
static void test_ike_truncated_everywhere(void **state)
{
	struct fb f;
	struct decoded d;
	char buf[512];

	(void)state;
	build_sa_init_request(&f);
	for (size_t cut = 0; cut < f.n; cut++) {
		decode_exact(f.b, cut, &d);
		assert_true(d.truncated);
		decode_summary(&d, buf, sizeof(buf));
		assert_non_null(strstr(buf, "[truncated]"));
	}
	build_skf_natt(&f);
	for (size_t cut = 0; cut < f.n; cut++) {
		decode_exact(f.b, cut, &d);
		assert_true(d.truncated);
	}
	decode_exact(f.b, f.n, &d);
	assert_false(d.truncated);
}

static void test_ike_cut_summaries(void **state)
{
	struct fb f;
	struct decoded d;

	(void)state;
	build_sa_init_request(&f);
	/* The header is whole, the nonce is not: the notifies were never reached. */
	decode_exact(f.b, f.ike + 28 + 44 + 40 + 10, &d);
	summary_is(&d, "IKE_SA_INIT request (I) msgid 0 ispi 0x1a2b3c4d5e6f7081 rspi 0 first SA "
		   "[truncated]");
	decode_exact(f.b, f.ike + 20, &d);
	assert_int_equal(d.kind, DECODE_IKE);
	summary_is(&d, "IKE [truncated]");
	decode_exact(f.b, 30, &d);
	assert_int_equal(d.kind, DECODE_OTHER);
	summary_is(&d, "IP header [truncated]");
	decode_exact(f.b, 13, &d);
	summary_is(&d, "ETH [truncated]");
}

/* ---- NAT-T and ESP --------------------------------------------------------- */

static void test_keepalive(void **state)
{
	struct fb f;
	struct decoded d;

	(void)state;
	eth(&f, 0x0800, 0, NULL);
	ipv4(&f, 17, 0, 5, 0);
	udp(&f, 4500, 4500);
	put8(&f, 0xff);
	finish(&f);
	fill(&f, 0, 60 - f.n);                  /* Ethernet padding is not payload */
	assert_int_equal(decode_exact(f.b, f.n, &d), 0);
	assert_int_equal(d.kind, DECODE_KEEPALIVE);
	assert_int_equal(d.l4_len, 1);
	assert_false(d.truncated);
	summary_is(&d, "NAT-T keepalive");
}

static void test_esp(void **state)
{
	struct fb f;
	struct decoded d;

	(void)state;
	eth(&f, 0x0800, 0, NULL);
	ipv4(&f, 50, 0, 6, 0);
	put32(&f, 0xc0ffee01);
	put32(&f, 7);
	fill(&f, 0x55, 64);
	finish(&f);
	assert_int_equal(decode_exact(f.b, f.n, &d), 0);
	assert_int_equal(d.kind, DECODE_ESP);
	assert_int_equal(d.l4_proto, 50);
	assert_false(d.has_ports);
	assert_int_equal(d.esp.spi, 0xc0ffee01);
	assert_int_equal(d.esp.seq, 7);
	assert_false(d.esp.udp_encap);
	summary_is(&d, "ESP spi 0xc0ffee01 seq 7");
	/* Cut inside the ESP header. */
	decode_exact(f.b, f.ip + 20 + 6, &d);
	assert_true(d.truncated);
	summary_is(&d, "ESP [truncated]");
	/* Cut in the encrypted data: the header is whole, nothing is missing. */
	decode_exact(f.b, f.ip + 20 + 20, &d);
	assert_false(d.truncated);
}

static void test_esp_in_udp(void **state)
{
	struct fb f;
	struct decoded d;

	(void)state;
	eth(&f, 0x0800, 0, NULL);
	ipv4(&f, 17, 0, 7, 0);
	udp(&f, 4500, 4500);
	put32(&f, 0xc0ffee02);
	put32(&f, 9);
	fill(&f, 0x55, 48);
	finish(&f);
	assert_int_equal(decode_exact(f.b, f.n, &d), 0);
	assert_int_equal(d.kind, DECODE_ESP);
	assert_true(d.esp.udp_encap);
	assert_int_equal(d.esp.spi, 0xc0ffee02);
	assert_int_equal(d.esp.seq, 9);
	summary_is(&d, "ESP spi 0xc0ffee02 seq 9");
}

/* ---- IP -------------------------------------------------------------------- */

static void test_ipv6_ext_headers(void **state)
{
	struct fb f;
	struct decoded d;

	(void)state;
	eth(&f, 0x86dd, 0, NULL);
	ipv6(&f, 0);                            /* hop-by-hop */
	ext8(&f, 60);                           /* destination options */
	ext8(&f, 44);                           /* fragment */
	frag6(&f, 17, 0, 1, 0xabcdef01);        /* first fragment */
	udp(&f, 500, 500);
	ike(&f, 41, 37, 0x08, 5, RSPI);
	notify(&f, 0, 16393, 0);                /* REKEY_SA */
	finish(&f);
	assert_int_equal(decode_exact(f.b, f.n, &d), 0);
	assert_int_equal(d.family, 6);
	assert_string_equal(d.src, "2001:db8::1");
	assert_string_equal(d.dst, "2001:db8::2");
	assert_int_equal(d.kind, DECODE_IKE);
	assert_int_equal(d.l4_proto, 17);
	assert_true(d.is_fragment);
	assert_true(d.more_fragments);
	assert_int_equal(d.frag_offset, 0);
	assert_int_equal(d.frag_id, 0xabcdef01);
	summary_is(&d, "INFORMATIONAL request (I) msgid 5 ispi 0x1a2b3c4d5e6f7081 "
		   "rspi 0x1122334455667788 first N notify REKEY_SA [first fragment id 2882400001]");
}

static void test_ipv6_later_fragment(void **state)
{
	struct fb f;
	struct decoded d;

	(void)state;
	eth(&f, 0x86dd, 0, NULL);
	ipv6(&f, 44);
	frag6(&f, 17, 1448, 0, 77);
	fill(&f, 0x11, 100);
	finish(&f);
	assert_int_equal(decode_exact(f.b, f.n, &d), 0);
	assert_int_equal(d.kind, DECODE_FRAGMENT);
	assert_false(d.has_ports);
	assert_int_equal(d.frag_offset, 1448);
	assert_int_equal(d.l4_proto, 17);
	summary_is(&d, "FRAG id 77 offset 1448 proto UDP");
}

static void test_vlan_qinq(void **state)
{
	static const uint16_t tags[] = { 0x2064, 0x00c8 };      /* PCP 1 VID 100, VID 200 */
	struct fb f;
	struct decoded d;

	(void)state;
	eth(&f, 0x0800, 2, tags);
	ipv4(&f, 17, 0, 8, 0);
	udp(&f, 500, 500);
	ike(&f, 0, 37, 0x20, 9, RSPI);
	finish(&f);
	assert_int_equal(decode_exact(f.b, f.n, &d), 0);
	assert_int_equal(d.vlan, 100);
	assert_int_equal(d.kind, DECODE_IKE);
	summary_is(&d, "INFORMATIONAL response msgid 9 ispi 0x1a2b3c4d5e6f7081 "
		   "rspi 0x1122334455667788");
	/* One tag. */
	eth(&f, 0x86dd, 1, tags + 1);
	ipv6(&f, 59);                           /* no next header */
	finish(&f);
	assert_int_equal(decode_exact(f.b, f.n, &d), 0);
	assert_int_equal(d.vlan, 200);
	summary_is(&d, "IP6 proto 59");
}

static void test_ipv4_later_fragment(void **state)
{
	struct fb f;
	struct decoded d;

	(void)state;
	eth(&f, 0x0800, 0, NULL);
	ipv4(&f, 17, 185, 4242, 0);             /* offset 185 * 8, no MF */
	fill(&f, 0x22, 200);
	finish(&f);
	assert_int_equal(decode_exact(f.b, f.n, &d), 0);
	assert_int_equal(d.kind, DECODE_FRAGMENT);
	assert_true(d.is_fragment);
	assert_false(d.more_fragments);
	assert_int_equal(d.frag_offset, 1480);
	assert_int_equal(d.frag_id, 4242);
	assert_int_equal(d.l4_len, 200);
	summary_is(&d, "FRAG id 4242 offset 1480 proto UDP");
	set16(&f, f.ip + 6, 0x2000 | 185);      /* MF */
	decode_exact(f.b, f.n, &d);
	summary_is(&d, "FRAG id 4242 offset 1480 more proto UDP");
}

/* The first fragment of a big IKE message: its end is not a cut. */
static void test_ipv4_first_fragment_not_truncated(void **state)
{
	struct fb f;
	struct decoded d;

	(void)state;
	eth(&f, 0x0800, 0, NULL);
	ipv4(&f, 17, 0x2000, 99, 0);
	udp(&f, 500, 500);
	ike(&f, 33, 34, 0x08, 0, 0);
	payload(&f, 0, 40, 0);
	finish(&f);
	set16(&f, f.udp + 4, 3000);             /* the datagram goes on in later fragments */
	set32(&f, f.ike + 24, 2992);
	set16(&f, f.ike + 28 + 2, 2964);        /* SA payload longer than this fragment */
	assert_int_equal(decode_exact(f.b, f.n, &d), 0);
	assert_int_equal(d.kind, DECODE_IKE);
	assert_false(d.truncated);
	assert_true(d.is_fragment);
	assert_int_equal(d.l4_len, 2992);
	summary_is(&d, "IKE_SA_INIT request (I) msgid 0 ispi 0x1a2b3c4d5e6f7081 rspi 0 first SA "
		   "[first fragment id 99]");
}

static void test_ipv4_options_icmp(void **state)
{
	struct fb f;
	struct decoded d;

	(void)state;
	eth(&f, 0x0800, 0, NULL);
	ipv4(&f, 1, 0, 10, 2);
	put8(&f, 8);                            /* echo request */
	put8(&f, 0);
	put16(&f, 0);
	put32(&f, 0x00010002);
	finish(&f);
	assert_int_equal(decode_exact(f.b, f.n, &d), 0);
	assert_int_equal(d.kind, DECODE_ICMP);
	assert_int_equal(d.icmp_type, 8);
	summary_is(&d, "ICMP echo request");
}

static void test_not_ip(void **state)
{
	struct fb f;
	struct decoded d;

	(void)state;
	eth(&f, 0x0806, 0, NULL);
	fill(&f, 0, 28);
	assert_int_equal(decode_exact(f.b, f.n, &d), -1);
	assert_int_equal(d.family, 0);
	assert_int_equal(d.kind, DECODE_OTHER);
	assert_int_equal(d.ethertype, 0x0806);
	summary_is(&d, "ETH type 0x0806 ARP");
}

/* ---- TCP and TLS ------------------------------------------------------------- */

static void test_tcp_syn(void **state)
{
	struct fb f;
	struct decoded d;

	(void)state;
	eth(&f, 0x0800, 0, NULL);
	ipv4(&f, 6, 0x4000, 11, 0);
	tcp(&f, 50000, 443, 1000, 0, 0x02, 3);
	finish(&f);
	assert_int_equal(decode_exact(f.b, f.n, &d), 0);
	assert_int_equal(d.kind, DECODE_TCP);
	assert_int_equal(d.tcp.flags, 0x02);
	assert_int_equal(d.tcp.seq, 1000);
	assert_int_equal(d.tcp.payload_len, 0);
	assert_int_equal(d.tcp.tls_type, 0);
	assert_int_equal(d.tcp.tls_handshake, -1);
	summary_is(&d, "TCP [S] seq 1000 len 0");
	/* Cut inside the options. */
	decode_exact(f.b, f.n - 2, &d);
	assert_true(d.truncated);
	summary_is(&d, "TCP header [truncated]");
}

static void client_hello(struct fb *f, const char *sni)
{
	size_t rec, hs, exts, n = strlen(sni);

	rec = f->n;
	put8(f, 22);
	put16(f, 0x0301);
	put16(f, 0);                            /* record length, below */
	hs = f->n;
	put8(f, 1);                             /* ClientHello */
	put8(f, 0);
	put16(f, 0);                            /* handshake length, below */
	put16(f, 0x0303);
	fill(f, 0x77, 32);                      /* random */
	put8(f, 32);
	fill(f, 0x88, 32);                      /* session id */
	put16(f, 4);
	put16(f, 0x1301);
	put16(f, 0x1302);
	put8(f, 1);
	put8(f, 0);                             /* compression: null */
	exts = f->n;
	put16(f, 0);
	put16(f, 43);                           /* supported_versions */
	put16(f, 3);
	put8(f, 2);
	put16(f, 0x0304);
	put16(f, 0);                            /* server_name */
	put16(f, (uint16_t)(n + 5));
	put16(f, (uint16_t)(n + 3));
	put8(f, 0);                             /* host_name */
	put16(f, (uint16_t)n);
	for (size_t i = 0; i < n; i++)
		put8(f, (uint8_t)sni[i]);
	put16(f, 10);                           /* supported_groups */
	put16(f, 4);
	put16(f, 2);
	put16(f, 29);
	set16(f, exts, (uint16_t)(f->n - exts - 2));
	set16(f, hs + 2, (uint16_t)(f->n - hs - 4));
	set16(f, rec + 3, (uint16_t)(f->n - rec - 5));
}

static void build_client_hello(struct fb *f, uint16_t dport)
{
	eth(f, 0x0800, 0, NULL);
	ipv4(f, 6, 0x4000, 12, 0);
	tcp(f, 50000, dport, 1, 1, 0x18, 0);
	client_hello(f, "vpn.example.com");
	finish(f);
}

/* A TCP 443 frame whose payload is text (HTTP in clear) or given bytes. */
static void build_tcp_payload(struct fb *f, const void *data, size_t n)
{
	memset(f, 0, sizeof(*f));
	eth(f, 0x0800, 0, NULL);
	ipv4(f, 6, 0x4000, 12, 0);
	tcp(f, 50000, 443, 1, 1, 0x18, 0);
	memcpy(f->b + f->n, data, n);
	f->n += n;
	finish(f);
}

/* The SSTP health check of the balancers, in clear, and its answer. */
static void test_http_in_clear(void **state)
{
	static const char req[] = "GET /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1\r\nHost: gw\r\n\r\n";
	static const char resp[] = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n";
	static const char sstp[] = "SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1\r\n";
	static const char junk[] = "GET /no-version\r\n";
	struct decoded d;
	struct fb f;

	(void)state;
	build_tcp_payload(&f, req, sizeof(req) - 1);
	decode_exact(f.b, f.n, &d);
	assert_string_equal(d.http.method, "GET");
	assert_string_equal(d.http.path, "/sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/");
	assert_int_equal(d.http.status, 0);
	build_tcp_payload(&f, resp, sizeof(resp) - 1);
	decode_exact(f.b, f.n, &d);
	assert_int_equal(d.http.status, 401);
	assert_string_equal(d.http.method, "");
	summary_is(&d, "HTTP 401 [P.] seq 1 ack 1 len 48");
	build_tcp_payload(&f, sstp, sizeof(sstp) - 1);
	decode_exact(f.b, f.n, &d);
	assert_string_equal(d.http.method, "SSTP_DUPLEX_POST");
	/* No HTTP/1.x after the path, or cut before it: not HTTP. */
	build_tcp_payload(&f, junk, sizeof(junk) - 1);
	decode_exact(f.b, f.n, &d);
	assert_string_equal(d.http.method, "");
	build_tcp_payload(&f, req, 20);
	decode_exact(f.b, f.n, &d);
	assert_string_equal(d.http.method, "");
}

/* An alert in clear (2 bytes) names its description; an encrypted one does not. */
static void test_tls_alert(void **state)
{
	static const uint8_t alert[] = { 21, 3, 3, 0, 2, 2, 40 };
	static const uint8_t encrypted[] = { 21, 3, 3, 0, 26, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
					     13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26 };
	struct decoded d;
	struct fb f;

	(void)state;
	build_tcp_payload(&f, alert, sizeof(alert));
	decode_exact(f.b, f.n, &d);
	assert_int_equal(d.tcp.tls_type, 21);
	assert_true(d.tls_alert_seen);
	assert_int_equal(d.tls_alert, 40);
	build_tcp_payload(&f, encrypted, sizeof(encrypted));
	decode_exact(f.b, f.n, &d);
	assert_false(d.tls_alert_seen);
	build_tcp_payload(&f, alert, 6);        /* cut in the description */
	decode_exact(f.b, f.n, &d);
	assert_false(d.tls_alert_seen);
}

static void test_tls_client_hello(void **state)
{
	struct fb f;
	struct decoded d;
	size_t payload;

	(void)state;
	build_client_hello(&f, 443);
	payload = f.n - f.tcp - 20;
	assert_int_equal(decode_exact(f.b, f.n, &d), 0);
	assert_int_equal(d.kind, DECODE_TCP);
	assert_int_equal(d.tcp.tls_type, 22);
	assert_int_equal(d.tcp.tls_handshake, 1);
	assert_string_equal(d.tcp.sni, "vpn.example.com");
	assert_int_equal(d.tcp.payload_len, payload);
	assert_false(d.truncated);
	char want[128];
	snprintf(want, sizeof(want),
		 "TLS Handshake ClientHello sni vpn.example.com [P.] seq 1 ack 1 len %zu", payload);
	summary_is(&d, want);
	/* Any port. */
	build_client_hello(&f, 8443);
	decode_exact(f.b, f.n, &d);
	assert_string_equal(d.tcp.sni, "vpn.example.com");
}

static void test_tls_sni_beyond_caplen(void **state)
{
	struct fb f;
	struct decoded d;
	size_t cut;

	(void)state;
	build_client_hello(&f, 443);
	cut = f.tcp + 20 + 5 + 4 + 2 + 32 + 33 + 6 + 2 + 2 + 7 + 4; /* inside server_name */
	decode_exact(f.b, cut, &d);
	assert_int_equal(d.tcp.tls_type, 22);
	assert_int_equal(d.tcp.tls_handshake, 1);
	assert_string_equal(d.tcp.sni, "");
	assert_true(d.truncated);
	assert_int_equal(d.tcp.payload_len, cut - f.tcp - 20);
	char want[128];
	snprintf(want, sizeof(want),
		 "TLS Handshake ClientHello [P.] seq 1 ack 1 len %zu [truncated]",
		 f.n - f.tcp - 20);
	summary_is(&d, want);
}

/* The same bytes, but the IP packet really ends there: a segment, not a cut. */
static void test_tls_segmented(void **state)
{
	struct fb f;
	struct decoded d;
	size_t cut;

	(void)state;
	build_client_hello(&f, 443);
	cut = f.tcp + 20 + 100;
	f.n = cut;
	finish(&f);
	decode_exact(f.b, f.n, &d);
	assert_int_equal(d.tcp.tls_handshake, 1);
	assert_string_equal(d.tcp.sni, "");
	assert_false(d.truncated);
}

static void test_tls_sni_sanitised(void **state)
{
	struct fb f;
	struct decoded d;

	(void)state;
	eth(&f, 0x0800, 0, NULL);
	ipv4(&f, 6, 0, 13, 0);
	tcp(&f, 50000, 443, 1, 1, 0x18, 0);
	client_hello(&f, "a\033[31mb\n");
	finish(&f);
	decode_exact(f.b, f.n, &d);
	assert_string_equal(d.tcp.sni, "a?[31mb?");
}

/* ---- names and lines --------------------------------------------------------- */

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(decode_ike_exchange_name(34), "IKE_SA_INIT");
	assert_string_equal(decode_ike_exchange_name(35), "IKE_AUTH");
	assert_string_equal(decode_ike_exchange_name(36), "CREATE_CHILD_SA");
	assert_string_equal(decode_ike_exchange_name(37), "INFORMATIONAL");
	assert_string_equal(decode_ike_exchange_name(43), "IKE_INTERMEDIATE");
	assert_null(decode_ike_exchange_name(42));
	assert_string_equal(decode_ike_notify_name(16388), "NAT_DETECTION_SOURCE_IP");
	assert_string_equal(decode_ike_notify_name(16389), "NAT_DETECTION_DESTINATION_IP");
	assert_string_equal(decode_ike_notify_name(16390), "COOKIE");
	assert_string_equal(decode_ike_notify_name(16430), "IKEV2_FRAGMENTATION_SUPPORTED");
	assert_string_equal(decode_ike_notify_name(16406), "REDIRECT_SUPPORTED");
	assert_string_equal(decode_ike_notify_name(16431), "SIGNATURE_HASH_ALGORITHMS");
	assert_string_equal(decode_ike_notify_name(14), "NO_PROPOSAL_CHOSEN");
	assert_string_equal(decode_ike_notify_name(24), "AUTHENTICATION_FAILED");
	assert_null(decode_ike_notify_name(0));
	assert_null(decode_ike_notify_name(40960));
}

static void test_format_line(void **state)
{
	struct decode_line l = { .ts_ns = 1700000000123456789ull, .iface = "eth1", .queue = 0,
				 .dir = DECODE_DIR_IN, .caplen = 0, .origlen = 0, .colour = 0 };
	struct fb f;
	struct decoded d;
	char buf[512];
	size_t n;

	(void)state;
	build_skf_natt(&f);
	decode_exact(f.b, f.n, &d);
	l.caplen = l.origlen = (uint32_t)f.n;
	n = decode_format_line(&l, &d, buf, sizeof(buf));
	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf, "22:13:20.123456789 eth1 q0 in  198.18.0.2:45001 > 198.18.0.1:4500 "
			    "IKE  IKE_AUTH request (I) msgid 1 ispi 0x1a2b3c4d5e6f7081 "
			    "rspi 0x1122334455667788 first SKF fragment 2/4 [NAT-T] (182 bytes)");
	/* Colour on: the label and the direction are coloured. */
	l.colour = 1;
	l.dir = DECODE_DIR_OUT;
	decode_format_line(&l, &d, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\033[36mIKE \033[0m"));
	assert_non_null(strstr(buf, "\033[35mout\033[0m"));
	/* No interface, queue or direction; a snap length shorter than the frame. */
	struct decode_line bare = { .ts_ns = 5, .queue = -1, .caplen = 40, .origlen = 82 };

	eth(&f, 0x0800, 0, NULL);
	ipv4(&f, 50, 0, 6, 0);
	put32(&f, 0xc0ffee01);
	put32(&f, 7);
	finish(&f);
	decode_exact(f.b, f.n, &d);
	decode_format_line(&bare, &d, buf, sizeof(buf));
	assert_string_equal(buf, "00:00:00.000000005 198.18.0.2 > 198.18.0.1 ESP  spi 0xc0ffee01 "
			    "seq 7 (40 of 82 bytes)");
	/* IPv6 endpoints in brackets. */
	eth(&f, 0x86dd, 0, NULL);
	ipv6(&f, 17);
	udp(&f, 53, 5353);
	fill(&f, 0, 12);
	finish(&f);
	decode_exact(f.b, f.n, &d);
	bare.caplen = bare.origlen = (uint32_t)f.n;
	decode_format_line(&bare, &d, buf, sizeof(buf));
	assert_string_equal(buf, "00:00:00.000000005 [2001:db8::1]:53 > [2001:db8::2]:5353 UDP  "
			    "len 12 (74 bytes)");
}

/* show --date: the UTC date before the time of day, the rest unchanged. */
static void test_format_line_date(void **state)
{
	struct decode_line l = { .ts_ns = 1700000000123456789ull, .queue = -1, .caplen = 40,
				 .origlen = 40, .date = 1 };
	struct fb f;
	struct decoded d;
	char buf[256];

	(void)state;
	eth(&f, 0x0800, 0, NULL);
	ipv4(&f, 50, 0, 6, 0);
	put32(&f, 0xc0ffee01);
	put32(&f, 7);
	finish(&f);
	decode_exact(f.b, f.n, &d);
	decode_format_line(&l, &d, buf, sizeof(buf));
	assert_string_equal(buf, "2023-11-14 22:13:20.123456789 198.18.0.2 > 198.18.0.1 ESP  "
			    "spi 0xc0ffee01 seq 7 (40 bytes)");
	l.ts_ns = 5;
	decode_format_line(&l, &d, buf, sizeof(buf));
	assert_int_equal(strncmp(buf, "1970-01-01 00:00:00.000000005 198.18.0.2", 40), 0);
}

static void test_small_buffers(void **state)
{
	struct decode_line l = { .queue = -1 };
	struct fb f;
	struct decoded d;
	char buf[16];

	(void)state;
	build_sa_init_request(&f);
	decode_exact(f.b, f.n, &d);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(decode_summary(&d, buf, 8), 7);
	assert_string_equal(buf, "IKE_SA_");
	assert_int_equal(decode_format_line(&l, &d, buf, sizeof(buf)), 15);
	assert_int_equal(strlen(buf), 15);
	assert_int_equal(decode_summary(&d, buf, 1), 0);
	assert_string_equal(buf, "");
	assert_int_equal(decode_summary(&d, buf, 0), 0);
}

static void test_other_linktypes(void **state)
{
	struct fb f;
	struct decoded d;
	uint8_t sll[2048];

	(void)state;
	build_skf_natt(&f);
	/* Raw IP. */
	assert_int_equal(decode_packet(101, f.b + 14, f.n - 14, &d), 0);
	assert_int_equal(d.kind, DECODE_IKE);
	assert_int_equal(d.ike.frag_num, 2);
	/* Linux cooked: 16-byte header, protocol last. */
	memset(sll, 0, 16);
	sll[14] = 0x08;
	memcpy(sll + 16, f.b + 14, f.n - 14);
	assert_int_equal(decode_packet(113, sll, f.n + 2, &d), 0);
	assert_int_equal(d.kind, DECODE_IKE);
	/* Unknown link type. */
	assert_int_equal(decode_packet(147, f.b, f.n, &d), -1);
	summary_is(&d, "LINK linktype 147");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ike_sa_init_request),
		cmocka_unit_test(test_ike_sa_init_response),
		cmocka_unit_test(test_ike_error_notify),
		cmocka_unit_test(test_ike_auth_sk),
		cmocka_unit_test(test_ike_skf_natt),
		cmocka_unit_test(test_ikev1),
		cmocka_unit_test(test_ike_truncated_everywhere),
		cmocka_unit_test(test_ike_cut_summaries),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_esp),
		cmocka_unit_test(test_esp_in_udp),
		cmocka_unit_test(test_ipv6_ext_headers),
		cmocka_unit_test(test_ipv6_later_fragment),
		cmocka_unit_test(test_vlan_qinq),
		cmocka_unit_test(test_ipv4_later_fragment),
		cmocka_unit_test(test_ipv4_first_fragment_not_truncated),
		cmocka_unit_test(test_ipv4_options_icmp),
		cmocka_unit_test(test_not_ip),
		cmocka_unit_test(test_tcp_syn),
		cmocka_unit_test(test_tls_client_hello),
		cmocka_unit_test(test_http_in_clear),
		cmocka_unit_test(test_tls_alert),
		cmocka_unit_test(test_tls_sni_beyond_caplen),
		cmocka_unit_test(test_tls_segmented),
		cmocka_unit_test(test_tls_sni_sanitised),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_format_line),
		cmocka_unit_test(test_format_line_date),
		cmocka_unit_test(test_small_buffers),
		cmocka_unit_test(test_other_linktypes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
