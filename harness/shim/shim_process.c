/* SPDX-License-Identifier: MIT */
/* shim_process.c: interposers for the life of the process: the wrapper
 * around main (its return value is the exit status, and libc's own call to
 * exit() does not go through our exit), exit, _exit/_Exit, fork and vfork,
 * and exec. The loader's calls are in shim_loader.c, signals in
 * shim_signal.c. */
#include <dlfcn.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

typedef int (*main_fn)(int, char **, char **);
typedef int (*lsm_fn)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void),
                      void *);
static lsm_fn real_lsm;
static main_fn real_main;
static void (*real_exit)(int);
static void (*real__exit)(int);
static void (*real__Exit)(int);
static pid_t (*real_fork)(void);

int __libc_start_main(main_fn m, int argc, char **argv, void (*init)(void), void (*fini)(void),
                      void (*rtld_fini)(void), void *stack_end);

static int main_wrapper(int argc, char **argv, char **envp) {
    int r = real_main(argc, argv, envp);
    WEFT_RECORD(weft__emit(WEFT_K_MAIN_RETURN, 0, (uint64_t)(int64_t)r, 0, 0, 0));
    return r;
}

WEFT_EXPORT int __libc_start_main(main_fn m, int argc, char **argv, void (*init)(void),
                                  void (*fini)(void), void (*rtld_fini)(void), void *stack_end) {
    WEFT_REAL_V(void, real_lsm, "__libc_start_main", "GLIBC_2.34");
    real_main = m;
    return real_lsm(main_wrapper, argc, argv, init, fini, rtld_fini, stack_end);
}

WEFT_EXPORT void exit(int status) {
    WEFT_REAL(void, real_exit, "exit");
    WEFT_RECORD(weft__emit(WEFT_K_EXIT_CALL, 0, (uint64_t)(int64_t)status, 0, weft__stack(), 0));
    real_exit(status);
    __builtin_unreachable();
}

WEFT_EXPORT void _exit(int status) {
    WEFT_REAL(void, real__exit, "_exit");
    WEFT_RECORD(weft__emit(WEFT_K_EXIT_NOW, 0, (uint64_t)(int64_t)status, 0, weft__stack(), 0);
                weft__log_set_flag(WEFT_LOG_F_FINISHED));
    weft__self_ingest();
    real__exit(status);
    __builtin_unreachable();
}

WEFT_EXPORT void _Exit(int status) {
    WEFT_REAL(void, real__Exit, "_Exit");
    WEFT_RECORD(weft__emit(WEFT_K_EXIT_NOW, 0, (uint64_t)(int64_t)status, 0, weft__stack(), 0);
                weft__log_set_flag(WEFT_LOG_F_FINISHED));
    weft__self_ingest();
    real__Exit(status);
    __builtin_unreachable();
}

WEFT_EXPORT pid_t fork(void) {
    WEFT_REAL(void, real_fork, "fork");
    uint32_t stack = 0;
    WEFT_RECORD(stack = weft__stack());
    pid_t pid = real_fork();
    /* The child's new log was made by our atfork handler, inside fork. */
    if (pid != 0) {
        int e = errno;
        WEFT_RECORD(weft__emit(WEFT_K_FORK, 0, pid > 0 ? (uint64_t)pid : (uint64_t)(int64_t)-e, 0,
                               stack, 0));
    }
    return pid;
}

/* vfork's child shares our memory, and would write its records into the
 * parent's log and TLS. fork is a valid implementation of vfork. */
WEFT_EXPORT pid_t vfork(void) {
    return fork();
}

/* ---- exec: the image ends here (a new one may be traced: --trace-children
 * keeps LD_PRELOAD in the environment, and its log joins the same trace;
 * ingest merges it into this process). Recorded before the call, and
 * again with -errno when the call fails and we go on. glibc's exec*
 * functions call execve internally, not through the PLT: each variant is
 * interposed. ---- */
static int (*real_execve)(const char *, char *const[], char *const[]);
static int (*real_execvpe)(const char *, char *const[], char *const[]);

/* The effective user the process started as: an exec after a change of
 * user (runuser, su) cannot make its log in weft run's private directory,
 * and the record says so (arg2 1), for the trace to say why the program
 * ran untraced. */
static uid_t start_euid; /* set by the constructor, before any record */

void weft__exec_note_user(void) {
    start_euid = geteuid();
}

