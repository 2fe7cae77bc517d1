/* pthread_pipe_read_forever: a thread blocked forever on a pipe read. The
 * reader reads until end of file, but the write end is never closed (main
 * keeps it open and forgets it), so after the last message the read waits
 * for good: the thread leaks. A pipe's reader sees EOF only once every
 * write end is closed. The fix is pthread_pipe_read_forever_fixed. Plain
 * pthreads, no libweft. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include "settle.h"

static void *reader(void *arg) {
    int fd = *(int *)arg;
    char buf[64];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) /* BUG: the write end stays open: no EOF, ever */
        fwrite(buf, 1, (size_t)n, stdout);
    return NULL;
}

int main(void) {
    int p[2];
    if (pipe(p) != 0)
        return 1;
    pthread_t t;
    pthread_create(&t, NULL, reader, &p[0]);
    write(p[1], "hello\n", 6);
    /* main forgets close(p[1]) and pthread_join */
    settle();
    return 0;
}
/* SPDX-License-Identifier: MIT */
