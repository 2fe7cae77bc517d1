/* SPDX-License-Identifier: MIT */
/* check.h: weft's in-test API, goleak-style. Take a baseline of the
 * process's live threads at the start of a test, and at its end assert that
 * no thread alive then was added since, retrying briefly for threads that
 * are still on their way out:
 *
 *     weft_check_baseline *b = weft_check_baseline_take();
 *     ... the code under test, which starts threads ...
 *     WEFT_CHECK_NO_LEAKS(b);          (in a Check test), or
 *     if (weft_check_no_new_threads(b, 0, stderr) != 0) fail...
 *     weft_check_baseline_free(b);
 *
 * A leak is a thread that is alive (an OS task of this process), whether
 * joinable or detached: weft_go threads are detached, and a detached
 * thread blocked forever is the classic leak. Each leaked thread is named
 * in the report with its OS tid, its name (/proc comm) and, when the
 * program runs under weft's recorder (libweft-preload.so, `weft run`), the
 * function it started in, its creation stack, and what it is blocked in
 * and on which object (with that object's creation stack); without the
 * recorder, its kernel wait channel, state and system call.
 *
 * libweft's own threads (its timer thread, which exits by itself when no
 * deadline is pending, and the recorder's thread) are never reported.
 *
 * Check (libcheck) forks each test by default: take the baseline inside the
 * test, or in a checked fixture (tcase_add_checked_fixture), which run in
 * the forked child, never in an unchecked fixture or before srunner_run
 * (those run in the parent: the child's threads are other tasks).
 *
 * Thread safety: every function may be called from any thread, on the same
 * baseline concurrently. The thread that calls weft_check_no_new_threads
 * is never reported itself.
 *
 * Link with libweft (-lweft). Part of weft; see docs/check.md. */
#ifndef WEFT_CHECK_H
#define WEFT_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <weft/weft.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_check_baseline weft_check_baseline;

/* Snapshot of the live threads of the process (every task of
 * /proc/self/task). NULL with errno set if it could not be taken. */
WEFT_API weft_check_baseline *weft_check_baseline_take(void);

/* 0 when every thread alive now was in the baseline (or is ignored),
 * retrying until timeout_ns has passed (<= 0: the default, 1 s) while
 * threads are still exiting. Otherwise the number of leaked threads (> 0),
 * with a report written to `report` when it is not NULL. -1 (and a line in
 * the report) when the check could not be made: b is NULL, the baseline
 * was taken in another process (a Check fork), or /proc is unreadable. */
WEFT_API int weft_check_no_new_threads(const weft_check_baseline *b, int64_t timeout_ns,
                                       FILE *report);

/* The same, with the report written into buf (always NUL-terminated when
 * len > 0, cut at len - 1 bytes). For assertion macros and callers that
 * would rather not use stdio. */
WEFT_API int weft_check_no_new_threads_buf(const weft_check_baseline *b, int64_t timeout_ns,
                                           char *buf, size_t len);

WEFT_API void weft_check_baseline_free(weft_check_baseline *b);

/* Adds every thread alive now to the baseline (goleak's IgnoreCurrent):
 * threads started since the baseline was taken and still running are
 * tolerated from now on. Returns the number of threads added, or -1 (errno
 * set). */
WEFT_API int weft_check_ignore_current(weft_check_baseline *b);

/* Ignores, at every later check, threads whose name (/proc comm, at most
 * 15 characters, as set by pthread_setname_np) matches the fnmatch(3) glob.
 * Returns 0, or -1 (errno: EINVAL for NULL arguments, ENOMEM). */
WEFT_API int weft_check_ignore_name(weft_check_baseline *b, const char *glob);

/* The default timeout of weft_check_no_new_threads, in ns. */
#define WEFT_CHECK_DEFAULT_TIMEOUT_NS ((int64_t)1000000000)

/* For Check tests (include <check.h> first): fails the current test with
 * the report when threads leaked since the baseline `b`. In a Check test
 * with the default fork mode, `b` must have been taken in the same test
 * (or a checked fixture). The report is cut to about 4 KiB, Check's own
 * limit on a message being 8 KiB. */
#define WEFT_CHECK_NO_LEAKS(b) WEFT_CHECK_NO_LEAKS_TIMEOUT((b), 0)
#define WEFT_CHECK_NO_LEAKS_TIMEOUT(b, timeout_ns)                                                 \
    do {                                                                                           \
        char weft_check_msg_[4096];                                                                \
        int weft_check_n_ = weft_check_no_new_threads_buf((b), (timeout_ns), weft_check_msg_,      \
                                                          sizeof weft_check_msg_);                 \
        if (weft_check_n_ != 0)                                                                    \
            ck_abort_msg("%s", weft_check_msg_);                                                   \
    } while (0)

#ifdef __cplusplus
}
#endif

#endif /* WEFT_CHECK_H */
