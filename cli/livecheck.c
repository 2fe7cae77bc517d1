/* SPDX-License-Identifier: MIT */
/* livecheck.c: weft run looking inside the running program: every
 * --leak-check interval, the threads blocked longer than the threshold in
 * a wait only another thread can end, once per (thread, wait); on
 * SIGUSR1 to weft, every traced thread's state now (like Go's SIGQUIT
 * dump, without stopping anything). Both read the live state files the
 * shim keeps in the run's log directory (harness/format/livestate.h:
 * state.PID, one per traced process) on a thread of weft's own, symbolize
 * the creation stacks against /proc/PID/maps, and write on weft's stderr;
 * the program is never signalled nor stopped.
 *
 * Each leak-check report is also appended to `leakcheck` in the log
 * directory (one line per report); weft run puts those lines into the
 * trace's `leak_checks` table after the ingest (weft_livecheck_store).
 *
 * Memory stays bounded however long the program runs: the reports
 * already made are remembered only while their wait lasts (a pass
 * forgets those no longer seen), the symbol table holds each module file
 * and each distinct frame once, and a state file of a process that is
 * gone is removed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "livestate.h"
#include "log_reader.h"
#include "report.h"
#include "symbolize.h"
#include "textesc.h"

/* One thread's state as copied from a state file. */
struct tstate {
    uint32_t tid, npcs;
    int32_t ostid;
    uint16_t kind;
    uint64_t obj, since;
    uint64_t pcs[WEFT_LIVE_PCS];
};

/* A (thread, wait) reported by the leak check, kept while it lasts. */
struct seen {
    int pid;
    uint32_t tid;
    uint64_t since;
    unsigned gen;
};

struct weft_livecheck {
    pthread_t th;
    int pfd[2];
    char dir[PATH_MAX];
    int64_t interval_ns, threshold_ns;
    struct weft_symtab *tab;
    struct seen *seen;
    size_t nseen, capseen;
    unsigned gen;
    FILE *rec; /* the leakcheck file, NULL until the first report */
    volatile int quit;
};

static volatile int wake_fd = -1; /* the pipe's write end, for the signal handler */

uint64_t weft_mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The threads of one state file, by tid; -1 when the file is not a
 * complete live state (being made, damaged, another version). */
static int snapshot(const char *path, struct tstate **out, int *n) {
    *out = NULL;
    *n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    struct stat st;
    void *m = MAP_FAILED;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size >= WEFT_LIVE_SIZE)
        m = mmap(NULL, WEFT_LIVE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return -1;
    const struct weft_live_head *h = m;
    int rc = -1;
    if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != WEFT_LIVE_MAGIC ||
        h->version != WEFT_LIVE_VERSION || h->slots != WEFT_LIVE_SLOTS || h->npcs != WEFT_LIVE_PCS)
        goto out;
    const struct weft_live_wait *w =
        (const struct weft_live_wait *)((const unsigned char *)m + WEFT_LIVE_HEAD);
    const struct weft_live_info *in = (const struct weft_live_info *)(w + WEFT_LIVE_SLOTS);
    struct tstate *t = NULL;
    int cap = 0;
    for (int i = 0; i < WEFT_LIVE_SLOTS; i++) {
        if (!__atomic_load_n(&w[i].tid, __ATOMIC_RELAXED))
            continue;
        /* A seqlock read: a copy whose sequence word was odd or moved is
         * taken again; a slot that keeps moving is left out this time. */
        struct tstate s;
        int ok = 0;
        for (int tries = 0; tries < 64 && !ok; tries++) {
            uint32_t s1 = __atomic_load_n(&in[i].seq, __ATOMIC_ACQUIRE);
            if (s1 & 1u)
                continue;
            s.tid = __atomic_load_n(&w[i].tid, __ATOMIC_RELAXED);
            uint32_t itid = __atomic_load_n(&in[i].tid, __ATOMIC_RELAXED);
            s.ostid = __atomic_load_n(&w[i].ostid, __ATOMIC_RELAXED);
            s.kind = __atomic_load_n(&w[i].kind, __ATOMIC_RELAXED);
            s.obj = __atomic_load_n(&w[i].obj, __ATOMIC_RELAXED);
            s.since = __atomic_load_n(&in[i].since_ns, __ATOMIC_RELAXED);
            s.npcs = __atomic_load_n(&in[i].npcs, __ATOMIC_RELAXED);
            if (s.npcs > WEFT_LIVE_PCS)
                s.npcs = WEFT_LIVE_PCS;
            for (uint32_t k = 0; k < s.npcs; k++)
                s.pcs[k] = __atomic_load_n(&in[i].pcs[k], __ATOMIC_RELAXED);
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            if (__atomic_load_n(&in[i].seq, __ATOMIC_RELAXED) != s1)
                continue;
            ok = 1;
            if (!s.tid || s.tid != itid)
                ok = -1; /* free, or claimed and not yet filled in: not a thread now */
        }
        if (ok != 1)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            struct tstate *nt = realloc(t, (size_t)cap * sizeof *nt);
            if (!nt)
                break;
            t = nt;
        }
        t[(*n)++] = s;
    }
    /* by tid: the order threads were made in */
    for (int i = 1; i < *n; i++)
        for (int j = i; j > 0 && t[j - 1].tid > t[j].tid; j--) {
            struct tstate x = t[j];
            t[j] = t[j - 1];
            t[j - 1] = x;
        }
    *out = t;
    rc = 0;
