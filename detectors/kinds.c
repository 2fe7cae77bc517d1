/* SPDX-License-Identifier: MIT */
/* kinds.c: the catalogue of finding kinds, the one list of them: name,
 * default severity, whether the detector is exact (happens-before or an
 * error the call returned) or a heuristic, and the words every report
 * shows with a finding (a title, what goes wrong, how to fix it).
 * Suppression files check their kinds here; SARIF makes a rule of each
 * entry; the HTML report shows the explanation next to each finding. */
#include <string.h>

#include "detectors.h"

static const struct weft_kind_info catalogue[] = {
    {"leaked-thread", "error", "exact", "Leaked thread",
     "A thread was still running or blocked when its process exited, and nothing was "
     "going to wake it: like a goroutine leak in Go, its work was lost and, in a "
     "long-running program, the thread and everything it holds stay forever.",
     "Give every thread a way to finish: close the channel it ranges over, cancel the "
     "context it watches (weft_ctx_cancel), make the result channel buffered so a "
     "send nobody reads cannot block, and join or wait for the thread before exit."},
    {"unjoined-thread", "error", "exact", "Thread never joined",
     "A joinable thread finished but was never joined nor detached: its stack and "
     "descriptor stay allocated until the process ends (ThreadSanitizer's thread leak).",
     "Join the thread (pthread_join) where its result is needed, or detach it "
     "(pthread_detach, or create it detached) when nobody waits for it."},
    {"double-close", "error", "exact", "Channel or descriptor closed twice",
     "A channel, or a pipe or socket descriptor, was closed a second time. In Go this "
     "panics; with descriptors it can close a file another thread just opened under "
     "the same number.",
     "Give each channel one owner that closes it, once (the sender side), or guard the "
     "close with a once (pthread_once, or an atomic flag set by the closer). Close a "
     "descriptor once and forget its number."},
    {"send-on-closed", "error", "exact", "Send on a closed channel",
     "A value was sent on a channel that was already closed (or written to a pipe whose "
     "reader is gone): in Go this panics, and the value is lost.",
     "Close a channel only from its sender, after the last send; with several senders, "
     "wait for all of them (a WaitGroup) and close once after."},
    {"wg-add-concurrent-with-wait", "error", "exact", "WaitGroup Add concurrent with Wait",
     "An Add that starts a WaitGroup's count from zero is not ordered before a Wait of "
     "another thread: the Wait may return before the work it should wait for has begun.",
     "Call Add in the thread that will Wait, before starting the worker (not inside the "
     "worker)."},
    {"wg-negative-counter", "error", "exact", "WaitGroup counter below zero",
     "Done (or Add with a negative delta) was called more times than Add: Go panics "
     "with \"negative WaitGroup counter\".",
     "Pair every Done with exactly one Add: Add(n) for n workers, one Done per worker, "
     "on every path."},
    {"wg-reused-before-wait-returned", "error", "exact", "WaitGroup reused before Wait returned",
     "A WaitGroup's count was started again from zero while a Wait on its previous "
     "round had not returned: Go panics (\"WaitGroup is reused before previous Wait "
     "has returned\").",
     "Let every Wait of a round return before the next round's Add, or use a new "
     "WaitGroup per round."},
    {"deadlock", "error", "exact", "Deadlock",
     "Every thread of the process was blocked and none could wake another: the "
     "watchdog ended the program (Go's \"all goroutines are asleep - deadlock!\").",
     "Look at what each thread waits on: a receive nobody sends to, locks taken in "
     "opposite orders, a Wait whose Done never comes. Break the cycle."},
    {"loop-variable-capture", "warning", "heuristic", "Loop variable shared with threads",
     "Threads created in a loop got a pointer to the same variable of the creator's "
     "stack, which the loop changed before the threads read it: they may all see the "
     "last value (the loop-variable capture of Go before 1.22).",
     "Pass each thread its own copy: the value itself cast to a pointer, an element of "
     "an array indexed by the loop counter, or a heap copy the thread frees."},
    {"lock-held-at-exit", "error", "exact", "Lock held when a thread exited",
     "A thread returned, called pthread_exit or was cancelled with a mutex still "
     "locked: no one can unlock it and the next thread that locks it waits forever.",
     "Unlock on every path out of the critical section (each early return and error "
     "path), or use a cleanup handler for cancellation."},
    {"lock-order-inversion", "error", "exact", "Locks taken in inconsistent orders",
     "Threads took the same locks in different orders (one took A then B, another B then "
     "A), with nothing else keeping them apart: on another schedule each holds one lock "
     "and waits forever for the other's, even though this run did not hang "
     "(ThreadSanitizer's lock-order-inversion, Helgrind's lock order violated).",
     "Take the locks in one global order everywhere (by rank or by address), take them "
     "under one outer lock, or take the second one with a trylock and back off (unlock "
     "and retry) when it is busy."},
    {"semaphore-over-release", "error", "exact", "Semaphore released more than acquired",
     "A weighted semaphore was released for more than was acquired: Go's "
     "semaphore.Weighted panics.",
     "Release exactly what each Acquire took, once, on every path."},
    {"close-by-receiver", "warning", "heuristic", "Channel closed by its receiver",
     "A channel was closed by a thread that only ever received from it: a sender that "
     "still sends will fail (a send on a closed channel).",
     "Let the sender close the channel; to stop senders from the receiving side, cancel "
     "a context or close a separate done channel they select on."},
    {"unbounded-threads", "warning", "heuristic", "Too many threads at once",
     "More threads were alive at once than --max-threads allows: a thread per request "
     "or item without a bound exhausts memory and the scheduler under load.",
     "Bound the concurrency: a worker pool, a semaphore (weft_sem) or an errgroup with "
     "SetLimit."},
};

const struct weft_kind_info *weft_kinds(int *n) {
    *n = (int)(sizeof catalogue / sizeof *catalogue);
    return catalogue;
}

const struct weft_kind_info *weft_kind_info(const char *name) {
    for (size_t i = 0; name && i < sizeof catalogue / sizeof *catalogue; i++)
        if (!strcmp(catalogue[i].name, name))
            return &catalogue[i];
    return NULL;
}
