/* SPDX-License-Identifier: MIT */
/* interrupt.c: what a signal that ends weft does to the files it was
 * writing, for the commands that write them without a handler of their
 * own (weft ingest, weft report, weft scenarios around its runs): every
 * output begun and not yet renamed into place goes (reports/outfile.c's
 * list), then the signal takes its course, so that the caller sees weft
 * die of it. Without this a Ctrl-C of `weft ingest -o x.db` left
 * `.weft-tmp-XXXXXX/x.db.tmp-PID` beside x.db. A signal weft was started
 * with ignored (nohup, a background job) stays ignored. weft run has its
 * own handler (cmd_run.c): it must also pass signals on to its program;
 * both end weft the same way (weft_cli_die_of). */
#include <signal.h>
#include <stddef.h>
#include <unistd.h>

#include "cli.h"

static pid_t owner; /* the process whose outputs the list names */

void weft_cli_die_of(int sig) {
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    _exit(128 + sig);
}

static void on_signal(int sig) {
    /* (a fork child between fork and exec shares the list, not the files) */
    if (getpid() == owner)
        weft_out_abort_all();
    weft_cli_die_of(sig);
}

void weft_cli_outputs_on_signals(void) {
    static const int sigs[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP};
    owner = getpid();
    for (size_t k = 0; k < sizeof sigs / sizeof *sigs; k++) {
        struct sigaction old, sa = {0};
        if (sigaction(sigs[k], NULL, &old) != 0 || old.sa_handler == SIG_IGN)
            continue;
        sa.sa_handler = on_signal;
        sigfillset(&sa.sa_mask);
        sigaction(sigs[k], &sa, NULL);
    }
}
