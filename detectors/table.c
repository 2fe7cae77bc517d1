/* SPDX-License-Identifier: MIT */
/* table.c: the detectors' open-addressing hash table (table.h). */
#include "table.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash(const uint64_t *k, size_t n) {
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < n; i++) {
        h ^= k[i] + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
        h *= 0xbf58476d1ce4e5b9ull;
    }
    return h ^ (h >> 31);
}

static uint64_t *slot(const struct weft__table *t, size_t i) {
    return (uint64_t *)(void *)(t->e + i * t->size);
}

/* Keys are one to a few words: compared here word by word, which costs
 * less than a call to memcmp for each slot probed (memcmp was 5% of an
 * ingest's time, every lock and unlock of a traced program looking up
 * its mutex in the engine's and the detectors' tables). */
static int same(const uint64_t *a, const uint64_t *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

/* Where key (n words) is, or the free slot where it would go. */
static inline __attribute__((always_inline)) size_t find_n(const struct weft__table *t,
                                                           const uint64_t *key, size_t n) {
    size_t i = hash(key, n) & (t->cap - 1);
    for (uint64_t *s; (s = slot(t, i))[0]; i = (i + 1) & (t->cap - 1))
        if (same(s, key, n))
            break;
    return i;
}

/* The usual key sizes get a copy of their own, the loops over the key's
 * words unrolled: every lock and unlock of a traced program looks its
 * mutex up in several tables. */
static size_t find(const struct weft__table *t, const uint64_t *key) {
    switch (t->nkey) {
    case 1:
        return find_n(t, key, 1);
    case 2:
        return find_n(t, key, 2);
    case 3:
        return find_n(t, key, 3);
    default:
        return find_n(t, key, t->nkey);
    }
}

static int grow(struct weft__table *t) {
    struct weft__table n = *t;
    n.cap = t->cap ? t->cap * 2 : 256;
    n.e = calloc(n.cap, t->size);
    if (!n.e)
        return -1;
    for (size_t i = 0; i < t->cap; i++)
        if (slot(t, i)[0])
            memcpy(slot(&n, find(&n, slot(t, i))), slot(t, i), t->size);
    free(t->e);
    *t = n;
    return 0;
}

void *weft__table_get(struct weft__table *t, const uint64_t *key, int create) {
    if (create && (t->n + 1) * 2 > t->cap && grow(t) != 0)
        return NULL;
    if (!t->cap)
        return NULL;
    uint64_t *s = slot(t, find(t, key));
    if (s[0])
        return s;
    if (!create)
        return NULL;
    memcpy(s, key, t->nkey * sizeof *key);
    t->n++;
    return s;
}

void weft__table_del(struct weft__table *t, const uint64_t *key) {
    if (!t->cap)
        return;
    size_t mask = t->cap - 1, i = find(t, key);
    if (!slot(t, i)[0])
        return;
    /* Backward shift: each entry after the hole in the chain moves into
     * it unless its home slot lies cyclically in (hole, its slot]. */
    for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        uint64_t *s = slot(t, j);
        if (!s[0])
            break;
        size_t home = hash(s, t->nkey) & mask;
        int stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (stays)
            continue;
        memcpy(slot(t, i), s, t->size);
        i = j;
    }
    memset(slot(t, i), 0, t->size);
    t->n--;
}

void *weft__table_at(const struct weft__table *t, size_t i) {
    return slot(t, i)[0] ? slot(t, i) : NULL;
}

void weft__table_free(struct weft__table *t) {
    free(t->e);
    t->e = NULL;
    t->cap = t->n = 0;
}
