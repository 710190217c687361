// SPDX-License-Identifier: GPL-2.0-only
/*
 * SipHash-2-4, written from the paper (J.-P. Aumasson, D. J. Bernstein,
 * "SipHash: a fast short-input PRF", 2012) and checked against the test
 * vector of its appendix and of the reference implementation
 * (github.com/veorq/SipHash, CC0): tests/unit/test_siphash.c.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "siphash.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND(v0, v1, v2, v3)                                                 \
	do {                                                                     \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);        \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                           \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                           \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);        \
	} while (0)

/* Little-endian 64-bit word, whatever the host. */
static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len)
{
	const uint8_t *p = data, *end = p + (len & ~(size_t)7);
	uint64_t v0 = 0x736f6d6570736575ULL ^ key->k0, v1 = 0x646f72616e646f6dULL ^ key->k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ key->k0, v3 = 0x7465646279746573ULL ^ key->k1;
	uint64_t m, b = (uint64_t)len << 56;
	size_t left = len & 7;

	for (; p != end; p += 8) {
		m = le64(p);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	while (left--)
		b |= (uint64_t)p[left] << (8 * left);
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

void siphash_key_random(struct siphash_key *key)
{
	uint8_t *p = (uint8_t *)key;
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(*key)) {
		n = getrandom(p + got, sizeof(*key) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < sizeof(*key)) {
		/*
		 * getrandom() fails only on kernels older than 3.17, where
		 * vpncap does not run; a report should not fail for it, so the
		 * key is still different for every run, if guessable.
		 */
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		key->k0 ^= (uint64_t)ts.tv_nsec << 32 ^ (uint64_t)ts.tv_sec ^ (uint64_t)getpid();
		key->k1 ^= (uint64_t)(uintptr_t)&ts ^ 0x9e3779b97f4a7c15ULL;
	}
}
