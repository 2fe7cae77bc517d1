/* t_closefds.c: a daemon's start: close every fd above 2 (close_range, or
 * one by one), dup2 over a few numbers, then open a file of its own and
 * write to it while many threads at once make the recorder claim fresh
 * log chunks (more than it prepared at start).
 * argv[1]: the file; argv[2]: "range" or "loop". The file must end up
 * exactly as written (the shim used to fallocate its old log fd number,
 * which was now this file). */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static int gate[2];

static void *work(void *arg) {
    (void)arg;
    /* All threads alive at once: each needs a log chunk of its own. */
    char c;
    if (read(gate[0], &c, 1) != 1)
        return NULL;
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 3)
        return 2;
    if (!strcmp(argv[2], "range")) {
        if (syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
            return 3;
    } else {
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
    }
    int nul = open("/dev/null", O_RDWR);
    for (int fd = 3; fd < 8; fd++)
        dup2(nul, fd);
    for (int fd = 3; fd < 8; fd++)
        close(fd);
    if (pipe(gate) != 0)
        return 6;
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return 4;
    /* Its file under many low numbers (as a daemon's log, pid file and
     * sockets would take them): whatever number the shim held is ours. */
    for (int n = 3; n < 16; n++)
        if (n != gate[0] && n != gate[1] && n != fd)
            dup2(fd, n);
    char line[64];
    for (int round = 0; round < 3; round++) {
        pthread_t t[120];
        for (int i = 0; i < 120; i++)
            pthread_create(&t[i], NULL, work, NULL);
        for (int i = 0; i < 120; i++)
            if (write(gate[1], "x", 1) != 1)
                return 7;
        for (int i = 0; i < 120; i++)
            pthread_join(t[i], NULL);
        int n = snprintf(line, sizeof line, "round %d\n", round);
        if (write(fd, line, (size_t)n) != n)
            return 5;
    }
    close(fd);
    printf("counter %ld\n", counter);
    return 0;
}
/* SPDX-License-Identifier: MIT */
