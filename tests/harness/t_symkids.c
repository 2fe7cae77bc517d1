/* t_symkids.c: N short-lived children (argv[1], default 200), one after
 * the other, each running three threads that take a mutex and are
 * joined. argv[2] "fork": the children are plain fork children (the
 * parent's image and module map); "exec": each child execs this program
 * again (a new image: its own load biases under ASLR). The parent prints
 * how many children exited 0. For the symbolizer's cost per process
 * (tests/harness/symtab.sh, bench/harness/symtab.sh). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int counter;

static void *work(void *a) {
    (void)a;
    for (int i = 0; i < 20; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

static int child(void) {
    pthread_t t[3];
    for (int k = 0; k < 3; k++)
        if (pthread_create(&t[k], NULL, work, NULL) != 0)
            return 1;
    for (int k = 0; k < 3; k++)
        pthread_join(t[k], NULL);
    return counter == 60 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "child") == 0)
        return child();
    int n = argc > 1 ? atoi(argv[1]) : 200, ok = 0;
    int exec_mode = argc > 2 && strcmp(argv[2], "exec") == 0;
    for (int i = 0; i < n; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            if (exec_mode) {
                execl("/proc/self/exe", argv[0], "child", (char *)NULL);
                _exit(127);
            }
            _exit(child());
        }
        int st;
        if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
            ok++;
    }
    printf("%d children ok\n", ok);
    return 0;
}
/* SPDX-License-Identifier: MIT */
