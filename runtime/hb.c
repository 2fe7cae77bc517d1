/* hb.c: the exported happens-before hooks.
 *
 * libweft calls weft__hb_release/acquire at every exact happens-before
 * edge it creates. They are real exported functions, kept out of line and
 * called through the PLT, so that weft's LD_PRELOAD shim can interpose them
 * and rebuild the edges; on their own they only forward to Valgrind, so that
 * Helgrind and DRD see libweft's synchronisation too. */
#include "internal.h"

/* noinline keeps the call in place even within this file; the build uses
 * -fsemantic-interposition so gcc and clang both call them via the PLT. */
__attribute__((noinline)) void weft__hb_release(const void *obj, uint64_t seq) {
    (void)seq;
    WEFT__VG_BEFORE(obj);
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void weft__hb_acquire(const void *obj, uint64_t seq) {
    (void)seq;
    WEFT__VG_AFTER(obj);
    __asm__ volatile("" ::: "memory");
}
