/* SPDX-License-Identifier: MIT */
/* t_handoff_cap.c: more (taker, releaser) pairs of threads handing a
 * mutex over than the ingest remembers (rows.c's KNOWN_MAX, 65,536), so
 * that it forgets what a taker knew: a lock it would have counted gets
 * its row after all.
 *
 * N = 263 threads (a prime above 256) take turns in an order the program
 * fixes (each waits on a futex word of its own, which no interposer sees,
 * so the turns carry no edge of their own):
 *   - thread 0 (a) locks and unlocks m1, then m2; thread 1 (b) locks and
 *     unlocks m2: b has taken a release of a later than a's of m1;
 *   - the flood: for r = 1 .. N-1, the threads k*r mod N (k = 0 .. N-1)
 *     lock and unlock m in that order, each taking m from the thread r
 *     below it: N(N-1) = 68,906 pairs, each once; b takes from a in the
 *     first round only, so the ingest forgets that pair when its memory
 *     is full, further on, and never learns it again;
 *   - b locks and unlocks m1, last released by a: known to b, unless
 *     forgotten (a row then, with a's unlock before it).
 * Prints the thread count. */
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#define N 263

enum { M, M1, M2 }; /* what a turn locks and unlocks */

struct turn {
    int thread, what;
};

static pthread_mutex_t mx[3] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                                PTHREAD_MUTEX_INITIALIZER};
static struct turn *order;
static long nturns;
static long cur;  /* the turn being taken */
static int go[N]; /* per thread: 1 once its turn may come */
static long counter;

static void wake(int t) {
    __atomic_store_n(&go[t], 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, &go[t], FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *run(void *arg) {
    int me = (int)(long)arg;
    for (;;) {
        while (!__atomic_load_n(&go[me], __ATOMIC_ACQUIRE))
            syscall(SYS_futex, &go[me], FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
        go[me] = 0;
        long t = __atomic_load_n(&cur, __ATOMIC_ACQUIRE);
        if (t >= nturns)
            return NULL;
        pthread_mutex_lock(&mx[order[t].what]);
        counter++;
        pthread_mutex_unlock(&mx[order[t].what]);
        __atomic_store_n(&cur, t + 1, __ATOMIC_RELEASE);
        if (t + 1 < nturns) {
            wake(order[t + 1].thread);
        } else {
            for (int i = 0; i < N; i++) /* the end: everyone leaves */
                wake(i);
            return NULL;
        }
    }
}

int main(void) {
    order = malloc(sizeof *order * ((size_t)N * N + 4));
    if (!order)
        return 1;
    order[nturns++] = (struct turn){0, M1};
    order[nturns++] = (struct turn){0, M2};
    order[nturns++] = (struct turn){1, M2};
    for (int r = 1; r < N; r++)
        for (int k = 0; k < N; k++)
            order[nturns++] = (struct turn){(int)((long)k * r % N), M};
    order[nturns++] = (struct turn){1, M1};
    pthread_t th[N];
    for (long i = 0; i < N; i++)
        if (pthread_create(&th[i], NULL, run, (void *)i) != 0)
            return 1;
    wake(order[0].thread);
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    printf("%d\n", N);
    free(order);
    return counter == nturns ? 0 : 1;
}
