/* SPDX-License-Identifier: MIT */
/* t_fault.c: the fault matrix's program (matrix.sh). Every mode first does
 * the same known work, "before": 5 threads (start before_fn) created,
 * returning and joined; so the trace must hold exactly those whatever
 * fault follows. Then the mode's fault:
 *   segv                 busy threads, then a NULL write (dies of SIGSEGV)
 *   segv_exit            the program's SIGSEGV handler prints and _exits 7
 *   segv_reraise         its handler prints, restores SIG_DFL, returns: dies
 *   _exit                busy threads, unflushed stdio, _exit(6)
 *   abort                busy threads, then abort()
 *   exit_worker          busy threads, then a worker's exit(5) while main
 *                        waits in pthread_join for it
 *   exit_first           a worker's exit(5) at once, main joining it (with
 *                        WEFT_CHAOS_CREATE_LATE, before main's record of
 *                        its creation)
 *   main_exit            main's pthread_exit; the last thread makes 5
 *                        after_fn threads, prints, returns: exit 0
 *   busy READY GO        4 busy threads (each made 10 inner_fn threads
 *                        first), "ready" written to the fifo READY, then
 *                        a read of the fifo GO; on its EOF the busy
 *                        threads stop and are joined, exit 0
 *   exec                 each exec variant and posix_spawn(p) from a fork
 *                        child (or directly): runs "t_fault echo NAME"
 *   echo NAME            one echo_fn thread, prints "NAME ran"
 *   fork_locks           forks 40 children while 4 threads are inside
 *                        interposed calls (locks, thread creation,
 *                        malloc); each child makes a forked_fn thread and _exits
 *   daemon2 FILE FIFO    a double-forking daemon: the grandchild holds
 *                        FIFO open for writing, writes FILE, and exits
 *                        after its parents; the root exits 0 at once
 *   nofile               a pipe, a fork, a thread: what each gives
 *   threads N            N threads (64 KiB stacks) alive at once (none
 *                        passes a gate before all are made), all joined
 *   handler N            a SIGUSR1 handler that calls interposed functions
 *                        (sem_post, a mutex, write to a pipe) runs N times
 *                        while main creates and joins N loop_fn threads */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "asleep.h"

extern char **environ;

/* One start function per group of threads: the trace names a thread by
 * its start function (a name set after the thread may have ended is not
 * always taken). */
static void *ret_arg(void *a) {
    return a;
}
static void *before_fn(void *a) {
    return a;
}
static void *inner_fn(void *a) {
    return a;
}
static void *echo_fn(void *a) {
    return a;
}
static void *loop_fn(void *a) {
    return a;
}
static void *forked_fn(void *a) {
    return a;
}
static void *after_fn(void *a) {
    return a;
}

/* exit_worker: exit(5) from a worker while main waits to join it (and
 * not sooner: main's record of the creation, written once pthread_create
 * has returned, is what names the worker's start function in the trace;
 * a worker that exited at once beat it there once under load). */
static _Atomic pid_t main_tid;
static void *exit_fn(void *a) {
    (void)a;
    test_wait_futex(&main_tid);
    printf("worker exits\n");
    exit(5);
}

/* exit_first: exit(5) from a worker at once */
static void *exit_first_fn(void *a) {
    (void)a;
    printf("worker exits\n");
    exit(5);
}

/* main_exit: the last thread, after main's pthread_exit */
static void *last_fn(void *a) {
    (void)a;
    pthread_t t[5];
    for (int i = 0; i < 5; i++)
        pthread_create(&t[i], NULL, after_fn, NULL);
    for (int i = 0; i < 5; i++)
        pthread_join(t[i], NULL);
    printf("last thread done\n");
    return NULL;
}

static void before(void) {
    pthread_t t[5];
    for (long i = 0; i < 5; i++) {
        pthread_create(&t[i], NULL, before_fn, (void *)i);
    }
    for (int i = 0; i < 5; i++)
        pthread_join(t[i], NULL);
}

/* ---- busy threads ---- */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int stop;
static pthread_barrier_t started;

static void *busy(void *a) {
    (void)a;
    pthread_t in[10];
    for (int i = 0; i < 10; i++) {
        pthread_create(&in[i], NULL, inner_fn, NULL);
    }
    for (int i = 0; i < 10; i++)
        pthread_join(in[i], NULL);
    pthread_barrier_wait(&started);
    while (!stop) {
        pthread_mutex_lock(&mu);
        pthread_mutex_unlock(&mu);
        free(malloc(64));
    }
    return NULL;
}

static pthread_t busy_t[4];
static void start_busy(void) {
    pthread_barrier_init(&started, NULL, 5);
    for (int i = 0; i < 4; i++) {
        pthread_create(&busy_t[i], NULL, busy, NULL);
        pthread_setname_np(busy_t[i], "busy");
    }
    pthread_barrier_wait(&started);
}

