/* SPDX-License-Identifier: MIT */
/* tl_chan.c: the timeline's channels (tl_internal.h): who released each
 * ticket not yet acquired (bounded: the oldest are forgotten beyond
 * TICKETS_MAX), the flow from a send to the receive that acquired its
 * ticket (timeline.h states the rule), select cases' sides, and each
 * channel's capacity, length and close ticket. */
#include <stdlib.h>
#include <string.h>

#include "tl_internal.h"
#include "weft.h"

/* ---- channels and tickets ---- */

struct chan *weft__tl_chan_get(weft_tl *tl, int64_t pid, int64_t addr, int create) {
    uint64_t key[2] = {(uint64_t)pid, (uint64_t)addr};
    struct chan *c = weft__tl_map_get(&tl->chans, key, 0);
    if (!c && create && (c = weft__tl_map_get(&tl->chans, key, 1)))
        c->cap = -1;
    return c;
}

static void ticket_forget_oldest(weft_tl *tl) {
    struct ring_slot *r = &tl->ring[tl->ring_head];
    tl->ring_head = (tl->ring_head + 1) % TICKETS_MAX;
    tl->ring_n--;
    uint64_t key[3] = {r->pid, r->hb, r->tk};
    struct ticket *t = weft__tl_map_get(&tl->tickets, key, 0);
    if (t && t->seq == r->seq) {
        weft__tl_map_remove(&tl->tickets, key);
        tl->st.dropped_tickets++;
    }
}

void weft__tl_ticket_put(weft_tl *tl, int64_t pid, int64_t hb, int64_t tk, int64_t thread,
                         int64_t ts, int64_t event, int hbrow) {
    if (!pid || !hb)
        return;
    if (!tl->ring && !(tl->ring = calloc(TICKETS_MAX, sizeof *tl->ring)))
        return;
    if (tl->ring_n == TICKETS_MAX)
        ticket_forget_oldest(tl);
    uint64_t key[3] = {(uint64_t)pid, (uint64_t)hb, (uint64_t)tk};
    struct ticket *t = weft__tl_map_get(&tl->tickets, key, 1);
    if (!t)
        return;
    t->thread = thread;
    t->ts = ts;
    t->event = event;
    t->hbrow = hbrow;
    t->seq = ++tl->seq;
    struct ring_slot *r = &tl->ring[(tl->ring_head + tl->ring_n++) % TICKETS_MAX];
    *r = (struct ring_slot){key[0], key[1], key[2], t->seq};
}

/* Takes the ticket out; 1 with *out when it was there. */
int weft__tl_ticket_take(weft_tl *tl, int64_t pid, int64_t hb, int64_t tk, struct ticket *out) {
    uint64_t key[3] = {(uint64_t)pid, (uint64_t)hb, (uint64_t)tk};
    struct ticket *t = weft__tl_map_get(&tl->tickets, key, 0);
    if (!t)
        return 0;
    *out = *t;
    weft__tl_map_remove(&tl->tickets, key);
    return 1;
}

/* The side of the case a select ran (select_cases of its begin, or of
 * its end when it did not wait). */
int weft__tl_select_side(weft_tl *tl, int64_t cases_event, int64_t idx) {
    if (idx < 0)
        return SIDE_NONE;
    if (!tl->cases &&
        !(tl->cases = weft__tl_prep(tl, "SELECT op FROM select_cases WHERE event = ? AND idx = ?")))
        return SIDE_NONE;
    sqlite3_reset(tl->cases);
    sqlite3_bind_int64(tl->cases, 1, cases_event);
    sqlite3_bind_int64(tl->cases, 2, idx);
    int side = SIDE_NONE;
    if (sqlite3_step(tl->cases) == SQLITE_ROW) {
        const char *op = (const char *)sqlite3_column_text(tl->cases, 0);
        side = op && !strcmp(op, "send")   ? SIDE_SEND
               : op && !strcmp(op, "recv") ? SIDE_RECV
                                           : SIDE_NONE;
    }
    sqlite3_reset(tl->cases);
    return side;
}

/* A flow. When its ticket was released by an annotation row and its
 * sender is in no open call now (a try whose end row is still to come,
 * libweft's own threads, whose sends are no calls of ours), a point
 * slice marks the release first, for the arrow to start in (nested in
 * the sender's operation, if one comes); if that slice is left out, so
 * is the arrow. */
