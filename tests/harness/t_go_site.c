/* t_go_site: threads made by libweft's weft_go, weft_group_go and
 * weft_future_start, each waited for properly. Their creation stacks must
 * start at these calls in main (this file), not in libweft's spawn path
 * (test pitfalls.sh go_creation_site). */
#include <stdio.h>
#include <weft/weft.h>

static weft_wg wg;

static void go_fn(void *arg) {
    (void)arg;
    weft_wg_done(&wg);
}

static int group_fn(weft_ctx *ctx, void *arg) {
    (void)ctx;
    (void)arg;
    return 0;
}

static int future_fn(void *arg, void *result) {
    (void)arg;
    *(int *)result = 7;
    return 0;
}

int main(void) {
    weft_wg_add(&wg, 1);
    weft_go(go_fn, NULL);
    weft_wg_wait(&wg);
    weft_group *g = weft_group_new(NULL);
    weft_group_go(g, group_fn, NULL);
    weft_group_wait(g);
    weft_group_free(g);
    weft_future *f = weft_future_start(future_fn, NULL, sizeof(int));
    int v = 0;
    weft_future_get(f, &v);
    weft_future_free(f);
    printf("%d\n", v);
    return 0;
}
/* SPDX-License-Identifier: MIT */
