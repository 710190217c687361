/* SPDX-License-Identifier: GPL-2.0-only */
/* JSON output shared by the commands with --json (list, counters, report). */
#ifndef VPNCAP_JSON_H
#define VPNCAP_JSON_H

#include <stdio.h>

/* s as a JSON string, quoted and escaped; NULL as null. */
void json_string(FILE *f, const char *s);

#endif /* VPNCAP_JSON_H */
