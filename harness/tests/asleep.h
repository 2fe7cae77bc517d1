/* asleep.h: for the harness test programs that need another thread to be
 * blocked (contention, a wait to record, a process ended while a thread
 * blocks): wait until that thread really sleeps in the kernel, instead of
 * a fixed time that a loaded machine may not honour. By then the thread's
 * begin record is in the log. */
#ifndef WEFT_TEST_ASLEEP_H
#define WEFT_TEST_ASLEEP_H

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static inline pid_t test_gettid(void) {
    return (pid_t)syscall(SYS_gettid);
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

#endif
