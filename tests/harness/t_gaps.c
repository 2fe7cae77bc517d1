/* t_gaps.c: the recorder's two gaps of issue 10 (gaps.sh). Usage:
 * t_gaps MODE [FILE]:
 *   read      a thread blocked for good in read() on a pipe (main wrote
 *             one line first, which the thread printed)
 *   recv      the same in recv() on a socketpair
 *   write     a thread blocked for good in write() to a full pipe
 *   nonblock  reads and writes that would block on O_NONBLOCK fds and
 *             with MSG_DONTWAIT: they fail with EAGAIN, as without weft
 *   files     reads FILE (made here, 1 MiB) 64 times in 4 KiB reads, and
 *             a pipe whose data is always ready: no call waits
 *   locks     four threads return holding a mutex: one took it with
 *             pthread_mutex_lock, one with trylock, one got it back from
 *             a cond wait, one locked it at one line three times (and
 *             unlocked twice); main joins them
 *   stale_range|stale_raw|stale_from FIFO
 *             a pipe closed by close_range (libc's, the raw system call)
 *             or closefrom, its number reused by a FIFO opened read-write;
 *             a thread blocked reading the FIFO for good
 *   join      main joins a thread blocked in a pipe read that a child
 *             process ends 600 ms later (its write, then its exit): with
 *             a short watchdog timeout this is no deadlock
 * The lines the tests look for carry a marker comment (LINE:name). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "asleep.h"

static _Atomic pid_t worker_tid;
static atomic_int got;
static int fds[2];

static void *reader(void *arg) {
    (void)arg;
    worker_tid = test_gettid();
    char buf[64];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) { /* LINE:read */
        fwrite(buf, 1, (size_t)n, stdout);
        fflush(stdout);
        got++;
    }
    return NULL;
}

static void *receiver(void *arg) {
    (void)arg;
    worker_tid = test_gettid();
    char buf[64];
    ssize_t n;
    while ((n = recv(fds[0], buf, sizeof buf, 0)) > 0) { /* LINE:recv */
        fwrite(buf, 1, (size_t)n, stdout);
        fflush(stdout);
        got++;
    }
    return NULL;
}

static void *writer(void *arg) {
    (void)arg;
    worker_tid = test_gettid();
    static char block[4096];
    for (;;)
        if (write(fds[1], block, sizeof block) < 0) /* LINE:write */
            return NULL;
}

/* Main writes one line, waits until the reader printed it and sleeps in
 * its next call, and returns with the thread blocked there. */
static int leak_reader(void *(*fn)(void *)) {
    pthread_t t;
    pthread_create(&t, NULL, fn, NULL);
    if (write(fds[1], "hello\n", 6) != 6)
        return 1;
    while (got < 1)
        usleep(1000);
    test_wait_asleep(&worker_tid);
    printf("main: done\n");
    return 0;
}

static void say(const char *what, ssize_t r) {
    printf("%s: %zd %s\n", what, r, r < 0 ? strerror(errno) : "");
}

static int nonblock(void) {
    char buf[64];
    static char block[4096];
    if (pipe2(fds, O_NONBLOCK) != 0)
        return 1;
    say("read empty pipe", read(fds[0], buf, sizeof buf));
    ssize_t n, total = 0;
    while ((n = write(fds[1], block, sizeof block)) > 0)
        total += n;
    printf("filled %zd\n", total);
    say("write full pipe", n);
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) != 0)
        return 1;
    say("recv dontwait", recv(sp[0], buf, sizeof buf, MSG_DONTWAIT));
    say("send", send(sp[1], "x", 1, 0));
    say("recv ready", recv(sp[0], buf, sizeof buf, 0));
    close(fds[1]);
    say("read after the writer closed", read(fds[0], buf, 0));
    return 0;
}

static int files(const char *path) {
    static char block[4096];
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return 1;
    for (int i = 0; i < 256; i++) {
        memset(block, 'a' + i % 26, sizeof block);
        if (write(fd, block, sizeof block) != (ssize_t)sizeof block)
            return 1;
    }
    unsigned long sum = 0;
    for (int round = 0; round < 64; round++) {
        lseek(fd, 0, SEEK_SET);
        ssize_t n;
        while ((n = read(fd, block, sizeof block)) > 0)
            for (ssize_t i = 0; i < n; i++)
                sum += (unsigned char)block[i];
    }
    close(fd);
    if (pipe(fds) != 0)
        return 1;
    for (int i = 0; i < 1000; i++) {
        char c = (char)i, d;
        if (write(fds[1], &c, 1) != 1 || read(fds[0], &d, 1) != 1)
            return 1;
        sum += (unsigned char)d;
    }
    printf("sum %lu\n", sum);
    return 0;
}

