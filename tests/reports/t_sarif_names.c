/* t_sarif_names.c: a program whose names are hostile to report formats:
 * one thread named by argv[1] (cut to the 15 bytes Linux keeps) left
 * blocked forever in a condition wait (a leaked thread, so the name is in
 * a finding), its other arguments only there to be in argv; with T_FORKS=N
 * in the environment it first forks N children that run the same way
 * (same argv, so N+1 processes of one command line). Main returns once
 * the thread is inside its wait, so every run has the same finding. The
 * reports tests compile it themselves (into a directory with markup in
 * its name, so its paths are hostile too). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER, never = PTHREAD_COND_INITIALIZER;
static int waiting;
static char name[16];

static void *stuck(void *arg) {
    (void)arg;
    pthread_setname_np(pthread_self(), name);
    pthread_mutex_lock(&mu);
    waiting = 1;
    pthread_cond_signal(&ready);
    for (;;)
        pthread_cond_wait(&never, &mu);
    return NULL;
}

static void leak_one(void) {
    pthread_t t;
    if (pthread_create(&t, NULL, stuck, NULL) != 0)
        exit(2);
    pthread_mutex_lock(&mu);
    while (!waiting)
        pthread_cond_wait(&ready, &mu);
    pthread_mutex_unlock(&mu);
}

int main(int argc, char **argv) {
    snprintf(name, sizeof name, "%s", argc > 1 ? argv[1] : "stuck");
    int forks = getenv("T_FORKS") ? atoi(getenv("T_FORKS")) : 0;
    for (int i = 0; i < forks; i++) {
        pid_t p = fork();
        if (p < 0)
            return 2;
        if (p == 0) {
            leak_one();
            return 0;
        }
        int st;
        if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            return 3;
    }
    leak_one();
    printf("done\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
