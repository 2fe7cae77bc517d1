/* SPDX-License-Identifier: MIT */
/* fingerprint.c: a finding's stable identity (WEFT_FP_VERSION). The same
 * bug seen in two runs, two builds or on two machines must get the same
 * ID, so only what names the code goes in: the kind, and for each stack
 * the finding names (the blocking call, the close or send, the creation
 * of the thread and of the object) the functions of its frames in the
 * program and its libraries. Left out: addresses, offsets, line numbers,
 * thread ids, times, messages, and frames of the C library and the
 * dynamic loader (their inner functions differ between glibc builds:
 * clone or clone3). A frame without a symbol stands as its module's base
 * name. The stacks' signatures are sorted before hashing, so that which
 * of two racing closes came first (first_close vs close) does not change
 * the ID. A hash of 64 bits (FNV-1a) prints as 16 hex digits. */
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static uint64_t fnv(uint64_t h, const char *s) {
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= FNV_PRIME;
    }
    /* A separator that no name holds keeps "ab"+"c" apart from "a"+"bc". */
    h ^= 0xff;
    return h * FNV_PRIME;
}

static const char *base(const char *path) {
    const char *b = path ? strrchr(path, '/') : NULL;
    return b ? b + 1 : path;
}

/* Frames at most this deep count: deeper ones are the callers' callers,
 * where two runs of a server differ (which request reached the bug). */
#define FP_DEPTH 8

/* Whether frame i is a function inlined at the next frame's address
 * (docs/schema.md: they share the pc, each its own function). The ID counts
 * one frame per return address, the function the code is in: as it was
 * before inlined functions were shown, and so that a C++ lock's five
 * inlined std:: frames do not crowd the program's out of the first 8.
 * A recursion's frames share a pc too, but not with another function. */
static int inlined(const struct weft_rstack *s, int i) {
    const struct weft_rframe *f = &s->f[i], *g = i + 1 < s->n ? &s->f[i + 1] : NULL;
    return g && g->pc == f->pc &&
           (!f->function || !g->function || strcmp(f->function, g->function) != 0);
}

static uint64_t stack_sig(const struct weft_rstack *s) {
    uint64_t h = FNV_OFFSET;
    for (int i = 0, used = 0; i < s->n && used < FP_DEPTH; i++) {
        const struct weft_rframe *f = &s->f[i];
        if (weft_report_system_frame(f) || inlined(s, i))
            continue;
        if (f->function) {
            /* "f@@GLIBC_2.34" and "f" are one function. */
            const char *at = strstr(f->function, "@@");
            char fn[256];
            size_t n = at ? (size_t)(at - f->function) : strlen(f->function);
            if (n >= sizeof fn)
                n = sizeof fn - 1;
            memcpy(fn, f->function, n);
            fn[n] = 0;
            h = fnv(h, fn);
        } else {
            h = fnv(h, base(f->module) ? base(f->module) : "?");
        }
        used++;
    }
    return h;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

void weft__fingerprint(const struct weft_rfinding *f, char out[WEFT_FP_LEN + 1]) {
    uint64_t sig[16];
    int n = 0;
    for (int i = 0; i < f->nstacks && n < 16; i++)
        if (f->stacks[i].n)
            sig[n++] = stack_sig(&f->stacks[i]);
    qsort(sig, (size_t)n, sizeof *sig, cmp_u64);
    uint64_t h = fnv(FNV_OFFSET, WEFT_FP_VERSION);
    h = fnv(h, f->kind);
    /* Without any stack, the thread's start function still names the code. */
    if (!n && f->start_function)
        h = fnv(h, f->start_function);
    for (int i = 0; i < n; i++) {
        char hex[17];
        for (int k = 0; k < 16; k++)
            hex[k] = "0123456789abcdef"[(sig[i] >> (60 - 4 * k)) & 15];
        hex[16] = 0;
        h = fnv(h, hex);
    }
    for (int k = 0; k < WEFT_FP_LEN; k++)
        out[k] = "0123456789abcdef"[(h >> (60 - 4 * k)) & 15];
    out[WEFT_FP_LEN] = 0;
}
