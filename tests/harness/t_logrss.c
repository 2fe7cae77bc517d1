/* SPDX-License-Identifier: MIT */
/* t_logrss.c: the recorder's log must not stay in the program's memory.
 * Single-threaded, it locks and unlocks two mutexes N times (tens of MB
 * of log written before the shim's own thread exists), then starts a
 * thread that sleeps while the shim's thread wakes and prepares the
 * log's next chunks, and joins it. Prints the program's resident
 * file-backed memory at the end (RssFile of /proc/self/status, KB),
 * where the log's mapped pages count: the test compares it with a run
 * without weft. With THREADS, the shim's thread is started first and then
 * THREADS threads each run the loop on mutexes of their own at once:
 * their chunks interleave in the log, and the shim's thread gives them
 * back. Usage: t_logrss N [THREADS] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;

static void *nap(void *arg) {
    (void)arg;
    struct timespec ts = {0, 300 * 1000000L};
    nanosleep(&ts, NULL);
    return NULL;
}

static void lock_loop(pthread_mutex_t *x, pthread_mutex_t *y, long n) {
    /* y inside x, then y alone: the shim writes a record for every
     * call (the reader folds some of them later, which the log's size
     * here does not see) */
    for (long i = 0; i < n; i++) {
        pthread_mutex_lock(x);
        pthread_mutex_lock(y);
        pthread_mutex_unlock(y);
        pthread_mutex_unlock(x);
        pthread_mutex_lock(y);
        pthread_mutex_unlock(y);
    }
}

static long per_thread;

static void *worker(void *arg) {
    (void)arg;
    pthread_mutex_t x = PTHREAD_MUTEX_INITIALIZER, y = PTHREAD_MUTEX_INITIALIZER;
    lock_loop(&x, &y, per_thread);
    return NULL;
}

static long rss_file_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "RssFile:", 8) == 0)
            kb = strtol(line + 8, NULL, 10);
    fclose(f);
    return kb;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
    long threads = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
    if (n <= 0 || threads < 0 || threads > 16) {
        fprintf(stderr, "usage: t_logrss N [THREADS (0-16)]\n");
        return 2;
    }
    pthread_t t;
    if (threads) {
        per_thread = n / threads;
        pthread_t w[16];
        if (pthread_create(&t, NULL, nap, NULL) != 0)
            return 1;
        for (long i = 0; i < threads; i++)
            if (pthread_create(&w[i], NULL, worker, NULL) != 0)
                return 1;
        for (long i = 0; i < threads; i++)
            if (pthread_join(w[i], NULL) != 0)
                return 1;
        if (pthread_join(t, NULL) != 0)
            return 1;
    } else {
        lock_loop(&a, &b, n);
        if (pthread_create(&t, NULL, nap, NULL) != 0 || pthread_join(t, NULL) != 0)
            return 1;
    }
    printf("%ld\n", rss_file_kb());
    return 0;
}
