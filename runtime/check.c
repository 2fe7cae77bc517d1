/* SPDX-License-Identifier: MIT */
/* check.c: <weft/check.h>, goleak-style checks for leaked threads in tests.
 *
 * A baseline is the set of the process's tasks (/proc/self/task) at one
 * moment, each as (OS tid, start time in clock ticks from its stat), so a
 * tid the kernel reuses for a new thread does not hide it. A check lists
 * the tasks again and retries, with a growing pause (1 ms up to 50 ms),
 * until every live task is in the baseline or ignored, or the timeout has
 * passed; then it reports what is left.
 *
 * Never reported: the calling thread; zombies; threads whose name matches
 * an ignore glob; libweft's timer thread (named "weft-timer" by timer.c;
 * it exits by itself once no deadline is pending); and, when weft's
 * recorder (libweft-preload.so) is loaded, every thread it marks internal.
 * The recorder is asked through weft__check_describe (harness/
 * shim_check.c), found with dlsym: libweft does not depend on it.
 *
 * /proc is read with open/read/getdents64 into stack buffers: no stdio
 * and no DIR streams. The only allocations are the baseline's arrays and,
 * per check, the list of tasks; a check's report is written with stdio to
 * the caller's FILE at the very end. */
#include <dlfcn.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <weft/check.h>
#include "internal.h"

#include "internal.h"

struct task {
    int32_t tid;
    uint64_t start; /* starttime from stat; 0 if unknown */
};

struct weft_check_baseline {
    pthread_mutex_t mu;
    pid_t pid;
    struct task *v; /* sorted by tid */
    size_t n, cap;
    char **globs;
    size_t nglobs;
};

typedef int (*describe_fn)(int32_t ostid, char *buf, size_t len);

/* ---- /proc ---- */

static int32_t gettid_(void) {
    return (int32_t)syscall(SYS_gettid);
}

/* Reads /proc/self/task/TID/<what> into buf (NUL-terminated), -1 if gone. */
static ssize_t read_task_file(int32_t tid, const char *what, char *buf, size_t len) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/%s", (int)tid, what);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t have = 0;
    while (have + 1 < len) {
        ssize_t r = read(fd, buf + have, len - 1 - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        have += (size_t)r;
    }
    close(fd);
    buf[have] = 0;
    return (ssize_t)have;
}

/* State letter and start time of a task; 0 if it is gone. */
static int task_stat(int32_t tid, char *state, uint64_t *start) {
    char st[1024];
    if (read_task_file(tid, "stat", st, sizeof st) <= 0)
        return 0;
    char *p = strrchr(st, ')');
    if (!p || p[1] != ' ')
        return 0;
    p += 2;
    *state = *p;
    *start = 0;
    /* Field 22 (starttime) is the 20th after the state (field 3). */
    for (int field = 3; *p && field < 22; p++)
        if (*p == ' ')
            field++;
    if (*p)
        *start = strtoull(p, NULL, 10);
    return 1;
}

static void task_name(int32_t tid, char *name, size_t len) {
    ssize_t n = read_task_file(tid, "comm", name, len);
    if (n <= 0) {
        name[0] = 0;
        return;
    }
    if (name[n - 1] == '\n')
        name[n - 1] = 0;
}

/* The OS tids of the process's tasks, malloc'd; -1 on error. */
static ssize_t list_tasks(int32_t **out) {
    int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = 0, cap = 64;
    int32_t *v = malloc(cap * sizeof *v);
    if (!v) {
        close(fd);
        return -1;
    }
    char buf[4096] __attribute__((aligned(8)));
    for (;;) {
        long got = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (got <= 0)
            break;
        for (long off = 0; off < got;) {
            /* struct linux_dirent64: ino (8), off (8), reclen (2), type (1), name */
            unsigned short reclen;
            memcpy(&reclen, buf + off + 16, sizeof reclen);
            const char *name = buf + off + 19;
            off += reclen;
            if (name[0] < '0' || name[0] > '9')
                continue;
            if (n == cap) {
                int32_t *nv = realloc(v, 2 * cap * sizeof *v);
                if (!nv) {
                    free(v);
                    close(fd);
                    return -1;
                }
                v = nv;
                cap *= 2;
            }
            v[n++] = (int32_t)strtol(name, NULL, 10);
        }
    }
    close(fd);
    *out = v;
    return (ssize_t)n;
}

