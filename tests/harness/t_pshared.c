/* t_pshared.c: waits on process-shared objects that another process ends
 * (issue 9 item 5). For each object named on the command line, the parent
 * forks a child; the objects live in a MAP_SHARED|MAP_ANONYMOUS region
 * made before the fork. The child holds (or withholds) the object for
 * 1.5 s, longer than the watchdog's default 1 s, then releases it; the
 * parent, its only thread, waits on it all that time. A watchdog that
 * counted such a wait as stuck kills the parent with status 2.
 *
 * Objects: mutex (PTHREAD_PROCESS_SHARED), robust (a robust pshared
 * mutex), cond (pshared cond + mutex), sem (sem_init pshared=1), rwlock
 * (pshared, write-held by the child), barrier (pshared, 2 parties). The
 * child tells the parent it holds the object through a pipe, so the
 * parent never races ahead of it. And two waits of this process's own
 * that last as long because of another process: behind (main waits for a
 * private mutex that a thread of ours holds while it waits on the shared
 * sem) and join_read (main joins a thread that reads a pipe the child
 * writes). */
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct shared {
    pthread_mutex_t m, robust;
    pthread_cond_t c;
    int flag;
    sem_t s;
    pthread_rwlock_t rw;
    pthread_barrier_t b;
};

static struct shared *sh;
static int feed[2]; /* join_read: the child writes, our thread reads */
static pthread_mutex_t priv = PTHREAD_MUTEX_INITIALIZER;

static void hold(void) {
    struct timespec ts = {1, 500000000L};
    nanosleep(&ts, NULL);
}

static void tell(int fd) {
    char c = 1;
    if (write(fd, &c, 1) != 1)
        _exit(9);
}

static void child(const char *what, int fd) {
    if (!strcmp(what, "mutex") || !strcmp(what, "robust")) {
        pthread_mutex_t *m = what[0] == 'm' ? &sh->m : &sh->robust;
        pthread_mutex_lock(m);
        tell(fd);
        hold();
        pthread_mutex_unlock(m);
    } else if (!strcmp(what, "cond")) {
        tell(fd);
        hold();
        pthread_mutex_lock(&sh->m);
        sh->flag = 1;
        pthread_cond_signal(&sh->c);
        pthread_mutex_unlock(&sh->m);
    } else if (!strcmp(what, "sem") || !strcmp(what, "behind")) {
        tell(fd);
        hold();
        sem_post(&sh->s);
    } else if (!strcmp(what, "join_read")) {
        tell(fd);
        hold();
        if (write(feed[1], "x", 1) != 1)
            _exit(8);
    } else if (!strcmp(what, "rwlock")) {
        pthread_rwlock_wrlock(&sh->rw);
        tell(fd);
        hold();
        pthread_rwlock_unlock(&sh->rw);
    } else if (!strcmp(what, "barrier")) {
        tell(fd);
        hold();
        pthread_barrier_wait(&sh->b);
    }
    _exit(0);
}

/* behind: holds the private mutex while it waits on the shared sem. */
static void *holder(void *held) {
    pthread_mutex_lock(&priv);
    if (write(*(int *)held, "h", 1) != 1)
        return NULL;
    sem_wait(&sh->s);
    pthread_mutex_unlock(&priv);
    return NULL;
}

static void *reader(void *unused) {
    (void)unused;
    char c;
    return (void *)(intptr_t)read(feed[0], &c, 1);
}

static void parent(const char *what) {
    if (!strcmp(what, "mutex") || !strcmp(what, "robust")) {
        pthread_mutex_t *m = what[0] == 'm' ? &sh->m : &sh->robust;
        pthread_mutex_lock(m);
        pthread_mutex_unlock(m);
    } else if (!strcmp(what, "cond")) {
        pthread_mutex_lock(&sh->m);
        while (!sh->flag)
            pthread_cond_wait(&sh->c, &sh->m);
        pthread_mutex_unlock(&sh->m);
    } else if (!strcmp(what, "sem")) {
        sem_wait(&sh->s);
    } else if (!strcmp(what, "rwlock")) {
        pthread_rwlock_rdlock(&sh->rw);
        pthread_rwlock_unlock(&sh->rw);
    } else if (!strcmp(what, "barrier")) {
        pthread_barrier_wait(&sh->b);
    } else if (!strcmp(what, "behind")) {
        int held[2];
        char c;
        pthread_t t;
        if (pipe(held) != 0 || pthread_create(&t, NULL, holder, &held[1]) != 0 ||
            read(held[0], &c, 1) != 1)
            _exit(7);
        pthread_mutex_lock(&priv);
        pthread_mutex_unlock(&priv);
        pthread_join(t, NULL);
    } else if (!strcmp(what, "join_read")) {
        pthread_t t;
        pthread_create(&t, NULL, reader, NULL);
        pthread_join(t, NULL);
    }
}

int main(int argc, char **argv) {
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        return 1;
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&sh->m, &ma);
    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&sh->robust, &ma);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    pthread_cond_init(&sh->c, &ca);
    sem_init(&sh->s, 1, 0);
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setpshared(&ra, PTHREAD_PROCESS_SHARED);
    pthread_rwlock_init(&sh->rw, &ra);
    pthread_barrierattr_t ba;
    pthread_barrierattr_init(&ba);
    pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
    pthread_barrier_init(&sh->b, &ba, 2);

    if (pipe(feed) != 0)
        return 1;
    for (int i = 1; i < argc; i++) {
        int p[2];
        if (pipe(p) != 0)
            return 1;
        pid_t pid = fork();
        if (pid == 0) {
            close(p[0]);
            child(argv[i], p[1]);
        }
        close(p[1]);
        char c;
        if (read(p[0], &c, 1) != 1)
            return 1;
        close(p[0]);
        parent(argv[i]);
        int st;
        waitpid(pid, &st, 0);
        printf("%s: released by the other process, child %d\n", argv[i],
               WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        fflush(stdout);
    }
    return 0;
}
/* SPDX-License-Identifier: MIT */