static void exec_rec(const char *path, int64_t res) {
    uint64_t other = res == 0 && geteuid() != start_euid;
    WEFT_RECORD(weft__emit_data(WEFT_K_EXEC, 0, (uint64_t)res, other, res ? 0 : weft__stack(), 0,
                                path, path ? strnlen(path, 4096) : 0));
}

/* The environment an exec or spawn passes on: see EXEC_ENV. */
static char *const *exec_env(char *const envp[], size_t *mapped) {
    *mapped = 0;
    if (!weft__ready)
        return envp;
    char *const *e = weft__self_ingest_exec_env(envp, mapped);
    return *mapped ? e : weft__env_traced_exec(envp, mapped);
}

/* Plain LD_PRELOAD use (self-ingest): the new image gets the logs of
 * this process so far in its environment (selfingest.c), so that its
 * database holds them too and none is left behind. env is envp, or a
 * mapping of `mapped` bytes to unmap when the exec failed. Under weft run
 * --trace-children, an environment the program built with the shim in
 * LD_PRELOAD but without WEFT_LOG gets weft run's entries back
 * (shim_env.c), so that the new image joins the run's trace. */
#define EXEC_ENV(envp)                                                                             \
    size_t mapped_ = 0;                                                                            \
    char *const *env_ = exec_env(envp, &mapped_)
#define EXEC_ENV_END()                                                                             \
    do {                                                                                           \
        int e_ = errno;                                                                            \
        if (mapped_)                                                                               \
            munmap((void *)env_, mapped_);                                                         \
        errno = e_;                                                                                \
    } while (0)

WEFT_EXPORT int execve(const char *path, char *const argv[], char *const envp[]) {
    WEFT_REAL(void, real_execve, "execve");
    exec_rec(path, 0);
    EXEC_ENV(envp);
    int r = real_execve(path, argv, env_);
    EXEC_ENV_END();
    exec_rec(path, -(int64_t)errno);
    return r;
}

WEFT_EXPORT int execv(const char *path, char *const argv[]) {
    WEFT_REAL(void, real_execve, "execve");
    exec_rec(path, 0);
    EXEC_ENV(environ);
    int r = real_execve(path, argv, env_); /* execv is execve with environ */
    EXEC_ENV_END();
    exec_rec(path, -(int64_t)errno);
    return r;
}

WEFT_EXPORT int execvp(const char *file, char *const argv[]) {
    WEFT_REAL(void, real_execvpe, "execvpe");
    exec_rec(file, 0);
    EXEC_ENV(environ);
    int r = real_execvpe(file, argv, env_); /* execvp is execvpe with environ */
    EXEC_ENV_END();
    exec_rec(file, -(int64_t)errno);
    return r;
}

WEFT_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[]) {
    WEFT_REAL(void, real_execvpe, "execvpe");
    exec_rec(file, 0);
    EXEC_ENV(envp);
    int r = real_execvpe(file, argv, env_);
    EXEC_ENV_END();
    exec_rec(file, -(int64_t)errno);
    return r;
}

/* fexecve: glibc's goes straight to the execveat system call, past our
 * execve. Recorded with the path the fd names (/proc/self/fd/N read
 * back; readlink is async-signal-safe: this runs in fork children). */
static int (*real_fexecve)(int, char *const[], char *const[]);

WEFT_EXPORT int fexecve(int fd, char *const argv[], char *const envp[]) {
    WEFT_REAL(void, real_fexecve, "fexecve");
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    int e = errno;
    ssize_t n = readlink(link, path, sizeof path - 1);
    errno = e;
    path[n > 0 ? n : 0] = 0;
    exec_rec(path, 0);
    EXEC_ENV(envp);
    int r = real_fexecve(fd, argv, env_);
    EXEC_ENV_END();
    exec_rec(path, -(int64_t)errno);
    return r;
}

/* posix_spawn and posix_spawnp: a child that runs another program at
 * once (GNU make's recipes). Without --trace-children it runs untraced,
 * and nothing else in the log would say it existed: `spawn` (child pid,
 * path) lets the ingest say so, as for an exec'd program. glibc's own
 * calls (system, popen) do not come through here. */
typedef int (*spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *,
                        const posix_spawnattr_t *, char *const[], char *const[]);
static spawn_fn real_spawn, real_spawnp;

