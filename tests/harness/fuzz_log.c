/* fuzz_log.c: the log reader against damaged input. Takes a valid log,
 * then validates thousands of copies with random bytes flipped, random
 * truncations and random header fields: the reader must never crash; a
 * log whose header is intact must be accepted, with every chunk whose
 * bytes are intact read exactly as in the original (a damaged chunk is
 * skipped, not the log), and a truncated one must count the chunks it
 * lost. Deterministic (fixed seed) so a failure reproduces. Then a big
 * log made of copies of the seed's chunks, which the reader decodes in
 * parts on several threads: every record where one reader would put it,
 * and of two damaged chunks in different parts, both skipped, the first
 * one named, every other chunk kept. The streaming reader (stream.c)
 * opens the same big logs, validating on several threads and on one:
 * the same runs either way, and the whole reader's counts, first error
 * and number of records. */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log_reader.h"
#include "stream.h"

static uint64_t rng = 0x853c49e6748fea9bu;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* The seed's chunks copied until there are at least `want` of them. */
static unsigned char *replicate(const unsigned char *seed, uint64_t nchunks, uint64_t want,
                                uint64_t *total, size_t *size) {
    uint64_t reps = (want + nchunks - 1) / nchunks;
    *total = reps * nchunks;
    *size = WEFT_LOG_HEADER_SIZE + *total * WEFT_LOG_CHUNK_SIZE;
    unsigned char *big = malloc(*size);
    if (!big)
        return NULL;
    memcpy(big, seed, WEFT_LOG_HEADER_SIZE);
    for (uint64_t r = 0; r < reps; r++)
        memcpy(big + WEFT_LOG_HEADER_SIZE + r * nchunks * WEFT_LOG_CHUNK_SIZE,
               seed + WEFT_LOG_HEADER_SIZE, nchunks * WEFT_LOG_CHUNK_SIZE);
    struct weft_log_header *h = (void *)big;
    h->chunks_claimed = h->capacity_chunks = *total;
    return big;
}

/* Whether chunk cb of b holds the same records as chunk ca of a. */
static int same_chunk(const struct weft_log *a, uint64_t ca, const struct weft_log *b,
                      uint64_t cb) {
    uint32_t n1, n2;
    const struct weft_rec *x = weft_log_chunk(a, ca, &n1);
    const struct weft_rec *y = weft_log_chunk(b, cb, &n2);
    if (n1 != n2 || (n1 && (!x || !y)))
        return 0;
    for (uint32_t k = 0; k < n1; k++)
        if (x[k].kind != y[k].kind || x[k].tid != y[k].tid || x[k].ts != y[k].ts ||
            x[k].obj != y[k].obj || x[k].arg != y[k].arg || x[k].dlen != y[k].dlen ||
            (x[k].dlen && memcmp(x[k].data, y[k].data, x[k].dlen)))
            return 0;
    return 1;
}

/* The big log through the streaming reader, validated on one thread
 * and on as many as it takes: the same runs, and what the whole reader w
 * found (counts, first error, every record once through the merge). */
