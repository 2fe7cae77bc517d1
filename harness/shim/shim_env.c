/* SPDX-License-Identifier: MIT */
/* shim_env.c: the environment the traced program's children get. Without
 * --trace-children (WEFT_CHILDREN=0) the programs this one executes run
 * untraced: weft's own entry leaves LD_PRELOAD, and only it; the user's
 * entries stay, in their order (issue 9, item 6). A sanitizer runtime
 * that weft run put first (WEFT_PRELOAD_LEAD) leaves in either mode. Runs in the constructor
 * only (it uses the loader, malloc and setenv). With --trace-children, the
 * entries a traced child needs, given back to an exec whose environment
 * the program built without them (weft__env_traced_exec). */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* ---- the variables a traced child needs (weft run --trace-children) ----
 * A program that builds its children's environment itself may keep
 * LD_PRELOAD and drop the rest: lighttpd's mod_cgi passes LD_PRELOAD and
 * LD_LIBRARY_PATH on to its CGI programs "for valgrind", nothing of ours.
 * The new image then loaded the shim without WEFT_LOG, took itself for a
 * plain LD_PRELOAD run and wrote weft-PID.db into the CGI's directory (a
 * file the program never writes), and the run's trace lost that image. So
 * the entries weft run gave us are kept (copied at start), and an exec or
 * spawn whose environment preloads the shim without WEFT_LOG gets them
 * back; an environment without the shim is left as it is (that program
 * runs untraced, as the trace says). */
static const char *const kept_names[] = {"WEFT_LOG=", "WEFT_LIVE_STATE=", "WEFT_STACK_DEPTH=",
                                         "WEFT_DEADLOCK_TIMEOUT_MS=", "WEFT_SHIM_RUNS="};
#define KEPT_N (sizeof kept_names / sizeof kept_names[0])
static char kept[KEPT_N][4200]; /* "NAME=value", or "" */
static char self_base[256];     /* the shim's file name, as LD_PRELOAD names it */

/* Whether envp has an entry NAME= (name includes the '='); its value. */
static const char *env_find(char *const envp[], const char *name) {
    size_t nl = strlen(name);
    for (size_t i = 0; envp && envp[i]; i++)
        if (!strncmp(envp[i], name, nl))
            return envp[i] + nl;
    return NULL;
}

void weft__env_keep_traced(void) {
    const char *log = getenv("WEFT_LOG");
    if (!log || !*log)
        return;
    Dl_info di;
    if (!dladdr((void *)&weft__env_keep_traced, &di) || !di.dli_fname)
        return;
    const char *b = strrchr(di.dli_fname, '/');
    b = b ? b + 1 : di.dli_fname;
    if (strlen(b) >= sizeof self_base)
        return;
    strcpy(self_base, b);
    for (size_t i = 0; i < KEPT_N; i++) {
        const char *v = env_find(environ, kept_names[i]);
        if (v && strlen(kept_names[i]) + strlen(v) < sizeof kept[i])
            strcpy(stpcpy(kept[i], kept_names[i]), v);
    }
}

/* Whether an LD_PRELOAD value names a file called self_base. */
static int preloads_self(const char *pre) {
    size_t bl = strlen(self_base);
    for (const char *p = pre; *p;) {
        while (*p == ':' || *p == ' ' || *p == '\t')
            p++;
        const char *e = p;
        while (*e && *e != ':' && *e != ' ' && *e != '\t')
            e++;
        const char *b = e;
        while (b > p && b[-1] != '/')
            b--;
        if ((size_t)(e - b) == bl && !memcmp(b, self_base, bl))
            return 1;
        p = e;
    }
    return 0;
}

/* No malloc, no lock (this runs in fork children): the new array lives in
 * an anonymous mapping of *mapped bytes, which the caller unmaps when the
 * exec fails; envp itself when nothing is missing. */
char *const *weft__env_traced_exec(char *const envp[], size_t *mapped) {
    *mapped = 0;
    if (!kept[0][0] || !envp || env_find(envp, "WEFT_LOG="))
        return envp;
    const char *pre = env_find(envp, "LD_PRELOAD=");
    if (!pre || !preloads_self(pre))
        return envp;
    size_t n = 0;
    while (envp[n])
        n++;
    size_t size = (n + KEPT_N + 1) * sizeof(char *);
    char **env = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (env == MAP_FAILED)
        return envp;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        env[k++] = envp[i];
    for (size_t i = 0; i < KEPT_N; i++)
        if (kept[i][0] && !env_find(envp, kept_names[i]))
            env[k++] = kept[i];
    env[k] = NULL;
    *mapped = size;
    return env;
}
