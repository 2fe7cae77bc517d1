/* t_exit3.c: a worker ends the process with exit(3) while main is blocked
 * joining it (Go's log.Fatal in a goroutine). Neither is a leak: the
 * worker is the process's end, and main waits on that very thread.
 *
 * The test asserts main is in its join when the process ends, so the
 * worker must not exit before main got there, on any schedule. It waits
 * for it, without sleeping: main raises a flag right before pthread_join,
 * and the worker then reads main's /proc/self/task/PID/syscall until main
 * is inside a futex wait (202 on x86_64, 98 on aarch64), which after the
 * flag can only be the join's (the shim records join_begin before it
 * calls the real join, and takes no lock or syscall that sleeps on the
 * way). The worker reads /proc with raw system calls, so that the shim
 * records nothing of its own for them (no stack walk whose locks main
 * could be waiting on while the worker looks). A bound of 20 s on that wait turns a hang into exit
 * status 99. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static atomic_int joining;

/* Is the thread tid of this process inside the futex system call now? */
static int in_futex(pid_t tid) {
    char path[64], buf[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    long n = syscall(SYS_read, fd, buf, sizeof buf - 1);
    syscall(SYS_close, fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    /* "202 0x..." while in a system call, "running" or "-1 ..." else */
    return atoi(buf) == SYS_futex && buf[0] >= '0' && buf[0] <= '9';
}

static void *worker(void *a) {
    pid_t main_tid = (pid_t)(long)a;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!atomic_load(&joining) || !in_futex(main_tid)) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0.tv_sec > 20) {
            fprintf(stderr, "t_exit3: main never blocked in its join\n");
            _exit(99);
        }
        sched_yield();
    }
    printf("worker: fatal\n");
    exit(3);
}

int main(void) {
    pthread_t t;
    printf("main: start\n");
    fflush(stdout);
    pthread_create(&t, NULL, worker, (void *)(long)getpid());
    atomic_store(&joining, 1);
    pthread_join(t, NULL);
    printf("main: not reached\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
