/* SPDX-License-Identifier: MIT */
/* shim_core.c: the life of the recorder inside a traced process: start-up
 * (constructor), the log path, the main thread and threads we did not see
 * created, resolving the real functions behind our interposers, the fresh
 * log of a fork child, and the end of the process (destructor). */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "shim.h"

int weft__ready;
static char log_base[4096]; /* WEFT_LOG, or ./weft-<root pid>.log */
static int auto_log;        /* WEFT_LOG was unset: we chose the name */
static int self_ingest;     /* ... and we turn it into a database at the end */
static unsigned depth = 16;
static int log_pid;

void *weft__real(const char *name) {
    return dlsym(RTLD_NEXT, name);
}

void *weft__real_v(const char *name, const char *version) {
    void *p = dlvsym(RTLD_NEXT, name, version);
    return p ? p : dlsym(RTLD_NEXT, name);
}

static pid_t os_tid(void) {
    return (pid_t)syscall(SYS_gettid);
}

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
        /* 0600 whatever the umask: a log holds argv and paths. O_NOFOLLOW
         * with O_EXCL: a planted symlink is never followed. */
        int fd = -1;
        if (weft__chaos_hit(WEFT_CHAOS_LOG_OPEN))
            errno = EMFILE; /* tests only (chaos.c): as a full fd table */
        else
            fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
            if (errno == EEXIST)
                continue;
            return -errno;
        }
        if (fchmod(fd, 0600) != 0) {
            /* the mode open gave (0600 less the umask) is no wider */
        }
        return weft__log_open(fd, path, ppid ? ppid : getppid(), parent_tid, depth);
    }
    return -EEXIST;
}

/* Records what a process starts with: argv, the executable, the module
 * map, its first thread. */
static void process_begin(int is_fork_child, int parent_pid, uint32_t parent_tid) {
    char buf[8192];
    ssize_t n = 0;
    int fd = weft__chaos_hit(WEFT_CHAOS_PROC_FILE)
                 ? -1
                 : open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
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
    /* A fork child writes the parent's module map (same address space)
     * from the copy the parent kept: walking the loaded objects takes the
     * loader's lock. When a thread of the parent was inside the loader at
     * the fork, that lock may stay held: no stacks in this child then
     * (libunwind walks the loaded objects too). */
    if (!is_fork_child)
        weft__modules_emit();
    else if (weft__modules_emit_child())
        weft__stack_disable();
    weft__t.in_shim = 0;
    log_pid = getpid();
    __atomic_store_n(&weft__ready, 1, __ATOMIC_RELEASE);
}

static void atfork_child(void) {
    /* Only this thread survives in the child: forget the parent's log and
     * stacks, and start a log and a process of our own. Nothing here takes
     * a lock another (now gone) thread could have held: the log and the
     * stack table are lock-free, libunwind uses per-thread caches, the
     * module map comes from the parent's copy (no loader), the log's
     * settings were read by the parent (no environment), and no malloc or
     * stdio (snprintf into our own buffers only). */
    if (!log_pid || getpid() == log_pid)
        return;
    /* A signal now (a pool that terminates a worker it just forked) would
     * find a log half made and no self-ingest armed: the log would stay
     * behind. Held back until the child is set up, then delivered as
     * before, still inside fork. */
    uint64_t all = ~(uint64_t)0, old;
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, &old, sizeof all);
    int parent_pid = log_pid;
    uint32_t parent_tid = weft__t.tid;
    __atomic_store_n(&weft__ready, 0, __ATOMIC_RELEASE);
    weft__log_forget();
    weft__stack_reset();
    memset(&weft__t, 0, sizeof weft__t);
    log_pid = 0;
    weft__watchdog_fork_child();
    weft__chaos_fork_child();
    weft__relock_fork_child();
    if (open_log(parent_pid, parent_tid) == 0) {
        process_begin(1, parent_pid, parent_tid);
        if (self_ingest)
            weft__self_ingest_prepare(weft__log_path());
        weft__watchdog_start();
    }
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, sizeof old);
}

