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
 * ingest.c's does (tables, detectors, indexes, rename).
 *
 * It commits as it goes (checkpoints, below), and chunks are punched only
 * after a commit: a weft killed at any moment leaves a database and logs
 * from which weft_ingest_resume (the end of this file) makes the trace
 * the uninterrupted run would have made. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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
    int hooked, resumed;
    /* tests (WEFT_TEST_KILL_AFTER): weft kills itself once it has
     * consumed this many records (0: never) */
    uint64_t kill_after;
    /* checkpoints: the next one's time, the database's file (the
     * resume file names it) */
    uint64_t ckpt_at, ckpt_every;
    uint64_t ckpt_records, since_ckpt; /* records consumed since the last one */
    const char *db_file;
    int pointed, copies;
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
    p->log.punch_dry = lv->lo->punch == 2;
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
static int checkpoint(struct live *lv);

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
        /* counted in events: a folded record stands for two per pair */
        uint64_t nev = weft__ingest_rec_events(&rec);
        if (lv->kill_after && lv->kill_after <= nev)
            raise(SIGKILL); /* tests: weft killed at a chosen record */
        if (lv->kill_after)
            lv->kill_after -= nev;
        /* A step that consumes much (the last one, after a long program,
         * or a resumption) commits on the way too, by time, looked at
         * every 65536 records (or every ckpt_records: tests). The chunks
         * are given back at the step's end. Not in a resumption: it
         * commits once, at its end (its checkpoint would have to carry
         * the words consumed before it too). */
        uint64_t n = lv->since_ckpt += nev;
        if (!lv->resumed &&
            (lv->ckpt_records
                 ? n >= lv->ckpt_records
                 : (n >> 16) != (n - nev) >> 16 && weft__ingest_mono_now() >= lv->ckpt_at) &&
            checkpoint(lv) != 0)
            return -1;
    }
    if (got < 0) {
        weft_err("%s", weft_merge_err(lv->m));
        return -1;
    }
    return 0;
}

/* ---- checkpoints: weft killed while it reads live, resumed by weft ingest ----
 * Every ckpt_every (and at the last step), the rows consumed so far are
 * committed together with the state that continues them: the model and
 * the pass (checkpoint.c), the live reading's own (thread ids given, the
 * records that came late), and per log its TSC rate and the words whose
 * records the merge handed out (weft_merge_consumed). Chunks are given
 * back (punched) only right after such a commit, so the database and the
 * logs never disagree: what a log no longer holds, the database does.
 * The first commit writes DIR/live-trace, which names the database: weft
 * ingest of the logs then resumes (weft_ingest_resume) instead of reading
 * them from the start. */
enum { CK_MAGIC = 0x33746b63746665ull }; /* "eftctk3" */

