/* SPDX-License-Identifier: MIT */
/* symbolize.h: recorded return addresses to module, offset, function,
 * file and line (symbolize.c, with libdw). Used by the ingest, never by
 * the traced process.
 *
 * Two levels, so that an ingest of thousands of processes reads each
 * program and library once:
 *   - a symbol table (struct weft_symtab), one per ingest, owns every
 *     module file it was shown (opened and its DWARF read at most once)
 *     and the answers found in them, cached per (file, offset);
 *   - a module map (struct weft_symmap), one per process image, says
 *     where that process had which module (MODULE records) and refers to
 *     the table's files.
 * Not thread-safe: one thread at a time per table (libdw's caches are
 * not locked), its maps included. */
#ifndef WEFT_HARNESS_SYMBOLIZE_H
#define WEFT_HARNESS_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

/* One symbolized frame. Any field may be unknown (NULL, 0): module and
 * offset come from the recorded module map alone, function, file and
 * line only from a module file known to be the one the process ran. */
struct weft_frame_info {
    const char *module; /* the module's path as recorded, NULL: in no recorded module */
    uint64_t offset;    /* pc - the module's load bias (valid when module is set) */
    const char *function;
    const char *file;
    int line;
};

struct weft_symtab;
struct weft_symmap;

/* A new, empty table; NULL when out of memory. */
struct weft_symtab *weft_symtab_new(void);
/* Frees the table, its files and every string it returned. Its maps must
 * be freed first (weft_symmap_free). NULL is a no-op. */
void weft_symtab_free(struct weft_symtab *t);
/* Debug information loads beside the caller, on a thread of the table's,
 * for the files weft_symmap_warm names; after weft_symtab_warm also for
 * every file, open or opened later, whose debug file is installed (most
 * stacks end in libc, whose debug sections take tens of milliseconds to
 * inflate: worth it when the caller has that much work left). A lookup
 * of a file waits for its loading or does it itself; the table's free
 * waits for the file being loaded. */
void weft_symtab_warm(struct weft_symtab *t);
/* The files warmed beside the caller so far (for WEFT_INGEST_PROFILE). */
unsigned weft_symtab_warmed(struct weft_symtab *t);

/* What a table holds (for tests and benchmarks). */
struct weft_symtab_stats {
    size_t files;      /* distinct module files open (one libdw Dwfl each) */
    size_t paths;      /* distinct module paths shown */
    size_t results;    /* cached (file, offset) answers */
    size_t cache_hits; /* of them, read from the cache on disk (symcache.h) */
};
void weft_symtab_stats(const struct weft_symtab *t, struct weft_symtab_stats *out);

/* A new, empty module map of one process image, whose modules and
 * answers live in t; NULL when out of memory (or t is NULL). */
struct weft_symmap *weft_symmap_new(struct weft_symtab *t);

/* The process had the module at path loaded at load bias `bias` (runtime
 * address = ELF address + bias), covering [lo, hi) of its address space;
 * build_id (build_id_len bytes) is its GNU build id as the process saw it
 * in memory, NULL/0 when it had none. This is a MODULE record: obj=bias,
 * arg=lo, arg2=hi, the path and build id in its data.
 * May be called at any time, also after lookups (a dlopen seen later in
 * the trace): later lookups see the module; where ranges overlap, the
 * module added last wins. The same module added twice is kept once.
 * lo >= hi: the extent of the file at path, from its program headers
 * (nothing is added when that file cannot be used).
 * The path comes from an untrusted log: it is opened without blocking and
 * used only when it is a regular file holding an ELF executable or shared
 * object (a FIFO or a device there never hangs the ingest); when the
 * process recorded a build id and the file at path has another one
 * (rebuilt or replaced since the run), another file of the table with
 * that build id is used, else the module keeps its path and offsets but
 * gives no names: no name beats a wrong one. Paths that are not absolute
 * (the vDSO) are never opened. Out of memory: the module is left out. */
void weft_symmap_add(struct weft_symmap *m, const char *path, uint64_t bias, uint64_t lo,
                     uint64_t hi, const unsigned char *build_id, size_t build_id_len);

/* Symbolizes pc, a return address: it points after its call, so the
 * lookup steps back one byte (for a function's own address, pass it + 1).
 * out is always filled (all unknown when pc is in no module). Its strings
 * live as long as the table. */
void weft_symmap_lookup(struct weft_symmap *m, uint64_t pc, struct weft_frame_info *out);
#define WEFT_SYM_INLINE_MAX 8 /* inlined functions kept per address */
/* The frames pc stands for, innermost first, into out (at most max):
 * each function inlined at pc at its line (the innermost line, then the
 * line its caller called it at), then the function pc is in, at the call
 * site of the outermost one; one frame, weft_symmap_lookup's, where
 * nothing is inlined. The frames share pc's module and offset. Returns
 * how many (1..max; 0 when max is 0). */
size_t weft_symmap_frames(struct weft_symmap *m, uint64_t pc, struct weft_frame_info *out,
                          size_t max);
/* pc will be looked up: its file's debug information starts loading,
 * unless it is loaded or loading. */
void weft_symmap_warm(struct weft_symmap *m, uint64_t pc);

/* Whether module (a path) is a sanitizer runtime (libasan, libtsan, ...):
 * its interceptors sit between the program's call and the shim's, and
 * are never where the program's bug is. */
int weft_sym_sanitizer_module(const char *module);

/* Frees the map (not the table, nor the strings it returned). NULL is a
 * no-op. */
void weft_symmap_free(struct weft_symmap *m);

/* The one-process interface that the ingest used before the table: a
 * weft_sym is a map with a private table of its own. Kept until the
 * ingest uses the table; new code uses weft_symtab/weft_symmap. */
struct weft_sym;
struct weft_sym *weft_sym_new(void);                                           /* NULL: no memory */
void weft_sym_add_module(struct weft_sym *s, const char *path, uint64_t bias); /* lo = hi = 0 */
void weft_sym_done(struct weft_sym *s); /* after the last add (nothing left to do) */
void weft_sym_lookup(struct weft_sym *s, uint64_t pc, struct weft_frame_info *out);
void weft_sym_free(struct weft_sym *s); /* also the strings it returned */

#endif
