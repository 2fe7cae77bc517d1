/* t_diskfull.c: the disk fills during the run. argv[1]: a file on a small
 * filesystem, filled until ENOSPC; then 64 threads start at once (the
 * recorder needs fresh log chunks for them, with no room left), and a
 * child is forked (its log cannot be written). Everything the program
 * prints and its exit status must be as without weft: no SIGBUS. */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int gate[2];
static int started;

static void *waiter(void *arg) {
    (void)arg;
    __atomic_add_fetch(&started, 1, __ATOMIC_RELEASE);
    char c;
    if (read(gate[0], &c, 1) != 1)
        return NULL;
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return 3;
    static char block[4096];
    memset(block, 'x', sizeof block);
    while (write(fd, block, sizeof block) > 0)
        ;
    close(fd);
    printf("disk filled\n");
    fflush(stdout);
    if (pipe(gate) != 0)
        return 4;
    pthread_t t[64];
    for (int i = 0; i < 64; i++)
        pthread_create(&t[i], NULL, waiter, NULL);
    /* All 64 alive at once, each with its start on record (or dropped):
     * released before the last had started, they could share the chunks
     * the first ones gave back, and nothing would be dropped. */
    while (__atomic_load_n(&started, __ATOMIC_ACQUIRE) < 64)
        sched_yield();
    for (int i = 0; i < 64; i++)
        if (write(gate[1], "x", 1) != 1)
            return 5;
    for (int i = 0; i < 64; i++)
        pthread_join(t[i], NULL);
    printf("threads joined\n");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        printf("child runs\n");
        fflush(stdout);
        pthread_t c;
        pthread_create(&c, NULL, waiter, NULL);
        if (write(gate[1], "x", 1) != 1)
            _exit(6);
        pthread_join(c, NULL);
        exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return 7;
}
/* SPDX-License-Identifier: MIT */