static const char *base_of(const char *path) {
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

static void resume_file(const char *dir, char *buf, size_t n) {
    snprintf(buf, n, "%s/live-trace", dir);
}

/* WEFT_TEST_CHECKPOINT_COPY=DIR: each checkpoint's database copied to
 * DIR/ck-N.db, or ck-N-ready-L.db when every one of the L logs known then
 * had its TSC rate fixed, so that a test resumes from each and compares
 * with the run's own trace. Such a resumption converts every record as
 * the run did only if L is the run's number of logs: a log that appeared
 * after the commit is read from its start, its rate fixed from all of
 * it, where the run fixed it from its first second. */
static void copy_for_tests(struct live *lv) {
    const char *dir = getenv("WEFT_TEST_CHECKPOINT_COPY");
    if (!dir || !*dir || !lv->db_file)
        return;
    int ready = 1;
    for (int i = 0; i < lv->g->nprocs; i++)
        ready &= lv->g->procs[i].log.ready;
    char to[4200];
    char tag[32] = "";
    if (ready)
        snprintf(tag, sizeof tag, "-ready-%d", lv->g->nprocs);
    snprintf(to, sizeof to, "%s/ck-%04d%s.db", dir, ++lv->copies, tag);
    FILE *a = fopen(lv->db_file, "rbe"), *b = a ? fopen(to, "wbe") : NULL;
    char buf[65536];
    size_t n;
    while (b && (n = fread(buf, 1, sizeof buf, a)) > 0)
        fwrite(buf, 1, n, b);
    if (b)
        fclose(b);
    if (a)
        fclose(a);
}

static int checkpoint(struct live *lv) {
    struct weft__ingest *g = lv->g;
    uint64_t began = weft__ingest_mono_now();
    struct weft__ckbuf b = {0};
    if (g->profile < 0) {
        const char *e = getenv("WEFT_INGEST_PROFILE");
        g->profile = e && *e == '1';
    }
    uint64_t t0 = g->profile ? weft__ingest_mono_now() : 0;
    if (weft__ingest_pass_flush(g) != 0)
        return -1;
    weft__ck_u64(&b, CK_MAGIC);
    weft__ck_u64(&b, lv->nthreads);
    weft__ck_u64(&b, lv->last_ns);
    weft__ck_u64(&b, lv->late);
    weft__ck_u64(&b, lv->nnames);
    for (size_t i = 0; i < lv->nnames; i++)
        weft__ck_str(&b, base_of(lv->names[i]));
    weft__ingest_ck_save(g, &b);
    for (int i = 0; i < g->nprocs && !b.bad; i++) {
        struct weft_slog *l = &g->procs[i].log;
        struct weft__skip *sk = NULL;
        size_t n = 0;
        if (weft_merge_consumed(lv->m, (uint32_t)i, &sk, &n) != 0) {
            b.bad = 1;
            break;
        }
        weft__ck_str(&b, base_of(l->path));
        weft__ck_put(&b, &l->rate, sizeof l->rate);
        weft__ck_u64(&b, (uint64_t)l->ready);
        weft__ck_u64(&b, l->punched);
        weft__ck_arr(&b, sk, n, sizeof *sk);
        free(sk);
    }
    int bad = b.bad;
    if (bad)
        weft_err("out of memory for a checkpoint of the live ingest");
    weft__ingest_db_hold(g);
    sqlite3_stmt *st =
        bad ? NULL : weft__ingest_prep(g, "INSERT OR REPLACE INTO weft_resume VALUES (1, ?)");
    if (st) {
        sqlite3_bind_blob64(st, 1, b.p, b.n, SQLITE_STATIC);
        bad = weft__ingest_step(g, st);
        sqlite3_finalize(st);
    } else {
        bad = 1;
    }
    bad = bad || weft__ingest_exec(g, "COMMIT") || weft__ingest_exec(g, "BEGIN");
    weft__ingest_db_release(g);
    if (g->profile)
        fprintf(stderr, "weft live: checkpoint of %zu bytes, committed in %.3f s\n", b.n,
                (double)(weft__ingest_mono_now() - t0) / 1e9);
    free(b.p);
    if (!bad && !lv->pointed && lv->db_file) {
        /* written whole, then renamed into place: never half a name */
        char name[4200], tmp[4300], full[4096];
        resume_file(lv->lo->dir, name, sizeof name);
        snprintf(tmp, sizeof tmp, "%s.tmp", name);
        FILE *f = realpath(lv->db_file, full) ? fopen(tmp, "we") : NULL;
        int ok = f && fprintf(f, "%s\n", full) > 0;
        ok = f && fclose(f) == 0 && ok && rename(tmp, name) == 0;
        if (!ok) {
            unlink(tmp);
            weft_err("%s: cannot write it: a weft killed now could not be resumed", name);
        }
        lv->pointed = 1;
    }
    if (!bad)
        copy_for_tests(lv);
    /* at most a twentieth of the time in checkpoints: a trace of many
     * objects takes longer to write down */
    uint64_t took = weft__ingest_mono_now() - began;
    lv->ckpt_at = began + (lv->ckpt_every > 20 * took ? lv->ckpt_every : 20 * took);
    lv->since_ckpt = 0;
    return bad ? -1 : 0;
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

/* Sleeps s seconds between steps, or less: until the program's end
 * (weft_live_done wakes it), when the reading must go on at once. The
 * wait is a futex on *done itself: it never sleeps once *done is set. */
static void nap(const struct weft_live_opts *lo, double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    syscall(SYS_futex, lo->done, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
}

void weft_live_done(volatile int *done) {
    __atomic_store_n(done, 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, done, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
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
        nap(lo, interval);
    }
    return 0;
}

/* How far behind the time now the reader stays (WEFT_LIVE_MARGIN_MS). */
static double margin_s(const struct weft_live_opts *lo) {
    return lo->margin_s > 0 ? lo->margin_s : 1.0;
}

/* The end of a live ingest, or of its resumption: the pass ended, the
 * logs' losses, meta, the resume state dropped (in the same transaction
 * as the rest: a weft killed before the commit resumes again), then as
 * ingest.c ends. tmp is the database's file: renamed to db_path (tmp[0]
 * set to 0 then). 0, 1 (no log), or -1. */
static int live_end(struct live *lv, int bad, struct hook_run *hook, char *tmp, const char *db_path,
                    struct weft_ingest_stats *stats) {
    struct weft__ingest *g = lv->g;
    int rc = 0;
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
            if (lv->resumed) {
                TXT(sm, 1, "live_resumed");
                I64(sm, 2, lv->resumed);
                weft__ingest_step(g, sm);
            }
            sqlite3_finalize(sm);
        }
        bad = !sm || weft__ingest_exec(g, "DROP TABLE weft_resume");
        weft__ingest_db_release(g);
    }
    if (g->db && weft__ingest_db_end(g, lv->o, stats, bad, hook, tmp, db_path) == 0) {
        tmp[0] = 0;
        weft__ingest_warn_losses(g);
        if (lv->late)
            /* Not a loss, but the trace is not in time order there: said,
             * never silent (meta live_late has the count too). */
            weft_err("warning: trace out of order: %llu records reached the log more than the "
                     "live reader's margin (%g s) after their time, and follow records that came "
                     "after them (findings about their threads may be wrong; --no-live reads the "
                     "logs after the exit)",
                     (unsigned long long)lv->late, margin_s(lv->lo));
        /* the trace is whole: nothing to resume any more */
        char name[4200];
        resume_file(lv->lo->dir, name, sizeof name);
        unlink(name);
        rc = 0;
    } else if (!rc) {
        rc = -1;
    }
    return rc;
}

static int live_run(struct live *lv, const char *db_path, struct weft_ingest_stats *stats) {
    struct weft__ingest *g = lv->g;
    const struct weft_live_opts *lo = lv->lo;
    char tmp[4200] = "";
    int rc = -1, bad = 0;
    struct hook_run hook;
    double interval = lo->interval_s > 0 ? lo->interval_s : 0.25;
    uint64_t margin = (uint64_t)(margin_s(lo) * 1e9);
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
    g->durable = 1; /* a rollback journal: a commit weft is killed in is undone */
    if (weft__ingest_db_begin(g, tmp, sizeof tmp, db_path, lv->o) != 0)
        goto out;
    if (weft__ingest_exec(g, "CREATE TABLE weft_resume(id INTEGER PRIMARY KEY, state BLOB)"))
        goto out;
    lv->db_file = tmp;
    lv->ckpt_every = (uint64_t)((lo->checkpoint_s > 0 ? lo->checkpoint_s : 1.0) * 1e9);
    lv->hooked = lv->o && lv->o->loaded;
    if (lv->hooked) {
        weft__ingest_hook_start(g, &hook, lv->o);
        struct weft_trace_item it = {.type = WEFT_ITEM_SHAPE};
        static int64_t none[1];
        it.u.shape = (struct weft_trace_shape){0, 0, none};
        bad = weft__ingest_push(g, &it);
    }
    bad = bad || weft__ingest_pass_begin(g, lv->o, lv->hooked, 0);
    if (!bad)
        weft_merge_fold(lv->m, weft__ingest_folds(g));
    for (int last = 0; !bad;) {
        /* Read before the scan: when it says the program ended, this
         * step's scan and reads see every record there will be. */
        last = __atomic_load_n(lo->done, __ATOMIC_ACQUIRE) != 0;
        if (last)
            weft__ingest_phase(g, NULL); /* the profile's "events": from the program's end */
        uint64_t now = weft__ingest_mono_now();
        if (!last && back_off(lv, now)) {
            nap(lo, interval);
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
        /* a checkpoint, then the chunks it covers given back (the last
         * step too: what the logs keep at the end) */
        if (!bad && (last || now >= lv->ckpt_at)) {
            bad = checkpoint(lv);
            if (!bad && lo->punch)
                for (int i = 0; i < g->nprocs; i++)
                    weft_slog_punch(&g->procs[i].log);
        }
        if (bad || last)
            break;
        nap(lo, interval);
    }
    rc = live_end(lv, bad, lv->hooked ? &hook : NULL, tmp, db_path, stats);
out:
    if (g->db)
        sqlite3_close(g->db);
    g->db = NULL;
    if (tmp[0])
        unlink(tmp);
    return rc;
}

/* WEFT_TEST_KILL_AFTER=N: the tests' way to kill weft at a record of
 * their choosing, in a live ingest or in its resumption. */
static uint64_t kill_after(void) {
    const char *e = getenv("WEFT_TEST_KILL_AFTER");
    return e && *e ? strtoull(e, NULL, 10) : 0;
}

int weft_ingest_live(const char *db_path, const struct weft_ingest_opts *opts,
                     const struct weft_live_opts *lo, struct weft_ingest_stats *stats) {
    struct weft__ingest *g = weft__ingest_new();
    if (!g)
        return -1;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct live lv = {.g = g, .o = opts, .lo = lo};
    lv.kill_after = kill_after();
    const char *cr = getenv("WEFT_LIVE_CHECKPOINT_RECORDS"); /* tests */
    lv.ckpt_records = cr && *cr ? strtoull(cr, NULL, 10) : 0;
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

/* ---- resuming a live ingest that was stopped ---- */

static int resume_run(struct live *lv, const char *db_file, const char *db_path,
                      struct weft_ingest_stats *stats) {
    struct weft__ingest *g = lv->g;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s", db_file);
    if (sqlite3_open_v2(db_file, &g->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        weft_err("cannot resume from %s: %s", db_file,
                 g->db ? sqlite3_errmsg(g->db) : "out of memory");
        return -1;
    }
    g->durable = 1;
    /* (a journal left by the commit weft was killed in is rolled back
     * by the first read) */
    if (weft__ingest_exec(g, "PRAGMA locking_mode=EXCLUSIVE; PRAGMA synchronous=OFF;"
                             "PRAGMA journal_mode=TRUNCATE;" WEFT__INGEST_CACHE_SIZE
                             "PRAGMA temp_store=MEMORY;"))
        return -1;
    sqlite3_stmt *st = NULL;
    int got = sqlite3_prepare_v2(g->db, "SELECT state FROM weft_resume WHERE id = 1", -1, &st,
                                 NULL) == SQLITE_OK
                  ? sqlite3_step(st)
                  : SQLITE_ERROR;
    if (got == SQLITE_BUSY || got == SQLITE_LOCKED) {
        sqlite3_finalize(st);
        weft_err("cannot resume from %s: its weft run is still reading it", db_file);
        return -1;
    }
    if (got != SQLITE_ROW) {
        sqlite3_finalize(st);
        /* A live ingest killed after its last commit, before the rename:
         * the trace is whole (the detectors' findings in it too), only
         * its name is not given yet. */
        int whole = sqlite3_prepare_v2(g->db, "SELECT 1 FROM meta WHERE key = 'live'", -1, &st,
                                       NULL) == SQLITE_OK &&
                    sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
        if (!whole)
            return 3; /* not a live ingest's database */
        sqlite3_close(g->db);
        g->db = NULL;
        if (rename(db_file, db_path) != 0) {
            weft_err("cannot write %s: %s", db_path, strerror(errno));
            return -1;
        }
        char name[4200];
        resume_file(lv->lo->dir, name, sizeof name);
        unlink(name);
        return 0;
    }
    struct weft__ckbuf b = {0};
    weft__ck_put(&b, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
    sqlite3_finalize(st);
    int bad = b.bad;
    g->procs = calloc(MAX_IMAGES, sizeof *g->procs);
    lv->m = weft_merge_new(NULL, NULL, 0);
    if (bad || !g->procs || !lv->m) {
        free(b.p);
        weft_err("out of memory");
        return -1;
    }
    g->nprocs = MAX_IMAGES; /* the room weft__ingest_ck_load may fill */
    bad = weft__ingest_exec(g, "BEGIN") || weft__ingest_pass_begin(g, lv->o, 0, 0);
    if (!bad && weft__ck_get_u64(&b) != CK_MAGIC)
        b.bad = 1;
    lv->nthreads = weft__ck_get_u64(&b);
    lv->last_ns = weft__ck_get_u64(&b);
    lv->late = weft__ck_get_u64(&b);
    uint64_t nn = weft__ck_get_u64(&b);
    char path[4200];
    for (uint64_t i = 0; i < nn && !b.bad && !bad; i++) {
        const char *base = weft__ck_get_str(g, &b);
        snprintf(path, sizeof path, "%s/%s", lv->lo->dir, base ? base : "");
        char *keep = strdup(path);
        bad = !keep || remember(lv, keep) != 0;
        if (bad)
            free(keep);
    }
    if (!bad && !b.bad && weft__ingest_ck_load(g, &b) != 0)
        b.bad = 1;
    if (!bad && !b.bad) /* as the pass it resumes: --all-events or not */
        weft_merge_fold(lv->m, weft__ingest_folds(g));
    if (b.bad || bad)
        g->nprocs = g->nprocs == MAX_IMAGES ? 0 : g->nprocs;
    for (int i = 0; i < g->nprocs && !b.bad && !bad; i++) {
        struct proc *p = &g->procs[i];
        const char *base = weft__ck_get_str(g, &b);
        double rate;
        weft__ck_get(&b, &rate, sizeof rate);
        int ready = (int)weft__ck_get_u64(&b);
        (void)weft__ck_get_u64(&b); /* chunks given back then: the consumed file says */
        size_t n;
        struct weft__skip *sk = weft__ck_get_arr(&b, &n, sizeof *sk);
        const char *name = NULL;
        for (size_t k = 0; k < lv->nnames && base; k++)
            if (!strcmp(base_of(lv->names[k]), base))
                name = lv->names[k];
        if (b.bad || !name) {
            free(sk);
            b.bad = 1;
            break;
        }
        if (weft_slog_open_live(&p->log, name) != 0) {
            weft_err("cannot resume: %s", p->log.err);
            free(sk);
            bad = 1;
            break;
        }
        weft_slog_resume(&p->log, rate, ready, sk, n);
        p->log.name = p->log.path = name;
        p->path = name;
        if (weft_merge_add_log(lv->m, &p->log, (uint32_t)p->pid) != 0) {
            weft_err("out of memory");
            bad = 1;
        }
    }
    free(b.p);
    if (b.bad && !bad) {
        weft_err("cannot resume from %s: its state was not written by this weft (%s)", db_file,
                 WEFT_VERSION);
        bad = 1;
    }
    if (bad) {
        weft__ingest_pass_free(g);
        return -1;
    }
    /* the losses name the logs as they are named now */
    for (size_t k = 0; k < g->nlosses; k++)
        for (size_t j = 0; g->losses[k].log && j < lv->nnames; j++)
            if (!strcmp(base_of(lv->names[j]), base_of(g->losses[k].log)))
                g->losses[k].log = lv->names[j];
    weft__ingest_order_images(g);
    lv->resumed = 1;
    /* one last step: the program ended (or goes on without weft: its
     * trace stops here, as an ingest of its logs would) */
    bad = scan(lv, 1) || refresh(lv, 1) || announce(lv) || weft_merge_refresh(lv->m) != 0 ||
          consume(lv, UINT64_MAX);
    return live_end(lv, bad, NULL, tmp, db_path, stats);
}

int weft_ingest_resume(const char *db_file, const char *dir, const char *db_path,
                       const struct weft_ingest_opts *opts, struct weft_ingest_stats *stats) {
    struct weft__ingest *g = weft__ingest_new();
    if (!g)
        return -1;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int one = 1;
    struct weft_live_opts lo = {.dir = dir, .done = &one};
    struct live lv = {.g = g, .o = opts, .lo = &lo};
    lv.kill_after = kill_after();
    int rc = resume_run(&lv, db_file, db_path, stats);
    if (g->db)
        sqlite3_close(g->db); /* the checkpoint stays when it failed */
    g->db = NULL;
    weft_merge_free(lv.m);
    weft__ingest_cleanup(g);
    for (size_t i = 0; i < lv.nnames; i++)
        free(lv.names[i]);
    free(lv.names);
    weft__ingest_free(g);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (stats)
        stats->seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    return rc;
}

int weft_ingest_resume_file(const char *dir, char *db_file, size_t n) {
    char name[4200];
    resume_file(dir, name, sizeof name);
    FILE *f = fopen(name, "re");
    if (!f)
        return 0;
    int ok = fgets(db_file, (int)n, f) != NULL;
    fclose(f);
    size_t len = ok ? strlen(db_file) : 0;
    if (len && db_file[len - 1] == '\n')
        db_file[--len] = 0;
    return len > 0 && access(db_file, F_OK) == 0;
}
