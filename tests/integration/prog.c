/* prog.c: a small program that uses an *installed* libweft, built outside
 * the source tree by install_test.sh (once with pkg-config, once with
 * find_package(weft)). It runs a fan-out/fan-in over channels, a select and
 * a WaitGroup, and prints one line the script checks, including the path
 * the library was loaded from (to prove it is the installed copy). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <weft/weft.h>

enum { WORKERS = 4, N = 100 };

typedef struct {
    weft_chan *in, *out;
    weft_wg *wg, *closed;
} worker_arg;

static void worker(void *p) {
    worker_arg *a = p;
    long v;
    while (weft_chan_recv(a->in, &v) == 0) {
        long sq = v * v;
        weft_chan_send(a->out, &sq);
    }
    weft_wg_done(a->wg);
}

static void closer(void *p) {
    worker_arg *a = p;
    weft_wg_wait(a->wg);
    weft_chan_close(a->out);
    weft_wg_done(a->closed);
}

int main(void) {
    weft_chan *in = weft_chan_make(sizeof(long), 8);
    weft_chan *out = weft_chan_make(sizeof(long), 0);
    weft_wg wg = WEFT_WG_INIT, closed = WEFT_WG_INIT;
    worker_arg a = {in, out, &wg, &closed};
    weft_wg_add(&wg, WORKERS);
    for (int i = 0; i < WORKERS; i++)
        if (weft_go(worker, &a) != 0)
            return 1;
    long next = 0, sum = 0, v;
    int open = 1;
    /* Feed and collect in one select loop: send while there is input left,
     * receive results until the output closes. */
    while (open) {
        weft_case cs[2] = {{next < N ? in : NULL, WEFT_SEND, &next, 0}, {out, WEFT_RECV, &v, 0}};
        int k = weft_select(cs, 2, 0);
        if (k == 0 && ++next == N) {
            weft_chan_close(in);
            weft_wg_add(&closed, 1);
            if (weft_go(closer, &a) != 0)
                return 1;
        } else if (k == 1) {
            if (cs[1].result == WEFT_ECLOSED)
                open = 0;
            else
                sum += v;
        }
    }
    weft_wg_wait(&closed); /* no goroutine uses the channels any more */
    Dl_info info = {0};
    dladdr((void *)weft_chan_make, &info);
    printf("weft-consumer ok version=%s sum=%ld lib=%s\n", weft_version(), sum,
           info.dli_fname ? info.dli_fname : "?");
    weft_chan_free(in);
    weft_chan_free(out);
    return sum == 328350 ? 0 : 1; /* sum of squares 0..99 */
}
/* SPDX-License-Identifier: MIT */