static pthread_mutex_t mu_lock = PTHREAD_MUTEX_INITIALIZER, mu_try = PTHREAD_MUTEX_INITIALIZER,
                       mu_cond = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready;

static void *locker(void *arg) {
    (void)arg;
    pthread_mutex_lock(&mu_lock); /* LINE:lock */
    return NULL;
}

static void *trylocker(void *arg) {
    (void)arg;
    if (pthread_mutex_trylock(&mu_try) != 0) /* LINE:trylock */
        return NULL;
    return NULL;
}

/* Locks at one site three times: the shim writes the site's stack with
 * the first lock only, ingest gives it to the other two. */
static pthread_mutex_t mu_loop = PTHREAD_MUTEX_INITIALIZER;
static void *looper(void *arg) {
    (void)arg;
    for (int i = 0; i < 3; i++) {
        pthread_mutex_lock(&mu_loop); /* LINE:looplock */
        if (i < 2)
            pthread_mutex_unlock(&mu_loop);
    }
    return NULL;
}

static void *cond_waiter(void *arg) {
    (void)arg;
    worker_tid = test_gettid();
    pthread_mutex_lock(&mu_cond);
    while (!ready)
        pthread_cond_wait(&cv, &mu_cond); /* LINE:condwait */
    return NULL;
}

static int locks(void) {
    pthread_t a, b, c, d;
    pthread_create(&a, NULL, locker, NULL);
    pthread_create(&b, NULL, trylocker, NULL);
    pthread_create(&c, NULL, cond_waiter, NULL);
    pthread_create(&d, NULL, looper, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    pthread_join(d, NULL);
    test_wait_asleep(&worker_tid);
    pthread_mutex_lock(&mu_cond);
    ready = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu_cond);
    pthread_join(c, NULL);
    printf("held: %d %d %d %d\n", pthread_mutex_trylock(&mu_lock), pthread_mutex_trylock(&mu_try),
           pthread_mutex_trylock(&mu_cond), pthread_mutex_trylock(&mu_loop));
    return 0;
}

/* A pipe's numbers closed behind close() (close_range, closefrom, or the
 * raw system call), then reused by a FIFO opened read-write (a file, not
 * a channel fd of ours): the reader blocked in it is not in a recorded
 * wait, and the FIFO is no pipe. */
static int stale(const char *how, const char *fifo) {
    int p[2];
    if (pipe(p) != 0)
        return 1;
    int low = p[0] < p[1] ? p[0] : p[1];
    if (!strcmp(how, "range"))
        close_range((unsigned)low, ~0u, 0);
    else if (!strcmp(how, "raw"))
        syscall(SYS_close_range, (unsigned)low, ~0u, 0u);
    else
        closefrom(low);
    if (mkfifo(fifo, 0600) != 0)
        return 1;
    int fd = open(fifo, O_RDWR);
    if (fd != low)
        return 1;
    fds[0] = fds[1] = fd;
    return leak_reader(reader);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "read"))
        return pipe(fds) != 0 ? 1 : leak_reader(reader);
    if (!strcmp(mode, "recv"))
        return socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0 ? 1 : leak_reader(receiver);
    if (!strcmp(mode, "write")) {
        pthread_t t;
        if (pipe(fds) != 0)
            return 1;
        pthread_create(&t, NULL, writer, NULL);
        test_wait_asleep(&worker_tid);
        printf("main: done\n");
        return 0;
    }
    if (!strcmp(mode, "nonblock"))
        return nonblock();
    if (!strcmp(mode, "files") && argc > 2)
        return files(argv[2]);
    if (!strcmp(mode, "locks"))
        return locks();
    if (!strcmp(mode, "join")) {
        if (pipe(fds) != 0)
            return 1;
        pid_t child = fork();
        if (child == 0) {
            usleep(600 * 1000); /* longer than the watchdog's timeout: the point of the case */
            _exit(write(fds[1], "late\n", 5) == 5 ? 0 : 1);
        }
        close(fds[1]);
        pthread_t t;
        pthread_create(&t, NULL, reader, NULL);
        pthread_join(t, NULL);
        waitpid(child, NULL, 0);
        printf("main: joined\n");
        return 0;
    }
    if (!strncmp(mode, "stale_", 6) && argc > 2)
        return stale(mode + 6, argv[2]);
    fprintf(stderr, "usage: t_gaps read|recv|write|nonblock|files FILE|locks|join|"
                    "stale_range FIFO|stale_raw FIFO|stale_from FIFO\n");
    return 2;
}
/* SPDX-License-Identifier: MIT */
