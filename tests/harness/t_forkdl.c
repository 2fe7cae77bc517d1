/* t_forkdl.c: fork while another thread is inside the dynamic loader. A
 * thread loops dlopen/dlclose of a library nobody else loads and
 * dl_iterate_phdr; the main thread forks 200 times; each child writes a
 * line and _exits. Without care a child waits forever on the loader's
 * lock, held by a thread that does not exist in the child. */
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int stop;

static int count_cb(struct dl_phdr_info *info, size_t size, void *data) {
    (void)info;
    (void)size;
    (*(int *)data)++;
    return 0;
}

static void *loader(void *arg) {
    (void)arg;
    while (!stop) {
        void *h = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
        int n = 0;
        dl_iterate_phdr(count_cb, &n);
        if (h)
            dlclose(h);
    }
    return NULL;
}

int main(void) {
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, loader, NULL);
    int ok = 0;
    for (int i = 0; i < 200; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            char line[32];
            int n = snprintf(line, sizeof line, "child %d\n", i);
            if (write(1, line, (size_t)n) != n)
                _exit(1);
            _exit(0);
        }
        int st;
        if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
            ok++;
    }
    stop = 1;
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    printf("ok %d\n", ok);
    return 0;
}
/* SPDX-License-Identifier: MIT */
