/* SPDX-License-Identifier: MIT */
/* symbolize.c: return addresses to module, function, file and line, with
 * libdw (elfutils); the interface is in symbolize.h.
 *
 * A symbol table owns one libdw Dwfl per distinct module file, reported at
 * its own ELF addresses (base 0), so that one Dwfl serves every process
 * that loaded the file, at whatever bias: a process's module map turns a
 * pc into (file, pc - bias) and the file is asked at that ELF address.
 * libdw maps a module's ELF and reads its DWARF per Dwfl: one Dwfl per
 * process cost about 17 MB for each, one per file costs it once per
 * ingest. Answers are cached per (file, offset) in the table, so that the
 * processes of one program share one cache, and their strings are
 * interned in the table's arena (the same names recur in every stack).
 *
 * A table may warm its files beside the caller (weft_symtab_warm): a
 * thread of its own loads their debug information (libdw inflates a
 * compressed .debug_* whole: tens of milliseconds for libc's) while the
 * ingest is still reading its logs, so that the stacks it names at its
 * end find it loaded. Warmed: any file once a stack names it
 * (weft_symmap_warm), and, once the caller says the work ahead is long
 * enough to hide it (weft_symtab_warm), every file whose debug file is
 * installed (local_debug): never a debuginfod search that no lookup would
 * make, and nothing for a short ingest to wait for at its end. */
#include <dlfcn.h>
#include <dwarf.h>
#include <elf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "room.h"
#include "symcache.h"
#include "symbolize.h"
#include "thread.h"

/* ---- strings: an arena and an intern set ---- */

struct blk {
    struct blk *next;
    size_t used, cap;
    char data[];
};

/* One string of a set: its text in the arena and a value for the caller
 * (paths: the file index, see PATH_*). */
struct sent {
    const char *s;
    uint64_t h;
    int32_t val;
};
struct strset {
    struct sent *e;
    size_t cap, used;
};

/* One distinct module file. */
struct file {
    Dwfl *dwfl;
    Dwfl_Module *mod;
    Dwarf_Addr mbias;  /* Dwfl address = ELF address + mbias */
    Dwarf_Addr lo, hi; /* its PT_LOAD extent, Dwfl addresses */
    dev_t dev;         /* identity: a second path to the same file */
    ino_t ino;
    off_t size;
    struct timespec mtime;
    size_t blen; /* 0: no build id */
    unsigned char bid[64];
    struct warm *w; /* its warming, once queued (else NULL) */
    /* Its answers on disk (symcache.h): looked for at the first need;
     * cache: what was there and current (NULL: nothing usable); found:
     * answers libdw gave this ingest, written back at the table's end. */
    int cstate; /* CACHE_* */
    struct weft__symcache_fp fp;
    struct weft__symcache *cache;
    size_t found;
};
enum { CACHE_UNKNOWN, CACHE_OFF, CACHE_ON };

/* One file's warming: queued, then taken by the warming thread, then
 * done; a lookup of a queued file takes it back (the caller loads it as
 * it asks), of one being warmed waits for it. Its own allocation: the
 * files' array moves as it grows, the warming thread must not see that. */
enum { WARM_QUEUED, WARM_BUSY, WARM_DONE };
struct warm {
    Dwfl_Module *mod;
    int state;
    struct warm *next;
};

/* One cached answer: (file + 1, offset) -> names. file1 == 0: empty.
 * fn is the function the address is in (its symbol), src:line the
 * innermost source line; inl, ninl: the functions inlined there,
 * innermost first. */
struct res {
    uint64_t off;
    uint32_t file1;
    int line;
    const char *fn, *src;
    const struct weft__sym_inl *inl;
    uint32_t ninl;
};

/* Values of a path's set entry besides a file index. */
#define PATH_NEW (-2)      /* not opened yet */
#define PATH_UNUSABLE (-1) /* missing, not a regular file, not ELF */

struct weft_symtab {
    struct blk *arena;
    struct strset paths, names;
    struct file *files;
    size_t nfiles, capfiles;
    struct res *res;
    size_t capres, usedres;
    struct cuix *cuix; /* the compilation units' function indexes (inlined_at) */
    size_t ncuix, capcuix;
    /* warming: the queue (newest first, all kept until the table is
     * freed), under mu; cv says a file is done or the queue grew or ends.
     * The thread starts with the first file queued (warm_on; warm_failed
     * when it could not); eager: weft_symtab_warm was called. */
    int warm_on, warm_failed, warm_end, eager;
    unsigned warmed; /* files the thread has loaded (WEFT_INGEST_PROFILE) */
    pthread_t warm_th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct warm *queue;
    /* the answers' cache on disk: its directory, "" when off */
    char cachedir[4096];
    size_t cache_hits;
};

/* One module of a process image. */
struct ment {
    uint64_t lo, hi, bias;
    const char *path; /* interned in the table */
    int32_t file;     /* index in the table, -1: names unknown */
    uint32_t seq;     /* order of adding: the later wins an overlap */
};

struct weft_symmap {
    struct weft_symtab *t;
    struct ment *e;  /* sorted by lo */
    uint64_t *maxhi; /* maxhi[i]: the largest hi of e[0..i] */
    size_t n, cap;
    uint32_t seq;
};

static uint64_t hash_bytes(const void *p, size_t n) {
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3u;
    return h | 1; /* never 0: 0 marks an empty slot */
}

/* n bytes of the table's arena, 8-aligned; NULL when out of memory. */
static void *arena_alloc(struct weft_symtab *t, size_t n) {
    struct blk *b = t->arena;
    size_t at = b ? (b->used + 7) & ~(size_t)7 : 0;
    if (!b || at > b->cap || b->cap - at < n) {
        size_t cap = n > 60000 ? n : 60000;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->used = 0;
        b->cap = cap;
        b->next = t->arena;
        t->arena = b;
        at = 0;
    }
    b->used = at + n;
    return b->data + at;
}

