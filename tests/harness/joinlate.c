/* SPDX-License-Identifier: MIT */
/* joinlate.c: libjoinlate.so, preloaded after the shim, so that the
 * shim's "real" pthread_join is this one: after the real join returns,
 * and before the shim writes its join_end record, it creates (through
 * the shim, recorded) and joins a thread, which glibc gives the joined
 * thread's cached stack and so its handle; it joins it unrecorded. That is the window a loaded
 * machine opens at random (harness:fault_segv_handler met it): the trace
 * then holds the new thread's creation with the old handle before the
 * end of the join of the old one. Prints nothing; the program checks
 * nothing: the trace is the test (matrix.sh, join_handle_reused). */
#include <dlfcn.h>
#include <pthread.h>

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
