/* pthread_double_close_fixed: ownership of the read end goes to the worker
 * with the pthread_create call; main closes only what it still owns (the
 * write end). */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *reader(void *arg) {
    int fd = *(int *)arg;
    char buf[16];
    ssize_t n = read(fd, buf, sizeof buf);
    printf("read %zd bytes\n", n);
    close(fd);
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
    close(p[1]); /* FIX: only the end main owns */
    return 0;
}
/* SPDX-License-Identifier: MIT */
