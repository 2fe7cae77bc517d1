/* test_check.c: <weft/check.h> used from Check tests, as users will:
 * threads that finish (or are still finishing when the check starts) are
 * no leak; a thread blocked forever on a channel is, and the report names
 * it; idle threads libweft keeps for later goroutines are none, a leak on
 * a kept thread is one; ignore_name, ignore_current; libweft's timer thread is never a leak;
 * the check from other threads and concurrently; a baseline from another
 * process is refused; and WEFT_CHECK_NO_LEAKS fails a leaking Check test
 * (the child suite check_leaky, run and its output read). Every baseline
 * is taken inside its test: Check forks each test. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <weft/check.h>

#include "common.h"

#define MS ((int64_t)1000000)

extern char **environ;

/* ---- workers ---- */

struct blocker {
    weft_chan *ch;
    const char *name;
    ct_flag started;
    int tid;
};

static void block_on_chan(void *p) {
    struct blocker *b = p;
    pthread_setname_np(pthread_self(), b->name);
    b->tid = (int)syscall(SYS_gettid);
    ct_flag_add(&b->started, 1);
    int v;
    weft_chan_recv(b->ch, &v); /* until the channel is closed */
}

static void blocker_start(struct blocker *b, const char *name) {
    memset(b, 0, sizeof *b);
    pthread_mutex_init(&b->started.mu, NULL);
    pthread_cond_init(&b->started.cv, NULL);
    b->ch = weft_chan_make(sizeof(int), 0);
    b->name = name;
    ck_assert_int_eq(weft_go(block_on_chan, b), 0);
    ct_flag_wait_ge(&b->started, 1);
}

/* Unblocks it; the caller checks afterwards that it is gone. */
static void blocker_release(struct blocker *b) {
    weft_chan_close(b->ch);
}

static void blocker_free(struct blocker *b) {
    weft_chan_free(b->ch);
}

static void *quick(void *arg) {
    (void)arg;
    return NULL;
}

static void sleep_then_exit(void *arg) {
    ct_sleep_ms((long)(intptr_t)arg);
}

/* ---- tests ---- */

START_TEST(test_no_leak_joined) {
    weft_check_baseline *b = weft_check_baseline_take();
    ck_assert_ptr_nonnull(b);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, quick, NULL), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(weft_check_no_new_threads(b, 0, stderr), 0);
    WEFT_CHECK_NO_LEAKS(b);
    weft_check_baseline_free(b);
}
END_TEST

START_TEST(test_no_leak_still_exiting) {
    /* Detached threads that end 100 ms from now: alive when the check
     * starts, gone before its timeout. The check must wait for them. */
    weft_check_baseline *b = weft_check_baseline_take();
    ck_assert_ptr_nonnull(b);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(weft_go(sleep_then_exit, (void *)(intptr_t)100), 0);
    char buf[2048];
    /* With a 1 ns timeout they are still there: reported, one pass only. */
    ck_assert_int_eq(weft_check_no_new_threads_buf(b, 1, buf, sizeof buf), 3);
    ck_assert_ptr_nonnull(strstr(buf, "3 threads leaked"));
    int64_t t0 = ct_now_ns();
    ck_assert_int_eq(weft_check_no_new_threads(b, 5000 * MS, stderr), 0);
    int64_t took = ct_now_ns() - t0;
    ck_assert_msg(took < 3000 * MS, "the check took %lld ms", (long long)(took / MS));
    WEFT_CHECK_NO_LEAKS(b);
    weft_check_baseline_free(b);
}
END_TEST

