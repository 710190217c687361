// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the file set names: tags, formatting, strict parsing (a
 * name is a member only when it matches exactly, for the same tag, since
 * retention deletes members) and the epoch-aligned rotation boundaries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "store/fileset_name.h"

#define NS 1000000000ull
#define T_20261127_101500 1795774500ll /* 2026-11-27 10:15:00 UTC */

static const enum fileset_kind all_kinds[] = {
	FILESET_COMPLETE, FILESET_PART, FILESET_GZIP, FILESET_ZSTD,
};
#define N_KINDS (sizeof(all_kinds) / sizeof(all_kinds[0]))

/* ---------------------------------------------------------------------- */
/* fileset_make_tag                                                        */
/* ---------------------------------------------------------------------- */

static void test_tag_one_and_two(void **state)
{
	const char *one[] = { "eth0" };
	const char *two[] = { "eth0", "eth1" };
	char buf[FILESET_TAG_MAX];

	(void)state;
	assert_int_equal(fileset_make_tag(buf, sizeof(buf), one, 1), 0);
	assert_string_equal(buf, "eth0");
	assert_int_equal(fileset_make_tag(buf, sizeof(buf), two, 2), 0);
	assert_string_equal(buf, "eth0+eth1");
}

static void test_tag_allowed_chars(void **state)
{
	const char *names[] = { "vlan.100", "br-lan", "eth0@if3", "ip:x", "A_z9" };
	char buf[FILESET_TAG_MAX];

	(void)state;
	assert_int_equal(fileset_make_tag(buf, sizeof(buf), names, 5), 0);
	assert_string_equal(buf, "vlan.100+br-lan+eth0@if3+ip:x+A_z9");
}

static void test_tag_sixteen(void **state)
{
	char names[16][8], want[FILESET_TAG_MAX] = "", buf[FILESET_TAG_MAX];
	const char *ifaces[16];
	unsigned int i;

	(void)state;
	for (i = 0; i < 16; i++) {
		snprintf(names[i], sizeof(names[i]), "eth%u", i);
		ifaces[i] = names[i];
		if (i)
			strcat(want, "+");
		strcat(want, names[i]);
	}
	assert_int_equal(fileset_make_tag(buf, sizeof(buf), ifaces, 16), 0);
	assert_string_equal(buf, want);
	assert_string_equal(buf + strlen(buf) - 11, "eth14+eth15");
}

static void test_tag_overflow(void **state)
{
	const char *two[] = { "eth0", "eth1" };
	const char *longs[16];
	char buf[FILESET_TAG_MAX];
	unsigned int i;

	(void)state;
	/* "eth0+eth1" needs 10 bytes with the NUL: exactly fits, one less fails. */
	assert_int_equal(fileset_make_tag(buf, 10, two, 2), 0);
	assert_string_equal(buf, "eth0+eth1");
	assert_int_equal(fileset_make_tag(buf, 9, two, 2), -1);
	assert_string_equal(buf, ""); /* no truncated tag left behind */
	assert_int_equal(fileset_make_tag(buf, 5, two, 1), 0);
	assert_int_equal(fileset_make_tag(buf, 4, two, 1), -1);
	assert_int_equal(fileset_make_tag(buf, 0, two, 1), -1);
	/* 16 names of 15 characters: 255 bytes, more than FILESET_TAG_MAX. */
	for (i = 0; i < 16; i++)
		longs[i] = "abcdefghijklmno";
	assert_int_equal(fileset_make_tag(buf, sizeof(buf), longs, 16), -1);
	assert_string_equal(buf, "");
}

static void test_tag_bad_names(void **state)
{
	static const char *const bad[] = {
		"", "a/b", "/", "a+b", "a b", " eth0", "eth0\t", "eth\n0", "\x01",
		"\x7f", "eth0*", "eth0?", "e\\0", "\xc3\xa9th0", "eth0%", "eth0~",
	};
	char buf[FILESET_TAG_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *pair[] = { "eth0", bad[i] };

		if (fileset_make_tag(buf, sizeof(buf), pair, 2) != -1)
			fail_msg("accepted interface name \"%s\"", bad[i]);
		assert_string_equal(buf, "");
	}
	assert_int_equal(fileset_make_tag(buf, sizeof(buf), (const char *[]){ NULL }, 1), -1);
	assert_int_equal(fileset_make_tag(buf, sizeof(buf), (const char *[]){ "eth0" }, 0), -1);
}

