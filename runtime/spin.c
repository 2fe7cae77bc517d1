/* spin.c: who may spin. A process-wide count of spinning threads, capped
 * at half the CPUs (at least one), as Go caps its spinning Ms: with more
 * spinners than that, the spinners would take the cores that the threads
 * they wait for need to run. */
#include <unistd.h>

#include "internal.h"

static _Atomic int spinners;
static _Atomic int max_spinners; /* 0 until first use */

static int spin_cap(void) {
    int cap = atomic_load_explicit(&max_spinners, memory_order_relaxed);
    if (cap == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        cap = cpus >= 4 ? (int)(cpus / 2) : 1;
        if (cpus == 1)
            cap = -1; /* one CPU: spinning can never help */
        atomic_store_explicit(&max_spinners, cap, memory_order_relaxed);
    }
    return cap;
}

bool weft__spin_begin(void) {
    int cap = spin_cap();
    if (cap < 0)
        return false;
    if (atomic_fetch_add_explicit(&spinners, 1, memory_order_relaxed) >= cap) {
        atomic_fetch_sub_explicit(&spinners, 1, memory_order_relaxed);
        return false;
    }
    return true;
}

void weft__spin_end(void) { atomic_fetch_sub_explicit(&spinners, 1, memory_order_relaxed); }