static const char *arena_dup(struct weft_symtab *t, const char *s, size_t n) {
    char *d = arena_alloc(t, n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

/* The entry of s in set, added (val PATH_NEW) when new; NULL when out of
 * memory. Entries move when the set grows: use the pointer at once. */
static struct sent *intern(struct weft_symtab *t, struct strset *set, const char *s) {
    if (set->used * 2 >= set->cap) {
        size_t ncap = set->cap ? set->cap * 2 : 256;
        struct sent *n = calloc(ncap, sizeof *n);
        if (!n)
            return NULL;
        for (size_t i = 0; i < set->cap; i++)
            if (set->e[i].h) {
                size_t j = set->e[i].h & (ncap - 1);
                while (n[j].h)
                    j = (j + 1) & (ncap - 1);
                n[j] = set->e[i];
            }
        free(set->e);
        set->e = n;
        set->cap = ncap;
    }
    size_t len = strlen(s);
    uint64_t h = hash_bytes(s, len);
    size_t j = h & (set->cap - 1);
    for (; set->e[j].h; j = (j + 1) & (set->cap - 1))
        if (set->e[j].h == h && strcmp(set->e[j].s, s) == 0)
            return &set->e[j];
    const char *d = arena_dup(t, s, len);
    if (!d)
        return NULL;
    set->e[j] = (struct sent){d, h, PATH_NEW};
    set->used++;
    return &set->e[j];
}

static const char *intern_name(struct weft_symtab *t, const char *s) {
    if (!s)
        return NULL;
    struct sent *e = intern(t, &t->names, s);
    return e ? e->s : NULL;
}

/* ---- C++ names ----
 * A C++ function's symbol is mangled (_ZNSt6thread11_State_impl...):
 * reports show what the programmer wrote (std::thread::_State_impl<...>::
 * _M_run()), as gdb and eu-stack do. The C++ runtime's own demangler is
 * looked up once, at the first mangled name: weft links no C++, and a
 * machine without libstdc++ keeps the mangled names. */
typedef char *(*demangle_fn)(const char *name, char *buf, size_t *len, int *status);
static demangle_fn demangle;
static pthread_once_t demangle_once = PTHREAD_ONCE_INIT;

static void find_demangler(void) {
    void *h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
    void *f = h ? dlsym(h, "__cxa_demangle") : NULL;
    memcpy(&demangle, &f, sizeof demangle); /* (a data pointer to a function's) */
}

/* name, demangled when it is a C++ symbol, interned. */
static const char *intern_fn(struct weft_symtab *t, const char *name) {
    if (!name || name[0] != '_' || name[1] != 'Z')
        return intern_name(t, name);
    pthread_once(&demangle_once, find_demangler);
    int status = -1;
    char *d = demangle ? demangle(name, NULL, NULL, &status) : NULL;
    const char *out = intern_name(t, d && status == 0 ? d : name);
    free(d);
    return out;
}

/* ---- module files ---- */

/* Separate debug info (a stripped module's DWARF in another file). The
 * module's path, and the debuglink name inside it, come from the log:
 * libdw's standard search would open files in the module's own directory
 * (DIR/NAME.debug, DIR/.debug/NAME.debug) without O_NONBLOCK, so a FIFO
 * put there would hang the ingest, and a debuglink name with "../" would
 * lead anywhere. So libdw searches only the system's tree (/usr/lib/debug,
 * by build id or by path, written by root), and the module's directory
 * is tried here: regular files only, opened without blocking, taken only
 * when their build id is the module's. */
/* Never written (libdw only reads them; its Dwfl_Callbacks wants a char
 * **): a constant shared by every ingest of the process. */
static char debuginfo_dirs[] = "/usr/lib/debug";
static char *debuginfo_path = debuginfo_dirs;

/* The build-id path of a debug file (/usr/lib/debug/.build-id/XX/REST.debug)
 * into buf (BID_PATH_MAX bytes); bid is 2 to 64 bytes. */
#define BID_PATH_MAX (sizeof debuginfo_dirs + 16 + 2 * 64 + 8)
static void bid_path(char *buf, const unsigned char *bid, size_t blen) {
    int n = snprintf(buf, BID_PATH_MAX, "%s/.build-id/%02x/", debuginfo_dirs, bid[0]);
    for (size_t i = 1; i < blen; i++)
        n += snprintf(buf + n, BID_PATH_MAX - (size_t)n, "%02x", bid[i]);
    snprintf(buf + n, BID_PATH_MAX - (size_t)n, ".debug");
}

/* fd of path when it is a regular file whose GNU build id is bid, else -1. */
static int open_debug(const char *path, const unsigned char *bid, int blen) {
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -1;
    }
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    const void *got = NULL;
    ssize_t n = elf ? dwelf_elf_gnu_build_id(elf, &got) : -1;
    int same = n == blen && got && memcmp(got, bid, (size_t)blen) == 0;
    if (elf)
        elf_end(elf);
    if (!same) {
        close(fd);
        return -1;
    }
    return fd;
}

static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, GElf_Addr base,
                          const char *file_name, const char *debuglink, GElf_Word crc,
                          char **debuginfo_file_name) {
    const unsigned char *bid = NULL;
    GElf_Addr vaddr;
    int blen = dwfl_module_build_id(mod, &bid, &vaddr);
    /* crc 0: libdw asks for a dwz alt file (it takes the name's basename) */
    int plain = debuglink && crc != 0;
    if (plain && strchr(debuglink, '/'))
        debuglink = NULL; /* libdw then tries the module's own name + .debug */
    const char *slash = file_name ? strrchr(file_name, '/') : NULL;
    if (plain && debuglink && blen > 0 && slash) {
        static const char *const sub[] = {"/", "/.debug/"};
        for (size_t i = 0; i < 2; i++) {
            size_t dl = (size_t)(slash - file_name),
                   need = dl + strlen(sub[i]) + strlen(debuglink) + 1;
            char *path = malloc(need);
            if (!path)
                return -1;
            snprintf(path, need, "%.*s%s%s", (int)dl, file_name, sub[i], debuglink);
            int fd = open_debug(path, bid, blen);
            if (fd >= 0) {
                *debuginfo_file_name = path;
                return fd;
            }
            free(path);
        }
    }
    /* One at a time in the process: libdw's search starts a debuginfod
     * client, whose first use initialises libcurl's globals unguarded
     * (Helgrind sees two warming threads, or two ingests, race there). */
    static pthread_mutex_t one = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&one);
    int fd = dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink, crc,
                                          debuginfo_file_name);
    pthread_mutex_unlock(&one);
    return fd;
}

