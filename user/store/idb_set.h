/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The interface descriptions (IDBs) a file starts with, as one immutable,
 * reference-counted object. The capture session builds a new set whenever
 * what the headers say changes (a reload, a filter change, --mode auto
 * switching to inline) and hands it to the writer; the file set keeps a
 * reference to the set its current file was started with. Nobody ever
 * changes a set, so a set in use can never be half rewritten, however close
 * together two changes come. References may be taken and dropped on any
 * thread.
 */
#ifndef VPNCAP_STORE_IDB_SET_H
#define VPNCAP_STORE_IDB_SET_H

#include "pcapng.h"

struct idb_set;

/* A set holding copies of n IDBs and of every string they point to; NULL without memory. */
struct idb_set *idb_set_new(const struct pcapng_idb_info *idbs, unsigned int n);

/* Another reference to set (NULL is passed through). */
struct idb_set *idb_set_ref(struct idb_set *set);

/* Drop a reference; the last one frees the set. NULL is ignored. */
void idb_set_unref(struct idb_set *set);

unsigned int idb_set_count(const struct idb_set *set);
const struct pcapng_idb_info *idb_set_at(const struct idb_set *set, unsigned int i);

/*
 * 1 when set is old with more interfaces after its own, each of old's the
 * same: an interface that appeared while capturing (-i any). A file may
 * then take the new IDBs where it stands (PCAPNG lets IDBs come anywhere in
 * a section) instead of a new file. 0 otherwise, and for NULL.
 */
int idb_set_extends(const struct idb_set *set, const struct idb_set *old);

#endif /* VPNCAP_STORE_IDB_SET_H */
