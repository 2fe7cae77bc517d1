/* shim_core.c: the life of the recorder inside a traced process: start-up
 * (constructor), the log path, the main thread and threads we did not see
 * created, resolving the real functions behind our interposers, the fresh
 * log of a fork child, and the end of the process (destructor). */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "shim.h"

int weft__ready;
static char log_base[4096]; /* WEFT_LOG, or ./weft-<root pid>.log */
static int auto_log;        /* WEFT_LOG was unset: we chose the name */
static unsigned depth = 16;
static int log_pid;
static char cur_log[4200]; /* the log this process writes */

void *weft__real(const char *name) { return dlsym(RTLD_NEXT, name); }

void *weft__real_v(const char *name, const char *version) {
    void *p = dlvsym(RTLD_NEXT, name, version);
    return p ? p : dlsym(RTLD_NEXT, name);
}

static pid_t os_tid(void) { return (pid_t)syscall(SYS_gettid); }

void weft__thread_ensure(void) {
    if (weft__t.tid)
        return;
    weft__t.tid = weft__log_new_tid();
    weft__emit(WEFT_K_THREAD_ADOPT, (uint64_t)pthread_self(), (uint64_t)os_tid(), 0, 0, 0);
}

/* Opens a log of our own: the base name when nobody has it yet, else
 * base.<pid>, base.<pid>.1, ... (a fork child, or a new image after exec
 * that finds its own earlier log). O_EXCL decides, so two processes never
 * share a file. */
static int open_log(int ppid, uint32_t parent_tid) {
    char path[4200];
    pid_t pid = getpid();
    for (int attempt = 0; attempt < 100; attempt++) {
        if (attempt == 0 && ppid == 0)
            snprintf(path, sizeof path, "%s", log_base);
        else if (attempt <= 1)
            snprintf(path, sizeof path, "%s.%d", log_base, (int)pid);
        else
            snprintf(path, sizeof path, "%s.%d.%d", log_base, (int)pid, attempt - 1);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) {
            if (errno == EEXIST)
                continue;
            return -errno;
        }
        close(fd);
        snprintf(cur_log, sizeof cur_log, "%s", path);
        return weft__log_open(path, ppid ? ppid : getppid(), parent_tid, depth);
    }
    return -EEXIST;
}

/* Records what a process starts with: argv, the executable, the module
 * map, its first thread. */
static void process_begin(int is_fork_child, int parent_pid, uint32_t parent_tid) {
    char buf[8192];
    ssize_t n = 0;
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        n = read(fd, buf, sizeof buf);
        close(fd);
    }
    if (n < 0)
        n = 0;
    weft__t.tid = weft__log_new_tid();
    weft__t.in_shim = 1;
    weft__emit_data(WEFT_K_PROC_START, (uint64_t)getpid(), (uint64_t)parent_pid, 0, 0, 0, buf,
                    (size_t)n);
    ssize_t e = readlink("/proc/self/exe", buf, sizeof buf - 1);
    weft__emit_data(WEFT_K_PROC_EXE, 0, 0, 0, 0, 0, buf, e > 0 ? (size_t)e : 0);
    if (is_fork_child)
        weft__emit(WEFT_K_FORK_CHILD, 0, (uint64_t)parent_pid, parent_tid, 0, 0);
    weft__emit(WEFT_K_THREAD_ADOPT, (uint64_t)pthread_self(), (uint64_t)os_tid(), 0, 0, 0);
    weft__modules_emit();
    weft__t.in_shim = 0;
    log_pid = getpid();
    __atomic_store_n(&weft__ready, 1, __ATOMIC_RELEASE);
}

static void atfork_child(void) {
    /* Only this thread survives in the child: forget the parent's log and
     * stacks, and start a log and a process of our own. Nothing here takes
     * a lock another (now gone) thread could have held: the log and the
     * stack table are lock-free, and libunwind uses per-thread caches. */
    if (!log_pid || getpid() == log_pid)
        return;
    int parent_pid = log_pid;
    uint32_t parent_tid = weft__t.tid;
    __atomic_store_n(&weft__ready, 0, __ATOMIC_RELEASE);
    weft__log_forget();
    weft__stack_reset();
    memset(&weft__t, 0, sizeof weft__t);
    log_pid = 0;
    weft__watchdog_fork_child();
    if (open_log(parent_pid, parent_tid) == 0) {
        process_begin(1, parent_pid, parent_tid);
        if (auto_log)
            weft__self_ingest_prepare(cur_log);
        weft__watchdog_start();
    }
}

__attribute__((constructor(101))) static void weft_init(void) {
    if (log_pid)
        return;
    int saved = errno;
    const char *d = getenv("WEFT_STACK_DEPTH");
    if (d && *d) {
        long v = strtol(d, NULL, 10);
        depth = v < 0 ? 0 : v > 128 ? 128 : (unsigned)v;
    }
    const char *p = getenv("WEFT_LOG");
    if (p && *p) {
        snprintf(log_base, sizeof log_base, "%s", p);
    } else {
        auto_log = 1;
        snprintf(log_base, sizeof log_base, "weft-%d.log", (int)getpid());
    }
    /* Per-thread caches: libunwind's global cache takes a lock, which a
     * fork child could find held by a thread that no longer exists. */
    /* weft run without --trace-children: programs this one executes run
     * untraced (a fork child, the same program, stays traced). */
    const char *ch = getenv("WEFT_CHILDREN");
    if (ch && !strcmp(ch, "0")) {
        unsetenv("LD_PRELOAD");
        unsetenv("WEFT_LOG");
        unsetenv("WEFT_CHILDREN");
    }
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    weft__stack_init(depth);
    if (open_log(0, 0) != 0) {
        /* No log, no recording: the program runs as if we were absent. */
        errno = saved;
        return;
    }
    pthread_atfork(NULL, NULL, atfork_child);
    process_begin(0, getppid(), 0);
    weft__signals_install();
    if (auto_log && !getenv("WEFT_SELF_INGEST"))
        weft__self_ingest_prepare(cur_log);
    weft__watchdog_start();
    errno = saved;
}

void weft__process_exit_hook(void) {
    WEFT_RECORD(weft__emit(WEFT_K_PROC_END, 0, 0, 0, 0, 0); weft__log_set_flag(WEFT_LOG_F_FINISHED));
}

__attribute__((destructor(101))) static void weft_fini(void) {
    if (!log_pid || getpid() != log_pid)
        return;
    weft__process_exit_hook();
    weft__self_ingest();
}

const char *weft__kind_name(unsigned k) {
    switch (k) {
#define WEFT__KIND_CASE(name, num, str, fam, blk) \
    case num:                                     \
        return str;
        WEFT_KINDS(WEFT__KIND_CASE)
#undef WEFT__KIND_CASE
    }
    return "?";
}
