/* t_alloc_threads.c: threads that allocate, for runs under another
 * allocator (issue 9 item 10: with jemalloc, which takes pthread mutexes
 * inside malloc and free, each thread used to be recorded twice). Four
 * workers allocate and free and are joined; one ends by pthread_exit and
 * is joined; one is cancelled in a cond wait and joined; one waits in
 * pthread_cond_wait forever and is still there when main exits (as
 * redis's background threads are): the only finding, a leaked thread
 * blocked in cond_wait. Prints "alloc threads done", exits 0.
 *
 * With the argument "fork", main then forks three children one after the
 * other, each of which allocates and exits: jemalloc's fork handlers
 * lock, unlock and re-initialize its mutexes around each fork. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static pthread_cond_t ready_cv = PTHREAD_COND_INITIALIZER;
static int ready;

static void *worker(void *a) {
    size_t n = (size_t)(uintptr_t)a;
    void *keep[64];
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 64; i++) {
            keep[i] = malloc(16 + (n * 37 + (size_t)i * 61) % 4000);
            if (keep[i])
                memset(keep[i], i, 16);
        }
        for (int i = 0; i < 64; i++)
            free(keep[i]);
    }
    return a;
}

static void *by_exit(void *a) {
    free(malloc(100));
    pthread_exit(a);
}

static void unlock(void *m) {
    pthread_mutex_unlock(m);
}

/* Waits for a signal nobody sends; says it waits first. */
static void *waiter(void *a) {
    (void)a;
    pthread_mutex_lock(&mu);
    pthread_cleanup_push(unlock, &mu);
    ready++;
    pthread_cond_broadcast(&ready_cv);
    for (;;)
        pthread_cond_wait(&never, &mu);
    pthread_cleanup_pop(1);
    return NULL;
}

int main(int argc, char **argv) {
    pthread_t w[4], e, c, lk;
    for (uintptr_t i = 0; i < 4; i++)
        pthread_create(&w[i], NULL, worker, (void *)(i + 1));
    pthread_create(&e, NULL, by_exit, (void *)7);
    pthread_create(&c, NULL, waiter, NULL);
    pthread_create(&lk, NULL, waiter, NULL);
    uintptr_t sum = 0;
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(w[i], &r);
        sum += (uintptr_t)r;
    }
    void *r;
    pthread_join(e, &r);
    sum += (uintptr_t)r;
    pthread_mutex_lock(&mu);
    while (ready < 2)
        pthread_cond_wait(&ready_cv, &mu);
    pthread_mutex_unlock(&mu);
    pthread_cancel(c);
    pthread_join(c, NULL);
    if (argc > 1 && !strcmp(argv[1], "fork")) {
        for (int i = 0; i < 3; i++) {
            fflush(stdout);
            pid_t pid = fork();
            if (pid == 0) {
                free(worker((void *)(uintptr_t)9) ? malloc(10) : NULL);
                _exit(i);
            }
            int st = -1;
            waitpid(pid, &st, 0);
            printf("child %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        }
    }
    printf("alloc threads done %u\n", (unsigned)sum);
    return 0;
}
/* SPDX-License-Identifier: MIT */
