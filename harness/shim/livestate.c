/* SPDX-License-Identifier: MIT */
/* livestate.c: the process's live state file (../format/livestate.h):
 * `state.PID` beside the log, mapped MAP_SHARED, holding the watchdog's
 * wait table and, per slot, the wait's start time and the thread's
 * creation stack, so that `weft run` can say what every thread does now
 * (--leak-check, SIGUSR1) without reading the logs. Made only under
 * `weft run` (WEFT_LIVE_STATE=1), which removes the run's log directory.
 *
 * The writers are the threads themselves, each on its own slot: a claim
 * (watchdog.c's my_slot), its creation stack (at its start), the start of
 * a wait. Each change is bracketed by the slot's sequence word, odd
 * while it lasts, so that weft's copy of a slot is never a mix of two
 * waits. No lock, no malloc, no stdio; the file's fd is closed once
 * mapped (the shim holds no fd). A fork child drops the parent's mapping
 * without writing to it and makes a file of its own. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "livestate.h"
#include "shim.h"

static unsigned char *map;  /* the whole file, NULL: no live state */
static char map_path[4200]; /* its path, removed at a normal exit */
static int live_on;         /* WEFT_LIVE_STATE=1, read by the constructor */

static struct weft_live_info *info(uint32_t idx) {
    return (struct weft_live_info *)(map + WEFT_LIVE_HEAD +
                                     WEFT_LIVE_SLOTS * sizeof(struct weft_live_wait)) +
           idx;
}

static uint64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Appends s to buf at *n (cut at cap). */
static void put(char *buf, size_t *n, size_t cap, const char *s) {
    while (*s && *n + 1 < cap)
        buf[(*n)++] = *s++;
    buf[*n] = 0;
}

int weft__live_is_on(void) {
    return live_on;
}

void weft__live_settings(void) {
    const char *on = getenv("WEFT_LIVE_STATE");
    live_on = on && !strcmp(on, "1");
}

void *weft__live_open(void) {
    const char *log = weft__log_path();
    if (!live_on || !log || !*log)
        return NULL;
    /* state.PID in the log's directory: only weft's own directory (0700,
     * made by weft run) holds it; O_NOFOLLOW all the same. A new image
     * after exec has the same pid: it takes the file over, truncated. */
    char path[4200], num[16];
    size_t n = 0;
    const char *slash = strrchr(log, '/');
    if (slash) {
        size_t dl = (size_t)(slash - log) + 1;
        if (dl >= sizeof path - 32)
            return NULL;
        memcpy(path, log, dl);
        n = dl;
        path[n] = 0;
    }
    int k = 0;
    for (unsigned v = (unsigned)getpid(); k == 0 || v; v /= 10)
        num[k++] = (char)('0' + v % 10);
    put(path, &n, sizeof path, "state.");
    while (k)
        path[n++] = num[--k];
    path[n] = 0;
    int saved = errno;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        errno = saved;
        return NULL;
    }
    /* Its blocks reserved now: a write into a hole of a shared mapping
     * on a full disk raises SIGBUS. A filesystem without fallocate gets
     * its pages write-faulted in instead (MADV_POPULATE_WRITE says EFAULT
     * where a write would fault); no room either way: no live state. */
    void *m = MAP_FAILED;
    int room = ftruncate(fd, (off_t)WEFT_LIVE_SIZE) == 0;
    int populate = 0;
    if (room && fallocate(fd, 0, 0, (off_t)WEFT_LIVE_SIZE) != 0)
        room = populate = errno == EOPNOTSUPP;
    if (room)
        m = mmap(NULL, WEFT_LIVE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (m != MAP_FAILED && populate &&
        madvise(m, WEFT_LIVE_SIZE, 23 /* MADV_POPULATE_WRITE */) != 0) {
        munmap(m, WEFT_LIVE_SIZE);
        m = MAP_FAILED;
    }
    if (m == MAP_FAILED) {
        unlink(path);
        errno = saved;
        return NULL;
    }
    memcpy(map_path, path, n + 1);
    map = m;
    struct weft_live_head *h = (struct weft_live_head *)map;
    h->version = WEFT_LIVE_VERSION;
    h->slots = WEFT_LIVE_SLOTS;
    h->pid = (int32_t)getpid();
    h->npcs = WEFT_LIVE_PCS;
    h->start_ns = mono_ns();
    /* the magic last: a reader never takes a file still being made */
    __atomic_store_n(&h->magic, WEFT_LIVE_MAGIC, __ATOMIC_RELEASE);
    errno = saved;
    return map + WEFT_LIVE_HEAD;
}

void weft__live_took_signal(int sig, const siginfo_t *si) {
    unsigned char *m = __atomic_load_n(&map, __ATOMIC_ACQUIRE);
    if (!m || sig <= 0 || sig >= WEFT_LIVE_SIGS)
        return;
    struct weft_live_sig *s = &((struct weft_live_head *)(void *)m)->sig[sig];
    int user = si && (si->si_code == SI_USER || si->si_code == SI_QUEUE);
    /* (a handler may interrupt another's write: a torn pair only makes
     * weft pass the signal on, as it did before) */
    __atomic_store_n(&s->sender, user ? (int32_t)si->si_pid : 0, __ATOMIC_RELAXED);
    __atomic_store_n(&s->at_ns, mono_ns(), __ATOMIC_RELEASE);
}

void weft__live_remove(void) {
    /* The process ends: its file goes (weft removes those of killed
     * processes), its mapping stays until the end, threads still use it. */
    if (map && map_path[0]) {
        int saved = errno;
        unlink(map_path);
        errno = saved;
        map_path[0] = 0;
    }
}

void weft__live_forget(void) {
    /* a fork child: the mapping is the parent's file; never written here */
    if (map)
        munmap(map, WEFT_LIVE_SIZE);
    map = NULL;
    map_path[0] = 0;
}

/* The slot's sequence word: odd while its fields change (a reader that
 * sees it odd, or changed across its copy, copies again). */
static void seq_open(struct weft_live_info *in) {
    __atomic_store_n(&in->seq, in->seq | 1u, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
}

static void seq_close(struct weft_live_info *in) {
    __atomic_store_n(&in->seq, (in->seq | 1u) + 1u, __ATOMIC_RELEASE);
}

void weft__live_mark(uint32_t idx, int opening) {
    if (!map)
        return;
    struct weft_live_info *in = info(idx);
    if (opening) {
        seq_open(in);
        __atomic_store_n(&in->since_ns, mono_ns(), __ATOMIC_RELAXED);
    } else {
        seq_close(in);
    }
}

void weft__live_claim(uint32_t idx, uint32_t tid) {
    if (!map)
        return;
    struct weft_live_info *in = info(idx);
    seq_open(in);
    __atomic_store_n(&in->since_ns, mono_ns(), __ATOMIC_RELAXED);
    __atomic_store_n(&in->npcs, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&in->tid, tid, __ATOMIC_RELAXED);
    seq_close(in);
}

void weft__live_thread_pcs(const uint64_t *pcs, uint32_t n) {
    if (!map || !weft__t.wslot)
        return;
    uint32_t idx = weft__t.wslot - 1;
    struct weft_live_info *in = info(idx);
    if (n > WEFT_LIVE_PCS)
        n = WEFT_LIVE_PCS;
    seq_open(in);
    for (uint32_t i = 0; i < n; i++)
        __atomic_store_n(&in->pcs[i], pcs[i], __ATOMIC_RELAXED);
    __atomic_store_n(&in->npcs, n, __ATOMIC_RELAXED);
    seq_close(in);
}
