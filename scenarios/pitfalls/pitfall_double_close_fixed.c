/* pitfall_double_close_fixed: the seed's fix for closing a channel twice
 * (Go's sync.Once). Both goroutines may ask for the shutdown, but the
 * close itself runs once: pthread_once lets the first caller run it and
 * makes every later caller wait until it has run, then return. */
#include <pthread.h>
#include <stdio.h>
#include <weft/weft.h>

static weft_chan *quit;
static weft_wg wg;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void close_quit(void) { weft_chan_close(quit); }

static void stopper(void *arg) {
    (void)arg;
    pthread_once(&once, close_quit); /* FIX: once.Do(func() { close(quit) }) */
    weft_wg_done(&wg);
}

int main(void) {
    quit = weft_chan_make(0, 0);
    weft_wg_add(&wg, 2);
    weft_go(stopper, NULL);
    weft_go(stopper, NULL);
    weft_wg_wait(&wg);
    printf("quit closed: %s\n", weft_chan_recv(quit, NULL) == WEFT_ECLOSED ? "yes" : "no");
    return 0;
}
/* SPDX-License-Identifier: MIT */
