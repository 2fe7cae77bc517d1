/* SPDX-License-Identifier: MIT */
/* log_decode.c: the decoder's rules for locks that name their anchor
 * (log.h, WEFT_H_BACK), on words made by hand: what such a record
 * decodes to, and every way one can be malformed (an anchor out of
 * reach, or not an anchor) rejected rather than read. Exit status 0 when
 * every check holds; each failure is said on stderr. */
#include <stdio.h>

#include "log.h"

static int failures;

static void check(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "FAIL: %s\n", what);
        failures++;
    }
}

/* A flagged relock record with obj and stack words: an anchor (the
 * checks below clear the flag to show an unflagged record is one too). */
static uint32_t anchor(uint64_t *w, uint64_t kind, uint64_t obj, uint64_t sa, uint32_t delta) {
    w[0] = kind | (uint64_t)(WEFT_W_OBJ | WEFT_W_SA) << 8 | WEFT_H_RELOCK | (uint64_t)delta << 32;
    w[1] = obj;
    w[2] = sa;
    return 3;
}

static uint64_t back(uint64_t kind, uint32_t d, uint32_t delta) {
    return kind | WEFT_H_RELOCK | WEFT_H_BACK | (uint64_t)d << 21 | (uint64_t)delta << 32;
}

int main(void) {
    uint64_t w[16] = {0};
    struct weft_rec prev = {.ts = 1000, .obj = 0}, r;
    /* anchor, an unlock of its mutex (one word, the same obj), a relock
     * naming the anchor 4 words back */
    uint32_t k = anchor(w, WEFT_K_MUTEX_LOCK_END, 0xabc0, 7, 5);
    w[k++] = WEFT_K_MUTEX_UNLOCK | (uint64_t)WEFT_W_SAME << 8 | (uint64_t)3 << 32;
    w[k] = back(WEFT_K_MUTEX_LOCK_END, k, 9);
    check(weft_log_decode(w, 0, 16, &prev, &r) == 3 && r.obj == 0xabc0 && r.stack == 7 &&
              r.back == 0 && r.relock,
          "the anchor decodes as itself");
    prev.ts = 1008;
    uint32_t used = weft_log_decode(w + k, k, 16 - k, &prev, &r);
    check(used == 1, "a relock naming its anchor takes one word");
    check(r.kind == WEFT_K_MUTEX_LOCK_END && r.obj == 0xabc0 && r.hbobj == 0xabc0 && r.stack == 7 &&
              r.aux == 0 && r.arg == 0 && r.arg2 == 0 && r.ts == 1017 && r.relock && r.back == k &&
              r.fields == (WEFT_W_OBJ | WEFT_W_SA) && !r.data,
          "it decodes as its anchor's form: mutex, stack, its own time");
    check(weft_log_decode(w + k, k - 1, 16 - k, &prev, &r) == 0,
          "an anchor further back than the readable words is refused");
    check(weft_log_decode(w + k, 0, 16 - k, &prev, &r) == 0,
          "an anchor before the first readable word is refused");
    w[k] = back(WEFT_K_MUTEX_LOCK_END, k - 3, 9); /* names the unlock */
    check(weft_log_decode(w + k, k, 16 - k, &prev, &r) == 0,
          "a record that is no anchor is refused");
    w[k] = back(WEFT_K_MUTEX_LOCK_END, 0, 9);
    check(weft_log_decode(w + k, k, 16 - k, &prev, &r) == 0, "a distance of 0 is refused");
    w[k] = back(WEFT_K_MUTEX_LOCK_END, k, 9) | (uint64_t)WEFT_W_ARG << 8;
    check(weft_log_decode(w + k, k, 16 - k, &prev, &r) == 0, "fields beside the name are refused");
    w[k] = back(WEFT_K_MUTEX_LOCK_END, k, 9) | WEFT_H_ONCE;
    check(weft_log_decode(w + k, k, 16 - k, &prev, &r) == 0,
          "a ticket flag beside a name is refused");
    /* a lock that is no relock names its anchor too, flagged or not */
    w[k] = back(WEFT_K_MUTEX_LOCK_END, k, 9) & ~(uint64_t)WEFT_H_RELOCK;
    check(weft_log_decode(w + k, k, 16 - k, &prev, &r) == 1 && r.obj == 0xabc0 && r.stack == 7 &&
              !r.relock && r.back == k,
          "an unflagged name decodes as its anchor's form, unflagged");
    w[0] &= ~(uint64_t)WEFT_H_RELOCK;
    check(weft_log_decode(w + k, k, 16 - k, &prev, &r) == 1 && r.obj == 0xabc0 && r.stack == 7 &&
              !r.relock,
          "an unflagged anchor is an anchor");
    w[0] |= WEFT_H_RELOCK;
    /* a name naming a name: never an anchor */
    w[k] = back(WEFT_K_MUTEX_LOCK_END, k, 9);
    w[k + 1] = back(WEFT_K_MUTEX_LOCK_END, 1, 2);
    check(weft_log_decode(w + k + 1, k + 1, 15 - k, &prev, &r) == 0,
          "a name as the anchor of another is refused");
    /* an anchor whose words run into the record naming it */
    w[0] = WEFT_K_MUTEX_LOCK_END |
           (uint64_t)(WEFT_W_TS | WEFT_W_OBJ | WEFT_W_ARG | WEFT_W_ARG2 | WEFT_W_SA) << 8 |
           WEFT_H_RELOCK; /* six words: its stack is w[5] */
    w[5] = 12;
    w[4] = back(WEFT_K_MUTEX_LOCK_END, 4, 1);
    check(weft_log_decode(w + 4, 4, 12, &prev, &r) == 0,
          "an anchor that runs into the name is refused");
    w[6] = back(WEFT_K_MUTEX_LOCK_END, 6, 1);
    check(weft_log_decode(w + 6, 6, 10, &prev, &r) == 1 && r.stack == 12,
          "the same anchor named from past its end");
    /* an anchor with a full time and arguments: its stack word is found */
    w[0] = WEFT_K_MUTEX_TRYLOCK |
           (uint64_t)(WEFT_W_TS | WEFT_W_OBJ | WEFT_W_ARG2 | WEFT_W_SA) << 8 | WEFT_H_RELOCK;
    w[1] = 5000;
    w[2] = 0xdef0;
    w[3] = 1;
    w[4] = (uint64_t)3 << 32 | 11;
    w[5] = back(WEFT_K_MUTEX_TRYLOCK, 5, 4);
    prev.ts = 5000;
    check(weft_log_decode(w + 5, 5, 11, &prev, &r) == 1 && r.obj == 0xdef0 && r.stack == 11 &&
              r.aux == 3 && r.kind == WEFT_K_MUTEX_TRYLOCK && r.ts == 5004,
          "an anchor with a full time and arg2: its mutex and stack words");
    /* bits 21-23 stay reserved on every other record */
    w[0] = WEFT_K_MUTEX_UNLOCK | (uint64_t)1 << 21;
    check(weft_log_decode(w, 0, 16, &prev, &r) == 0, "bits 21-23 of a plain record are refused");
    if (!failures)
        printf("log_decode: every check held\n");
    return failures != 0;
}