static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

static int32_t file_by_bid(const struct weft_symtab *t, const unsigned char *bid, size_t blen) {
    for (size_t i = 0; i < t->nfiles; i++)
        if (t->files[i].blen == blen && memcmp(t->files[i].bid, bid, blen) == 0)
            return (int32_t)i;
    return -1;
}

static int bid_ok(const struct file *f, const unsigned char *bid, size_t blen) {
    return blen == 0 || (f->blen == blen && memcmp(f->bid, bid, blen) == 0);
}

/* Is fd an ELF executable or shared object? A loaded module is one of
 * those; anything else at a path from the log (a core file, /proc/kcore
 * for a root ingest, an object file) is not handed to libdw. */
static int loadable(int fd) {
    unsigned char h[EI_NIDENT + 2];
    if (pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h || memcmp(h, ELFMAG, SELFMAG) != 0)
        return 0;
    unsigned type = h[EI_DATA] == ELFDATA2MSB ? (unsigned)h[EI_NIDENT] << 8 | h[EI_NIDENT + 1]
                                              : (unsigned)h[EI_NIDENT + 1] << 8 | h[EI_NIDENT];
    return type == ET_DYN || type == ET_EXEC;
}

/* Opens the module file at path: its index in the table (a file already
 * there under another path, by inode or build id, is that one), or
 * PATH_UNUSABLE. */
static int32_t open_file(struct weft_symtab *t, const char *path) {
    if (path[0] != '/')
        return PATH_UNUSABLE; /* the vDSO: nothing on disk */
    /* The path comes from the log: opened without blocking and used only
     * if it is a regular file, so that a FIFO or a device put at a
     * module's path cannot hang the ingest (libdw would open it and wait). */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return PATH_UNUSABLE; /* a file gone since */
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !loadable(fd)) {
        close(fd);
        return PATH_UNUSABLE;
    }
    for (size_t i = 0; i < t->nfiles; i++) {
        const struct file *f = &t->files[i];
        if (f->dev == st.st_dev && f->ino == st.st_ino && f->size == st.st_size &&
            f->mtime.tv_sec == st.st_mtim.tv_sec && f->mtime.tv_nsec == st.st_mtim.tv_nsec) {
            close(fd); /* a link, or the /lib and /usr/lib of a merged /usr */
            return (int32_t)i;
        }
    }
    if (t->nfiles == t->capfiles) {
        size_t ncap = t->capfiles ? t->capfiles * 2 : 64;
        struct file *n = realloc(t->files, ncap * sizeof *n);
        if (!n) {
            close(fd);
            return PATH_UNUSABLE;
        }
        t->files = n;
        t->capfiles = ncap;
    }
    Dwfl *dwfl = dwfl_begin(&callbacks);
    if (!dwfl) {
        close(fd);
        return PATH_UNUSABLE;
    }
    dwfl_report_begin(dwfl);
    /* Base 0, p_vaddr added: the module sits at its own ELF addresses,
     * ET_DYN and ET_EXEC alike (libdwfl ignores a base for ET_EXEC). On
     * success libdwfl owns fd; on failure it is still ours. */
    Dwfl_Module *mod = dwfl_report_elf(dwfl, path, path, fd, 0, true);
    if (!mod)
        close(fd);
    dwfl_report_end(dwfl, NULL, NULL);
    Dwarf_Addr lo = 0, hi = 0, mbias = 0;
    if (!mod || !dwfl_module_info(mod, NULL, &lo, &hi, NULL, NULL, NULL, NULL) || lo >= hi ||
        !dwfl_module_getelf(mod, &mbias)) {
        dwfl_end(dwfl);
        return PATH_UNUSABLE;
    }
    const unsigned char *bits = NULL;
    GElf_Addr vaddr;
    int blen = dwfl_module_build_id(mod, &bits, &vaddr);
    if (blen < 0 || blen > 64)
        blen = 0;
    if (blen > 0) {
        int32_t same = file_by_bid(t, bits, (size_t)blen);
        if (same >= 0) {
            dwfl_end(dwfl); /* a copy of a file we have: its DWARF once */
            return same;
        }
    }
    struct file *f = &t->files[t->nfiles];
    memset(f, 0, sizeof *f);
    f->dwfl = dwfl;
    f->mod = mod;
    f->mbias = mbias;
    f->lo = lo;
    f->hi = hi;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->size = st.st_size;
    f->mtime = st.st_mtim;
    f->blen = (size_t)blen;
    if (blen > 0)
        memcpy(f->bid, bits, (size_t)blen);
    return (int32_t)t->nfiles++;
}

/* The file to ask for the names of a module recorded at path with that
 * build id, or -1: none we can trust. */
static int32_t file_for(struct weft_symtab *t, struct sent *pe, const unsigned char *bid,
                        size_t blen) {
    if (pe->val >= 0 && bid_ok(&t->files[pe->val], bid, blen))
        return pe->val;
    /* Another path of the same build (a copy, the other name of a merged
     * /usr) is the same code: no need to open this one. */
    if (blen) {
        int32_t j = file_by_bid(t, bid, blen);
        if (j >= 0)
            return j;
    }
    if (pe->val == PATH_NEW)
        pe->val = open_file(t, pe->s);
    if (pe->val >= 0 && bid_ok(&t->files[pe->val], bid, blen))
        return pe->val;
    /* Gone, not ELF, or rebuilt since the run (another build id): the
     * module keeps its path and offsets, but no name beats a wrong one. */
    return -1;
}

/* ---- answers ---- */

static void settle(struct weft_symtab *t, const struct file *f); /* below: warming */

/* ---- inlined functions ----
 * libdw's dwarf_getscopes visits every DIE of the unit for each address
 * (about 7 ms an address in a C++ unit that includes <regex>: seconds for
 * a few hundred stacks), so each unit is walked once instead, for the
 * code ranges of its functions, and an address then descends only the
 * one function that holds it. */

