/* pitfall_errgroup_ignores_ctx: errgroup workers that ignore the cancelled
 * context. Three fetches run in a group; the first fails at once, which
 * cancels the group's context, but the other two wait for their (hung)
 * upstream without looking at the context, so Wait never returns and the
 * whole program hangs: a global deadlock, ended under weft by the
 * watchdog (exit status 2). The fix is pitfall_errgroup_ignores_ctx_fixed
 * (every blocking step also selects on ctx's done channel). */
#include <stdio.h>
#include <weft/weft.h>

static weft_chan *upstream; /* the hung server: never answers */

static int fetch(weft_ctx *ctx, void *arg) {
    long id = (long)(intptr_t)arg;
    (void)ctx; /* the context is there, and ignored */
    if (id == 0)
        return -1; /* this fetch fails: the group cancels ctx */
    int reply;
    weft_chan_recv(upstream, &reply); /* BUG: ignores ctx: waits for the hung upstream forever */
    return 0;
}

int main(void) {
    upstream = weft_chan_make(sizeof(int), 0);
    weft_group *g = weft_group_new(NULL);
    for (long id = 0; id < 3; id++)
        weft_group_go(g, fetch, (void *)(intptr_t)id);
    int err = weft_group_wait(g); /* the deadlock is reported from here first (main, thread 1); the fetches' stacks point at the BUG line */
    printf("err %d\n", err);
    weft_group_free(g);
    return 0;
}
/* SPDX-License-Identifier: MIT */
