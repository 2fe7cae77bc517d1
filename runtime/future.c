/* SPDX-License-Identifier: MIT */
/* future.c: futures: a function run on its own thread whose result and
 * return code any number of threads can wait for, with or without a
 * timeout.
 *
 * The worker fills the result, stores the code and closes a done channel;
 * getters wait for that close with the internal channel wait, so the
 * close-to-receive edge that chan.c announces is the happens-before edge
 * from the function's writes to every get that returns them.
 *
 * The worker may still be inside the close (unlocking the channel, waking
 * getters) when a getter returns and the owner frees the future. So the
 * worker and the owner share the memory through a reference count of two,
 * and whichever lets go last frees it: free waits for fn, as its contract
 * says, but never for the worker thread's last instructions.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct weft_future {
    weft_chan *done;
    int (*fn)(void *arg, void *result);
    void *arg;
    _Atomic int code;      /* fn's return code, set before done closes */
    _Atomic uint32_t refs; /* the worker's and the owner's */
    size_t size;
    _Alignas(max_align_t) unsigned char result[];
};

/* The refcount is plain atomics, which Helgrind and DRD do not model, so
 * the annotations order each holder's accesses before the final free. */
static void unref(weft_future *f) {
    WEFT__VG_BEFORE(f);
    if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) == 1) {
        WEFT__VG_AFTER(f);
        weft__chan_free(f->done);
        free(f);
    }
}

static void future_main(void *p) {
    weft_future *f = p;
    int code = f->fn(f->arg, f->result);
    atomic_store_explicit(&f->code, code, memory_order_release);
    weft__chan_close(f->done);
    unref(f);
}

weft_future *weft_future_start(int (*fn)(void *arg, void *result), void *arg, size_t result_size) {
    if (!fn || result_size > SIZE_MAX - sizeof(weft_future))
        return NULL;
    weft_future *f = calloc(1, sizeof *f + result_size);
    if (!f)
        return NULL;
    f->done = weft__chan_new(0, 0);
    if (!f->done) {
        free(f);
        return NULL;
    }
    f->fn = fn;
    f->arg = arg;
    f->size = result_size;
    weft__vg_atomic_word(&f->code, sizeof f->code);
    weft__vg_atomic_word(&f->refs, sizeof f->refs);
    atomic_init(&f->refs, 2);
    if (weft__spawn(future_main, f) != 0) {
        weft__chan_free(f->done);
        free(f);
        return NULL;
    }
    return f;
}

static int get_until(weft_future *f, void *result, int64_t deadline_ns) {
    if (!f)
        return WEFT_EINVAL;
    if (weft__chan_wait_until(f->done, deadline_ns) == WEFT_ETIMEDOUT)
        return WEFT_ETIMEDOUT;
    if (result && f->size)
        memcpy(result, f->result, f->size);
    return atomic_load_explicit(&f->code, memory_order_acquire);
}

int weft_future_get(weft_future *f, void *result) {
    return get_until(f, result, INT64_MAX);
}

int weft_future_get_timeout(weft_future *f, void *result, int64_t timeout_ns) {
    return get_until(f, result, weft__deadline_after(timeout_ns));
}

void weft_future_free(weft_future *f) {
    if (!f)
        return;
    weft__chan_wait_until(f->done, INT64_MAX);
    unref(f);
}
