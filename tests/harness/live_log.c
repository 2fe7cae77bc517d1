/* SPDX-License-Identifier: MIT */
/* live_log.c: the streaming reader over a log that is still being
 * written (stream.h's live reading). Takes a finished log and replays
 * its writing into a new file in steps of time: at step T every record
 * whose time is below T less the lag of its chunk (0 to a step) is
 * committed, the ones after it not yet (each chunk's committed count is
 * the end of its longest prefix of such records, as a writer in time
 * order leaves it). After each step the
 * live reader refreshes, the merge hands out every record below the
 * watermark (the earliest time a chunk can still add), and the wholly
 * consumed chunks are punched out of the file. Checks: the records come
 * out in exactly the order, and with exactly the content, of the
 * offline merge of the whole log; nothing is handed out twice or lost;
 * punched chunks are never counted as damage; and at the end every
 * chunk holding records is punched (the file's blocks are given back).
 * Deterministic: the steps are quantiles of the records' times. Last,
 * the order may not depend on the TSC rate (a live ingest and one after
 * the fact fix it from different spans): merged at a thousandth and at a
 * seventh of the whole log's rate, where records of different threads
 * tie in other places (17 of t_many's 15,000 records moved when the tie
 * went by thread id), they come out in the same order. */
#define _XOPEN_SOURCE 700 /* pread, pwrite, ftruncate */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log_reader.h"
#include "stream.h"

struct rec {
    uint32_t end; /* the word after it */
    uint64_t ns;
};

struct chunk {
    struct rec *r;
    uint32_t n;
};

static int fails;
#define CHECK(c, ...)                                                                              \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "live_log: " __VA_ARGS__);                                             \
            fputc('\n', stderr);                                                                   \
            if (++fails > 10)                                                                      \
                exit(1);                                                                           \
        }                                                                                          \
    } while (0)

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int same(const struct weft_rec *a, const struct weft_rec *b) {
    return a->kind == b->kind && a->tid == b->tid && a->ts == b->ts && a->obj == b->obj &&
           a->arg == b->arg && a->arg2 == b->arg2 && a->stack == b->stack && a->dlen == b->dlen &&
           (!a->dlen || !memcmp(a->data, b->data, a->dlen));
}

/* The whole log at path merged with its times converted at rate: the
 * records of exp (nexp of them), in their order, but for their times. */
