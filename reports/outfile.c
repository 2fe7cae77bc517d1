/* SPDX-License-Identifier: MIT */
/* outfile.c: the files weft writes (a trace database, a report), for the
 * command and for the reports that write their own files. Which existing
 * files -o may replace (only one of the same kind, never an input, never
 * through a link), and how a new one is made: under a private directory
 * (mkdtemp, 0700) beside the final path, so that no other user can plant a
 * link at the name it is written under, made 0600 whatever the umask
 * (traces and reports hold argv and paths), then renamed into place: a
 * failure or an interruption never leaves half a file under the final
 * name. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "outfile.h"
#include "weft.h"

struct dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

void weft__remove_flat_dir(const char *dir) {
    /* getdents64 and unlinkat, no opendir: this runs in signal handlers. */
    for (int pass = 0; pass < 8; pass++) {
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return;
        char buf[4096] __attribute__((aligned(8)));
        long n;
        while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
            for (long off = 0; off < n;) {
                struct dirent64 *d = (struct dirent64 *)(void *)(buf + off);
                off += d->d_reclen;
                if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
                    unlinkat(fd, d->d_name, 0);
            }
        close(fd);
        if (rmdir(dir) == 0 || errno != ENOTEMPTY)
            return;
    }
}

static int same_file(const char *a, const struct stat *sb) {
    struct stat sa;
    return stat(a, &sa) == 0 && sa.st_dev == sb->st_dev && sa.st_ino == sb->st_ino;
}

/* The head of weft scenarios' JUnit file (scenario_junit.c writes it). */
#define JUNIT_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"weft scenarios\""

/* The head of the HTML report (reports/html.c writes it). */
#define HTML_HEAD "<!DOCTYPE html>\n<!-- weft report (HTML)"

/* The head of weft report's JUnit file (reports/junit.c writes it). */
#define JUNIT_REPORT_HEAD                                                                          \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"weft report\""

/* Does the regular file at path start like a weft report (or, for kind
 * WEFT_OUT_JUNIT, like weft's JUnit file)? */
static int is_report(const char *path, int kind) {
    char head[sizeof JUNIT_HEAD] = {0};
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, head, sizeof head - 1);
    close(fd);
    if (kind == WEFT_OUT_JUNIT)
        return n > 0 && !strncmp(head, JUNIT_HEAD, sizeof JUNIT_HEAD - 1);
    /* The text report, JSON, SARIF and Perfetto ({"version" first), the
     * HTML page, weft report's JUnit. */
    return n > 0 && (!strncmp(head, "==weft==", 8) || !strncmp(head, "{\"version\"", 10) ||
                     !strncmp(head, HTML_HEAD, sizeof HTML_HEAD - 1) ||
                     !strncmp(head, JUNIT_REPORT_HEAD, sizeof JUNIT_REPORT_HEAD - 1));
}

int weft_out_check(const char *cmd, const char *path, int kind, char *const *inputs, int ninputs) {
    struct stat st;
    if (kind == WEFT_OUT_TRACE) {
        if (weft_db_check_output(path) != 0)
            return -1;
    } else {
        char *copy = strdup(path);
        if (!copy) {
            weft_err("out of memory");
            return -1;
        }
        const char *dir = dirname(copy);
        int ok = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
        if (!ok || access(dir, W_OK) != 0) {
            weft_err("%s: cannot write %s: %s", cmd, path,
                     ok ? strerror(errno) : "its directory does not exist");
            free(copy);
            return -1;
        }
        free(copy);
        if (lstat(path, &st) == 0) {
            if (!S_ISREG(st.st_mode)) {
                weft_err("%s: cannot write %s: not a regular file (use > for devices and pipes)",
                         cmd, path);
                return -1;
            }
            if (st.st_size > 0 && !is_report(path, kind)) {
                weft_err("%s: refusing to overwrite %s: it is not a weft report", cmd, path);
                return -1;
            }
        }
    }
    if (lstat(path, &st) == 0)
        for (int i = 0; i < ninputs; i++)
            if (same_file(inputs[i], &st)) {
                weft_err("%s: refusing to write %s: it is also an input", cmd, path);
                return -1;
            }
    return 0;
}

/* The outputs begun and neither committed nor aborted, for a signal
 * handler that must take them all back (weft_out_abort_all). An output is
 * made and listed with the signals held off in its thread; busy makes a
 * handler on another thread wait until that is done, so that it never
 * finds a directory made but not listed, or half a path. */
#define MAX_OPEN 8
static struct weft_out *open_outs[MAX_OPEN];
static int busy;

static void hold(sigset_t *prev) {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, prev);
    __atomic_add_fetch(&busy, 1, __ATOMIC_SEQ_CST);
}