out:
    munmap(m, WEFT_LIVE_SIZE);
    return rc;
}

static void frame(FILE *f, int depth, struct weft_symmap *m, uint64_t pc) {
    struct weft_frame_info fi = {0};
    if (m)
        weft_symmap_lookup(m, pc, &fi);
    const struct weft_rframe fr = {(int64_t)pc, fi.function, fi.file, fi.module, fi.line};
    weft_report_frame_text(f, depth, &fr);
}

/* A thread's name now (its comm), or "" when it is gone. */
static void thread_name(int pid, int32_t ostid, char *out, size_t n) {
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task/%d/comm", pid, (int)ostid);
    out[0] = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t r = read(fd, out, n - 1);
    close(fd);
    out[r > 0 ? r : 0] = 0;
    out[strcspn(out, "\n")] = 0;
}

/* What a wait is, in the text report's words ("chan receive"). */
static const char *wait_words(uint16_t kind) {
    const char *k = weft_kind_name(kind);
    const char *w = k ? weft_report_wait_name(k) : NULL;
    return w ? w : "?";
}

static void seconds(FILE *f, uint64_t ns) {
    fprintf(f, "%.2f s", (double)ns / 1e9);
}

/* Every state file of the run: its pid, for each process still there.
 * The file of a process that is gone is removed (its logs tell the rest). */
static int list_procs(struct weft_livecheck *lc, int **pids) {
    *pids = NULL;
    int n = 0, cap = 0;
    DIR *d = opendir(lc->dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (strncmp(de->d_name, "state.", 6))
            continue;
        char *end;
        long pid = strtol(de->d_name + 6, &end, 10);
        if (*end || pid <= 0 || pid > INT_MAX)
            continue;
        if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
            char p[PATH_MAX + 300];
            snprintf(p, sizeof p, "%s/%s", lc->dir, de->d_name);
            unlink(p);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            int *np = realloc(*pids, (size_t)cap * sizeof *np);
            if (!np)
                break;
            *pids = np;
        }
        (*pids)[n++] = (int)pid;
    }
    if (d)
        closedir(d);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && (*pids)[j - 1] > (*pids)[j]; j--) {
            int x = (*pids)[j];
            (*pids)[j] = (*pids)[j - 1];
            (*pids)[j - 1] = x;
        }
    return n;
}

static int load(struct weft_livecheck *lc, int pid, struct tstate **t, int *n) {
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/state.%d", lc->dir, pid);
    return snapshot(path, t, n);
}

static struct seen *find_seen(struct weft_livecheck *lc, int pid, const struct tstate *s) {
    for (size_t i = 0; i < lc->nseen; i++)
        if (lc->seen[i].pid == pid && lc->seen[i].tid == s->tid && lc->seen[i].since == s->since)
            return &lc->seen[i];
    return NULL;
}

/* One leak-check pass: each wait longer than the threshold not reported
 * yet is reported (stderr, and a line of the leakcheck file). */
