/* ingest_sort.c: puts the records of a trace in global order. They come
 * chunk by chunk, and the records of one thread in one chunk are already
 * in order: runs, found where the order breaks. Runs that follow one
 * another in time (a thread's successive chunks) are chained first, so
 * the k-way merge that follows has a heap of about as many chains as
 * threads ran at once, not one entry per chunk: several times faster than
 * a general sort of millions of items. qsort remains the way out when
 * memory is short. */
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

/* For qsort of run numbers by their first item. */
static const struct item *g_items;
static const size_t *g_pos;
static int cmp_run(const void *x, const void *y) {
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    int c = cmp_item(&g_items[g_pos[a]], &g_items[g_pos[b]]);
    return c ? c : (a > b) - (a < b);
}

struct item *weft__sort_items(struct item *items, size_t n, struct item *tmp) {
    if (!tmp) {
        qsort(items, n, sizeof *items, cmp_item);
        return items;
    }
    size_t nruns = 0;
    for (size_t i = 0; i < n; i++)
        nruns += i == 0 || item_less(&items[i], &items[i - 1]);
    size_t m = nruns + 1;
    size_t *pos = malloc(m * sizeof *pos), *end = malloc(m * sizeof *end);
    size_t *heap = malloc(m * sizeof *heap), *next = malloc(m * sizeof *next);
    size_t *order = malloc(m * sizeof *order), *tail = malloc(m * sizeof *tail);
    if (!pos || !end || !heap || !next || !order || !tail) {
        /* out of memory: the general sort needs none */
        qsort(items, n, sizeof *items, cmp_item);
        tmp = items;
        goto out;
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
    /* Chains: runs taken in the order of their first items, each appended
     * to the chain whose last item is the latest one not after its first
     * (best fit keeps the chains few), else starting a chain of its own.
     * A chain is then one sorted sequence. heap[] holds the chain heads
     * for now, tail[] each chain's last run. */
    for (size_t k = 0; k < r; k++) {
        order[k] = k;
        next[k] = SIZE_MAX;
    }
    g_items = items;
    g_pos = pos;
    qsort(order, r, sizeof *order, cmp_run);
    size_t nchains = 0;
    for (size_t o = 0; o < r; o++) {
        size_t k = order[o], best = SIZE_MAX;
        const struct item *first = &items[pos[k]];
        for (size_t c = 0; c < nchains; c++) {
            const struct item *last = &items[end[tail[c]] - 1];
            if (!item_less(first, last) &&
                (best == SIZE_MAX || item_less(&items[end[tail[best]] - 1], last)))
                best = c;
        }
        if (best == SIZE_MAX) {
            heap[nchains] = k;
            tail[nchains++] = k;
        } else {
            next[tail[best]] = k;
            tail[best] = k;
        }
    }
    /* The merge: a heap of chains, by the current item of each. */
    size_t hn = 0;
#define HLESS(a, b) item_less(&items[pos[a]], &items[pos[b]])
    for (size_t c = 0; c < nchains; c++) {
        size_t h = hn++;
        heap[h] = heap[c];
        while (h && HLESS(heap[h], heap[(h - 1) / 2])) {
            size_t p = (h - 1) / 2, t = heap[p];
            heap[p] = heap[h];
            heap[h] = t;
            h = p;
        }
    }
    for (size_t o = 0; o < n; o++) {
        size_t k = heap[0];
        tmp[o] = items[pos[k]++];
        if (pos[k] == end[k]) {
            if (next[k] != SIZE_MAX)
                heap[0] = next[k]; /* the chain goes on with its next run */
            else
                heap[0] = heap[--hn];
        }
        for (size_t c = 0;;) {
            size_t a = 2 * c + 1, b = a + 1, mn = c;
            if (a < hn && HLESS(heap[a], heap[mn]))
                mn = a;
            if (b < hn && HLESS(heap[b], heap[mn]))
                mn = b;
            if (mn == c)
                break;
            size_t t = heap[mn];
            heap[mn] = heap[c];
            heap[c] = t;
            c = mn;
        }
    }
#undef HLESS
out:
    free(pos);
    free(end);
    free(heap);
    free(next);
    free(order);
    free(tail);
    return tmp;
}
