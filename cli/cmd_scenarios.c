/* SPDX-License-Identifier: MIT */
/* cmd_scenarios.c: `weft scenarios list` and `weft scenarios run`: the
 * scenario suite (scenarios/: programs and their manifest) run under the
 * harness and compared with the manifest. Each run is `weft run -q -o
 * trace.db -- PROG ARGS` exactly, made by executing this very weft binary
 * in a private directory (so a run is what a user gets by hand, and runs
 * go in parallel as separate processes); scenario_check.c compares, this
 * file schedules, shows progress and prints the table and scoreboard. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scenario_run.h"
#include "textesc.h"
#include "cli.h"

static const char *const cmd = "scenarios";

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The directory of programs + manifest: $WEFT_SCENARIOS, else beside this
 * binary as the build tree lays it out (build/bin/weft ->
 * build/scenarios), else as installed (bin/weft ->
 * libexec/weft/scenarios). 0 with dir set, or -1 after one line. */
static int find_dir(char *dir, size_t max) {
    const char *env = getenv("WEFT_SCENARIOS");
    char path[PATH_MAX + 64];
    struct stat st;
    if (env && *env) {
        snprintf(path, sizeof path, "%s/manifest", env);
        if (stat(path, &st) != 0) {
            weft_err("%s: WEFT_SCENARIOS=%s: no manifest there (%s)", cmd, env, strerror(errno));
            return -1;
        }
        /* absolute: each run starts in a directory of its own */
        if (!realpath(env, dir)) {
            weft_err("%s: WEFT_SCENARIOS=%s: %s", cmd, env, strerror(errno));
            return -1;
        }
        return 0;
    }
    char exe[PATH_MAX];
    if (weft_self_exe(exe, sizeof exe) != 0) {
        weft_err("%s: cannot find the weft binary: %s", cmd, strerror(errno));
        return -1;
    }
    char *bindir = dirname(exe);
    static const char *const rel[] = {"../scenarios", "../libexec/weft/scenarios"};
    for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
        snprintf(path, sizeof path, "%s/%s/manifest", bindir, rel[i]);
        if (stat(path, &st) == 0) {
            char d[PATH_MAX + 64];
            snprintf(d, sizeof d, "%s/%s", bindir, rel[i]);
            if (!realpath(d, dir) && snprintf(dir, max, "%s", d) >= (int)max)
                break;
            return 0;
        }
    }
    weft_err("%s: no scenarios beside %s (looked in ../scenarios and ../libexec/weft/scenarios; "
             "set WEFT_SCENARIOS to the directory of the programs and their manifest)",
             cmd, bindir);
    return -1;
}

