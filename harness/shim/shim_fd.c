/* SPDX-License-Identifier: MIT */
/* shim_fd.c: interposers for file descriptors used as channels: pipe,
 * pipe2, socketpair and eventfd make them; dup/dup2/dup3 copy them; close
 * ends them (close_range and closefrom only clear their bits, as do raw
 * close system calls through syscall(), stack.c). Their reads and writes
 * are shim_fd_io.c's.
 *
 * To keep ordinary files out of the trace, a lock-free bitmap marks the
 * fds that are channels; close and dup of other fds are not recorded,
 * except a close that fails with EBADF (a double close). The bitmap is
 * per process and inherited by a fork child, exactly like the fds. */
#include <linux/close_range.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shim.h"
#include "shim_fd.h"

uint64_t weft__fd_bits[WEFT_TRACKED_FDS / 64];

/* For close and dup an fd beyond the bitmap counts as tracked (cannot
 * tell: record; these calls are rare). */
static int is_tracked(int fd) {
    if (fd < 0)
        return 0;
    if (fd >= WEFT_TRACKED_FDS)
        return 1;
    return weft__fd_is_channel(fd);
}

static void track(int fd, int on) {
    if (fd < 0 || fd >= WEFT_TRACKED_FDS)
        return;
    uint64_t bit = 1ull << (fd % 64);
    if (on)
        __atomic_fetch_or(&weft__fd_bits[fd / 64], bit, __ATOMIC_RELAXED);
    else
        __atomic_fetch_and(&weft__fd_bits[fd / 64], ~bit, __ATOMIC_RELAXED);
}

static int (*r_pipe)(int[2]);
static int (*r_pipe2)(int[2], int);
static int (*r_socketpair)(int, int, int, int[2]);
static int (*r_eventfd)(unsigned, int);
static int (*r_close)(int);
static int (*r_dup)(int);
static int (*r_dup2)(int, int);
static int (*r_dup3)(int, int, int);

static void opened_pair(const int fds[2], uint32_t how) {
    track(fds[0], 1);
    track(fds[1], 1);
    WEFT_RECORD(uint32_t s = weft__stack();
                weft__emit(WEFT_K_FD_OPEN, (uint64_t)fds[0], (uint64_t)fds[1], 0, s, how);
                weft__emit(WEFT_K_FD_OPEN, (uint64_t)fds[1], (uint64_t)fds[0], 1, s, how));
}

WEFT_EXPORT int pipe(int fds[2]) {
    WEFT_REAL(void, r_pipe, "pipe");
    int r = r_pipe(fds);
    if (r == 0)
        opened_pair(fds, WEFT_FD_PIPE);
    return r;
}

WEFT_EXPORT int pipe2(int fds[2], int flags) {
    WEFT_REAL(void, r_pipe2, "pipe2");
    if (weft__t.unwinding) { /* libunwind's pipe: no fds (stack.c) */
        weft__unwind_pipe2(fds);
        return 0;
    }
    int r = r_pipe2(fds, flags);
    if (r == 0)
        opened_pair(fds, WEFT_FD_PIPE2);
    return r;
}

WEFT_EXPORT int socketpair(int domain, int type, int proto, int fds[2]) {
    WEFT_REAL(void, r_socketpair, "socketpair");
    int r = r_socketpair(domain, type, proto, fds);
    if (r == 0)
        opened_pair(fds, WEFT_FD_SOCKETPAIR);
    return r;
}

WEFT_EXPORT int eventfd(unsigned initval, int flags) {
    WEFT_REAL(void, r_eventfd, "eventfd");
    int fd = r_eventfd(initval, flags);
    if (fd >= 0) {
        track(fd, 1);
        WEFT_RECORD(weft__emit(WEFT_K_FD_OPEN, (uint64_t)fd, (uint64_t)-1, 0, weft__stack(),
                               WEFT_FD_EVENTFD));
    }
    return fd;
}

WEFT_EXPORT int close(int fd) {
    WEFT_REAL(void, r_close, "close");
    if (fd >= WEFT_UNWIND_FD && weft__t.unwinding)
        return 0; /* libunwind's faked pipe (stack.c) */
    int was = is_tracked(fd);
    int r = r_close(fd);
    int e = errno;
    if (was && !(r != 0 && e == EINTR)) /* Linux frees the fd even on EINTR... but EIO too */
        track(fd, 0);
    if (was || (r != 0 && e == EBADF))
        WEFT_RECORD(weft__emit(WEFT_K_FD_CLOSE, (uint64_t)fd, r == 0 ? 0 : (uint64_t)(int64_t)-e, 0,
                               weft__stack(), 0));
    return r;
}

static int dup_common(int oldfd, int newfd, int r, int replaced) {
    if (r >= 0 && (is_tracked(oldfd) || replaced)) {
        track(r, is_tracked(oldfd));
        WEFT_RECORD(weft__emit(WEFT_K_FD_DUP, (uint64_t)r, (uint64_t)oldfd, (uint64_t)newfd,
                               weft__stack(), 0));
    }
    return r;
}

WEFT_EXPORT int dup(int oldfd) {
    WEFT_REAL(void, r_dup, "dup");
    int r = r_dup(oldfd);
    return dup_common(oldfd, -1, r, 0);
}

WEFT_EXPORT int dup2(int oldfd, int newfd) {
    WEFT_REAL(void, r_dup2, "dup2");
    int replaced = is_tracked(newfd) && newfd != oldfd;
    int r = r_dup2(oldfd, newfd);
    return dup_common(oldfd, newfd, r, replaced);
}

WEFT_EXPORT int dup3(int oldfd, int newfd, int flags) {
    WEFT_REAL(void, r_dup3, "dup3");
    int replaced = is_tracked(newfd);
    int r = r_dup3(oldfd, newfd, flags);
    return dup_common(oldfd, newfd, r, replaced);
}

void weft__fd_closed_range(unsigned first, unsigned last, unsigned flags) {
#ifdef CLOSE_RANGE_CLOEXEC
    if (flags & CLOSE_RANGE_CLOEXEC)
        return; /* only marked close-on-exec */
#else
    (void)flags;
#endif
    if (first >= WEFT_TRACKED_FDS || last < first)
        return;
    if (last >= WEFT_TRACKED_FDS)
        last = WEFT_TRACKED_FDS - 1;
    for (unsigned w = first / 64; w <= last / 64; w++) {
        unsigned lo = w == first / 64 ? first % 64 : 0, hi = w == last / 64 ? last % 64 : 63;
        uint64_t mask = (hi == 63 ? ~0ull : (1ull << (hi + 1)) - 1) & ~((1ull << lo) - 1);
        if (__atomic_load_n(&weft__fd_bits[w], __ATOMIC_RELAXED) & mask)
            __atomic_fetch_and(&weft__fd_bits[w], ~mask, __ATOMIC_RELAXED);
    }
}

static int (*r_close_range)(unsigned, unsigned, int);
static void (*r_closefrom)(int);

WEFT_EXPORT int close_range(unsigned first, unsigned last, int flags) {
    WEFT_REAL(void, r_close_range, "close_range");
    int r = r_close_range(first, last, flags);
    if (r == 0)
        weft__fd_closed_range(first, last, (unsigned)flags);
    return r;
}

WEFT_EXPORT void closefrom(int lowfd) {
    WEFT_REAL(void, r_closefrom, "closefrom");
    r_closefrom(lowfd);
    if (lowfd >= 0)
        weft__fd_closed_range((unsigned)lowfd, ~0u, 0);
}
