/* SPDX-License-Identifier: MIT */
/* logdir.h: weft run's log directories (logdir.c says how they are made,
 * locked, kept and cleaned). */
#ifndef WEFT_HARNESS_LOGDIR_H
#define WEFT_HARNESS_LOGDIR_H

struct weft_logdir {
    char path[4096];
    int lock_fd; /* weft.lock, held while weft runs; -1 if none */
    int keep;    /* the user's (--keep-log): never removed */
};

/* A fresh, locked $TMPDIR/weft-XXXXXX: 0, or -1 after one line. */
int weft_logdir_temp(struct weft_logdir *d);
/* --keep-log: makes path (0700; it must not exist): 0, or -1 after one line. */
int weft_logdir_keep(struct weft_logdir *d, const char *path);
/* Records the program's pid in the lock file (a later run's cleaning
 * leaves the logs of a program that still runs alone). */
void weft_logdir_set_pid(struct weft_logdir *d, int pid);
/* The directory is kept from now on: its lock file goes, so that no later
 * run removes it. */
void weft_logdir_disown(struct weft_logdir *d);
/* Removes the directory, unless it is kept (--keep-log, or disowned). */
void weft_logdir_remove(struct weft_logdir *d);
/* Removes the log directories of weft runs that were killed (lock free,
 * program gone) from $TMPDIR; returns how many. */
int weft_logdir_clean_stale(int quiet); /* quiet: no line about logs kept to resume */

#endif