__attribute__((constructor(101))) static void weft_init(void) {
    if (log_pid)
        return;
    /* A setuid or setgid program (the loader may load us from
     * /etc/ld.so.preload, or a setuid copy in a system directory): the
     * caller's environment must not choose files, programs or anything
     * else for it. We stay inert: no log, no handler, no thread, no exec;
     * the interposers only pass through (weft__ready stays 0). */
    if (getauxval(AT_SECURE))
        return;
    int saved = errno;
    const char *d = secure_getenv("WEFT_STACK_DEPTH");
    if (d && *d) {
        long v = strtol(d, NULL, 10);
        depth = v < 0 ? 0 : v > 128 ? 128 : (unsigned)v;
    }
    const char *p = secure_getenv("WEFT_LOG");
    /* An earlier image of this process (it exec'd us) logged in dir: our
     * log goes beside its, and our database holds both (selfingest.c). */
    char dir[4096];
    const char *prev_dir = weft__self_ingest_inherit(dir, sizeof dir);
    if (p && *p) {
        snprintf(log_base, sizeof log_base, "%s", p);
    } else {
        auto_log = 1;
        snprintf(log_base, sizeof log_base, "%s%sweft-%d.log", prev_dir ? prev_dir : "",
                 prev_dir ? "/" : "", (int)getpid());
    }
    self_ingest = auto_log && !secure_getenv("WEFT_SELF_INGEST");
    /* weft run without --trace-children: programs this one executes run
     * untraced (a fork child, the same program, stays traced). Only our
     * own entry leaves LD_PRELOAD. */
    const char *ch = secure_getenv("WEFT_CHILDREN");
    int untraced_children = ch && !strcmp(ch, "0");
    if (untraced_children || secure_getenv("WEFT_PRELOAD_LEAD"))
        weft__env_drop_self(untraced_children);
    /* Read before they may leave the environment: fork children (still
     * traced) start their watchdog and live state from what we read. */
    weft__watchdog_settings();
    if (!untraced_children && !auto_log)
        weft__env_keep_traced();
    weft__relock_init(); /* before its switches may leave the environment */
    if (untraced_children) {
        /* Every variable weft run set for us goes: the program and what
         * it runs see the environment they would without weft (the
         * live state's switch and the watchdog's timeout stayed, seen by
         * `env` and passed on to every program it ran). */
        unsetenv("WEFT_LOG");
        unsetenv("WEFT_CHILDREN");
        unsetenv("WEFT_LIVE_STATE");
        unsetenv("WEFT_STACK_DEPTH");
        unsetenv("WEFT_DEADLOCK_TIMEOUT_MS");
        unsetenv("WEFT_SHIM_RUNS");
    }
    weft__chaos_init();
    weft__exec_note_user();
    weft__modules_init();
    weft__stack_init(depth);
    /* As in a fork child: a signal between the log's creation and the
     * handlers (and the self-ingest) would leave the log behind. */
    uint64_t all = ~(uint64_t)0, old;
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, &old, sizeof all);
    if (open_log(0, 0) != 0) {
        /* No log, no recording: the program runs as if we were absent. */
        syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, sizeof old);
        errno = saved;
        return;
    }
    /* The allocator first: an allocator that registers fork handlers when
     * it starts (jemalloc) must have registered them before ours, so that
     * in a fork child its handler has made its locks usable again before
     * ours runs, whose watchdog thread's pthread_create allocates (child
     * handlers run in the order they were registered). */
    free(malloc(1));
    pthread_atfork(NULL, NULL, atfork_child);
    process_begin(0, getppid(), 0);
    weft__signals_install();
    if (self_ingest)
        weft__self_ingest_prepare(weft__log_path());
    weft__watchdog_start();
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, sizeof old);
    errno = saved;
}

void weft__process_exit_hook(void) {
    WEFT_RECORD(weft__emit(WEFT_K_PROC_END, 0, 0, 0, 0, 0);
                weft__log_set_flag(WEFT_LOG_F_FINISHED));
}

__attribute__((destructor(101))) static void weft_fini(void) {
    if (!log_pid || getpid() != log_pid)
        return;
    weft__process_exit_hook();
    weft__live_remove();
    weft__self_ingest();
}

const char *weft__kind_name(unsigned k) {
    switch (k) {
#define WEFT__KIND_CASE(name, num, str, fam, blk)                                                  \
    case num:                                                                                      \
        return str;
        WEFT_KINDS(WEFT__KIND_CASE)
#undef WEFT__KIND_CASE
    }
    return "?";
}
