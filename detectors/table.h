/* SPDX-License-Identifier: MIT */
/* table.h: the detectors' hash table: open addressing over fixed-size
 * entries whose leading nkey 64-bit words are their key. An entry whose
 * first key word is 0 is a free slot, so no key starts with 0 (object ids,
 * pids and trace thread ids start at 1). It grows at half full; entries
 * can be removed (the probe chains are mended, no tombstones), so a table
 * of what is in flight stays as small as what is in flight.
 * Per-object, per-channel and per-ticket state of a run. */
#ifndef WEFT_DETECTORS_TABLE_H
#define WEFT_DETECTORS_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct weft__table {
    unsigned char *e;
    size_t size, nkey, cap, n;
};
/* An empty table of entries of type, keyed by their first nkey words. */
#define WEFT__TABLE(type, nkey)                                                                    \
    { NULL, sizeof(type), (nkey), 0, 0 }

/* The entry with key (nkey words); NULL when there is none, or with
 * create a new zeroed entry holding the key (NULL only when out of
 * memory). The pointer holds until the next create. */
void *weft__table_get(struct weft__table *t, const uint64_t *key, int create);
/* Removes the entry with key, if any. Moves other entries (pointers into
 * the table do not hold across it). */
void weft__table_del(struct weft__table *t, const uint64_t *key);
/* Slot i (0 <= i < t->cap): its entry, or NULL when free (to walk them). */
void *weft__table_at(const struct weft__table *t, size_t i);
void weft__table_free(struct weft__table *t);

#endif
