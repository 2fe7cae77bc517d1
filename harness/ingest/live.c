/* SPDX-License-Identifier: MIT */
/* live.c: the live ingest (weft_ingest_live): the same one pass as
 * ingest.c's, driven a step at a time over the logs of a directory while
 * the program that writes them runs. Each step: the time now, the logs
 * that appeared (a fork, an exec), every log read again (stream.c's live
 * reading: the words committed since), the model's new threads and
 * processes announced to the detectors (a SHAPE item that grows their
 * arrays), then every record older than the watermark through the pass.
 * The watermark is the step's time less a margin: a record is committed
 * right after its time is taken, so every record older than that was in
 * the file when the step read it, unless its writer was preempted for
 * longer than the margin between the two (then it comes late, after
 * records of other threads that followed it, and is counted in meta's
 * live_late). Chunks wholly consumed are punched out of the files, so
 * that the disk the logs take stays bounded. Between steps it sleeps,
 * and skips its step while the program keeps the CPUs busy, unless the
 * logs not yet consumed exceed a bound. Once the caller says the program
 * has ended, a last step reads everything, and the ingest ends as
 * ingest.c's does (tables, detectors, indexes, rename). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ingest_internal.h"

enum { MAX_IMAGES = 1024 }; /* logs a live ingest reads; the merge holds pointers into procs */

struct live {
    struct weft__ingest *g;
    const struct weft_ingest_opts *o;
    const struct weft_live_opts *lo;
    struct weft_merge *m;
    char **names; /* every log name seen (opened, or refused for good) */
    size_t nnames, capnames;
    uint64_t nthreads;   /* global thread ids given */
    uint64_t announced;  /* threads the detectors were told of */
    int announced_roots; /* processes the detectors were told of */
    int64_t **shapes;    /* the pids arrays handed to the detectors (kept to the end) */
    size_t nshapes;
    uint64_t last_ns, late;
    int hooked;
    /* backing off: the program's CPU time at the last step */
    unsigned long long prog_ticks;
    uint64_t prog_at;
};

static int known(const struct live *lv, const char *name) {
    for (size_t i = 0; i < lv->nnames; i++)
        if (!strcmp(lv->names[i], name))
            return 1;
    return 0;
}

static int remember(struct live *lv, char *path) {
    if (ROOM(lv->names, lv->nnames, lv->capnames, 16) != 0)
        return -1;
    lv->names[lv->nnames++] = path;
    return 0;
}

/* A log that appeared: opened for live reading and added to the model
 * and the merge. A log whose header is not written yet is tried again at
 * the next step (its process is starting). 0, or -1 (out of memory). */
static int add_log(struct live *lv, const char *path, int last) {
    struct weft__ingest *g = lv->g;
    if (g->nprocs >= MAX_IMAGES) {
        weft__ingest_add_loss(g, weft__ingest_pid_of_name(path), NULL, "unreadable-log", 1,
                              "%s: more than %d logs for one live ingest: left out", path,
                              MAX_IMAGES);
        return remember(lv, strdup(path));
    }
    struct proc *p = &g->procs[g->nprocs];
    memset(p, 0, sizeof *p);
    if (weft_slog_open_live(&p->log, path) != 0) {
        int empty = strstr(p->log.err, "never written") || strstr(p->log.err, "too short");
        if (empty && !last)
            return 0; /* again at the next step */
        int lpid = weft__ingest_pid_of_name(path);
        char *keep = strdup(path);
        if (!keep)
            return -1;
        weft__ingest_add_loss(g, lpid, keep, empty ? "empty-log" : "unreadable-log", 1, "%s",
                              p->log.err);
        return remember(lv, keep);
    }
    for (int j = 0; j < g->nprocs; j++)
        if (g->procs[j].log.hdr.pid == p->log.hdr.pid &&
            g->procs[j].log.hdr.start_mono_ns == p->log.hdr.start_mono_ns) {
            char *keep = strdup(path);
            weft_slog_close(&p->log);
            if (!keep)
                return -1;
            weft__ingest_add_loss(g, p->log.hdr.pid, keep, "duplicate-log", 1,
                                  "%s: process %d appears in two logs: this one is left out", keep,
                                  p->log.hdr.pid);
            return remember(lv, keep);
        }
    char *keep = strdup(path);
    if (!keep || remember(lv, keep) != 0) {
        free(keep);
        weft_slog_close(&p->log);
        return -1;
    }
    p->log.name = p->log.path = keep;
    p->path = keep;
    p->pid = p->log.hdr.pid;
    p->ppid = p->log.hdr.ppid;
    p->parent_tid = p->log.hdr.parent_tid;
    /* Stack ids are per image: each image's are kept apart by its index
     * in the high half, since how many an image will make is unknown. */
    p->stack_base = (uint64_t)(g->nprocs + 1) << 32;
    p->complete = 1;
    if (!(p->thr = calloc(1, sizeof *p->thr)) || !(p->gid = calloc(1, sizeof *p->gid))) {
        weft_slog_close(&p->log);
        return -1;
    }
    g->nprocs++;
    /* the pid orders equal times as the offline rank by pid does */
    if (weft_merge_add_log(lv->m, &p->log, (uint32_t)p->pid) != 0)
        return -1;
    weft__ingest_order_images(g);
    return 0;
}

