/* cliopt.c: how every subcommand reads its options, so that they all
 * behave alike: a value option takes `--name=V` or `--name V` (and `-oV`
 * or `-o V` for the short one); a missing, empty or repeated value is a
 * one-line error, as is a number that is not plain digits in its range
 * (the error says the range); nothing is silently dropped or wrapped.
 * Also the check that an input is a regular file, made without blocking,
 * so that a FIFO or a device given as a log, a trace or a suppressions
 * file is refused instead of hanging the command. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int weft_check_regular(const char *what, const char *path) {
    /* O_NONBLOCK: opening a FIFO without a writer must not wait; O_NOCTTY:
     * a terminal device must not become ours. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    struct stat st;
    if (fd < 0) {
        weft_err("%s %s: %s", what, path, strerror(errno));
        return -1;
    }
    int rc = fstat(fd, &st);
    int e = errno;
    close(fd);
    if (rc != 0) {
        weft_err("%s %s: %s", what, path, strerror(e));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        weft_err("%s %s: not a regular file (%s)", what, path,
                 S_ISFIFO(st.st_mode)   ? "a FIFO"
                 : S_ISDIR(st.st_mode)  ? "a directory"
                 : S_ISCHR(st.st_mode)  ? "a character device"
                 : S_ISBLK(st.st_mode)  ? "a block device"
                 : S_ISSOCK(st.st_mode) ? "a socket"
                                        : "not a file");
        return -1;
    }
    return 0;
}
