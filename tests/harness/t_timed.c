/* t_timed.c: the bounded and list-form calls the shim must record like
 * their plain siblings: mutex timedlock/clocklock, rwlock timed/clock
 * locks, cond_clockwait, sem_clockwait, pthread_clockjoin_np (each timing
 * out once against a holder, or succeeding), writev/sendto/sendmsg failing
 * with EPIPE, and finally execl. Prints what each call returned, so the
 * test sees that results and errno are unchanged under the shim. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int held, release_them;

static struct timespec in_ms(clockid_t c, long ms) {
    struct timespec t;
    clock_gettime(c, &t);
    t.tv_nsec += ms * 1000000L;
    t.tv_sec += t.tv_nsec / 1000000000L;
    t.tv_nsec %= 1000000000L;
    return t;
}

/* Holds m and rw (for writing) until main says so. */
static void *holder(void *arg) {
    (void)arg;
    pthread_mutex_lock(&m);
    pthread_rwlock_wrlock(&rw);
    pthread_mutex_lock(&gate_mu);
    held = 1;
    pthread_cond_broadcast(&gate_cv);
    while (!release_them)
        pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
    pthread_rwlock_unlock(&rw);
    pthread_mutex_unlock(&m);
    return (void *)7;
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    pthread_t h;
    pthread_create(&h, NULL, holder, NULL);
    pthread_mutex_lock(&gate_mu);
    while (!held)
        pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);

    struct timespec t = in_ms(CLOCK_REALTIME, 30);
    printf("timedlock %d\n", pthread_mutex_timedlock(&m, &t));
    t = in_ms(CLOCK_MONOTONIC, 30);
    printf("clocklock %d\n", pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &t));
    t = in_ms(CLOCK_REALTIME, 30);
    printf("timedrdlock %d\n", pthread_rwlock_timedrdlock(&rw, &t));
    t = in_ms(CLOCK_MONOTONIC, 30);
    printf("clockwrlock %d\n", pthread_rwlock_clockwrlock(&rw, CLOCK_MONOTONIC, &t));

    pthread_mutex_lock(&gate_mu);
    release_them = 1;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
    void *ret = NULL;
    t = in_ms(CLOCK_MONOTONIC, 5000);
    printf("clockjoin %d %ld\n", pthread_clockjoin_np(h, &ret, CLOCK_MONOTONIC, &t), (long)ret);
    t = in_ms(CLOCK_MONOTONIC, 30);
    int r = pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &t); /* free now */
    printf("clocklock again %d\n", r);

    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    t = in_ms(CLOCK_MONOTONIC, 20);
    printf("clockwait %d\n", pthread_cond_clockwait(&cv, &m, CLOCK_MONOTONIC, &t));
    pthread_mutex_unlock(&m);

    sem_t s;
    sem_init(&s, 0, 0);
    t = in_ms(CLOCK_MONOTONIC, 20);
    errno = 0;
    r = sem_clockwait(&s, CLOCK_MONOTONIC, &t);
    printf("sem_clockwait %d %s\n", r, strerror(errno));

    int p[2];
    pipe(p);
    close(p[0]);
    struct iovec iov = {"x", 1};
    errno = 0;
    r = (int)writev(p[1], &iov, 1);
    printf("writev %d %s\n", r, strerror(errno));
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    close(sv[1]);
    errno = 0;
    r = (int)sendto(sv[0], "x", 1, 0, NULL, 0);
    printf("sendto %d %s\n", r, strerror(errno));
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    errno = 0;
    r = (int)sendmsg(sv[0], &msg, 0);
    printf("sendmsg %d %s\n", r, strerror(errno));
    fflush(stdout);
    execl("/bin/sh", "sh", "-c", "echo exec ok; exit 7", (char *)NULL);
    perror("execl");
    return 1;
}
/* SPDX-License-Identifier: MIT */
