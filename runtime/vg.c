/* SPDX-License-Identifier: MIT */
/* vg.c: Valgrind requests that differ between Helgrind and DRD.
 *
 * helgrind.h and drd.h define the same ANNOTATE_* macros differently, so
 * they cannot share a file; this one speaks DRD and Helgrind's raw client
 * requests side by side. Each tool ignores requests meant for the other.
 * It also owns weft__vg_on, the flag that keeps every request off the hot
 * paths outside Valgrind. */
#include <stddef.h>

#ifdef WEFT_VALGRIND
#include <valgrind/drd.h>
#include <valgrind/helgrind.h>
#endif

#include "internal.h"

#ifdef WEFT_VALGRIND
bool weft__vg_on;

/* Priority 101: before every default-priority constructor of libweft
 * (spin.c's marks a word atomic at load and must already see the flag). */
__attribute__((constructor(101))) static void vg_detect(void) {
    weft__vg_on = RUNNING_ON_VALGRIND;
}
#endif

void weft__vg_atomic_word_slow(const void *addr, size_t len) {
#ifdef WEFT_VALGRIND
    /* The word is only touched with atomic instructions, which neither
     * tool models as synchronisation; the data it guards is covered by the
     * happens-before annotations instead. */
    VALGRIND_HG_DISABLE_CHECKING(addr, len);
    VALGRIND_DO_CLIENT_REQUEST_STMT(VG_USERREQ__DRD_START_SUPPRESSION, addr, len, 0, 0, 0);
#else
    (void)addr;
    (void)len;
#endif
}
