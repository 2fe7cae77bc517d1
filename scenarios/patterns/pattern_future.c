/* pattern_future.c: the seed's future. NewFuture runs a function on its
 * own thread, which stores the result and then closes the future's done
 * channel; Get receives from done (a closed channel answers every receiver,
 * any number of times) and reads the result, which the close published.
 * GetWithTimeout selects between done and time.After (weft_after): on
 * timeout the caller gets an error but the function still runs, so the
 * program must still collect it later (here: it releases the slow function
 * and calls Get), or the thread would outlive everything. No sleep decides
 * anything: the slow function waits on a channel main closes after its
 * timeout has been seen. */
#include <stdio.h>

#include <weft/weft.h>

struct future {
    int (*fn)(void *arg, void *result);
    void *arg;
    void *result; /* where fn writes */
    int err;
    weft_chan *done;
};

static void future_run(void *arg) {
    struct future *f = arg;
    f->err = f->fn(f->arg, f->result);
    weft_chan_close(f->done); /* publishes result and err */
}

static void future_start(struct future *f, int (*fn)(void *, void *), void *arg, void *result) {
    *f = (struct future){fn, arg, result, 0, weft_chan_make(0, 0)};
    weft_go(future_run, f);
}

static int future_get(struct future *f) {
    weft_chan_recv(f->done, NULL);
    return f->err;
}

static int future_get_with_timeout(struct future *f, int64_t timeout_ns) {
    weft_chan *timeout = weft_after(timeout_ns);
    weft_case cases[] = {{f->done, WEFT_RECV, NULL, 0}, {timeout, WEFT_RECV, NULL, 0}};
    int which = weft_select(cases, 2, 0);
    weft_chan_free(timeout); /* stops the timer if it had not fired */
    return which == 0 ? f->err : WEFT_ETIMEDOUT;
}

static void future_free(struct future *f) {
    weft_chan_free(f->done);
}

/* The simulated database calls. */
static int fetch_user_from_db(void *arg, void *result) {
    (void)arg;
    *(const char **)result = "Alice";
    return 0;
}

static int fetch_orders_from_db(void *arg, void *result) {
    (void)arg;
    const char **orders = result;
    orders[0] = "order1";
    orders[1] = "order2";
    return 0;
}

static int slow_report(void *arg, void *result) {
    weft_chan_recv(arg, NULL); /* slow: until main lets it finish */
    *(int *)result = 42;
    return 0;
}

int main(void) {
    const char *user = NULL, *orders[2] = {0};
    struct future uf, of;
    /* Fire off concurrent work, collect the results later. */
    future_start(&uf, fetch_user_from_db, NULL, &user);
    future_start(&of, fetch_orders_from_db, NULL, orders);
    if (future_get(&uf) == 0)
        printf("user: %s\n", user);
    if (future_get_with_timeout(&of, 1000 * 1000000LL) == 0)
        printf("orders: [%s %s]\n", orders[0], orders[1]);

    /* A future slower than the caller's patience. */
    weft_chan *release = weft_chan_make(0, 0);
    int report = 0;
    struct future sf;
    future_start(&sf, slow_report, release, &report);
    if (future_get_with_timeout(&sf, 100 * 1000000LL) == WEFT_ETIMEDOUT)
        printf("report: future timed out after 100ms\n");
    weft_chan_close(release);
    if (future_get(&sf) == 0)
        printf("report, collected later: %d\n", report);

    future_free(&uf);
    future_free(&of);
    future_free(&sf);
    weft_chan_free(release);
    return 0;
}
/* SPDX-License-Identifier: MIT */