/* The logs of the directory not seen yet. */
static int scan(struct live *lv, int last) {
    DIR *d = opendir(lv->lo->dir);
    if (!d)
        return 0;
    struct dirent *de;
    int rc = 0;
    char path[4200];
    while (!rc && (de = readdir(d)))
        if (!strncmp(de->d_name, "log", 3)) {
            snprintf(path, sizeof path, "%s/%s", lv->lo->dir, de->d_name);
            if (!known(lv, path))
                rc = add_log(lv, path, last);
        }
    closedir(d);
    return rc;
}

/* Each log read again; the threads and stacks it announced since taken
 * into the model (global thread ids in order of appearance). */
static int refresh(struct live *lv, int last) {
    struct weft__ingest *g = lv->g;
    for (int i = 0; i < g->nprocs; i++) {
        struct proc *p = &g->procs[i];
        struct weft_slog *l = &p->log;
        l->ended = last && !weft__ingest_still_running(p->pid, l->hdr.start_mono_ns);
        if (last) /* every record is read now, however short the calibration */
            l->calib_ns = 0;
        if (weft_slog_refresh(l) != 0) {
            weft_err("%s", l->err);
            return -1;
        }
        uint64_t named = l->nevents + l->nchunks + 1;
        uint32_t mt = l->hdr.next_tid < named ? l->hdr.next_tid : (uint32_t)named;
        uint32_t ms = l->hdr.next_stack < named ? l->hdr.next_stack : (uint32_t)named;
        if (ms > p->max_stack)
            p->max_stack = ms;
        if (mt > p->max_tid) {
            struct thr *t = realloc(p->thr, ((size_t)mt + 1) * sizeof *t);
            if (t)
                p->thr = t;
            uint64_t *gid = t ? realloc(p->gid, ((size_t)mt + 1) * sizeof *gid) : NULL;
            if (!gid) {
                weft_err("out of memory");
                return -1;
            }
            p->gid = gid;
            memset(t + p->max_tid + 1, 0, (size_t)(mt - p->max_tid) * sizeof *t);
            for (uint32_t k = p->max_tid + 1; k <= mt; k++)
                gid[k] = ++lv->nthreads;
            p->max_tid = mt;
        }
    }
    /* an exec'd image's tids follow its earlier images' (tid_offset),
     * whose thread counts may have grown since */
    weft__ingest_order_images(g);
    return 0;
}

/* The detectors told of the threads and processes that appeared. */
static int announce(struct live *lv) {
    struct weft__ingest *g = lv->g;
    int roots = 0;
    for (int i = 0; i < g->nprocs; i++)
        roots += g->procs[i].root == i;
    if (lv->nthreads == lv->announced && roots == lv->announced_roots)
        return 0;
    if (weft__ingest_pass_grow(g, lv->nthreads) != 0) {
        weft_err("out of memory");
        return -1;
    }
    lv->announced = lv->nthreads;
    lv->announced_roots = roots;
    if (!lv->hooked)
        return 0;
    int64_t *pids = calloc((size_t)roots + 1, sizeof *pids);
    int64_t **ns = realloc(lv->shapes, (lv->nshapes + 1) * sizeof *ns);
    if (!pids || !ns) {
        free(pids);
        weft_err("out of memory");
        return -1;
    }
    lv->shapes = ns;
    lv->shapes[lv->nshapes++] = pids;
    int k = 0;
    for (int i = 0; i < g->nprocs; i++)
        if (g->procs[i].root == i)
            pids[k++] = g->procs[i].pid;
    struct weft_trace_item it = {.type = WEFT_ITEM_SHAPE};
    it.u.shape = (struct weft_trace_shape){(uint32_t)lv->nthreads, roots, pids};
    return weft__ingest_push(g, &it);
}