/* ---- the baseline ---- */

/* task_stat, as <weft/check.h> must see it: a goroutine is the unit, so a
 * pooled thread that is idle (spawn.c) is no live task, and one reused for
 * a later function is a new task, keyed by its dispatch rather than by the
 * thread's start time (the top bit keeps the two kinds of key apart). */
static int task_identity(int32_t tid, char *state, uint64_t *key) {
    if (!task_stat(tid, state, key))
        return 0;
    uint64_t task;
    switch (weft__pool_task(tid, &task)) {
    case 1:
        return 0;
    case 2:
        *key = task | (uint64_t)1 << 63;
        break;
    }
    return 1;
}

static int cmp_task(const void *a, const void *b) {
    int32_t x = ((const struct task *)a)->tid, y = ((const struct task *)b)->tid;
    return (x > y) - (x < y);
}

static int in_baseline(const weft_check_baseline *b, int32_t tid, uint64_t start) {
    struct task key = {tid, 0};
    const struct task *t = b->n ? bsearch(&key, b->v, b->n, sizeof *b->v, cmp_task) : NULL;
    return t && (t->start == start || !t->start || !start);
}

/* Adds the live tasks to b (under b->mu); returns how many were new. */
static int add_live(weft_check_baseline *b) {
    int32_t *tids;
    ssize_t n = list_tasks(&tids);
    if (n < 0)
        return -1;
    int added = 0;
    size_t sorted = b->n; /* entries before this pass; a listing has distinct tids */
    for (ssize_t i = 0; i < n; i++) {
        char state;
        uint64_t start;
        if (!task_identity(tids[i], &state, &start))
            continue;
        struct task key = {tids[i], 0};
        struct task *old = sorted ? bsearch(&key, b->v, sorted, sizeof *b->v, cmp_task) : NULL;
        if (old && (old->start == start || !old->start || !start))
            continue;
        added++;
        if (old) { /* the tid was reused by a new thread */
            old->start = start;
            continue;
        }
        if (b->n == b->cap) {
            size_t cap = b->cap ? 2 * b->cap : 16;
            struct task *nv = realloc(b->v, cap * sizeof *nv);
            if (!nv) {
                added = -1;
                errno = ENOMEM;
                break;
            }
            b->v = nv;
            b->cap = cap;
        }
        b->v[b->n++] = (struct task){tids[i], start};
    }
    free(tids);
    if (b->n)
        qsort(b->v, b->n, sizeof *b->v, cmp_task);
    return added;
}

weft_check_baseline *weft_check_baseline_take(void) {
    weft_check_baseline *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    pthread_mutex_init(&b->mu, NULL);
    b->pid = getpid();
    if (add_live(b) < 0) {
        int e = errno;
        weft_check_baseline_free(b);
        errno = e ? e : EIO;
        return NULL;
    }
    return b;
}