static void stop_busy(void) {
    stop = 1;
    for (int i = 0; i < 4; i++)
        pthread_join(busy_t[i], NULL);
}

static void say(const char *s) {
    if (write(1, s, strlen(s)) < 0)
        _exit(98);
}

static void on_segv(int sig) {
    (void)sig;
    say("caught SIGSEGV\n");
    _exit(7);
}

static void on_segv_reraise(int sig) {
    say("caught SIGSEGV, again with the default\n");
    signal(sig, SIG_DFL);
}

static void fault(void) {
    *(volatile int *)(uintptr_t)(getpid() < 0) = 1;
}

/* ---- exec ---- */
static int wait_child(pid_t pid) {
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int exec_one(const char *how, const char *self, const char *base) {
    char *argv[] = {(char *)base, "echo", (char *)how, NULL};
    if (!strcmp(how, "posix_spawn") || !strcmp(how, "posix_spawnp")) {
        pid_t pid;
        int r = how[11] ? posix_spawnp(&pid, base, NULL, NULL, argv, environ)
                        : posix_spawn(&pid, self, NULL, NULL, argv, environ);
        return r ? -r : wait_child(pid);
    }
    pid_t pid = fork();
    if (pid == 0) {
        if (!strcmp(how, "execl"))
            execl(self, base, "echo", how, (char *)NULL);
        else if (!strcmp(how, "execle"))
            execle(self, base, "echo", how, (char *)NULL, environ);
        else if (!strcmp(how, "execlp"))
            execlp(base, base, "echo", how, (char *)NULL);
        else if (!strcmp(how, "execv"))
            execv(self, argv);
        else if (!strcmp(how, "execve"))
            execve(self, argv, environ);
        else if (!strcmp(how, "execvp"))
            execvp(base, argv);
        else if (!strcmp(how, "execvpe"))
            execvpe(base, argv, environ);
        else if (!strcmp(how, "fexecve")) {
            int fd = open(self, O_RDONLY | O_CLOEXEC);
            fexecve(fd, argv, environ);
        }
        _exit(127);
    }
    return wait_child(pid);
}

/* ---- fork while threads are inside interposed calls ---- */
static void *churn(void *a) {
    (void)a;
    while (!stop) {
        pthread_t t;
        pthread_mutex_lock(&mu);
        pthread_mutex_unlock(&mu);
        if (pthread_create(&t, NULL, ret_arg, NULL) == 0)
            pthread_join(t, NULL);
        free(malloc(1000));
    }
    return NULL;
}

/* ---- a handler that calls interposed functions ---- */
static sem_t handled;
static pthread_mutex_t hmu = PTHREAD_MUTEX_INITIALIZER;
static int hpipe[2];
static _Atomic int nhandled;

static void on_usr1(int sig) {
    (void)sig;
    int e = errno;
    if (pthread_mutex_trylock(&hmu) == 0)
        pthread_mutex_unlock(&hmu);
    char c = 'h';
    if (write(hpipe[1], &c, 1) == 1 && read(hpipe[0], &c, 1) == 1)
        nhandled++;
    sem_post(&handled);
    errno = e;
}

static pthread_t main_t;
static void *sender(void *a) {
    long n = (long)a;
    for (long i = 0; i < n; i++) {
        pthread_kill(main_t, SIGUSR1);
        while (sem_wait(&handled) != 0)
            ;
    }
    return NULL;
}

/* threads: a gate that main opens once every thread is made (or once
 * creation failed: no thread is left waiting for ever) */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_open;
static void *at_gate(void *a) {
    (void)a;
    pthread_mutex_lock(&gate_mu);
    while (!gate_open)
        pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    const char *m = argv[1];
    if (!strcmp(m, "echo")) {
        pthread_t t;
        pthread_create(&t, NULL, echo_fn, NULL);
        pthread_join(t, NULL);
        printf("%s ran\n", argc > 2 ? argv[2] : "?");
        return 0;
    }
    before();
    if (!strcmp(m, "segv")) {
        start_busy();
        say("before done\n");
        fault();
    } else if (!strcmp(m, "segv_exit") || !strcmp(m, "segv_reraise")) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = m[4] == '_' && m[5] == 'e' ? on_segv : on_segv_reraise;
        sigaction(SIGSEGV, &sa, NULL);
        start_busy();
        say("before done\n");
        fault();
        say("not reached\n");
    } else if (!strcmp(m, "abort")) {
        start_busy();
        say("before done\n");
        abort();
    } else if (!strcmp(m, "exit_worker")) {
        start_busy();
        say("before done\n");
        pthread_t w;
        main_tid = test_gettid();
        pthread_create(&w, NULL, exit_fn, NULL);
        pthread_join(w, NULL);
        say("not reached\n");
    } else if (!strcmp(m, "exit_first")) {
        pthread_t w;
        pthread_create(&w, NULL, exit_first_fn, NULL);
        pthread_join(w, NULL);
        say("not reached\n");
    } else if (!strcmp(m, "main_exit")) {
        pthread_t w;
        pthread_create(&w, NULL, last_fn, NULL);
        pthread_exit(NULL);
    } else if (!strcmp(m, "_exit")) {
        start_busy();
        say("before done\n");
        printf("unflushed, lost in both runs\n");
        _exit(6);
    } else if (!strcmp(m, "busy") && argc == 4) {
        start_busy();
        printf("busy pid %d\n", (int)getpid());
        fflush(stdout);
        int r = open(argv[2], O_WRONLY);
        say(r >= 0 && write(r, "ready\n", 6) == 6 ? "" : "no ready fifo\n");
        close(r);
        int g = open(argv[3], O_RDONLY);
        char b[16];
        while (g >= 0 && read(g, b, sizeof b) > 0)
            ;
        stop_busy();
        say("busy done\n");
    } else if (!strcmp(m, "exec")) {
        const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
        static const char *hows[] = {"execl",  "execle",  "execlp",  "execv",       "execve",
                                     "execvp", "execvpe", "fexecve", "posix_spawn", "posix_spawnp"};
        for (size_t i = 0; i < sizeof hows / sizeof hows[0]; i++) {
            fflush(stdout);
            int st = exec_one(hows[i], argv[0], base);
            printf("%s: %d\n", hows[i], st);
        }
    } else if (!strcmp(m, "fork_locks")) {
        pthread_t c[4];
        for (int i = 0; i < 4; i++)
            pthread_create(&c[i], NULL, churn, NULL);
        int ok = 0;
        for (int k = 0; k < 40; k++) {
            pid_t pid = fork();
            if (pid == 0) {
                pthread_t t;
                pthread_create(&t, NULL, forked_fn, NULL);
                pthread_join(t, NULL);
                free(malloc(100));
                _exit(k % 7);
            }
            ok += wait_child(pid) == k % 7;
        }
        stop = 1;
        for (int i = 0; i < 4; i++)
            pthread_join(c[i], NULL);
        printf("forked 40, %d ended as they should\n", ok);
    } else if (!strcmp(m, "daemon2") && argc == 4) {
        pid_t p = fork();
        if (p == 0) {
            setsid();
            if (fork() == 0) {
                int hold = open(argv[3], O_WRONLY); /* the test reads it to EOF */
                before();
                FILE *f = fopen(argv[2], "w");
                if (f) {
                    fprintf(f, "daemon done\n");
                    fclose(f);
                }
                (void)hold;
                exit(0);
            }
            _exit(0);
        }
        printf("intermediate: %d\n", wait_child(p));
    } else if (!strcmp(m, "nofile")) {
        int p[2];
        int r = pipe(p);
        printf("pipe: %s\n", r == 0 ? "ok" : strerror(errno));
        pid_t pid = fork();
        if (pid == 0)
            _exit(4);
        printf("fork child: %d\n", wait_child(pid));
        pthread_t t;
        r = pthread_create(&t, NULL, ret_arg, NULL);
        printf("thread: %s\n", r == 0 ? "ok" : strerror(r));
        if (r == 0)
            pthread_join(t, NULL);
    } else if (!strcmp(m, "threads") && argc == 3) {
        int n = atoi(argv[2]);
        pthread_t *t = calloc((size_t)n, sizeof *t);
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setstacksize(&at, 64 * 1024);
        int made = 0;
        while (made < n && pthread_create(&t[made], &at, at_gate, NULL) == 0)
            made++;
        pthread_mutex_lock(&gate_mu);
        gate_open = 1;
        pthread_cond_broadcast(&gate_cv);
        pthread_mutex_unlock(&gate_mu);
        for (int i = 0; i < made; i++)
            pthread_join(t[i], NULL);
        printf("%d threads alive at once, all joined\n", made);
    } else if (!strcmp(m, "handler") && argc == 3) {
        long n = atol(argv[2]);
        sem_init(&handled, 0, 0);
        if (pipe(hpipe) != 0)
            return 97;
        main_t = pthread_self();
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_usr1;
        sa.sa_flags = SA_RESTART;
        sigaction(SIGUSR1, &sa, NULL);
        pthread_t s;
        pthread_create(&s, NULL, sender, (void *)n);
        for (long i = 0; i < n; i++) {
            pthread_t t;
            pthread_create(&t, NULL, loop_fn, NULL);
            pthread_join(t, NULL);
        }
        pthread_join(s, NULL);
        printf("handled %d, created %ld\n", (int)nhandled, n);
    } else {
        return 2;
    }
    return 0;
}
