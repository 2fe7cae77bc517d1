/* pitfall_unbounded_goroutines_fixed: the same 1100 requests handled by a
 * pool of 8 workers reading a request channel: the number of live threads
 * is fixed however large the burst is. */
#include <stdio.h>
#include <weft/weft.h>

#define REQUESTS 1100
#define WORKERS 8

static weft_chan *requests;
static weft_wg wg;
static long total;

static void worker(void *arg) {
    (void)arg;
    long id;
    while (weft_chan_recv(requests, &id) == 0)
        __atomic_fetch_add(&total, id, __ATOMIC_RELAXED);
    weft_wg_done(&wg);
}

int main(void) {
    requests = weft_chan_make(sizeof(long), 64);
    weft_wg_add(&wg, WORKERS);
    for (int w = 0; w < WORKERS; w++)
        weft_go(worker, NULL); /* FIX: a fixed number of workers */
    for (long id = 1; id <= REQUESTS; id++)
        weft_chan_send(requests, &id);
    weft_chan_close(requests);
    weft_wg_wait(&wg);
    printf("handled %d requests, total %ld\n", REQUESTS, total);
    return 0;
}
/* SPDX-License-Identifier: MIT */
