/* SPDX-License-Identifier: MIT */
/* procs.c: the processes' accounting around the model: the losses (what
 * could not be read, one row of `losses` each, and the warning lines),
 * whether a process of the trace is still running, the pid a log's name
 * gives, and the forked children that left no log. The losses live in
 * the ingest's struct weft__ingest (ingest_internal.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ingest_internal.h"

void weft__ingest_add_loss(struct weft__ingest *g, int pid, const char *log, const char *what,
                           uint64_t count, const char *fmt, ...) {
    if (ROOM(g->losses, g->nlosses, g->caplosses, 16) != 0)
        return; /* out of memory: the warning below still counts the others */
    struct loss *x = &g->losses[g->nlosses++];
    x->pid = pid;
    x->log = log;
    x->what = what;
    x->count = count;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->detail, sizeof x->detail, fmt, ap);
    va_end(ap);
}

/* Whether a process of the trace is still running now (a daemon, or a
 * child that outlived the program weft run waited for): its pid is alive
 * (not a zombie) and began between lo_ns and hi_ns (CLOCK_MONOTONIC, a
 * tick of slack): another start is another process that got the pid
 * again. /proc's start time counts clock ticks since boot, as
 * CLOCK_MONOTONIC does (without suspends). */
int weft__ingest_still_running_since(int pid, uint64_t lo_ns, uint64_t hi_ns) {
    if (pid <= 0 || (kill(pid, 0) != 0 && errno != EPERM))
        return 0;
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    /* the fields after the command name, which may hold anything */
    char *c = strrchr(buf, ')');
    unsigned long long start = 0;
    char state = 0;
    if (!c ||
        sscanf(c + 1,
               " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
               "%*d %*d %*d %llu",
               &state, &start) != 2 ||
        state == 'Z' || state == 'X') /* ended, not yet reaped (weft run's own child) */
        return 0;
    long hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0)
        return 0;
    uint64_t tick = 1000000000ull / (uint64_t)hz, start_ns = (uint64_t)start * tick;
    return start_ns + tick >= lo_ns && start_ns <= hi_ns + tick;
}

/* The process that wrote a log (begun no later than it) is still running. */
int weft__ingest_still_running(int pid, uint64_t log_start_ns) {
    return weft__ingest_still_running_since(pid, 0, log_start_ns);
}

int weft__ingest_finished_now(const char *log) {
    struct weft_log_header h;
    int fd = open(log, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = pread(fd, &h, sizeof h, 0);
    close(fd);
    return n == (ssize_t)sizeof h && memcmp(h.magic, WEFT_LOG_MAGIC, sizeof h.magic) == 0 &&
           (h.flags & WEFT_LOG_F_FINISHED) != 0;
}

uint64_t weft__ingest_mono_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int weft__ingest_has_loss_of(const struct weft__ingest *g, int pid) {
    for (size_t i = 0; i < g->nlosses; i++)
        if (g->losses[i].pid == pid)
            return 1;
    return 0;
}

/* The pid in a log's name (".../log.1234", or "log.1234.2" for a later
 * image: the shim names children's logs so): its first all-digit
 * component after a dot; 0 when there is none. What an unreadable log
 * can still tell. */
int weft__ingest_pid_of_name(const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (const char *dot = strchr(base, '.'); dot; dot = strchr(dot + 1, '.')) {
        long v = 0;
        const char *c = dot + 1;
        for (; *c >= '0' && *c <= '9' && v < 100000000; c++)
            v = v * 10 + (*c - '0');
        if (c > dot + 1 && (*c == 0 || *c == '.'))
            return (int)v;
    }
    return 0;
}

/* One warning line per kind of loss (stderr), after the ingest, worded
 * by how the kind is counted: events, chunks, whole logs, or the loss's
 * own words (its detail says it all). A new kind is added here. */
enum { BY_EVENTS, BY_CHUNKS, BY_LOGS, BY_DETAIL };
static const struct {
    const char *what;
    int how;
} loss_kinds[] = {
    {"dropped-events", BY_EVENTS}, {"bad-chunk", BY_CHUNKS},    {"unwritten-chunk", BY_CHUNKS},
    {"truncated", BY_CHUNKS},      {"unreadable-log", BY_LOGS}, {"empty-log", BY_LOGS},
    {"duplicate-log", BY_LOGS},    {"missing-log", BY_DETAIL},  {"running", BY_DETAIL},
    {"live-consumed", BY_DETAIL},  {"late-relocks", BY_DETAIL}, {"held-at-exit", BY_DETAIL},
};

void weft__ingest_warn_losses(const struct weft__ingest *g) {
    for (size_t k = 0; k < sizeof loss_kinds / sizeof *loss_kinds; k++) {
        uint64_t count = 0, rows = 0;
        const struct loss *first = NULL;
        for (size_t i = 0; i < g->nlosses; i++)
            if (!strcmp(g->losses[i].what, loss_kinds[k].what)) {
                count += g->losses[i].count;
                rows++;
                if (!first)
                    first = &g->losses[i];
            }
        if (!first)
            continue;
        char more[64] = "";
        if (rows > 1)
            snprintf(more, sizeof more, " (and %llu more like it)", (unsigned long long)(rows - 1));
        switch (loss_kinds[k].how) {
        case BY_EVENTS:
            if (rows == 1)
                weft_err("warning: trace incomplete: %s", first->detail);
            else
                weft_err("warning: trace incomplete: %llu events dropped in %llu processes "
                         "(their logs were full: raise WEFT_LOG_MB; or their disk was full)",
                         (unsigned long long)count, (unsigned long long)rows);
            break;
        case BY_CHUNKS:
            weft_err("warning: trace incomplete: %llu chunk%s of records lost: %s%s",
                     (unsigned long long)count, count == 1 ? "" : "s", first->detail, more);
            break;
        case BY_DETAIL:
            weft_err("warning: trace incomplete: %s%s", first->detail, more);
            break;
        default:
            weft_err("warning: trace incomplete: %llu log%s left out: %s", (unsigned long long)rows,
                     rows == 1 ? "" : "s", first->detail);
            break;
        }
    }
}

void weft__ingest_check_forks(struct weft__ingest *g, const struct weft_ingest_opts *opts) {
    /* A child forked by a traced process has a log (the fork handler
     * made it) unless it died or failed before: say so (not when each
     * child makes a database of its own). */
    uint64_t first_start = UINT64_MAX;
    for (int j = 0; j < g->nprocs; j++)
        if (g->procs[j].log.hdr.start_mono_ns < first_start)
            first_start = g->procs[j].log.hdr.start_mono_ns;
    for (size_t f = 0; f < g->nforks && !(opts && opts->children_apart); f++) {
        int have = weft__ingest_has_loss_of(g, g->forks[f].pid);
        for (int j = 0; j < g->nprocs && !have; j++)
            have = g->procs[j].pid == g->forks[f].pid;
        /* a child that has not made its log yet, still running */
        if (!have &&
            weft__ingest_still_running_since(g->forks[f].pid, first_start, weft__ingest_mono_now()))
            weft__ingest_add_loss(
                g, g->forks[f].pid, NULL, "running", 1,
                "process %d was still running when the trace was read (a daemon, or a "
                "child that outlived the program): its trace stops there",
                g->forks[f].pid);
        else if (!have)
            weft__ingest_add_loss(g, g->forks[f].pid, NULL, "missing-log", 1,
                                  "process %d forked process %d, which left no log",
                                  g->forks[f].parent, g->forks[f].pid);
    }
}