static int stream_check(const struct weft_log *w, const unsigned char *buf, size_t size,
                        const char *what) {
    struct weft_slog one, many;
    setenv("WEFT_INGEST_THREADS", "1", 1);
    int rc1 = weft_slog_open_mem(&one, buf, size, "big");
    unsetenv("WEFT_INGEST_THREADS");
    int rc2 = weft_slog_open_mem(&many, buf, size, "big");
    int bad = 0;
    if (rc1 != 0 || rc2 != 0) {
        fprintf(stderr, "fuzz_log: %s: the streaming reader refused it: %s\n", what,
                rc1 ? one.err : many.err);
        return 1;
    }
    if (one.nruns != many.nruns ||
        (one.nruns && memcmp(one.runs, many.runs, one.nruns * sizeof *one.runs))) {
        fprintf(stderr, "fuzz_log: %s: %zu runs on one thread, %zu (or others) on several\n", what,
                one.nruns, many.nruns);
        bad++;
    }
    const struct weft_slog *s = &many;
    if (s->nevents != w->nevents || s->bad_chunks != w->bad_chunks ||
        s->missing_chunks != w->missing_chunks || s->unwritten_chunks != w->unwritten_chunks ||
        s->nchunks != w->nchunks || strcmp(s->chunk_err, w->chunk_err) ||
        one.nevents != s->nevents || one.bad_chunks != s->bad_chunks ||
        strcmp(one.chunk_err, s->chunk_err)) {
        fprintf(stderr,
                "fuzz_log: %s: streaming %llu records, %llu bad chunks ('%s'); whole %llu, %llu "
                "('%s')\n",
                what, (unsigned long long)s->nevents, (unsigned long long)s->bad_chunks,
                s->chunk_err, (unsigned long long)w->nevents, (unsigned long long)w->bad_chunks,
                w->chunk_err);
        bad++;
    }
    struct weft_slog *logs[1] = {&many};
    uint32_t rank = 0, which;
    struct weft_merge *m = weft_merge_new(logs, &rank, 1);
    struct weft_rec r;
    uint64_t got = 0, prev = 0, disorder = 0;
    while (m && weft_merge_next(m, &r, &which) == 1) {
        disorder += r.ts < prev;
        prev = r.ts;
        got++;
    }
    if (!m || got != w->nevents || disorder) {
        fprintf(stderr,
                "fuzz_log: %s: the merge gave %llu records (%llu out of order), want %llu\n", what,
                (unsigned long long)got, (unsigned long long)disorder,
                (unsigned long long)w->nevents);
        bad++;
    }
    weft_merge_free(m);
    weft_slog_close(&one);
    weft_slog_close(&many);
    return bad;
}

