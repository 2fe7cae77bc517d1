/* SPDX-License-Identifier: MIT */
/* symcache.h: the symbolizer's answers kept on disk between ingests
 * (symcache.c), one file per module build id. Private to symbolize.c.
 *
 * Naming a return address needs the module's DWARF, and libdw inflates a
 * compressed debug file's sections whole when it first opens it (libc's,
 * from libc6-dbg: about 0.1 s, most of a `weft run` of a small program).
 * The same program's stacks name the same few addresses run after run,
 * so the answers are kept, keyed by what decides them: the module's
 * build id (its code) and the identity of the debug file libdw would
 * read for it now (its DWARF; see struct weft__symcache_fp). A cache is
 * an accelerator only: an answer from it is the one libdw would give. */
#ifndef WEFT_HARNESS_SYMCACHE_H
#define WEFT_HARNESS_SYMCACHE_H

#include <stddef.h>
#include <stdint.h>

/* A function inlined at an address, and where its caller called it. */
struct weft__sym_inl {
    const char *fn, *call_file;
    int call_line;
};

/* One answer: an offset of the module (a return address less the load
 * bias) -> the function it is in, the innermost source line, the
 * functions inlined there (innermost first). Strings may be NULL. */
struct weft__sym_ans {
    uint64_t off;
    int line;
    const char *fn, *src;
    const struct weft__sym_inl *inl;
    uint32_t ninl;
};

/* Where a module's DWARF comes from, as libdw would find it now: kind
 * NONE (no DWARF: symbols only), SELF (in the module file: its build id
 * decides it), SEPARATE (a debug file: its inode, size and change time,
 * and the dwz file it refers to, by the presence of its build-id path).
 * Two fingerprints that differ in any field make the cache stale. */
enum { WEFT__SYMFP_NONE = 1, WEFT__SYMFP_SELF = 2, WEFT__SYMFP_SEPARATE = 3 };
struct weft__symcache_fp {
    uint64_t kind, ino, size, ctime_ns, alt;
};

struct weft__symcache;

/* The cache directory of this process's ingests (WEFT_CACHE_DIR, else
 * $XDG_CACHE_HOME/weft, else $HOME/.cache/weft; its symbols/ directory)
 * into buf: 0, or -1 when caching is off (WEFT_CACHE_DIR set empty or to
 * "off") or there is no home to put it in. Made (0700) by the first save. */
int weft__symcache_dir(char *buf, size_t n);

/* The cache of build id bid in dir when its fingerprint is fp: NULL when
 * there is none, it is stale, damaged or unreadable (never an error: the
 * answers are found again). A cache that is used has its time touched
 * (the least recently used go first when the directory is pruned). */
struct weft__symcache *weft__symcache_load(const char *dir, const unsigned char *bid, size_t blen,
                                           const struct weft__symcache_fp *fp);

/* The answer for off into out (its strings and inl point into c, valid
 * until weft__symcache_free): 1, or 0 when c has none (c may be NULL). */
int weft__symcache_get(const struct weft__symcache *c, uint64_t off, struct weft__sym_ans *out);

/* Writes the cache of bid: the answers of ans (n of them, any order,
 * offsets distinct) and those of old (may be NULL) that ans does not
 * have, under fingerprint fp, atomically (a reader sees the old file or
 * the new one). Then prunes dir to its most recently used files. 0, or
 * -1 (nothing written: a full disk, a read-only cache). */
int weft__symcache_save(const char *dir, const unsigned char *bid, size_t blen,
                        const struct weft__symcache_fp *fp, const struct weft__symcache *old,
                        const struct weft__sym_ans *ans, size_t n);

void weft__symcache_free(struct weft__symcache *c); /* NULL is a no-op */

#endif