START_TEST(test_leak_on_channel) {
    weft_check_baseline *b = weft_check_baseline_take();
    ck_assert_ptr_nonnull(b);
    struct blocker w;
    blocker_start(&w, "leaky-worker");
    char buf[8192];
    int64_t t0 = ct_now_ns();
    int n = weft_check_no_new_threads_buf(b, 200 * MS, buf, sizeof buf);
    int64_t took = ct_now_ns() - t0;
    ck_assert_msg(n == 1, "leaks: %d, report:\n%s", n, buf);
    ck_assert_msg(took >= 190 * MS, "gave up after %lld ms", (long long)(took / MS));
    char want[64];
    snprintf(want, sizeof want, "thread %d \"leaky-worker\"", w.tid);
    ck_assert_msg(strstr(buf, want), "no \"%s\" in:\n%s", want, buf);
    ck_assert_msg(strstr(buf, "1 thread leaked"), "report:\n%s", buf);
    /* The kernel's view is always there: state and system call. */
    ck_assert_msg(strstr(buf, "state "), "report:\n%s", buf);
    /* The FILE variant writes the same. */
    char *mem = NULL;
    size_t memlen = 0;
    FILE *f = open_memstream(&mem, &memlen);
    ck_assert_int_eq(weft_check_no_new_threads(b, 10 * MS, f), 1);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(mem, want));
    free(mem);
    /* NULL report: just the count. */
    ck_assert_int_eq(weft_check_no_new_threads(b, 10 * MS, NULL), 1);
    /* Unblocked: it ends, and the check waits for that. */
    blocker_release(&w);
    ck_assert_int_eq(weft_check_no_new_threads(b, 0, stderr), 0);
    blocker_free(&w);
    weft_check_baseline_free(b);
}
END_TEST

/* libweft keeps the threads of finished goroutines for the next ones
 * (runtime/spawn.c). An idle kept thread is no leak; a goroutine that
 * blocks forever on a kept thread is one, though the thread is older than
 * the baseline. */
int weft__thread_reuse(void); /* libweft's, interposed by the recorder */

struct tid_note {
    ct_flag done;
    int tid;
};

static void note_tid(void *p) {
    struct tid_note *n = p;
    n->tid = (int)syscall(SYS_gettid);
    ct_flag_add(&n->done, 1);
}

static void run_and_note(struct tid_note *n, int count) {
    for (int i = 0; i < count; i++) {
        memset(&n[i], 0, sizeof n[i]);
        pthread_mutex_init(&n[i].done.mu, NULL);
        pthread_cond_init(&n[i].done.cv, NULL);
        ck_assert_int_eq(weft_go(note_tid, &n[i]), 0);
        ct_flag_wait_ge(&n[i].done, 1);
    }
}

START_TEST(test_idle_kept_threads_not_leaks) {
    weft_check_baseline *b = weft_check_baseline_take();
    ck_assert_ptr_nonnull(b);
    struct tid_note n[4];
    run_and_note(n, 4);
    ck_assert_int_eq(weft_check_no_new_threads(b, 5000 * MS, stderr), 0);
    weft_check_baseline_free(b);
}
END_TEST

START_TEST(test_leak_on_kept_thread) {
    struct tid_note n[4];
    run_and_note(n, 4);
    ct_sleep_ms(20); /* they go idle */
    weft_check_baseline *b = weft_check_baseline_take();
    ck_assert_ptr_nonnull(b);
    struct blocker w;
    blocker_start(&w, "kept-leaker");
    int kept = 0;
    for (int i = 0; i < 4; i++)
        kept |= n[i].tid == w.tid;
    /* Under weft's recorder (check:test_check_shim) libweft keeps no
     * threads: each goroutine has its own. */
    if (weft__thread_reuse())
        ck_assert_msg(kept, "the blocking goroutine got a new thread, not a kept one");
    char buf[8192];
    int k = weft_check_no_new_threads_buf(b, 100 * MS, buf, sizeof buf);
    ck_assert_msg(k == 1, "leaks: %d, report:\n%s", k, buf);
    char want[64];
    snprintf(want, sizeof want, "thread %d \"kept-leaker\"", w.tid);
    ck_assert_msg(strstr(buf, want), "no \"%s\" in:\n%s", want, buf);
    blocker_release(&w);
    ck_assert_int_eq(weft_check_no_new_threads(b, 5000 * MS, stderr), 0);
    blocker_free(&w);
    weft_check_baseline_free(b);
}
END_TEST

START_TEST(test_small_buffer) {
    weft_check_baseline *b = weft_check_baseline_take();
    struct blocker w;
    blocker_start(&w, "cut-short");
    char buf[16];
    memset(buf, 'x', sizeof buf);
    ck_assert_int_eq(weft_check_no_new_threads_buf(b, 10 * MS, buf, sizeof buf), 1);
    ck_assert_uint_eq(strlen(buf), sizeof buf - 1);
    ck_assert_int_eq(weft_check_no_new_threads_buf(b, 10 * MS, NULL, 0), 1);
    blocker_release(&w);
    ck_assert_int_eq(weft_check_no_new_threads(b, 0, stderr), 0);
    blocker_free(&w);
    weft_check_baseline_free(b);
}
END_TEST

