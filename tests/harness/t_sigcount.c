/* SPDX-License-Identifier: MIT */
/* t_sigcount.c: counts the SIGTERMs it takes. Its handler takes 100 ms,
 * with SIGTERM masked: a second SIGTERM sent meanwhile waits and is
 * counted after it, never merged with the first. It spins until the
 * first comes (on a CPU, it takes a signal at once: a copy sent a moment
 * later finds it in the handler). Writes READY (argv[1]) once the
 * handler is set, then prints "got N" a second after the first SIGTERM
 * (or after 10 s without one). */
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_term(int sig) {
    (void)sig;
    got++;
    struct timespec t = {0, 100000000};
    nanosleep(&t, NULL);
}

int main(int argc, char **argv) {
    struct sigaction sa = {0};
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    if (argc > 1) {
        FILE *f = fopen(argv[1], "w");
        if (f)
            fclose(f);
    }
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do
        clock_gettime(CLOCK_MONOTONIC, &t);
    while (!got && t.tv_sec - t0.tv_sec < 10);
    sleep(1);
    printf("got %d\n", (int)got);
    return 0;
}
