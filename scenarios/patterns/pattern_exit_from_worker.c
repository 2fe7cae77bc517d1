/* exit_from_worker: Go's log.Fatal in a goroutine. A worker meets an
 * error it cannot go on from, says so and ends the whole process with
 * exit(3), while main is still blocked handing it the next job. That is a
 * legitimate way to stop: the thread that ends the process is not a leak,
 * and neither is main, whose wait ended with the process. weft must report
 * nothing, and the program's exit status (3) must pass through. */
#include <stdio.h>
#include <stdlib.h>
#include <weft/weft.h>

static weft_chan *jobs;

static void worker(void *arg) {
    (void)arg;
    int job;
    while (weft_chan_recv(jobs, &job) == 0) {
        if (job == 3) {
            /* Like log.Fatalf: report, then exit the process from here. */
            fprintf(stderr, "fatal: job %d: bad input\n", job);
            exit(3);
        }
        printf("job %d ok\n", job);
    }
}

int main(void) {
    jobs = weft_chan_make(sizeof(int), 0);
    weft_go(worker, NULL);
    for (int job = 1; job <= 5; job++)
        weft_chan_send(jobs, &job); /* blocks here when the worker exits */
    weft_chan_close(jobs);
    return 0; /* never reached: job 3 is fatal */
}
/* SPDX-License-Identifier: MIT */
