/* settle.h: settle(), which the pitfall scenarios call just before main
 * returns, so that a leaked thread is caught *in* its blocking call and
 * its report points at the buggy line.
 *
 * A leak does not depend on it: without settle() the thread leaks all the
 * same, but the process may end while the thread is still on its way to
 * the call that will block it forever, and weft then reports it as
 * "running" with only its creation stack. settle() waits (by polling
 * /proc, not by guessing a sleep) until every other thread of the process
 * sleeps in a system call, and stays asleep for a few polls; it gives up
 * after 10 s. Header-only, plain libc, for both families. */
#ifndef SCENARIO_SETTLE_H
#define SCENARIO_SETTLE_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

/* 1 when every thread of this process but the caller is asleep in a
 * system call (/proc/self/task/TID/syscall does not say "running"). */
static inline int settle_all_asleep(void) {
    long self = (long)syscall(SYS_gettid);
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return 1;
    int asleep = 1;
    struct dirent *e;
    while (asleep && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || atol(e->d_name) == self)
            continue;
        char path[300], buf[64] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/syscall", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue; /* the thread is gone */
        if (!fgets(buf, sizeof buf, f) || !strncmp(buf, "running", 7))
            asleep = 0;
        fclose(f);
    }
    closedir(d);
    return asleep;
}

static inline void settle(void) {
    struct timespec tick = {0, 2 * 1000 * 1000};
    int calm = 0;
    for (int i = 0; i < 5000 && calm < 5; i++) {
        calm = settle_all_asleep() ? calm + 1 : 0;
        nanosleep(&tick, NULL);
    }
}

/* Waits until some other thread of the process sleeps in a futex wait on
 * an address inside [obj, obj + size): a thread blocked on that very
 * object (a WaitGroup, say), not merely asleep somewhere on its way to it;
 * gives up after 10 s. */
static inline int settle_futex_on_(const void *obj, size_t size) {
    long self = (long)syscall(SYS_gettid);
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return 1;
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || atol(e->d_name) == self)
            continue;
        char path[300], buf[256] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/syscall", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        unsigned long nr, addr;
        if (fgets(buf, sizeof buf, f) && sscanf(buf, "%lu %lx", &nr, &addr) == 2 &&
            nr == SYS_futex && addr >= (unsigned long)obj && addr < (unsigned long)obj + size)
            found = 1;
        fclose(f);
    }
    closedir(d);
    return found;
}

static inline void settle_on(const void *obj, size_t size) {
    struct timespec tick = {0, 2 * 1000 * 1000};
    for (int i = 0; i < 5000 && !settle_futex_on_(obj, size); i++)
        nanosleep(&tick, NULL);
}

/* Waits until the thread with kernel id tid has ended (its
 * /proc/self/task entry is gone); gives up after 10 s. */
static inline void settle_thread_gone(long tid) {
    struct timespec tick = {0, 2 * 1000 * 1000};
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%ld", tid);
    for (int i = 0; i < 5000 && access(path, F_OK) == 0; i++)
        nanosleep(&tick, NULL);
}

/* Whether weft has said, on our stderr, that some threads wait on
 * channels no running thread can reach (the watchdog's channel check,
 * which lets the program go on). stderr must be a regular file, as the
 * scenario runner makes it: it is read again from the start. */
static inline int settle_reported(void) {
    FILE *f = fopen("/proc/self/fd/2", "r");
    if (!f)
        return 0;
    char line[4096];
    int seen = 0;
    while (!seen && fgets(line, sizeof line, f))
        seen = strstr(line, " on channels no running thread can reach") != NULL;
    fclose(f);
    return seen;
}

/* The watchdog's timeout in ms: weft run's --deadlock-timeout, 1000 by
 * default. */
static inline long settle_timeout_ms(void) {
    const char *e = getenv("WEFT_DEADLOCK_TIMEOUT_MS");
    return e && *e ? atol(e) : 1000;
}

/* Sleeps n watchdog timeouts: a thread's "work", long enough that a
 * report of threads it could still wake would come first. */
static inline void settle_work(long n) {
    long ms = n * settle_timeout_ms();
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

#endif
/* SPDX-License-Identifier: MIT */
