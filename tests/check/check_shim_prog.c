/* check_shim_prog.c: <weft/check.h> under weft's recorder (run with
 * LD_PRELOAD=libweft-preload.so by CTest, label `harness`). A weft_go
 * worker blocks for good on a channel made in make_the_channel(), and a
 * pthread blocks on a mutex main holds; the report must name each one's
 * start routine and creation stack, the call it is blocked in and the
 * object, with the channel's creation stack. libweft's timer thread (a
 * pending deadline) must not be reported. Then everything is unblocked
 * and the check passes. Exits 0 when all holds; prints the report.
 * CHECK_SHIM_FILL=N: N semaphore posts and a sleep first, so that under
 * weft run the copier of the log's staging slots has taken the log on
 * (a second chunk claimed) before the threads start: their records are
 * then in slots, which the report must read too. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <weft/check.h>

#define MS ((int64_t)1000000)

static int failures;
#define EXPECT(cond, ...)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                        \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

weft_chan *make_the_channel(void);
void leaky_worker(void *arg);
void start_the_worker(weft_chan *ch);
void *mutex_waiter(void *arg);
weft_ctx *make_the_context(void);
void select_worker(void *arg);

/* Non-static and not inlined: dladdr names only exported symbols (the
 * program is linked with -rdynamic). */
__attribute__((noinline)) weft_chan *make_the_channel(void) {
    return weft_chan_make(sizeof(int), 0);
}

void leaky_worker(void *arg) {
    int v;
    weft_chan_recv(arg, &v);
}

__attribute__((noinline)) void start_the_worker(weft_chan *ch) {
    if (weft_go(leaky_worker, ch) != 0)
        abort();
}

__attribute__((noinline)) weft_ctx *make_the_context(void) {
    return weft_ctx_with_cancel(NULL);
}

static weft_chan *never; /* nobody sends on it */

void select_worker(void *arg) {
    weft_case cases[2] = {{weft_ctx_done(arg), WEFT_RECV, NULL, 0}, {never, WEFT_RECV, NULL, 0}};
    weft_select(cases, 2, 0);
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

void *mutex_waiter(void *arg) {
    (void)arg;
    pthread_mutex_lock(&mu);
    pthread_mutex_unlock(&mu);
    return NULL;
}

int main(void) {
    const char *fill = getenv("CHECK_SHIM_FILL");
    if (fill && atol(fill) > 0) {
        sem_t s;
        sem_init(&s, 0, 0);
        for (long i = 0; i < atol(fill); i++)
            sem_post(&s);
        usleep(200000);
    }
    void *sym = dlsym(RTLD_DEFAULT, "weft__check_describe");
    EXPECT(sym != NULL, "the recorder is not loaded (LD_PRELOAD?)");

    weft_check_baseline *b = weft_check_baseline_take();
    EXPECT(b != NULL, "no baseline");
    weft_ctx *ctx = weft_ctx_with_timeout(NULL, 60000 * MS); /* timer thread */
    weft_chan *ch = make_the_channel();
    start_the_worker(ch);
    never = weft_chan_make(sizeof(int), 0);
    weft_ctx *c2 = make_the_context();
    if (weft_go(select_worker, c2) != 0)
        abort();
    pthread_mutex_lock(&mu);
    pthread_t mt;
    pthread_create(&mt, NULL, mutex_waiter, NULL);
    usleep(100000); /* let both reach their waits */

    static char rep[32768];
    int n = weft_check_no_new_threads_buf(b, 300 * MS, rep, sizeof rep);
    printf("%s", rep);
    EXPECT(n == 3, "leaks: %d", n);
    EXPECT(strstr(rep, "started in select_worker") != NULL, "select worker");
    EXPECT(strstr(rep, "blocked in weft_select on 2 case(s)") != NULL, "select wait");
    EXPECT(strstr(rep, "the done channel of context 0x") != NULL, "the done channel");
    EXPECT(strstr(rep, "make_the_context+0x") != NULL, "the context's creation stack");
    EXPECT(strstr(rep, "started in leaky_worker") != NULL, "start routine");
    EXPECT(strstr(rep, "by weft_go") != NULL, "the API");
    EXPECT(strstr(rep, "start_the_worker+0x") != NULL, "creation stack");
    EXPECT(strstr(rep, "blocked in weft_chan_recv on channel 0x") != NULL, "what it waits in");
    EXPECT(strstr(rep, "make_the_channel+0x") != NULL, "the channel's creation stack");
    EXPECT(strstr(rep, "started in mutex_waiter") != NULL, "pthread start routine");
    EXPECT(strstr(rep, "by pthread_create") != NULL, "pthread");
    EXPECT(strstr(rep, "blocked in pthread_mutex_lock on mutex 0x") != NULL, "mutex wait");
    EXPECT(strstr(rep, "(check_shim_prog)") != NULL, "module names");
    EXPECT(strstr(rep, "weft-timer") == NULL, "the timer thread was reported");

    weft_chan_close(ch);
    weft_ctx_cancel(c2);
    pthread_mutex_unlock(&mu);
    pthread_join(mt, NULL);
    n = weft_check_no_new_threads(b, 0, stdout);
    EXPECT(n == 0, "still %d after unblocking", n);
    weft_ctx_cancel(ctx);
    weft_ctx_free(ctx);
    weft_chan_free(ch);
    weft_chan_free(never);
    weft_ctx_free(c2);
    EXPECT(weft_check_no_new_threads(b, 0, stdout) == 0, "after the context");
    weft_check_baseline_free(b);
    const char *log = getenv("WEFT_LOG");
    if (log && *log && getenv("CHECK_SHIM_RM_LOG"))
        unlink(log); /* still mapped: the recorder goes on writing into it */
    printf("%s\n", failures ? "FAILED" : "OK");
    return failures ? 1 : 0;
}
/* SPDX-License-Identifier: MIT */
