/* fuzz_log.c: the log reader against damaged input. Takes a valid log,
 * then validates thousands of copies with random bytes flipped, random
 * truncations and random header fields: the reader must never crash and
 * must reject every truncation below the claimed chunks. Deterministic
 * (fixed seed) so a failure reproduces. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log_reader.h"

static uint64_t rng = 0x853c49e6748fea9bu;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
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
    int accepted = 0, rejected = 0, bad = 0;
    for (int it = 0; it < iters; it++) {
        memcpy(buf, orig, used);
        size_t size = used;
        int mode = (int)(next() % 4);
        int must_reject = 0;
        if (mode == 0) { /* flip random bytes anywhere in the used area */
            int n = 1 + (int)(next() % 16);
            for (int k = 0; k < n; k++)
                buf[next() % used] ^= (unsigned char)(1 + next() % 255);
        } else if (mode == 1) { /* truncate below the claimed chunks */
            size = next() % (WEFT_LOG_HEADER_SIZE + nchunks * WEFT_LOG_CHUNK_SIZE);
            must_reject = 1;
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
        /* Reading a buffer shorter than the claimed chunks must fail, so
         * hand the reader exactly `size` bytes. */
        unsigned char *cut = malloc(size ? size : 1);
        memcpy(cut, buf, size);
        if (weft_log_open_mem(&l, cut, size, "fuzz") == 0) {
            accepted++;
            if (must_reject && size < WEFT_LOG_HEADER_SIZE + nchunks * WEFT_LOG_CHUNK_SIZE &&
                ((struct weft_log_header *)cut)->chunks_claimed >= nchunks) {
                fprintf(stderr, "fuzz_log: accepted a log truncated to %zu bytes\n", size);
                bad++;
            }
            /* Walk everything the reader calls valid. */
            uint64_t sum = 0;
            for (uint64_t c = 0; c < l.nchunks; c++) {
                uint32_t n;
                const struct weft_rec *r = weft_log_chunk(&l, c, &n);
                for (uint32_t k = 0; k < n; k++)
                    sum += r[k].kind + r[k].dlen + (r[k].dlen ? r[k].data[r[k].dlen - 1] : 0);
            }
            (void)sum;
            weft_log_close(&l);
        } else {
            rejected++;
            if (strchr(l.err, '\n') || !l.err[0]) {
                fprintf(stderr, "fuzz_log: bad error message '%s'\n", l.err);
                bad++;
            }
        }
        free(cut);
    }
    printf("fuzz_log: %d iterations, %d accepted, %d rejected\n", iters, accepted, rejected);
    free(orig);
    free(buf);
    return bad ? 1 : 0;
}
