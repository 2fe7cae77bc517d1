/* SPDX-License-Identifier: MIT */
/* shim_loader.c: interposers for the dynamic loader's entry points that
 * take its lock: dlopen and dlmopen (the module map changes: written
 * again), dlclose and dl_iterate_phdr. Each is counted while it runs
 * (weft__loader_enter/leave, modules.c), so that a fork child knows
 * whether a thread of its parent may have held the loader's lock at the
 * fork, and then never takes that lock itself (issue 9, item 2). */
#include <dlfcn.h>
#include <link.h>

#include "shim.h"

static void *(*real_dlopen)(const char *, int);
static void *(*real_dlmopen)(Lmid_t, const char *, int);
static int (*real_dlclose)(void *);
static int (*real_iterate)(int (*)(struct dl_phdr_info *, size_t, void *), void *);

WEFT_EXPORT void *dlopen(const char *file, int mode) {
    WEFT_REAL(void, real_dlopen, "dlopen");
    weft__loader_enter();
    void *h = real_dlopen(file, mode);
    weft__loader_leave();
    if (h)
        WEFT_RECORD(weft__modules_emit());
    return h;
}

WEFT_EXPORT void *dlmopen(Lmid_t lmid, const char *file, int mode) {
    WEFT_REAL(void, real_dlmopen, "dlmopen");
    weft__loader_enter();
    void *h = real_dlmopen(lmid, file, mode);
    weft__loader_leave();
    if (h)
        WEFT_RECORD(weft__modules_emit());
    return h;
}

WEFT_EXPORT int dlclose(void *h) {
    WEFT_REAL(void, real_dlclose, "dlclose");
    weft__loader_enter();
    int r = real_dlclose(h);
    weft__loader_leave();
    weft__stack_code_changed(); /* another module may come where it was */
    return r;
}

WEFT_EXPORT int dl_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *data) {
    WEFT_REAL(void, real_iterate, "dl_iterate_phdr");
    weft__loader_enter();
    int r = real_iterate(cb, data);
    weft__loader_leave();
    return r;
}