/* A function's code range in its unit (DWARF addresses). */
struct span {
    Dwarf_Addr lo, hi;
    Dwarf_Die die;
};
/* A unit's functions, by where their code starts. */
struct cuix {
    int32_t file;
    Dwarf_Off off; /* the unit's DIE */
    struct span *s;
    size_t n;
};

static int span_cmp(const void *x, const void *y) {
    const struct span *a = x, *b = y;
    return (a->lo > b->lo) - (a->lo < b->lo);
}

/* The ranges of the functions under parent, into ix (namespaces and
 * classes hold C++ definitions too); 0, or -1 when out of memory. */
static int collect(Dwarf_Die *parent, struct cuix *ix, size_t *cap) {
    Dwarf_Die c;
    if (dwarf_child(parent, &c) != 0)
        return 0;
    do {
        switch (dwarf_tag(&c)) {
        case DW_TAG_subprogram: {
            Dwarf_Addr base, lo, hi;
            for (ptrdiff_t o = 0; (o = dwarf_ranges(&c, o, &base, &lo, &hi)) > 0;) {
                if (ROOM(ix->s, ix->n, *cap, 256) != 0)
                    return -1;
                ix->s[ix->n++] = (struct span){lo, hi, c};
            }
            break;
        }
        case DW_TAG_namespace:
        case DW_TAG_class_type:
        case DW_TAG_structure_type:
        case DW_TAG_union_type:
        case DW_TAG_module:
            if (collect(&c, ix, cap) != 0)
                return -1;
            break;
        default:
            break;
        }
    } while (dwarf_siblingof(&c, &c) == 0);
    return 0;
}

/* The index of unit cu of file fi, made on first use; NULL when out of
 * memory. */
static const struct cuix *cu_index(struct weft_symtab *t, int32_t fi, Dwarf_Die *cu) {
    Dwarf_Off off = dwarf_dieoffset(cu);
    for (size_t i = 0; i < t->ncuix; i++)
        if (t->cuix[i].file == fi && t->cuix[i].off == off)
            return &t->cuix[i];
    if (ROOM(t->cuix, t->ncuix, t->capcuix, 16) != 0)
        return NULL;
    struct cuix ix = {fi, off, NULL, 0};
    size_t cap = 0;
    if (collect(cu, &ix, &cap) != 0) {
        free(ix.s);
        return NULL;
    }
    qsort(ix.s, ix.n, sizeof *ix.s, span_cmp);
    t->cuix[t->ncuix] = ix;
    return &t->cuix[t->ncuix++];
}

/* The function of ix whose code holds pc, or NULL. */
static const struct span *span_of(const struct cuix *ix, Dwarf_Addr pc) {
    size_t lo = 0, hi = ix->n;
    while (lo < hi) { /* the first that starts after pc */
        size_t mid = (lo + hi) / 2;
        if (ix->s[mid].lo <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* the closest start at or before pc whose range holds it (a few back:
     * a function's other ranges, nested functions) */
    for (size_t k = lo, tries = 0; k-- > 0 && tries < 8; tries++)
        if (pc < ix->s[k].hi)
            return &ix->s[k];
    return NULL;
}

/* A DIE's function name: its linkage name demangled (a C++ method with
 * its class), else its name, following an inlined copy to its origin. */
static const char *die_fn(struct weft_symtab *t, Dwarf_Die *die) {
    Dwarf_Attribute at;
    const char *n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &at));
    if (!n)
        n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &at));
    if (n)
        return intern_fn(t, n);
    return intern_name(t, dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &at)));
}

/* The functions inlined at address pc of unit cu (its own addresses) of
 * file fi, innermost first, into r: an optimized build folds a static
 * helper, a C++ lock_guard or a lambda into its caller, and the one
 * return address then stands for all of them (as addr2line -i and gdb
 * show). Up to WEFT_SYM_INLINE_MAX; none when out of memory. */
static void inlined_at(struct weft_symtab *t, int32_t fi, Dwarf_Die *cu, Dwarf_Addr pc,
                       struct res *r) {
    const struct cuix *ix = cu_index(t, fi, cu);
    const struct span *sp = ix ? span_of(ix, pc) : NULL;
    if (!sp)
        return;
    /* down the function's blocks that hold pc: the inlined calls on the
     * way, outermost first */
    Dwarf_Die path[64], cur = sp->die, c;
    int depth = 0;
    for (int found = 1; found && depth < 64;) {
        found = 0;
        if (dwarf_child(&cur, &c) != 0)
            break;
        do {
            int tag = dwarf_tag(&c);
            if ((tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block ||
                 tag == DW_TAG_try_block || tag == DW_TAG_catch_block) &&
                dwarf_haspc(&c, pc) == 1) {
                if (tag == DW_TAG_inlined_subroutine)
                    path[depth++] = c;
                cur = c;
                found = 1;
                break;
            }
        } while (dwarf_siblingof(&c, &c) == 0);
    }
    Dwarf_Files *files = NULL;
    size_t nfiles = 0;
    if (depth && dwarf_getsrcfiles(cu, &files, &nfiles) != 0)
        files = NULL;
    struct weft__sym_inl chain[WEFT_SYM_INLINE_MAX];
    uint32_t k = 0;
    for (int i = depth; i-- > 0 && k < WEFT_SYM_INLINE_MAX;) {
        Dwarf_Attribute at;
        Dwarf_Word file = 0, line = 0;
        chain[k].fn = die_fn(t, &path[i]);
        chain[k].call_file = NULL;
        if (files && dwarf_formudata(dwarf_attr(&path[i], DW_AT_call_file, &at), &file) == 0 &&
            file < nfiles)
            chain[k].call_file = intern_name(t, dwarf_filesrc(files, file, NULL, NULL));
        chain[k].call_line =
            dwarf_formudata(dwarf_attr(&path[i], DW_AT_call_line, &at), &line) == 0 &&
                    line <= 0x7fffffff
                ? (int)line
                : 0;
        k++;
    }
    struct weft__sym_inl *keep = k ? arena_alloc(t, k * sizeof *keep) : NULL;
    if (keep) {
        memcpy(keep, chain, k * sizeof *keep);
        r->inl = keep;
        r->ninl = k;
    }
}