/* ---------------------------------------------------------------------- */
/* fileset_format_name                                                     */
/* ---------------------------------------------------------------------- */

static void format_is(const char *tag, int64_t start, uint64_t seq,
		      enum fileset_kind kind, const char *want)
{
	char buf[256];
	int n = fileset_format_name(buf, sizeof(buf), tag, start, seq, kind);

	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(buf, want);
}

static void test_format_kinds(void **state)
{
	(void)state;
	format_is("eth0", T_20261127_101500, 42, FILESET_COMPLETE,
		  "vpncap-eth0-20261127T101500Z-000042.pcapng");
	format_is("eth0", T_20261127_101500, 42, FILESET_PART,
		  "vpncap-eth0-20261127T101500Z-000042.pcapng.part");
	format_is("eth0", T_20261127_101500, 42, FILESET_GZIP,
		  "vpncap-eth0-20261127T101500Z-000042.pcapng.gz");
	format_is("eth0+eth1", T_20261127_101500, 42, FILESET_ZSTD,
		  "vpncap-eth0+eth1-20261127T101500Z-000042.pcapng.zst");
}

static void test_format_seq_and_time(void **state)
{
	(void)state;
	format_is("e", 0, 0, FILESET_COMPLETE, "vpncap-e-19700101T000000Z-000000.pcapng");
	format_is("e", 0, 999999, FILESET_COMPLETE, "vpncap-e-19700101T000000Z-999999.pcapng");
	format_is("e", 0, 1000000, FILESET_COMPLETE, "vpncap-e-19700101T000000Z-1000000.pcapng");
	format_is("e", 0, UINT64_MAX, FILESET_COMPLETE,
		  "vpncap-e-19700101T000000Z-18446744073709551615.pcapng");
	format_is("e", 1709251199, 1, FILESET_COMPLETE, "vpncap-e-20240229T235959Z-000001.pcapng");
	format_is("e", 253402300799ll, 1, FILESET_COMPLETE,
		  "vpncap-e-99991231T235959Z-000001.pcapng");
	format_is("e", -62167219200ll, 1, FILESET_COMPLETE,
		  "vpncap-e-00000101T000000Z-000001.pcapng");
}

static void test_format_errors(void **state)
{
	char buf[16];
	int n;

	(void)state;
	/* Like snprintf: the full length comes back, the output is truncated. */
	n = fileset_format_name(buf, sizeof(buf), "eth0", 0, 1, FILESET_COMPLETE);
	assert_int_equal(n, (int)strlen("vpncap-eth0-19700101T000000Z-000001.pcapng"));
	assert_string_equal(buf, "vpncap-eth0-197");
	assert_int_equal(fileset_format_name(NULL, 0, "eth0", 0, 1, FILESET_COMPLETE), n);
	/* Not a kind, or a year that does not fit the fixed-width stamp. */
	assert_int_equal(fileset_format_name(buf, sizeof(buf), "eth0", 0, 1, 0), -1);
	assert_int_equal(fileset_format_name(buf, sizeof(buf), "eth0", 0, 1, 99), -1);
	assert_int_equal(fileset_format_name(buf, sizeof(buf), "eth0", 253402300800ll, 1,
					     FILESET_COMPLETE), -1);
	assert_int_equal(fileset_format_name(buf, sizeof(buf), "eth0", -62167219201ll, 1,
					     FILESET_COMPLETE), -1);
	assert_int_equal(fileset_format_name(buf, sizeof(buf), "eth0", INT64_MAX, 1,
					     FILESET_COMPLETE), -1);
}

/* ---------------------------------------------------------------------- */
/* fileset_parse_name                                                      */
/* ---------------------------------------------------------------------- */

static void parse_ok(const char *name, const char *tag, uint64_t seq, int64_t start,
		     enum fileset_kind kind)
{
	struct fileset_name out = { 0 };

	if (fileset_parse_name(name, tag, &out) != 1)
		fail_msg("\"%s\" not a member of \"%s\"", name, tag);
	assert_int_equal(out.seq, seq);
	assert_int_equal(out.start_sec, start);
	assert_int_equal(out.kind, kind);
}

static void not_member(const char *name, const char *tag)
{
	struct fileset_name out = { 7, 7, FILESET_ZSTD };

	if (fileset_parse_name(name, tag, &out) != 0)
		fail_msg("\"%s\" taken as a member of \"%s\"", name, tag);
	/* out untouched */
	assert_int_equal(out.seq, 7);
	assert_int_equal(out.start_sec, 7);
}

