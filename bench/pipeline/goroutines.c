/* SPDX-License-Identifier: MIT */
/* goroutines.c: the goroutine-churn workload: N rounds of one WaitGroup
 * Add, one weft_go worker that calls Done, and the Wait, so that one
 * thread starts and waits for N short detached threads, one after the
 * other, and reuses one WaitGroup N times. Usage: goroutines [N]. Prints N. */
#include <stdio.h>
#include <stdlib.h>
#include <weft/weft.h>

static weft_wg wg;

static void worker(void *arg) {
    (void)arg;
    weft_wg_done(&wg);
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 20000;
    for (long i = 0; i < n; i++) {
        weft_wg_add(&wg, 1);
        if (weft_go(worker, NULL) != 0)
            return 1;
        weft_wg_wait(&wg);
    }
    printf("%ld\n", n);
    return 0;
}
