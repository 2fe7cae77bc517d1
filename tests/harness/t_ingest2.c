/* SPDX-License-Identifier: MIT */
/* t_ingest2.c: several ingests in one process (issue 12: the ingest is a
 * context object). Usage: t_ingest2 OUTDIR ROUNDS LOG... -- LOG...
 * First each set of logs alone, into OUTDIR/lone-a.db and lone-b.db;
 * then ROUNDS times both at once, on two threads released together, into
 * OUTDIR/con-a-R.db and con-b-R.db. Every ingest runs with a `loaded`
 * hook that digests the whole item stream (and reads the database
 * through the guard once the stream has ended), so the queue and the
 * guard of each ingest are exercised beside the other's. Prints one line
 * per ingest ("lone a DIGEST", "con a R DIGEST") and exits 1 when a
 * concurrent ingest fails or its stream differs from the lone one's; the
 * caller compares the databases. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"

/* FNV-1a over bytes, and over a string (NULL differs from ""). */
static uint64_t mix(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3u;
    return h;
}
static uint64_t mix_str(uint64_t h, const char *s) {
    return s ? mix(h, s, strlen(s) + 1) : mix(h, "\xff", 1);
}
static uint64_t mix_i(uint64_t h, int64_t v) {
    return mix(h, &v, sizeof v);
}

struct digest {
    uint64_t h, items, threads_rows;
};

/* The hook: every item's values (not its pointers), then one query. */
static int hook(sqlite3 *db, const struct weft_db_guard *guard, weft_event_next next, void *src,
                void *user) {
    struct digest *d = user;
    const struct weft_trace_item *it;
    uint64_t h = 0xcbf29ce484222325u;
    while (next(src, &it)) {
        d->items++;
        h = mix_i(h, it->type);
        switch (it->type) {
        case WEFT_ITEM_SHAPE:
            h = mix_i(h, it->u.shape.nthreads);
            h = mix_i(h, it->u.shape.nprocs);
            for (int i = 0; i < it->u.shape.nprocs; i++)
                h = mix_i(h, it->u.shape.pids[i]);
            break;
        case WEFT_ITEM_EVENT: {
            const struct weft_trace_event *e = &it->u.ev;
            int64_t v[] = {e->id,  e->pid,     e->thread,  e->ts,       e->kind,   e->object,
                           e->obj, e->arg,     e->arg2,    e->stack,    e->hb_obj, e->acq,
                           e->rel, e->has_acq, e->has_rel, e->rel_once, e->peer};
            for (size_t i = 0; i < sizeof v / sizeof *v; i++)
                h = mix_i(h, v[i]);
            break;
        }
        case WEFT_ITEM_THREAD: {
            const struct weft_thread_row *t = &it->u.th;
            int64_t v[] = {t->id,         t->pid,       t->tid,       t->parent,
                           t->created_ns, t->joined_by, t->joined_ns, t->create_stack,
                           t->exit_stack, t->arg,       t->adopted,   t->internal,
                           t->joined,     t->detached};
            for (size_t i = 0; i < sizeof v / sizeof *v; i++)
                h = mix_i(h, v[i]);
            h = mix_str(mix_str(mix_str(mix_str(h, t->exit_kind), t->start), t->name),
                        t->created_by);
            break;
        }
        case WEFT_ITEM_OBJECT: {
            const struct weft_object_row *o = &it->u.ob;
            int64_t v[] = {o->id, o->pid, o->address, o->create_stack, o->destroy_stack};
            for (size_t i = 0; i < sizeof v / sizeof *v; i++)
                h = mix_i(h, v[i]);
            h = mix_str(mix_str(h, o->kind), o->info);
            break;
        }
        case WEFT_ITEM_CASE: {
            int64_t v[] = {it->u.sc.event, it->u.sc.idx, it->u.sc.object, it->u.sc.op};
            for (size_t i = 0; i < sizeof v / sizeof *v; i++)
                h = mix_i(h, v[i]);
            break;
        }
        default:
            return -1;
        }
    }
    /* the stream has ended: every table is in */
    guard->enter(guard->arg);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM threads", -1, &st, NULL);
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        d->threads_rows = (uint64_t)sqlite3_column_int64(st, 0);
    else
        rc = -1;
    sqlite3_finalize(st);
    guard->leave(guard->arg);
    d->h = h;
    return rc == SQLITE_OK ? 0 : -1;
}

