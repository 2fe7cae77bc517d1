/* SPDX-License-Identifier: MIT */
/* shim_reuse.c: tells libweft not to reuse threads while we record.
 *
 * libweft keeps the thread of a finished goroutine and runs later
 * goroutines on it (runtime/spawn.c). The trace's unit is the thread: a
 * leaked goroutine is a thread still alive at exit, its creation stack is
 * the thread's, and a parked idle thread would look like a leak. So under
 * the recorder every weft_go, errgroup function and future gets a thread of
 * its own, as libweft asks this interposable hook before each spawn. */
#include "shim.h"

WEFT_EXPORT int weft__thread_reuse(void);
WEFT_EXPORT int weft__thread_reuse(void) {
    return 0;
}
