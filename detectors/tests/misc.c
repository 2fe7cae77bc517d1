/* misc: the remaining kinds. Modes: lockheld (a thread returns holding a
 * mutex), lockok; semover (weft_sem_release beyond what is held), semok;
 * deadlock (main receives on a channel nobody sends to), nodeadlock (the
 * sender comes after a while); many N (N threads alive at once, for
 * unbounded-threads with --max-threads). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <weft/weft.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t bar;

static void *locker(void *arg) {
    pthread_mutex_lock(&mu);
    if (arg)
        pthread_mutex_unlock(&mu);
    return NULL;
}

static void late_send(void *arg) {
    usleep(20000);
    int v = 1;
    weft_chan_send(arg, &v);
}

static void *hold(void *arg) {
    (void)arg;
    pthread_barrier_wait(&bar);
    return NULL;
}

int main(int argc, char **argv) {
    const char *m = argc > 1 ? argv[1] : "";
    if (!strcmp(m, "lockheld") || !strcmp(m, "lockok")) {
        pthread_t t;
        pthread_create(&t, NULL, locker, !strcmp(m, "lockok") ? &mu : NULL);
        pthread_join(t, NULL);
    } else if (!strcmp(m, "semover") || !strcmp(m, "semok")) {
        weft_sem *s = weft_sem_new(2);
        weft_sem_acquire(NULL, s, 1);
        weft_sem_release(s, !strcmp(m, "semover") ? 2 : 1);
        weft_sem_free(s);
    } else if (!strcmp(m, "deadlock") || !strcmp(m, "nodeadlock")) {
        weft_chan *ch = weft_chan_make(sizeof(int), 0);
        int v;
        if (!strcmp(m, "nodeadlock"))
            weft_go(late_send, ch);
        weft_chan_recv(ch, &v);
    } else if (!strcmp(m, "many")) {
        int n = argc > 2 ? atoi(argv[2]) : 10;
        pthread_t *t = calloc((size_t)n, sizeof *t);
        pthread_barrier_init(&bar, NULL, (unsigned)n + 1);
        for (int i = 0; i < n; i++)
            pthread_create(&t[i], NULL, hold, NULL);
        pthread_barrier_wait(&bar);
        for (int i = 0; i < n; i++)
            pthread_join(t[i], NULL);
        free(t);
    }
    return 0;
}
