/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Sizes and durations as operators write them: "256M", "1G", "15m", "1h".
 * Pure parsing, shared by the command line and the configuration file.
 */
#ifndef VPNCAP_UNITS_H
#define VPNCAP_UNITS_H

#include <stdint.h>

/*
 * Bytes: a whole number with an optional binary suffix k/K, M, G, T (powers
 * of 1024), optionally followed by "B" or "iB" ("256M", "256MiB", "4096").
 * 0 on success, -1 on anything else (sign, fraction, junk, overflow).
 */
int parse_size(const char *s, uint64_t *bytes);

/*
 * Duration: a whole number with a unit ms, s, m, h or d ("500ms", "30s",
 * "15m", "1h", "1d"); a bare number is seconds. 0 on success, -1 otherwise
 * (sign, fraction, junk, overflow).
 */
int parse_duration(const char *s, uint64_t *ms);

#endif /* VPNCAP_UNITS_H */
