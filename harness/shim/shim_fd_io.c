/* SPDX-License-Identifier: MIT */
/* shim_fd_io.c: the data calls on file descriptors. On a channel fd
 * (shim_fd.h's bitmap: pipes, socketpairs, eventfds and their dups) a
 * read (read, readv, recv, recvfrom, recvmsg) or a write (write, writev,
 * send, sendto, sendmsg) that is about to block is recorded as a blocking
 * call: fd_read_begin / fd_write_begin with its stack, then the real
 * call, then the end with its result (bytes, or -errno). A thread leaked
 * in a pipe read is then reported at its read, like one leaked in a lock.
 * Independently, every write-side call that fails with EPIPE (the reader
 * is gone: a send on a closed channel) or EBADF is recorded as
 * fd_write_failed, whatever the fd.
 *
 * Any other fd (a file, a socket the program connected) costs the bitmap
 * test and nothing more. On a channel fd, "about to block" is asked of the
 * kernel without changing anything: poll with a zero timeout (not ready),
 * then fcntl(F_GETFL) (not O_NONBLOCK); a ready fd costs one poll. Neither
 * the fd's flags nor the call's result or errno are touched. The check
 * and the call are not one step: data that comes in between makes a wait
 * of zero length (harmless), and a reader that loses the data to another
 * reader in between blocks unrecorded (a gap, not a false wait). A write
 * larger than PIPE_BUF that fills the pipe midway blocks unrecorded too:
 * POLLOUT says only that some room is left.
 *
 * These waits never count for the deadlock watchdog: another process (a
 * fork child holding the other end, or anything the fd was passed to) or
 * a signal handler may end them, so a thread in one counts as running and
 * no deadlock verdict can rest on it. */
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "shim.h"
#include "shim_fd.h"

/* Whether a call on fd waiting for events (POLLIN or POLLOUT) would block
 * now; want > 0 (recv's MSG_WAITALL): also when fewer than want bytes
 * are there to read. Any doubt (an error) answers no. errno is kept. */
static int would_block(int fd, short events, size_t want) {
    int e = errno;
    struct pollfd p = {.fd = fd, .events = events};
    int r = poll(&p, 1, 0);
    int blocks = r == 0;
    if (r == 1 && want > 0 && !(p.revents & (POLLHUP | POLLERR | POLLNVAL))) {
        int avail = 0;
        blocks = ioctl(fd, FIONREAD, &avail) == 0 && avail >= 0 && (size_t)avail < want;
    }
    if (blocks) {
        int fl = fcntl(fd, F_GETFL);
        blocks = fl >= 0 && !(fl & O_NONBLOCK);
    }
    errno = e;
    return blocks;
}

/* Whether the call on fd must be checked at all: a channel fd, a recorder
 * ready, and not our own call. The cheap test comes first. */
static inline int watched(int fd) {
    return weft__fd_is_channel(fd) && __atomic_load_n(&weft__ready, __ATOMIC_ACQUIRE) &&
           !weft__t.in_shim;
}

static void begin(uint16_t kind, int fd, size_t n, uint64_t how) {
    WEFT_RECORD(weft__emit(kind, (uint64_t)fd, (uint64_t)n, how, weft__stack(), 0));
}

/* The end of a recorded wait: its result, bytes or -errno. errno is kept. */
static void end(uint16_t kind, int fd, ssize_t r, uint64_t how) {
    int64_t res = r < 0 ? -(int64_t)errno : (int64_t)r;
    WEFT_RECORD(weft__emit(kind, (uint64_t)fd, (uint64_t)res, how, 0, 0));
}

static size_t iov_bytes(const struct iovec *iov, int n) {
    size_t s = 0;
    for (int i = 0; iov && i < n; i++)
        s += iov[i].iov_len;
    return s;
}

/* One read-side call: CALL is the real call, evaluated once. */
#define READ_SIDE(fd, n, how, want, flags, CALL)                                                   \
    do {                                                                                           \
        if (!watched(fd) || ((flags)&MSG_DONTWAIT) || !would_block(fd, POLLIN, want))              \
            return CALL;                                                                           \
        begin(WEFT_K_FD_READ_BEGIN, fd, n, how);                                                   \
        ssize_t r_ = CALL;                                                                         \
        end(WEFT_K_FD_READ_END, fd, r_, how);                                                      \
        return r_;                                                                                 \
    } while (0)

/* A write-side call failed: record it when the failure is the peer gone
 * (EPIPE) or the fd not open (EBADF). how (arg2): WEFT_FDW_*. errno is
 * left as the call set it. */
