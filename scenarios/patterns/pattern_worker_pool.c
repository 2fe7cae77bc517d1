/* pattern_worker_pool.c: the seed's worker pool with a context. Five
 * workers range over one buffered job channel (20 jobs, closed by the job
 * producer), check the context before each job and select between sending
 * the result and the context's done channel, so a timeout or cancel never
 * leaves a worker blocked on a result nobody reads. A closer waits for the
 * workers (WaitGroup, Add before they start) and closes the results, which
 * ends main's loop. Bounded concurrency: at most five jobs at once,
 * whatever the number of jobs. The 5 s timeout never fires here (the jobs
 * take about 0.4 s); which worker runs which job varies. */
#include <stdio.h>
#include <time.h>

#include <weft/weft.h>

#define NJOBS 20

struct job {
    int id;
    char payload[32];
};

struct result {
    int job_id;
    char output[96];
    int err;
};

struct pool {
    weft_ctx *ctx;
    weft_chan *jobs, *results;
    weft_wg wg;
};

struct worker {
    struct pool *p;
    int id;
};

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void worker(void *arg) {
    struct worker *w = arg;
    struct pool *p = w->p;
    struct job job;
    while (weft_chan_recv(p->jobs, &job) == 0) {
        /* select { case <-ctx.Done(): return; default: } */
        if (weft_ctx_err(p->ctx))
            break;

        sleep_ms(100); /* simulate work */
        struct result r = {.job_id = job.id};
        snprintf(r.output, sizeof r.output, "worker %d processed job %d: %s", w->id, job.id,
                 job.payload);

        weft_case cases[] = {{p->results, WEFT_SEND, &r, 0},
                             {weft_ctx_done(p->ctx), WEFT_RECV, NULL, 0}};
        if (weft_select(cases, 2, 0) == 1)
            break;
    }
    weft_wg_done(&p->wg);
}

static void close_results(void *arg) {
    struct pool *p = arg;
    weft_wg_wait(&p->wg);
    weft_chan_close(p->results);
}

static weft_chan *worker_pool(struct pool *p, struct worker *ws, int nworkers) {
    p->results = weft_chan_make(sizeof(struct result), 0);
    weft_wg_add(&p->wg, nworkers);
    for (int i = 0; i < nworkers; i++) {
        ws[i] = (struct worker){p, i};
        weft_go(worker, &ws[i]);
    }
    weft_go(close_results, p);
    return p->results;
}

static void produce_jobs(void *arg) {
    weft_chan *jobs = arg;
    for (int i = 0; i < NJOBS; i++) {
        struct job j = {.id = i};
        snprintf(j.payload, sizeof j.payload, "task-%d", i);
        weft_chan_send(jobs, &j);
    }
    weft_chan_close(jobs); /* defer close(jobs) */
}

int main(void) {
    weft_ctx *ctx = weft_ctx_with_timeout(NULL, 5 * 1000000000LL);
    struct pool p = {.ctx = ctx, .jobs = weft_chan_make(sizeof(struct job), 100),
                     .wg = WEFT_WG_INIT};
    weft_go(produce_jobs, p.jobs);

    struct worker ws[5];
    weft_chan *results = worker_pool(&p, ws, 5);

    struct result r;
    while (weft_chan_recv(results, &r) == 0) {
        if (r.err)
            printf("Job %d failed: %s\n", r.job_id, weft_strerror(r.err));
        else
            printf("%s\n", r.output);
    }

    weft_ctx_cancel(ctx); /* defer cancel() */
    weft_ctx_free(ctx);
    weft_chan_free(results);
    weft_chan_free(p.jobs);
    return 0;
}
/* SPDX-License-Identifier: MIT */
