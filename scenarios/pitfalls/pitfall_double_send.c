/* pitfall_double_send: a double send into a result channel meant for one
 * value. The worker reports its error, but the error path lacks its
 * return, so the worker goes on and sends a result too. The caller reads
 * exactly one value (the error) and is gone; on this unbuffered channel
 * the second send waits for a receiver forever. (A one-slot buffer only
 * hides it until there are two extra sends, or no read at all.) The fix:
 * return after the error send, so there is one send per call. */
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

struct reply {
    int err, value;
};

static void worker(void *arg) {
    weft_chan *res = arg;
    struct reply r = {0, 0};
    int failed = 1;
    if (failed) {
        r.err = -1;
        weft_chan_send(res, &r); /* reports the error, but lacks its return */
    }
    r.value = 42;
    weft_chan_send(res, &r); /* BUG: a second send for the caller's one read */
}

int main(void) {
    weft_chan *res = weft_chan_make(sizeof(struct reply), 0);
    weft_go(worker, res);
    struct reply r;
    weft_chan_recv(res, &r); /* the caller reads one reply */
    printf("err %d\n", r.err);
    settle();
    return 0;
}
/* SPDX-License-Identifier: MIT */
