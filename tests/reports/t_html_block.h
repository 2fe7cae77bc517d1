/* t_html_block.h: the thread of t_html_xss.c, in a header of its own so
 * that its frames keep a readable source file when the test deletes the
 * copy of t_html_xss.c it compiled (a missing file must degrade only the
 * frames in that file). The thread names itself (the OS keeps 15 bytes),
 * says it is ready, and waits forever on a condition nobody signals: a
 * leaked thread whose name is the program's string. */
#include <pthread.h>
#include <string.h>

static pthread_mutex_t html_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t html_ready = PTHREAD_COND_INITIALIZER, html_never = PTHREAD_COND_INITIALIZER;
static int html_waiting;

static void *html_blocker(void *arg) {
    char name[16];
    strncpy(name, arg, sizeof name - 1);
    name[sizeof name - 1] = 0;
    pthread_setname_np(pthread_self(), name);
    pthread_mutex_lock(&html_mu);
    html_waiting = 1;
    pthread_cond_signal(&html_ready);
    for (;;)
        pthread_cond_wait(&html_never, &html_mu);
    return NULL;
}
/* SPDX-License-Identifier: MIT */
