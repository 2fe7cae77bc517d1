/* pitfall_wg_negative_fixed: exactly one Done per Add: the error path
 * returns after its Done (or, better, Done is called in one place at the
 * end, as Go's defer wg.Done() does). */
#include <stdio.h>
#include <weft/weft.h>

static weft_wg wg;

static void worker(void *arg) {
    int fail = *(int *)arg;
    if (fail) {
        weft_wg_done(&wg);
        return; /* FIX: the error path ends here */
    }
    weft_wg_done(&wg);
}

int main(void) {
    static int fail = 1;
    weft_wg_add(&wg, 1);
    weft_go(worker, &fail);
    weft_wg_wait(&wg);
    printf("done\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