static void test_round_trip(void **state)
{
	static const uint64_t seqs[] = { 0, 1, 999999, 1000000, 123456789, UINT64_MAX };
	static const int64_t starts[] = {
		0, T_20261127_101500, 1709251199, 253402300799ll, -62167219200ll, 951782400,
	};
	static const char *const tags[] = { "eth0", "eth0+eth1", "br-lan", "a.b@c:d" };
	size_t k, s, t, g;

	(void)state;
	for (g = 0; g < sizeof(tags) / sizeof(tags[0]); g++)
		for (k = 0; k < N_KINDS; k++)
			for (s = 0; s < sizeof(seqs) / sizeof(seqs[0]); s++)
				for (t = 0; t < sizeof(starts) / sizeof(starts[0]); t++) {
					char buf[256];

					assert_true(fileset_format_name(buf, sizeof(buf), tags[g],
									starts[t], seqs[s],
									all_kinds[k]) > 0);
					parse_ok(buf, tags[g], seqs[s], starts[t], all_kinds[k]);
				}
}

static void test_parse_known(void **state)
{
	(void)state;
	parse_ok("vpncap-eth0-20261127T101500Z-000042.pcapng", "eth0", 42,
		 T_20261127_101500, FILESET_COMPLETE);
	parse_ok("vpncap-eth0-20240229T235959Z-000001.pcapng.part", "eth0", 1, 1709251199,
		 FILESET_PART);
	/* 2000 is a leap year (divisible by 400). */
	parse_ok("vpncap-eth0-20000229T000000Z-000001.pcapng.gz", "eth0", 1, 951782400,
		 FILESET_GZIP);
	/* More than six digits, leading zeros included, as long as it fits u64. */
	parse_ok("vpncap-eth0-19700101T000000Z-0000001.pcapng.zst", "eth0", 1, 0, FILESET_ZSTD);
	parse_ok("vpncap-eth0-19700101T000000Z-18446744073709551615.pcapng", "eth0",
		 UINT64_MAX, 0, FILESET_COMPLETE);
	/* A tag may itself contain '-': the prefix is matched literally. */
	parse_ok("vpncap-br-lan-19700101T000000Z-000000.pcapng", "br-lan", 0, 0,
		 FILESET_COMPLETE);
	/* out may be NULL: membership test only. */
	assert_int_equal(fileset_parse_name("vpncap-e-19700101T000000Z-000000.pcapng", "e",
					    NULL), 1);
}

static void test_parse_other_tag(void **state)
{
	(void)state;
	not_member("vpncap-eth0+eth1-20261127T101500Z-000042.pcapng", "eth0");
	not_member("vpncap-eth01-20261127T101500Z-000042.pcapng", "eth0");
	not_member("vpncap-eth0-20261127T101500Z-000042.pcapng", "eth01");
	not_member("vpncap-eth0-20261127T101500Z-000042.pcapng", "eth0+eth1");
	not_member("vpncap-eth0-20261127T101500Z-000042.pcapng", "eth");
	not_member("vpncap-eth0-20261127T101500Z-000042.pcapng", "Eth0");
	not_member("vpncap-eth1+eth0-20261127T101500Z-000042.pcapng", "eth0+eth1");
	not_member("vpncap-eth0-x-20261127T101500Z-000042.pcapng", "eth0");
	not_member("vpncap-br-20261127T101500Z-000042.pcapng", "br-lan");
	not_member("vpncap-br-lan-20261127T101500Z-000042.pcapng", "br");
	not_member("vpncap-eth0-20261127T101500Z-000042.pcapng", "");
	not_member("vpncap--20261127T101500Z-000042.pcapng", "");
}

