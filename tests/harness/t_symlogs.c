/* t_symlogs.c: symbolizes every stack of some raw logs the way the ingest
 * does (harness/log_reader.h: each log one process image; its MODULE
 * records into a module map, then each STACK record's pcs looked up), to
 * compare the symbol table's answers with the ingest's frames
 * (tests/harness/symtab.sh) and to measure its memory apart from the rest
 * of the ingest (bench/harness/symtab.sh).
 *   t_symlogs frames LOG...   one table; prints each frame, tab-separated:
 *                             pid, stack id in its log, depth, pc, module,
 *                             offset, function, file, line (unknown: empty)
 *   t_symlogs table LOG...    one table for all logs; prints a summary line
 *   t_symlogs perproc LOG...  as the ingest did before the table: a
 *                             symbolizer of its own per distinct module map
 *                             (same paths at the same biases: a fork
 *                             child's), all kept to the end; a summary line
 * Logs are read one at a time and closed before the next. Exit status 0,
 * or 1 when a log cannot be read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log_reader.h"
#include "symbolize.h"

enum mode { FRAMES, TABLE, PERPROC };

/* The per-process mode: a table and map of its own per distinct module
 * map, shared by the processes that have it, as the ingest did. */
struct oldsym {
    uint64_t key;
    size_t n;
    struct weft_symtab *t;
    struct weft_symmap *map;
};

static struct weft_symtab *table;
static struct oldsym *olds;
static size_t nolds;
static unsigned long long nstacks, nframes, nnamed;

static void print_str(const char *s) {
    /* tabs and newlines cannot occur in what the test compares; kept
     * plain so that the output diffs against sqlite3's */
    fputs(s ? s : "", stdout);
}

