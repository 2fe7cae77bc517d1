/* symbolize.c: return addresses to module, function, file and line, with
 * libdw (elfutils). One Dwfl per traced process, built from its recorded
 * module map: each module reported at the load bias it had in that
 * process, so ASLR does not matter. Results are cached per pc: the same
 * call sites recur in many stacks. */
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "weft.h"

struct cache_ent {
    uint64_t pc; /* 0 = empty */
    struct weft_frame_info info;
};

struct weft_sym {
    Dwfl *dwfl;
    struct cache_ent *cache;
    size_t cap, used;
};

static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

struct weft_sym *weft_sym_new(void) {
    struct weft_sym *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->dwfl = dwfl_begin(&callbacks);
    if (s->dwfl)
        dwfl_report_begin(s->dwfl);
    return s;
}

void weft_sym_add_module(struct weft_sym *s, const char *path, uint64_t bias) {
    if (!s || !s->dwfl || !path || path[0] != '/')
        return; /* the vDSO: frames keep their pc */
    /* The path comes from the log: opened here without blocking and used
     * only if it is a regular file, so that a FIFO or a device put at a
     * module's path cannot hang the ingest (libdw would open it and wait). */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return; /* a file gone since */
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return;
    }
    /* On success libdwfl owns fd; on failure it is still ours. */
    if (!dwfl_report_elf(s->dwfl, path, path, fd, bias, false))
        close(fd);
}

void weft_sym_done(struct weft_sym *s) {
    if (s && s->dwfl)
        dwfl_report_end(s->dwfl, NULL, NULL);
}

static void resolve(struct weft_sym *s, uint64_t pc, struct weft_frame_info *out) {
    memset(out, 0, sizeof *out);
    if (!s->dwfl)
        return;
    /* A return address points after the call: look up the call itself. */
    Dwarf_Addr addr = pc ? pc - 1 : 0;
    Dwfl_Module *m = dwfl_addrmodule(s->dwfl, addr);
    if (!m)
        return;
    Dwarf_Addr start = 0;
    const char *mname = dwfl_module_info(m, NULL, &start, NULL, NULL, NULL, NULL, NULL);
    out->module = mname ? strdup(mname) : NULL;
    Dwarf_Addr bias = 0;
    dwfl_module_getelf(m, &bias);
    out->offset = pc - bias;
    const char *fn = dwfl_module_addrname(m, addr);
    out->function = fn ? strdup(fn) : NULL;
    Dwfl_Line *line = dwfl_module_getsrc(m, addr);
    if (line) {
        int ln = 0;
        const char *file = dwfl_lineinfo(line, NULL, &ln, NULL, NULL, NULL);
        out->file = file ? strdup(file) : NULL;
        out->line = ln;
        return;
    }
    /* Without .debug_aranges (clang's default) libdw cannot map the
     * address to its compilation unit: walk the units and ask each. */
    Dwarf_Die *cu = NULL;
    Dwarf_Addr cubias = 0;
    while ((cu = dwfl_module_nextcu(m, cu, &cubias)) != NULL) {
        if (dwarf_haspc(cu, addr - cubias) <= 0)
            continue;
        Dwarf_Line *dl = dwarf_getsrc_die(cu, addr - cubias);
        if (dl) {
            int ln = 0;
            const char *file = dwarf_linesrc(dl, NULL, NULL);
            dwarf_lineno(dl, &ln);
            out->file = file ? strdup(file) : NULL;
            out->line = ln;
        }
        return;
    }
}

void weft_sym_lookup(struct weft_sym *s, uint64_t pc, struct weft_frame_info *out) {
    if (!s) {
        memset(out, 0, sizeof *out);
        return;
    }
    if (s->used * 2 >= s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 1024;
        struct cache_ent *n = calloc(ncap, sizeof *n);
        if (!n) {
            resolve(s, pc, out); /* leaks the strings; only when out of memory */
            return;
        }
        for (size_t i = 0; i < s->cap; i++)
            if (s->cache[i].pc) {
                size_t j = (s->cache[i].pc * 0x9e3779b97f4a7c15u >> 17) & (ncap - 1);
                while (n[j].pc)
                    j = (j + 1) & (ncap - 1);
                n[j] = s->cache[i];
            }
        free(s->cache);
        s->cache = n;
        s->cap = ncap;
    }
    size_t j = (pc * 0x9e3779b97f4a7c15u >> 17) & (s->cap - 1);
    while (s->cache[j].pc && s->cache[j].pc != pc)
        j = (j + 1) & (s->cap - 1);
    if (!s->cache[j].pc) {
        s->cache[j].pc = pc ? pc : 1;
        resolve(s, pc, &s->cache[j].info);
        s->used++;
    }
    *out = s->cache[j].info;
}

void weft_sym_free(struct weft_sym *s) {
    if (!s)
        return;
    for (size_t i = 0; i < s->cap; i++)
        if (s->cache[i].pc) {
            free((char *)s->cache[i].info.module);
            free((char *)s->cache[i].info.function);
            free((char *)s->cache[i].info.file);
        }
    free(s->cache);
    if (s->dwfl)
        dwfl_end(s->dwfl);
    free(s);
}