static int spawned(int r, pid_t *pidp, pid_t pid, const char *path) {
    if (r == 0) {
        int e = errno;
        WEFT_RECORD(weft__emit_data(WEFT_K_SPAWN, 0, (uint64_t)pid, 0, weft__stack(), 0, path,
                                    path ? strnlen(path, 4096) : 0));
        errno = e;
    }
    if (pidp)
        *pidp = pid;
    return r;
}

WEFT_EXPORT int posix_spawn(pid_t *pidp, const char *path, const posix_spawn_file_actions_t *fa,
                            const posix_spawnattr_t *at, char *const argv[], char *const envp[]) {
    WEFT_REAL_V(void, real_spawn, "posix_spawn", "GLIBC_2.15");
    pid_t pid = 0;
    size_t mapped_ = 0; /* a new process: only weft run's entries (never our logs) */
    char *const *env_ = weft__ready ? weft__env_traced_exec(envp, &mapped_) : envp;
    int r = real_spawn(&pid, path, fa, at, argv, env_);
    EXEC_ENV_END();
    return spawned(r, pidp, pid, path);
}

WEFT_EXPORT int posix_spawnp(pid_t *pidp, const char *file, const posix_spawn_file_actions_t *fa,
                             const posix_spawnattr_t *at, char *const argv[], char *const envp[]) {
    WEFT_REAL_V(void, real_spawnp, "posix_spawnp", "GLIBC_2.15");
    pid_t pid = 0;
    size_t mapped_ = 0; /* a new process: only weft run's entries (never our logs) */
    char *const *env_ = weft__ready ? weft__env_traced_exec(envp, &mapped_) : envp;
    int r = real_spawnp(&pid, file, fa, at, argv, env_);
    EXEC_ENV_END();
    return spawned(r, pidp, pid, file);
}

/* The list forms (execl, execlp, execle) gather their arguments into an
 * array and go through the vector forms above, recording once. The array
 * lives on the stack, or for very long lists in an anonymous mapping:
 * malloc is off limits in a fork child of a threaded program. */
static char **exec_args(va_list *ap, const char *arg0, size_t n, char **stack_buf, size_t stack_n,
                        size_t *mapped) {
    char **v = stack_buf;
    *mapped = 0;
    if (n + 1 > stack_n) {
        *mapped = (n + 1) * sizeof *v;
        v = mmap(NULL, *mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (v == MAP_FAILED)
            return NULL;
    }
    v[0] = (char *)arg0;
    for (size_t i = 1; i <= n; i++)
        v[i] = va_arg(*ap, char *);
    return v;
}

/* How many arguments follow arg0, up to and including the NULL. */
static size_t exec_count(va_list ap, const char *arg0) {
    size_t n = 0;
    if (arg0)
        while (va_arg(ap, char *))
            n++;
    return n + (arg0 != NULL);
}

#define EXEC_LIST(file, arg0, call, with_env)                                                      \
    do {                                                                                           \
        va_list ap, cp;                                                                            \
        va_start(ap, arg0);                                                                        \
        va_copy(cp, ap);                                                                           \
        size_t n_ = exec_count(cp, arg0);                                                          \
        va_end(cp);                                                                                \
        char *buf_[256];                                                                           \
        size_t mapped_;                                                                            \
        char **argv = exec_args(&ap, arg0, n_, buf_, 256, &mapped_);                               \
        char *const *envp = with_env ? va_arg(ap, char *const *) : environ;                        \
        va_end(ap);                                                                                \
        if (!argv)                                                                                 \
            return -1; /* errno from mmap: ENOMEM, as the kernel would say */                      \
        int r_ = call;                                                                             \
        int e_ = errno;                                                                            \
        if (mapped_)                                                                               \
            munmap(argv, mapped_);                                                                 \
        errno = e_;                                                                                \
        (void)envp;                                                                                \
        return r_;                                                                                 \
    } while (0)

WEFT_EXPORT int execl(const char *path, const char *arg0, ...) {
    EXEC_LIST(path, arg0, execve(path, argv, envp), 0);
}

WEFT_EXPORT int execle(const char *path, const char *arg0, ...) {
    EXEC_LIST(path, arg0, execve(path, argv, envp), 1);
}

WEFT_EXPORT int execlp(const char *file, const char *arg0, ...) {
    EXEC_LIST(file, arg0, execvp(file, argv), 0);
}