static int one_log(enum mode mode, const char *path) {
    struct weft_log l;
    if (weft_log_open(&l, path) != 0) {
        fprintf(stderr, "t_symlogs: %s\n", l.err);
        return -1;
    }
    /* The MODULE records first (as the ingest does), then the stacks. */
    const struct weft_rec **mods = NULL;
    size_t nmods = 0, capmods = 0;
    uint64_t key = 0x6d6f64756c6573u;
    for (uint64_t c = 0; c < l.nchunks; c++) {
        uint32_t n = 0;
        const struct weft_rec *r = weft_log_chunk(&l, c, &n);
        for (uint32_t i = 0; i < n; i++) {
            if (r[i].kind != WEFT_K_MODULE)
                continue;
            if (nmods == capmods) {
                capmods = capmods ? 2 * capmods : 64;
                const struct weft_rec **nm = realloc(mods, capmods * sizeof *nm);
                if (!nm) {
                    free(mods);
                    weft_log_close(&l);
                    return -1;
                }
                mods = nm;
            }
            mods[nmods++] = &r[i];
            size_t plen = r[i].aux < r[i].dlen ? r[i].aux : r[i].dlen;
            uint64_t ph = 0;
            for (size_t k = 0; k < plen; k++)
                ph = ph * 131 + r[i].data[k];
            key = (key ^ ph ^ r[i].obj) * 0x9e3779b97f4a7c15u;
        }
    }
    struct weft_symmap *map = NULL;
    int fresh = 1;
    if (mode != PERPROC) {
        map = weft_symmap_new(table);
    } else {
        /* the same map as an earlier process's (a fork child's): share its
         * symbolizer, as the ingest did */
        for (size_t k = 0; k < nolds && !map; k++)
            if (olds[k].key == key && olds[k].n == nmods)
                map = olds[k].map;
        fresh = !map;
        struct oldsym *no = fresh ? realloc(olds, (nolds + 1) * sizeof *no) : NULL;
        if (no) {
            olds = no;
            struct weft_symtab *t = weft_symtab_new();
            map = weft_symmap_new(t);
            olds[nolds++] = (struct oldsym){key, nmods, t, map};
        }
    }
    for (size_t x = 0; x < nmods && fresh; x++) {
        const struct weft_rec *m = mods[x];
        char p[4097];
        size_t plen = m->aux < m->dlen ? m->aux : m->dlen;
        if (plen > 4096)
            plen = 4096;
        memcpy(p, m->data, plen);
        p[plen] = 0;
        size_t blen = m->stack;
        if (blen > 64 || plen + 1 + blen > m->dlen)
            blen = 0;
        weft_symmap_add(map, p, m->obj, m->arg, m->arg2, blen ? m->data + plen + 1 : NULL, blen);
    }
    free(mods);
    uint32_t max_stack = l.hdr->next_stack;
    unsigned char *seen = calloc((size_t)max_stack + 1, 1);
    for (uint64_t c = 0; c < l.nchunks; c++) {
        uint32_t n = 0;
        const struct weft_rec *r = weft_log_chunk(&l, c, &n);
        for (uint32_t i = 0; i < n; i++) {
            const struct weft_rec *s = &r[i];
            if (s->kind != WEFT_K_STACK || s->obj == 0 || s->obj > max_stack)
                continue;
            if (seen) {
                if (seen[s->obj])
                    continue; /* the same id twice: the ingest keeps the first */
                seen[s->obj] = 1;
            }
            size_t depth = s->dlen / 8;
            if (depth > s->arg)
                depth = s->arg;
            if (depth > 128)
                depth = 128;
            nstacks++;
            /* each address as the ingest writes it: the functions
             * inlined there, then the one it is in (weft_symmap_frames) */
            for (size_t d = 0, fd = 0; d < depth; d++) {
                uint64_t pc;
                memcpy(&pc, s->data + 8 * d, 8);
                struct weft_frame_info fis[1 + WEFT_SYM_INLINE_MAX];
                size_t nf = weft_symmap_frames(map, pc, fis, 1 + WEFT_SYM_INLINE_MAX);
                for (size_t k = 0; k < nf; k++, fd++) {
                    const struct weft_frame_info fi = fis[k];
                    nframes++;
                    nnamed += fi.function != NULL;
                    if (mode != FRAMES)
                        continue;
                    printf("%d\t%llu\t%zu\t%llu\t", (int)l.hdr->pid, (unsigned long long)s->obj, fd,
                           (unsigned long long)pc);
                    print_str(fi.module);
                    putchar('\t');
                    if (fi.module)
                        printf("%llu", (unsigned long long)fi.offset);
                    putchar('\t');
                    print_str(fi.function);
                    putchar('\t');
                    print_str(fi.file);
                    putchar('\t');
                    if (fi.line)
                        printf("%d", fi.line);
                    putchar('\n');
                }
            }
        }
    }
    free(seen);
    if (mode != PERPROC)
        weft_symmap_free(map);
    weft_log_close(&l);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: t_symlogs frames|table|perproc LOG...\n");
        return 2;
    }
    enum mode mode = strcmp(argv[1], "frames") == 0  ? FRAMES
                     : strcmp(argv[1], "table") == 0 ? TABLE
                                                     : PERPROC;
    if (mode != PERPROC && !(table = weft_symtab_new()))
        return 1;
    int rc = 0;
    for (int i = 2; i < argc; i++)
        if (one_log(mode, argv[i]) != 0)
            rc = 1;
    struct weft_symtab_stats st;
    weft_symtab_stats(table, &st);
    if (mode != FRAMES)
        printf("logs %d stacks %llu frames %llu named %llu symbolizers %zu files %zu results %zu "
               "cached %zu\n",
               argc - 2, nstacks, nframes, nnamed, mode == PERPROC ? nolds : (size_t)1, st.files,
               st.results, st.cache_hits);
    for (size_t k = 0; k < nolds; k++) {
        weft_symmap_free(olds[k].map);
        weft_symtab_free(olds[k].t);
    }
    free(olds);
    weft_symtab_free(table);
    return rc;
}
/* SPDX-License-Identifier: MIT */
