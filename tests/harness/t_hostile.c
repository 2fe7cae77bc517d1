/* t_hostile.c: a program whose text is hostile to weft's output: its argv
 * is whatever the test passes (control characters, invalid UTF-8), and it
 * names a thread with terminal escapes (retitle, bell, clear screen) and
 * leaks it blocked, so that a leaked-thread finding quotes the name.
 * Prints "hostile ok" and exits 0. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *stuck(void *a) {
    (void)a;
    pthread_mutex_lock(&mu); /* held by main until exit: blocked for good */
    return NULL;
}

int main(void) {
    pthread_t t;
    pthread_mutex_lock(&mu);
    pthread_create(&t, NULL, stuck, NULL);
    /* 15 bytes, the most a thread name holds: ESC ] 0 ; title BEL ESC [ 2 J */
    pthread_setname_np(t, "\033]0;pwned\007\033[2J");
    printf("hostile ok\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