static void release(const sigset_t *prev) {
    __atomic_sub_fetch(&busy, 1, __ATOMIC_SEQ_CST);
    pthread_sigmask(SIG_SETMASK, prev, NULL);
}

static void unlist(struct weft_out *o) {
    for (int k = 0; k < MAX_OPEN; k++) {
        struct weft_out *want = o;
        __atomic_compare_exchange_n(&open_outs[k], &want, NULL, 0, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST);
    }
}

static int make_dir(struct weft_out *o, const char *final) {
    o->dir[0] = o->tmp[0] = 0;
    if (snprintf(o->final, sizeof o->final, "%s", final) >= (int)sizeof o->final) {
        weft_err("%s: path too long", final);
        return -1;
    }
    char copy[sizeof o->final];
    memcpy(copy, o->final, sizeof copy);
    char base[sizeof o->final];
    snprintf(base, sizeof base, "%s", basename(copy));
    memcpy(copy, o->final, sizeof copy);
    const char *dir = dirname(copy);
    if (snprintf(o->dir, sizeof o->dir, "%s/.weft-tmp-XXXXXX", dir) >= (int)sizeof o->dir ||
        !mkdtemp(o->dir)) {
        weft_err("cannot write %s: cannot make a temporary directory in %s: %s", final, dir,
                 strerror(errno));
        o->dir[0] = 0;
        return -1;
    }
    snprintf(o->tmp, sizeof o->tmp, "%s/%s", o->dir, base);
    /* (more than MAX_OPEN at once never happens: the last ones would
     * only be left behind by a signal) */
    for (int k = 0; k < MAX_OPEN; k++) {
        struct weft_out *none = NULL;
        if (__atomic_compare_exchange_n(&open_outs[k], &none, o, 0, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST))
            break;
    }
    return 0;
}

int weft_out_begin(struct weft_out *o, const char *final) {
    sigset_t prev;
    hold(&prev);
    int rc = make_dir(o, final);
    release(&prev);
    return rc;
}

void weft_out_abort_all(void) {
    while (__atomic_load_n(&busy, __ATOMIC_SEQ_CST))
        sched_yield();
    for (int k = 0; k < MAX_OPEN; k++) {
        struct weft_out *o = __atomic_load_n(&open_outs[k], __ATOMIC_SEQ_CST);
        if (o && o->dir[0])
            weft__remove_flat_dir(o->dir);
    }
}

/* The rename and the unlisting, as one step for a signal handler. */
static int move_into_place(struct weft_out *o, int noreplace) {
    int rc;
    if (!noreplace) {
        rc = rename(o->tmp, o->final);
    } else {
        rc = renameat2(AT_FDCWD, o->tmp, AT_FDCWD, o->final, RENAME_NOREPLACE);
        if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
            /* a filesystem without RENAME_NOREPLACE: link never replaces */
            rc = link(o->tmp, o->final);
            if (rc == 0)
                unlink(o->tmp);
        }
    }
    if (rc == 0)
        unlist(o);
    return rc;
}

int weft_out_commit(struct weft_out *o, int noreplace) {
    if (chmod(o->tmp, 0600) != 0) {
        weft_err("cannot write %s: %s", o->final, strerror(errno));
        return -1;
    }
    sigset_t prev;
    hold(&prev);
    int rc = move_into_place(o, noreplace);
    int e = errno;
    release(&prev);
    if (rc != 0 && noreplace && e == EEXIST) {
        errno = e;
        return -1;
    }
    if (rc != 0) {
        weft_err("cannot write %s: %s", o->final, strerror(e));
        return -1;
    }
    weft__remove_flat_dir(o->dir);
    o->dir[0] = o->tmp[0] = 0;
    return 0;
}

FILE *weft_out_open(struct weft_out *o, const char *cmd) {
    int fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        weft_err("%s: cannot write %s: %s", cmd, o->final, strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    return f;
}

int weft_out_close(FILE *f, const char *cmd, const char *name) {
    errno = 0;
    int bad = fflush(f) != 0 || ferror(f);
    int e = errno;
    if (f != stdout) {
        errno = 0;
        if (fclose(f) != 0) {
            bad = 1;
            if (!e)
                e = errno;
        }
    }
    if (bad)
        weft_err("%s: cannot write %s: %s", cmd, name, e ? strerror(e) : "write error");
    return bad ? -1 : 0;
}

void weft_out_abort(struct weft_out *o) {
    sigset_t prev;
    hold(&prev);
    unlist(o);
    release(&prev);
    if (o->dir[0])
        weft__remove_flat_dir(o->dir);
    o->dir[0] = 0;
}
