/* SPDX-License-Identifier: MIT */
/* prewarm.c: the symbol table of weft run's ingest, warmed while the
 * program runs. Loading a debug file (libc's: its DWARF inflated, tens of
 * milliseconds) is the same work whatever the trace's size; after the
 * exit it competes with the ingest for the CPUs, before it it can take
 * a CPU the program leaves idle. A thread of weft's looks at the
 * program's CPU time every CHECK_MS; the first time the program leaves
 * about a CPU idle, it shows the table every module the program has
 * mapped (/proc/PID/maps) and asks it to warm the ones whose debug file
 * is installed (weft_symtab_warm: the table's own thread loads them),
 * then ends. A program that keeps every CPU busy, or ends first, is
 * never competed with: the ingest warms as it always did. The same
 * module maps serve livecheck.c (weft_proc_symmap). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "symbolize.h"

enum { CHECK_MS = 100 };

struct weft_prewarm {
    struct weft_symtab *tab;
    int pid, warmed, stop;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

struct weft_symmap *weft_proc_symmap(struct weft_symtab *t, int pid) {
    char path[64], line[PATH_MAX + 256];
    snprintf(path, sizeof path, "/proc/%d/maps", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    struct weft_symmap *m = weft_symmap_new(t);
    while (m && fgets(line, sizeof line, f)) {
        unsigned long long lo, hi, off;
        int pos = 0;
        if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %n", &lo, &hi, &off, &pos) < 3 || !pos)
            continue;
        char *p = line + pos;
        p[strcspn(p, "\n")] = 0;
        uint64_t bias;
        if (off == 0 && p[0] == '/' && weft_elf_load_bias(p, lo, &bias) == 0)
            weft_symmap_add(m, p, bias, 0, 0, NULL, 0);
    }
    fclose(f);
    return m;
}

/* The CPU time process pid used so far, in clock ticks (all its threads);
 * -1 when it is gone. */
static long long cpu_ticks(int pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    /* after the command's closing parenthesis: state, then fields 4..13,
     * then utime and stime (proc(5)) */
    const char *p = strrchr(buf, ')');
    unsigned long long ut, st;
    if (!p ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (long long)(ut + st);
}

static void *prewarm_main(void *arg) {
    struct weft_prewarm *pw = arg;
    long hz = sysconf(_SC_CLK_TCK), ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    long long last = cpu_ticks(pw->pid);
    pthread_mutex_lock(&pw->mu);
    while (!pw->stop && last >= 0 && hz > 0) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += CHECK_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        while (!pw->stop && pthread_cond_timedwait(&pw->cv, &pw->mu, &until) != ETIMEDOUT) {
        }
        if (pw->stop)
            break;
        long long now = cpu_ticks(pw->pid);
        if (now < 0)
            break;
        /* CPUs the program kept busy since the last look */
        double busy = (double)(now - last) / (double)hz / (CHECK_MS / 1000.0);
        last = now;
        if (busy > (double)ncpu - 0.75)
            continue;
        pthread_mutex_unlock(&pw->mu);
        weft_symtab_warm(pw->tab);
        weft_symmap_free(weft_proc_symmap(pw->tab, pw->pid));
        pthread_mutex_lock(&pw->mu);
        pw->warmed = 1;
        break;
    }
    pthread_mutex_unlock(&pw->mu);
    return NULL;
}

struct weft_prewarm *weft_prewarm_start(int pid) {
    struct weft_prewarm *pw = calloc(1, sizeof *pw);
    if (!pw)
        return NULL;
    pw->pid = pid;
    pthread_mutex_init(&pw->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&pw->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (!(pw->tab = weft_symtab_new()) || weft_thread_start(&pw->th, prewarm_main, pw) != 0) {
        weft_symtab_free(pw->tab);
        pthread_cond_destroy(&pw->cv);
        pthread_mutex_destroy(&pw->mu);
        free(pw);
        return NULL;
    }
    return pw;
}

struct weft_symtab *weft_prewarm_finish(struct weft_prewarm *pw) {
    if (!pw)
        return NULL;
    pthread_mutex_lock(&pw->mu);
    pw->stop = 1;
    pthread_cond_signal(&pw->cv);
    pthread_mutex_unlock(&pw->mu);
    pthread_join(pw->th, NULL);
    struct weft_symtab *t = pw->tab;
    if (!pw->warmed) {
        weft_symtab_free(t);
        t = NULL;
    }
    pthread_cond_destroy(&pw->cv);
    pthread_mutex_destroy(&pw->mu);
    free(pw);
    return t;
}
