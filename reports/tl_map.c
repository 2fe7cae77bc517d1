/* SPDX-License-Identifier: MIT */
/* tl_map.c: the timeline's hash map (tl_map.h). Linear probing; it grows
 * at half full; a removal shifts the entries after it back into the hole,
 * so lookups never cross stale slots and the map stays as small as what
 * it holds. */
#include "tl_map.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash(const uint64_t *k, size_t n) {
    uint64_t h = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < n; i++) {
        h ^= k[i] + 0x9e3779b97f4a7c15u + (h << 6) + (h >> 2);
        h *= 0xff51afd7ed558ccdu;
    }
    return h ^ (h >> 31);
}

static uint64_t *slot(const struct weft__tl_map *m, size_t i) {
    return (uint64_t *)(void *)(m->e + i * m->size);
}

static int grow(struct weft__tl_map *m) {
    size_t ncap = m->cap ? m->cap * 2 : 64;
    unsigned char *ne = calloc(ncap, m->size);
    if (!ne)
        return -1;
    struct weft__tl_map old = *m;
    m->e = ne;
    m->cap = ncap;
    m->n = 0;
    for (size_t i = 0; i < old.cap; i++) {
        uint64_t *s = slot(&old, i);
        if (s[0]) {
            void *d = weft__tl_map_get(m, s, 1);
            memcpy(d, s, m->size);
        }
    }
    free(old.e);
    return 0;
}

void *weft__tl_map_get(struct weft__tl_map *m, const uint64_t *key, int create) {
    if (m->cap) {
        size_t i = hash(key, m->nkey) & (m->cap - 1);
        for (;;) {
            uint64_t *s = slot(m, i);
            if (!s[0])
                break;
            if (!memcmp(s, key, m->nkey * sizeof *key))
                return s;
            i = (i + 1) & (m->cap - 1);
        }
    }
    if (!create)
        return NULL;
    if ((m->n + 1) * 2 > m->cap && grow(m) != 0)
        return NULL;
    size_t i = hash(key, m->nkey) & (m->cap - 1);
    while (slot(m, i)[0])
        i = (i + 1) & (m->cap - 1);
    uint64_t *s = slot(m, i);
    memset(s, 0, m->size);
    memcpy(s, key, m->nkey * sizeof *key);
    m->n++;
    return s;
}

void weft__tl_map_remove(struct weft__tl_map *m, const uint64_t *key) {
    uint64_t *s = weft__tl_map_get(m, key, 0);
    if (!s)
        return;
    size_t mask = m->cap - 1;
    size_t hole = (size_t)((unsigned char *)s - m->e) / m->size;
    size_t i = hole;
    for (;;) {
        i = (i + 1) & mask;
        uint64_t *c = slot(m, i);
        if (!c[0])
            break;
        /* c may move into the hole unless its home lies cyclically in
         * (hole, i]: then the hole is not on its probe path. */
        size_t home = hash(c, m->nkey) & mask;
        int stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (stays)
            continue;
        memcpy(slot(m, hole), c, m->size);
        hole = i;
    }
    memset(slot(m, hole), 0, m->size);
    m->n--;
}

void weft__tl_map_free(struct weft__tl_map *m) {
    free(m->e);
    m->e = NULL;
    m->cap = m->n = 0;
}