static int load(char *dir, size_t max, struct weft_manifest *m) {
    char path[PATH_MAX + 64];
    if (find_dir(dir, max) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/manifest", dir);
    return weft_manifest_read(cmd, path, m);
}

static int cmd_list(int argc, char **argv) {
    if (argc > 1) {
        weft_err("%s: list takes no arguments, not '%s'", cmd, argv[1]);
        return 125;
    }
    char dir[PATH_MAX];
    struct weft_manifest m;
    if (load(dir, sizeof dir, &m) != 0)
        return 125;
    int wn = 8, wf = 6, wc = 5;
    for (int i = 0; i < m.n; i++) {
        int l = (int)strlen(m.s[i].name);
        wn = l > wn ? l : wn;
        l = (int)strlen(m.s[i].family);
        wf = l > wf ? l : wf;
        l = (int)strlen(m.s[i].klass);
        wc = l > wc ? l : wc;
    }
    for (int i = 0; i < m.n; i++) {
        char sum[1024];
        weft_text_escape(sum, sizeof sum, m.s[i].summary);
        printf("%-*s  %-*s  %-*s  %s\n", wn, m.s[i].name, wf, m.s[i].family, wc, m.s[i].klass, sum);
    }
    weft_manifest_free(&m);
    return 0;
}

/* ---- choosing scenarios ---- */

static int is_glob(const char *s) {
    return strpbrk(s, "*?[") != NULL;
}

/* fnmatch takes any pattern; an unclosed bracket or a trailing backslash
 * is a typo that would silently match nothing, so it is refused. */
static int glob_ok(const char *p) {
    for (; *p; p++) {
        if (*p == '\\') {
            if (!*++p)
                return 0;
        } else if (*p == '[') {
            const char *q = p + 1;
            if (*q == '!' || *q == '^')
                q++;
            if (*q == ']')
                q++;
            while (*q && *q != ']')
                q++;
            if (!*q)
                return 0;
            p = q;
        }
    }
    return 1;
}

/* sel[i] = 1 for each scenario chosen by the patterns (all when none). */
static int choose(const struct weft_manifest *m, char **pats, int npats, char *sel) {
    if (npats == 0) {
        memset(sel, 1, (size_t)m->n);
        return 0;
    }
    memset(sel, 0, (size_t)m->n);
    for (int p = 0; p < npats; p++) {
        int any = 0;
        if (is_glob(pats[p])) {
            if (!glob_ok(pats[p])) {
                weft_err("%s: bad pattern '%s' (an unclosed [ or a trailing \\)", cmd, pats[p]);
                return -1;
            }
            for (int i = 0; i < m->n; i++)
                if (fnmatch(pats[p], m->s[i].name, 0) == 0)
                    sel[i] = any = 1;
            if (!any) {
                weft_err("%s: no scenario matches '%s' (weft scenarios list shows them)", cmd,
                         pats[p]);
                return -1;
            }
        } else {
            for (int i = 0; i < m->n; i++)
                if (!strcmp(pats[p], m->s[i].name))
                    sel[i] = any = 1;
            if (!any) {
                weft_err("%s: no scenario named '%s' (weft scenarios list shows them)", cmd,
                         pats[p]);
                return -1;
            }
        }
    }
    return 0;
}

/* ---- running ---- */

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* Removes a run's directory and whatever the program left in it (never
 * following a link out of it). */
