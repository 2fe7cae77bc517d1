/* SPDX-License-Identifier: MIT */
/* tl_map.h: the timeline's hash map, open addressing over fixed-size
 * entries keyed by their first two or three 64-bit words (the first never
 * 0: a pid), with removal (backward shift, no tombstones), so that the
 * map holds only what is live: channels not yet freed, tickets released
 * and not yet acquired. */
#ifndef WEFT_REPORTS_TL_MAP_H
#define WEFT_REPORTS_TL_MAP_H

#include <stddef.h>
#include <stdint.h>

struct weft__tl_map {
    unsigned char *e;
    size_t size, nkey, cap, n;
};

/* The entry with key; NULL when there is none, or with create a new
 * zeroed one holding the key (NULL only when out of memory). Valid until
 * the next create or remove. */
void *weft__tl_map_get(struct weft__tl_map *m, const uint64_t *key, int create);
/* Removes the entry with key, if any. */
void weft__tl_map_remove(struct weft__tl_map *m, const uint64_t *key);
void weft__tl_map_free(struct weft__tl_map *m);

#endif
