/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed hash for tables whose
 * keys come from outside (addresses, SPIs, ports in a capture file). With a
 * random key nobody can compute which keys share a bucket, so crafted
 * traffic cannot turn a table into one long chain.
 */
#ifndef VPNCAP_SIPHASH_H
#define VPNCAP_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct siphash_key {
	uint64_t k0, k1;
};

uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len);

/* A key from getrandom(): a new one for every run. */
void siphash_key_random(struct siphash_key *key);

#endif /* VPNCAP_SIPHASH_H */