START_TEST(test_ignore_name) {
    weft_check_baseline *b = weft_check_baseline_take();
    ck_assert_int_eq(weft_check_ignore_name(b, "pool-*"), 0);
    ck_assert_int_eq(weft_check_ignore_name(b, "io-[0-9]"), 0);
    ck_assert_int_eq(weft_check_ignore_name(NULL, "x"), -1);
    ck_assert_int_eq(weft_check_ignore_name(b, NULL), -1);
    struct blocker p1, p2, io, other;
    blocker_start(&p1, "pool-1");
    blocker_start(&p2, "pool-worker-2");
    blocker_start(&io, "io-7");
    ck_assert_int_eq(weft_check_no_new_threads(b, 20 * MS, stderr), 0);
    blocker_start(&other, "other");
    char buf[4096];
    ck_assert_int_eq(weft_check_no_new_threads_buf(b, 20 * MS, buf, sizeof buf), 1);
    ck_assert_msg(strstr(buf, "\"other\"") && !strstr(buf, "pool-"), "report:\n%s", buf);
    blocker_release(&p1);
    blocker_release(&p2);
    blocker_release(&io);
    blocker_release(&other);
    ck_assert_int_eq(weft_check_no_new_threads(b, 0, stderr), 0);
    weft_check_baseline_free(b);
    blocker_free(&p1);
    blocker_free(&p2);
    blocker_free(&io);
    blocker_free(&other);
}
END_TEST

START_TEST(test_ignore_current) {
    weft_check_baseline *b = weft_check_baseline_take();
    struct blocker a, c;
    blocker_start(&a, "before-ignore");
    ck_assert_int_eq(weft_check_ignore_current(b), 1);
    ck_assert_int_eq(weft_check_ignore_current(b), 0);
    ck_assert_int_eq(weft_check_no_new_threads(b, 20 * MS, stderr), 0);
    blocker_start(&c, "after-ignore");
    char buf[4096];
    ck_assert_int_eq(weft_check_no_new_threads_buf(b, 20 * MS, buf, sizeof buf), 1);
    ck_assert_msg(strstr(buf, "\"after-ignore\"") && !strstr(buf, "before-ignore"), "report:\n%s",
                  buf);
    ck_assert_int_eq(weft_check_ignore_current(NULL), -1);
    blocker_release(&a);
    blocker_release(&c);
    ck_assert_int_eq(weft_check_no_new_threads(b, 0, stderr), 0);
    blocker_free(&a);
    blocker_free(&c);
    weft_check_baseline_free(b);
}
END_TEST

START_TEST(test_timer_thread_not_a_leak) {
    weft_check_baseline *b = weft_check_baseline_take();
    /* A deadline starts libweft's timer thread; it stays while the
     * deadline is pending and exits by itself after. Neither is a leak. */
    weft_ctx *ctx = weft_ctx_with_timeout(NULL, 10000 * MS);
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(weft_check_no_new_threads(b, 2000 * MS, stderr), 0);
    weft_ctx *fast = weft_ctx_with_timeout(NULL, 20 * MS);
    weft_chan *done = weft_ctx_done(fast);
    int v;
    ck_assert_int_eq(weft_chan_recv(done, &v), WEFT_ECLOSED);
    weft_ctx_cancel(ctx);
    weft_ctx_free(ctx);
    weft_ctx_free(fast);
    ck_assert_int_eq(weft_check_no_new_threads(b, 0, stderr), 0);
    weft_check_baseline_free(b);
}
END_TEST

/* The check from several threads at once, while others add globs. */
static weft_check_baseline *shared_b;
static ct_flag go_flag = CT_FLAG_INIT;
static ct_flag done_flag = CT_FLAG_INIT;
static int results[4];

static void *checker(void *arg) {
    int i = (int)(intptr_t)arg;
    ct_flag_wait_ge(&go_flag, 1);
    int bad = 0;
    for (int k = 0; k < 20; k++)
        bad += weft_check_no_new_threads(shared_b, 5 * MS, NULL) != 0;
    results[i] = bad;
    ct_flag_add(&done_flag, 1);
    return NULL;
}

