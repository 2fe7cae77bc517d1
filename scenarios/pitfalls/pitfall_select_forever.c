/* pitfall_select_forever: a select with no case that can ever be ready
 * (Go's goroutine-leak test "SelectNoCases" and its kin). The goroutine
 * waits for either a message or a stop signal, but both channels are nil
 * here (the stop channel was never wired up), so the select blocks for
 * good. A select without a live done/ctx case is a leak waiting to
 * happen. */
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

static weft_chan *messages, *stop; /* neither was ever made */

static void loop(void *arg) {
    (void)arg;
    int msg;
    weft_case cases[] = {{messages, WEFT_RECV, &msg, 0}, {stop, WEFT_RECV, NULL, 0}};
    weft_select(cases, 2, 0); /* BUG: no case can ever be ready */
}

int main(void) {
    weft_go(loop, NULL);
    printf("main done\n");
    settle();
    return 0;
}
/* SPDX-License-Identifier: MIT */
