/* SPDX-License-Identifier: MIT */
/* lockorder: lock-order-inversion (d_lockorder.c). Each mode runs its
 * threads one after the other, ordered by an atomic counter that weft
 * cannot see, so that the run never hangs and the threads look
 * concurrent to weft. Must fire: abba (two threads, A then B and B then
 * A), three (A->B, B->C, C->A), rwlock (a write-held rwlock then a
 * mutex; the mutex then a read lock of the rwlock). Must not: rdrd (two
 * read locks in both orders: readers never block each other), gate
 * (both orders under one outer lock), join (the second order only after
 * a join), chan (after a channel handover), trylock (the second order's
 * second lock a trylock), recursive (a recursive mutex taken again under
 * another lock, in the same order as another thread), single (one thread
 * takes both orders), reinit (a mutex destroyed after A then B, made
 * again at the same address and taken after B: another lock). */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <weft/weft.h>

static pthread_mutex_t ma = PTHREAD_MUTEX_INITIALIZER, mb = PTHREAD_MUTEX_INITIALIZER,
                       mc = PTHREAD_MUTEX_INITIALIZER, gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t rec, slot;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER, rw2 = PTHREAD_RWLOCK_INITIALIZER;
static atomic_int step;
static weft_chan *ch;

/* Waits for the previous thread's turn to end, without telling weft. */
static void turn(int n) {
    while (atomic_load(&step) < n)
        sched_yield();
}

static void *ab(void *arg) {
    (void)arg;
    pthread_mutex_lock(&ma); /* key: a1 */
    pthread_mutex_lock(&mb); /* key: b1 */
    pthread_mutex_unlock(&mb);
    pthread_mutex_unlock(&ma);
    atomic_store(&step, 1);
    return NULL;
}

static void *ba(void *arg) {
    (void)arg;
    turn(1);
    pthread_mutex_lock(&mb); /* key: b2 */
    pthread_mutex_lock(&ma); /* key: a2 */
    pthread_mutex_unlock(&ma);
    pthread_mutex_unlock(&mb);
    atomic_store(&step, 2);
    return NULL;
}

static void *bc(void *arg) {
    (void)arg;
    turn(1);
    pthread_mutex_lock(&mb); /* key: b2 */
    pthread_mutex_lock(&mc); /* key: c2 */
    pthread_mutex_unlock(&mc);
    pthread_mutex_unlock(&mb);
    atomic_store(&step, 2);
    return NULL;
}

static void *ca(void *arg) {
    (void)arg;
    turn(2);
    pthread_mutex_lock(&mc); /* key: c3 */
    pthread_mutex_lock(&ma); /* key: a3 */
    pthread_mutex_unlock(&ma);
    pthread_mutex_unlock(&mc);
    return NULL;
}

static void *wr_then_mutex(void *arg) {
    (void)arg;
    pthread_rwlock_wrlock(&rw); /* key: w1 */
    pthread_mutex_lock(&ma);    /* key: a1 */
    pthread_mutex_unlock(&ma);
    pthread_rwlock_unlock(&rw);
    atomic_store(&step, 1);
    return NULL;
}

static void *mutex_then_rd(void *arg) {
    (void)arg;
    turn(1);
    pthread_mutex_lock(&ma);    /* key: a2 */
    pthread_rwlock_rdlock(&rw); /* key: r2 */
    pthread_rwlock_unlock(&rw);
    pthread_mutex_unlock(&ma);
    return NULL;
}

static void *rd_12(void *arg) {
    (void)arg;
    pthread_rwlock_rdlock(&rw);
    pthread_rwlock_rdlock(&rw2);
    pthread_rwlock_unlock(&rw2);
    pthread_rwlock_unlock(&rw);
    atomic_store(&step, 1);
    return NULL;
}

static void *rd_21(void *arg) {
    (void)arg;
    turn(1);
    pthread_rwlock_rdlock(&rw2);
    pthread_rwlock_rdlock(&rw);
    pthread_rwlock_unlock(&rw);
    pthread_rwlock_unlock(&rw2);
    return NULL;
}

static void *gated(void *arg) {
    int first = arg != NULL;
    if (!first)
        turn(1);
    pthread_mutex_lock(&gate);
    pthread_mutex_lock(first ? &ma : &mb);
    pthread_mutex_lock(first ? &mb : &ma);
    pthread_mutex_unlock(first ? &mb : &ma);
    pthread_mutex_unlock(first ? &ma : &mb);
    pthread_mutex_unlock(&gate);
    atomic_store(&step, 1);
    return NULL;
}

