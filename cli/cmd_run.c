/* SPDX-License-Identifier: MIT */
/* cmd_run.c: `weft run [options] -- PROG [ARGS]`: runs PROG with the shim
 * preloaded and its log in a fresh temporary directory (logdir.c; or the
 * --keep-log directory), leaves its stdin, stdout and stderr alone, waits,
 * ingests every log the process tree left (one per process) into the trace
 * (outfile.c: 0600, renamed into place), runs the detectors over it,
 * prints their findings on stderr (==weft== blocks), and exits with PROG's
 * status (128+N for a death by signal N), or --error-exitcode's N when an
 * error finding was reported, or 124 with one line when no trace could be
 * written or read. Signals sent to weft while PROG runs are passed on to
 * it; one that comes while the trace is written stops that, and weft
 * removes what it made and dies of it. SIGUSR1 is weft's own: while PROG
 * runs it prints every traced thread's state (livecheck.c), which also
 * makes the --leak-check reports; PROG never sees it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "detectors.h"
#include "report.h"
#include "logdir.h"
#include "stage.h"
#include "textesc.h"
#include "cli.h"
#include "symbolize.h"

/* What the signal handlers see. phase 1: the program runs; 2: weft
 * writes its trace; 3: the trace is in place, weft writes its reports. */
static volatile sig_atomic_t phase;
static volatile pid_t child;
static struct weft_logdir *volatile sig_logs; /* the program's logs */
static volatile int sig_result;               /* the program's status, for the message */
static const char *volatile sig_final;        /* the trace, once it is written */

/* The signals weft handles (on_signal) and ignores (SIGPIPE, last). */
static const int sigs[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE};

/* Signals to pass on to PROG, held by on_signal for the wait loop: the
 * sender and when weft got it, per signal. A kill of the whole process
 * group (`timeout` sends one after signalling its child, a CI runner
 * stopping a job) reaches PROG by itself too: passed on, PROG's handler
 * ran twice. PROG's shim notes each signal its handlers take and who
 * sent it (livestate.h); the loop passes a held signal on unless PROG
 * took it from the same sender meanwhile, or shortly before (the group
 * kill may reach PROG first), waiting up to FORWARD_WAIT_NS for that. */
static volatile sig_atomic_t held[NSIG];
static volatile pid_t held_from[NSIG];
static volatile uint64_t held_at[NSIG];
#define FORWARD_WAIT_NS 200000000ull   /* 200 ms: how long PROG's handler may take to run */
#define FORWARD_BEFORE_NS 250000000ull /* PROG took it up to 250 ms before weft did */

/* The four signals weft handles (sigs[] less SIGPIPE), into set. */
static void handled_set(sigset_t *set) {
    sigemptyset(set);
    for (int k = 0; k < 4; k++)
        sigaddset(set, sigs[k]);
}

/* The default mode of weft run: the logs read live once they take this
 * much disk (MiB; WEFT_LIVE_AUTO_MB overrides; 0: after the exit, unless
 * --live). Chosen by measurement (docs/harness.md, "Live ingest"): a
 * program that keeps the CPUs busy pays for a reader beside it, so
 * short runs are read after the exit as before; a long run (1 GiB of
 * log is about 25 minutes of soak.sh's server) gets bounded disk and
 * no ingest after its exit. */
#define LIVE_AUTO_MB 1024

/* --leak-check without a value: every 10 s, a wait reported once it
 * has lasted 10 s. A server's idle workers are reported once each (per
 * wait), so the interval is about how soon a stuck thread is named; a
 * check reads one small shared file per process (bench/harness/
 * livecheck.sh measures it). */
#define LEAK_CHECK_DEFAULT "10s"

/* The live ingest (--live): weft_ingest_live on a thread of its own
 * while the program runs; the main thread waits for the program, then
 * sets done and joins it. */
struct live_run {
    pthread_t th;
    int started, rc;
    volatile int done;
    struct weft_out *ob; /* the trace, begun when the reading starts */
    const char *final;
    int ob_begun;
    struct weft_ingest_opts o;
    struct weft_live_opts lo;
    struct weft_ingest_stats st;
};

/* The trace's temporary file is made when the live reading starts (by
 * default only once the logs are big): until then weft run is as without
 * --live, with no trace begun while the program runs. */
static const char *live_begin(void *arg) {
    struct live_run *lr = arg;
    if (weft_out_begin(lr->ob, lr->final) != 0)
        return NULL;
    lr->ob_begun = 1;
    return lr->ob->tmp;
}

static void *live_main(void *arg) {
    struct live_run *lr = arg;
    lr->rc = weft_ingest_live(NULL, &lr->o, &lr->lo, &lr->st);
    return NULL;
}

static void put_str(char *buf, size_t *n, size_t max, const char *s) {
    while (*s && *n + 1 < max)
        buf[(*n)++] = *s++;
}

