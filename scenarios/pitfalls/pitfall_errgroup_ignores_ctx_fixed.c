/* pitfall_errgroup_ignores_ctx_fixed: each fetch waits for its upstream
 * *or* the group's context: the first failure cancels the context, the
 * other fetches return at once, and Wait returns the first error. */
#include <stdio.h>
#include <weft/weft.h>

static weft_chan *upstream; /* the hung server: never answers */

static int fetch(weft_ctx *ctx, void *arg) {
    long id = (long)(intptr_t)arg;
    if (id == 0)
        return -1;
    int reply;
    weft_case cases[] = {{upstream, WEFT_RECV, &reply, 0}, {weft_ctx_done(ctx), WEFT_RECV, NULL, 0}};
    if (weft_select(cases, 2, 0) == 1) /* FIX: the cancelled context ends the wait */
        return weft_ctx_err(ctx);
    return 0;
}

int main(void) {
    upstream = weft_chan_make(sizeof(int), 0);
    weft_group *g = weft_group_new(NULL);
    for (long id = 0; id < 3; id++)
        weft_group_go(g, fetch, (void *)(intptr_t)id);
    int err = weft_group_wait(g);
    printf("err %d\n", err);
    weft_group_free(g);
    return 0;
}
/* SPDX-License-Identifier: MIT */
