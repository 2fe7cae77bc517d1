/* SPDX-License-Identifier: MIT */
/* cli.h (cli): what the files of the `weft` command share: the
 * subcommands, the path of the running binary, option parsing (cliopt.c),
 * and the ELF check of weft run (elfcheck.c). The libraries' declarations
 * stay with them, included here: harness/weft.h (weft_err, the ingest, the
 * database helpers), harness/util/infile.h (weft_check_regular, the input
 * check), harness/util/thread.h (weft_thread_start, helper threads that
 * take no signals) and reports/outfile.h (weft_out_*, the output files,
 * which the reports write too). Nothing below the command includes this. */
#ifndef WEFT_CLI_H
#define WEFT_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "infile.h"
#include "outfile.h"
#include "thread.h"
#include "weft.h"

/* Subcommands: argc/argv start at the subcommand's own name. */
int weft_cmd_run(int argc, char **argv);
int weft_cmd_ingest(int argc, char **argv);
int weft_cmd_report(int argc, char **argv);
int weft_cmd_scenarios(int argc, char **argv);

/* From now on a terminating signal (INT, QUIT, TERM, HUP) removes the
 * output files begun (weft_out_abort_all), then ends weft as it would
 * have; a signal weft was started with ignored stays ignored
 * (interrupt.c). */
void weft_cli_outputs_on_signals(void);
/* Ends weft by signal sig, as the caller expects of an interrupted
 * command (its disposition made the default, the signal raised again);
 * from a handler of sig (async-signal-safe). */
_Noreturn void weft_cli_die_of(int sig);

/* The line saying how many findings the suppressions silenced, and how
 * many of them weft's defaults did (cmd_detect.c); nothing when none. */
struct weft_detect_result;
void weft_say_suppressed(const struct weft_detect_result *r);

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

/* ELF checks for weft run (elfcheck.c): 1 dynamic, 0 static (message
 * printed), -1 error (message printed); scripts count as dynamic. */
int weft_elf_check_dynamic(const char *path);
/* 1 and its soname when PROG needs a sanitizer runtime that must be
 * loaded first (libasan, libhwasan), else 0. */
int weft_elf_sanitizer_runtime(const char *path, char *soname, size_t n);
/* The load bias of the ELF file at path mapped from offset 0 at start:
 * 0, or -1. */
int weft_elf_load_bias(const char *path, uint64_t start, uint64_t *bias);

/* --leak-check and the dump on SIGUSR1 (livecheck.c): a thread of weft
 * reading the live state files in the run's log directory dir. Every
 * interval_ns (0: never) it reports the waits longer than threshold_ns,
 * each once; weft_livecheck_signal (async-signal-safe, from weft's
 * SIGUSR1 handler) asks it for a dump of every thread now. stop: after
 * the program ended (joins the thread, removes the state files). */
struct weft_livecheck;
struct weft_livecheck *weft_livecheck_start(const char *dir, int64_t interval_ns,
                                            int64_t threshold_ns);
void weft_livecheck_signal(void);
void weft_livecheck_stop(struct weft_livecheck *lc);
/* The module map of process pid now, from /proc/PID/maps (prewarm.c):
 * each file mapped from offset 0, with its bias, its files in t. NULL
 * when unreadable. */
struct weft_symtab;
struct weft_symmap;
struct weft_symmap *weft_proc_symmap(struct weft_symtab *t, int pid);
/* The ingest's symbol table, warmed while the program pid runs
 * (prewarm.c): start once it runs (NULL: no thread, the ingest warms as
 * before); finish after it ended: the table for weft_ingest_opts.symtab
 * (the caller frees it after the ingest), or NULL when nothing was
 * warmed. */
struct weft_prewarm;
struct weft_prewarm *weft_prewarm_start(int pid);
struct weft_symtab *weft_prewarm_finish(struct weft_prewarm *pw);
/* CLOCK_MONOTONIC in ns (livecheck.c; async-signal-safe). */
uint64_t weft_mono_ns(void);
/* Whether process pid (its state file in dir) took signal sig from
 * process sender at or after since_ns (CLOCK_MONOTONIC), in a handler of
 * its own or the shim's fatal one: the signal reached it already. */
int weft_live_took_signal(const char *dir, int pid, int sig, int sender, uint64_t since_ns);
/* The leak checks of the run (its leakcheck file) into the trace at db
 * (table leak_checks): 0, or -1 after one line. */
int weft_livecheck_store(const char *dir, const char *db);
/* DURATION options: digits and a unit (ms, s, m, h; bare: seconds), 1 ms
 * to a year, into *ns; 0, or -1 after one line naming cmd and opt. */
int weft_parse_duration(const char *cmd, const char *opt, const char *s, int64_t *ns);

#endif