static void put_int(char *buf, size_t *n, size_t max, int v) {
    char d[16];
    int k = 0;
    unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
    do
        d[k++] = (char)('0' + u % 10);
    while ((u /= 10) && k < 15);
    if (v < 0)
        d[k++] = '-';
    while (k && *n + 1 < max)
        buf[(*n)++] = d[--k];
}

/* The parent of process pid, from /proc/PID/stat; 0 when it cannot be
 * read (the process is gone). Async-signal-safe: open, read, close. */
static pid_t parent_of(pid_t pid) {
    char path[32];
    size_t n = 0;
    put_str(path, &n, sizeof path, "/proc/");
    put_int(path, &n, sizeof path, (int)pid);
    put_str(path, &n, sizeof path, "/stat");
    path[n] = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[512];
    ssize_t got = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (got <= 0)
        return 0;
    buf[got] = 0;
    /* "pid (comm) state ppid ...": comm may hold anything, ')' too */
    char *p = NULL;
    for (ssize_t k = got - 1; k >= 0 && !p; k--)
        if (buf[k] == ')')
            p = buf + k;
    if (!p || p[1] != ' ' || !p[2] || p[3] != ' ')
        return 0;
    long v = 0;
    for (p += 4; *p >= '0' && *p <= '9'; p++)
        v = v * 10 + (*p - '0');
    return (pid_t)v;
}

/* Whether process pid is PROG or one of its descendants (as far as
 * /proc still shows them). */
static int in_prog_tree(pid_t pid, pid_t prog) {
    for (int depth = 0; depth < 64 && pid > 1; depth++) {
        if (pid == prog)
            return 1;
        if (pid == getpid())
            return 0;
        pid = parent_of(pid);
    }
    return 0;
}

static void on_signal(int sig, siginfo_t *si, void *ctx) {
    (void)ctx;
    int saved = errno;
    if (phase == 1) {
        /* Sent to weft by a process (kill, a CI timeout): passed on, and
         * weft lives to write the trace. What the terminal sends (Ctrl-C,
         * Ctrl-\, a hangup: SI_KERNEL) goes to the whole foreground group
         * and so reaches the program by itself: passing it on would
         * deliver it twice. So does what PROG or its descendants send:
         * weft gets it from a kill of their process group (a shell's
         * `kill 0`, `trap 'kill 0' EXIT`), which reached PROG already,
         * or from a kill of PROG's parent, which was never meant for
         * PROG (passed on, a shell's trap ran twice). */
        pid_t to = child;
        if (to > 0 && si->si_code != SI_KERNEL &&
            !(si->si_code == SI_USER && si->si_pid > 0 && in_prog_tree(si->si_pid, to))) {
            /* held for the wait loop (forward_held), unless PROG's
             * handlers are not watched (no sender to compare) */
            if (si->si_code == SI_USER && si->si_pid > 0 && sig > 0 && sig < NSIG) {
                held_from[sig] = si->si_pid;
                held_at[sig] = weft_mono_ns();
                held[sig] = 1;
            } else {
                kill(to, sig);
            }
        }
        errno = saved;
        return;
    }
    if (phase >= 2) {
        /* Stopped while writing the trace (Ctrl-C, a second kill): what
         * was not asked for goes, and one line says so. Stopped while
         * writing its reports: the trace stays, the unfinished reports
         * go. */
        weft_out_abort_all();
        struct weft_logdir *l = sig_logs;
        if (l)
            weft_logdir_remove(l);
        const char *done = phase == 3 ? sig_final : NULL;
        char msg[8600];
        size_t n = 0;
        put_str(msg, &n, sizeof msg,
                done ? "weft: interrupted by signal " : "weft: no trace: interrupted by signal ");
        put_int(msg, &n, sizeof msg, sig);
        put_str(msg, &n, sizeof msg,
                done ? " while writing its reports; the trace is " : " while writing it");
        if (done)
            put_str(msg, &n, sizeof msg, done);
        if (l && l->keep) {
            put_str(msg, &n, sizeof msg, "; its raw logs are in ");
            put_str(msg, &n, sizeof msg, l->path);
        }
        put_str(msg, &n, sizeof msg, "; the program exited with status ");
        put_int(msg, &n, sizeof msg, sig_result);
        msg[n++] = '\n';
        if (write(2, msg, n) < 0) {
        }
    }
    weft_cli_die_of(sig);
}

/* The signals held by on_signal: each one PROG took from the same sender
 * (its state file in dir says) is dropped, each one whose wait is over is
 * passed on. Whether some are still held. With weft's signals blocked. */
static int forward_held(const char *dir) {
    int any = 0;
    uint64_t now = weft_mono_ns();
    for (int sig = 1; sig < NSIG; sig++) {
        if (!held[sig])
            continue;
        uint64_t at = held_at[sig];
        if (weft_live_took_signal(dir, (int)child, sig, (int)held_from[sig],
                                  at > FORWARD_BEFORE_NS ? at - FORWARD_BEFORE_NS : 0))
            held[sig] = 0;
        else if (now - at >= FORWARD_WAIT_NS) {
            held[sig] = 0;
            kill(child, sig);
        } else
            any = 1;
    }
    return any;
}

