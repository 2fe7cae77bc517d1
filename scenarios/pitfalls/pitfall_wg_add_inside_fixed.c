/* pitfall_wg_add_inside_fixed: Add before starting the goroutine, so the
 * Add happens before the goroutine exists and before Wait; the goroutine
 * only calls Done. */
#include <stdio.h>
#include <weft/weft.h>

static weft_wg wg;

static void worker(void *arg) {
    (void)arg;
    weft_wg_done(&wg);
}

int main(void) {
    weft_wg_add(&wg, 1); /* FIX: Add before `go` */
    weft_go(worker, NULL);
    weft_wg_wait(&wg);
    printf("done\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
