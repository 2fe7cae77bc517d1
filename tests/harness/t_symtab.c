/* t_symtab.c: the symbol table (harness/symbolize.h) on this program's own
 * functions, from its own module map as the shim would record it
 * (dl_iterate_phdr: path, load bias, range, build id). Built twice: as a
 * PIE (ET_DYN, t_symtab) and not (ET_EXEC, t_symtab_nopie); argv[1] says
 * which, and is checked against the file. argv[2] is a scratch directory
 * for the bad module paths (missing, replaced, FIFO, device, directory).
 * "t_symtab file PATH OFFSET" symbolizes one address of any file.
 * Prints "ok" and exits 0, or says what failed and exits 1. A hang (a FIFO
 * opened for reading) ends in SIGALRM. Built -O0 -g: call sites keep their
 * lines. */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbolize.h"

static int fails;
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "t_symtab:%d: %s: ", __LINE__, #cond);                                 \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            fails++;                                                                               \
        }                                                                                          \
    } while (0)

/* One loaded object, as modules.c records it. */
struct mod {
    char path[4096];
    uint64_t bias, lo, hi;
    unsigned char bid[64];
    size_t blen;
};
static struct mod mods[64];
static int nmods, self = -1;

static int collect(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    (void)data;
    if (nmods == 64)
        return 1;
    struct mod *m = &mods[nmods];
    if (!info->dlpi_name || !info->dlpi_name[0]) {
        ssize_t r = readlink("/proc/self/exe", m->path, sizeof m->path - 1);
        m->path[r > 0 ? r : 0] = 0;
    } else {
        snprintf(m->path, sizeof m->path, "%s", info->dlpi_name);
    }
    m->bias = info->dlpi_addr;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        if (p->p_type == PT_LOAD) {
            uint64_t a = info->dlpi_addr + p->p_vaddr;
            lo = a < lo ? a : lo;
            hi = a + p->p_memsz > hi ? a + p->p_memsz : hi;
        } else if (p->p_type == PT_NOTE) {
            const unsigned char *n = (const void *)(info->dlpi_addr + p->p_vaddr);
            const unsigned char *end = n + p->p_memsz;
            while (n + sizeof(ElfW(Nhdr)) <= end) {
                const ElfW(Nhdr) *nh = (const void *)n;
                size_t nsz = (nh->n_namesz + 3) & ~3u, dsz = (nh->n_descsz + 3) & ~3u;
                const unsigned char *name = n + sizeof *nh, *desc = name + nsz;
                if (desc + dsz > end)
                    break;
                if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
                    memcmp(name, "GNU", 4) == 0 && nh->n_descsz <= 64) {
                    memcpy(m->bid, desc, nh->n_descsz);
                    m->blen = nh->n_descsz;
                }
                n = desc + dsz;
            }
        }
    }
    m->lo = lo;
    m->hi = hi;
    uint64_t me = (uint64_t)(uintptr_t)&collect;
    if (me >= lo && me < hi)
        self = nmods;
    nmods++;
    return 0;
}

static void add_all(struct weft_symmap *m, uint64_t shift) {
    for (int i = 0; i < nmods; i++)
        weft_symmap_add(m, mods[i].path, mods[i].bias + shift, mods[i].lo + shift,
                        mods[i].hi + shift, mods[i].blen ? mods[i].bid : NULL, mods[i].blen);
}

/* Return addresses with known lines: each call of here() is on the line
 * its caller writes into *line (kept on one line: clang-format off). */
static __attribute__((noinline)) uint64_t here(void) {
    return (uint64_t)(uintptr_t)__builtin_return_address(0);
}
/* clang-format off */
static __attribute__((noinline)) uint64_t site_one(int *line) {
    *line = __LINE__; uint64_t pc = here();
    return pc;
}
static __attribute__((noinline)) uint64_t site_two(int *line) {
    *line = __LINE__; uint64_t pc = here();
    return pc;
}
/* clang-format on */

static int ends_with(const char *s, const char *suffix) {
    size_t a = s ? strlen(s) : 0, b = strlen(suffix);
    return s && a >= b && strcmp(s + a - b, suffix) == 0;
}

