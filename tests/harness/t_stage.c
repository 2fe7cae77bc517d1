/* SPDX-License-Identifier: MIT */
/* t_stage.c: a relock run that grows while weft run's copier copies it
 * (harness/ingest/stage.c: a run's slot words change in place after its
 * record was copied). main posts a semaphore 10000 times (a second chunk
 * claimed: the copier attaches then), sleeps SLEEP ms (argv[2], default
 * 200) so that it has, then a thread relocks mutex m N times (argv[1],
 * default 40) 5 ms apart, from one call site, then posts a semaphore
 * POSTS times (argv[3], default 20000: more than a chunk of records, its
 * slot left full and a new one claimed). pipeline.sh's stage_* tests
 * count m's locks and unlocks in the trace, N each, and the posts. */
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static sem_t s;
static long n = 40, posts = 20000;
static volatile long sink;

static void nap_ms(long ms) {
    struct timespec t = {ms / 1000, ms % 1000 * 1000000L};
    nanosleep(&t, NULL);
}

static void *worker(void *arg) {
    (void)arg;
    for (long i = 0; i < n; i++) {
        pthread_mutex_lock(&m);
        sink++;
        pthread_mutex_unlock(&m);
        nap_ms(5);
    }
    for (long i = 0; i < posts; i++)
        sem_post(&s);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc > 1)
        n = atol(argv[1]);
    if (argc > 3)
        posts = atol(argv[3]);
    /* more than a chunk of records first: the copier takes on a log
     * once its process has claimed a second one */
    sem_init(&s, 0, 0);
    for (int i = 0; i < 10000; i++)
        sem_post(&s);
    nap_ms(argc > 2 ? atol(argv[2]) : 200);
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0)
        return 1;
    pthread_join(t, NULL);
    return 0;
}
