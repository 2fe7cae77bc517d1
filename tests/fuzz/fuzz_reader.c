/* fuzz_reader.c: libFuzzer target for the raw-log reader. Each input is a
 * packed log (pack.h); the reader validates it and every record of every
 * chunk it kept is read, with its kind's name: nothing may crash, hang,
 * leak or trip a sanitizer, whatever the bytes. */
#include <stdio.h>

#include "log_reader.h"
#include "pack.h"

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

static volatile uint64_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    size_t size = 0;
    uint8_t *buf = fuzz_unpack(data, n, &size);
    if (!buf)
        return 0;
    struct weft_log l;
    if (weft_log_open_mem(&l, buf, size, "fuzz.log") == 0) {
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
        weft_log_close(&l);
    }
    free(buf);
    return 0;
}