static void *ab_send(void *arg) {
    ab(arg);
    int v = 1;
    weft_chan_send(ch, &v);
    return NULL;
}

static void *recv_ba(void *arg) {
    int v;
    weft_chan_recv(ch, &v);
    return ba(arg);
}

static void *b_trylock_a(void *arg) {
    (void)arg;
    turn(1);
    pthread_mutex_lock(&mb);
    if (pthread_mutex_trylock(&ma) == 0)
        pthread_mutex_unlock(&ma);
    pthread_mutex_unlock(&mb);
    return NULL;
}

static void *rec_a_rec(void *arg) {
    (void)arg;
    pthread_mutex_lock(&rec);
    pthread_mutex_lock(&ma);
    pthread_mutex_lock(&rec); /* again: recursive, it cannot wait */
    pthread_mutex_unlock(&rec);
    pthread_mutex_unlock(&ma);
    pthread_mutex_unlock(&rec);
    atomic_store(&step, 1);
    return NULL;
}

static void *rec_a(void *arg) {
    (void)arg;
    turn(1);
    pthread_mutex_lock(&rec);
    pthread_mutex_lock(&ma);
    pthread_mutex_unlock(&ma);
    pthread_mutex_unlock(&rec);
    return NULL;
}

static void *slot_then_b(void *arg) {
    (void)arg;
    pthread_mutex_init(&slot, NULL);
    pthread_mutex_lock(&slot);
    pthread_mutex_lock(&mb);
    pthread_mutex_unlock(&mb);
    pthread_mutex_unlock(&slot);
    pthread_mutex_destroy(&slot);
    atomic_store(&step, 1);
    return NULL;
}

static void *b_then_new_slot(void *arg) {
    (void)arg;
    turn(1);
    pthread_mutex_init(&slot, NULL); /* a new mutex where the old one was */
    pthread_mutex_lock(&mb);
    pthread_mutex_lock(&slot);
    pthread_mutex_unlock(&slot);
    pthread_mutex_unlock(&mb);
    pthread_mutex_destroy(&slot);
    return NULL;
}

/* Runs the threads at once and joins them. */
static void run(int n, void *(*const *fns)(void *), void *const *args) {
    pthread_t t[3];
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, fns[i], args ? args[i] : NULL);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
}

int main(int argc, char **argv) {
    const char *m = argc > 1 ? argv[1] : "abba";
    pthread_mutexattr_t at;
    pthread_mutexattr_init(&at);
    pthread_mutexattr_settype(&at, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&rec, &at);
    if (!strcmp(m, "abba")) {
        run(2, (void *(*const[])(void *)){ab, ba}, NULL);
    } else if (!strcmp(m, "three")) {
        run(3, (void *(*const[])(void *)){ab, bc, ca}, NULL);
    } else if (!strcmp(m, "rwlock")) {
        run(2, (void *(*const[])(void *)){wr_then_mutex, mutex_then_rd}, NULL);
    } else if (!strcmp(m, "rdrd")) {
        run(2, (void *(*const[])(void *)){rd_12, rd_21}, NULL);
    } else if (!strcmp(m, "gate")) {
        run(2, (void *(*const[])(void *)){gated, gated}, (void *const[]){&step, NULL});
    } else if (!strcmp(m, "join")) {
        run(1, (void *(*const[])(void *)){ab}, NULL);
        run(1, (void *(*const[])(void *)){ba}, NULL);
    } else if (!strcmp(m, "chan")) {
        ch = weft_chan_make(sizeof(int), 0);
        run(2, (void *(*const[])(void *)){recv_ba, ab_send}, NULL);
        weft_chan_free(ch);
    } else if (!strcmp(m, "trylock")) {
        run(2, (void *(*const[])(void *)){ab, b_trylock_a}, NULL);
    } else if (!strcmp(m, "recursive")) {
        run(2, (void *(*const[])(void *)){rec_a_rec, rec_a}, NULL);
    } else if (!strcmp(m, "reinit")) {
        run(2, (void *(*const[])(void *)){slot_then_b, b_then_new_slot}, NULL);
    } else if (!strcmp(m, "single")) {
        ab(NULL);
        ba(NULL);
    } else {
        return 2;
    }
    return 0;
}
