/* pthread_write_closed_pipe: a write to a pipe whose reader is gone. The
 * reader thread takes one message, closes its end and returns; main goes
 * on writing. With SIGPIPE ignored (as servers do) the write fails with
 * EPIPE; otherwise SIGPIPE would kill the process. The channel analogue is
 * Go's send on a closed channel. The fix is pthread_write_closed_pipe_fixed
 * (the writer stops when the reader says it is done). Plain pthreads, no
 * libweft. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static void *reader(void *arg) {
    int fd = *(int *)arg;
    char buf[16];
    ssize_t n = read(fd, buf, 5);
    printf("reader got %zd bytes and leaves\n", n);
    close(fd);
    return NULL;
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    int p[2];
    if (pipe(p) != 0)
        return 1;
    pthread_t t;
    pthread_create(&t, NULL, reader, &p[0]);
    if (write(p[1], "first", 5) != 5)
        return 1;
    pthread_join(t, NULL);
    ssize_t n = write(p[1], "second", 6); /* BUG: the reader is gone: EPIPE */
    printf("second write: %s\n", n < 0 ? "failed" : "ok");
    close(p[1]);
    return 0;
}
/* SPDX-License-Identifier: MIT */