static void check_rate(const char *path, double rate, const struct weft_rec *exp, size_t nexp) {
    struct weft_slog l;
    if (weft_slog_open_live(&l, path) != 0 || weft_slog_resume(&l, rate, 1, NULL, 0) != 0) {
        CHECK(0, "rate %g: %s", rate, l.err);
        return;
    }
    l.ended = 1;
    struct weft_slog *lp = &l;
    uint32_t rank0 = 0, li;
    struct weft_merge *m = weft_merge_new(&lp, &rank0, 1);
    CHECK(weft_slog_refresh(&l) == 0 && weft_merge_refresh(m) == 0, "rate %g: refresh failed: %s",
          rate, l.err);
    struct weft_rec r;
    size_t got = 0, moved = 0;
    while (weft_merge_next(m, &r, &li) == 1) {
        if (got < nexp) {
            r.ts = exp[got].ts;
            moved += !same(&r, &exp[got]);
        }
        got++;
    }
    CHECK(got == nexp && !moved, "rate %g: %zu records, %zu of them in another place (want %zu)",
          rate, got, moved, nexp);
    weft_merge_free(m);
    weft_slog_close(&l);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: live_log FINISHED.log WORKFILE\n");
        return 2;
    }
    /* The expected order: the offline merge of the whole log. */
    struct weft_slog whole;
    if (weft_slog_open(&whole, argv[1]) != 0) {
        fprintf(stderr, "live_log: %s\n", whole.err);
        return 1;
    }
    struct weft_slog *wl = &whole;
    uint32_t rank0 = 0;
    struct weft_merge *wm = weft_merge_new(&wl, &rank0, 1);
    size_t nexp = 0, capexp = 1024;
    struct weft_rec *exp = malloc(capexp * sizeof *exp);
    unsigned char **expdata = malloc(capexp * sizeof *expdata);
    struct weft_rec r;
    uint32_t li;
    while (weft_merge_next(wm, &r, &li) == 1) {
        if (nexp == capexp) {
            capexp *= 2;
            exp = realloc(exp, capexp * sizeof *exp);
            expdata = realloc(expdata, capexp * sizeof *expdata);
        }
        expdata[nexp] = r.dlen ? malloc(r.dlen) : NULL;
        if (r.dlen)
            memcpy(expdata[nexp], r.data, r.dlen);
        r.data = expdata[nexp];
        exp[nexp++] = r;
    }
    weft_merge_free(wm);

    /* The source's chunks, their records' ends and times. */
    int sfd = open(argv[1], O_RDONLY);
    struct stat st;
    fstat(sfd, &st);
    unsigned char *src = malloc((size_t)st.st_size);
    if (pread(sfd, src, (size_t)st.st_size, 0) != st.st_size) {
        fprintf(stderr, "live_log: cannot read %s\n", argv[1]);
        return 1;
    }
    close(sfd);
    const struct weft_log_header *h = (const void *)src;
    uint64_t n = h->chunks_claimed < h->capacity_chunks ? h->chunks_claimed : h->capacity_chunks;
    uint64_t have = ((size_t)st.st_size - WEFT_LOG_HEADER_SIZE) / WEFT_LOG_CHUNK_SIZE;
    n = n < have ? n : have;
    struct chunk *ch = calloc(n ? n : 1, sizeof *ch);
    uint64_t *times = malloc(sizeof *times);
    size_t ntimes = 0;
    uint32_t *cnts = calloc(n ? n : 1, sizeof *cnts);
    for (uint64_t i = 0; i < n; i++) {
        const struct weft_log_chunk *c =
            (const void *)(src + WEFT_LOG_HEADER_SIZE + i * WEFT_LOG_CHUNK_SIZE);
        cnts[i] = c->magic == WEFT_LOG_CHUNK_MAGIC ? c->committed : 0;
    }
    double rate = weft__log_tsc_rate(h, src + WEFT_LOG_HEADER_SIZE, WEFT_LOG_CHUNK_SIZE, cnts, n);
    for (uint64_t i = 0; i < n; i++) {
        const uint64_t *w = (const void *)(src + WEFT_LOG_HEADER_SIZE + i * WEFT_LOG_CHUNK_SIZE +
                                           WEFT_LOG_CHUNK_HDR);
        struct weft_rec prev = {0}, x;
        ch[i].r = malloc((cnts[i] + 1) * sizeof *ch[i].r);
        for (uint32_t k = 0, used; k < cnts[i]; k += used, prev = x) {
            if (!(used = weft_log_decode(w + k, k, cnts[i] - k, &prev, &x)))
                break;
            uint64_t ns = weft__log_ns(h, rate, x.ts);
            ch[i].r[ch[i].n++] = (struct rec){k + used, ns};
            times = realloc(times, (ntimes + 1) * sizeof *times);
            times[ntimes++] = ns;
        }
    }
    qsort(times, ntimes, sizeof *times, cmp_u64);

    /* The replay. */
    int out = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (out < 0 || ftruncate(out, WEFT_LOG_HEADER_SIZE) != 0 ||
        pwrite(out, src, WEFT_LOG_HEADER_SIZE, 0) != WEFT_LOG_HEADER_SIZE) {
        fprintf(stderr, "live_log: cannot write %s\n", argv[2]);
        return 1;
    }
    struct weft_log_header *oh = (void *)src; /* written with chunks_claimed of the step */
    uint64_t final_claimed = oh->chunks_claimed;
    oh->chunks_claimed = 0;
    pwrite(out, src, sizeof *oh, 0);
    struct weft_slog live;
    if (weft_slog_open_live(&live, argv[2]) != 0) {
        fprintf(stderr, "live_log: %s\n", live.err);
        return 1;
    }
    live.calib_ns = 1; /* the rate from the header's end pair at once: every step reads */
    struct weft_slog *ll = &live;
    struct weft_merge *m = weft_merge_new(&ll, &rank0, 1);
    size_t got = 0, punched = 0;
    enum { STEPS = 24 };
    uint32_t *shown = calloc(n ? n : 1, sizeof *shown);
    uint64_t span = ntimes ? times[ntimes - 1] - times[0] : 0;
    for (int s = 1; s <= STEPS + 1; s++) {
        int last = s == STEPS + 1;
        uint64_t T = last ? UINT64_MAX : ntimes ? times[(ntimes - 1) * (size_t)s / (STEPS + 1)] : 0;
        uint64_t limit = UINT64_MAX, claimed = 0;
        for (uint64_t i = 0; i < n; i++) {
            /* Writers lag: each chunk shows only the records older than
             * T less a lag of its own, so that records newer than what
             * another chunk still hides are already there, and only the
             * watermark keeps them back. */
            uint64_t lag = (uint64_t)(i * 7919 % 5) * span / (4 * (STEPS + 1)), Ti = T;
            if (!last)
                Ti = T > lag ? T - lag : 0;
            uint32_t k = 0, w = 0;
            while (k < ch[i].n && ch[i].r[k].ns < Ti)
                w = ch[i].r[k++].end;
            if (k < ch[i].n && ch[i].r[k].ns < limit)
                limit = ch[i].r[k].ns;
            if (w && i + 1 > claimed)
                claimed = i + 1;
            if (w > shown[i]) {
                /* the words first, then the header with its count, as a writer commits */
                size_t off = WEFT_LOG_HEADER_SIZE + i * WEFT_LOG_CHUNK_SIZE;
                pwrite(out, src + off + WEFT_LOG_CHUNK_HDR, (size_t)w * WEFT_LOG_WORD,
                       (off_t)(off + WEFT_LOG_CHUNK_HDR));
                struct weft_log_chunk c = *(const struct weft_log_chunk *)(src + off);
                c.committed = w;
                pwrite(out, &c, sizeof c, (off_t)off);
                shown[i] = w;
            }
        }
        if (last)
            claimed = final_claimed < n ? final_claimed : n;
        for (uint64_t i = 0; i < claimed; i++)
            if (!shown[i]) { /* claimed, not written yet: its header only */
                size_t off = WEFT_LOG_HEADER_SIZE + i * WEFT_LOG_CHUNK_SIZE;
                struct weft_log_chunk c = *(const struct weft_log_chunk *)(src + off);
                c.committed = 0;
                pwrite(out, &c, sizeof c, (off_t)off);
            }
        if (claimed > oh->chunks_claimed) {
            oh->chunks_claimed = claimed;
            if (ftruncate(out, (off_t)(WEFT_LOG_HEADER_SIZE + claimed * WEFT_LOG_CHUNK_SIZE)) != 0)
                return 1;
            pwrite(out, oh, sizeof *oh, 0);
        }
        live.ended = last;
        CHECK(weft_slog_refresh(&live) == 0 && weft_merge_refresh(m) == 0, "refresh failed: %s",
              live.err);
        int rc;
        while ((rc = weft_merge_next_until(m, &r, &li, last ? UINT64_MAX : limit)) == 1) {
            CHECK(got < nexp, "step %d: more records than the whole log's %zu", s, nexp);
            if (got < nexp)
                CHECK(same(&r, &exp[got]),
                      "step %d: record %zu differs: kind %u tid %u ts %llu (want kind %u tid %u "
                      "ts %llu)",
                      s, got, r.kind, r.tid, (unsigned long long)r.ts, exp[got].kind, exp[got].tid,
                      (unsigned long long)exp[got].ts);
            CHECK(r.ts < limit || last, "step %d: record at %llu handed out past the limit %llu", s,
                  (unsigned long long)r.ts, (unsigned long long)limit);
            got++;
        }
        CHECK(rc == (last ? 0 : 2) || (rc == 0 && got == nexp), "step %d: merge said %d (%s)", s,
              rc, weft_merge_err(m));
        punched += weft_slog_punch(&live);
        CHECK(live.bad_chunks == 0 && live.unwritten_chunks == 0,
              "step %d: %llu bad, %llu unwritten chunks after punching (%s)", s,
              (unsigned long long)live.bad_chunks, (unsigned long long)live.unwritten_chunks,
              live.chunk_err);
    }
    CHECK(got == nexp, "%zu records handed out, the whole log has %zu", got, nexp);
    uint64_t with = 0;
    for (uint64_t i = 0; i < n; i++)
        with += ch[i].n > 0;
    CHECK(punched == with, "%zu chunks punched, %llu hold records", punched,
          (unsigned long long)with);
    fstat(out, &st);
    CHECK((uint64_t)st.st_blocks * 512 <= 2 * WEFT_LOG_CHUNK_SIZE,
          "the punched file still takes %lld bytes", (long long)st.st_blocks * 512);
    printf("live_log: %zu records in %llu chunks, %d steps, %zu chunks punched\n", got,
           (unsigned long long)n, STEPS + 1, punched);
    weft_merge_free(m);
    weft_slog_close(&live);
    check_rate(argv[1], whole.rate / 1000, exp, nexp);
    check_rate(argv[1], whole.rate / 7, exp, nexp);
    weft_slog_close(&whole);
    close(out);
    /* everything freed: the ASan stage runs this under LeakSanitizer */
    for (size_t i = 0; i < nexp; i++)
        free(expdata[i]);
    free(expdata);
    free(exp);
    for (uint64_t i = 0; i < n; i++)
        free(ch[i].r);
    free(ch);
    free(times);
    free(cnts);
    free(shown);
    free(src);
    return fails ? 1 : 0;
}
