/* t_output.c: stdout, stderr, stdin and the exit status go through weft
 * untouched. Echoes stdin upper-cased, with a thread doing the work. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>

static void *work(void *a) {
    (void)a;
    int c;
    while ((c = getchar()) != EOF)
        putchar(toupper(c));
    return NULL;
}

int main(int argc, char **argv) {
    pthread_t t;
    pthread_create(&t, NULL, work, NULL);
    pthread_join(t, NULL);
    fprintf(stderr, "to stderr, %d args, last '%s'\n", argc, argv[argc - 1]);
    return 42;
}
/* SPDX-License-Identifier: MIT */
