/* SPDX-License-Identifier: MIT */
/* d_args.c: loop-variable-capture: a creator hands several threads the
 * same pointer into its own stack and changes what it points to between
 * the creations, with nothing ordering the earlier thread's start before
 * the change — Go's classic `go func() { use(i) }()` in a loop, in C:
 * `for (i = 0; ...) pthread_create(..., &i)`.
 *
 * The shim records, for an argument pointing into the creator's stack,
 * the first bytes there at each creation (thread_arg). Same address and
 * same bytes is a context shared unchanged: fine. Different bytes mean the
 * creator wrote the variable in between; that is only safe when the
 * earlier thread's first steps (where it would copy the value) happen
 * before the write, e.g. the creator waited on a semaphore the thread
 * posted, or joined it.
 *
 * The bytes can also change because the threads themselves write a shared
 * object (a WaitGroup on the creator's stack), which is no capture. So the
 * finding also needs both creations to come from the same call site (the
 * same creation stack: a loop), and the address must not be a
 * synchronisation object weft knows (a wg, mutex, semaphore, ...). We see
 * neither reads nor writes, so this stays a heuristic: a warning. A thread
 * that signals first and copies later is taken as safe; a shared context
 * struct whose first bytes the threads change could still be reported. */
#include <stdlib.h>

#include "internal.h"

struct seen {
    int64_t pid;
    uint32_t creator, child;
    uint64_t addr, bytes;
    int reported;
};

struct state {
    struct seen *tab;
    size_t ntab, cap;
};

static struct seen *find(struct state *st, int64_t pid, uint32_t creator, uint64_t addr) {
    struct seen *tab = st->tab;
    for (size_t i = st->ntab; i > 0; i--) /* recent first: loops reuse one slot */
        if (tab[i - 1].pid == pid && tab[i - 1].creator == creator && tab[i - 1].addr == addr)
            return &tab[i - 1];
    if (st->ntab == st->cap) {
        size_t nc = st->cap ? st->cap * 2 : 64;
        struct seen *n = realloc(st->tab, nc * sizeof *n);
        if (!n)
            return NULL;
        st->tab = n;
        st->cap = nc;
    }
    st->tab[st->ntab] = (struct seen){.pid = pid, .creator = creator, .addr = addr};
    return &st->tab[st->ntab++];
}

static int wants(int kind) {
    return kind == WEFT_K_THREAD_CREATE || kind == WEFT_K_THREAD_ARG;
}

static void event(struct weft__dctx *c, void *self, const struct weft__ev *e) {
    if (!wants(e->kind))
        return;
    struct weft__thr *me = weft__thr_of(c, e->thread);
    if (!me)
        return;
    if (e->kind == WEFT_K_THREAD_CREATE)
        return; /* the engine noted me->last_child */
    uint32_t child = me->last_child;
    struct seen *s = find(self, e->pid, e->thread, (uint64_t)e->obj);
    if (!s || !child)
        return;
    struct weft__thr *first = s->child ? weft__thr_of(c, s->child) : NULL;
    struct weft__thr *second = weft__thr_of(c, child);
    if (first && second && !s->reported && s->bytes != (uint64_t)e->arg && first->create_stack &&
        first->create_stack == second->create_stack) {
        /* The earlier thread's epoch-1 events (its start up to its first
         * release) are where it would copy the value. */
        weft__rv now = weft__vc_now(c->hb, e->thread);
        int ordered = weft__vc_knows(c->hb, &now, s->child, 1);
        weft__rv_drop(&now);
        if (!ordered && !weft__known_object(c, e->pid, e->obj)) {
            char a[160], b[160], who[160];
            struct weft__role roles[] = {{"creation", second->create_stack, 0}};
            weft__report(c, "loop-variable-capture", "warning", e->pid, s->child, 0, roles, 1,
                         "%s and %s were both given 0x%llx, a variable on %s's stack, which "
                         "changed (0x%llx -> 0x%llx) between the two creations with nothing "
                         "ordering the first thread's start before the change",
                         weft__thread_name(c, s->child, a, sizeof a),
                         weft__thread_name(c, child, b, sizeof b), (unsigned long long)e->obj,
                         weft__thread_name(c, e->thread, who, sizeof who),
                         (unsigned long long)s->bytes, (unsigned long long)e->arg);
            s->reported = 1;
        }
    }
    s->child = child;
    s->bytes = (uint64_t)e->arg;
}

static void drop(void *self) {
    struct state *st = self;
    free(st->tab);
}

const struct weft__detector weft__det_args = {
    .name = "args", .size = sizeof(struct state), .event = event, .drop = drop, .wants = wants};
