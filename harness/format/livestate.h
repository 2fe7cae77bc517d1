/* SPDX-License-Identifier: MIT */
/* livestate.h: the live state file of a traced process, shared by its
 * writer (the shim: watchdog.c's wait table lives in it, livestate.c makes
 * it) and its reader (`weft run`: cli/livecheck.c, for --leak-check and
 * the dump on SIGUSR1). One file per process, `state.PID` in the run's log
 * directory, mapped MAP_SHARED by the process, read by weft whenever it
 * likes: weft learns what each thread waits on now without reading the
 * logs, and the program pays nothing new but a sequence word and a clock
 * read per wait that blocks.
 *
 * Layout: a header page, then WEFT_LIVE_SLOTS wait slots (the watchdog's
 * table itself: struct weft_live_wait is its struct wslot, checked by a
 * static assertion there), then as many info slots, slot i of one table
 * belonging to slot i of the other. A slot is valid while wait.tid is not
 * 0 and equals info.tid. The writer bumps info.seq to odd before it
 * changes the slot's thread, wait object, kind or start time and to even
 * after; a reader that sees seq odd or changed across its copy retries
 * (a torn read is never reported). A wait's end only sets wait.kind to 0,
 * without the sequence: a reader that still saw the kind saw the wait.
 *
 * The header also says, for each signal below 32, the last time the
 * process took it in a handler of its own or in the shim's fatal one, and
 * who sent it (shim_signal.c): a signal weft run received from a process
 * that also reached the program (a kill of the process group, as
 * `timeout` sends) is not passed on a second time (cmd_run.c). */
#ifndef WEFT_HARNESS_LIVESTATE_H
#define WEFT_HARNESS_LIVESTATE_H

#include <stdint.h>

#define WEFT_LIVE_MAGIC 0x31657461744c4657ull /* "WFLtate1" little-endian */
#define WEFT_LIVE_VERSION 2
#define WEFT_LIVE_SLOTS 4096
#define WEFT_LIVE_PCS 16 /* creation stack frames kept, innermost first */
#define WEFT_LIVE_HEAD 4096

/* A signal taken: by whom it was sent (si_pid of a kill or sigqueue, 0
 * from the kernel) and when (CLOCK_MONOTONIC), the latest of them. */
struct weft_live_sig {
    int32_t sender;
    uint32_t pad;
    uint64_t at_ns;
};
#define WEFT_LIVE_SIGS 32

struct weft_live_head {
    uint64_t magic;
    uint32_t version, slots;
    int32_t pid;
    uint32_t npcs;     /* WEFT_LIVE_PCS */
    uint64_t start_ns; /* CLOCK_MONOTONIC when the file was made */
    struct weft_live_sig sig[WEFT_LIVE_SIGS];
};

/* The watchdog's slot (watchdog.c, struct wslot). */
struct weft_live_wait {
    uint32_t tid;  /* trace tid, 0 = free */
    uint16_t kind; /* the begin kind of its wait (log.h), 0 = running */
    uint16_t pad;
    uint64_t obj;   /* the object waited on (address, pthread_t for a join) */
    int32_t ostid;  /* kernel thread id */
    uint32_t waits; /* waits its thread began: one long wait from many short ones */
};

struct weft_live_info {
    uint32_t seq;      /* odd while the slot changes */
    uint32_t tid;      /* the trace tid these fields are of */
    uint64_t since_ns; /* CLOCK_MONOTONIC at the start of its current (or last) wait */
    uint32_t npcs;     /* frames of pcs[] set: its creation stack (0: adopted, main) */
    uint32_t pad;
    uint64_t pcs[WEFT_LIVE_PCS]; /* return addresses, innermost first */
};

#define WEFT_LIVE_SIZE                                                                             \
    (WEFT_LIVE_HEAD +                                                                              \
     WEFT_LIVE_SLOTS * (sizeof(struct weft_live_wait) + sizeof(struct weft_live_info)))

#endif
