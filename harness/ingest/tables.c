/* SPDX-License-Identifier: MIT */
/* tables.c: the tables the model made, written once the one pass has
 * read every record (and before the detectors' stream ends: their last
 * steps read them): kinds, modules, stacks and frames (symbolized with
 * each process's module map), processes and threads, images, objects and
 * losses. Each reads the ingest's struct weft__ingest (ingest_internal.h)
 * and writes through its connection. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_internal.h"

int weft__ingest_write_kinds(struct weft__ingest *g) {
    sqlite3_stmt *st = weft__ingest_prep(g, "INSERT INTO kinds VALUES (?,?,?,?)");
    if (!st)
        return -1;
    for (unsigned k = 0; k < WEFT_K_MAX; k++) {
        if (!weft_kind_name(k))
            continue;
        I64(st, 1, k);
        TXT(st, 2, weft_kind_name(k));
        TXT(st, 3, weft_kind_family(k));
        I64(st, 4, weft_kind_blocking(k));
        if (weft__ingest_step(g, st)) {
            sqlite3_finalize(st);
            return -1;
        }
    }
    sqlite3_finalize(st);
    return 0;
}

static void hex(char *out, const unsigned char *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
    out[2 * n] = 0;
}

/* Frames of one stack at most, inlined functions included: four per
 * recorded address on average (a C++ lock_guard's lock is three inlined
 * calls deep); past that the outermost addresses keep fewer. */
#define FRAMES_MAX (4 * (WEFT__STACK_MAX + 1))

