/* buggy.c: the consumer project's buggy test program (install_test.sh):
 * a thread left blocked forever on a pipe read while main returns, which
 * weft reports as one leaked-thread. Registered twice with weft_add_test:
 * with EXPECT leaked-thread=1 (must pass) and without (must fail). */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static int fds[2];

static void *reader(void *a) {
    char c;
    (void)a;
    return (void *)read(fds[0], &c, 1); /* nobody ever writes */
}

int main(void) {
    pthread_t t;
    if (pipe(fds) != 0)
        return 1;
    pthread_create(&t, NULL, reader, NULL); /* never joined */
    puts("buggy done");
    return 0;
}
/* SPDX-License-Identifier: MIT */
