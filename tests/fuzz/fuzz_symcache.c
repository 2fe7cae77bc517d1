/* SPDX-License-Identifier: MIT */
/* fuzz_symcache.c: libFuzzer target for the symbolizer's cache files
 * (harness/ingest/symcache.c), which an ingest reads from a directory
 * that others may write (a shared WEFT_CACHE_DIR). Each input is a cache
 * file: its header names the build id and fingerprint it is asked under
 * (so the fuzzer reaches the body's checks). Nothing may crash, hang or
 * trip a sanitizer; a file that loads must answer for every offset its
 * entries name, and written again and read back it must give the same
 * answers (a difference aborts, so the fuzzer reports it like a crash). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symcache.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

enum { HDR = 136, ENT = 32, BID_AT = 72, BLEN_AT = 20, FP_AT = 24 };

static char dir_in[128], dir_out[160];

/* The scratch directories emptied and removed at the end. */
static void rm_dir(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char p[512];
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name) < (int)sizeof p)
            unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}
static void cleanup(void) {
    rm_dir(dir_out);
    rm_dir(dir_in);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    snprintf(dir_in, sizeof dir_in, "%s/weft-fuzz-symcache-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir_in))
        abort();
    snprintf(dir_out, sizeof dir_out, "%s/out", dir_in);
    atexit(cleanup);
    return 0;
}

static void differ(const char *what) {
    fprintf(stderr, "fuzz_symcache: %s\n", what);
    abort();
}

static int same_str(const char *a, const char *b) {
    return a == b || (a && b && !strcmp(a, b));
}

static void same_ans(const struct weft__sym_ans *a, const struct weft__sym_ans *b) {
    if (a->off != b->off || a->line != b->line || !same_str(a->fn, b->fn) ||
        !same_str(a->src, b->src) || a->ninl != b->ninl)
        differ("an answer read back differs");
    for (uint32_t i = 0; i < a->ninl; i++)
        if (!same_str(a->inl[i].fn, b->inl[i].fn) ||
            !same_str(a->inl[i].call_file, b->inl[i].call_file) ||
            a->inl[i].call_line != b->inl[i].call_line)
            differ("an inlined frame read back differs");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    unsigned char bid[64] = {0xab, 0xcd};
    uint32_t blen = 2;
    struct weft__symcache_fp fp = {WEFT__SYMFP_SELF, 0, 0, 0, 0};
    if (n >= HDR) {
        memcpy(&blen, data + BLEN_AT, sizeof blen);
        if (blen < 1 || blen > 64)
            blen = 2;
        memcpy(bid, data + BID_AT, blen);
        memcpy(&fp, data + FP_AT, sizeof fp);
    }
    char path[200];
    int k = snprintf(path, sizeof path, "%s/", dir_in);
    for (uint32_t i = 0; i < blen; i++)
        k += snprintf(path + k, sizeof path - (size_t)k, "%02x", bid[i]);
    snprintf(path + k, sizeof path - (size_t)k, ".sym");
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0)
        abort();
    struct weft__symcache *c = weft__symcache_load(dir_in, bid, blen, &fp);
    unlink(path);
    if (!c)
        return 0;
    /* every entry's offset answers; touch every string */
    uint32_t nent;
    memcpy(&nent, data + 8, sizeof nent);
    struct weft__sym_ans *all = calloc(nent ? nent : 1, sizeof *all);
    if (!all)
        abort();
    for (size_t i = 0; i < nent; i++) {
        uint64_t off;
        memcpy(&off, data + HDR + i * ENT, sizeof off);
        if (!weft__symcache_get(c, off, &all[i]))
            differ("an entry's offset has no answer");
        volatile size_t len =
            (all[i].fn ? strlen(all[i].fn) : 0) + (all[i].src ? strlen(all[i].src) : 0);
        for (uint32_t j = 0; j < all[i].ninl; j++)
            len += (all[i].inl[j].fn ? strlen(all[i].inl[j].fn) : 0) +
                   (all[i].inl[j].call_file ? strlen(all[i].inl[j].call_file) : 0);
        (void)len;
    }
    /* written again (as old entries) and read back: the same answers */
    if (weft__symcache_save(dir_out, bid, blen, &fp, c, NULL, 0) != 0)
        differ("a loaded cache could not be written again");
    struct weft__symcache *d = weft__symcache_load(dir_out, bid, blen, &fp);
    if (!d)
        differ("a cache written again does not load");
    for (size_t i = 0; i < nent; i++) {
        struct weft__sym_ans b;
        if (!weft__symcache_get(d, all[i].off, &b))
            differ("an answer was lost on writing");
        same_ans(&all[i], &b);
    }
    free(all);
    weft__symcache_free(c);
    weft__symcache_free(d);
    return 0;
}
