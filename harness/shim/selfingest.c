/* SPDX-License-Identifier: MIT */
/* selfingest.c: plain `LD_PRELOAD=libweft-preload.so PROG` use (no weft
 * run, WEFT_LOG unset): at the end of the process the log is turned into
 * ./weft-PID.db by the `weft ingest` binary, exec'd in a child process.
 * SQLite never runs inside the traced process.
 *
 * Everything that needs the loader, malloc or the environment is prepared
 * at start (weft__self_ingest_prepare): the binary's path, the absolute
 * log and database paths (the program may chdir). The end itself uses only
 * async-signal-safe system calls (clone as a plain fork without atfork
 * handlers, execve, wait4, unlink), so that it may run from exit, _exit,
 * a fatal signal handler or the watchdog, whatever the program's threads
 * hold. We wait for the ingest so that the database exists when the
 * program's exit is seen; the exit status is untouched.
 *
 * A process that execs (a shell's child, `sh -c 'exec prog'`) ends its
 * image without an exit: its log would be left behind, 4 GiB sparse, and
 * its records missing from the new image's database. So the exec
 * interposers hand the new image the logs of this process so far, in
 * WEFT_SELF_PREV=<pid>:<log>\n<log>... (weft__self_ingest_exec_env: a
 * copy of the environment in an anonymous mapping, as a fork child may
 * not malloc), and the new image, when it is the same pid, writes its own
 * log beside them and ingests them all into one database (the images of
 * one process, as `weft run --trace-children` merges them), then removes
 * them. */
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shim.h"

static char bin[PATH_MAX + 16], logp[2 * PATH_MAX + 16], dbp[2 * PATH_MAX + 64];
static int armed; /* prepared, in the process that owns logp */
static int arm_pid;
static int done;
static int bin_tried;
static int ingest_tid; /* the kernel tid of the thread running it (0: none yet) */
/* The logs of this process's earlier images (handed over at exec), each
 * ending in '\n', and how many. */
#define PREV_MAX 32
static char prevs[16384];
static int nprev;
static int prev_pid; /* the process they are of (a fork child has none) */
static const char prev_var[] = "WEFT_SELF_PREV=";

static int exists_x(const char *p) {
    return access(p, X_OK) == 0;
}

void weft__self_ingest_prepare(const char *log_path) {
    armed = 0;
    char cwd[PATH_MAX];
    if (log_path[0] == '/')
        snprintf(logp, sizeof logp, "%s", log_path);
    else if (getcwd(cwd, sizeof cwd))
        snprintf(logp, sizeof logp, "%s/%s", cwd, log_path);
    else
        return;
    char *slash = strrchr(logp, '/');
    snprintf(dbp, sizeof dbp, "%.*s/weft-%d.db", (int)(slash - logp), logp, (int)getpid());
    /* Looked for once, at start: a fork child (which must not use the
     * loader or the environment) reuses what its parent found. */
    if (!bin[0] && !bin_tried) {
        bin_tried = 1;
        const char *env = secure_getenv("WEFT_BIN");
        Dl_info di;
        if (env && *env) {
            snprintf(bin, sizeof bin, "%s", env);
        } else if (dladdr((void *)&weft__self_ingest_prepare, &di) && di.dli_fname) {
            /* next to the shim (build tree), or ../bin from lib/ (install) */
            const char *s = strrchr(di.dli_fname, '/');
            int dl = s ? (int)(s - di.dli_fname) : 1;
            const char *d = s ? di.dli_fname : ".";
            snprintf(bin, sizeof bin, "%.*s/weft", dl, d);
            if (!exists_x(bin))
                snprintf(bin, sizeof bin, "%.*s/../bin/weft", dl, d);
        }
#ifdef WEFT_INSTALL_BINDIR
        if (!bin[0] || !exists_x(bin))
            snprintf(bin, sizeof bin, "%s/weft", WEFT_INSTALL_BINDIR);
#endif
    }
    if (!bin[0] || !exists_x(bin))
        return;
    arm_pid = getpid();
    /* A fork child inherits its parent's list: those logs are not its
     * own (the parent ingests them). */
    if (prev_pid != arm_pid) {
        nprev = 0;
        prevs[0] = 0;
    }
    armed = 1;
    done = 0;
    ingest_tid = 0;
}

/* At start, before the log is named: the logs an earlier image of this
 * process handed over (WEFT_SELF_PREV), if it was this pid; the variable
 * leaves the environment whatever it holds (an untraced program in
 * between may have passed it on to another process). Returns the
 * directory the earlier images logged in (the new log and the database
 * go there, as for a chdir), or NULL. */
