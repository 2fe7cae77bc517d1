/* asleep.h: for the detector test programs, waiting until another thread
 * sleeps in the kernel on a futex (blocked in a libweft or pthread call),
 * read from /proc: a wait the trace does not see, so it orders nothing
 * and cannot hide a finding. */
#ifndef WEFT_DETECTORS_TESTS_ASLEEP_H
#define WEFT_DETECTORS_TESTS_ASLEEP_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* *tid is the thread's OS tid, 0 until the thread has stored it. */
static inline void wait_asleep(volatile int *tid) {
    char path[96], buf[256];
    while (!*tid)
        usleep(1000);
    snprintf(path, sizeof path, "/proc/self/task/%d/wchan", *tid);
    for (;;) {
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f)
            fclose(f);
        buf[n] = 0;
        if (strstr(buf, "futex"))
            return;
        usleep(1000);
    }
}

#endif