static void test_parse_extra_chars(void **state)
{
	static const char *const bad[] = {
		"",
		"vpncap-eth0",
		"vpncap-eth0-",
		"vpncap-eth0-20261127T101500Z",
		"vpncap-eth0-20261127T101500Z-",
		"vpncap-eth0-20261127T101500Z-000042",
		"xvpncap-eth0-20261127T101500Z-000042.pcapng",
		" vpncap-eth0-20261127T101500Z-000042.pcapng",
		"Vpncap-eth0-20261127T101500Z-000042.pcapng",
		"vpncap_eth0-20261127T101500Z-000042.pcapng",
		"vpncap-eth0_20261127T101500Z-000042.pcapng",
		"vpncap-eth0-20261127T101500Z_000042.pcapng",
		"vpncap-eth0--20261127T101500Z-000042.pcapng",
		"vpncap-eth0-20261127T101500Z--000042.pcapng",
		"vpncap-eth0-20261127T101500Z-000042.pcapng ",
		"vpncap-eth0-20261127T101500Z-000042.pcapng~",
		"vpncap-eth0-20261127T101500Z-000042.pcapng.1",
		"vpncap-eth0-20261127T101500Z-000042.pcapng.part.gz",
		"vpncap-eth0-20261127T101500Z-000042.pcapng.gz.part",
		"vpncap-eth0-20261127T101500Z-000042.pcapng.zst.tmp",
		"vpncap-eth0-20261127T101500Z-000042.pcapng/",
		"vpncap-eth0-20261127T101500Z-000042x.pcapng",
		"vpncap-eth0-20261127T101500Z-000042.pcapng.pcapng",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		not_member(bad[i], "eth0");
	not_member(NULL, "eth0");
	not_member("vpncap-eth0-20261127T101500Z-000042.pcapng", NULL);
}

static void test_parse_wrong_suffix(void **state)
{
	static const char *const bad[] = {
		"vpncap-eth0-20261127T101500Z-000042",
		"vpncap-eth0-20261127T101500Z-000042.",
		"vpncap-eth0-20261127T101500Z-000042.pcap",
		"vpncap-eth0-20261127T101500Z-000042.pcapn",
		"vpncap-eth0-20261127T101500Z-000042.PCAPNG",
		"vpncap-eth0-20261127T101500Z-000042.pcapng.",
		"vpncap-eth0-20261127T101500Z-000042.pcapng.bz2",
		"vpncap-eth0-20261127T101500Z-000042.pcapng.xz",
		"vpncap-eth0-20261127T101500Z-000042.pcapng.zstd",
		"vpncap-eth0-20261127T101500Z-000042.pcapng.par",
		"vpncap-eth0-20261127T101500Z-000042.pcapng.g",
		"vpncap-eth0-20261127T101500Z-000042.gz",
		"vpncap-eth0-20261127T101500Z-000042.part",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		not_member(bad[i], "eth0");
}

static void test_parse_bad_stamp(void **state)
{
	static const char *const bad_stamps[] = {
		"20261327T101500Z", /* month 13 */
		"20260027T101500Z", /* month 0 */
		"20261100T101500Z", /* day 0 */
		"20261131T101500Z", /* 31 Nov */
		"20260132T101500Z", /* 32 Jan */
		"20260230T101500Z", /* 30 Feb */
		"20230229T101500Z", /* not a leap year */
		"21000229T101500Z", /* century, not a leap year */
		"20261127T241500Z", /* hour 24 */
		"20261127T106000Z", /* minute 60 */
		"20261127T101560Z", /* leap second */
		"2026112TT101500Z",
		"2026-1127T101500Z",
		"20261127t101500Z",
		"20261127T101500z",
		"20261127 101500Z",
		"20261127T101500",
		"20261127T10150Z",
		"2026112T101500Z",
		"202611270101500Z",
		"20261127T101500ZZ",
		"+0261127T101500Z",
		"20261127T1015+0Z",
		"20261127T101500Y",
		"20261127X101500Z",
	};
	char name[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_stamps) / sizeof(bad_stamps[0]); i++) {
		snprintf(name, sizeof(name), "vpncap-eth0-%s-000042.pcapng", bad_stamps[i]);
		not_member(name, "eth0");
	}
}

static void test_parse_bad_seq(void **state)
{
	static const char *const bad[] = {
		"vpncap-eth0-20261127T101500Z-00042.pcapng",   /* five digits */
		"vpncap-eth0-20261127T101500Z-1.pcapng",
		"vpncap-eth0-20261127T101500Z-.pcapng",
		"vpncap-eth0-20261127T101500Z-+000042.pcapng",
		"vpncap-eth0-20261127T101500Z--000042.pcapng",
		"vpncap-eth0-20261127T101500Z- 000042.pcapng",
		"vpncap-eth0-20261127T101500Z-0000x42.pcapng",
		"vpncap-eth0-20261127T101500Z-0x0042.pcapng",
		"vpncap-eth0-20261127T101500Z-18446744073709551616.pcapng",
		"vpncap-eth0-20261127T101500Z-99999999999999999999.pcapng",
		/* Leading zeros do not overflow, but the 'x' still disqualifies. */
		("vpncap-eth0-20261127T101500Z-000000000000000000000000000000000000000000"
		 "000000000000000000000000000000000000000000000000000000000000000000000001x.pcapng"),
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		not_member(bad[i], "eth0");
}

/* ---------------------------------------------------------------------- */
/* fileset_next_boundary                                                   */
/* ---------------------------------------------------------------------- */

static void test_boundary_hour(void **state)
{
	const uint64_t h = 3600 * NS;
	uint64_t now = (uint64_t)T_20261127_101500 * NS + 123456789; /* 10:15:00.12 */

	(void)state;
	/* 11:00:00 the same day */
	assert_int_equal(fileset_next_boundary(now, h), (uint64_t)(T_20261127_101500 + 2700) * NS);
	assert_int_equal(fileset_next_boundary(now, h) % h, 0);
	/* On the hour exactly: the next one, a full period later. */
	now = (uint64_t)(T_20261127_101500 - 900) * NS;
	assert_int_equal(fileset_next_boundary(now, h), now + h);
	/* A nanosecond before the hour: the hour. */
	assert_int_equal(fileset_next_boundary(now - 1, h), now);
}

static void test_boundary_quarter(void **state)
{
	const uint64_t q = 900 * NS;
	const uint64_t t0 = (uint64_t)T_20261127_101500 * NS; /* 10:15:00 */

	(void)state;
	assert_int_equal(fileset_next_boundary(t0, q), t0 + q);          /* 10:30 */
	assert_int_equal(fileset_next_boundary(t0 + 1, q), t0 + q);
	assert_int_equal(fileset_next_boundary(t0 + q - 1, q), t0 + q);
	assert_int_equal(fileset_next_boundary(t0 + q, q), t0 + 2 * q);  /* 10:45 */
	assert_int_equal(fileset_next_boundary(t0 + 2 * q + 5, q), t0 + 3 * q); /* 11:00 */
}

static void test_boundary_two_seconds(void **state)
{
	const uint64_t p = 2 * NS;

	(void)state;
	assert_int_equal(fileset_next_boundary(0, p), p);
	assert_int_equal(fileset_next_boundary(1, p), p);
	assert_int_equal(fileset_next_boundary(NS, p), p);
	assert_int_equal(fileset_next_boundary(p - 1, p), p);
	assert_int_equal(fileset_next_boundary(p, p), 2 * p);
	assert_int_equal(fileset_next_boundary(3 * NS, p), 4 * NS);
	assert_int_equal(fileset_next_boundary(1, 1), 2);
}

static void test_boundary_limits(void **state)
{
	const uint64_t h = 3600 * NS;
	uint64_t last = (UINT64_MAX / h) * h;

	(void)state;
	assert_int_equal(fileset_next_boundary(last - 1, h), last);
	/* No boundary after the last one fits u64: saturate, never wrap back. */
	assert_int_equal(fileset_next_boundary(last, h), UINT64_MAX);
	assert_int_equal(fileset_next_boundary(UINT64_MAX, h), UINT64_MAX);
	assert_int_equal(fileset_next_boundary(UINT64_MAX - 1, UINT64_MAX), UINT64_MAX);
	assert_int_equal(fileset_next_boundary(UINT64_MAX, UINT64_MAX), UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tag_one_and_two),
		cmocka_unit_test(test_tag_allowed_chars),
		cmocka_unit_test(test_tag_sixteen),
		cmocka_unit_test(test_tag_overflow),
		cmocka_unit_test(test_tag_bad_names),
		cmocka_unit_test(test_format_kinds),
		cmocka_unit_test(test_format_seq_and_time),
		cmocka_unit_test(test_format_errors),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_parse_known),
		cmocka_unit_test(test_parse_other_tag),
		cmocka_unit_test(test_parse_extra_chars),
		cmocka_unit_test(test_parse_wrong_suffix),
		cmocka_unit_test(test_parse_bad_stamp),
		cmocka_unit_test(test_parse_bad_seq),
		cmocka_unit_test(test_boundary_hour),
		cmocka_unit_test(test_boundary_quarter),
		cmocka_unit_test(test_boundary_two_seconds),
		cmocka_unit_test(test_boundary_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
