/* shim_weft.c: interposers for libweft's happens-before annotations,
 * weft__hb_release/acquire(obj, seq): each an exact edge that the
 * detectors' vector clocks consume. (The interposers of the public weft_*
 * calls are the next step; see docs/harness.md.) */
#include "shim.h"

static void (*r_release)(const void *, uint64_t);
static void (*r_acquire)(const void *, uint64_t);

WEFT_EXPORT void weft__hb_release(const void *obj, uint64_t seq);
WEFT_EXPORT void weft__hb_acquire(const void *obj, uint64_t seq);

WEFT_EXPORT void weft__hb_release(const void *obj, uint64_t seq) {
    WEFT_REAL(void, r_release, "weft__hb_release");
    WEFT_RECORD(weft__emit(WEFT_K_HB_RELEASE, (uint64_t)(uintptr_t)obj, seq, 0, 0, 0));
    if (r_release)
        r_release(obj, seq);
}

WEFT_EXPORT void weft__hb_acquire(const void *obj, uint64_t seq) {
    WEFT_REAL(void, r_acquire, "weft__hb_acquire");
    if (r_acquire)
        r_acquire(obj, seq);
    WEFT_RECORD(weft__emit(WEFT_K_HB_ACQUIRE, (uint64_t)(uintptr_t)obj, seq, 0, 0, 0));
}
