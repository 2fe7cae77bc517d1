/* last_handoff: main returns right after the last hand-off. A generator
 * sends ten squares over an unbuffered channel and main takes exactly
 * ten; then main stops a worker with a value on its quit channel, which
 * the worker's select takes. In both hand-offs the partner's operation
 * is complete, but the thread on the other side may not have returned
 * from its call yet when main's return ends the process: it is finishing,
 * not leaked. weft must report nothing on every schedule. */
#include <stdio.h>
#include <weft/weft.h>

static weft_chan *squares, *jobs, *quit;

static void generator(void *arg) {
    int n = *(int *)arg;
    for (int i = 1; i <= n; i++) {
        int sq = i * i;
        weft_chan_send(squares, &sq); /* the last one is taken by main, which exits */
    }
}

static void worker(void *arg) {
    (void)arg;
    for (;;) {
        int job, stop;
        weft_case cs[2] = {{jobs, WEFT_RECV, &job, 0}, {quit, WEFT_RECV, &stop, 0}};
        if (weft_select(cs, 2, 0) == 1)
            return; /* quit taken: main may already be gone */
        printf("job %d done\n", job);
    }
}

int main(void) {
    static int n = 10;
    squares = weft_chan_make(sizeof(int), 0);
    jobs = weft_chan_make(sizeof(int), 0);
    quit = weft_chan_make(sizeof(int), 0);
    weft_go(generator, &n);
    int sum = 0;
    for (int i = 0; i < n; i++) {
        int sq;
        weft_chan_recv(squares, &sq);
        sum += sq;
    }
    printf("sum %d\n", sum);
    weft_go(worker, NULL);
    for (int job = 1; job <= 3; job++)
        weft_chan_send(jobs, &job);
    int stop = 1;
    weft_chan_send(quit, &stop); /* the last hand-off */
    return 0;
}
/* SPDX-License-Identifier: MIT */