/* Modules and stacks of process pi, symbolized with its module map. */
int weft__ingest_write_modules_stacks(struct weft__ingest *g, uint32_t pi, uint64_t *nstacks) {
    struct proc *p = &g->procs[pi];
    sqlite3_stmt *sm =
        weft__ingest_prep(g, "INSERT INTO modules(pid,path,bias,lo,hi,build_id,seen_ns) "
                             "VALUES (?,?,?,?,?,?,?)");
    sqlite3_stmt *ss = weft__ingest_prep(g, "INSERT INTO stacks VALUES (?,?,?,?)");
    sqlite3_stmt *sf = weft__ingest_prep(g, "INSERT INTO frames VALUES (?,?,?,?,?,?,?,?)");
    int rc = -1;
    struct weft_symmap *sym = NULL;
    struct map seen = {0};
    char buf[4200], bid[200];
    /* the modules reported (MODULE records), for the symbolizer */
    const struct weft_rec **mods = NULL;
    size_t nmods = 0;
    if (!sm || !ss || !sf)
        goto out;
    mods = malloc((p->nmeta ? p->nmeta : 1) * sizeof *mods);
    if (!mods) {
        weft_err("out of memory");
        goto out;
    }
    for (size_t x = 0; x < p->nmeta; x++) {
        const struct weft_rec *r = &p->meta[x];
        if (r->kind != WEFT_K_MODULE)
            continue;
        size_t len = payload(r, buf, sizeof buf);
        uint32_t plen = r->aux < len ? r->aux : (uint32_t)len;
        buf[plen] = 0;
        uint64_t dummy;
        uint64_t ph = 0;
        for (uint32_t i = 0; i < plen; i++)
            ph = ph * 131 + (unsigned char)buf[i];
        if (map_get(&seen, r->obj, ph, &dummy))
            continue;
        map_put(&seen, r->obj, ph, 1);
        size_t blen = r->stack;
        if (blen > 64 || plen + 1 + blen > len)
            blen = 0;
        hex(bid, (const unsigned char *)buf + plen + 1, blen);
        I64(sm, 1, p->pid);
        TXT(sm, 2, buf);
        I64(sm, 3, r->obj);
        I64(sm, 4, r->arg);
        I64(sm, 5, r->arg2);
        TXT(sm, 6, blen ? bid : NULL);
        I64(sm, 7, r->ts);
        if (weft__ingest_step(g, sm))
            goto out;
        mods[nmods++] = r;
    }
    /* The map was made as the MODULE records came (sym_module); a process
     * without any gets an empty one (its frames keep their pcs). */
    if (!p->sym && (!g->symtab && !(g->symtab = weft_symtab_new()))) {
        weft_err("out of memory");
        goto out;
    }
    if (!p->sym && !(p->sym = weft_symmap_new(g->symtab))) {
        weft_err("out of memory");
        goto out;
    }
    sym = p->sym;
    (void)nmods;
    for (size_t x = 0; x < p->nmeta; x++) {
        const struct weft_rec *r = &p->meta[x];
        if (r->kind != WEFT_K_STACK || r->obj == 0 || r->obj > p->max_stack)
            continue;
        uint64_t raw[WEFT__STACK_MAX + 1];
        size_t nraw = stack_pcs(r, raw);
        uint64_t id = p->stack_base + r->obj;
        /* Each return address stands for the functions inlined there and
         * the one it is in (weft_symmap_frames): a frame each, sharing
         * the pc. A sanitizer's interceptor frames on top (an ASan build
         * calls pthread_create through libasan) leave: the stack starts
         * at the program's call, as it does without the sanitizer. */
        uint64_t pcs[FRAMES_MAX];
        struct weft_frame_info fis[FRAMES_MAX];
        size_t depth = 0, skip = 0;
        for (size_t d = 0; d < nraw; d++) {
            /* room for one frame of each address still to come */
            size_t room = FRAMES_MAX - depth - (nraw - d - 1);
            size_t n = weft_symmap_frames(sym, raw[d], &fis[depth], room);
            for (size_t k = 0; k < n; k++)
                pcs[depth + k] = raw[d];
            depth += n;
        }
        while (skip + 1 < depth && weft_sym_sanitizer_module(fis[skip].module))
            skip++;
        I64(ss, 1, id);
        I64(ss, 2, p->pid);
        I64(ss, 3, r->obj);
        I64(ss, 4, depth - skip);
        if (sqlite3_step(ss) != SQLITE_DONE) {
            /* the same id twice: a corrupt but valid-looking log; keep the first */
            sqlite3_reset(ss);
            continue;
        }
        sqlite3_reset(ss);
        (*nstacks)++;
        for (size_t d = skip; d < depth; d++) {
            const struct weft_frame_info fi = fis[d];
            I64(sf, 1, id);
            I64(sf, 2, d - skip);
            I64(sf, 3, pcs[d]);
            TXT(sf, 4, fi.module);
            if (fi.module)
                I64(sf, 5, fi.offset);
            TXT(sf, 6, fi.function);
            TXT(sf, 7, fi.file);
            if (fi.line)
                I64(sf, 8, fi.line);
            if (weft__ingest_step(g, sf))
                goto out;
        }
    }
    rc = 0;
out:
    free(mods);
    free(seen.e);
    sqlite3_finalize(sm);
    sqlite3_finalize(ss);
    sqlite3_finalize(sf);
    return rc;
}

