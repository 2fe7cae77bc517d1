/* t_forkkill.c: fork children that are SIGKILLed at once, the way GNU
 * parallel or a supervisor may kill a child right after fork. Each child's
 * log must hold a valid header (it is written inside fork, before the
 * file grows), never a file of zeros. */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    int killed = 0;
    for (int i = 0; i < 20; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            kill(getpid(), SIGKILL);
            _exit(1);
        }
        int st;
        if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
            killed++;
    }
    printf("killed %d\n", killed);
    return 0;
}
/* SPDX-License-Identifier: MIT */
