/* SPDX-License-Identifier: MIT */
/* room.h (util): growing an array by doubling, for the ingest's files
 * (its model, rows and symbol table). */
#ifndef WEFT_UTIL_ROOM_H
#define WEFT_UTIL_ROOM_H

#include <stddef.h>
#include <stdlib.h>

/* Room for one more element in a growable array (n used of *cap, each
 * size bytes), doubling from first: 0, or -1 when out of memory (the
 * array unchanged). ROOM(arr, n, cap, first) for an array arr. */
static inline int room(void **arr, size_t n, size_t *cap, size_t size, size_t first) {
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : first;
    void *p = realloc(*arr, nc * size);
    if (!p)
        return -1;
    *arr = p;
    *cap = nc;
    return 0;
}
#define ROOM(arr, n, cap, first) room((void **)&(arr), (n), &(cap), sizeof *(arr), (first))

#endif