static void leak_check(struct weft_livecheck *lc) {
    int *pids, np = list_procs(lc, &pids);
    uint64_t now = weft_mono_ns();
    lc->gen++;
    for (int p = 0; p < np; p++) {
        struct tstate *t;
        int n;
        if (load(lc, pids[p], &t, &n) != 0)
            continue;
        struct weft_symmap *m = NULL;
        int mapped = 0;
        for (int i = 0; i < n; i++) {
            if (!t[i].kind || now < t[i].since || now - t[i].since < (uint64_t)lc->threshold_ns)
                continue;
            struct seen *s = find_seen(lc, pids[p], &t[i]);
            if (s) {
                s->gen = lc->gen;
                continue;
            }
            char name[64];
            thread_name(pids[p], t[i].ostid, name, sizeof name);
            if (!name[0])
                continue; /* gone meanwhile */
            if (lc->nseen == lc->capseen) {
                size_t cap = lc->capseen ? lc->capseen * 2 : 64;
                struct seen *ns = realloc(lc->seen, cap * sizeof *ns);
                if (!ns)
                    break;
                lc->seen = ns;
                lc->capseen = cap;
            }
            lc->seen[lc->nseen++] = (struct seen){pids[p], t[i].tid, t[i].since, lc->gen};
            if (!mapped++)
                m = weft_proc_symmap(lc->tab, pids[p]);
            fprintf(stderr, "==weft== leak check: thread %u \"", t[i].tid);
            weft_text_str(stderr, name);
            fprintf(stderr, "\" of process %d blocked for ", pids[p]);
            seconds(stderr, now - t[i].since);
            fprintf(stderr, " in %s on 0x%llx", wait_words(t[i].kind),
                    (unsigned long long)t[i].obj);
            fputs(t[i].npcs ? ", created at:\n" : "\n", stderr);
            for (uint32_t k = 0; k < t[i].npcs; k++)
                frame(stderr, (int)k, m, t[i].pcs[k]);
            if (!lc->rec) {
                char path[PATH_MAX + 32];
                snprintf(path, sizeof path, "%s/leakcheck", lc->dir);
                lc->rec = fopen(path, "ae");
            }
            if (lc->rec) {
                /* pid tid kind obj waited_ns: read back by weft_livecheck_store */
                fprintf(lc->rec, "%d %u %u %llu %llu\n", pids[p], t[i].tid, (unsigned)t[i].kind,
                        (unsigned long long)t[i].obj, (unsigned long long)(now - t[i].since));
                fflush(lc->rec);
            }
        }
        weft_symmap_free(m);
        free(t);
    }
    free(pids);
    fflush(stderr);
    /* forget the waits that ended (or were not seen this time) */
    size_t k = 0;
    for (size_t i = 0; i < lc->nseen; i++)
        if (lc->seen[i].gen == lc->gen)
            lc->seen[k++] = lc->seen[i];
    lc->nseen = k;
}

/* The dump (SIGUSR1): every traced thread of every process, now. */
static void dump(struct weft_livecheck *lc) {
    int *pids, np = list_procs(lc, &pids);
    uint64_t now = weft_mono_ns();
    fprintf(stderr, "==weft== state now (SIGUSR1 to weft): %d process%s\n", np,
            np == 1 ? "" : "es");
    for (int p = 0; p < np; p++) {
        struct tstate *t;
        int n;
        if (load(lc, pids[p], &t, &n) != 0)
            continue;
        char exe[PATH_MAX], path[64];
        snprintf(path, sizeof path, "/proc/%d/exe", pids[p]);
        ssize_t e = readlink(path, exe, sizeof exe - 1);
        exe[e > 0 ? e : 0] = 0;
        fprintf(stderr, "==weft== process %d ", pids[p]);
        weft_text_str(stderr, exe);
        fprintf(stderr, ": %d thread%s\n", n, n == 1 ? "" : "s");
        struct weft_symmap *m = weft_proc_symmap(lc->tab, pids[p]);
        for (int i = 0; i < n; i++) {
            char name[64];
            thread_name(pids[p], t[i].ostid, name, sizeof name);
            if (!name[0])
                continue;
            fprintf(stderr, "==weft==   thread %u \"", t[i].tid);
            weft_text_str(stderr, name);
            if (t[i].kind) {
                fprintf(stderr, "\" [%s on 0x%llx, ", wait_words(t[i].kind),
                        (unsigned long long)t[i].obj);
                seconds(stderr, now > t[i].since ? now - t[i].since : 0);
                fputs("]", stderr);
            } else {
                fputs("\" [running]", stderr);
            }
            fputs(t[i].npcs ? ", created at:\n" : "\n", stderr);
            for (uint32_t k = 0; k < t[i].npcs; k++)
                frame(stderr, (int)k, m, t[i].pcs[k]);
        }
        weft_symmap_free(m);
        free(t);
    }
    free(pids);
    fflush(stderr);
}

/* How often the files of processes gone are removed when no leak check
 * does it: a process that exits normally removes its own; one killed
 * leaves its file (700 KiB of disk) until then. */
#define HOUSEKEEPING_NS 2000000000u