static int parts_check(const unsigned char *seed, uint64_t nchunks) {
    int bad = 0;
    struct weft_log one, many;
    if (weft_log_open_mem(&one, seed, WEFT_LOG_HEADER_SIZE + nchunks * WEFT_LOG_CHUNK_SIZE,
                          "seed") != 0) {
        fprintf(stderr, "fuzz_log: seed rejected: %s\n", one.err);
        return 1;
    }
    uint64_t total;
    size_t size;
    unsigned char *big = replicate(seed, nchunks, 600, &total, &size);
    if (!big || weft_log_open_mem(&many, big, size, "big") != 0) {
        fprintf(stderr, "fuzz_log: big log rejected: %s\n", big ? many.err : "no memory");
        weft_log_close(&one);
        free(big);
        return 1;
    }
    bad += stream_check(&many, big, size, "big log");
    if (many.nevents != one.nevents * (total / nchunks)) {
        fprintf(stderr, "fuzz_log: big log has %llu records, want %llu\n",
                (unsigned long long)many.nevents,
                (unsigned long long)(one.nevents * (total / nchunks)));
        bad++;
    }
    for (uint64_t c = 0; c < total && !bad; c++) {
        uint32_t n1, n2;
        const struct weft_rec *a = weft_log_chunk(&one, c % nchunks, &n1);
        const struct weft_rec *b = weft_log_chunk(&many, c, &n2);
        if (n1 != n2 || (n1 && (!a || !b))) {
            fprintf(stderr, "fuzz_log: chunk %llu: %u records, want %u\n", (unsigned long long)c,
                    n2, n1);
            bad++;
            break;
        }
        for (uint32_t k = 0; k < n1; k++)
            if (a[k].kind != b[k].kind || a[k].tid != b[k].tid || a[k].ts != b[k].ts ||
                a[k].obj != b[k].obj || a[k].arg != b[k].arg || a[k].dlen != b[k].dlen) {
                fprintf(stderr, "fuzz_log: chunk %llu record %u differs\n", (unsigned long long)c,
                        k);
                bad++;
                break;
            }
    }
    weft_log_close(&many);
    /* Damage the first record of a chunk near the end and of one near the
     * start (an OWNER record whose kind becomes unknown). */
    uint64_t late = total - 3, early = 5;
    while (late > early && one.counts[late % nchunks] == 0)
        late--;
    while (early < late && one.counts[early % nchunks] == 0)
        early++;
    weft_log_close(&one);
    char want[64];
    struct weft_log ref;
    if (weft_log_open_mem(&ref, seed, WEFT_LOG_HEADER_SIZE + nchunks * WEFT_LOG_CHUNK_SIZE,
                          "seed") != 0)
        return bad + 1;
    for (int round = 0; round < 2; round++) {
        uint64_t c = round == 0 ? late : early;
        big[WEFT_LOG_HEADER_SIZE + c * WEFT_LOG_CHUNK_SIZE + WEFT_LOG_CHUNK_HDR] = 0xff;
        snprintf(want, sizeof want, "chunk %llu ", (unsigned long long)c);
        if (weft_log_open_mem(&many, big, size, "big") != 0) {
            fprintf(stderr, "fuzz_log: a damaged chunk failed the whole log: %s\n", many.err);
            bad++;
            continue;
        }
        bad += stream_check(&many, big, size, round ? "two damaged chunks" : "a damaged chunk");
        if (many.bad_chunks != (uint64_t)round + 1) {
            fprintf(stderr, "fuzz_log: %llu chunks skipped, want %d\n",
                    (unsigned long long)many.bad_chunks, round + 1);
            bad++;
        }
        if (!strstr(many.chunk_err, want)) {
            fprintf(stderr, "fuzz_log: want the error at %s, got '%s'\n", want, many.chunk_err);
            bad++;
        }
        /* every undamaged chunk is read, the damaged ones are empty */
        for (uint64_t x = 0; x < total; x++) {
            uint32_t m;
            int damaged = x == late || (round == 1 && x == early);
            if (damaged ? (weft_log_chunk(&many, x, &m), m != 0)
                        : !same_chunk(&ref, x % nchunks, &many, x)) {
                fprintf(stderr, "fuzz_log: chunk %llu read wrong next to a damaged one\n",
                        (unsigned long long)x);
                bad++;
                break;
            }
        }
        weft_log_close(&many);
    }
    weft_log_close(&ref);
    free(big);
    printf("fuzz_log: %llu chunks decoded in parts\n", (unsigned long long)total);
    return bad;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: fuzz_log LOG [iterations]\n");
        return 2;
    }
    int iters = argc > 2 ? atoi(argv[2]) : 3000;
    struct weft_log l;
    if (weft_log_open(&l, argv[1]) != 0) {
        fprintf(stderr, "fuzz_log: the seed log is not valid: %s\n", l.err);
        return 1;
    }
    /* Only the used part matters: header + claimed chunks (+1 spare). */
    size_t used = WEFT_LOG_HEADER_SIZE + (l.nchunks + 1) * WEFT_LOG_CHUNK_SIZE;
    if (used > l.size)
        used = l.size;
    unsigned char *orig = malloc(used), *buf = malloc(used);
    memcpy(orig, l.map, used);
    uint64_t nchunks = l.nchunks;
    weft_log_close(&l);
    if (nchunks == 0) {
        fprintf(stderr, "fuzz_log: seed log has no chunks\n");
        return 1;
    }
    struct weft_log ref;
    if (weft_log_open_mem(&ref, orig, used, "seed") != 0) {
        fprintf(stderr, "fuzz_log: the seed copy is not valid: %s\n", ref.err);
        return 1;
    }
    int accepted = 0, rejected = 0, bad = 0;
    uint64_t skipped = 0;
    for (int it = 0; it < iters; it++) {
        memcpy(buf, orig, used);
        size_t size = used;
        int mode = (int)(next() % 4);
        if (mode == 0) { /* flip random bytes anywhere in the used area */
            int n = 1 + (int)(next() % 16);
            for (int k = 0; k < n; k++)
                buf[next() % used] ^= (unsigned char)(1 + next() % 255);
        } else if (mode == 1) { /* truncate below the claimed chunks */
            size = next() % (WEFT_LOG_HEADER_SIZE + nchunks * WEFT_LOG_CHUNK_SIZE);
        } else if (mode == 2) { /* random header words */
            for (int k = 0; k < 4; k++) {
                size_t off = (next() % (sizeof(struct weft_log_header) / 4)) * 4;
                uint32_t v = (uint32_t)next();
                memcpy(buf + off, &v, 4);
            }
        } else { /* random chunk-header and record words */
            for (int k = 0; k < 8; k++) {
                size_t off = WEFT_LOG_HEADER_SIZE + (next() % (used - WEFT_LOG_HEADER_SIZE));
                off &= ~(size_t)3;
                uint32_t v = (next() & 1) ? (uint32_t)next() : (uint32_t)(next() % 512);
                if (off + 4 <= used)
                    memcpy(buf + off, &v, 4);
            }
        }
        /* hand the reader exactly `size` bytes (valgrind sees overreads) */
        unsigned char *cut = malloc(size ? size : 1);
        memcpy(cut, buf, size);
        int header_ok = size >= WEFT_LOG_HEADER_SIZE && !memcmp(cut, orig, WEFT_LOG_HEADER_SIZE);
        if (weft_log_open_mem(&l, cut, size, "fuzz") == 0) {
            accepted++;
            /* Walk everything the reader calls valid. */
            uint64_t sum = 0;
            for (uint64_t c = 0; c < l.nchunks; c++) {
                uint32_t n;
                const struct weft_rec *r = weft_log_chunk(&l, c, &n);
                for (uint32_t k = 0; k < n; k++)
                    sum += r[k].kind + r[k].dlen + (r[k].dlen ? r[k].data[r[k].dlen - 1] : 0);
            }
            (void)sum;
            skipped += l.bad_chunks;
            if (header_ok) {
                /* Each chunk the file holds whole and unchanged reads as in
                 * the original; the ones cut off are counted missing. */
                uint64_t whole = (size - WEFT_LOG_HEADER_SIZE) / WEFT_LOG_CHUNK_SIZE;
                uint64_t want_n = whole < ref.nchunks ? whole : ref.nchunks;
                if (l.nchunks != want_n || l.missing_chunks != ref.nchunks - want_n) {
                    fprintf(stderr,
                            "fuzz_log: %zu bytes: %llu chunks read, %llu missing; "
                            "want %llu and %llu\n",
                            size, (unsigned long long)l.nchunks,
                            (unsigned long long)l.missing_chunks, (unsigned long long)want_n,
                            (unsigned long long)(ref.nchunks - want_n));
                    bad++;
                }
                for (uint64_t c = 0; c < l.nchunks && c < ref.nchunks; c++) {
                    size_t off = WEFT_LOG_HEADER_SIZE + c * WEFT_LOG_CHUNK_SIZE;
                    if (!memcmp(cut + off, orig + off, WEFT_LOG_CHUNK_SIZE) &&
                        !same_chunk(&ref, c, &l, c)) {
                        fprintf(stderr,
                                "fuzz_log: iteration %d: intact chunk %llu read "
                                "wrong\n",
                                it, (unsigned long long)c);
                        bad++;
                    }
                }
            }
            weft_log_close(&l);
        } else {
            rejected++;
            if (header_ok) {
                fprintf(stderr,
                        "fuzz_log: iteration %d: refused a log whose header is "
                        "intact: %s\n",
                        it, l.err);
                bad++;
            }
            if (strchr(l.err, '\n') || !l.err[0]) {
                fprintf(stderr, "fuzz_log: bad error message '%s'\n", l.err);
                bad++;
            }
        }
        free(cut);
    }
    weft_log_close(&ref);
    if (!skipped) {
        fprintf(stderr, "fuzz_log: no damaged chunk was ever skipped: the fuzzing missed\n");
        bad++;
    }
    printf("fuzz_log: %d iterations, %d accepted (%llu damaged chunks skipped), %d rejected\n",
           iters, accepted, (unsigned long long)skipped, rejected);
    bad += parts_check(orig, nchunks);
    free(orig);
    free(buf);
    return bad ? 1 : 0;
}
/* SPDX-License-Identifier: MIT */
