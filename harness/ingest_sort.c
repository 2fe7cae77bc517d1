/* ingest_sort.c: puts the records of a trace in global order. They come
 * chunk by chunk, and the records of one thread in one chunk are already
 * in order: a k-way merge of those runs (found where the order breaks)
 * with a heap is several times faster than a general sort of millions of
 * items; qsort remains the way out when memory is short. */
#include <stdlib.h>
#include <string.h>

#include "ingest_sort.h"

static inline int item_less(const struct item *a, const struct item *b) {
    return a->ts != b->ts ? a->ts < b->ts : a->who < b->who;
}

static int cmp_item(const void *x, const void *y) {
    const struct item *a = x, *b = y;
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    return a->who < b->who ? -1 : a->who > b->who;
}

/* tmp == NULL (no memory for it): the general sort. */
void weft__sort_items(struct item *items, size_t n, struct item *tmp) {
    if (!tmp) {
        qsort(items, n, sizeof *items, cmp_item);
        return;
    }
    size_t nruns = 0;
    for (size_t i = 0; i < n; i++)
        nruns += i == 0 || item_less(&items[i], &items[i - 1]);
    size_t *pos = malloc((nruns + 1) * sizeof *pos), *end = malloc((nruns + 1) * sizeof *end);
    size_t *heap = malloc((nruns + 1) * sizeof *heap);
    if (!pos || !end || !heap) { /* out of memory: the general sort needs none */
        free(pos);
        free(end);
        free(heap);
        qsort(items, n, sizeof *items, cmp_item);
        return;
    }
    size_t r = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || item_less(&items[i], &items[i - 1])) {
            if (r)
                end[r - 1] = i;
            pos[r++] = i;
        }
    if (r)
        end[r - 1] = n;
    /* heap of run numbers, by their current item */
    size_t hn = 0;
#define HLESS(a, b) item_less(&items[pos[a]], &items[pos[b]])
    for (size_t k = 0; k < r; k++) {
        size_t c = hn++;
        heap[c] = k;
        while (c && HLESS(heap[c], heap[(c - 1) / 2])) {
            size_t p = (c - 1) / 2, t = heap[p];
            heap[p] = heap[c];
            heap[c] = t;
            c = p;
        }
    }
    for (size_t o = 0; o < n; o++) {
        size_t k = heap[0];
        tmp[o] = items[pos[k]++];
        if (pos[k] == end[k])
            heap[0] = heap[--hn];
        for (size_t c = 0;;) {
            size_t a = 2 * c + 1, b = a + 1, m = c;
            if (a < hn && HLESS(heap[a], heap[m]))
                m = a;
            if (b < hn && HLESS(heap[b], heap[m]))
                m = b;
            if (m == c)
                break;
            size_t t = heap[m];
            heap[m] = heap[c];
            heap[c] = t;
            c = m;
        }
    }
#undef HLESS
    memcpy(items, tmp, n * sizeof *items);
    free(pos);
    free(end);
    free(heap);
}
