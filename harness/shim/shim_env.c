/* SPDX-License-Identifier: MIT */
/* shim_env.c: the environment the traced program's children get. Without
 * --trace-children (WEFT_CHILDREN=0) the programs this one executes run
 * untraced: weft's own entry leaves LD_PRELOAD, and only it; the user's
 * entries stay, in their order (issue 9, item 6). A sanitizer runtime
 * that weft run put first (WEFT_PRELOAD_LEAD) leaves in either mode. Runs in the constructor
 * only (it uses the loader, malloc and setenv). */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "shim.h"

static const char *base_name(const char *p, size_t n, size_t *bn) {
    size_t i = n;
    while (i > 0 && p[i - 1] != '/')
        i--;
    *bn = n - i;
    return p + i;
}

/* Whether the LD_PRELOAD entry e (n bytes) names the shim, at self. */
static int is_self(const char *e, size_t n, const char *self, const struct stat *self_st) {
    size_t eb, sb;
    const char *ebase = base_name(e, n, &eb), *sbase = base_name(self, strlen(self), &sb);
    if (memchr(e, '/', n) && self_st) {
        /* a path: the same file as ours */
        char path[4096];
        struct stat st;
        if (n < sizeof path) {
            memcpy(path, e, n);
            path[n] = 0;
            if (stat(path, &st) == 0)
                return st.st_dev == self_st->st_dev && st.st_ino == self_st->st_ino;
        }
    }
    /* a bare name, found by the loader's search: ours when the name is */
    return eb == sb && memcmp(ebase, sbase, eb) == 0;
}

void weft__env_drop_self(int self) {
    /* The sanitizer runtime weft run preloaded ahead of us (cli/elfcheck.c)
     * was never the user's: it leaves too, so that the programs this one
     * runs do not get AddressSanitizer forced on them. */
    const char *lead = getenv("WEFT_PRELOAD_LEAD");
    size_t nlead = lead ? strlen(lead) : 0;
    const char *pre = getenv("LD_PRELOAD");
    Dl_info di;
    if (!pre || !dladdr((void *)&weft__env_drop_self, &di) || !di.dli_fname) {
        unsetenv("WEFT_PRELOAD_LEAD");
        return;
    }
    struct stat self_st;
    int have_st = stat(di.dli_fname, &self_st) == 0;
    size_t len = strlen(pre);
    char *out = malloc(len + 1);
    if (!out)
        return;
    size_t o = 0;
    /* Entries are separated by colons or blanks (ld.so(8)). Each kept
     * entry keeps the separator it had before it. */
    for (size_t i = 0; i < len;) {
        size_t s = i;
        while (i < len && (pre[i] == ':' || pre[i] == ' ' || pre[i] == '\t'))
            i++;
        size_t b = i;
        while (i < len && pre[i] != ':' && pre[i] != ' ' && pre[i] != '\t')
            i++;
        if (i == b)
            break;
        if (nlead && i - b == nlead && !memcmp(pre + b, lead, nlead)) {
            nlead = 0; /* only the one entry weft put first */
            continue;
        }
        if (self && is_self(pre + b, i - b, di.dli_fname, have_st ? &self_st : NULL))
            continue;
        if (o)
            out[o++] = b > s ? pre[b - 1] : ':';
        memcpy(out + o, pre + b, i - b);
        o += i - b;
    }
    out[o] = 0;
    if (o)
        setenv("LD_PRELOAD", out, 1);
    else
        unsetenv("LD_PRELOAD");
    free(out);
    unsetenv("WEFT_PRELOAD_LEAD");
}
