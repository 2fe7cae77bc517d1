/* pthread_double_close: an fd closed twice. The worker closes the pipe's
 * read end when it is done, and main's cleanup closes it again. The second
 * close fails with EBADF here, but in a bigger program the number may
 * already belong to another file by then, and the second close silently
 * closes *that* one. One owner closes an fd, once. The fix is
 * pthread_double_close_fixed. Plain pthreads, no libweft. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *reader(void *arg) {
    int fd = *(int *)arg;
    char buf[16];
    ssize_t n = read(fd, buf, sizeof buf);
    printf("read %zd bytes\n", n);
    close(fd); /* the worker owns the read end and closes it */
    return NULL;
}

int main(void) {
    int p[2];
    if (pipe(p) != 0)
        return 1;
    pthread_t t;
    pthread_create(&t, NULL, reader, &p[0]);
    if (write(p[1], "ping", 4) != 4)
        return 1;
    pthread_join(t, NULL);
    close(p[1]);
    close(p[0]); /* BUG: already closed by the worker */
    return 0;
}
/* SPDX-License-Identifier: MIT */
