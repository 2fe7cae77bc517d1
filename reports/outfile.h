/* SPDX-License-Identifier: MIT */
/* outfile.h (reports): the files weft writes, a trace database or a
 * report (outfile.c). Here, in reports/, because the reports write their
 * own files (the HTML page, the Perfetto trace beside it) and the command
 * writes its traces and reports with the same rules from above: reports/
 * is the lowest folder that both writes files and may call the ingest's
 * check of a trace database (weft_db_check_output). */
#ifndef WEFT_REPORTS_OUTFILE_H
#define WEFT_REPORTS_OUTFILE_H

#include <stdio.h>

/* Output files (outfile.c): a trace or report is written under a private
 * directory beside its final path (nothing there for another user to plant
 * a link at), made 0600 (it holds argv and paths) and renamed into place
 * at the end, so that a failure never leaves half a file or clobbers one. */
enum { WEFT_OUT_TRACE, WEFT_OUT_REPORT, WEFT_OUT_JUNIT };
/* May path be written as `kind`? Its directory must exist and be
 * writable; an existing path must be a regular file (no symlink), empty
 * or of that kind (a weft trace; a weft report), and never one of the
 * inputs (the same file by device and inode). 0, or -1 after one line. */
int weft_out_check(const char *cmd, const char *path, int kind, char *const *inputs, int ninputs);
struct weft_out {
    char final[4096];
    char dir[4096]; /* the private directory ("" when none) */
    char tmp[8200]; /* the file to write, inside dir */
};
/* Makes the private directory beside final: 0, or -1 after one line. */
int weft_out_begin(struct weft_out *o, const char *final);
/* tmp, written, made 0600 and renamed to final (never over an existing
 * file with noreplace: then -1 with errno EEXIST and no message, the
 * caller picks another name); the private directory removed. 0, or -1
 * after one line. */
int weft_out_commit(struct weft_out *o, int noreplace);
/* The stream that writes tmp (after begin): NULL after one line
 * "cmd: cannot write FINAL: why". */
FILE *weft_out_open(struct weft_out *o, const char *cmd);
/* Ends a written stream: everything must have reached the file or the
 * pipe (a full disk, /dev/full, a closed pipe: fflush and fclose say so).
 * Closes f unless it is stdout. 0, or -1 after one line "cmd: cannot
 * write NAME: why". */
int weft_out_close(FILE *f, const char *cmd, const char *name);
/* Removes what begin made. */
void weft_out_abort(struct weft_out *o);
/* Removes what every begin not yet committed or aborted made, in any
 * thread: for a signal handler that ends weft (async-signal-safe). */
void weft_out_abort_all(void);
/* Removes the entries of a flat directory, then the directory; never
 * follows a link. Async-signal-safe. */
void weft__remove_flat_dir(const char *dir);

#endif
