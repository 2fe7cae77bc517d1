/* SPDX-License-Identifier: MIT */
/* shim_signal.c: the fatal signal handlers that record a death (and run
 * the self-ingest) before the process dies of it with the default action,
 * and the program's view of signal dispositions, which must be exactly
 * what it would be without us (issue 9, item 4).
 *
 * Our handler goes only where the disposition is the default and the
 * default is to end the process (never on SIG_IGN, never on a signal whose
 * default is to ignore or stop). Where it sits, the program reads back the
 * disposition it replaced (SIG_DFL, with that action's flags and mask),
 * through every libc call that returns a disposition: sigaction, signal,
 * bsd_signal, sysv_signal, sigset; siginterrupt changes that saved action.
 * Whatever the program sets replaces ours in the kernel, SIG_DFL too: the
 * program's setting rules from then on, exactly. Python, for one,
 * installs its KeyboardInterrupt handler only when it reads SIGINT as
 * SIG_DFL. A raw rt_sigaction system call bypasses all this and sees our
 * handler (docs/harness.md).
 *
 * Under weft run, a handler the program sets for one of the signals weft
 * run passes on (INT, QUIT, TERM, HUP) sits behind a small one of
 * ours that notes in the live state file who sent the signal, then calls
 * the program's with what the kernel gave it: weft run, sent the same
 * signal by the same process (a kill of the whole process group, as
 * `timeout` sends after it signals its child), then knows that the
 * program had it already and does not pass it on a second time. The
 * kernel holds the program's own mask and flags (SA_SIGINFO added); the
 * program reads back its own action, as with the fatal handlers. Not with
 * SA_RESETHAND (the kernel's reset would leave ours behind a SIG_DFL the
 * program reads back wrong): such a handler stays as it is. */
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

static const int fatal[] = {SIGSEGV, SIGBUS,  SIGFPE,  SIGILL,    SIGABRT, SIGTRAP, SIGSYS,
                            SIGTERM, SIGINT,  SIGHUP,  SIGQUIT,   SIGPIPE, SIGALRM, SIGUSR1,
                            SIGUSR2, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF};

#define NSIGS 65
/* The action each of our handlers replaced, as the kernel gave it. */
static struct sigaction orig[NSIGS];

static int (*r_sigaction)(int, const struct sigaction *, struct sigaction *);

static void on_fatal(int sig, siginfo_t *si, void *uctx) {
    (void)uctx;
    int saved = errno;
    /* No stack here: unwinding from a handler may need the loader's lock,
     * which the interrupted code could hold. weft__emit_oob writes into a
     * chunk of its own, whatever the thread was doing. */
    /* Another thread is ingesting the log at the process's exit: without
     * weft the process would be gone, and the signal would find nobody.
     * Wait here, signals blocked, for that exit. */
    if (weft__self_ingest_elsewhere()) {
        uint64_t all = ~(uint64_t)0;
        syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, sizeof all);
        for (;;)
            syscall(SYS_pause);
    }
    weft__live_took_signal(sig, si);
    uint32_t was_in = weft__t.in_shim;
    weft__t.in_shim = 1;
    if (__atomic_load_n(&weft__ready, __ATOMIC_ACQUIRE) && weft__t.tid) {
        weft__emit_oob(WEFT_K_SIGNAL_FATAL, (uint64_t)(uintptr_t)(si ? si->si_addr : 0),
                       (uint64_t)sig, si ? (uint64_t)(int64_t)si->si_code : 0);
        weft__log_set_flag(WEFT_LOG_F_FINISHED);
        weft__self_ingest();
    }
    weft__t.in_shim = was_in;
    /* Die of it: the default action again, the signal unblocked and sent
     * to this very thread. A fault re-executes and faults again. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    r_sigaction(sig, &sa, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    if (!si || si->si_code <= 0 ||
        (sig != SIGSEGV && sig != SIGBUS && sig != SIGFPE && sig != SIGILL))
        syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
    errno = saved;
}

/* The signals weft run passes on (cmd_run.c), whose handlers are watched. */
static int watched(int sig) {
    return sig == SIGINT || sig == SIGQUIT || sig == SIGTERM || sig == SIGHUP;
}

/* The program's action behind on_prog, per signal. */
static struct sigaction progs[NSIGS];

static void on_prog(int sig, siginfo_t *si, void *uctx) {
    int saved = errno;
    weft__live_took_signal(sig, si);
    errno = saved;
    const struct sigaction *a = &progs[sig];
    if (a->sa_flags & SA_SIGINFO)
        a->sa_sigaction(sig, si, uctx);
    else
        a->sa_handler(sig);
}

/* (on_prog stands for the program's own handler: not ours here) */
int weft__signal_is_ours(void (*h)(int, siginfo_t *, void *)) {
    return h == on_fatal;
}

static int ours(const struct sigaction *a) {
    return (a->sa_flags & SA_SIGINFO) &&
           (a->sa_sigaction == on_fatal || a->sa_sigaction == on_prog);
}

/* The action the program reads back where the kernel holds one of ours. */
static struct sigaction *replaced(int sig, const struct sigaction *a) {
    return a->sa_sigaction == on_prog ? &progs[sig] : &orig[sig];
}

/* The program has just set an action on sig: a handler of its own goes
 * behind on_prog (a watched signal, under weft run, no SA_RESETHAND). */
