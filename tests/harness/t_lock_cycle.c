/* t_lock_cycle.c: two threads take two mutexes in opposite orders and
 * deadlock, each holding one and waiting for the other, while main goes
 * on: it blocks reading the FIFO argv[1] (a read the watchdog never
 * counts as a wait) until the test has seen weft's line about the cycle,
 * then prints and returns, ending the process with the two still stuck. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both;

static void *ab(void *arg) {
    (void)arg;
    pthread_mutex_lock(&a);
    pthread_barrier_wait(&both);
    pthread_mutex_lock(&b);
    return NULL;
}

static void *ba(void *arg) {
    (void)arg;
    pthread_mutex_lock(&b);
    pthread_barrier_wait(&both);
    pthread_mutex_lock(&a);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    pthread_barrier_init(&both, NULL, 2);
    pthread_t t1, t2;
    pthread_create(&t1, NULL, ab, NULL);
    pthread_create(&t2, NULL, ba, NULL);
    int fd = open(argv[1], O_RDONLY);
    char c = 0;
    if (fd < 0 || read(fd, &c, 1) != 1)
        return 3;
    printf("main went on\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