/* Names at Dwfl address a of file f. */
static void resolve(struct weft_symtab *t, const struct file *f, Dwarf_Addr a, struct res *r) {
    Dwfl_Module *m = f->mod;
    settle(t, f);
    if (dwfl_addrmodule(f->dwfl, a) != m)
        return; /* past the file's extent: recorded range and file disagree */
    r->fn = intern_fn(t, dwfl_module_addrname(m, a));
    Dwfl_Line *line = dwfl_module_getsrc(m, a);
    if (line) {
        int ln = 0;
        r->src = intern_name(t, dwfl_lineinfo(line, NULL, &ln, NULL, NULL, NULL));
        r->line = ln;
        Dwarf_Addr cubias = 0;
        Dwarf_Die *cu = dwfl_module_addrdie(m, a, &cubias);
        if (cu)
            inlined_at(t, (int32_t)(f - t->files), cu, a - cubias, r);
        return;
    }
    /* Without .debug_aranges (clang's default) libdw cannot map the
     * address to its compilation unit: walk the units and ask each. */
    Dwarf_Die *cu = NULL;
    Dwarf_Addr cubias = 0;
    while ((cu = dwfl_module_nextcu(m, cu, &cubias)) != NULL) {
        if (dwarf_haspc(cu, a - cubias) <= 0)
            continue;
        Dwarf_Line *dl = dwarf_getsrc_die(cu, a - cubias);
        if (dl) {
            int ln = 0;
            r->src = intern_name(t, dwarf_linesrc(dl, NULL, NULL));
            dwarf_lineno(dl, &ln);
            r->line = ln;
            inlined_at(t, (int32_t)(f - t->files), cu, a - cubias, r);
        }
        return;
    }
}

/* ---- the answers' cache on disk (symcache.h) ---- */

/* elf's section called name (its header into *sh), or NULL. */
static Elf_Scn *section(Elf *elf, const char *name, GElf_Shdr *sh) {
    size_t shstrndx;
    if (elf_getshdrstrndx(elf, &shstrndx) != 0)
        return NULL;
    for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn)) != NULL;) {
        const char *n = gelf_getshdr(scn, sh) ? elf_strptr(elf, shstrndx, sh->sh_name) : NULL;
        if (n && !strcmp(n, name))
            return scn;
    }
    return NULL;
}

/* Whether elf holds DWARF of its own (libdw reads it before it looks for
 * a debug file). */
static int has_dwarf(Elf *elf) {
    GElf_Shdr sh;
    Elf_Scn *scn = section(elf, ".debug_info", &sh);
    if (!scn)
        scn = section(elf, ".zdebug_info", &sh);
    return scn && sh.sh_type != SHT_NOBITS;
}

/* The dwz file the debug file at fd refers to (.gnu_debugaltlink: a
 * name, then its build id): a hash of its build id, and whether its
 * build-id path holds a file now; 0 when it refers to none. */
static uint64_t alt_state(int fd) {
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    GElf_Shdr sh;
    Elf_Scn *scn = elf ? section(elf, ".gnu_debugaltlink", &sh) : NULL;
    Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
    const char *p = d ? d->d_buf : NULL, *nul = p ? memchr(p, 0, d->d_size) : NULL;
    uint64_t out = 0;
    if (nul) {
        const unsigned char *bid = (const unsigned char *)nul + 1;
        size_t blen = d->d_size - (size_t)(nul + 1 - p);
        char path[BID_PATH_MAX];
        if (blen >= 2 && blen <= 64) {
            bid_path(path, bid, blen);
            out = hash_bytes(bid, blen) << 1 | (access(path, R_OK) == 0);
        }
    }
    if (elf)
        elf_end(elf);
    return out;
}

/* A debug file's identity in a fingerprint: its inode, size, change time. */
static void file_id(struct weft__symcache_fp *fp, const struct stat *st) {
    fp->ino = (uint64_t)st->st_ino;
    fp->size = (uint64_t)st->st_size;
    fp->ctime_ns = (uint64_t)st->st_ctim.tv_sec * 1000000000u + (uint64_t)st->st_ctim.tv_nsec;
}

/* Where f's DWARF comes from now: the main file's own, else the first
 * debug file of libdw's search order that exists and is this build's
 * (find_debuginfo above: DIR/LINK and DIR/.debug/LINK, then libdw's
 * standard search: the build-id path, then LINK under /usr/lib/debug).
 * Told from the file system alone: libdw's search cannot be run apart
 * from a load (its build-id search keeps what it opens in the module it
 * is given: docs/harness.md, "The symbols' cache", says what that broke),
 * so cache_save also checks that libdw read that file. 0,
 * or -1 when it cannot be told (no local file, and debuginfod may have
 * one: DEBUGINFOD_URLS). */
static int fingerprint(struct file *f, struct weft__symcache_fp *fp) {
    memset(fp, 0, sizeof *fp);
    GElf_Addr ebias;
    Elf *elf = dwfl_module_getelf(f->mod, &ebias);
    const char *mainfile = NULL;
    dwfl_module_info(f->mod, NULL, NULL, NULL, NULL, NULL, &mainfile, NULL);
    if (!elf || !mainfile || f->blen < 2)
        return -1;
    if (has_dwarf(elf)) {
        fp->kind = WEFT__SYMFP_SELF;
        return 0;
    }
    GElf_Word crc = 0;
    const char *link = dwelf_elf_gnu_debuglink(elf, &crc);
    const char *slash = strrchr(mainfile, '/');
    int dl = slash ? (int)(slash - mainfile) : 0;
    if (link && strchr(link, '/'))
        link = NULL;
    char cand[4][4096];
    int nc = 0;
    if (link && slash) {
        snprintf(cand[nc++], sizeof cand[0], "%.*s/%s", dl, mainfile, link);
        snprintf(cand[nc++], sizeof cand[0], "%.*s/.debug/%s", dl, mainfile, link);
    }
    bid_path(cand[nc++], f->bid, f->blen);
    if (link && slash)
        snprintf(cand[nc++], sizeof cand[0], "%s%.*s/%s", debuginfo_dirs, dl, mainfile, link);
    for (int i = 0; i < nc; i++) {
        int fd = open_debug(cand[i], f->bid, (int)f->blen);
        struct stat st;
        if (fd < 0)
            continue;
        int rc = fstat(fd, &st) == 0 ? 0 : -1;
        if (rc == 0) {
            fp->kind = WEFT__SYMFP_SEPARATE;
            file_id(fp, &st);
            fp->alt = alt_state(fd);
        }
        close(fd);
        return rc;
    }
    const char *urls = getenv("DEBUGINFOD_URLS");
    if (urls && *urls)
        return -1;
    fp->kind = WEFT__SYMFP_NONE;
    return 0;
}

