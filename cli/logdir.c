/* SPDX-License-Identifier: MIT */
/* logdir.c: where weft run's raw logs live while the program runs. By
 * default a fresh $TMPDIR/weft-XXXXXX (0700) that weft removes at the end;
 * it holds a lock file, weft.lock, locked (flock) by the weft process for
 * as long as it lives and naming the program's pid: when a weft run is
 * SIGKILLed (a CI timeout) its logs stay behind, and a later weft run
 * removes such a directory once its lock is free and its program gone,
 * unless weft was killed while it read the logs live: then they hold the
 * rest of a trace that weft ingest resumes (live-trace), and stay.
 * A directory weft keeps on purpose (--keep-log, or the logs of a trace
 * that could not be written) has no lock file and is never removed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logdir.h"
#include "cli.h"
#include "textesc.h"
#include "weft.h"

static const char *tmp_root(void) {
    const char *t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

int weft_logdir_temp(struct weft_logdir *d) {
    d->keep = 0;
    d->lock_fd = -1;
    const char *root = tmp_root();
    if (snprintf(d->path, sizeof d->path, "%s/weft-XXXXXX", root) >= (int)sizeof d->path ||
        !mkdtemp(d->path)) {
        weft_err("run: cannot make a directory for the logs in %s: %s (set TMPDIR)", root,
                 strerror(errno));
        d->path[0] = 0;
        return -1;
    }
    /* Locked under another name, then renamed: a cleaner never sees an
     * unlocked weft.lock of a live run. */
    char tmp[sizeof d->path + 32], lock[sizeof d->path + 32];
    snprintf(tmp, sizeof tmp, "%s/weft.lock.new", d->path);
    snprintf(lock, sizeof lock, "%s/weft.lock", d->path);
    d->lock_fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (d->lock_fd < 0 || flock(d->lock_fd, LOCK_EX | LOCK_NB) != 0 || rename(tmp, lock) != 0) {
        weft_err("run: cannot lock %s: %s", d->path, strerror(errno));
        if (d->lock_fd >= 0)
            close(d->lock_fd);
        d->lock_fd = -1;
        weft__remove_flat_dir(d->path);
        d->path[0] = 0;
        return -1;
    }
    return 0;
}

int weft_logdir_keep(struct weft_logdir *d, const char *path) {
    d->keep = 1;
    d->lock_fd = -1;
    if (snprintf(d->path, sizeof d->path, "%s", path) >= (int)sizeof d->path) {
        weft_err("run: --keep-log: path too long");
        return -1;
    }
    if (mkdir(path, 0700) != 0) {
        weft_err("run: --keep-log: cannot make %s: %s", path,
                 errno == EEXIST ? "it exists already" : strerror(errno));
        d->path[0] = 0;
        return -1;
    }
    return 0;
}

void weft_logdir_set_pid(struct weft_logdir *d, int pid) {
    if (d->lock_fd < 0)
        return;
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%d\n", pid);
    if (pwrite(d->lock_fd, buf, (size_t)n, 0) != n) {
        /* a full disk: the directory is then taken as stale once weft is
         * gone, whether or not its program still runs */
    }
}

void weft_logdir_disown(struct weft_logdir *d) {
    d->keep = 1;
    if (d->lock_fd < 0)
        return;
    char lock[sizeof d->path + 32];
    snprintf(lock, sizeof lock, "%s/weft.lock", d->path);
    unlink(lock);
    close(d->lock_fd);
    d->lock_fd = -1;
}

void weft_logdir_remove(struct weft_logdir *d) {
    if (d->path[0] && !d->keep)
        weft__remove_flat_dir(d->path);
    if (d->lock_fd >= 0)
        close(d->lock_fd);
    d->lock_fd = -1;
}

static int quiet_stale;

/* Is this entry of the temporary directory a dead weft run's logs? */
static int stale(int rootfd, const char *name) {
    if (strncmp(name, "weft-", 5) || strlen(name) != 11)
        return 0;
    int dfd = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return 0;
    struct stat st;
    int ok = fstat(dfd, &st) == 0 && st.st_uid == geteuid() && (st.st_mode & 077) == 0;
    int lfd = ok ? openat(dfd, "weft.lock", O_RDWR | O_NOFOLLOW | O_CLOEXEC) : -1;
    close(dfd);
    if (lfd < 0)
        return 0;
    int dead = 0;
    if (flock(lfd, LOCK_EX | LOCK_NB) == 0) {
        char buf[32] = {0};
        ssize_t n = pread(lfd, buf, sizeof buf - 1, 0);
        int pid = n > 0 ? atoi(buf) : 0;
        /* the program of a killed weft may still run, writing its logs */
        dead = pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH);
    }
    close(lfd);
    /* weft killed while it read the logs live: its trace can still be
     * resumed from them (weft ingest), so they stay, and one line says
     * how */
    char path[4200], db[4200];
    snprintf(path, sizeof path, "%s/%s", tmp_root(), name);
    if (dead && weft_ingest_resume_file(path, db, sizeof db)) {
        if (!quiet_stale) {
            fputs("==weft== a weft run killed while it read live left its logs in ", stderr);
            weft_text_str(stderr, path);
            fputs(": `weft ingest ", stderr);
            weft_text_str(stderr, path);
            fputs("/log* -o trace.db` makes its whole trace (then remove the directory)\n", stderr);
        }
        return 0;
    }
    return dead;
}

int weft_logdir_clean_stale(int quiet) {
    quiet_stale = quiet;
    const char *root = tmp_root();
    DIR *dir = opendir(root);
    if (!dir)
        return 0;
    int removed = 0;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        if (!stale(dirfd(dir), de->d_name))
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", root, de->d_name);
        weft__remove_flat_dir(path);
        removed++;
    }
    closedir(dir);
    return removed;
}
