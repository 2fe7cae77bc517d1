/* cli.h (cli): what the files of the `weft` command share: the
 * subcommands, the path of the running binary, option parsing (cliopt.c),
 * output files (outfile.c) and the ELF check of weft run (elfcheck.c).
 * The libraries' declarations (weft_err, the ingest, the database
 * helpers) stay in harness/weft.h, included here. Nothing below the
 * command should include this; three report files still do, for
 * weft_out_* and weft_check_regular (scripts/check-deps.known). */
#ifndef WEFT_CLI_H
#define WEFT_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "weft.h"

/* Subcommands: argc/argv start at the subcommand's own name. */
int weft_cmd_run(int argc, char **argv);
int weft_cmd_ingest(int argc, char **argv);
int weft_cmd_report(int argc, char **argv);
int weft_cmd_scenarios(int argc, char **argv);

/* The path of the running weft binary into out (what lies beside it:
 * the shim, the scenarios; scenario runs exec it); 0, or -1 with errno. */
int weft_self_exe(char *out, size_t n);

/* Options (cliopt.c): every subcommand reads them alike. */
/* If argv[*i] is the value option shrt (e.g. "-o", or NULL) or lng (e.g.
 * "--output", or NULL), in any of the forms `--output=V`, `--output V`,
 * `-oV`, `-o V`: 1 with *val set (*i moved past a separate value); 0 if it
 * is not that option; -1 after a one-line error naming cmd (a missing or
 * empty value, or the option given twice: *val was already set). */
int weft_opt_value(const char *cmd, int argc, char **argv, int *i, const char *shrt,
                   const char *lng, const char **val);
/* The same for a number option lng (a long one) taking lo..hi: parsed at
 * once (weft_opt_num); *seen (NULL at first) catches a repeat. */
int weft_opt_number(const char *cmd, int argc, char **argv, int *i, const char *lng, long long lo,
                    long long hi, const char **seen, long long *out);
/* s as a decimal number lo..hi (digits only, lo >= 0): 0, or -1 after a
 * one-line error that says the range. */
int weft_opt_num(const char *cmd, const char *opt, const char *s, long long lo, long long hi,
                 long long *out);
/* Is path a regular file? Checked without blocking (a FIFO, a device or a
 * directory is refused, never opened for real): 0, or -1 after one line
 * "what path: why". */
int weft_check_regular(const char *what, const char *path);

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
/* Removes what begin made (async-signal-safe: weft run's handlers use it). */
void weft_out_abort(struct weft_out *o);
/* Removes the entries of a flat directory, then the directory; never
 * follows a link. Async-signal-safe. */
void weft__remove_flat_dir(const char *dir);

/* ELF checks for weft run (elfcheck.c): 1 dynamic, 0 static (message
 * printed), -1 error (message printed); scripts count as dynamic. */
int weft_elf_check_dynamic(const char *path);

#endif
