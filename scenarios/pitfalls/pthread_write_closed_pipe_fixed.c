/* pthread_write_closed_pipe_fixed: the writer sends everything it has
 * while the reader is there, then closes its end (EOF), and the reader
 * reads until EOF before it closes its own end. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static void *reader(void *arg) {
    int fd = *(int *)arg;
    char buf[16];
    ssize_t n, total = 0;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        total += n;
    printf("reader got %zd bytes\n", total);
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
    if (write(p[1], "first", 5) != 5 || write(p[1], "second", 6) != 6)
        return 1;
    close(p[1]); /* FIX: the writer is done before the reader leaves */
    pthread_join(t, NULL);
    return 0;
}
/* SPDX-License-Identifier: MIT */
