/* SPDX-License-Identifier: MIT */
/* hb.c: the exported happens-before hooks.
 *
 * libweft calls weft__hb_release/acquire at every exact happens-before
 * edge it creates, weft__hb_block before a channel operation queues its
 * thread to sleep, and weft__hb_wait once it has let go of the channels'
 * locks, just before it sleeps. They are real exported functions, kept
 * out of line and called through the PLT, so that weft's LD_PRELOAD shim
 * can interpose them and rebuild the edges; on their own they only
 * forward to Valgrind, so that Helgrind and DRD see libweft's
 * synchronisation too.
 *
 * When nothing interposes them and Valgrind is absent, calling them is
 * pure cost, so weft__hb_on says at load whether anyone listens. An
 * LD_PRELOAD library is in the global lookup scope before libweft is even
 * loaded, so dlsym sees it at that moment; a library loaded later could
 * not take the hooks over anyway (libweft binds them to the first
 * definition in load order). */
#include <dlfcn.h>

#include "internal.h"

bool weft__hb_on = true;

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

__attribute__((noinline)) void weft__hb_block(const void *obj) {
    (void)obj;
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void weft__hb_wait(const void *obj) {
    (void)obj;
    __asm__ volatile("" ::: "memory");
}

/* libweft's own definitions, whatever the PLT resolves to. */
extern __typeof(weft__hb_release) weft__hb_release_own
    __attribute__((alias("weft__hb_release"), visibility("hidden")));
extern __typeof(weft__hb_acquire) weft__hb_acquire_own
    __attribute__((alias("weft__hb_acquire"), visibility("hidden")));
extern __typeof(weft__hb_block) weft__hb_block_own
    __attribute__((alias("weft__hb_block"), visibility("hidden")));
extern __typeof(weft__hb_wait) weft__hb_wait_own
    __attribute__((alias("weft__hb_wait"), visibility("hidden")));

/* After vg.c's priority-101 constructor (weft__vg_on is read here), before
 * any default-priority one. */
__attribute__((constructor(102))) static void hb_detect(void) {
    void *rel = dlsym(RTLD_DEFAULT, "weft__hb_release");
    void *acq = dlsym(RTLD_DEFAULT, "weft__hb_acquire");
    void *blk = dlsym(RTLD_DEFAULT, "weft__hb_block");
    void *wt = dlsym(RTLD_DEFAULT, "weft__hb_wait");
    bool ours = rel == (void *)weft__hb_release_own && acq == (void *)weft__hb_acquire_own &&
                blk == (void *)weft__hb_block_own && wt == (void *)weft__hb_wait_own;
#ifdef WEFT_VALGRIND
    weft__hb_on = !ours || weft__vg_on;
#else
    weft__hb_on = !ours;
#endif
}