/* Until PROG has exited (not reaped), the held signals passed on or
 * dropped as they come: PROG's pidfd polled with weft's signals let in
 * only inside ppoll, so that none comes between a look at what is held
 * and the sleep (then held until the exit). Without pidfds, a look every
 * 50 ms. */
static void wait_forwarding(const char *dir) {
    sigset_t block, inside;
    handled_set(&block);
    sigprocmask(SIG_BLOCK, &block, &inside);
    int fd = (int)syscall(SYS_pidfd_open, (pid_t)child, 0);
    for (;;) {
        int any = forward_held(dir);
        if (fd >= 0) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            struct timespec t = {0, 5000000};
            if (ppoll(&p, 1, any ? &t : NULL, &inside) > 0)
                break;
        } else {
            siginfo_t si = {0};
            if (waitid(P_PID, (id_t)child, &si, WEXITED | WNOWAIT | WNOHANG) != 0 || si.si_pid != 0)
                break;
            sigprocmask(SIG_SETMASK, &inside, NULL);
            nanosleep(&(struct timespec){0, any ? 5000000 : 50000000}, NULL);
            sigprocmask(SIG_BLOCK, &block, NULL);
        }
    }
    if (fd >= 0)
        close(fd);
    sigprocmask(SIG_SETMASK, &inside, NULL);
}

/* SIGUSR1 to weft: a dump of the program's threads while it runs
 * (livecheck.c), nothing otherwise. Never passed on. */
static void on_usr1(int sig) {
    (void)sig;
    if (phase == 1)
        weft_livecheck_signal();
}

