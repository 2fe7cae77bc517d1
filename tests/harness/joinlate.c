/* SPDX-License-Identifier: MIT */
/* joinlate.c: libjoinlate.so, preloaded after the shim, so that the
 * shim's "real" pthread_join is this one: after the real join returns,
 * and before the shim writes its join_end record, it creates (through
 * the shim, recorded) and joins a thread, which glibc gives the joined
 * thread's cached stack and so its handle; it joins it unrecorded. That is the window a loaded
 * machine opens at random (harness:fault_segv_handler met it): the trace
 * then holds the new thread's creation with the old handle before the
 * end of the join of the old one. pthread_detach the same: after the real
 * detach, it creates threads until one gets the detached thread's handle
 * (once the detached thread is gone, the first; at most 10000 tries;
 * only for programs with no other thread running). Prints nothing; the program checks nothing: the
 * trace is the test (matrix.sh, join_handle_reused). */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

static __thread int inside;

static void *quick(void *a) {
    return a;
}

int pthread_join(pthread_t th, void **ret) {
    static int (*real)(pthread_t, void **);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "pthread_join");
    int r = real(th, ret);
    if (!inside) {
        inside = 1;
        pthread_t t;
        if (pthread_create(&t, NULL, quick, NULL) == 0)
            real(t, NULL); /* unrecorded: the trace calls it unjoined */
        inside = 0;
    }
    return r;
}

/* The process has one thread left (the caller): the detached one is gone
 * and its stack is back in glibc's cache. */
static int alone(void) {
    char b[4096];
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, b, sizeof b - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return 1;
    b[n] = 0;
    return strstr(b, "\nThreads:\t1\n") != NULL;
}

int pthread_detach(pthread_t th) {
    static int (*real)(pthread_t);
    static int (*real_join)(pthread_t, void **);
    if (!real) {
        *(void **)&real = dlsym(RTLD_NEXT, "pthread_detach");
        *(void **)&real_join = dlsym(RTLD_NEXT, "pthread_join");
    }
    int r = real(th);
    if (!inside) {
        inside = 1;
        while (!alone())
            sched_yield();
        for (int i = 0; i < 10000; i++) {
            pthread_t t;
            if (pthread_create(&t, NULL, quick, NULL) != 0)
                break;
            real_join(t, NULL);
            if (pthread_equal(t, th))
                break;
        }
        inside = 0;
    }
    return r;
}