void weft_check_baseline_free(weft_check_baseline *b) {
    if (!b)
        return;
    for (size_t i = 0; i < b->nglobs; i++)
        free(b->globs[i]);
    free(b->globs);
    free(b->v);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

int weft_check_ignore_current(weft_check_baseline *b) {
    if (!b) {
        errno = EINVAL;
        return -1;
    }
    pthread_mutex_lock(&b->mu);
    int r = b->pid == getpid() ? add_live(b) : (errno = EINVAL, -1);
    pthread_mutex_unlock(&b->mu);
    return r;
}

int weft_check_ignore_name(weft_check_baseline *b, const char *glob) {
    if (!b || !glob) {
        errno = EINVAL;
        return -1;
    }
    char *g = strdup(glob);
    if (!g)
        return -1;
    pthread_mutex_lock(&b->mu);
    char **nv = realloc(b->globs, (b->nglobs + 1) * sizeof *nv);
    if (nv) {
        b->globs = nv;
        b->globs[b->nglobs++] = g;
    }
    pthread_mutex_unlock(&b->mu);
    if (!nv) {
        free(g);
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

/* ---- the check ---- */

/* What the recorder said about a tid during one check (asked once each). */
struct seen {
    int32_t tid;
    uint64_t start;
    int kind; /* weft__check_describe's answer */
};

struct leak {
    int32_t tid;
    char state;
    char name[32];
};

static void sleep_ns(int64_t ns) {
    struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static const char *syscall_name(long nr) {
    switch (nr) {
#ifdef SYS_futex
    case SYS_futex:
        return "futex";
#endif
#ifdef SYS_nanosleep
    case SYS_nanosleep:
        return "nanosleep";
#endif
#ifdef SYS_clock_nanosleep
    case SYS_clock_nanosleep:
        return "clock_nanosleep";
#endif
#ifdef SYS_read
    case SYS_read:
        return "read";
#endif
#ifdef SYS_write
    case SYS_write:
        return "write";
#endif
#ifdef SYS_poll
    case SYS_poll:
        return "poll";
#endif
#ifdef SYS_ppoll
    case SYS_ppoll:
        return "ppoll";
#endif
#ifdef SYS_select
    case SYS_select:
        return "select";
#endif
#ifdef SYS_pselect6
    case SYS_pselect6:
        return "pselect6";
#endif
#ifdef SYS_epoll_wait
    case SYS_epoll_wait:
        return "epoll_wait";
#endif
#ifdef SYS_epoll_pwait
    case SYS_epoll_pwait:
        return "epoll_pwait";
#endif
#ifdef SYS_accept
    case SYS_accept:
        return "accept";
#endif
#ifdef SYS_accept4
    case SYS_accept4:
        return "accept4";
#endif
#ifdef SYS_recvfrom
    case SYS_recvfrom:
        return "recvfrom";
#endif
#ifdef SYS_recvmsg
    case SYS_recvmsg:
        return "recvmsg";
#endif
#ifdef SYS_wait4
    case SYS_wait4:
        return "wait4";
#endif
#ifdef SYS_pause
    case SYS_pause:
        return "pause";
#endif
    }
    return NULL;
}

static void report_kernel_wait(FILE *f, int32_t tid, char state) {
    char wchan[128], sc[256];
    if (read_task_file(tid, "wchan", wchan, sizeof wchan) <= 0 || !strcmp(wchan, "0"))
        snprintf(wchan, sizeof wchan, "?");
    fprintf(f, "  kernel: state %c, wait channel %s", state, wchan);
    if (read_task_file(tid, "syscall", sc, sizeof sc) > 0) {
        char *nl = strchr(sc, '\n');
        if (nl)
            *nl = 0;
        char *end;
        long nr = strtol(sc, &end, 10);
        const char *name = end != sc ? syscall_name(nr) : NULL;
        if (end != sc && nr >= 0) {
            /* "NR arg1 ... sp pc": the first argument is the most telling
             * (a futex's address, an fd). */
            char *a1 = *end == ' ' ? end + 1 : NULL;
            char *sp = a1 ? strchr(a1, ' ') : NULL;
            if (sp)
                *sp = 0;
            if (name)
                fprintf(f, ", in system call %s(%s, ...)", name, a1 ? a1 : "");
            else
                fprintf(f, ", in system call %ld(%s, ...)", nr, a1 ? a1 : "");
        } else if (!strncmp(sc, "running", 7)) {
            fprintf(f, ", running");
        }
    }
    fprintf(f, "\n");
}

static int name_ignored(const weft_check_baseline *b, const char *name) {
    if (!strcmp(name, "weft-timer"))
        return 1;
    for (size_t i = 0; i < b->nglobs; i++)
        if (fnmatch(b->globs[i], name, 0) == 0)
            return 1;
    return 0;
}

static int check(const weft_check_baseline *cb, int64_t timeout_ns, FILE *report) {
    /* The mutex is the only thing we change: the baseline stays const to
     * the caller. */
    weft_check_baseline *b = (weft_check_baseline *)(uintptr_t)cb;
    if (!b) {
        if (report)
            fprintf(report, "weft_check: no baseline (weft_check_baseline_take failed?)\n");
        return -1;
    }
    if (b->pid != getpid()) {
        if (report)
            fprintf(report,
                    "weft_check: the baseline was taken in process %d, this is %d: take it in "
                    "the same process (Check forks each test: take it inside the test or a "
                    "checked fixture)\n",
                    (int)b->pid, (int)getpid());
        return -1;
    }
    if (timeout_ns <= 0)
        timeout_ns = WEFT_CHECK_DEFAULT_TIMEOUT_NS;
    describe_fn describe = NULL;
    *(void **)(&describe) = dlsym(RTLD_DEFAULT, "weft__check_describe");

    int32_t self = gettid_();
    int64_t t0 = weft__now(), deadline = t0 + timeout_ns;
    int64_t pause = 1000000;
    struct seen *seen = NULL;
    size_t nseen = 0, capseen = 0;
    struct leak *leaks = NULL;
    size_t nleaks = 0;
    int rc;
    for (;;) {
        int32_t *tids;
        ssize_t n = list_tasks(&tids);
        if (n < 0) {
            if (report)
                fprintf(report, "weft_check: cannot list /proc/self/task\n");
            rc = -1;
            goto done;
        }
        free(leaks);
        leaks = calloc((size_t)n + 1, sizeof *leaks);
        if (!leaks) {
            free(tids);
            if (report)
                fprintf(report, "weft_check: out of memory\n");
            rc = -1;
            goto done;
        }
        nleaks = 0;
        pthread_mutex_lock(&b->mu);
        for (ssize_t i = 0; i < n; i++) {
            int32_t tid = tids[i];
            char state;
            uint64_t start;
            if (tid == self || !task_identity(tid, &state, &start) || state == 'Z' ||
                state == 'X' || state == 'x' || in_baseline(b, tid, start))
                continue;
            struct leak *l = &leaks[nleaks];
            task_name(tid, l->name, sizeof l->name);
            if (name_ignored(b, l->name))
                continue;
            if (describe) {
                int kind = -1;
                size_t k = 0;
                for (; k < nseen; k++)
                    if (seen[k].tid == tid && seen[k].start == start)
                        break;
                if (k < nseen) {
                    kind = seen[k].kind;
                } else {
                    kind = describe(tid, NULL, 0);
                    if (nseen == capseen) {
                        size_t cap = capseen ? 2 * capseen : 16;
                        struct seen *ns = realloc(seen, cap * sizeof *ns);
                        if (ns) {
                            seen = ns;
                            capseen = cap;
                        }
                    }
                    /* Only definite answers: a thread just created may
                     * not be in the log yet. */
                    if (nseen < capseen && kind > 0)
                        seen[nseen++] = (struct seen){tid, start, kind};
                }
                if (kind == 2)
                    continue;
            }
            l->tid = tid;
            l->state = state;
            nleaks++;
        }
        pthread_mutex_unlock(&b->mu);
        free(tids);
        if (nleaks == 0) {
            rc = 0;
            goto done;
        }
        int64_t now = weft__now();
        if (now >= deadline)
            break;
        int64_t p = pause < deadline - now ? pause : deadline - now;
        sleep_ns(p);
        if (pause < 50000000)
            pause *= 2;
    }

    rc = (int)nleaks;
    if (report) {
        fprintf(report,
                "weft_check: %zu thread%s leaked (alive, not in the baseline, after %lld ms):\n",
                nleaks, nleaks == 1 ? "" : "s", (long long)((weft__now() - t0) / 1000000));
        char *desc = describe ? malloc(16384) : NULL;
        for (size_t i = 0; i < nleaks; i++) {
            const struct leak *l = &leaks[i];
            fprintf(report, "thread %d \"%s\":\n", (int)l->tid, l->name);
            if (desc && i < 32 && describe(l->tid, desc, 16384) >= 0)
                fputs(desc, report);
            report_kernel_wait(report, l->tid, l->state);
        }
        free(desc);
        fflush(report);
    }
done:
    free(leaks);
    free(seen);
    return rc;
}

int weft_check_no_new_threads(const weft_check_baseline *b, int64_t timeout_ns, FILE *report) {
    return check(b, timeout_ns, report);
}

int weft_check_no_new_threads_buf(const weft_check_baseline *b, int64_t timeout_ns, char *buf,
                                  size_t len) {
    if (!buf || !len)
        return check(b, timeout_ns, NULL);
    buf[0] = 0;
    FILE *f = fmemopen(buf, len, "w");
    if (!f)
        return check(b, timeout_ns, NULL);
    /* Unbuffered: what does not fit is cut, and the text stays NUL-ended. */
    setvbuf(f, NULL, _IONBF, 0);
    int r = check(b, timeout_ns, f);
    fclose(f);
    buf[len - 1] = 0;
    return r;
}