int weft__ingest_write_processes_threads(struct weft__ingest *g,
                                         const struct weft_ingest_opts *opts, uint64_t *nthreads) {
    sqlite3_stmt *sp =
        weft__ingest_prep(g, "INSERT INTO processes VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    sqlite3_stmt *st = weft__ingest_prep(
        g, "INSERT INTO threads VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    int rc = -1;
    if (!sp || !st)
        goto out;
    for (int i = 0; i < g->nprocs; i++) {
        struct proc *p = &g->procs[i];
        /* The end of a process is its last image's. */
        struct proc *last = p;
        uint64_t events = 0, end_ns = 0, dropped = 0;
        int complete = 1, images = 0;
        for (int j = 0; j < g->nprocs; j++)
            if (g->procs[j].root == i) {
                events += g->procs[j].events;
                dropped += g->procs[j].log.hdr.dropped_events;
                complete &= g->procs[j].complete;
                images++;
                if (g->procs[j].end_ns > end_ns)
                    end_ns = g->procs[j].end_ns;
                if (g->procs[j].log.hdr.start_mono_ns > last->log.hdr.start_mono_ns)
                    last = &g->procs[j];
            }
        const char *kind = last->exit_kind;
        int has_code = last->has_code, code = last->code, sig = last->signal;
        if (p->root != i)
            goto threads;
        if (opts && opts->root_pid == p->pid) {
            /* weft run saw how it ended: that is the truth. */
            int ws = opts->root_status;
            if ((ws & 0x7f) == 0) {
                has_code = 1;
                code = (ws >> 8) & 0xff;
                sig = 0;
                if (!kind || !strcmp(kind, "signal"))
                    kind = "exit";
            } else {
                has_code = 0;
                sig = ws & 0x7f;
                kind = "signal";
            }
        }
        /* A process whose last image exec'd a program that left no log
         * (run untraced, or static) went on as that program: its log
         * stops at the exec, not at a kill. */
        if (!kind)
            kind = last->finished ? "exit" : last->exec_path[0] ? "exec" : "unknown";
        I64(sp, 1, p->pid);
        I64(sp, 2, p->ppid);
        for (int j = 0; j < g->nprocs; j++)
            if (p->parent_tid && g->procs[j].pid == p->ppid && p->parent_tid <= g->procs[j].max_tid)
                I64(sp, 3, weft__ingest_gtid(&g->procs[j], p->parent_tid));
        /* the image that ran last names the process (a shell's child that
         * exec'd xz is xz); every image is in `images` */
        TXT(sp, 4, last->argv_json[0] ? last->argv_json : "[]");
        TXT(sp, 5, last->exe[0] ? last->exe : NULL);
        I64(sp, 6, p->log.hdr.start_mono_ns);
        I64(sp, 7, p->log.hdr.start_real_ns);
        OPT(sp, 8, end_ns);
        TXT(sp, 9, kind);
        if (has_code)
            I64(sp, 10, code);
        if (!has_code && sig)
            I64(sp, 11, sig);
        I64(sp, 12, last->finished || (opts && opts->root_pid == p->pid));
        I64(sp, 13, events);
        I64(sp, 14, dropped);
        I64(sp, 15, p->log.hdr.stack_depth);
        TXT(sp, 16, last->path);
        I64(sp, 17, complete && !weft__ingest_has_loss_of(g, p->pid));
        I64(sp, 18, images);
        if (weft__ingest_step(g, sp))
            goto out;
    threads:
        for (uint32_t tid = 1; tid <= p->max_tid; tid++) {
            struct thr *t = &p->thr[tid];
            if (!t->seen)
                continue;
            (*nthreads)++;
            uint64_t gid = weft__ingest_gtid(p, tid);
            I64(st, 1, gid);
            I64(st, 2, p->pid);
            I64(st, 3, tid + p->tid_offset);
            OPT(st, 4, t->os_tid);
            OPT(st, 5, t->handle);
            TXT(st, 6, t->name[0] ? t->name : NULL);
            if (t->parent && t->parent <= p->max_tid)
                I64(st, 7, weft__ingest_gtid(p, t->parent));
            OPT(st, 8, t->start_routine);
            if (t->start_routine) {
                TXT(st, 9, weft__ingest_start_function(p, t));
                I64(st, 10, t->arg);
            }
            OPT(st, 11, t->created);
            OPT(st, 12, t->started);
            OPT(st, 13, t->exited);
            TXT(st, 14, t->exit_kind);
            if (t->exit_kind)
                I64(st, 15, t->exit_value);
            OPT(st, 16, t->joined);
            if (t->joined_by)
                I64(st, 17, weft__ingest_gtid(p, t->joined_by));
            OPT(st, 18, t->detached);
            if (t->create_stack)
                I64(st, 19, p->stack_base + t->create_stack);
            if (t->exit_stack)
                I64(st, 20, p->stack_base + t->exit_stack);
            I64(st, 21, t->adopted);
            TXT(st, 22, weft__ingest_created_by(t));
            I64(st, 23, t->internal);
            if (weft__ingest_step(g, st))
                goto out;
        }
    }
    rc = 0;
out:
    sqlite3_finalize(sp);
    sqlite3_finalize(st);
    return rc;
}

/* One row of `images`; the empty strings and 0 stand for NULL. */
static int image_row(struct weft__ingest *g, sqlite3_stmt *st, int64_t pid, int seq,
                     const char *exe, const char *argv, int64_t start_ns, int64_t end_ns,
                     const char *exec_path, int untraced, const char *log) {
    I64(st, 1, pid);
    I64(st, 2, seq);
    TXT(st, 3, exe && exe[0] ? exe : NULL);
    TXT(st, 4, argv && argv[0] ? argv : "[]");
    I64(st, 5, start_ns);
    OPT(st, 6, end_ns);
    TXT(st, 7, exec_path && exec_path[0] ? exec_path : NULL);
    I64(st, 8, untraced);
    TXT(st, 9, log);
    return weft__ingest_step(g, st);
}

/* One row per image (log) of each process, in the order they ran. */
int weft__ingest_write_images(struct weft__ingest *g) {
    sqlite3_stmt *st = weft__ingest_prep(g, "INSERT INTO images VALUES (?,?,?,?,?,?,?,?,?)");
    int rc = st ? 0 : -1;
    for (int i = 0; i < g->nprocs && !rc; i++) {
        struct proc *p = &g->procs[i];
        uint64_t t = p->log.hdr.start_mono_ns;
        int seq = 0, later = 0; /* later: an image after it, so its exec was traced */
        for (int j = 0; j < g->nprocs; j++)
            if (g->procs[j].pid == p->pid) {
                seq += g->procs[j].log.hdr.start_mono_ns < t;
                later |= g->procs[j].log.hdr.start_mono_ns > t;
            }
        rc = image_row(g, st, p->pid, seq, p->exe, p->argv_json, (int64_t)t, (int64_t)p->end_ns,
                       p->exec_path, p->exec_path[0] && !later ? 1 + p->exec_as_other : 0, p->path);
    }
    /* A posix_spawn child with no log of its own ran untraced: a row
     * that says so (no process row: nothing of it was recorded). */
    for (size_t k = 0; k < g->nspawns && !rc; k++) {
        int have = 0;
        for (int j = 0; j < g->nprocs && !have; j++)
            have = g->procs[j].pid == g->spawns[k].pid;
        for (size_t m = 0; m < k && !have; m++)
            have = g->spawns[m].pid == g->spawns[k].pid;
        if (!have)
            rc = image_row(g, st, g->spawns[k].pid, 0, NULL, NULL, (int64_t)g->spawns[k].ts, 0,
                           g->spawns[k].path, 1, NULL);
    }
    sqlite3_finalize(st);
    return rc;
}

int weft__ingest_write_losses(struct weft__ingest *g) {
    sqlite3_stmt *st = weft__ingest_prep(g, "INSERT INTO losses VALUES (?,?,?,?,?)");
    int rc = st ? 0 : -1;
    for (size_t i = 0; i < g->nlosses && !rc; i++) {
        OPT(st, 1, g->losses[i].pid);
        TXT(st, 2, g->losses[i].log);
        TXT(st, 3, g->losses[i].what);
        I64(st, 4, g->losses[i].count);
        TXT(st, 5, g->losses[i].detail);
        rc = weft__ingest_step(g, st);
    }
    sqlite3_finalize(st);
    return rc;
}

int weft__ingest_write_objects(struct weft__ingest *g) {
    sqlite3_stmt *so = weft__ingest_prep(g, "INSERT INTO objects VALUES (?,?,?,?,?,?,?,?,?,?,?)");
    if (!so)
        return -1;
    for (size_t i = 0; i < g->nobjs; i++) {
        struct obj *o = &g->objs[i];
        struct proc *p = &g->procs[o->proc];
        I64(so, 1, i + 1);
        I64(so, 2, p->pid);
        TXT(so, 3, o->kind);
        I64(so, 4, o->address);
        I64(so, 5, o->generation);
        OPT(so, 6, o->created);
        if (o->create_stack)
            I64(so, 7, p->stack_base + o->create_stack);
        OPT(so, 8, o->destroyed);
        if (o->destroy_stack)
            I64(so, 9, p->stack_base + o->destroy_stack);
        OPT(so, 10, o->thread);
        TXT(so, 11, o->info);
        if (weft__ingest_step(g, so)) {
            sqlite3_finalize(so);
            return -1;
        }
    }
    sqlite3_finalize(so);
    return 0;
}
