/* SPDX-License-Identifier: MIT */
/* mc_client.c: the bounded request loop of shapes.sh's memcached shape: C
 * connections (threads) over loopback to a memcached text-protocol server,
 * each doing N requests (alternately a set of a 32-byte value and a get of
 * a key set before, on 1000 keys), then one connection sends "shutdown" so
 * that the server (memcached -A) ends by itself. It runs beside the server
 * and is never traced: under `weft run` the traced program is the server.
 * Usage: mc_client PORT [N [C]]. Connects for up to 30 s while the server
 * starts; prints "requests R ok" (the same with or without weft) and exits
 * 1 on any wrong answer or I/O error. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port;
static long nreq;

static int dial(void) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* The server may still be starting (under weft, a little later): retry
     * for up to 30 s, then give up. */
    for (int tries = 0; tries < 3000; tries++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            return -1;
        if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            return fd;
        }
        close(fd);
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    return -1;
}

static int put(int fd, const char *s, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads until the buffer ends with END (a whole reply), -1 on error. */
static int reply(int fd, char *buf, size_t cap, const char *end) {
    size_t len = 0, el = strlen(end);
    for (;;) {
        ssize_t r = read(fd, buf + len, cap - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        len += (size_t)r;
        buf[len] = 0;
        if (len >= el && memcmp(buf + len - el, end, el) == 0)
            return 0;
        if (len == cap - 1)
            return -1;
    }
}

static void *conn(void *arg) {
    long id = (long)arg, bad = 0;
    int fd = dial();
    if (fd < 0)
        return (void *)1;
    char cmd[256], buf[512];
    for (long i = 0; i < nreq && !bad; i++) {
        long key = (i / 2 + id * 500) % 1000;
        if (i % 2 == 0) {
            int n = snprintf(cmd, sizeof cmd, "set k%ld 0 0 32\r\n%032ld\r\n", key, key);
            bad = put(fd, cmd, (size_t)n) || reply(fd, buf, sizeof buf, "\r\n") ||
                  strcmp(buf, "STORED\r\n");
        } else {
            int n = snprintf(cmd, sizeof cmd, "get k%ld\r\n", key);
            bad = put(fd, cmd, (size_t)n) || reply(fd, buf, sizeof buf, "END\r\n") ||
                  !strstr(buf, "VALUE");
        }
    }
    close(fd);
    return (void *)bad;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: mc_client PORT [N [C]]\n");
        return 2;
    }
    port = atoi(argv[1]);
    nreq = argc > 2 ? atol(argv[2]) : 100000;
    int c = argc > 3 ? atoi(argv[3]) : 2, bad = 0;
    pthread_t t[64];
    if (c < 1 || c > 64)
        c = 2;
    for (long i = 0; i < c; i++)
        pthread_create(&t[i], NULL, conn, (void *)i);
    for (int i = 0; i < c; i++) {
        void *r;
        pthread_join(t[i], &r);
        bad |= r != NULL;
    }
    /* Stop the server gracefully whatever happened, so that a run ends. */
    int fd = dial();
    if (fd >= 0) {
        put(fd, "shutdown\r\n", 10);
        char b[64];
        while (read(fd, b, sizeof b) > 0)
            ;
        close(fd);
        /* memcached's main thread notices a shutdown on its next event:
         * its once-a-second clock tick, or a connection. Connecting until
         * it refuses ends the server at once, not up to a second later. */
        for (int tries = 0; tries < 1000; tries++) {
            int w = socket(AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            int up = w >= 0 && connect(w, (struct sockaddr *)&a, sizeof a) == 0;
            if (w >= 0)
                close(w);
            if (!up)
                break;
            nanosleep(&(struct timespec){0, 1000 * 1000}, NULL);
        }
    }
    if (bad) {
        fprintf(stderr, "mc_client: a request failed\n");
        return 1;
    }
    printf("requests %ld ok\n", nreq * c);
    return 0;
}
