/* SPDX-License-Identifier: MIT */
/* openmp: an OpenMP parallel region, whose threads libgomp keeps in its
 * pool until the process exits (weft's default suppressions silence
 * them); with "mine" one of the region's threads also starts a thread of
 * the program's own that is still running at exit: that one is a
 * leaked thread, whoever created it. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void *forever(void *arg) {
    for (;;)
        pause();
    return arg;
}

int main(int argc, char **argv) {
    int mine = argc > 1 && !strcmp(argv[1], "mine");
    long sum = 0;
#pragma omp parallel num_threads(3) reduction(+ : sum)
    {
        sum += 1;
#pragma omp single nowait
        if (mine) {
            pthread_t t;
            pthread_create(&t, NULL, forever, NULL); /* key: mine */
        }
    }
    printf("%ld\n", sum);
    return 0;
}
