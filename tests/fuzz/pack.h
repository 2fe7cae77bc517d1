/* pack.h: the fuzzers' compact form of a raw log. A real log is its 4 KiB
 * header and 64 KiB chunks, mostly zeros past what was written; mutating
 * those zeros finds nothing. A packed log is the header and each chunk
 * with their trailing zeros cut, each after a 32-bit length:
 *   u32 len, header[len] (len <= 4096), then per chunk: u32 len, bytes[len]
 * (len <= 65536). Unpacking pads them back to a log the reader takes as
 * it would take a file. Input that does not parse as this form is
 * unpacked as far as it goes, so every input is some log. */
#ifndef WEFT_FUZZ_PACK_H
#define WEFT_FUZZ_PACK_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* At most this many chunks (4 MiB of log): bounds each run's memory. */
#define FUZZ_MAX_CHUNKS 64

static inline uint32_t fuzz_u32(const uint8_t **p, const uint8_t *end) {
    uint32_t v = 0;
    if (end - *p >= 4) {
        memcpy(&v, *p, 4);
        *p += 4;
    } else {
        *p = end;
    }
    return v;
}

/* Walks data as a packed log: calls copy(dst offset, src, len) for the
 * header and each chunk; returns the number of chunks. */
static inline size_t fuzz_walk(const uint8_t *data, size_t n, uint8_t *log) {
    const uint8_t *p = data, *end = data + n;
    uint32_t len = fuzz_u32(&p, end) % (WEFT_LOG_HEADER_SIZE + 1);
    if (len > (size_t)(end - p))
        len = (uint32_t)(end - p);
    if (log)
        memcpy(log, p, len);
    p += len;
    size_t chunks = 0;
    while (p < end && chunks < FUZZ_MAX_CHUNKS) {
        len = fuzz_u32(&p, end) % (WEFT_LOG_CHUNK_SIZE + 1);
        if (len > (size_t)(end - p))
            len = (uint32_t)(end - p);
        if (log)
            memcpy(log + WEFT_LOG_HEADER_SIZE + chunks * WEFT_LOG_CHUNK_SIZE, p, len);
        p += len;
        chunks++;
    }
    return chunks;
}

/* A malloc'd log made of data (see above), its size in *size: exactly as
 * big as its chunks (ASan sees any read past the end). */
static inline uint8_t *fuzz_unpack(const uint8_t *data, size_t n, size_t *size) {
    *size = WEFT_LOG_HEADER_SIZE + fuzz_walk(data, n, NULL) * WEFT_LOG_CHUNK_SIZE;
    uint8_t *log = calloc(1, *size);
    if (log)
        fuzz_walk(data, n, log);
    return log;
}

/* The packed form of a log of size bytes into out (malloc'd), its size
 * in *n. */
static inline uint8_t *fuzz_pack(const uint8_t *log, size_t size, size_t *n) {
    uint8_t *out = malloc(size + 4 * (size / WEFT_LOG_CHUNK_SIZE + 2));
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t off = 0, part = 0; off < size; part++) {
        size_t cap = part ? WEFT_LOG_CHUNK_SIZE : WEFT_LOG_HEADER_SIZE;
        if (cap > size - off)
            cap = size - off;
        uint32_t len = (uint32_t)cap;
        while (len && !log[off + len - 1])
            len--;
        memcpy(out + o, &len, 4);
        memcpy(out + o + 4, log + off, len);
        o += 4 + len;
        off += cap;
        if (part >= FUZZ_MAX_CHUNKS)
            break;
    }
    *n = o;
    return out;
}

#endif
/* SPDX-License-Identifier: MIT */
