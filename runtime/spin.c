/* SPDX-License-Identifier: MIT */
/* spin.c: who may spin, and for how long.
 *
 * A process-wide count of spinning threads, capped at the number of CPUs:
 * with more spinners than cores, the spinners would take the cores that
 * the threads they wait for need to run. A tighter cap (Go's half the CPUs
 * for its spinning Ms) hurts here: in a ping-pong, the thread about to wait
 * often asks for a slot a few nanoseconds before its partner, just woken,
 * gives its own back, and a refusal costs a futex round trip. On a single
 * CPU nobody spins.
 *
 * The cap alone does not protect a program with more runnable threads than
 * cores (a three-stage pipeline on two CPUs): two spinners may hold both
 * cores while the thread they wait for sits runnable in a run queue, so
 * every wait burns its whole budget and then sleeps anyway. So the waits
 * that precede a sleep are adaptive (weft__spin_adaptive): each thread
 * keeps a budget per kind of wait that doubles when waiting paid off and
 * shrinks by a quarter when it ended in a sleep anyway, like an adaptive
 * mutex: a thread whose partners are rarely on a CPU goes to sleep almost
 * at once after a dozen waits, while one whose partner is only now and
 * then preempted keeps most of its budget. A wait starts with a burst of `pause`, which is all a
 * partner running on another core needs. Only the watch of a buffer goes on with sched_yield, which
 * hands the core to a runnable thread that may be the one that fills or drains it; a wait for a
 * wake-up does not, because on a machine busy with other programs a yield gives the core away for a
 * whole time slice, and the partner's wake-up then waits for us. */
#include <sched.h>
#include <stdint.h>
#include <unistd.h>

#include "internal.h"

/* What a partner running on another core needs to answer: a ping-pong
 * round trip is a few hundred nanoseconds. */
enum { PAUSE_NS = 1000 };

static _Atomic int spinners;
static int max_spinners;

/* Set once at load, before any thread of ours can spin, so the cap is a
 * plain read afterwards and Helgrind/DRD see no race on it. */
__attribute__((constructor)) static void spin_init(void) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    max_spinners = cpus <= 1 ? 0 : (int)cpus;
    weft__vg_atomic_word(&spinners, sizeof spinners);
}

bool weft__spin_begin(void) {
    if (atomic_fetch_add_explicit(&spinners, 1, memory_order_relaxed) >= max_spinners) {
        atomic_fetch_sub_explicit(&spinners, 1, memory_order_relaxed);
        return false;
    }
    return true;
}

void weft__spin_end(void) {
    atomic_fetch_sub_explicit(&spinners, 1, memory_order_relaxed);
}

bool weft__spin_adaptive(bool (*done)(const void *), const void *arg, weft__spin_budget *b,
                         int32_t max_ns, bool yield) {
    if (b->ns <= 0 || b->ns > max_ns)
        b->ns = max_ns;
    int32_t budget = b->ns;
    if (!weft__spin_begin())
        return done(arg);
    int64_t pause = !yield ? budget : budget < PAUSE_NS ? budget : PAUSE_NS;
    bool ok = weft__spin_for(done, arg, pause);
    if (!ok && budget > pause) {
        /* Yielding, not pausing: if the thread we wait for is runnable
         * on this CPU, it runs now; if nothing else is, sched_yield
         * returns at once and this is a slower spin. */
        int64_t end = weft__now() + (budget - pause);
        do {
            sched_yield();
            ok = done(arg);
        } while (!ok && weft__now() < end);
    }
    weft__spin_end();
    if (ok)
        b->ns = budget > max_ns / 2 ? max_ns : budget * 2;
    else
        b->ns = budget - budget / 4 < WEFT__SPIN_MIN_NS ? WEFT__SPIN_MIN_NS : budget - budget / 4;
    return ok;
}

/* The budget of the waits whose callers keep none of their own. */
static _Thread_local weft__spin_budget shared_budget;

bool weft__spin(bool (*done)(const void *), const void *arg, int64_t budget_ns) {
    int32_t max = budget_ns > INT32_MAX ? INT32_MAX : budget_ns < 1 ? 1 : (int32_t)budget_ns;
    return weft__spin_adaptive(done, arg, &shared_budget, max, false);
}