static ssize_t wrote(int fd, ssize_t r, uint64_t how) {
    if (r < 0 && (errno == EPIPE || errno == EBADF)) {
        int e = errno;
        WEFT_RECORD(weft__emit(WEFT_K_FD_WRITE_FAIL, (uint64_t)fd, (uint64_t)(int64_t)-e, how,
                               weft__stack(), 0));
        errno = e;
    }
    return r;
}

#define WRITE_SIDE(fd, n, how, flags, CALL)                                                        \
    do {                                                                                           \
        if (!watched(fd) || ((flags)&MSG_DONTWAIT) || !would_block(fd, POLLOUT, 0))                \
            return wrote(fd, CALL, how);                                                           \
        begin(WEFT_K_FD_WRITE_BEGIN, fd, n, how);                                                  \
        ssize_t r_ = CALL;                                                                         \
        end(WEFT_K_FD_WRITE_END, fd, r_, how);                                                     \
        return wrote(fd, r_, how);                                                                 \
    } while (0)

static ssize_t (*r_read)(int, void *, size_t);
static ssize_t (*r_readv)(int, const struct iovec *, int);
static ssize_t (*r_recv)(int, void *, size_t, int);
static ssize_t (*r_recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
static ssize_t (*r_recvmsg)(int, struct msghdr *, int);

WEFT_EXPORT ssize_t read(int fd, void *buf, size_t n) {
    WEFT_REAL(void, r_read, "read");
    READ_SIDE(fd, n, WEFT_FDR_READ, 0, 0, r_read(fd, buf, n));
}

WEFT_EXPORT ssize_t readv(int fd, const struct iovec *iov, int n) {
    WEFT_REAL(void, r_readv, "readv");
    READ_SIDE(fd, iov_bytes(iov, n), WEFT_FDR_READV, 0, 0, r_readv(fd, iov, n));
}

WEFT_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags) {
    WEFT_REAL(void, r_recv, "recv");
    READ_SIDE(fd, n, WEFT_FDR_RECV, (flags & MSG_WAITALL) ? n : 0, flags,
              r_recv(fd, buf, n, flags));
}

WEFT_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *from,
                             socklen_t *fromlen) {
    WEFT_REAL(void, r_recvfrom, "recvfrom");
    READ_SIDE(fd, n, WEFT_FDR_RECVFROM, (flags & MSG_WAITALL) ? n : 0, flags,
              r_recvfrom(fd, buf, n, flags, from, fromlen));
}

WEFT_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
    WEFT_REAL(void, r_recvmsg, "recvmsg");
    size_t n = msg ? iov_bytes(msg->msg_iov, (int)msg->msg_iovlen) : 0;
    READ_SIDE(fd, n, WEFT_FDR_RECVMSG, (flags & MSG_WAITALL) ? n : 0, flags,
              r_recvmsg(fd, msg, flags));
}

static ssize_t (*r_write)(int, const void *, size_t);
static ssize_t (*r_writev)(int, const struct iovec *, int);
static ssize_t (*r_send)(int, const void *, size_t, int);
static ssize_t (*r_sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
static ssize_t (*r_sendmsg)(int, const struct msghdr *, int);

WEFT_EXPORT ssize_t write(int fd, const void *buf, size_t n) {
    WEFT_REAL(void, r_write, "write");
    WRITE_SIDE(fd, n, WEFT_FDW_WRITE, 0, r_write(fd, buf, n));
}

WEFT_EXPORT ssize_t writev(int fd, const struct iovec *iov, int n) {
    WEFT_REAL(void, r_writev, "writev");
    WRITE_SIDE(fd, iov_bytes(iov, n), WEFT_FDW_WRITEV, 0, r_writev(fd, iov, n));
}

WEFT_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags) {
    WEFT_REAL(void, r_send, "send");
    WRITE_SIDE(fd, n, WEFT_FDW_SEND, flags, r_send(fd, buf, n, flags));
}

WEFT_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *to,
                           socklen_t tolen) {
    WEFT_REAL(void, r_sendto, "sendto");
    WRITE_SIDE(fd, n, WEFT_FDW_SENDTO, flags, r_sendto(fd, buf, n, flags, to, tolen));
}

WEFT_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) {
    WEFT_REAL(void, r_sendmsg, "sendmsg");
    size_t n = msg ? iov_bytes(msg->msg_iov, (int)msg->msg_iovlen) : 0;
    WRITE_SIDE(fd, n, WEFT_FDW_SENDMSG, flags, r_sendmsg(fd, msg, flags));
}
