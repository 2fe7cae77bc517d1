/* t_errno.c: interposed calls keep errno and return values exactly. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int fails;
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "t_errno: failed: %s (line %d)\n", #c, __LINE__);                      \
            fails++;                                                                               \
        }                                                                                          \
    } while (0)

static void *noop(void *a) {
    return a;
}

int main(void) {
    pthread_t t;
    errno = 1234;
    CHECK(pthread_create(&t, NULL, noop, (void *)7) == 0);
    CHECK(errno == 1234);
    void *r = NULL;
    errno = 4321;
    CHECK(pthread_join(t, &r) == 0 && r == (void *)7);
    CHECK(errno == 4321);
    /* joining oneself is EDEADLK, as a return value; errno untouched */
    errno = 77;
    CHECK(pthread_join(pthread_self(), NULL) == EDEADLK);
    CHECK(errno == 77);
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    CHECK(pthread_create(&t, &at, noop, NULL) == 0);
    errno = 55;
    CHECK(pthread_setname_np(pthread_self(), "this-name-is-far-too-long-for-linux") == ERANGE);
    CHECK(errno == 55);
    /* locks: the shim tries first and sleeps only when it must; neither
     * its try nor its records may leave errno changed */
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
    static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    errno = 66;
    CHECK(pthread_mutex_lock(&mu) == 0);
    CHECK(errno == 66);
    errno = 67;
    CHECK(pthread_mutex_trylock(&mu) == EBUSY);
    CHECK(errno == 67);
    struct timespec past = {0, 0};
    errno = 68;
    CHECK(pthread_cond_timedwait(&cv, &mu, &past) == ETIMEDOUT);
    CHECK(errno == 68);
    errno = 69;
    CHECK(pthread_mutex_unlock(&mu) == 0);
    CHECK(errno == 69);
    errno = 70;
    CHECK(pthread_rwlock_rdlock(&rw) == 0);
    CHECK(errno == 70);
    errno = 71;
    CHECK(pthread_rwlock_trywrlock(&rw) == EBUSY);
    CHECK(errno == 71);
    errno = 72;
    CHECK(pthread_rwlock_unlock(&rw) == 0 && pthread_rwlock_wrlock(&rw) == 0);
    CHECK(errno == 72);
    errno = 73;
    CHECK(pthread_rwlock_unlock(&rw) == 0);
    CHECK(errno == 73);
    printf("%d failures\n", fails);
    return fails ? 1 : 0;
}
/* SPDX-License-Identifier: MIT */