static void watch_handler(int sig) {
    if (!watched(sig) || !weft__live_is_on())
        return;
    struct sigaction cur;
    if (r_sigaction(sig, NULL, &cur) != 0 || ours(&cur) || (cur.sa_flags & SA_RESETHAND) ||
        (!(cur.sa_flags & SA_SIGINFO) && (cur.sa_handler == SIG_DFL || cur.sa_handler == SIG_IGN)))
        return;
    progs[sig] = cur;
    struct sigaction sa = cur;
    sa.sa_sigaction = on_prog;
    sa.sa_flags |= SA_SIGINFO;
    r_sigaction(sig, &sa, NULL);
}

/* Ours in sig's place if the kernel holds the plain default there (a
 * handler or SIG_IGN stays: exec keeps SIG_IGN); the action it replaced is
 * what the program reads back. */
static void install_if_default(int sig) {
    struct sigaction cur;
    if (r_sigaction(sig, NULL, &cur) != 0 || cur.sa_handler != SIG_DFL ||
        (cur.sa_flags & SA_SIGINFO))
        return;
    orig[sig] = cur;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fatal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigfillset(&sa.sa_mask);
    r_sigaction(sig, &sa, NULL);
}

void weft__signals_install(void) {
    WEFT_REAL(void, r_sigaction, "sigaction");
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        install_if_default(fatal[i]);
}

/* The program set SIG_DFL on sig (a handler that cleans up, restores the
 * default and re-raises, as GNU sort's does for SIGPIPE and SIGTERM):
 * without our handler back in its place the process would die with no
 * end in its log, and under plain LD_PRELOAD leave the log behind. Ours
 * goes back, and the action the kernel holds now (SIG_DFL with the
 * program's flags and mask) is what the program reads back. Only for the
 * signals whose default ends the process, where ours ends it the same. */
static void keep_ours(int sig) {
    if (!__atomic_load_n(&weft__ready, __ATOMIC_ACQUIRE))
        return;
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        if (fatal[i] == sig)
            install_if_default(sig);
}

/* ---- the program's view ---- */

WEFT_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
    WEFT_REAL(void, r_sigaction, "sigaction");
    int e = errno;
    int r = r_sigaction(sig, act, old);
    if (r == 0 && old && sig > 0 && sig < NSIGS && ours(old))
        *old = *replaced(sig, old);
    if (r == 0 && act && act->sa_handler == SIG_DFL && !(act->sa_flags & SA_SIGINFO))
        keep_ours(sig);
    else if (r == 0 && act)
        watch_handler(sig);
    if (r == 0)
        errno = e;
    return r;
}

int __sigaction(int sig, const struct sigaction *act, struct sigaction *old);
WEFT_EXPORT int __sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
    return sigaction(sig, act, old);
}

/* A handler returned by a libc call that sets one: ours reads as the one
 * it replaced. */
static __sighandler_t view(int sig, __sighandler_t h) {
    /* compared as addresses: the handler field is a union of both types */
    union {
        __sighandler_t h;
        void (*a)(int, siginfo_t *, void *);
    } u = {.h = h};
    if (u.a == on_fatal && sig > 0 && sig < NSIGS)
        return orig[sig].sa_handler;
    if (u.a == on_prog && sig > 0 && sig < NSIGS)
        return progs[sig].sa_handler;
    return h;
}

#define SIGNAL_LIKE(fn)                                                                            \
    __sighandler_t fn(int sig, __sighandler_t h);                                                  \
    WEFT_EXPORT __sighandler_t fn(int sig, __sighandler_t h) {                                     \
        static __sighandler_t (*real)(int, __sighandler_t);                                        \
        WEFT_REAL(void, real, #fn);                                                                \
        WEFT_REAL(void, r_sigaction, "sigaction");                                                 \
        int e_ = errno;                                                                            \
        __sighandler_t r_ = view(sig, real(sig, h));                                               \
        if (r_ != SIG_ERR && h == SIG_DFL) {                                                       \
            keep_ours(sig);                                                                        \
            errno = e_;                                                                            \
        } else if (r_ != SIG_ERR) {                                                                \
            watch_handler(sig);                                                                    \
            errno = e_;                                                                            \
        }                                                                                          \
        return r_;                                                                                 \
    }
SIGNAL_LIKE(signal)
SIGNAL_LIKE(bsd_signal)
SIGNAL_LIKE(sysv_signal)
SIGNAL_LIKE(__sysv_signal)
SIGNAL_LIKE(sigset)

int siginterrupt(int sig, int flag);
WEFT_EXPORT int siginterrupt(int sig, int flag) {
    static int (*real)(int, int);
    WEFT_REAL(void, real, "siginterrupt");
    WEFT_REAL(void, r_sigaction, "sigaction");
    struct sigaction cur;
    if (sig > 0 && sig < NSIGS && r_sigaction(sig, NULL, &cur) == 0 && ours(&cur)) {
        /* What libc would have set on the action we replaced: SA_RESTART
         * toggled, and its own flags and restorer, which it adds to every
         * action it sets (as on ours). Behind on_prog the kernel's action
         * changes the same way: the program's system calls restart as it
         * asked. */
        struct sigaction *a = replaced(sig, &cur);
        if (flag)
            a->sa_flags &= ~SA_RESTART;
        else
            a->sa_flags |= SA_RESTART;
        a->sa_flags |= cur.sa_flags & 0x04000000 /* SA_RESTORER */;
        a->sa_restorer = cur.sa_restorer;
        if (cur.sa_sigaction == on_prog) {
            cur.sa_flags = (cur.sa_flags & ~SA_RESTART) | (a->sa_flags & SA_RESTART);
            r_sigaction(sig, &cur, NULL);
        }
        return 0;
    }
    return real(sig, flag);
}
