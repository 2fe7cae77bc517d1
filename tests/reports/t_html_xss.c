/* t_html_xss.c: a program whose strings try to break out of the HTML
 * report: its argv (any, e.g. "</script><script>alert(1)</script>") goes
 * into the report as is, and its one thread is named after argv[2]
 * (default "<img src=x onerror=alert(1)>", cut by the OS to 15 bytes) and
 * leaks, so the name shows in the finding, the timeline and the tables.
 * The thread lives in t_html_block.h (see there why). */
#define _GNU_SOURCE /* pthread_setname_np */
#include <stdio.h>
#include <stdlib.h>

#include "t_html_block.h"

static void start(const char *name) {
    pthread_t t;
    if (pthread_create(&t, NULL, html_blocker, (void *)name) != 0)
        exit(2);
}

int main(int argc, char **argv) {
    start(argc > 2 ? argv[2] : "<img src=x onerror=alert(1)>");
    pthread_mutex_lock(&html_mu);
    while (!html_waiting)
        pthread_cond_wait(&html_ready, &html_mu);
    pthread_mutex_unlock(&html_mu);
    printf("named\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
