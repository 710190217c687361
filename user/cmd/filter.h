/* SPDX-License-Identifier: GPL-2.0-only */
/* `vpncap filter add|list|remove`. */
#ifndef VPNCAP_CMD_FILTER_H
#define VPNCAP_CMD_FILTER_H

/*
 * Hits of a running capture: each capture keeps a file ending ".hits" in
 * DIR, with one line "NAME HITS" (decimal) per rule; `filter list` sums
 * the lines of every such file by name. DIR is FILTERS_HITS_DIR;
 * filters_set_hits_dir changes it (tests), NULL restores it.
 */
void filters_set_hits_dir(const char *dir);

/*
 * Whether `filter list` reads hits live from the classifiers in the kernel
 * (the default, 1) before the .hits files; tests turn it off so a capture
 * running on the machine never counts.
 */
void filters_set_live_hits(int on);


#endif /* VPNCAP_CMD_FILTER_H */
