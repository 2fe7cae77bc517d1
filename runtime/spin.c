/* spin.c: who may spin. A process-wide count of spinning threads, capped
 * at the number of CPUs: with more spinners than cores, the spinners would
 * take the cores that the threads they wait for need to run. A tighter cap
 * (Go's half the CPUs for its spinning Ms) hurts here: in a ping-pong, the
 * thread about to wait often asks for a slot a few nanoseconds before its
 * partner, just woken, gives its own back, and a refusal costs a futex
 * round trip. On a single CPU nobody spins. */
#include <unistd.h>

#include "internal.h"

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

void weft__spin_end(void) { atomic_fetch_sub_explicit(&spinners, 1, memory_order_relaxed); }
