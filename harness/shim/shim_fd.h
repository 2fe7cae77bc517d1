/* SPDX-License-Identifier: MIT */
/* shim_fd.h: the shim's bitmap of the fds that are channels (pipes,
 * socketpairs, eventfds and their dups), kept by shim_fd.c and read by
 * the interposers of data calls (shim_fd_io.c). Lock-free: one relaxed
 * atomic word per 64 fds; per process and inherited by a fork child,
 * exactly like the fds themselves. */
#ifndef WEFT_HARNESS_SHIM_FD_H
#define WEFT_HARNESS_SHIM_FD_H

#include <stdint.h>

#include "shim.h"

#define WEFT_TRACKED_FDS 65536
extern uint64_t weft__fd_bits[WEFT_TRACKED_FDS / 64] WEFT_HIDDEN;

/* Whether fd is a channel fd. Exact: an fd beyond the bitmap is not one
 * (the data calls must cost a plain file nothing but this test). */
static inline int weft__fd_is_channel(int fd) {
    return fd >= 0 && fd < WEFT_TRACKED_FDS &&
           ((__atomic_load_n(&weft__fd_bits[fd / 64], __ATOMIC_RELAXED) >> (fd % 64)) & 1);
}

/* fds first..last were closed behind close(): by close_range (flags: its
 * own; CLOSE_RANGE_CLOEXEC closes nothing), closefrom, or a raw system
 * call. Their bits go (no records: nothing of these calls is recorded).
 * Lock-free and async-signal-safe. */
void weft__fd_closed_range(unsigned first, unsigned last, unsigned flags) WEFT_HIDDEN;

#endif /* WEFT_HARNESS_SHIM_FD_H */