static void flow(weft_tl *tl, struct weft_tl_item *it, int hbrow) {
    struct thr *s = weft__tl_thr(tl, it->thread);
    if (s && !s->s_state && hbrow) {
        uint64_t before = tl->st.emitted[WEFT_TL_OP];
        int capped = tl->opts.max_items && tl->total >= tl->opts.max_items;
        struct weft_tl_item op = {.kind = WEFT_TL_OP,
                                  .pid = it->pid,
                                  .thread = it->thread,
                                  .ts = it->ts,
                                  .end = it->ts,
                                  .object = it->object,
                                  .addr = it->addr,
                                  .what = "hb_release",
                                  .event = it->from_event,
                                  .cap = it->cap};
        weft__tl_emit(tl, &op);
        if (tl->st.emitted[WEFT_TL_OP] == before) {
            if (capped)
                tl->st.capped[WEFT_TL_FLOW]++;
            else
                tl->st.outside[WEFT_TL_FLOW]++;
            return;
        }
    }
    weft__tl_emit(tl, it);
}

/* The tickets and the length of a channel operation that completed:
 * first what it acquired (a receive: the flow from the send that fed
 * it), then what it released (a send: the ticket its receive will
 * acquire). */
void weft__tl_chan_op(weft_tl *tl, struct thr *th, const struct row *e, int side,
                      int64_t cap_hint) {
    struct chan *c = e->obj ? weft__tl_chan_get(tl, e->pid, e->obj, 1) : NULL;
    int64_t cap = c ? c->cap : cap_hint;
    if (!tl->hb_off_known && e->hb && e->obj) {
        tl->hb_off = e->hb - e->obj;
        tl->hb_off_known = 1;
    }
    if (th->a_valid) {
        /* acquired inside the call (or its try before), at a_ts, on this
         * channel */
        th->a_valid = 0;
        int same = !tl->hb_off_known || !e->obj || th->a_hb == e->obj + tl->hb_off;
        if (side == SIDE_RECV && e->arg == 0 && same &&
            (!c || !c->made_ts || th->a_from_ts >= c->made_ts)) {
            struct weft_tl_item it = {
                .kind = WEFT_TL_FLOW,
                .pid = e->pid,
                .thread = th->a_thread,
                .ts = th->a_from_ts,
                .end = th->a_ts,
                .to_thread = e->thread,
                .from_event = th->a_from_event,
                .event = th->a_event,
                .object = e->object,
                .addr = e->obj,
                .cap = cap,
                .what = "chan",
            };
            flow(tl, &it, (int)th->a_hbrow);
        }
    }
    if (e->has_acq && e->hb) {
        struct ticket t;
        if (weft__tl_ticket_take(tl, e->pid, e->hb, e->acq, &t)) {
            if (side == SIDE_RECV && e->arg == 0 && (!c || !c->made_ts || t.ts >= c->made_ts)) {
                struct weft_tl_item it = {
                    .kind = WEFT_TL_FLOW,
                    .pid = e->pid,
                    .thread = t.thread,
                    .ts = t.ts,
                    .end = e->ts,
                    .to_thread = e->thread,
                    .from_event = t.event,
                    .event = e->id,
                    .object = e->object,
                    .addr = e->obj,
                    .cap = cap,
                    .what = "chan",
                };
                flow(tl, &it, (int)t.hbrow);
            }
        } else if (side == SIDE_RECV && e->arg == 0 && (!c || c->close_tk != e->acq)) {
            tl->st.unmatched_acquires++;
        }
    }
    if (e->has_rel && e->hb)
        weft__tl_ticket_put(tl, e->pid, e->hb, e->rel, e->thread, e->ts, e->id, 0);
    /* The length moves with each value that passes (sends minus
     * receives): whole only when every operation has its row. */
    if (c && e->arg == 0 && side != SIDE_NONE) {
        c->len += side == SIDE_SEND ? 1 : -1;
        if (c->len < 0)
            c->len = 0;
        if (c->cap > 0 && c->len > c->cap)
            c->len = c->cap;
        if (c->cap > 0 && tl->st.all_events) {
            struct weft_tl_item it = {.kind = WEFT_TL_COUNTER,
                                      .pid = e->pid,
                                      .ts = e->ts,
                                      .end = e->ts,
                                      .object = c->object ? c->object : e->object,
                                      .addr = e->obj,
                                      .value = c->len,
                                      .cap = c->cap,
                                      .what = "len"};
            weft__tl_emit(tl, &it);
        }
    }
}
