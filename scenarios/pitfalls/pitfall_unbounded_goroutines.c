/* pitfall_unbounded_goroutines: a goroutine per request without bound.
 * A burst of 1100 requests arrives and each one gets its own goroutine at
 * once; they all wait for the (slow) backend together, so 1100 threads
 * are alive at the same moment: memory and scheduler pressure that grows
 * with the load, until thread creation fails. weft warns above 1000 live
 * threads. The fix is pitfall_unbounded_goroutines_fixed (a fixed pool of
 * workers). */
#include <stdio.h>
#include <weft/weft.h>

#define REQUESTS 1100

static weft_chan *backend; /* closed when the backend answers everyone */
static weft_wg wg, arrived;
static long total;

static void handle(void *arg) {
    long id = (long)(intptr_t)arg;
    weft_wg_done(&arrived);        /* this request is in flight */
    weft_chan_recv(backend, NULL); /* wait for the backend */
    __atomic_fetch_add(&total, id, __ATOMIC_RELAXED);
    weft_wg_done(&wg);
}

int main(void) {
    backend = weft_chan_make(0, 0);
    weft_wg_add(&wg, REQUESTS);
    weft_wg_add(&arrived, REQUESTS);
    for (long id = 1; id <= REQUESTS; id++)
        weft_go(handle, (void *)(intptr_t)id); /* BUG: one goroutine per request, no bound */
    weft_wg_wait(&arrived); /* the backend answers once every request waits for it */
    weft_chan_close(backend);
    weft_wg_wait(&wg);
    printf("handled %d requests, total %ld\n", REQUESTS, total);
    return 0;
}
/* SPDX-License-Identifier: MIT */
