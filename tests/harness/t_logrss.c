/* SPDX-License-Identifier: MIT */
/* t_logrss.c: the recorder's log must not stay in the program's memory.
 * Single-threaded, it locks and unlocks two mutexes N times (tens of MB
 * of log written before the shim's own thread exists), then starts a
 * thread that sleeps while the shim's thread wakes and prepares the
 * log's next chunks, and joins it. Prints the program's resident
 * file-backed memory at the end (RssFile of /proc/self/status, KB),
 * where the log's mapped pages count: the test compares it with a run
 * without weft. Usage: t_logrss N */
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
    if (n <= 0) {
        fprintf(stderr, "usage: t_logrss N\n");
        return 2;
    }
    /* b inside a, then b alone: the shim writes a record for every
     * call (the reader folds some of them later, which the log's size
     * here does not see) */
    for (long i = 0; i < n; i++) {
        pthread_mutex_lock(&a);
        pthread_mutex_lock(&b);
        pthread_mutex_unlock(&b);
        pthread_mutex_unlock(&a);
        pthread_mutex_lock(&b);
        pthread_mutex_unlock(&b);
    }
    pthread_t t;
    if (pthread_create(&t, NULL, nap, NULL) != 0 || pthread_join(t, NULL) != 0)
        return 1;
    printf("%ld\n", rss_file_kb());
    return 0;
}
