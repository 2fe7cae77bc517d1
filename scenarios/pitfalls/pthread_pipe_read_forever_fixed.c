/* pthread_pipe_read_forever_fixed: the writer closes its end after the
 * last message, the reader's read returns 0 (EOF), and main joins it. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *reader(void *arg) {
    int fd = *(int *)arg;
    char buf[64];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        fwrite(buf, 1, (size_t)n, stdout);
    close(fd);
    return NULL;
}

int main(void) {
    int p[2];
    if (pipe(p) != 0)
        return 1;
    pthread_t t;
    pthread_create(&t, NULL, reader, &p[0]);
    if (write(p[1], "hello\n", 6) != 6)
        return 1;
    close(p[1]); /* FIX: EOF for the reader */
    pthread_join(t, NULL);
    return 0;
}
/* SPDX-License-Identifier: MIT */
