/* t_forksig.c: children killed right after fork, 20 times: each child
 * waits (pause), the parent sends SIGTERM as soon as fork returns, which
 * often reaches the child while the shim is still setting up its log in
 * the fork handler. Prints how many children died of SIGTERM (all 20,
 * as without weft). Under plain LD_PRELOAD every child must still end
 * with its own database and no log left behind. */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    int killed = 0;
    for (int i = 0; i < 20; i++) {
        pid_t c = fork();
        if (c == 0) {
            for (;;)
                pause();
        }
        if (c < 0)
            return 1;
        kill(c, SIGTERM);
        int st;
        if (waitpid(c, &st, 0) != c)
            return 1;
        killed += WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM;
    }
    printf("killed %d\n", killed);
    return 0;
}
/* SPDX-License-Identifier: MIT */
