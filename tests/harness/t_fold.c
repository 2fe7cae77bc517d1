/* t_fold.c: many channel operations, buffered and unbuffered, some that
 * wait and many that do not, then a close: the records where libweft's
 * happens-before tickets are folded into the calls' own records, and
 * the rows and counts ingest makes of them. Which of the operations
 * between threads wait depends on the schedule; the SOLO sends and
 * receives that main makes alone first, on a channel with room for all
 * (capacity SOLO, made by nobody else), never wait, on any schedule.
 * Prints "fold ok". */
#include <stdio.h>

#include <weft/weft.h>

enum { N = 1000, SOLO = 500 };
static weft_chan *buf, *ping, *pong, *solo;
static weft_wg wg = WEFT_WG_INIT; /* both threads end before main does */

static void producer(void *arg) {
    (void)arg;
    for (int i = 0; i < N; i++)
        weft_chan_send(buf, &i);
    weft_chan_close(buf);
    weft_wg_done(&wg);
}

static void echo(void *arg) {
    (void)arg;
    int v;
    while (weft_chan_recv(ping, &v) == 0)
        weft_chan_send(pong, &v);
    weft_wg_done(&wg);
}

int main(void) {
    int v, bad = 0;
    solo = weft_chan_make(sizeof(int), SOLO);
    for (int i = 0; i < SOLO; i++)
        bad += weft_chan_send(solo, &i) != 0;
    for (int i = 0; i < SOLO; i++)
        bad += weft_chan_recv(solo, &v) != 0 || v != i;
    buf = weft_chan_make(sizeof(int), 4);
    ping = weft_chan_make(sizeof(int), 0);
    pong = weft_chan_make(sizeof(int), 0);
    weft_wg_add(&wg, 2);
    weft_go(producer, NULL);
    weft_go(echo, NULL);
    long sum = 0;
    while (weft_chan_recv(buf, &v) == 0)
        sum += v;
    for (int i = 0; i < 200; i++) {
        bad += weft_chan_send(ping, &i) != 0;
        bad += weft_chan_recv(pong, &v) != 0 || v != i;
    }
    weft_chan_close(ping);
    weft_wg_wait(&wg);
    bad += sum != (long)N * (N - 1) / 2;
    printf(bad ? "fold bad\n" : "fold ok\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