/* f's cache, looked for once (a file with a build id, caching on). Done
 * before the file is first warmed, so never beside its warming. */
static void cache_open(struct weft_symtab *t, struct file *f) {
    if (f->cstate != CACHE_UNKNOWN)
        return;
    f->cstate = CACHE_OFF;
    if (!t->cachedir[0] || !f->blen || fingerprint(f, &f->fp) != 0)
        return;
    f->cstate = CACHE_ON;
    f->cache = weft__symcache_load(t->cachedir, f->bid, f->blen, &f->fp);
}

/* The answer for off of f from its cache into r (strings interned): 1,
 * or 0 when the cache has none. */
static int from_cache(struct weft_symtab *t, struct file *f, uint64_t off, struct res *r) {
    struct weft__sym_ans a;
    cache_open(t, f);
    if (!weft__symcache_get(f->cache, off, &a))
        return 0;
    r->fn = intern_name(t, a.fn);
    r->src = intern_name(t, a.src);
    r->line = a.line;
    struct weft__sym_inl *keep = a.ninl ? arena_alloc(t, a.ninl * sizeof *keep) : NULL;
    for (uint32_t i = 0; keep && i < a.ninl; i++)
        keep[i] = (struct weft__sym_inl){intern_name(t, a.inl[i].fn),
                                         intern_name(t, a.inl[i].call_file), a.inl[i].call_line};
    r->inl = keep;
    r->ninl = keep ? a.ninl : 0;
    t->cache_hits++;
    return 1;
}

/* Whether f's cache answers off (a lookup then needs no debug file). */
static int cached(struct weft_symtab *t, struct file *f, uint64_t off) {
    struct weft__sym_ans a;
    cache_open(t, f);
    return weft__symcache_get(f->cache, off, &a);
}

/* Whether libdw read f's DWARF where its fingerprint says: its own, none,
 * or a debug file that is the fingerprint's (the same inode, size and
 * change time: also unchanged since). Asked after lookups loaded it
 * (nothing is loaded here that was not). */
static int fingerprint_held(struct file *f) {
    Dwarf_Addr bias;
    const char *mainfile = NULL, *debugfile = NULL;
    int has = dwfl_module_getdwarf(f->mod, &bias) != NULL;
    dwfl_module_info(f->mod, NULL, NULL, NULL, NULL, NULL, &mainfile, &debugfile);
    if (f->fp.kind == WEFT__SYMFP_NONE)
        return !has;
    if (f->fp.kind == WEFT__SYMFP_SELF)
        return has && (!debugfile || (mainfile && !strcmp(debugfile, mainfile)));
    struct stat st;
    struct weft__symcache_fp read = f->fp;
    if (!has || !debugfile || stat(debugfile, &st) != 0)
        return 0;
    file_id(&read, &st);
    return memcmp(&read, &f->fp, sizeof read) == 0;
}

/* Writes back the cache of every file whose answers libdw found. */
static void cache_save(struct weft_symtab *t) {
    struct weft__sym_ans *ans = NULL;
    for (size_t i = 0; i < t->nfiles; i++) {
        struct file *f = &t->files[i];
        if (f->cstate != CACHE_ON || !f->found || !fingerprint_held(f))
            continue;
        size_t n = 0;
        if (!ans && !(ans = malloc(t->usedres * sizeof *ans)))
            return;
        for (size_t j = 0; j < t->capres; j++) {
            const struct res *r = &t->res[j];
            if (r->file1 == i + 1)
                ans[n++] = (struct weft__sym_ans){r->off, r->line, r->fn, r->src, r->inl, r->ninl};
        }
        (void)weft__symcache_save(t->cachedir, f->bid, f->blen, &f->fp, f->cache, ans, n);
    }
    free(ans);
}

static size_t res_slot(const struct res *tab, size_t cap, uint32_t file1, uint64_t off) {
    uint64_t h = (off ^ (uint64_t)file1 << 48) * 0x9e3779b97f4a7c15u;
    size_t j = (h >> 17) & (cap - 1);
    while (tab[j].file1 && (tab[j].file1 != file1 || tab[j].off != off))
        j = (j + 1) & (cap - 1);
    return j;
}

/* The answer for offset off (a return address minus the load bias) of
 * file fi, from the cache or found and cached; *tmp when the cache
 * cannot grow. */
static const struct res *answer(struct weft_symtab *t, int32_t fi, uint64_t off, struct res *tmp) {
    uint32_t file1 = (uint32_t)fi + 1;
    struct file *f = &t->files[fi];
    /* A return address points after the call: look up the call itself. */
    Dwarf_Addr a = off - 1 + f->mbias;
    if (t->usedres * 2 >= t->capres) {
        size_t ncap = t->capres ? t->capres * 2 : 4096;
        struct res *n = calloc(ncap, sizeof *n);
        if (!n) {
            memset(tmp, 0, sizeof *tmp);
            resolve(t, f, a, tmp);
            return tmp;
        }
        for (size_t i = 0; i < t->capres; i++)
            if (t->res[i].file1)
                n[res_slot(n, ncap, t->res[i].file1, t->res[i].off)] = t->res[i];
        free(t->res);
        t->res = n;
        t->capres = ncap;
    }
    size_t j = res_slot(t->res, t->capres, file1, off);
    if (!t->res[j].file1) {
        struct res r = {.off = off, .file1 = file1};
        if (!from_cache(t, f, off, &r)) {
            resolve(t, f, a, &r);
            f->found++;
        }
        /* both intern strings, which never touches res: j still holds */
        t->res[j] = r;
        t->usedres++;
    }
    return &t->res[j];
}

