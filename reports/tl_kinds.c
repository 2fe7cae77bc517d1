/* SPDX-License-Identifier: MIT */
/* tl_kinds.c: what each event kind means to the timeline (tl_internal.h):
 * the blocking calls by the stem of their begin/end kind names, and the
 * roles of the other kinds the walk follows. Read from the trace's kinds
 * table, so that a kind renumbered in log.h keeps its meaning. */
#include <string.h>

#include "tl_internal.h"

static const char *const state_names[WEFT_TL_NSTATES] = {
    [WEFT_TL_RUNNING] = "running",           [WEFT_TL_CHAN_SEND] = "chan send",
    [WEFT_TL_CHAN_RECV] = "chan recv",       [WEFT_TL_SELECT] = "select",
    [WEFT_TL_WG_WAIT] = "WaitGroup wait",    [WEFT_TL_MUTEX_LOCK] = "mutex lock",
    [WEFT_TL_RWLOCK_RD] = "rwlock read",     [WEFT_TL_RWLOCK_WR] = "rwlock write",
    [WEFT_TL_COND_WAIT] = "cond wait",       [WEFT_TL_BARRIER] = "barrier wait",
    [WEFT_TL_SEM_WAIT] = "sem wait",         [WEFT_TL_JOIN] = "join",
    [WEFT_TL_GROUP_GO] = "group go",         [WEFT_TL_GROUP_WAIT] = "group wait",
    [WEFT_TL_WEFT_SEM] = "weft_sem acquire", [WEFT_TL_LIMITER] = "limiter wait",
    [WEFT_TL_FUTURE_GET] = "future get",     [WEFT_TL_FUTURE_FREE] = "future free",
};

const char *weft_tl_state_name(enum weft_tl_state s) {
    return (unsigned)s < WEFT_TL_NSTATES ? state_names[s] : "?";
}

/* The blocking calls by the stem of their begin/end kind names. */
static const struct {
    const char *stem;
    enum weft_tl_state state;
} calls[] = {
    {"chan_send", WEFT_TL_CHAN_SEND},
    {"chan_recv", WEFT_TL_CHAN_RECV},
    {"select", WEFT_TL_SELECT},
    {"wg_wait", WEFT_TL_WG_WAIT},
    {"mutex_lock", WEFT_TL_MUTEX_LOCK},
    {"rwlock_rdlock", WEFT_TL_RWLOCK_RD},
    {"rwlock_wrlock", WEFT_TL_RWLOCK_WR},
    {"cond_wait", WEFT_TL_COND_WAIT},
    {"barrier_wait", WEFT_TL_BARRIER},
    {"sem_wait", WEFT_TL_SEM_WAIT},
    {"join", WEFT_TL_JOIN},
    {"group_go", WEFT_TL_GROUP_GO},
    {"group_wait", WEFT_TL_GROUP_WAIT},
    {"weft_sem_acquire", WEFT_TL_WEFT_SEM},
    {"limiter_wait", WEFT_TL_LIMITER},
    {"future_get", WEFT_TL_FUTURE_GET},
    {"future_free", WEFT_TL_FUTURE_FREE},
};

static int call_state(const char *name) {
    size_t n = strlen(name);
    const char *suffix = n > 6 && !strcmp(name + n - 6, "_begin") ? "_begin" : "_end";
    size_t stem = n - strlen(suffix);
    for (size_t i = 0; i < sizeof calls / sizeof *calls; i++)
        if (strlen(calls[i].stem) == stem && !strncmp(name, calls[i].stem, stem))
            return calls[i].state;
    return WEFT_TL_RUNNING;
}

void weft__tl_classify(struct kind *k, int blocking) {
    static const struct {
        const char *name;
        enum role role;
        int side, lock;
    } named[] = {
        {"chan_try_send", R_TRY_SEND, SIDE_SEND, 0},
        {"chan_try_recv", R_TRY_RECV, SIDE_RECV, 0},
        {"mutex_trylock", R_TRYLOCK, 0, 1},
        {"rwlock_trylock", R_TRYLOCK, 0, 2},
        {"mutex_unlock", R_UNLOCK, 0, 0},
        {"rwlock_unlock", R_UNLOCK, 0, 0},
        {"hb_release", R_HB_REL, 0, 0},
        {"hb_acquire", R_HB_ACQ, 0, 0},
        {"chan_make", R_MAKE, 0, 0},
        {"chan_close", R_CLOSE, 0, 0},
        {"chan_free", R_FREE, 0, 0},
        {"deadlock", R_DEADLOCK, 0, 0},
        {"fatal_signal", R_FATAL, 0, 0},
    };
    for (size_t i = 0; i < sizeof named / sizeof *named; i++)
        if (!strcmp(k->name, named[i].name)) {
            k->role = (unsigned char)named[i].role;
            k->side = (unsigned char)named[i].side;
            k->lock = (unsigned char)named[i].lock;
            return;
        }
    if (blocking == 1 || blocking == 2) {
        k->role = blocking == 1 ? R_BEGIN : R_END;
        k->state = (unsigned char)call_state(k->name);
        if (!strcmp(k->name, "chan_send_end"))
            k->side = SIDE_SEND;
        else if (!strcmp(k->name, "chan_recv_end"))
            k->side = SIDE_RECV;
        else if (!strcmp(k->name, "mutex_lock_end"))
            k->lock = 1;
        else if (!strcmp(k->name, "rwlock_rdlock_end"))
            k->lock = 2;
        else if (!strcmp(k->name, "rwlock_wrlock_end"))
            k->lock = 3;
    }
}