START_TEST(test_concurrent_checks) {
    shared_b = weft_check_baseline_take();
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, checker, (void *)(intptr_t)i), 0);
    /* The checkers themselves are new threads: tolerate them. */
    ck_assert_int_eq(weft_check_ignore_current(shared_b), 4);
    ct_flag_add(&go_flag, 1);
    for (int k = 0; k < 50; k++) {
        char g[32];
        snprintf(g, sizeof g, "nothing-%d", k);
        ck_assert_int_eq(weft_check_ignore_name(shared_b, g), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(results[i], 0);
    ck_assert_int_eq(weft_check_no_new_threads(shared_b, 0, stderr), 0);
    weft_check_baseline_free(shared_b);
}
END_TEST

/* A check from a thread that is not in the baseline: it does not report
 * itself. */
static weft_check_baseline *other_b;
static void *check_from_new_thread(void *arg) {
    (void)arg;
    return (void *)(intptr_t)weft_check_no_new_threads(other_b, 10 * MS, stderr);
}

START_TEST(test_caller_not_reported) {
    other_b = weft_check_baseline_take();
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, check_from_new_thread, NULL), 0);
    void *r;
    pthread_join(t, &r);
    ck_assert_int_eq((int)(intptr_t)r, 0);
    weft_check_baseline_free(other_b);
}
END_TEST

START_TEST(test_other_process_refused) {
    weft_check_baseline *b = weft_check_baseline_take();
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        char buf[512];
        int r = weft_check_no_new_threads_buf(b, 10 * MS, buf, sizeof buf);
        _exit(r == -1 && strstr(buf, "same process") ? 0 : 1);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    char buf[256];
    ck_assert_int_eq(weft_check_no_new_threads_buf(NULL, 1, buf, sizeof buf), -1);
    weft_check_baseline_free(b);
    weft_check_baseline_free(NULL);
}
END_TEST

/* The macro fails a leaking Check test: run the child suite and read it. */
START_TEST(test_macro_fails_leaking_test) {
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    char *argv[] = {(char *)WEFT_CHECK_LEAKY, NULL};
    pid_t pid;
    ck_assert_int_eq(posix_spawn(&pid, WEFT_CHECK_LEAKY, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    static char out[65536];
    size_t have = 0;
    ssize_t r;
    while (have < sizeof out - 1 && (r = read(p[0], out + have, sizeof out - 1 - have)) > 0)
        have += (size_t)r;
    out[have] = 0;
    close(p[0]);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) != 0, "the leaky suite passed:\n%s", out);
    ck_assert_msg(strstr(out, "Checks: 3, Failures: 1, Errors: 0"), "output:\n%s", out);
    ck_assert_msg(strstr(out, "test_leaks:") && strstr(out, "1 thread leaked") &&
                      strstr(out, "\"leaked-one\""),
                  "output:\n%s", out);
    ck_assert_msg(!strstr(out, "test_clean:") && !strstr(out, "test_clean_fixture:"),
                  "a clean test failed:\n%s", out);
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("check");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_no_leak_joined);
    tcase_add_test(tc, test_no_leak_still_exiting);
    tcase_add_test(tc, test_leak_on_channel);
    tcase_add_test(tc, test_idle_kept_threads_not_leaks);
    tcase_add_test(tc, test_leak_on_kept_thread);
    tcase_add_test(tc, test_small_buffer);
    tcase_add_test(tc, test_ignore_name);
    tcase_add_test(tc, test_ignore_current);
    tcase_add_test(tc, test_timer_thread_not_a_leak);
    tcase_add_test(tc, test_concurrent_checks);
    tcase_add_test(tc, test_caller_not_reported);
    tcase_add_test(tc, test_other_process_refused);
    tcase_add_test(tc, test_macro_fails_leaking_test);
    suite_add_tcase(s, tc);
    return s;
}

/* Under the recorder (check:test_check_shim), its sparse log goes at the
 * end (while running, the check finds the log by its path). */
static void rm_log(void) {
    const char *log = getenv("WEFT_LOG");
    if (log && *log && getenv("CHECK_SHIM_RM_LOG"))
        unlink(log);
}

int main(void) {
    atexit(rm_log);
    SRunner *sr = srunner_create(make_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
/* SPDX-License-Identifier: MIT */
