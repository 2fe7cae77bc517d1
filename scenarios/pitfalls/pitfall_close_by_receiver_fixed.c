/* pitfall_close_by_receiver_fixed: the receiver signals "stop" on a
 * channel of its own (it is that channel's only closer), the producer
 * selects between its send and the stop signal, and the producer, the
 * only sender, closes its own channel as it leaves. */
#include <stdio.h>
#include <weft/weft.h>

static weft_wg wg;

struct prod {
    weft_chan *out, *stop;
};

static void producer(void *arg) {
    struct prod *p = arg;
    for (int n = 1;; n++) {
        weft_case cases[] = {{p->out, WEFT_SEND, &n, 0}, {p->stop, WEFT_RECV, NULL, 0}};
        if (weft_select(cases, 2, 0) == 1)
            break; /* FIX: stopped by the receiver's signal */
    }
    weft_chan_close(p->out); /* the sender closes its own channel */
    weft_wg_done(&wg);
}

int main(void) {
    struct prod p = {weft_chan_make(sizeof(int), 0), weft_chan_make(0, 0)};
    weft_wg_add(&wg, 1);
    weft_go(producer, &p);
    for (int i = 0; i < 3; i++) {
        int v;
        weft_chan_recv(p.out, &v);
        printf("got %d\n", v);
    }
    weft_chan_close(p.stop); /* FIX: close what we own, not the producer's channel */
    weft_wg_wait(&wg);
    return 0;
}
/* SPDX-License-Identifier: MIT */
