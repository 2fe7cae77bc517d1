/* SPDX-License-Identifier: MIT */
/* rand.c: a per-thread pseudo-random generator for select's choice.
 *
 * select needs a fair coin, not a secure one, and must not take a lock or
 * allocate; xorshift64* in TLS, seeded lazily from the clock and the TLS
 * address (which differs per thread), is plenty. */
#include "internal.h"

static _Thread_local uint64_t state;

uint32_t weft__rand32(void) {
    uint64_t x = state;
    if (x == 0) {
        x = (uint64_t)weft__now() ^ ((uint64_t)(uintptr_t)&state * 0x9E3779B97F4A7C15ull);
        if (x == 0)
            x = 0x2545F4914F6CDD1Dull;
    }
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    state = x;
    return (uint32_t)((x * 0x2545F4914F6CDD1Dull) >> 32);
}