/* ---- warming ---- */

/* f, about to be asked: no longer warmed by the thread (taken back when
 * queued, waited for when being warmed). */
static void settle(struct weft_symtab *t, const struct file *f) {
    if (!f->w)
        return;
    pthread_mutex_lock(&t->mu);
    if (f->w->state == WARM_QUEUED)
        f->w->state = WARM_DONE;
    while (f->w->state != WARM_DONE)
        pthread_cond_wait(&t->cv, &t->mu);
    pthread_mutex_unlock(&t->mu);
}

/* Is the debug file of that build id installed at its build-id path (a
 * -dbg or -dbgsym package)? The files whose loading costs the most, and
 * the ones nearly every stack needs (libc's, for the frames every thread
 * starts and ends in): warmed before any stack asks once the table is
 * eager, without a search that could reach debuginfod. */
static int local_debug(const unsigned char *bid, size_t blen) {
    if (blen < 2)
        return 0;
    char path[BID_PATH_MAX];
    bid_path(path, bid, blen);
    return access(path, R_OK) == 0;
}

static void *warm_main(void *arg) {
    struct weft_symtab *t = arg;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        struct warm *w = t->queue;
        while (w && w->state != WARM_QUEUED)
            w = w->next;
        if (!w) {
            if (t->warm_end)
                break;
            pthread_cond_wait(&t->cv, &t->mu);
            continue;
        }
        w->state = WARM_BUSY;
        pthread_mutex_unlock(&t->mu);
        /* What the first lookup would load: the debug file and its DWARF
         * (sections inflated), its address ranges, its symbols. */
        Dwarf_Addr bias;
        Dwarf *dw = dwfl_module_getdwarf(w->mod, &bias);
        Dwarf_Aranges *ar;
        size_t nar;
        if (dw)
            (void)dwarf_getaranges(dw, &ar, &nar);
        (void)dwfl_module_getsymtab(w->mod);
        pthread_mutex_lock(&t->mu);
        w->state = WARM_DONE;
        t->warmed++;
        pthread_cond_broadcast(&t->cv);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

/* The warming thread, started once: 1 when it runs. */
static int warm_start(struct weft_symtab *t) {
    if (t->warm_on || t->warm_failed)
        return t->warm_on;
    t->warm_on = weft_thread_start(&t->warm_th, warm_main, t) == 0;
    t->warm_failed = !t->warm_on;
    return t->warm_on;
}

/* File fi's debug information starts loading beside the caller, unless
 * it is loaded or loading already (or no thread can do it). */
static void warm_file(struct weft_symtab *t, int32_t fi) {
    struct file *f = &t->files[fi];
    if (f->w || !warm_start(t) || !(f->w = malloc(sizeof *f->w)))
        return;
    pthread_mutex_lock(&t->mu);
    *f->w = (struct warm){.mod = f->mod, .state = WARM_QUEUED, .next = t->queue};
    t->queue = f->w;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

/* File fi warms, once the table is eager, if its debug file is installed. */
static void warm_if_local(struct weft_symtab *t, int32_t fi) {
    struct file *f = &t->files[fi];
    if (!t->eager || f->w || !local_debug(f->bid, f->blen))
        return;
    cache_open(t, f);
    if (!f->cache) /* with one, only a lookup it cannot answer loads the file */
        warm_file(t, fi);
}

unsigned weft_symtab_warmed(struct weft_symtab *t) {
    pthread_mutex_lock(&t->mu);
    unsigned n = t->warmed;
    pthread_mutex_unlock(&t->mu);
    return n;
}

void weft_symtab_warm(struct weft_symtab *t) {
    if (!t || t->eager)
        return;
    t->eager = 1;
    for (size_t i = 0; i < t->nfiles; i++)
        warm_if_local(t, (int32_t)i);
}

/* ---- the table ---- */

struct weft_symtab *weft_symtab_new(void) {
    struct weft_symtab *t = calloc(1, sizeof *t);
    if (t) {
        pthread_mutex_init(&t->mu, NULL);
        pthread_cond_init(&t->cv, NULL);
        if (weft__symcache_dir(t->cachedir, sizeof t->cachedir) != 0)
            t->cachedir[0] = 0;
    }
    return t;
}

void weft_symtab_free(struct weft_symtab *t) {
    if (!t)
        return;
    if (t->warm_on) {
        pthread_mutex_lock(&t->mu);
        t->warm_end = 1;
        for (struct warm *w = t->queue; w; w = w->next)
            if (w->state == WARM_QUEUED)
                w->state = WARM_DONE;
        pthread_cond_broadcast(&t->cv);
        pthread_mutex_unlock(&t->mu);
        pthread_join(t->warm_th, NULL);
    }
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    cache_save(t);
    for (size_t i = 0; i < t->nfiles; i++) {
        dwfl_end(t->files[i].dwfl);
        free(t->files[i].w);
        weft__symcache_free(t->files[i].cache);
    }
    free(t->files);
    free(t->res);
    for (size_t i = 0; i < t->ncuix; i++)
        free(t->cuix[i].s);
    free(t->cuix);
    free(t->paths.e);
    free(t->names.e);
    for (struct blk *b = t->arena, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(t);
}

void weft_symtab_stats(const struct weft_symtab *t, struct weft_symtab_stats *out) {
    memset(out, 0, sizeof *out);
    if (!t)
        return;
    out->files = t->nfiles;
    out->paths = t->paths.used;
    out->results = t->usedres;
    out->cache_hits = t->cache_hits;
}

/* ---- module maps ---- */

struct weft_symmap *weft_symmap_new(struct weft_symtab *t) {
    if (!t)
        return NULL;
    struct weft_symmap *m = calloc(1, sizeof *m);
    if (m)
        m->t = t;
    return m;
}

void weft_symmap_add(struct weft_symmap *m, const char *path, uint64_t bias, uint64_t lo,
                     uint64_t hi, const unsigned char *build_id, size_t build_id_len) {
    if (!m || !path || !path[0])
        return;
    struct weft_symtab *t = m->t;
    if (!build_id || build_id_len > 64)
        build_id_len = 0; /* a longer one is no GNU build id: trust the path, as without */
    struct sent *pe = intern(t, &t->paths, path);
    if (!pe)
        return;
    const char *ipath = pe->s;
    int32_t fi = file_for(t, pe, build_id, build_id_len); /* pe is stale from here */
    if (fi >= 0)
        warm_if_local(t, fi);
    if (lo >= hi) {
        if (fi < 0)
            return; /* no range recorded, no file to take it from */
        const struct file *f = &t->files[fi];
        lo = bias + (f->lo - f->mbias);
        hi = bias + (f->hi - f->mbias);
    }
    for (size_t i = 0; i < m->n; i++)
        if (m->e[i].lo == lo && m->e[i].hi == hi && m->e[i].bias == bias && m->e[i].path == ipath &&
            m->e[i].file == fi)
            return; /* the module map written again after a dlopen */
    if (m->n == m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 32;
        struct ment *ne = realloc(m->e, ncap * sizeof *ne);
        if (!ne)
            return;
        m->e = ne;
        uint64_t *nm = realloc(m->maxhi, ncap * sizeof *nm);
        if (!nm)
            return;
        m->maxhi = nm;
        m->cap = ncap;
    }
    size_t at = m->n;
    while (at > 0 && m->e[at - 1].lo > lo)
        at--;
    memmove(&m->e[at + 1], &m->e[at], (m->n - at) * sizeof *m->e);
    m->e[at] = (struct ment){lo, hi, bias, ipath, fi, m->seq++};
    m->n++;
    for (size_t i = at; i < m->n; i++)
        m->maxhi[i] = i && m->maxhi[i - 1] > m->e[i].hi ? m->maxhi[i - 1] : m->e[i].hi;
}

/* The module of return address pc, or NULL. */
static const struct ment *module_of(const struct weft_symmap *m, uint64_t pc) {
    if (!m || m->n == 0)
        return NULL;
    uint64_t a = pc ? pc - 1 : 0;
    /* the last module starting at or below a, then back over those that
     * may still reach it; the one added last wins */
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->e[mid].lo <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    const struct ment *best = NULL;
    for (size_t i = lo; i-- > 0 && m->maxhi[i] > a;)
        if (m->e[i].hi > a && (!best || m->e[i].seq > best->seq))
            best = &m->e[i];
    return best;
}

void weft_symmap_warm(struct weft_symmap *m, uint64_t pc) {
    const struct ment *e = module_of(m, pc);
    if (e && e->file >= 0 && !cached(m->t, &m->t->files[e->file], pc - e->bias))
        warm_file(m->t, e->file);
}

/* pc's frame into out (weft_symmap_lookup), and its cached answer (the
 * functions inlined there), NULL when its file gives no names. */
static const struct res *lookup(struct weft_symmap *m, uint64_t pc, struct weft_frame_info *out,
                                struct res *tmp) {
    memset(out, 0, sizeof *out);
    const struct ment *best = module_of(m, pc);
    if (!best)
        return NULL;
    out->module = best->path;
    out->offset = pc - best->bias;
    if (best->file < 0)
        return NULL;
    const struct res *r = answer(m->t, best->file, pc - best->bias, tmp);
    out->function = r->fn;
    out->file = r->src;
    out->line = r->line;
    return r;
}

void weft_symmap_lookup(struct weft_symmap *m, uint64_t pc, struct weft_frame_info *out) {
    struct res tmp;
    lookup(m, pc, out, &tmp);
}

size_t weft_symmap_frames(struct weft_symmap *m, uint64_t pc, struct weft_frame_info *out,
                          size_t max) {
    if (!max)
        return 0;
    struct res tmp;
    const struct res *r = lookup(m, pc, &out[0], &tmp);
    if (!r || !r->ninl)
        return 1;
    /* frame i < ninl: inlined function i at the line inside it (the
     * innermost line, then each one's call site); the last: the function
     * the code is in, at the outermost one's call site */
    size_t n = 1;
    for (uint32_t i = 0; i < r->ninl && n < max; i++, n++) {
        out[n] = out[0];
        out[n].function = i + 1 < r->ninl ? r->inl[i + 1].fn : r->fn;
        out[n].file = r->inl[i].call_file;
        out[n].line = r->inl[i].call_line;
    }
    out[0].function = r->inl[0].fn;
    return n;
}

void weft_symmap_free(struct weft_symmap *m) {
    if (!m)
        return;
    free(m->e);
    free(m->maxhi);
    free(m);
}

/* ---- the one-process interface (until the ingest uses the table) ---- */

struct weft_sym {
    struct weft_symtab *t; /* private */
    struct weft_symmap *m;
};

struct weft_sym *weft_sym_new(void) {
    struct weft_sym *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->t = weft_symtab_new();
    s->m = weft_symmap_new(s->t);
    if (!s->m) {
        weft_symtab_free(s->t);
        free(s);
        return NULL;
    }
    return s;
}

void weft_sym_add_module(struct weft_sym *s, const char *path, uint64_t bias) {
    /* No range, no build id: the file's own extent, as libdw reported
     * it before; a module that cannot be opened is no module. */
    if (s)
        weft_symmap_add(s->m, path, bias, 0, 0, NULL, 0);
}

void weft_sym_done(struct weft_sym *s) {
    (void)s; /* maps take modules at any time now */
}

void weft_sym_lookup(struct weft_sym *s, uint64_t pc, struct weft_frame_info *out) {
    if (!s) {
        memset(out, 0, sizeof *out);
        return;
    }
    weft_symmap_lookup(s->m, pc, out);
}

void weft_sym_free(struct weft_sym *s) {
    if (!s)
        return;
    weft_symmap_free(s->m);
    weft_symtab_free(s->t);
    free(s);
}

int weft_sym_sanitizer_module(const char *module) {
    static const char *const names[] = {"libasan.so", "libtsan.so", "libhwasan.so", "liblsan.so",
                                        "libubsan.so"};
    if (!module)
        return 0;
    const char *b = strrchr(module, '/');
    b = b ? b + 1 : module;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strncmp(b, names[i], strlen(names[i])))
            return 1;
    return 0;
}