static void *main_loop(void *arg) {
    struct weft_livecheck *lc = arg;
    uint64_t next = lc->interval_ns ? weft_mono_ns() + (uint64_t)lc->interval_ns : 0;
    uint64_t house = weft_mono_ns() + HOUSEKEEPING_NS;
    for (;;) {
        uint64_t now = weft_mono_ns(), due = next && next < house ? next : house;
        int timeout = now >= due ? 0 : (int)((due - now + 999999) / 1000000);
        struct pollfd pf = {lc->pfd[0], POLLIN, 0};
        int r = poll(&pf, 1, timeout);
        if (r > 0) {
            char buf[64];
            ssize_t got = read(lc->pfd[0], buf, sizeof buf);
            int quit = 0, want = 0;
            for (ssize_t i = 0; i < got; i++) {
                quit |= buf[i] == 'Q';
                want |= buf[i] == 'D';
            }
            if (quit || lc->quit)
                break;
            if (want)
                dump(lc);
        }
        if (lc->quit)
            break;
        if (next && weft_mono_ns() >= next) {
            leak_check(lc);
            next = weft_mono_ns() + (uint64_t)lc->interval_ns;
        }
        if (weft_mono_ns() >= house) {
            int *pids;
            list_procs(lc, &pids); /* removes the files of processes gone */
            free(pids);
            house = weft_mono_ns() + HOUSEKEEPING_NS;
        }
    }
    return NULL;
}

struct weft_livecheck *weft_livecheck_start(const char *dir, int64_t interval_ns,
                                            int64_t threshold_ns) {
    struct weft_livecheck *lc = calloc(1, sizeof *lc);
    if (!lc)
        return NULL;
    snprintf(lc->dir, sizeof lc->dir, "%s", dir);
    lc->interval_ns = interval_ns;
    lc->threshold_ns = threshold_ns;
    lc->tab = weft_symtab_new();
    if (!lc->tab || pipe2(lc->pfd, O_CLOEXEC | O_NONBLOCK) != 0) {
        weft_symtab_free(lc->tab);
        free(lc);
        return NULL;
    }
    /* weft's signals stay with its main thread */
    if (weft_thread_start(&lc->th, main_loop, lc) != 0) {
        close(lc->pfd[0]);
        close(lc->pfd[1]);
        weft_symtab_free(lc->tab);
        free(lc);
        return NULL;
    }
    wake_fd = lc->pfd[1];
    return lc;
}

void weft_livecheck_signal(void) {
    int fd = wake_fd, saved = errno;
    if (fd >= 0 && write(fd, "D", 1) < 0) {
        /* a full pipe: a dump is asked for already */
    }
    errno = saved;
}

void weft_livecheck_stop(struct weft_livecheck *lc) {
    if (!lc)
        return;
    wake_fd = -1;
    lc->quit = 1; /* seen even when the pipe is full of dump requests */
    while (write(lc->pfd[1], "Q", 1) < 0 && errno == EINTR) {
    }
    pthread_join(lc->th, NULL);
    /* The state files are of no use once the program is gone (its logs
     * say the rest): not left in a --keep-log directory. */
    DIR *d = opendir(lc->dir);
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (!strncmp(de->d_name, "state.", 6)) {
            char p[PATH_MAX + 300];
            snprintf(p, sizeof p, "%s/%s", lc->dir, de->d_name);
            unlink(p);
        }
    if (d)
        closedir(d);
    close(lc->pfd[0]);
    close(lc->pfd[1]);
    if (lc->rec)
        fclose(lc->rec);
    free(lc->seen);
    weft_symtab_free(lc->tab);
    free(lc);
}

int weft_live_took_signal(const char *dir, int pid, int sig, int sender, uint64_t since_ns) {
    if (sig <= 0 || sig >= WEFT_LIVE_SIGS)
        return 0;
    char path[4200];
    snprintf(path, sizeof path, "%s/state.%d", dir, pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return 0;
    struct weft_live_head h;
    ssize_t n = pread(fd, &h, sizeof h, 0);
    close(fd);
    return n == (ssize_t)sizeof h && h.magic == WEFT_LIVE_MAGIC && h.version == WEFT_LIVE_VERSION &&
           h.sig[sig].sender == sender && h.sig[sig].at_ns >= since_ns;
}

int weft_livecheck_store(const char *dir, const char *db_path) {
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/leakcheck", dir);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0; /* nothing was reported */
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO leak_checks VALUES (?1, ?2, (SELECT id FROM threads "
                           "WHERE pid = ?1 AND tid = ?2), ?3, ?4, ?5)",
                           -1, &st, NULL) != SQLITE_OK)
        goto out;
    int pid;
    unsigned tid, kind;
    unsigned long long obj, waited;
    while (fscanf(f, "%d %u %u %llu %llu", &pid, &tid, &kind, &obj, &waited) == 5) {
        const char *k = weft_kind_name(kind);
        sqlite3_bind_int(st, 1, pid);
        sqlite3_bind_int64(st, 2, tid);
        sqlite3_bind_text(st, 3, k ? k : "?", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)obj);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)waited);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto out;
        sqlite3_reset(st);
    }
    rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
out:
    if (rc != 0)
        weft_err("cannot record the leak checks in %s: %s", db_path,
                 db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_finalize(st);
    sqlite3_close(db);
    fclose(f);
    return rc;
}