/* PROG as execvp would find it; NULL (message printed) if nowhere. */
static char *resolve(const char *prog) {
    if (strchr(prog, '/')) {
        if (access(prog, F_OK) != 0) {
            weft_err("%s: %s", prog, strerror(errno));
            return NULL;
        }
        return strdup(prog);
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    char buf[PATH_MAX];
    while (*path) {
        const char *end = strchr(path, ':');
        size_t len = end ? (size_t)(end - path) : strlen(path);
        snprintf(buf, sizeof buf, "%.*s/%s", (int)len, len ? path : ".", prog);
        struct stat st;
        if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
            return strdup(buf);
        path += len;
        if (*path == ':')
            path++;
    }
    weft_err("%s: command not found", prog);
    return NULL;
}

/* The shim: $WEFT_PRELOAD, next to this binary (build tree, or installs
 * that keep both in one directory), or the installed library directory. */
static int find_shim(char *out, size_t n) {
    const char *env = getenv("WEFT_PRELOAD");
    if (env && *env) {
        snprintf(out, n, "%s", env);
        return access(out, R_OK) == 0 ? 0 : -1;
    }
    char self[PATH_MAX];
    if (weft_self_exe(self, sizeof self) == 0) {
        *strrchr(self, '/') = 0; /* /proc/self/exe is absolute */
        if (snprintf(out, n, "%s/libweft-preload.so", self) < (int)n && access(out, R_OK) == 0)
            return 0;
        if (snprintf(out, n, "%s/../lib/libweft-preload.so", self) < (int)n &&
            access(out, R_OK) == 0)
            return 0;
    }
    snprintf(out, n, "%s/libweft-preload.so", WEFT_INSTALL_LIBDIR);
    return access(out, R_OK) == 0 ? 0 : -1;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The one line of a lost trace: exit status 124. */
__attribute__((format(printf, 2, 3))) static int no_trace(int result, const char *fmt, ...) {
    char why[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    weft_err("no trace: %s; the program exited with status %d", why, result);
    return 124;
}

/* Do a and b name the same file (or, not existing yet, the same path)? */
static int same_path(const char *a, const char *b) {
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    char ra[PATH_MAX], rb[PATH_MAX];
    return !strcmp(a, b) || (realpath(a, ra) && realpath(b, rb) && !strcmp(ra, rb));
}

static int exists(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0;
}

/* --keep-log beside -o FILE: FILE without .db, and .logs. */
static void logs_beside(char *buf, size_t n, const char *out) {
    size_t len = strlen(out);
    if (len > 3 && !strcmp(out + len - 3, ".db"))
        len -= 3;
    snprintf(buf, n, "%.*s.logs", (int)len, out);
}

/* The default names: weft-PID.db (and weft-PID.logs), or weft-PID-2.db and
 * so on when those exist: the default never replaces a file. */
static void default_name(char *db, char *logs, size_t n, int pid, int k) {
    if (k == 0) {
        snprintf(db, n, "weft-%d.db", pid);
        snprintf(logs, n, "weft-%d.logs", pid);
    } else {
        snprintf(db, n, "weft-%d-%d.db", pid, k + 1);
        snprintf(logs, n, "weft-%d-%d.logs", pid, k + 1);
    }
}

int weft_cmd_run(int argc, char **argv) {
    const char *out = NULL, *supp_path = NULL, *keep_dir = NULL, *html = NULL;
    char *perfetto = NULL; /* --html's Perfetto trace beside it */
    const char *s_depth = NULL, *s_deadlock = NULL, *s_error = NULL, *s_max = NULL, *s_min = NULL,
               *s_keep_rows = NULL, *s_leak = NULL, *s_leak_thr = NULL;
    /* live: 0 after the exit (--no-live), 1 while it runs (--live), -1 the
     * default (LIVE_AUTO_MB) */
    int quiet = 0, keep = 0, children = 0, index = 0, all = 0, live = -1, no_defaults = 0, i, r;
    struct weft_symtab *warmed = NULL; /* the ingest's symbol table, warmed during the run */
    struct weft_stager *stager = NULL; /* the copier of the logs' staging slots */
    long long depth = -1, deadlock_ms = -1, error_exit = 0, max_threads = 0;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        if (a[0] != '-')
            break;
        /* bare --leak-check: the default interval (its value only with
         * '=', so that the program's name is never taken for it) */
        if (!strcmp(a, "--leak-check") && !s_leak) {
            s_leak = LEAK_CHECK_DEFAULT;
            continue;
        }
        if ((r = weft_opt_value("run", argc, argv, &i, "-o", "--output", &out)) ||
            (r = weft_opt_number("run", argc, argv, &i, "--stack-depth", 0, 128, &s_depth,
                                 &depth)) ||
            (r = weft_opt_number("run", argc, argv, &i, "--deadlock-timeout", 0, 86400000,
                                 &s_deadlock, &deadlock_ms)) ||
            (r = weft_opt_number("run", argc, argv, &i, "--error-exitcode", 0, 255, &s_error,
                                 &error_exit)) ||
            (r = weft_opt_value("run", argc, argv, &i, NULL, "--suppressions", &supp_path)) ||
            (r = weft_opt_number("run", argc, argv, &i, "--max-threads", 1, 100000000, &s_max,
                                 &max_threads)) ||
            (r = weft_opt_value("run", argc, argv, &i, NULL, "--min-wait", &s_min)) ||
            (r = weft_opt_value("run", argc, argv, &i, NULL, "--keep-rows", &s_keep_rows)) ||
            (r = weft_opt_value("run", argc, argv, &i, NULL, "--leak-check", &s_leak)) ||
            (r = weft_opt_value("run", argc, argv, &i, NULL, "--leak-threshold", &s_leak_thr)) ||
            (r = weft_opt_value("run", argc, argv, &i, NULL, "--html", &html))) {
            if (r < 0)
                return 125;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (!strcmp(a, "--keep-log")) {
            keep = 1;
        } else if (!strncmp(a, "--keep-log=", 11)) {
            if (!a[11] || keep_dir) {
                weft_err("run: option --keep-log=DIR %s",
                         keep_dir ? "given twice" : "needs a directory");
                return 125;
            }
            keep = 1;
            keep_dir = a + 11;
        } else if (!strcmp(a, "--no-default-suppressions")) {
            no_defaults = 1;
        } else if (!strcmp(a, "--index")) {
            index = 1;
        } else if (!strcmp(a, "--all-events")) {
            all = 1;
        } else if (!strcmp(a, "--trace-children")) {
            children = 1;
        } else if (!strcmp(a, "--live")) {
            live = 1;
        } else if (!strcmp(a, "--no-live")) {
            live = 0;
        } else {
            weft_err("run: unknown option '%s' (try weft --help)", a);
            return 125;
        }
    }
    int64_t min_wait = WEFT_MIN_WAIT_NS;
    if (s_min && weft_parse_min_wait("run", s_min, &min_wait))
        return 125;
    int64_t keep_rows = 0;
    if (s_keep_rows && weft_parse_keep_rows("run", s_keep_rows, &keep_rows))
        return 125;
    /* --leak-check=INTERVAL; the threshold is the interval unless given:
     * a wait is reported at the first check after it has lasted that
     * long, so at most two intervals after it began. */
    int64_t leak_ns = 0, leak_thr_ns = 0;
    if (s_leak && weft_parse_duration("run", "--leak-check", s_leak, &leak_ns))
        return 125;
    if (s_leak_thr && weft_parse_duration("run", "--leak-threshold", s_leak_thr, &leak_thr_ns))
        return 125;
    if (s_leak_thr && !s_leak) {
        weft_err("run: --leak-threshold needs --leak-check=INTERVAL");
        return 125;
    }
    if (!s_leak_thr)
        leak_thr_ns = leak_ns;
    if (i >= argc) {
        weft_err("run: no program given (usage: weft run [options] -- PROG [ARGS])");
        return 125;
    }
    char **prog_argv = argv + i;
    /* Everything that can be refused is refused before the program runs. */
    struct weft_supp_list *supp = NULL;
    if (supp_path &&
        (weft_check_regular("suppressions", supp_path) != 0 || !(supp = weft_supp_load(supp_path))))
        return 125;
    char *prog = resolve(prog_argv[0]);
    if (!prog) {
        weft_supp_free(supp);
        return 127;
    }
    int rc = 125;
    struct weft_logdir ld = {.path = "", .lock_fd = -1};
    char shim[PATH_MAX], defout[PATH_MAX], deflogs[PATH_MAX], kpath[PATH_MAX];
    if (weft_elf_check_dynamic(prog) != 1) {
        rc = 126;
        goto done;
    }
    /* An AddressSanitizer build must find its runtime first: preloaded
     * ahead of the shim, and out of LD_PRELOAD again once loaded. */
    char lead[256] = "";
    weft_elf_sanitizer_runtime(prog, lead, sizeof lead);
    if (find_shim(shim, sizeof shim) != 0) {
        weft_err("cannot find libweft-preload.so (set WEFT_PRELOAD to its path)");
        goto done;
    }
    if (out && weft_out_check("run", out, WEFT_OUT_TRACE, NULL, 0) != 0)
        goto done;
    /* --html FILE: the HTML report of the trace, written after the ingest;
     * checked now, and never the trace itself. */
    if (html && (weft_out_check("run", html, WEFT_OUT_REPORT, NULL, 0) != 0 ||
                 (out && same_path(out, html)))) {
        if (out && same_path(out, html))
            weft_err("run: --html %s is the trace's own path (-o)", html);
        goto done;
    }
    /* and its Perfetto trace beside it, which the page links */
    if (html && (!(perfetto = weft_perfetto_name_for(html)) ||
                 weft_out_check("run", perfetto, WEFT_OUT_REPORT, NULL, 0) != 0 ||
                 (out && same_path(out, perfetto)))) {
        if (perfetto && out && same_path(out, perfetto))
            weft_err("run: --html %s: its Perfetto trace %s is the trace's own path (-o)", html,
                     perfetto);
        goto done;
    }
    if (!out && access(".", W_OK) != 0) {
        weft_err("cannot write the trace into the current directory: %s (use -o)", strerror(errno));
        goto done;
    }
    {
        int stale = weft_logdir_clean_stale(quiet);
        if (stale && !quiet)
            fprintf(stderr, "==weft== removed the logs of %d killed weft run%s\n", stale,
                    stale == 1 ? "" : "s");
    }
    if (keep && (keep_dir || out)) {
        if (keep_dir)
            snprintf(kpath, sizeof kpath, "%s", keep_dir);
        else
            logs_beside(kpath, sizeof kpath, out);
        if (weft_logdir_keep(&ld, kpath) != 0)
            goto done;
    } else if (!keep && weft_logdir_temp(&ld) != 0) {
        goto done;
    }

    int errpipe[2], gopipe[2];
    if (pipe2(errpipe, O_CLOEXEC) != 0 || pipe2(gopipe, O_CLOEXEC) != 0) {
        weft_err("pipe: %s", strerror(errno));
        goto done;
    }
    /* weft stays out of the way of terminal signals and passes on the ones
     * sent to it alone (on_signal), so that it lives to write the trace;
     * a reader that went away (SIGPIPE) must not kill it before it cleans
     * up. The program gets the dispositions weft was given. */
    struct sigaction handle = {0}, ign = {0}, old[5];
    handle.sa_sigaction = on_signal;
    handle.sa_flags = SA_SIGINFO;
    handled_set(&handle.sa_mask);
    ign.sa_handler = SIG_IGN;
    for (int k = 0; k < 5; k++)
        sigaction(sigs[k], k < 4 ? &handle : &ign, &old[k]);
    struct sigaction usr1 = {0}, old_usr1;
    usr1.sa_handler = on_usr1;
    usr1.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &usr1, &old_usr1);
    phase = 1;
    child = fork();
    if (child < 0) {
        weft_err("fork: %s", strerror(errno));
        phase = 0;
        goto done;
    }
    if (child == 0) {
        for (int k = 0; k < 5; k++)
            sigaction(sigs[k], &old[k], NULL);
        sigaction(SIGUSR1, &old_usr1, NULL);
        close(errpipe[0]);
        close(gopipe[1]);
        /* Wait for weft to name the log (it may depend on our pid). */
        char logpath[PATH_MAX + 16];
        size_t got = 0;
        ssize_t m;
        while (got < sizeof logpath - 1 &&
               ((m = read(gopipe[0], logpath + got, sizeof logpath - 1 - got)) > 0 ||
                (m < 0 && errno == EINTR)))
            if (m > 0)
                got += (size_t)m;
        if (got == 0)
            _exit(125);
        logpath[got] = 0;
        const char *pre = getenv("LD_PRELOAD");
        char *val = malloc(strlen(lead) + strlen(shim) + (pre ? strlen(pre) : 0) + 3);
        if (val) {
            strcpy(val, lead);
            if (*lead) {
                strcat(val, ":");
                setenv("WEFT_PRELOAD_LEAD", lead, 1);
            }
            strcat(val, shim);
            if (pre && *pre) {
                strcat(val, ":");
                strcat(val, pre);
            }
            setenv("LD_PRELOAD", val, 1);
        }
        /* A shell puts the path of the command it runs in `_`: weft's
         * here, where PROG's was meant (as the shell would have found it:
         * resolve() searches PATH the same way). */
        struct stat us, self;
        const char *under = getenv("_");
        if (under && stat(under, &us) == 0 && stat("/proc/self/exe", &self) == 0 &&
            us.st_dev == self.st_dev && us.st_ino == self.st_ino)
            setenv("_", prog, 1);
        setenv("WEFT_LOG", logpath, 1);
        setenv("WEFT_LIVE_STATE", "1", 1); /* state.PID beside it: livecheck.c */
        if (!children)
            setenv("WEFT_CHILDREN", "0", 1);
        if (all) /* every relock pair with its own time: rows of each */
            setenv("WEFT_SHIM_RUNS", "0", 1);
        if (depth >= 0) {
            char d[32];
            snprintf(d, sizeof d, "%lld", depth);
            setenv("WEFT_STACK_DEPTH", d, 1);
        }
        if (deadlock_ms >= 0) {
            char d[32];
            snprintf(d, sizeof d, "%lld", deadlock_ms);
            setenv("WEFT_DEADLOCK_TIMEOUT_MS", d, 1);
        }
        execv(prog, prog_argv);
        int e = errno;
        if (write(errpipe[1], &e, sizeof e) < 0) {
        }
        _exit(127);
    }
    close(errpipe[1]);
    close(gopipe[0]);
    int kept_ok = 1;
    if (!out) {
        for (int k = 0; k < 1000; k++) {
            default_name(defout, deflogs, sizeof defout, (int)child, k);
            if (!exists(defout) && !(keep && !keep_dir && exists(deflogs)))
                break;
        }
        if (keep && !keep_dir)
            kept_ok = weft_logdir_keep(&ld, deflogs) == 0;
    }
    if (kept_ok) {
        if (keep && !quiet) {
            fputs("==weft== raw logs: ", stderr);
            weft_text_str(stderr, ld.path);
            fputs("/\n", stderr);
        }
        weft_logdir_set_pid(&ld, (int)child);
        /* The copier of the logs' staging slots (harness/ingest/stage.c;
         * WEFT_STAGE=0: none, the program's threads write in place). */
        const char *se = getenv("WEFT_STAGE");
        if (!(se && !strcmp(se, "0")))
            stager = weft_stager_start(ld.path);
        char logpath[PATH_MAX + 16];
        int len = snprintf(logpath, sizeof logpath, "%s/log", ld.path);
        if (write(gopipe[1], logpath, (size_t)len) != len)
            kept_ok = 0;
    }
    close(gopipe[1]); /* without the log's name the child exits 125 */

    int exec_errno = 0;
    ssize_t got;
    do
        got = read(errpipe[0], &exec_errno, sizeof exec_errno);
    while (got < 0 && errno == EINTR);
    close(errpipe[0]);
    /* The program runs: weft's look inside it (SIGUSR1, --leak-check). */
    struct weft_livecheck *lcheck =
        kept_ok && got == 0 ? weft_livecheck_start(ld.path, leak_ns, leak_thr_ns) : NULL;
    if (!lcheck && kept_ok && got == 0 && s_leak)
        weft_err("run: --leak-check: cannot start its thread: %s", strerror(errno));
    /* the ingest's debug files, loaded while the program leaves a CPU
     * idle (none: the ingest loads them, as it would; WEFT_PREWARM=0:
     * never, for tests and A/B) */
    const char *pwe = getenv("WEFT_PREWARM");
    struct weft_prewarm *prewarm =
        kept_ok && got == 0 && !(pwe && !strcmp(pwe, "0")) ? weft_prewarm_start((int)child) : NULL;
    /* --live: the ingest starts now, beside the program, with weft's
     * signals blocked on its threads (they are the main thread's to pass
     * on). The detectors, the output and the error lines are set up as
     * for the ingest after the exit below. */
    const char *final = out ? out : defout;
    struct weft_detect_opts dopts = {
        .supp = supp, .max_threads = (int)max_threads, .no_default_supp = no_defaults};
    struct weft_detect_result dr = {0};
    struct weft_detect_hook hook = {&dopts, &dr, 0};
    /* The ingest's options, live or after the exit (which adds the root's
     * pid and status). */
    const struct weft_ingest_opts iopts = {.quiet = quiet,
                                           .index = index,
                                           .all_events = all,
                                           .min_wait_ns = min_wait,
                                           .keep_rows_ns = keep_rows,
                                           .loaded = weft_detect_hook,
                                           .user = &hook,
                                           .trace_children = children};
    struct weft_out ob = {.dir = ""};
    char why[4096] = "";
    struct live_run lr = {0};
    uint64_t live_start_mb = 0;
    if (live < 0) { /* the default: live once the logs take LIVE_AUTO_MB */
        const char *am = getenv("WEFT_LIVE_AUTO_MB");
        live_start_mb = am && *am ? (uint64_t)atoll(am) : LIVE_AUTO_MB;
        live = live_start_mb > 0;
    }
    if (live && kept_ok && got == 0) {
        weft_err_hold(why, sizeof why);
        lr.ob = &ob;
        lr.final = final;
        lr.o = iopts;
        /* The chunks consumed are given back, except when the logs
         * are to be kept (--keep-log), or WEFT_LIVE_PUNCH says so. */
        const char *pe = getenv("WEFT_LIVE_PUNCH");
        int punch = pe && *pe ? (*pe == '1' ? 1 : !strcmp(pe, "dry") ? 2 : 0) : !keep;
        lr.lo = (struct weft_live_opts){.dir = ld.path,
                                        .done = &lr.done,
                                        .root_pid = (int)child,
                                        .punch = punch,
                                        .start_mb = live_start_mb,
                                        .begin = live_begin,
                                        .begin_arg = &lr};
        /* tuning (and the tests' short steps): the step's interval
         * and the watermark's margin, in ms */
        const char *iv = getenv("WEFT_LIVE_INTERVAL_MS"), *mg = getenv("WEFT_LIVE_MARGIN_MS");
        if (iv && atoi(iv) > 0)
            lr.lo.interval_s = atoi(iv) / 1000.0;
        if (mg && atoi(mg) > 0)
            lr.lo.margin_s = atoi(mg) / 1000.0;
        const char *bl = getenv("WEFT_LIVE_BACKLOG_MB");
        if (bl && atoi(bl) > 0)
            lr.lo.backlog_mb = (uint64_t)atoi(bl);
        const char *ck = getenv("WEFT_LIVE_CHECKPOINT_MS");
        if (ck && atoi(ck) > 0)
            lr.lo.checkpoint_s = atoi(ck) / 1000.0;
        lr.started = weft_thread_start(&lr.th, live_main, &lr) == 0;
        if (!lr.started)
            weft_err_release(1);
    }
    /* Wait without reaping, so that a signal can never be passed on to
     * another process that got the pid; then reap with the handlers held
     * off, and from then on a signal stops the writing of the trace. */
    siginfo_t si;
    wait_forwarding(ld.path);
    while (waitid(P_PID, (id_t)child, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
    }
    weft_livecheck_stop(lcheck);
    warmed = weft_prewarm_finish(prewarm);
    sigset_t block, unblock;
    handled_set(&block);
    sigprocmask(SIG_BLOCK, &block, &unblock);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    int result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    sig_result = result;
    sig_logs = &ld;
    child = 0;
    phase = 2;
    sigprocmask(SIG_SETMASK, &unblock, NULL);
    /* Every slot's words in its chunk before the last reading. */
    if (stager) {
        struct weft_stage_stats ss;
        weft_stager_stop(stager, &ss);
        if (getenv("WEFT_INGEST_PROFILE"))
            fprintf(stderr,
                    "weft run: staged   %llu chunks copied whole (%llu logs, %llu words, %llu "
                    "failed)\n",
                    (unsigned long long)ss.chunks, (unsigned long long)ss.logs,
                    (unsigned long long)ss.words, (unsigned long long)ss.errors);
    }
    if (lr.started) {
        /* The root pid is gone: the root's exit status is known now. */
        lr.o.root_pid = (int)si.si_pid;
        lr.o.root_status = status;
        weft_live_done(&lr.done);
        pthread_join(lr.th, NULL);
        if (lr.rc == 2) {
            /* the program ended before the logs were worth reading live:
             * the ingest after the exit, below, as without --live */
            weft_err_release(0);
            lr.started = 0;
        }
    }
    if (!kept_ok)
        goto done; /* the child never ran PROG */
    if (got == (ssize_t)sizeof exec_errno) {
        weft_err("%s: cannot execute: %s", prog, strerror(exec_errno));
        rc = exec_errno == ENOENT ? 127 : 126;
        goto done;
    }
    rc = result;

    /* Every log the tree left: "log" for PROG, "log.PID..." for the others. */
    char **logs = NULL;
    int n = 0, cap = 0, nonempty = 0;
    DIR *d = opendir(ld.path);
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (!strncmp(de->d_name, "log", 3)) {
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                char **nl = realloc(logs, (size_t)cap * sizeof *nl);
                if (!nl)
                    break;
                logs = nl;
            }
            char *p = malloc(strlen(ld.path) + strlen(de->d_name) + 2);
            if (!p)
                break;
            sprintf(p, "%s/%s", ld.path, de->d_name);
            struct stat st;
            nonempty += stat(p, &st) == 0 && st.st_size > 0;
            logs[n++] = p;
        }
    if (d)
        closedir(d);
    if (n)
        qsort(logs, (size_t)n, sizeof *logs, by_name);
    /* (a live ingest made the trace already: the same ending as below) */
    if (!lr.started && n == 0) {
        rc = no_trace(result,
                      "it left no log in %s (is it setuid, does it clear LD_PRELOAD, "
                      "or did something remove the log?)",
                      ld.path);
    } else if (!lr.started && nonempty == 0) {
        rc = no_trace(result, "its log%s in %s %s empty (a full disk?)", n == 1 ? "" : "s", ld.path,
                      n == 1 ? "is" : "are");
    } else {
        /* The detectors run inside the ingest, over its events in memory.
         * Findings are the point of the run: printed even with -q (like
         * valgrind -q), except the "0 findings" line. Error lines of the
         * ingest are held back one at a time: the last one is the reason
         * of the "no trace" line if the trace is lost. */
        struct weft_ingest_opts o = iopts;
        o.root_pid = (int)si.si_pid;
        o.root_status = status;
        o.symtab = warmed;
        struct weft_ingest_stats st = {0};
        int ok = 1;
        if (lr.started) {
            ok = lr.rc == 0;
            st = lr.st;
        } else {
            weft_err_hold(why, sizeof why);
            ok = weft_out_begin(&ob, final) == 0;
            ok = ok && weft_ingest(logs, n, ob.tmp, &o, &st) == 0;
        }
        /* what --leak-check reported, into the trace (a failure: one
         * line, the trace is kept) */
        if (ok)
            weft_livecheck_store(ld.path, ob.tmp);
        long procs = ok ? weft_db_count_processes(ob.tmp, "") : -1;
        int empty = ok && procs == 0;
        ok = ok && procs > 0;
        /* The program may have made a file of its own at -o meanwhile:
         * checked again, it is never replaced. */
        if (ok && out && weft_out_check("run", out, WEFT_OUT_TRACE, NULL, 0) != 0)
            ok = 0;
        /* The commit and the phase change as one step for the handler:
         * from the rename on, a signal says that the trace is there. */
        sigset_t hold, prev;
        handled_set(&hold);
        sigprocmask(SIG_BLOCK, &hold, &prev);
        for (int k = 1; ok && weft_out_commit(&ob, !out) != 0; k++) {
            /* the default name was taken meanwhile: the next one */
            if (out || errno != EEXIST || k >= 1000) {
                ok = 0;
                break;
            }
            default_name(defout, deflogs, sizeof defout, (int)si.si_pid, k);
            snprintf(ob.final, sizeof ob.final, "%s", defout);
        }
        if (ok) {
            sig_final = ob.final;
            phase = 3;
        }
        sigprocmask(SIG_SETMASK, &prev, NULL);
        int had = weft_err_release(ok);
        if (!ok) {
            weft_out_abort(&ob);
            weft_logdir_disown(&ld); /* the logs are all there is: kept */
            rc = no_trace(result, "%s; its raw logs are kept in %s",
                          empty ? "its logs hold no process"
                          : had ? why
                                : "the ingest failed",
                          ld.path);
        } else {
            if (!quiet) {
                fputs("==weft== trace: ", stderr);
                weft_text_str(stderr, final);
                fprintf(stderr, " (%llu processes, %llu threads, %llu events)\n",
                        (unsigned long long)procs, (unsigned long long)st.threads,
                        (unsigned long long)st.events);
            }
            if (hook.ok) {
                /* -q still says what was found, and what the trace lost */
                if (!quiet || dr.findings || st.losses) {
                    sqlite3 *db = weft_db_open_read(final);
                    if (db)
                        weft_report_text_db(final, db, stderr);
                    sqlite3_close(db);
                }
                if (!quiet)
                    weft_say_suppressed(&dr);
                if (dr.errors && error_exit > 0)
                    rc = (int)error_exit;
            }
            /* The page of the trace (its error line says why not); the
             * exit status stays the program's. */
            if (html) {
                /* The Perfetto trace first, so that the page links it only
                 * when it was written (else the page shows the command). */
                const char *b = strrchr(perfetto, '/');
                char *ins[1] = {(char *) final};
                int pok = weft_report_perfetto_file(final, perfetto, ins, 1) == 0;
                if (weft_report_html_file(final, html, pok ? (b ? b + 1 : perfetto) : NULL) == 0 &&
                    !quiet) {
                    fputs("==weft== report: ", stderr);
                    weft_text_str(stderr, html);
                    if (pok) {
                        fputs(" (Perfetto trace: ", stderr);
                        weft_text_str(stderr, perfetto);
                        fputc(')', stderr);
                    }
                    fputc('\n', stderr);
                }
            }
        }
    }
    for (int k = 0; k < n; k++)
        free(logs[k]);
    free(logs);
done:
    weft_symtab_free(warmed);
    phase = 0; /* a signal from now on simply ends weft */
    /* A directory weft made for --keep-log that stayed empty goes too. */
    if (ld.keep && ld.path[0])
        rmdir(ld.path);
    weft_logdir_remove(&ld);
    sig_logs = NULL;
    weft_supp_free(supp);
    free(prog);
    free(perfetto);
    return rc;
}
