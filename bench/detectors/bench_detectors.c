/* SPDX-License-Identifier: MIT */
/* bench_detectors.c: times every detector together over a trace database
 * (weft_detect: one replay of all events through the happens-before engine
 * and the detector units, findings written). Prints, never asserts:
 *   bench_detectors TRACE.db [repeats] */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "detectors.h"

/* The detectors report errors through the weft command's weft_err. */
void weft_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void weft_err(const char *fmt, ...) {
    va_list ap;
    fputs("bench_detectors: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_detectors TRACE.db [repeats]\n");
        return 2;
    }
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    double best = 0;
    struct weft_detect_result r = {0};
    for (int i = 0; i < reps; i++) {
        if (weft_detect_file(argv[1], NULL, &r) != 0)
            return 1;
        if (i == 0 || r.seconds < best)
            best = r.seconds;
    }
    printf("detectors: %llu events, %d findings, best of %d: %.3f s (%.2f M events/s)\n", r.events,
           r.findings, reps, best, best > 0 ? r.events / best / 1e6 : 0.0);
    return 0;
}