struct job {
    char *const *logs;
    int nlogs;
    char db[4096];
    pthread_barrier_t *start; /* NULL: alone */
    struct digest d;
    int rc;
};

static void *run(void *arg) {
    struct job *j = arg;
    /* T_INGEST2_ALL_EVENTS: a row for every event (enough of them for the
     * events' writer thread: ingest_ctx.sh's Helgrind case) */
    struct weft_ingest_opts o = {.min_wait_ns = WEFT_MIN_WAIT_NS,
                                 .all_events = getenv("T_INGEST2_ALL_EVENTS") != NULL,
                                 .loaded = hook,
                                 .user = &j->d};
    struct weft_ingest_stats st;
    memset(&j->d, 0, sizeof j->d);
    if (j->start)
        pthread_barrier_wait(j->start);
    j->rc = weft_ingest(j->logs, j->nlogs, j->db, &o, &st);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: t_ingest2 OUTDIR ROUNDS LOG... -- LOG...\n");
        return 2;
    }
    const char *dir = argv[1];
    int rounds = atoi(argv[2]), sep = 0;
    for (int i = 3; i < argc && !sep; i++)
        if (!strcmp(argv[i], "--"))
            sep = i;
    if (!sep || sep == 3 || sep == argc - 1) {
        fprintf(stderr, "t_ingest2: two sets of logs, split by --\n");
        return 2;
    }
    char *const *set[2] = {argv + 3, argv + sep + 1};
    int n[2] = {sep - 3, argc - sep - 1};
    const char name[2] = {'a', 'b'};
    struct job lone[2];
    for (int k = 0; k < 2; k++) {
        lone[k] = (struct job){.logs = set[k], .nlogs = n[k]};
        snprintf(lone[k].db, sizeof lone[k].db, "%s/lone-%c.db", dir, name[k]);
        run(&lone[k]);
        if (lone[k].rc != 0) {
            fprintf(stderr, "t_ingest2: lone ingest %c failed: %d\n", name[k], lone[k].rc);
            return 1;
        }
        printf("lone %c %016llx %llu %llu\n", name[k], (unsigned long long)lone[k].d.h,
               (unsigned long long)lone[k].d.items, (unsigned long long)lone[k].d.threads_rows);
    }
    int bad = 0;
    for (int r = 0; r < rounds; r++) {
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, 2);
        struct job con[2];
        pthread_t th[2];
        for (int k = 0; k < 2; k++) {
            con[k] = (struct job){.logs = set[k], .nlogs = n[k], .start = &start};
            snprintf(con[k].db, sizeof con[k].db, "%s/con-%c-%d.db", dir, name[k], r);
            if (pthread_create(&th[k], NULL, run, &con[k]) != 0) {
                fprintf(stderr, "t_ingest2: no thread\n");
                return 1;
            }
        }
        for (int k = 0; k < 2; k++)
            pthread_join(th[k], NULL);
        pthread_barrier_destroy(&start);
        for (int k = 0; k < 2; k++) {
            printf("con %c %d %016llx %llu %llu\n", name[k], r, (unsigned long long)con[k].d.h,
                   (unsigned long long)con[k].d.items, (unsigned long long)con[k].d.threads_rows);
            if (con[k].rc != 0 || con[k].d.h != lone[k].d.h || con[k].d.items != lone[k].d.items ||
                con[k].d.threads_rows != lone[k].d.threads_rows) {
                fprintf(stderr, "t_ingest2: round %d: ingest %c %s\n", r, name[k],
                        con[k].rc ? "failed" : "streamed other items than alone");
                bad = 1;
            }
        }
    }
    return bad;
}