/* Every record below limit through the pass. */
static int consume(struct live *lv, uint64_t limit) {
    struct weft_rec rec;
    uint32_t pi;
    int got;
    while ((got = weft_merge_next_until(lv->m, &rec, &pi, limit)) == 1) {
        if (rec.ts < lv->last_ns)
            lv->late++;
        else
            lv->last_ns = rec.ts;
        if (weft__ingest_pass_record(lv->g, &rec, pi) != 0)
            return -1;
    }
    if (got < 0) {
        weft_err("%s", weft_merge_err(lv->m));
        return -1;
    }
    return 0;
}

/* The program's CPU time (user + system, in clock ticks), 0 when unknown. */
static unsigned long long prog_ticks(int pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *s = strrchr(buf, ')'); /* past the command's name, which may hold spaces */
    unsigned long long ut = 0, st = 0;
    if (!s || sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return 0;
    return ut + st;
}

/* Whether to skip this step: the program kept (nearly) every CPU busy
 * since the last one, and the logs not consumed yet are under the
 * bound. */
static int back_off(struct live *lv, uint64_t now) {
    if (lv->lo->root_pid <= 0)
        return 0;
    unsigned long long t = prog_ticks(lv->lo->root_pid);
    uint64_t dt = now - lv->prog_at;
    unsigned long long used = t - lv->prog_ticks;
    int first = !lv->prog_at;
    lv->prog_ticks = t;
    lv->prog_at = now;
    if (first || !t || !dt)
        return 0;
    long hz = sysconf(_SC_CLK_TCK), ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    double cpus = (double)used / (double)(hz > 0 ? hz : 100) / ((double)dt / 1e9);
    if (cpus < (double)(ncpu > 0 ? ncpu : 1) - 0.5)
        return 0;
    uint64_t held = 0, bound = lv->lo->backlog_mb ? lv->lo->backlog_mb : 256;
    for (int i = 0; i < lv->g->nprocs; i++)
        held += lv->g->procs[i].log.nchunks - lv->g->procs[i].log.punched;
    return held * WEFT_LOG_CHUNK_SIZE < bound << 20;
}

static void nap(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* The disk the logs of dir take (their blocks), in bytes. */
static uint64_t logs_disk(const char *dir) {
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    uint64_t sum = 0;
    struct dirent *de;
    struct stat st;
    while ((de = readdir(d)))
        if (!strncmp(de->d_name, "log", 3) && fstatat(dirfd(d), de->d_name, &st, 0) == 0)
            sum += (uint64_t)st.st_blocks * 512;
    closedir(d);
    return sum;
}

/* start_mb: nothing is read until the logs take that much disk; the
 * program's end before that: 2, and nothing was made. */
static int wait_for_start(const struct weft_live_opts *lo, double interval) {
    while (lo->start_mb && logs_disk(lo->dir) < lo->start_mb << 20) {
        if (__atomic_load_n(lo->done, __ATOMIC_ACQUIRE))
            return 2;
        nap(interval);
    }
    return 0;
}

static int live_run(struct live *lv, const char *db_path, struct weft_ingest_stats *stats) {
    struct weft__ingest *g = lv->g;
    const struct weft_live_opts *lo = lv->lo;
    char tmp[4200] = "";
    int rc = -1, bad = 0;
    struct hook_run hook;
    double interval = lo->interval_s > 0 ? lo->interval_s : 0.25;
    uint64_t margin = (uint64_t)((lo->margin_s > 0 ? lo->margin_s : 1.0) * 1e9);
    if (wait_for_start(lo, interval))
        return 2;
    if (lo->begin && !(db_path = lo->begin(lo->begin_arg)))
        return -1;
    g->procs = calloc(MAX_IMAGES, sizeof *g->procs);
    lv->m = weft_merge_new(NULL, NULL, 0);
    if (!g->procs || !lv->m) {
        weft_err("out of memory");
        goto out;
    }
    if (weft__ingest_db_begin(g, tmp, sizeof tmp, db_path, lv->o) != 0)
        goto out;
    /* The rows come a few at a time over the whole run, not in one burst:
     * a smaller page cache than the offline ingest's 64 MiB serves them,
     * and keeps weft small beside a long-running program. */
    if (weft__ingest_exec(g, "PRAGMA cache_size=-16384"))
        goto out;
    lv->hooked = lv->o && lv->o->loaded;
    if (lv->hooked) {
        weft__ingest_hook_start(g, &hook, lv->o);
        struct weft_trace_item it = {.type = WEFT_ITEM_SHAPE};
        static int64_t none[1];
        it.u.shape = (struct weft_trace_shape){0, 0, none};
        bad = weft__ingest_push(g, &it);
    }
    bad = bad || weft__ingest_pass_begin(g, lv->o, lv->hooked, 0);
    for (int last = 0; !bad;) {
        /* Read before the scan: when it says the program ended, this
         * step's scan and reads see every record there will be. */
        last = __atomic_load_n(lo->done, __ATOMIC_ACQUIRE) != 0;
        uint64_t now = weft__ingest_mono_now();
        if (!last && back_off(lv, now)) {
            nap(interval);
            continue;
        }
        bad = scan(lv, last) || refresh(lv, last) || announce(lv) || weft_merge_refresh(lv->m) != 0;
        /* the watermark: the step's time less the margin, and no later
         * than the start of a log whose records still wait (stream.h) */
        uint64_t limit = last ? UINT64_MAX : now > margin ? now - margin : 0;
        for (int i = 0; i < g->nprocs; i++)
            if (!g->procs[i].log.ready && g->procs[i].log.hdr.start_mono_ns < limit)
                limit = g->procs[i].log.hdr.start_mono_ns;
        bad = bad || consume(lv, limit);
        if (!bad && lo->punch) /* the last step too: what the logs keep at the end */
            for (int i = 0; i < g->nprocs; i++)
                weft_slog_punch(&g->procs[i].log);
        if (bad || last)
            break;
        nap(interval);
    }
    bad = bad || weft__ingest_pass_end(g, stats);
    weft__ingest_pass_free(g);
    for (int i = 0; i < g->nprocs; i++)
        weft__ingest_note_log(g, &g->procs[i]);
    weft__ingest_note_running(g);
    if (!bad && g->nprocs == 0) {
        weft__ingest_no_log(g);
        bad = 1;
        rc = 1;
    }
    if (!bad) {
        /* how the trace was read: meta, beside the ingest's own */
        weft__ingest_db_hold(g);
        sqlite3_stmt *sm = weft__ingest_prep(g, "INSERT INTO meta VALUES (?,?)");
        if (sm) {
            uint64_t punched = 0;
            for (int i = 0; i < g->nprocs; i++)
                punched += g->procs[i].log.punched;
            TXT(sm, 1, "live");
            I64(sm, 2, 1);
            weft__ingest_step(g, sm);
            TXT(sm, 1, "live_late");
            I64(sm, 2, lv->late);
            weft__ingest_step(g, sm);
            TXT(sm, 1, "live_punched_chunks");
            I64(sm, 2, punched);
            weft__ingest_step(g, sm);
            sqlite3_finalize(sm);
        }
        weft__ingest_db_release(g);
    }
    if (g->db &&
        weft__ingest_db_end(g, lv->o, stats, bad, lv->hooked ? &hook : NULL, tmp, db_path) == 0) {
        tmp[0] = 0;
        weft__ingest_warn_losses(g);
        rc = 0;
    } else if (!rc) {
        rc = -1;
    }
out:
    if (g->db)
        sqlite3_close(g->db);
    g->db = NULL;
    if (tmp[0])
        unlink(tmp);
    return rc;
}

int weft_ingest_live(const char *db_path, const struct weft_ingest_opts *opts,
                     const struct weft_live_opts *lo, struct weft_ingest_stats *stats) {
    struct weft__ingest *g = weft__ingest_new();
    if (!g)
        return -1;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct live lv = {.g = g, .o = opts, .lo = lo};
    int rc = live_run(&lv, db_path, stats);
    weft_merge_free(lv.m);
    weft__ingest_cleanup(g);
    for (size_t i = 0; i < lv.nnames; i++)
        free(lv.names[i]);
    free(lv.names);
    for (size_t i = 0; i < lv.nshapes; i++)
        free(lv.shapes[i]);
    free(lv.shapes);
    weft__ingest_free(g);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (stats)
        stats->seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    return rc;
}
