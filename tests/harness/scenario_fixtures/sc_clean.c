/* sc_clean.c: a fixture of the scenario runner's tests (scenarios_test.sh),
 * not a scenario: a clean program that prints 16 and 25 (the pipeline's
 * output) and exits with the status given as its argument (default 0). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void *square(void *a) {
    int *v = a;
    *v = *v * *v;
    return NULL;
}

int main(int argc, char **argv) {
    int v[2] = {4, 5};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, square, &v[i]);
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        printf("%d\n", v[i]);
    }
    return argc > 1 ? atoi(argv[1]) : 0;
}
/* SPDX-License-Identifier: MIT */
