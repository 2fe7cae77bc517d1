/* t_errno.c: interposed calls keep errno and return values exactly. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
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
    printf("%d failures\n", fails);
    return fails ? 1 : 0;
}
/* SPDX-License-Identifier: MIT */
