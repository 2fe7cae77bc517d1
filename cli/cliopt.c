/* SPDX-License-Identifier: MIT */
/* cliopt.c: how every subcommand reads its options, so that they all
 * behave alike: a value option takes `--name=V` or `--name V` (and `-oV`
 * or `-o V` for the short one); a missing, empty or repeated value is a
 * one-line error, as is a number that is not plain digits in its range
 * (the error says the range); nothing is silently dropped or wrapped.
 * (The check that an input is a regular file is harness/util/infile.c's:
 * the reports use it too.) */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Matches argv[*i] against the option; 1 with *v and *name set (the value
 * may be empty), 0 if it is another option, -1 after an error. */
static int match(const char *cmd, int argc, char **argv, int *i, const char *shrt, const char *lng,
                 const char **val, const char **name_out, const char **v_out) {
    const char *a = argv[*i], *v = NULL, *name = NULL;
    size_t ll = lng ? strlen(lng) : 0, sl = shrt ? strlen(shrt) : 0;
    int next = 0;
    if (lng && !strcmp(a, lng)) {
        name = lng;
        next = 1;
    } else if (lng && !strncmp(a, lng, ll) && a[ll] == '=') {
        name = lng;
        v = a + ll + 1;
    } else if (shrt && !strcmp(a, shrt)) {
        name = shrt;
        next = 1;
    } else if (shrt && !strncmp(a, shrt, sl) && a[sl]) {
        name = shrt;
        v = a + sl;
    } else {
        return 0;
    }
    if (next) {
        if (*i + 1 >= argc) {
            weft_err("%s: option %s needs a value", cmd, name);
            return -1;
        }
        v = argv[++*i];
    }
    if (*val) {
        weft_err("%s: option %s given twice", cmd, name);
        return -1;
    }
    *name_out = name;
    *v_out = v;
    return 1;
}

int weft_opt_value(const char *cmd, int argc, char **argv, int *i, const char *shrt,
                   const char *lng, const char **val) {
    const char *name, *v;
    int r = match(cmd, argc, argv, i, shrt, lng, val, &name, &v);
    if (r != 1)
        return r;
    if (!*v) {
        weft_err("%s: option %s needs a value, not an empty one", cmd, name);
        return -1;
    }
    *val = v;
    return 1;
}

int weft_opt_number(const char *cmd, int argc, char **argv, int *i, const char *lng, long long lo,
                    long long hi, const char **seen, long long *out) {
    const char *name, *v;
    int r = match(cmd, argc, argv, i, NULL, lng, seen, &name, &v);
    if (r != 1)
        return r;
    *seen = v;
    return weft_opt_num(cmd, name, v, lo, hi, out) == 0 ? 1 : -1;
}

int weft_opt_num(const char *cmd, const char *opt, const char *s, long long lo, long long hi,
                 long long *out) {
    long long v = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (hi - (*p - '0')) / 10) {
            v = hi + 1; /* past the range: no overflow, and said so below */
            break;
        }
        v = v * 10 + (*p - '0');
    }
    if (p == s || (*p && v <= hi) || v < lo || v > hi) {
        weft_err("%s: %s takes a number %lld..%lld, not '%s'", cmd, opt, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}
