/* t_rawclone.c: a raw clone(CLONE_VM|CLONE_THREAD) thread, made without
 * pthread_create, so that it shares its parent's TLS (and with it the
 * shim's per-thread chunk): both take a mutex many times at once, and
 * their records land in the same chunks, which the reader must skip
 * while keeping the rest. Prints "rawclone ok 400000".
 *
 * A pthread is made and joined first: glibc takes a process that never
 * made one for single-threaded and locks mutexes without atomics, so the
 * raw clone's and main's locks would race even without weft (the
 * program aborted or hung on its own; under weft it ran only because
 * the shim's thread, started at once then, made glibc see two). */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static volatile int done;

static int child(void *a) {
    (void)a;
    for (int i = 0; i < 200000; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
    syscall(SYS_exit, 0);
    return 0;
}

static void *nothing(void *a) {
    return a;
}

int main(void) {
    pthread_t t;
    if (pthread_create(&t, NULL, nothing, NULL) != 0 || pthread_join(t, NULL) != 0)
        return 1;
    size_t sz = 1 << 20;
    char *stack = malloc(sz);
    clone(child, stack + sz,
          CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM, NULL);
    for (int i = 0; i < 200000; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE))
        sched_yield();
    printf("rawclone ok %ld\n", counter);
    return 0;
}
/* SPDX-License-Identifier: MIT */