static void rm_tree(const char *dir) {
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static volatile sig_atomic_t stop_sig;
static void on_stop(int sig) {
    stop_sig = sig;
}

/* Starts `weft run -q -o trace.db -- DIR/NAME ARGS` in r->dir (with
 * keep_log, --keep-log too: the raw logs stay in trace.logs, for the
 * differential test of the ingest): its pid, or -1 after one line. */
static pid_t start(const char *self, const char *sdir, struct weft_srun *r, int keep_log) {
    const struct weft_scenario *s = r->sc;
    char prog[PATH_MAX + 256];
    snprintf(prog, sizeof prog, "%s/%s", sdir, s->name);
    /* weft run -q -o trace.db [--keep-log] -- PROG ARGS... NULL: 9 + nargs
     * (8 was one short with --keep-log: ASan found the write past it). */
    char **av = calloc((size_t)s->nargs + 9, sizeof *av);
    if (!av) {
        weft_err("out of memory");
        return -1;
    }
    int n = 0;
    av[n++] = (char *)"weft";
    av[n++] = (char *)"run";
    av[n++] = (char *)"-q";
    av[n++] = (char *)"-o";
    av[n++] = (char *)"trace.db";
    if (keep_log)
        av[n++] = (char *)"--keep-log";
    av[n++] = (char *)"--";
    av[n++] = prog;
    for (int i = 0; i < s->nargs; i++)
        av[n++] = s->args[i];
    av[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        weft_err("%s: cannot start %s: %s", cmd, s->name, strerror(errno));
        free(av);
        return -1;
    }
    if (pid == 0) {
        /* A process group of its own (weft run, the scenario and its
         * children), so that a timed-out run is killed as a whole: weft
         * run passes SIGTERM on to the program, but a program that
         * ignores it would outlive a SIGKILL of weft run alone. */
        setpgid(0, 0);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        int in = open("/dev/null", O_RDONLY);
        if (chdir(r->dir) != 0 || in < 0)
            _exit(125);
        int out = open("stdout", O_WRONLY | O_CREAT | O_EXCL, 0600);
        int err = open("stderr", O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
            _exit(125);
        execv(self, av);
        dprintf(2, "weft: %s: cannot run %s: %s\n", cmd, self, strerror(errno));
        _exit(125);
    }
    setpgid(pid, 0); /* also here: the group exists before any kill of it */
    free(av);
    return pid;
}

struct slot {
    pid_t pid;
    struct weft_srun *r;
    double t0;
    int termed; /* SIGTERM sent at the timeout; SIGKILL to its group 10 s later */
};

/* The live line on a terminal: done/total, failures so far, what runs. */
static void live(const struct slot *slots, int jobs, int done, int total, int failed) {
    char line[160];
    int n = snprintf(line, sizeof line, "[%d/%d]%s%.0d%s running:", done, total, failed ? " " : "",
                     failed, failed ? " failed," : "");
    for (int i = 0; i < jobs && n < (int)sizeof line; i++)
        if (slots[i].pid > 0)
            n += snprintf(line + n, sizeof line - (size_t)n, " %s", slots[i].r->sc->name);
    if (n >= 79)
        memcpy(line + 76, "...", 4);
    fprintf(stderr, "\r\033[K%s", line);
    fflush(stderr);
}

/* One line of plain progress for a finished run (no terminal). */
static void plain(const struct weft_srun *r, int repeat) {
    char rep[32] = "";
    if (repeat > 1)
        snprintf(rep, sizeof rep, " #%d", r->rep + 1);
    if (r->pass) {
        fprintf(stderr, "pass %s%s (%.2f s)\n", r->sc->name, rep, r->secs);
    } else {
        const char *why = r->why.s ? r->why.s : "";
        const char *nl = strchr(why, '\n');
        /* A known gap's mismatch is expected: say so, not FAIL. */
        fprintf(stderr, "%s %s%s (%.2f s): ", r->sc->known ? "known" : "FAIL", r->sc->name, rep,
                r->secs);
        weft_text_write(stderr, why, nl ? (size_t)(nl - why) : strlen(why));
        fputc('\n', stderr);
    }
}

/* Runs every run in runs[0..total), jobs at once. 0, or -1 when stopped
 * by a signal (the children are stopped and their directories removed by
 * the caller). */
static int run_all(const char *self, const char *sdir, struct weft_srun *runs, int total, int jobs,
                   int repeat, int tty, int keep_log) {
    struct slot *slots = calloc((size_t)jobs, sizeof *slots);
    if (!slots) {
        weft_err("out of memory");
        return -1;
    }
    int next = 0, running = 0, done = 0, failed = 0, rc = 0;
    while ((next < total || running > 0)) {
        while (!stop_sig && running < jobs && next < total) {
            int i = 0;
            while (slots[i].pid > 0)
                i++;
            struct weft_srun *r = &runs[next++];
            slots[i].r = r;
            slots[i].t0 = now();
            slots[i].termed = 0;
            slots[i].pid = start(self, sdir, r, keep_log);
            if (slots[i].pid < 0) {
                slots[i].pid = 0;
                rc = -1;
                stop_sig = SIGTERM;
                break;
            }
            running++;
            if (tty)
                live(slots, jobs, done, total, failed);
        }
        if (running == 0)
            break;
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid <= 0) {
            double t = now();
            for (int i = 0; i < jobs; i++) {
                if (slots[i].pid <= 0)
                    continue;
                double age = t - slots[i].t0;
                if (stop_sig && !slots[i].termed) {
                    kill(slots[i].pid, SIGTERM);
                    slots[i].termed = 1;
                } else if (!slots[i].termed && age > (double)slots[i].r->sc->timeout) {
                    kill(slots[i].pid, SIGTERM);
                    slots[i].termed = 1;
                    slots[i].r->timed_out = 1;
                } else if (slots[i].termed && age > (double)slots[i].r->sc->timeout + 10) {
                    kill(-slots[i].pid, SIGKILL);
                }
            }
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
            continue;
        }
        for (int i = 0; i < jobs; i++) {
            if (slots[i].pid != pid)
                continue;
            struct weft_srun *r = slots[i].r;
            r->wstatus = st;
            r->secs = now() - slots[i].t0;
            slots[i].pid = 0;
            running--;
            done++;
            if (stop_sig)
                break;
            weft_scenario_check(r);
            failed += !r->pass;
            /* On a terminal a failure stays on screen above the live line. */
            if (tty && !r->pass)
                fputs("\r\033[K", stderr);
            if (!tty || !r->pass)
                plain(r, repeat);
            if (tty)
                live(slots, jobs, done, total, failed);
        }
    }
    if (tty) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    free(slots);
    if (stop_sig)
        return -1;
    return rc;
}

/* ---- the summary ---- */

static void summary(const struct weft_sresult *res, int n, int repeat, double wall) {
    int wn = 8, we = 8, wfd = 5;
    char buf[1024];
    for (int i = 0; i < n; i++) {
        int l = (int)strlen(res[i].sc->name);
        wn = l > wn ? l : wn;
        weft_scenario_expected_str(res[i].sc, buf, sizeof buf);
        l = (int)strlen(buf);
        we = l > we ? l : we;
        for (int k = 0; k < res[i].nruns; k++) {
            weft_scenario_found_str(&res[i].runs[k], buf, sizeof buf);
            l = (int)strlen(buf);
            wfd = l > wfd ? l : wfd;
        }
    }
    printf("%-*s  %-*s  %-*s  %-7s  %s\n", wn, "scenario", we, "expected", wfd, "found", "verdict",
           "time");
    int passed = 0, known = 0;
    for (int i = 0; i < n; i++) {
        const struct weft_sresult *r = &res[i];
        const struct weft_srun *run = weft_scenario_shown_run(r);
        char exp[512], fnd[512], verdict[32];
        weft_scenario_expected_str(r->sc, exp, sizeof exp);
        weft_scenario_found_str(run, fnd, sizeof fnd);
        weft_scenario_verdict(r, verdict, sizeof verdict);
        passed += !r->failed && !r->sc->known;
        known += r->failed && r->sc->known;
        printf("%-*s  %-*s  %-*s  %-7s  %.2fs\n", wn, r->sc->name, we, exp, wfd, fnd, verdict,
               r->secs / (r->nruns ? r->nruns : 1));
    }
    /* Why each failure failed (its first failing run). */
    int header = 0;
    for (int i = 0; i < n; i++) {
        const struct weft_sresult *r = &res[i];
        for (int k = 0; k < r->nruns; k++) {
            const struct weft_srun *run = &r->runs[k];
            if (run->pass)
                continue;
            if (!header++)
                printf("\nmismatches:\n");
            printf("  %s%s%s:\n", r->sc->name,
                   r->nruns > 1 ? (snprintf(buf, sizeof buf, " (run %d)", run->rep + 1), buf) : "",
                   r->sc->known ? " (known)" : "");
            for (const char *p = run->why.s; p && *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                fputs("    ", stdout);
                weft_text_write(stdout, p, len);
                fputc('\n', stdout);
                p += len + (nl != NULL);
            }
            break;
        }
        if (r->sc->known && !r->failed) {
            if (!header++)
                printf("\nmismatches:\n");
            printf("  %s: passes, but the manifest calls it a known gap: remove its known: "
                   "line\n",
                   r->sc->name);
        }
    }
    /* The scoreboard: per class, over every run (scenario_score.c). */
    struct weft_sclass *ks;
    int nk = weft_scenario_score(res, n, &ks);
    if (nk < 0)
        return;
    int wk = 5;
    for (int k = 0; k < nk; k++) {
        int l = (int)strlen(ks[k].name);
        wk = l > wk ? l : wk;
    }
    printf("\n%-*s  %9s  %5s  %5s  %5s  %9s  %6s\n", wk, "class", "scenarios", "TP", "FN", "FP",
           "precision", "recall");
    for (int k = 0; k < nk; k++) {
        const struct weft_sclass *c = &ks[k];
        char prec[16], rec[16];
        weft_scenario_ratio(prec, sizeof prec, c->tp, c->tp + c->fp);
        weft_scenario_ratio(rec, sizeof rec, c->tp, c->tp + c->fn);
        printf("%-*s  %9d  %5ld  %5ld  %5ld  %9s  %6s\n", wk, c->name, c->scenarios, c->tp, c->fn,
               c->fp, prec, rec);
    }
    free(ks);
    printf("\n%d scenario%s, %d passed, ", n, n == 1 ? "" : "s", passed);
    if (known)
        printf("%d known gap%s, ", known, known == 1 ? "" : "s");
    printf("%d failed", n - passed - known);
    if (repeat > 1)
        printf(" (%d runs each)", repeat);
    printf("; %.1f s\n", wall);
}

static const char run_usage[] =
    "scenarios run [NAME|GLOB...] [--junit FILE] [--html-dir DIR] [-j N] [--repeat N] "
    "[--keep DIR]";

static int cmd_run(int argc, char **argv) {
    const char *junit = NULL, *html = NULL, *keep = NULL, *jseen = NULL, *rseen = NULL;
    long long jobs = 0, repeat = 1;
    char **pats = calloc((size_t)argc + 1, sizeof *pats);
    int npats = 0, dashdash = 0;
    if (!pats) {
        weft_err("out of memory");
        return 125;
    }
    for (int i = 1; i < argc; i++) {
        int r;
        if (dashdash || argv[i][0] != '-' || !argv[i][1]) {
            pats[npats++] = argv[i];
            continue;
        }
        if (!strcmp(argv[i], "--")) {
            dashdash = 1;
            continue;
        }
        if ((r = weft_opt_value(cmd, argc, argv, &i, NULL, "--junit", &junit)) != 0 ||
            (r = weft_opt_value(cmd, argc, argv, &i, NULL, "--html-dir", &html)) != 0 ||
            (r = weft_opt_value(cmd, argc, argv, &i, NULL, "--keep", &keep)) != 0 ||
            (r = weft_opt_number(cmd, argc, argv, &i, "--jobs", 1, 256, &jseen, &jobs)) != 0 ||
            (r = weft_opt_number(cmd, argc, argv, &i, "--repeat", 1, 1000, &rseen, &repeat)) != 0) {
            if (r < 0) {
                free(pats);
                return 125;
            }
            continue;
        }
        /* -j N, -jN: the short form of --jobs */
        if (!strncmp(argv[i], "-j", 2)) {
            const char *v = argv[i][2] ? argv[i] + 2 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v) {
                weft_err("%s: option -j needs a value", cmd);
                free(pats);
                return 125;
            }
            if (jseen) {
                weft_err("%s: option -j given twice", cmd);
                free(pats);
                return 125;
            }
            jseen = v;
            if (weft_opt_num(cmd, "-j", v, 1, 256, &jobs) != 0) {
                free(pats);
                return 125;
            }
            continue;
        }
        weft_err("%s: unknown option '%s' (usage: weft %s)", cmd, argv[i], run_usage);
        free(pats);
        return 125;
    }
    if (!jseen) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = c > 0 ? c : 1;
    }
    char sdir[PATH_MAX];
    struct weft_manifest m;
    if (load(sdir, sizeof sdir, &m) != 0) {
        free(pats);
        return 125;
    }
    char *sel = calloc((size_t)m.n + 1, 1);
    if (!sel || choose(&m, pats, npats, sel) != 0) {
        free(sel);
        free(pats);
        weft_manifest_free(&m);
        return 125;
    }
    free(pats);
    /* Every output is checked before the first run: a bad path should not
     * cost a whole suite. */
    if (junit && weft_out_check(cmd, junit, WEFT_OUT_JUNIT, NULL, 0) != 0) {
        free(sel);
        weft_manifest_free(&m);
        return 125;
    }
    /* --html-dir DIR: made if missing (its parent must exist), checked
     * before the runs. */
    if (html) {
        struct stat hst;
        if (mkdir(html, 0700) != 0 && errno != EEXIST) {
            weft_err("%s: --html-dir %s: %s", cmd, html, strerror(errno));
            free(sel);
            weft_manifest_free(&m);
            return 125;
        }
        const char *why = stat(html, &hst) != 0     ? strerror(errno)
                          : !S_ISDIR(hst.st_mode)   ? "not a directory"
                          : access(html, W_OK) != 0 ? strerror(errno)
                                                    : NULL;
        if (why) {
            weft_err("%s: --html-dir %s: %s", cmd, html, why);
            free(sel);
            weft_manifest_free(&m);
            return 125;
        }
    }
    char top[PATH_MAX];
    if (keep) {
        if (mkdir(keep, 0700) != 0) {
            weft_err("%s: --keep %s: %s (weft makes the directory; it must not exist)", cmd, keep,
                     strerror(errno));
            free(sel);
            weft_manifest_free(&m);
            return 125;
        }
        if (!realpath(keep, top))
            snprintf(top, sizeof top, "%s", keep);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(top, sizeof top, "%s/weft-scenarios-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(top)) {
            weft_err("%s: cannot make a directory for the runs (%s): %s", cmd, top,
                     strerror(errno));
            free(sel);
            weft_manifest_free(&m);
            return 125;
        }
    }
    char self[PATH_MAX];
    if (weft_self_exe(self, sizeof self) != 0) {
        weft_err("%s: cannot find the weft binary: %s", cmd, strerror(errno));
        rm_tree(top);
        free(sel);
        weft_manifest_free(&m);
        return 125;
    }

    int nsel = 0;
    for (int i = 0; i < m.n; i++)
        nsel += sel[i];
    struct weft_sresult *res = calloc((size_t)nsel, sizeof *res);
    struct weft_srun *runs = calloc((size_t)nsel * (size_t)repeat, sizeof *runs);
    if (!res || !runs) {
        weft_err("out of memory");
        rm_tree(top);
        return 125;
    }
    /* Runs in rounds (every scenario once, then again), so that repeats
     * of one scenario meet different neighbours on the cores. */
    int total = 0, k = 0;
    for (int i = 0; i < m.n; i++)
        if (sel[i])
            res[k++].sc = &m.s[i];
    for (int rep = 0; rep < repeat; rep++)
        for (int i = 0; i < nsel; i++) {
            struct weft_srun *r = &runs[total++];
            r->sc = res[i].sc;
            r->rep = rep;
            int len = repeat > 1
                          ? snprintf(r->dir, sizeof r->dir, "%s/%s.%d", top, r->sc->name, rep + 1)
                          : snprintf(r->dir, sizeof r->dir, "%s/%s", top, r->sc->name);
            if (len >= (int)sizeof r->dir) {
                weft_err("%s: the path of the runs is too long: %s", cmd, top);
                rm_tree(top);
                return 125;
            }
            if (mkdir(r->dir, 0700) != 0) {
                weft_err("%s: cannot make %s: %s", cmd, r->dir, strerror(errno));
                rm_tree(top);
                return 125;
            }
        }
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    double t0 = now();
    int stopped =
        run_all(self, sdir, runs, total, (int)jobs, (int)repeat, isatty(2), keep != NULL) != 0;
    double wall = now() - t0;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    int rc = 0;
    if (stopped) {
        if (stop_sig)
            weft_err("%s: stopped by signal %d", cmd, (int)stop_sig);
        rc = stop_sig ? 128 + stop_sig : 125;
    } else {
        for (int i = 0; i < nsel; i++) {
            res[i].runs = calloc((size_t)repeat, sizeof *res[i].runs);
            if (!res[i].runs) {
                weft_err("out of memory");
                rc = 125;
                break;
            }
            for (int rep = 0; rep < repeat; rep++) {
                const struct weft_srun *r = &runs[rep * nsel + i];
                res[i].runs[res[i].nruns++] = *r;
                res[i].failed += !r->pass;
                res[i].secs += r->secs;
            }
            /* A known gap must mismatch; once it passes, its known: line
             * must go, so that passing is then an error too. */
            if (!res[i].failed != !res[i].sc->known)
                rc = 1;
        }
        if (rc != 125) {
            summary(res, nsel, (int)repeat, wall);
            fflush(stdout);
            if (junit && weft_scenario_junit(junit, res, nsel, wall) != 0)
                rc = 125;
            if (html && weft_scenario_html(html, res, nsel, (int)repeat, wall) != 0)
                rc = 125;
        }
    }
    if (keep) {
        if (rc != 125 && !stopped)
            fprintf(stderr, "weft: %s: traces kept in %s/\n", cmd, top);
    } else {
        rm_tree(top);
    }
    for (int i = 0; i < nsel; i++)
        free(res[i].runs);
    for (int i = 0; i < total; i++)
        weft_srun_free(&runs[i]);
    free(runs);
    free(res);
    free(sel);
    weft_manifest_free(&m);
    return rc;
}

int weft_cmd_scenarios(int argc, char **argv) {
    weft_cli_outputs_on_signals();
    if (argc < 2) {
        weft_err("%s: list or run? (usage: weft scenarios list | weft %s)", cmd, run_usage);
        return 125;
    }
    if (!strcmp(argv[1], "list"))
        return cmd_list(argc - 1, argv + 1);
    if (!strcmp(argv[1], "run"))
        return cmd_run(argc - 1, argv + 1);
    weft_err("%s: unknown subcommand '%s' (list or run)", cmd, argv[1]);
    return 125;
}
