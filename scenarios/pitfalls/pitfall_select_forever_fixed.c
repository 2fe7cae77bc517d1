/* pitfall_select_forever_fixed: the stop channel is made and wired up, and
 * main closes it when the loop should end: the select always has a case
 * that will become ready. */
#include <stdio.h>
#include <weft/weft.h>

static weft_chan *messages, *stop;
static weft_wg wg;

static void loop(void *arg) {
    (void)arg;
    int msg;
    weft_case cases[] = {{messages, WEFT_RECV, &msg, 0}, {stop, WEFT_RECV, NULL, 0}};
    while (weft_select(cases, 2, 0) != 1) /* FIX: stop is live */
        ;
    weft_wg_done(&wg);
}

int main(void) {
    messages = weft_chan_make(sizeof(int), 0);
    stop = weft_chan_make(0, 0);
    weft_wg_add(&wg, 1);
    weft_go(loop, NULL);
    weft_chan_close(stop);
    weft_wg_wait(&wg);
    printf("main done\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
