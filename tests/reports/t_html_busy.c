/* t_html_busy.c: a big trace for the HTML report: P producer/consumer
 * pairs (threads started with weft_go), each passing M integers over its
 * own unbuffered channel, which the producer closes at the end. With
 * `weft run --all-events` every send and receive has a row, and most of
 * them a matching flow: 2*P*M channel events and P*M arrows, far more
 * than a page may hold, so the report must merge, sample and say so.
 * Usage: t_html_busy [P [M]] (default 8 pairs of 1000). */
#include <stdio.h>
#include <stdlib.h>

#include <weft/weft.h>

static int msgs = 1000;
static weft_wg wg;

static void producer(void *arg) {
    weft_chan *ch = arg;
    for (int i = 0; i < msgs; i++)
        weft_chan_send(ch, &i);
    weft_chan_close(ch);
    weft_wg_done(&wg);
}

static void consumer(void *arg) {
    weft_chan *ch = arg;
    int v;
    long sum = 0;
    while (weft_chan_recv(ch, &v) == 0)
        sum += v;
    if (sum != (long)msgs * (msgs - 1) / 2)
        abort();
    weft_wg_done(&wg);
}

int main(int argc, char **argv) {
    int pairs = argc > 1 ? atoi(argv[1]) : 8;
    if (argc > 2)
        msgs = atoi(argv[2]);
    weft_chan **chans = calloc((size_t)pairs, sizeof *chans);
    if (!chans || pairs < 1 || msgs < 1)
        return 2;
    weft_wg_add(&wg, 2 * pairs);
    for (int p = 0; p < pairs; p++) {
        chans[p] = weft_chan_make(sizeof(int), 0);
        weft_go(producer, chans[p]);
        weft_go(consumer, chans[p]);
    }
    weft_wg_wait(&wg);
    for (int p = 0; p < pairs; p++)
        weft_chan_free(chans[p]);
    free(chans);
    printf("%d pairs, %d messages each\n", pairs, msgs);
    return 0;
}
/* SPDX-License-Identifier: MIT */
