/* SPDX-License-Identifier: MIT */
/* d_sem.c: semaphore-over-release: weft_sem_release returning
 * WEFT_ERANGE (more released than held; x/sync panics, libweft refuses). */
#include "internal.h"

static int wants(int kind) {
    return kind == WEFT_K_WSEM_RELEASE;
}

static void event(struct weft__dctx *c, void *self, const struct weft__ev *e) {
    (void)self;
    if (!wants(e->kind) || e->arg2 != -34)
        return;
    char who[160];
    struct weft__objinfo o;
    int have = weft__object(c, e->object, &o) == 0;
    struct weft__role roles[] = {{"release", e->stack, 0},
                                 {"creation", have ? o.create_stack : 0, 0}};
    weft__report(c, "semaphore-over-release", "error", e->pid, e->thread, e->object, roles, 2,
                 "semaphore 0x%llx: release(%lld) by %s is more than is held; it was refused",
                 (unsigned long long)e->obj, (long long)e->arg,
                 weft__thread_name(c, e->thread, who, sizeof who));
}

const struct weft__detector weft__det_sem = {.name = "semaphore", .event = event, .wants = wants};
