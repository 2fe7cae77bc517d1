/* cmd_run.c: `weft run [options] -- PROG [ARGS]`: runs PROG with the shim
 * preloaded and its log in a fresh temporary directory, leaves its stdin,
 * stdout and stderr alone, waits, ingests every log the process tree left
 * (one per process), runs the detectors over the trace, prints their
 * findings on stderr (==weft== blocks), and exits with PROG's status
 * (128+N for a death by signal N), or --error-exitcode's N when an error
 * finding was reported. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "detectors.h"
#include "weft.h"

static pid_t child;

static void forward(int sig) {
    if (child > 0)
        kill(child, sig);
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
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len > 0) {
        self[len] = 0;
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = 0;
            if (snprintf(out, n, "%s/libweft-preload.so", self) < (int)n &&
                access(out, R_OK) == 0)
                return 0;
            if (snprintf(out, n, "%s/../lib/libweft-preload.so", self) < (int)n &&
                access(out, R_OK) == 0)
                return 0;
        }
    }
    snprintf(out, n, "%s/libweft-preload.so", WEFT_INSTALL_LIBDIR);
    return access(out, R_OK) == 0 ? 0 : -1;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void remove_dir(const char *dir, char **logs, int n) {
    for (int i = 0; i < n; i++)
        unlink(logs[i]);
    rmdir(dir);
}

int weft_cmd_run(int argc, char **argv) {
    const char *out = NULL;
    int quiet = 0, keep = 0, children = 0, depth = -1, i, error_exit = -1, max_threads = 0;
    int index = 0, all = 0;
    int64_t min_wait = WEFT_MIN_WAIT_NS;
    long deadlock_ms = -1;
    const char *supp_path = NULL;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        if (a[0] != '-')
            break;
        if (!strcmp(a, "-o") && i + 1 < argc)
            out = argv[++i];
        else if (!strncmp(a, "--output=", 9))
            out = a + 9;
        else if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
            quiet = 1;
        else if (!strcmp(a, "--keep-log"))
            keep = 1;
        else if (!strcmp(a, "--index"))
            index = 1;
        else if (!strcmp(a, "--all-events"))
            all = 1;
        else if (!strcmp(a, "--trace-children"))
            children = 1;
        else if (!strncmp(a, "--min-wait=", 11)) {
            if (weft_parse_min_wait("run", a + 11, &min_wait) != 0)
                return 125;
        }
        else if (!strncmp(a, "--stack-depth=", 14)) {
            char *end;
            long v = strtol(a + 14, &end, 10);
            if (*end || v < 0 || v > 128) {
                weft_err("run: --stack-depth takes 0..128, not '%s'", a + 14);
                return 125;
            }
            depth = (int)v;
        } else if (!strncmp(a, "--deadlock-timeout=", 19)) {
            char *end;
            deadlock_ms = strtol(a + 19, &end, 10);
            if (*end || deadlock_ms < 0) {
                weft_err("run: --deadlock-timeout takes milliseconds, not '%s'", a + 19);
                return 125;
            }
        } else if (!strncmp(a, "--error-exitcode=", 17)) {
            char *end;
            long v = strtol(a + 17, &end, 10);
            if (*end || end == a + 17 || v < 0 || v > 255) {
                weft_err("run: --error-exitcode takes 0..255, not '%s'", a + 17);
                return 125;
            }
            error_exit = (int)v;
        } else if (!strncmp(a, "--suppressions=", 15)) {
            supp_path = a + 15;
        } else if (!strncmp(a, "--max-threads=", 14)) {
            char *end;
            long v = strtol(a + 14, &end, 10);
            if (*end || end == a + 14 || v < 1 || v > 100000000) {
                weft_err("run: --max-threads takes a positive number, not '%s'", a + 14);
                return 125;
            }
            max_threads = (int)v;
        } else {
            weft_err("run: unknown option '%s' (try weft --help)", a);
            return 125;
        }
    }
    if (i >= argc) {
        weft_err("run: no program given (usage: weft run [options] -- PROG [ARGS])");
        return 125;
    }
    char **prog_argv = argv + i;
    /* A bad suppressions file is an error before anything runs. */
    struct weft_supp_list *supp = NULL;
    if (supp_path && !(supp = weft_supp_load(supp_path)))
        return 125;
    char *prog = resolve(prog_argv[0]);
    if (!prog) {
        weft_supp_free(supp);
        return 127;
    }
    int dyn = weft_elf_check_dynamic(prog);
    if (dyn != 1) {
        free(prog);
        return 126;
    }
    char shim[PATH_MAX];
    if (find_shim(shim, sizeof shim) != 0) {
        weft_err("cannot find libweft-preload.so (set WEFT_PRELOAD to its path)");
        free(prog);
        return 125;
    }
    char defout[64];
    if (out && weft_db_check_output(out) != 0) {
        free(prog);
        return 125;
    }
    if (!out && access(".", W_OK) != 0) {
        weft_err("cannot write the trace into the current directory: %s (use -o)",
                 strerror(errno));
        free(prog);
        return 125;
    }
    const char *tmpdir = getenv("TMPDIR");
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/weft-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(dir)) {
        weft_err("cannot make a temporary directory in %s: %s", tmpdir ? tmpdir : "/tmp",
                 strerror(errno));
        free(prog);
        return 125;
    }
    char logpath[PATH_MAX + 16];
    snprintf(logpath, sizeof logpath, "%s/log", dir);

    /* The weft process stays out of the way of terminal signals (the
     * program gets them from the terminal itself) and passes on the ones
     * sent to it alone, so that it lives to write the trace. */
    struct sigaction ign = {0}, fwd = {0}, old_int, old_quit, old_term, old_hup;
    ign.sa_handler = SIG_IGN;
    fwd.sa_handler = forward;
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    sigaction(SIGTERM, &fwd, &old_term);
    sigaction(SIGHUP, &fwd, &old_hup);

    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) != 0) {
        weft_err("pipe: %s", strerror(errno));
        return 125;
    }
    child = fork();
    if (child < 0) {
        weft_err("fork: %s", strerror(errno));
        return 125;
    }
    if (child == 0) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        sigaction(SIGHUP, &old_hup, NULL);
        close(errpipe[0]);
        const char *pre = getenv("LD_PRELOAD");
        char *val = malloc(strlen(shim) + (pre ? strlen(pre) : 0) + 2);
        if (val) {
            strcpy(val, shim);
            if (pre && *pre) {
                strcat(val, ":");
                strcat(val, pre);
            }
            setenv("LD_PRELOAD", val, 1);
        }
        setenv("WEFT_LOG", logpath, 1);
        if (!children)
            setenv("WEFT_CHILDREN", "0", 1);
        if (depth >= 0) {
            char d[16];
            snprintf(d, sizeof d, "%d", depth);
            setenv("WEFT_STACK_DEPTH", d, 1);
        }
        if (deadlock_ms >= 0) {
            char d[32];
            snprintf(d, sizeof d, "%ld", deadlock_ms);
            setenv("WEFT_DEADLOCK_TIMEOUT_MS", d, 1);
        }
        execv(prog, prog_argv);
        int e = errno;
        if (write(errpipe[1], &e, sizeof e) < 0) {
        }
        _exit(127);
    }
    close(errpipe[1]);
    int exec_errno = 0;
    ssize_t got;
    do
        got = read(errpipe[0], &exec_errno, sizeof exec_errno);
    while (got < 0 && errno == EINTR);
    close(errpipe[0]);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (got == (ssize_t)sizeof exec_errno) {
        weft_err("%s: cannot execute: %s", prog, strerror(exec_errno));
        rmdir(dir);
        free(prog);
        return exec_errno == ENOENT ? 127 : 126;
    }
    int result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

    /* Every log the tree left: "log" for PROG, "log.PID..." for the others. */
    char *logs[4096];
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d)) && n < 4096)
        if (!strncmp(de->d_name, "log", 3)) {
            char *p = malloc(strlen(dir) + strlen(de->d_name) + 2);
            if (p) {
                sprintf(p, "%s/%s", dir, de->d_name);
                logs[n++] = p;
            }
        }
    if (d)
        closedir(d);
    qsort(logs, (size_t)n, sizeof *logs, by_name);
    if (!out) {
        snprintf(defout, sizeof defout, "weft-%d.db", (int)child);
        out = defout;
    }
    if (n == 0) {
        weft_err("%s left no trace (did it start? is it setuid, or does it clear LD_PRELOAD?)",
                 prog);
    } else {
        /* The detectors run inside the ingest, over its events in memory.
         * Findings are the point of the run: printed even with -q (like
         * valgrind -q), except the "0 findings" line. */
        struct weft_detect_opts dopts = {.supp = supp, .max_threads = max_threads};
        struct weft_detect_result dr = {0};
        struct weft_detect_hook hook = {&dopts, &dr, 0};
        struct weft_ingest_opts o = {.root_pid = child, .root_status = status, .quiet = quiet,
                                     .index = index, .all_events = all, .min_wait_ns = min_wait,
                                     .loaded = weft_detect_hook, .user = &hook};
        struct weft_ingest_stats st = {0};
        if (weft_ingest(logs, n, out, &o, &st) != 0) {
            weft_err("the raw logs are kept in %s", dir);
            keep = 1;
        } else {
            if (!quiet)
                fprintf(stderr,
                        "==weft== trace: %s (%llu processes, %llu threads, %llu events)\n", out,
                        (unsigned long long)st.processes, (unsigned long long)st.threads,
                        (unsigned long long)st.events);
            if (hook.ok) {
                if (!quiet || dr.findings) {
                    sqlite3 *db = weft_db_open_read(out);
                    if (db)
                        weft_findings_text(db, stderr);
                    sqlite3_close(db);
                }
                if (dr.suppressed && !quiet)
                    fprintf(stderr, "==weft== %d suppressed\n", dr.suppressed);
                if (dr.errors && error_exit >= 0)
                    result = error_exit;
            }
        }
    }
    weft_supp_free(supp);
    if (!keep)
        remove_dir(dir, logs, n);
    else if (!quiet)
        fprintf(stderr, "==weft== raw logs: %s\n", dir);
    for (int k = 0; k < n; k++)
        free(logs[k]);
    free(prog);
    return result;
}