static int same(const char *a, const char *b) {
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* pc (from site_X) symbolized to fn at its file and line, in this program. */
static void expect_site(const struct weft_frame_info *fi, uint64_t pc, uint64_t bias,
                        const char *fn, int line, const char *what) {
    CHECK(same(fi->module, mods[self].path), "%s: module %s, want %s", what,
          fi->module ? fi->module : "(null)", mods[self].path);
    CHECK(fi->offset == pc - bias, "%s: offset %#llx, want %#llx", what,
          (unsigned long long)fi->offset, (unsigned long long)(pc - bias));
    CHECK(same(fi->function, fn), "%s: function %s, want %s", what,
          fi->function ? fi->function : "(null)", fn);
    CHECK(ends_with(fi->file, "t_symtab.c"), "%s: file %s", what, fi->file ? fi->file : "(null)");
    CHECK(fi->line == line, "%s: line %d, want %d", what, fi->line, line);
}

static void expect_no_names(const struct weft_frame_info *fi, const char *module,
                            const char *what) {
    CHECK(same(fi->module, module), "%s: module %s, want %s", what,
          fi->module ? fi->module : "(null)", module ? module : "(null)");
    CHECK(!fi->function && !fi->file && !fi->line, "%s: named %s %s:%d", what,
          fi->function ? fi->function : "(null)", fi->file ? fi->file : "(null)", fi->line);
}

/* Names, files and lines, here and in libc. */
static void t_names(uint64_t pc1, int l1, uint64_t pc2, int l2) {
    struct weft_symtab *t = weft_symtab_new();
    struct weft_symmap *m = weft_symmap_new(t);
    add_all(m, 0);
    struct weft_frame_info fi;
    weft_symmap_lookup(m, pc1, &fi);
    expect_site(&fi, pc1, mods[self].bias, "site_one", l1, "names");
    weft_symmap_lookup(m, pc2, &fi);
    expect_site(&fi, pc2, mods[self].bias, "site_two", l2, "names");
    /* a libc function, by its own address (+1: lookups step back one);
     * looked up in libc itself, as RTLD_DEFAULT would find a sanitizer's
     * interceptor of the same name first */
    void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    CHECK(libc != NULL, "libc: not loaded: %s", dlerror());
    uint64_t f = (uint64_t)(uintptr_t)(libc ? dlsym(libc, "qsort") : NULL) + 1;
    weft_symmap_lookup(m, f, &fi);
    CHECK(fi.module && strstr(fi.module, "libc"), "libc: module %s",
          fi.module ? fi.module : "(null)");
    CHECK(fi.function && strstr(fi.function, "qsort"), "libc: function %s",
          fi.function ? fi.function : "(null)");
    /* an address in no module */
    weft_symmap_lookup(m, 16, &fi);
    expect_no_names(&fi, NULL, "no module");
    weft_symmap_free(m);
    weft_symtab_free(t);
}

/* Two processes at different biases, one table: the same answers, and
 * the second costs no file and no new answer. */
static void t_shared(uint64_t pc1, int l1) {
    const uint64_t shift = 0x10000000000u;
    struct weft_symtab *t = weft_symtab_new();
    struct weft_symmap *a = weft_symmap_new(t), *b = weft_symmap_new(t);
    add_all(a, 0);
    struct weft_frame_info fa, fb;
    weft_symmap_lookup(a, pc1, &fa);
    struct weft_symtab_stats s1, s2;
    weft_symtab_stats(t, &s1);
    add_all(b, shift);
    weft_symmap_lookup(b, pc1 + shift, &fb);
    weft_symtab_stats(t, &s2);
    expect_site(&fa, pc1, mods[self].bias, "site_one", l1, "shared a");
    expect_site(&fb, pc1 + shift, mods[self].bias + shift, "site_one", l1, "shared b");
    CHECK(fa.function == fb.function && fa.file == fb.file, "one cache: the same strings");
    CHECK(s2.files == s1.files && s2.paths == s1.paths, "b opened files: %zu -> %zu", s1.files,
          s2.files);
    CHECK(s2.results == s1.results, "b's lookup was not cached: %zu -> %zu", s1.results,
          s2.results);
    CHECK(s1.files >= 2 && s1.files < (size_t)nmods, "files %zu for %d modules (vDSO not a file)",
          s1.files, nmods);
    weft_symmap_free(a);
    weft_symmap_free(b);
    weft_symtab_free(t);
}

/* A module added after lookups (a dlopen seen later in the trace). */
static void t_late(uint64_t pc1, int l1) {
    struct weft_symtab *t = weft_symtab_new();
    struct weft_symmap *m = weft_symmap_new(t);
    struct weft_frame_info fi;
    weft_symmap_lookup(m, pc1, &fi);
    expect_no_names(&fi, NULL, "before any module");
    for (int i = 0; i < nmods; i++)
        if (i != self)
            weft_symmap_add(m, mods[i].path, mods[i].bias, mods[i].lo, mods[i].hi, mods[i].bid,
                            mods[i].blen);
    weft_symmap_lookup(m, pc1, &fi);
    expect_no_names(&fi, NULL, "before its module");
    const struct mod *s = &mods[self];
    weft_symmap_add(m, s->path, s->bias, s->lo, s->hi, s->bid, s->blen);
    weft_symmap_add(m, s->path, s->bias, s->lo, s->hi, s->bid, s->blen); /* twice: once */
    weft_symmap_lookup(m, pc1, &fi);
    expect_site(&fi, pc1, s->bias, "site_one", l1, "added late");
    weft_symmap_free(m);
    weft_symtab_free(t);
}

/* A copy of the program with one change: core == 0, its build id differs
 * in one byte (the same program rebuilt after the run: same code here, so
 * that a lookup that ignored the build id would find names); core == 1,
 * it says it is a core file (ET_CORE: no module, though its symbols would
 * answer). */
static int write_patched(const struct mod *s, const char *to, int core) {
    FILE *f = fopen(s->path, "rb");
    if (!f)
        return -1;
    static char buf[16 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    char *at = memmem(buf, n, s->bid, s->blen);
    if (!at || n == sizeof buf || n < sizeof(Elf64_Ehdr))
        return -1;
    if (core)
        ((Elf64_Ehdr *)(void *)buf)->e_type = ET_CORE;
    else
        at[0] ^= 0x5a;
    f = fopen(to, "wb");
    if (!f)
        return -1;
    int rc = fwrite(buf, 1, n, f) == n ? 0 : -1;
    return fclose(f) == 0 ? rc : -1;
}

/* The program's module under other paths: a missing file, another
 * program, the program rebuilt (build ids differ), a core file, a FIFO, a
 * device, a directory, a vDSO-like name. Never a name, never a hang; the module and
 * offset still come from the record. Then a copy and a link: the
 * same build (by build id, by inode) gives the names from the file the
 * table has. */
static void t_bad_paths(const char *dir, uint64_t pc1, int l1) {
    const struct mod *s = &mods[self];
    char missing[4200], other[4200], rebuilt[4200], core[4200], fifo[4200], copy[4200], link[4200],
        cmd[30000];
    snprintf(missing, sizeof missing, "%s/missing.so", dir);
    snprintf(rebuilt, sizeof rebuilt, "%s/rebuilt", dir);
    snprintf(core, sizeof core, "%s/core", dir);
    snprintf(other, sizeof other, "%s/replaced", dir);
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    snprintf(copy, sizeof copy, "%s/copy", dir);
    snprintf(link, sizeof link, "%s/link", dir);
    /* another ELF file where ours was (a later build, or another program) */
    snprintf(cmd, sizeof cmd, "cp /bin/true '%s' && cp '%s' '%s' && ln -sf '%s' '%s'", other,
             s->path, copy, s->path, link);
    CHECK(system(cmd) == 0, "%s", cmd);
    CHECK(write_patched(s, rebuilt, 0) == 0, "cannot write %s", rebuilt);
    CHECK(write_patched(s, core, 1) == 0, "cannot write %s", core);
    unlink(fifo);
    CHECK(mkfifo(fifo, 0600) == 0, "mkfifo %s", fifo);
    const char *bad[] = {missing, other, rebuilt, core, fifo, "/dev/zero", dir, "linux-vdso.so.1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        /* with the recorded build id, and without one (only a file that
         * is no ELF at all, or no file, gives no name then) */
        for (int with_bid = 1; with_bid >= 0; with_bid--) {
            if (!with_bid && (bad[i] == other || bad[i] == rebuilt))
                continue; /* nothing tells a replaced file without a build id */
            struct weft_symtab *t = weft_symtab_new();
            struct weft_symmap *m = weft_symmap_new(t);
            weft_symmap_add(m, bad[i], s->bias, s->lo, s->hi, with_bid ? s->bid : NULL,
                            with_bid ? s->blen : 0);
            struct weft_frame_info fi;
            weft_symmap_lookup(m, pc1, &fi);
            char what[4300];
            snprintf(what, sizeof what, "%s%s", bad[i], with_bid ? "" : " (no build id)");
            expect_no_names(&fi, bad[i], what);
            CHECK(fi.offset == pc1 - s->bias, "%s: offset", what);
            weft_symmap_free(m);
            weft_symtab_free(t);
        }
    }
    /* The real file first, then a replaced one with our build id: the
     * table's file of that build answers. And copies: one file each. */
    struct weft_symtab *t = weft_symtab_new();
    struct weft_symmap *m = weft_symmap_new(t);
    weft_symmap_add(m, s->path, s->bias, s->lo, s->hi, s->bid, s->blen);
    struct weft_symtab_stats st;
    weft_symtab_stats(t, &st);
    CHECK(st.files == 1, "one module, %zu files", st.files);
    const uint64_t shift = 0x10000000000u;
    const char *alias[] = {other, copy, link};
    for (size_t i = 0; i < sizeof alias / sizeof *alias; i++) {
        struct weft_symmap *m2 = weft_symmap_new(t);
        /* the link without a build id: found by its inode */
        int bid = alias[i] != link;
        weft_symmap_add(m2, alias[i], s->bias + shift, s->lo + shift, s->hi + shift,
                        bid ? s->bid : NULL, bid ? s->blen : 0);
        struct weft_frame_info fi;
        weft_symmap_lookup(m2, pc1 + shift, &fi);
        CHECK(same(fi.module, alias[i]), "%s: module %s", alias[i], fi.module ? fi.module : "");
        CHECK(same(fi.function, "site_one") && fi.line == l1, "%s: %s:%d", alias[i],
              fi.function ? fi.function : "(null)", fi.line);
        weft_symtab_stats(t, &st);
        CHECK(st.files == 1, "%s: the same build, %zu files", alias[i], st.files);
        weft_symmap_free(m2);
    }
    weft_symmap_free(m);
    weft_symtab_free(t);
    unlink(fifo);
}

/* The one-process interface the ingest still uses. */
static void t_compat(const char *dir, uint64_t pc1, int l1) {
    struct weft_sym *s = weft_sym_new();
    char fifo[4200];
    snprintf(fifo, sizeof fifo, "%s/fifo2", dir);
    unlink(fifo);
    CHECK(mkfifo(fifo, 0600) == 0, "mkfifo %s", fifo);
    weft_sym_add_module(s, fifo, mods[self].bias); /* not a file: no module */
    for (int i = 0; i < nmods; i++)
        weft_sym_add_module(s, mods[i].path, mods[i].bias);
    weft_sym_done(s);
    struct weft_frame_info fi;
    weft_sym_lookup(s, pc1, &fi);
    expect_site(&fi, pc1, mods[self].bias, "site_one", l1, "compat");
    weft_sym_free(s);
    unlink(fifo);
}

/* t_symtab file PATH OFFSET: PATH's names at its ELF address OFFSET (a
 * function's address + 1, as a return address), as "function file:line". */
static int one_file(const char *path, const char *offset) {
    const uint64_t bias = 0x10000000;
    struct weft_symtab *t = weft_symtab_new();
    struct weft_symmap *m = weft_symmap_new(t);
    weft_symmap_add(m, path, bias, 0, 0, NULL, 0);
    struct weft_frame_info fi;
    weft_symmap_lookup(m, bias + strtoull(offset, NULL, 0), &fi);
    printf("%s %s:%d\n", fi.function ? fi.function : "", fi.file ? fi.file : "", fi.line);
    weft_symmap_free(m);
    weft_symtab_free(t);
    return 0;
}

int main(int argc, char **argv) {
    alarm(30); /* a hang is a failure, not a stuck test */
    if (argc == 4 && strcmp(argv[1], "file") == 0)
        return one_file(argv[2], argv[3]);
    if (argc != 3) {
        fprintf(stderr, "usage: t_symtab pie|nopie SCRATCH_DIR | t_symtab file PATH OFFSET\n");
        return 2;
    }
    dl_iterate_phdr(collect, NULL);
    if (self < 0) {
        fprintf(stderr, "t_symtab: own module not found\n");
        return 1;
    }
    /* Is this the kind of executable we claim to test? */
    FILE *f = fopen(mods[self].path, "rb");
    Elf64_Ehdr eh;
    if (!f || fread(&eh, sizeof eh, 1, f) != 1) {
        fprintf(stderr, "t_symtab: cannot read %s\n", mods[self].path);
        return 1;
    }
    fclose(f);
    int want = strcmp(argv[1], "pie") == 0 ? ET_DYN : ET_EXEC;
    CHECK(eh.e_type == want, "%s is ELF type %d, want %d", mods[self].path, eh.e_type, want);
    CHECK(mods[self].blen > 0, "no build id");
    int l1, l2;
    uint64_t pc1 = site_one(&l1), pc2 = site_two(&l2);
    t_names(pc1, l1, pc2, l2);
    t_shared(pc1, l1);
    t_late(pc1, l1);
    t_bad_paths(argv[2], pc1, l1);
    t_compat(argv[2], pc1, l1);
    if (fails)
        return 1;
    printf("ok\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
