/* SPDX-License-Identifier: MIT */
/* bench_detectors.c: times every detector together over a trace database
 * (weft_detect: the trace read back as the ingest's stream of items, one
 * replay of all events through the happens-before engine and the detector
 * units, findings written). A database ingested with --all-events replays
 * every event; a default one lacks the events the ingest counted. Prints, never asserts:
 *   bench_detectors TRACE.db [repeats] */
#include <stdio.h>
#include <stdlib.h>

#include "detectors.h"

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
