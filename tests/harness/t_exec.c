/* t_exec.c: runs a thread, then replaces itself with the program named by
 * argv[1] (a failed exec first: it must be recorded and harmless). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *worker(void *a) {
    return a;
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 64;
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_join(t, NULL);
    char *none[] = {"/nonexistent/weft-nothing", NULL};
    if (execv(none[0], none) != -1 || errno != ENOENT)
        return 65;
    execv(argv[1], argv + 1);
    perror("execv");
    return 66;
}
/* SPDX-License-Identifier: MIT */
