/* sc_leak.c: a fixture of the scenario runner's tests (scenarios_test.sh),
 * not a scenario: a thread blocked forever reading a pipe nobody writes,
 * while main prints "done" and returns: one leaked-thread finding, whose
 * stack is where the thread was made (the pthread_create line, 24; the
 * fixture manifest says so). The pipe stays open, so the read never ends
 * on any schedule. */
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
