/* t_exitsig.c: a signal that comes while a child is already exiting. The
 * child runs an atexit handler that tells the parent (a pipe), then ends
 * with exit(3). The parent waits until the child is gone or, under plain
 * LD_PRELOAD, until the child's self-ingest has begun (its ".weft-tmp-"
 * directory appears in the current directory), then sends SIGTERM, as a
 * process pool terminates a worker that is already on its way out.
 * Without weft the child has exited by then: "child: exit 3". The shim's
 * self-ingest at exit must keep it so, not turn it into a death by
 * SIGTERM. Prints how the child ended. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int out_fd;

static void tell(void) {
    if (write(out_fd, "x", 1) != 1)
        _exit(9);
}

static int ingest_begun(void) {
    DIR *d = opendir(".");
    struct dirent *e;
    int found = 0;
    while (d && (e = readdir(d)))
        found |= strncmp(e->d_name, ".weft-tmp-", 10) == 0;
    if (d)
        closedir(d);
    return found;
}

int main(void) {
    int p[2];
    if (pipe(p) != 0)
        return 1;
    pid_t c = fork();
    if (c == 0) {
        close(p[0]);
        out_fd = p[1];
        atexit(tell);
        exit(3);
    }
    close(p[1]);
    char b;
    if (read(p[0], &b, 1) != 1)
        return 1;
    int st = 0;
    pid_t r = 0;
    /* Polls a file, as the brief allows: up to 20 s. */
    for (int i = 0; i < 20000 && (r = waitpid(c, &st, WNOHANG)) == 0 && !ingest_begun(); i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    if (r == 0) {
        kill(c, SIGTERM);
        r = waitpid(c, &st, 0);
    }
    if (r != c)
        return 1;
    if (WIFEXITED(st))
        printf("child: exit %d\n", WEXITSTATUS(st));
    else
        printf("child: signal %d\n", WTERMSIG(st));
    return 0;
}
/* SPDX-License-Identifier: MIT */
