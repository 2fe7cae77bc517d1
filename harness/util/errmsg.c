/* SPDX-License-Identifier: MIT */
/* errmsg.c: the one-line error style of everything the `weft` command
 * links (ingest, detectors, reports, the subcommands): "weft: " and one
 * line on stderr, whatever the message quotes (a path or a name from the
 * traced program could hold newlines or terminal escapes: textesc.c);
 * and holding a line back while a caller decides whether to print it
 * (weft_err_hold). A library of its own so that the ingest, detectors
 * and reports never need the command's main file. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "textesc.h"
#include "weft.h"

/* While held: the line waiting for the next one (weft_err_hold). */
static char *held;
static size_t held_size;
static int held_full;

void weft_err(const char *fmt, ...) {
    /* One line, whatever it quotes: a path or a name from the traced
     * program could hold newlines or terminal escapes (textesc.c). */
    char msg[4096], line[4096 * 4 + 16];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(line, "weft: ", 6);
    size_t n = 6 + weft_text_escape(line + 6, sizeof line - 7, msg);
    line[n++] = '\n';
    line[n] = 0;
    if (held) {
        if (held_full)
            fputs(held, stderr);
        snprintf(held, held_size, "%s", line);
        held_full = 1;
        return;
    }
    fputs(line, stderr);
}

void weft_err_hold(char *buf, size_t n) {
    held = buf;
    held_size = n;
    held_full = 0;
    if (n)
        buf[0] = 0;
}

int weft_err_release(int print) {
    int had = held && held_full;
    if (had && print)
        fputs(held, stderr);
    if (had) {
        /* the caller gets the message without "weft: " and the newline */
        size_t len = strlen(held);
        if (len && held[len - 1] == '\n')
            held[len - 1] = 0;
        memmove(held, held + 6, strlen(held + 6) + 1);
    }
    held = NULL;
    held_full = 0;
    return had;
}
