/* spawn.c: starting threads (weft_go, and libweft's own workers) and the
 * clock every deadline is measured on. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "internal.h"

int64_t weft__now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t weft_now_ns(void) { return weft__now(); }

int64_t weft__deadline_after(int64_t d) {
    int64_t now = weft__now();
    if (d <= 0)
        return now;
    return d > INT64_MAX - now ? INT64_MAX : now + d;
}

struct start {
    void (*fn)(void *);
    void *arg;
};

static void *trampoline(void *p) {
    struct start s = *(struct start *)p;
    free(p);
    s.fn(s.arg);
    return NULL;
}

int weft__spawn(void (*fn)(void *), void *arg) {
    struct start *s = malloc(sizeof *s);
    if (!s)
        return WEFT_ENOMEM;
    s->fn = fn;
    s->arg = arg;
    pthread_attr_t attr;
    pthread_t tid;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&tid, &attr, trampoline, s);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        free(s);
        return WEFT_ENOMEM;
    }
    return 0;
}
