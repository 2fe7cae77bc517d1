/* fuzz_reader.c: libFuzzer target for the raw-log readers. Each input is a
 * packed log (pack.h), read by both: the whole-log reader (log_reader.c)
 * and the streaming one (stream.c), which the ingest uses. Nothing may
 * crash, hang, leak or trip a sanitizer, whatever the bytes; and the two
 * must agree: the same log refused or taken, the same losses counted, and
 * the merge's records exactly the whole reader's, sorted by time, thread
 * and position (a stable sort: what the global order is). A difference
 * aborts, so the fuzzer reports it like a crash. */
#include <stdio.h>

#include "log_reader.h"
#include "pack.h"
#include "stream.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    /* One decoding thread: the same work per input, and no thread start
     * in every run (the threaded split is fuzz_log's, in the harness tests). */
    setenv("WEFT_INGEST_THREADS", "1", 1);
    return 0;
}

struct pos {
    const struct weft_rec *r;
    uint64_t chunk, k;
};

static int cmp_pos(const void *x, const void *y) {
    const struct pos *a = x, *b = y;
    if (a->r->ts != b->r->ts)
        return a->r->ts < b->r->ts ? -1 : 1;
    if (a->r->tid != b->r->tid)
        return a->r->tid < b->r->tid ? -1 : 1;
    if (a->chunk != b->chunk)
        return a->chunk < b->chunk ? -1 : 1;
    return (a->k > b->k) - (a->k < b->k);
}

static void differ(const char *what) {
    fprintf(stderr, "fuzz_reader: the streaming reader differs: %s\n", what);
    abort();
}

static int same_rec(const struct weft_rec *a, const struct weft_rec *b) {
    return a->kind == b->kind && a->tid == b->tid && a->ts == b->ts && a->obj == b->obj &&
           a->arg == b->arg && a->arg2 == b->arg2 && a->stack == b->stack && a->aux == b->aux &&
           a->hbobj == b->hbobj && a->acq == b->acq && a->rel == b->rel && a->dlen == b->dlen &&
           a->once == b->once && a->fields == b->fields &&
           (!a->dlen || !memcmp(a->data, b->data, a->dlen));
}

static void compare(const struct weft_log *l, struct weft_slog *s) {
    if (l->nevents != s->nevents || l->bad_chunks != s->bad_chunks ||
        l->unwritten_chunks != s->unwritten_chunks || l->missing_chunks != s->missing_chunks ||
        l->nchunks != s->nchunks)
        differ("counts");
    struct pos *all = malloc((l->nevents ? l->nevents : 1) * sizeof *all);
    if (!all)
        return;
    size_t n = 0;
    for (uint64_t i = 0; i < l->nchunks; i++) {
        uint32_t cnt = 0;
        const struct weft_rec *r = weft_log_chunk(l, i, &cnt);
        for (uint32_t k = 0; r && k < cnt; k++)
            all[n++] = (struct pos){&r[k], i, k};
    }
    qsort(all, n, sizeof *all, cmp_pos);
    uint32_t rank = 0, which;
    struct weft_slog *logs[1] = {s};
    struct weft_merge *m = weft_merge_new(logs, &rank, 1);
    struct weft_rec r;
    size_t got = 0;
    int more;
    while (m && (more = weft_merge_next(m, &r, &which)) == 1) {
        if (got >= n || !same_rec(&r, all[got].r))
            differ("the order or a record");
        got++;
    }
    if (m && (more != 0 || got != n))
        differ("the number of records");
    weft_merge_free(m);
    free(all);
}

static volatile uint64_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    size_t size = 0;
    uint8_t *buf = fuzz_unpack(data, n, &size);
    if (!buf)
        return 0;
    struct weft_log l;
    struct weft_slog s;
    int old = weft_log_open_mem(&l, buf, size, "fuzz.log");
    int neu = weft_slog_open_mem(&s, buf, size, "fuzz.log");
    if ((old == 0) != (neu == 0))
        differ("one reader refused the log, the other took it");
    if (old == 0) {
        uint64_t acc = l.nevents + l.bad_chunks + l.unwritten_chunks + l.missing_chunks;
        for (uint64_t i = 0; i < l.nchunks; i++) {
            uint32_t cnt = 0;
            const struct weft_rec *r = weft_log_chunk(&l, i, &cnt);
            for (uint32_t k = 0; r && k < cnt; k++) {
                const char *name = weft_kind_name(r[k].kind);
                acc += r[k].ts + r[k].obj + r[k].arg + (name ? (uint64_t)name[0] : 0);
                for (uint32_t j = 0; j < r[k].dlen; j++) /* the payload is inside the log */
                    acc += r[k].data[j];
            }
        }
        sink = acc;
        compare(&l, &s);
        weft_log_close(&l);
        weft_slog_close(&s);
    }
    free(buf);
    return 0;
}
/* SPDX-License-Identifier: MIT */