const char *weft__self_ingest_inherit(char *dir, size_t n) {
    const char *v = secure_getenv("WEFT_SELF_PREV");
    if (!v)
        return NULL;
    char *end;
    long pid = strtol(v, &end, 10);
    const char *r = NULL;
    nprev = 0;
    prevs[0] = 0;
    if (*end == ':' && pid == getpid() && strlen(end + 1) < sizeof prevs - 1 && end[1] == '/') {
        snprintf(prevs, sizeof prevs, "%s\n", end + 1);
        for (const char *c = prevs; *c; c++)
            nprev += *c == '\n';
        const char *nl = strchr(prevs, '\n'), *slash = memrchr(prevs, '/', (size_t)(nl - prevs));
        if (nprev <= PREV_MAX && slash && (size_t)(slash - prevs) < n) {
            snprintf(dir, n, "%.*s", (int)(slash - prevs), prevs);
            prev_pid = (int)pid;
            r = dir;
        } else {
            nprev = 0;
            prevs[0] = 0;
        }
    }
    unsetenv("WEFT_SELF_PREV");
    return r;
}

/* The environment for an exec from this process: envp plus
 * WEFT_SELF_PREV naming every log of this process so far, in a mapping
 * of *mapped bytes (munmap it when the exec failed); envp itself when
 * there is nothing to hand over (not self-ingesting, another process's
 * state, a path with a newline, too many images, no memory). Only
 * async-signal-safe calls: this runs in fork children. */
char *const *weft__self_ingest_exec_env(char *const envp[], size_t *mapped) {
    *mapped = 0;
    if (!armed || (int)syscall(SYS_getpid) != arm_pid || nprev >= PREV_MAX || strchr(logp, '\n'))
        return envp;
    size_t n = 0, plen = strlen(prevs), llen = strlen(logp);
    while (envp && envp[n])
        n++;
    char num[24];
    int nl = snprintf(num, sizeof num, "%d:", arm_pid);
    size_t slen = sizeof prev_var - 1 + (size_t)nl + plen + llen + 1;
    size_t size = (n + 2) * sizeof(char *) + slen;
    char **env = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (env == MAP_FAILED)
        return envp;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(envp[i], prev_var, sizeof prev_var - 1) != 0)
            env[k++] = envp[i];
    char *s = (char *)(env + n + 2), *p = s;
    memcpy(p, prev_var, sizeof prev_var - 1);
    p += sizeof prev_var - 1;
    memcpy(p, num, (size_t)nl);
    p += nl;
    memcpy(p, prevs, plen); /* each ends in '\n' */
    p += plen;
    memcpy(p, logp, llen + 1);
    env[k++] = s;
    env[k] = NULL;
    *mapped = size;
    return env;
}

int weft__self_ingest_elsewhere(void) {
    int t = __atomic_load_n(&ingest_tid, __ATOMIC_ACQUIRE);
    return armed && (int)syscall(SYS_getpid) == arm_pid && t && t != (int)syscall(SYS_gettid);
}

void weft__self_ingest(void) {
    if (!armed || (int)syscall(SYS_getpid) != arm_pid ||
        __atomic_exchange_n(&done, 1, __ATOMIC_ACQ_REL))
        return;
    int saved = errno;
    /* The process is ending: without weft it would be gone now. A signal
     * that comes while the ingest runs (a pool's SIGTERM to a worker that
     * is already exiting) must not turn its exit into a death by signal:
     * this thread blocks them all for good (it exits next; a fatal
     * signal's handler unblocks its own signal to die of it), and a
     * handler of ours on another thread waits for the exit
     * (weft__self_ingest_elsewhere). */
    uint64_t all = ~(uint64_t)0;
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, sizeof all);
    __atomic_store_n(&ingest_tid, (int)syscall(SYS_gettid), __ATOMIC_RELEASE);
    /* bin ingest -q PREV... LOG -o DB: split the earlier logs in place
     * (this runs once: done). */
    char *argv[PREV_MAX + 8];
    int a = 0;
    argv[a++] = bin;
    argv[a++] = "ingest";
    argv[a++] = "-q";
    for (char *c = prevs, *nl; a < PREV_MAX + 3 && (nl = strchr(c, '\n')); c = nl + 1) {
        *nl = 0;
        argv[a++] = c;
    }
    int first_log = 3, logs = a - first_log + 1;
    argv[a++] = logp;
    argv[a++] = "-o";
    argv[a++] = dbp;
    argv[a] = NULL;
    char *const envp[] = {"WEFT_SELF_INGEST=1", NULL};
    /* A bare fork: libc's fork would run the program's and libweft's
     * atfork handlers (and ours), which take locks. */
    long pid = syscall(SYS_clone, (unsigned long)SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) {
        /* The database holds argv and paths, as the log: 0600. */
        umask(077);
        /* A program that closed stdin, stdout or stderr (a daemon without
         * daemon()): the ingest's files must not take those numbers,
         * where its warnings would be written into them. */
        for (int fd = 0; fd < 3; fd++)
            if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0)
                break;
        execve(bin, argv, envp);
        syscall(SYS_exit_group, 127);
    }
    if (pid > 0) {
        int st = 0;
        long r;
        while ((r = syscall(SYS_wait4, (pid_t)pid, &st, 0, NULL)) < 0 && errno == EINTR)
            ;
        /* the database is the product; the logs were a means */
        if (r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
            for (int i = 0; i < logs; i++)
                unlink(argv[first_log + i]);
    }
    errno = saved;
}
