/* SPDX-License-Identifier: MIT */
/* asleep.h: the one helper the test programs of every family (harness,
 * detectors, reports) use to wait until another thread is really blocked
 * or gone, read from /proc instead of a fixed sleep that a loaded machine
 * may not honour. A wait through /proc is one the trace does not see: it
 * orders nothing, so it cannot hide a finding or add an edge.
 *
 * test_wait_asleep: the thread sleeps in the kernel, in any call (a
 * pipe read, a lock, a join); by then its begin record is in the log.
 * Gives up after 10 s.
 * test_wait_futex: the thread sleeps on one futex for 50 ms, i.e. inside
 * a libweft or pthread call, not merely on its way to one. Waits as long
 * as it takes (the test's timeout ends a hang).
 * test_wait_gone: the kernel has removed the thread ("finished" is then
 * certain, whatever the trace says). */
#ifndef WEFT_TESTS_COMMON_ASLEEP_H
#define WEFT_TESTS_COMMON_ASLEEP_H

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

/* The calling thread's kernel id (what /proc/self/task/ names). */
static inline pid_t test_gettid(void) {
    return (pid_t)syscall(SYS_gettid);
}

/* Waits until *tid is set: the thread stores its own id first thing. */
static inline void test_wait_tid(_Atomic pid_t *tid) {
    while (!*tid)
        usleep(1000);
}

/* Whether thread tid is asleep (state S in /proc/self/task/TID/stat). */
static inline int test_asleep(pid_t tid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] == 'S';
}

/* Waits (at most 10 s) until *tid is set and that thread sleeps. */
static inline void test_wait_asleep(_Atomic pid_t *tid) {
    for (int i = 0; i < 10000 && !(*tid && test_asleep(*tid)); i++)
        usleep(1000);
    usleep(5000);
}

/* The system call thread tid sleeps in, as /proc/self/task/TID/syscall
 * says it (number, arguments, stack and pc), into buf; "" when it is
 * running or cannot be read. */
static inline void test_syscall_of(pid_t tid, char *buf, size_t size) {
    char path[96];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, size - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
}

/* Waits until *tid is set and that thread sleeps on a futex, the same
 * futex wait for 50 ms on end: a thread on its way to its call can sleep
 * a moment on another futex first (a lock of libc's or the loader's), and
 * a test that takes that for the call's wait ends the program before the
 * call has begun. detectors:answered's join-of-leaked once failed as that
 * would (its worker reported running, not blocked in its receive). */
static inline void test_wait_futex(_Atomic pid_t *tid) {
    char first[256], now[256], futex[16];
    snprintf(futex, sizeof futex, "%ld ", (long)SYS_futex);
    test_wait_tid(tid);
    for (;;) {
        test_syscall_of(*tid, first, sizeof first);
        int same = strncmp(first, futex, strlen(futex)) == 0;
        for (int i = 0; same && i < 10; i++) {
            usleep(5000);
            test_syscall_of(*tid, now, sizeof now);
            same = strcmp(first, now) == 0;
        }
        if (same)
            return;
        usleep(1000);
    }
}

/* Waits until *tid is set and the kernel has removed that thread. */
static inline void test_wait_gone(_Atomic pid_t *tid) {
    char path[64];
    test_wait_tid(tid);
    snprintf(path, sizeof path, "/proc/self/task/%d", (int)*tid);
    while (access(path, F_OK) == 0)
        usleep(1000);
}

#endif
