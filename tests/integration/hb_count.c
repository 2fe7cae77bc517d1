/* SPDX-License-Identifier: MIT */
/* hb_count.c: a tiny LD_PRELOAD library for the interposition test. It
 * defines libweft's happens-before hooks weft__hb_release/weft__hb_acquire
 * itself, as weft's shim does: if libweft calls them through the PLT, these
 * definitions (earlier in the lookup order) replace libweft's own. It
 * counts the calls and remembers every released (obj, seq), so that an
 * acquire of a pair never released shows up as "unmatched": the contract
 * says the release on (obj, seq) happens before every acquire of it.
 * hb_prog reads the counts through hbcount_stats (found with dlsym).
 * It also keeps, per thread, the last pair the thread released and the
 * last it acquired (hbcount_mine), so that hb_prog can check each
 * primitive's exact pair: an acquire of the wrong (obj, seq) that some
 * earlier release happens to match is counted as matched above, and only
 * the exact pair tells it from the right one. */
#include <pthread.h>
#include <stdint.h>
#include <weft/weft.h>
#include "weft_private/hooks.h" /* the signatures this library must match */

/* Exported for hb_prog: [0] releases, [1] acquires, [2] unmatched
 * acquires, [3] releases not remembered because the table was full. */
void hbcount_stats(unsigned long out[4]);

#define TABLE_BITS 20
#define TABLE_SIZE (1u << TABLE_BITS)

static struct pair {
    const void *obj;
    uint64_t seq;
    int used;
} table[TABLE_SIZE];
/* Exported for hb_prog: how many of the calling thread's releases
 * (acq 0) or acquires (acq 1) since its last hbcount_clear were on (obj,
 * seq); with obj NULL, how many there were in all. Only the last MINE of
 * each kind are kept, which is plenty for one call of a primitive. */
int hbcount_mine(int acq, const void *obj, uint64_t seq);
void hbcount_clear(void);
#define MINE 64
static __thread struct {
    unsigned n;
    struct pair p[MINE];
} mine[2];

static void remember(int acq, const void *obj, uint64_t seq) {
    mine[acq].p[mine[acq].n++ % MINE] = (struct pair){obj, seq, 1};
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned long n_release, n_acquire, n_unmatched, n_full;

static uint32_t slot_of(const void *obj, uint64_t seq) {
    uint64_t h = ((uint64_t)(uintptr_t)obj ^ (seq * 0x9E3779B97F4A7C15ull)) * 0xff51afd7ed558ccdull;
    return (uint32_t)(h >> (64 - TABLE_BITS));
}

/* With mu held: the slot holding (obj, seq), or the empty one where it
 * would go, or NULL when the table is full. */
static struct pair *find(const void *obj, uint64_t seq) {
    uint32_t i = slot_of(obj, seq);
    for (uint32_t n = 0; n < TABLE_SIZE; n++, i = (i + 1) & (TABLE_SIZE - 1))
        if (!table[i].used || (table[i].obj == obj && table[i].seq == seq))
            return &table[i];
    return NULL;
}

void weft__hb_release(const void *obj, uint64_t seq) {
    remember(0, obj, seq);
    pthread_mutex_lock(&mu);
    n_release++;
    struct pair *p = find(obj, seq);
    if (!p)
        n_full++;
    else if (!p->used)
        *p = (struct pair){obj, seq, 1};
    pthread_mutex_unlock(&mu);
}

void weft__hb_acquire(const void *obj, uint64_t seq) {
    remember(1, obj, seq);
    pthread_mutex_lock(&mu);
    n_acquire++;
    struct pair *p = find(obj, seq);
    if (p && !p->used && n_full == 0)
        n_unmatched++;
    pthread_mutex_unlock(&mu);
}

void hbcount_stats(unsigned long out[4]) {
    pthread_mutex_lock(&mu);
    out[0] = n_release;
    out[1] = n_acquire;
    out[2] = n_unmatched;
    out[3] = n_full;
    pthread_mutex_unlock(&mu);
}

int hbcount_mine(int acq, const void *obj, uint64_t seq) {
    if (!obj)
        return (int)mine[acq].n;
    int found = 0;
    for (unsigned i = 0; i < mine[acq].n && i < MINE; i++)
        found += mine[acq].p[i].obj == obj && mine[acq].p[i].seq == seq;
    return found;
}

void hbcount_clear(void) {
    mine[0].n = mine[1].n = 0;
}
