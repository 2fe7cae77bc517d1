/* SPDX-License-Identifier: MIT */
/* weft_private/hooks.h: the hooks between libweft and weft's LD_PRELOAD
 * shim, and nothing else. libweft (runtime/hb.c) defines them and calls
 * them; the shim (harness/shim/shim_weft.c) interposes them by name. They
 * are exported from libweft.so, since interposing needs that, but no
 * program calls them: this header is not installed (only include/weft/
 * is), and the public weft.h declares no weft__ name (scripts/check-deps.sh
 * keeps both so). A tracer of its own may interpose them the same way, by
 * defining functions of these names and signatures in a preloaded library
 * (tests/integration/hb_count.c does). */
#ifndef WEFT_PRIVATE_HOOKS_H
#define WEFT_PRIVATE_HOOKS_H

#include <stdint.h>

#include <weft/weft.h> /* WEFT_API */

#ifdef __cplusplus
extern "C" {
#endif

/* libweft calls these at every exact happens-before edge: the release on
 * (obj, seq) happens before every acquire of the same (obj, seq). They do
 * nothing but issue Valgrind's ANNOTATE_HAPPENS_BEFORE/AFTER; they exist so
 * that the shim can interpose them, and are called through the PLT.
 * libweft skips the calls when, at load, neither an interposer of them nor
 * Valgrind is present. */
WEFT_API void weft__hb_release(const void *obj, uint64_t seq);
WEFT_API void weft__hb_acquire(const void *obj, uint64_t seq);
/* Called when the calling thread is about to queue itself on channel obj
 * and sleep (a send, receive or select that cannot complete now): under
 * the channel's lock, before the release of the waiter's ticket, so that
 * a tracer learns that an operation waits without first trying it. A
 * no-op in libweft. */
WEFT_API void weft__hb_block(const void *obj);
/* Called after weft__hb_block's operation let go of the channels' locks,
 * just before the thread sleeps (obj: the channel, or a select's first):
 * a tracer does there what need not hold up the threads waiting for those
 * locks (weft's shim: the stack of the operation's begin record). A no-op
 * in libweft. */
WEFT_API void weft__hb_wait(const void *obj);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_PRIVATE_HOOKS_H */
