/* sc_leak.c: a fixture of the scenario runner's tests (scenarios_test.sh),
 * not a scenario: a thread blocked forever reading a pipe nobody writes,
 * while main prints "done" and returns: one leaked-thread finding, its
 * creation stack at pthread_create (24, as the manifest says) on every
 * schedule, its blocked stack at the read (16) when the reader got there
 * first. The pipe stays open: the read never ends on any schedule. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static int fds[2];

static void *reader(void *a) {
    char c;
    (void)a;
    ssize_t n = read(fds[0], &c, 1); /* nobody ever writes */
    return (void *)n;
}

int main(void) {
    pthread_t t;
    if (pipe(fds) != 0)
        return 1;
    pthread_create(&t, NULL, reader, NULL); /* BUG: never joined, never ends */
    puts("done");
    return 0;
}
/* SPDX-License-Identifier: MIT */
