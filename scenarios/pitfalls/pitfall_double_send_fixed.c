/* pitfall_double_send_fixed: the error path returns after its send, so
 * the worker sends exactly one reply for the caller's one read. */
#include <stdio.h>
#include <weft/weft.h>

struct reply {
    int err, value;
};

static void worker(void *arg) {
    weft_chan *res = arg;
    struct reply r = {0, 0};
    int failed = 1;
    if (failed) {
        r.err = -1;
        weft_chan_send(res, &r);
        return; /* FIX: one send per call */
    }
    r.value = 42;
    weft_chan_send(res, &r);
}

int main(void) {
    weft_chan *res = weft_chan_make(sizeof(struct reply), 0);
    weft_go(worker, res);
    struct reply r;
    weft_chan_recv(res, &r);
    printf("err %d\n", r.err);
    return 0;
}
/* SPDX-License-Identifier: MIT */
