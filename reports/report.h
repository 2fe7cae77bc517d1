/* SPDX-License-Identifier: MIT */
/* report.h: the finding model every report format reads. One or more
 * trace databases are loaded into processes and findings, each finding
 * with its stacks symbolized, a stable fingerprint, and its group (the
 * findings that share a fingerprint: one bug seen many times); with a
 * baseline, each group is new or unchanged and the baseline's groups
 * missing now are listed as absent. Read-only over the databases; the
 * writers (text.c, json_report.c, and the other formats) only walk it. */
#ifndef WEFT_REPORTS_REPORT_H
#define WEFT_REPORTS_REPORT_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

/* The fingerprint scheme: bump when what goes into the hash changes, so
 * IDs of two schemes are never compared as equal. */
#define WEFT_FP_VERSION "weft/v1"
#define WEFT_FP_LEN 16 /* hex digits */

struct weft_rframe {
    int64_t pc;
    const char *function, *file, *module; /* NULL when unknown */
    int line;                             /* 0 when unknown */
};

struct weft_rstack {
    const char *role; /* "blocked", "creation", "close", ... */
    int64_t id;       /* stacks.id in its trace */
    int n;
    const struct weft_rframe *f; /* innermost first */
};

struct weft_rproc {
    int trace; /* index into weft_report.traces */
    int64_t pid, parent_pid, start_ns, end_ns, dropped, threads, objects;
    const char *argv; /* JSON array as stored (may be invalid JSON in an old trace) */
    const char *exe, *exit_kind;
    int has_code, code, has_signal, signal, finished, complete;
};

enum weft_bstate { WEFT_BASE_NONE, WEFT_BASE_NEW, WEFT_BASE_UNCHANGED };

struct weft_rfinding {
    int trace, proc; /* indexes */
    int64_t id, pid, thread, object;
    int64_t ts; /* the event's time, or its process's end when found at the end */
    const char *kind, *severity, *message;
    int uncertain;
    /* the threads it stands for (findings.count: the thread kinds'
     * findings of one creation site are one row), and their names
     * (findings.detail, NULL when count is 1) */
    int count;
    const char *detail;
    /* the finding's thread (thread != 0) */
    int64_t tid;
    const char *thread_name, *start_function;
    const char *blocked_in; /* what it waits on at exit ("chan_recv_begin"), or NULL */
    int nstacks;
    struct weft_rstack *stacks;
    char fp[WEFT_FP_LEN + 1];
    int group; /* index into weft_report.groups */
};

struct weft_rgroup {
    char fp[WEFT_FP_LEN + 1];
    int first; /* its first finding (index) */
    int count; /* its findings' counts summed: threads, for the thread kinds */
    enum weft_bstate state;
};

/* A group of the baseline with no finding now. */
struct weft_rabsent {
    char fp[WEFT_FP_LEN + 1];
    const char *kind, *message;
    int count;
};

struct weft_rtrace {
    const char *path;
    sqlite3 *db;
};

struct weft_report {
    int ntraces, nprocs, nfindings, ngroups, nabsent;
    struct weft_rtrace *traces;
    struct weft_rproc *procs;
    struct weft_rfinding *findings; /* in trace order, then findings.id */
    struct weft_rgroup *groups;     /* in order of their first finding */
    struct weft_rabsent *absent;
    int has_baseline;
    struct weft__arena *arena; /* the strings and frames */
};

/* Loads the traces (opened by the caller, checked to be weft traces).
 * 0, or -1 after one line on stderr. */
int weft_report_load(struct weft_report *r, int n, const char *const *paths, sqlite3 *const *dbs);
void weft_report_free(struct weft_report *r);

/* The baseline: an older trace database or an older `weft report
 * --format=json` file. Marks each group new or unchanged and lists the
 * baseline's groups that are absent now. 0, or -1 after one line. */
int weft_report_baseline(struct weft_report *r, const char *path);

/* Drops the groups (and their findings) that are not new: --only-new. */
void weft_report_only_new(struct weft_report *r);

/* The place a finding is fixed at: the first frame of its main stack that
 * has a source line and is not the C library's or the loader's (the
 * blocking call, the close, the send...), or NULL. */
const struct weft_rframe *weft_report_site(const struct weft_rfinding *f);
/* The frame a finding is summed up by: its site, else the first frame of
 * its main stack outside the C library and the loader (a program built
 * without -g: a function or an address, no line), else the stack's first
 * frame; NULL when it has no stack. */
const struct weft_rframe *weft_report_fault_frame(const struct weft_rfinding *f);
/* Whether frame f is the C library's or the loader's: the same program on
 * another glibc has other ones, and a program's fault is never there. */
int weft_report_system_frame(const struct weft_rframe *f);
/* The findings' counts summed (threads for the thread kinds), of all of
 * them or of those of severity sev only. */
int weft_report_total(const struct weft_report *r, const char *sev);
/* Its main stack (the one the site comes from): NULL when it has none. */
const struct weft_rstack *weft_report_main_stack(const struct weft_rfinding *f);

/* What a blocking call's begin kind waits on, in Go's words ("chan
 * receive" for chan_recv_begin); NULL for NULL. */
const char *weft_report_wait_name(const char *begin_kind);

/* One frame of a stack in the text report's form:
 * "==weft==     #2 worker file.c:14" (or the pc, or the module). */
void weft_report_frame_text(FILE *f, int depth, const struct weft_rframe *fr);

/* to - from in ns, 0 when to is not after from, and saturated: times in
 * a damaged database can be anything, and their difference must not
 * overflow. */
int64_t weft_report_span(int64_t from, int64_t to);
/* A time read from a database, bounded to [0, WEFT_TS_MAX] as the log
 * reader bounds record times: differences of two never overflow. */
int64_t weft_report_ts(int64_t ts);
/* Whether id can be a thread id (threads.id) of a trace with n threads,
 * for the readers that index arrays by it: a weft trace numbers them
 * 1..N across its processes, so an id below 1 or far beyond n is a
 * damaged database's (and would size an array of terabytes). */
int weft_report_thread_id_ok(int64_t id, int64_t n);

/* Writes the path s as a URI path (uri.c): unreserved characters and
 * '/' as they are, every other byte as %XX. */
void weft_report_uri_path(FILE *f, const char *s);

/* "new" | "unchanged" | NULL (no baseline). */
const char *weft_bstate_name(enum weft_bstate s);

/* Internal: the fingerprint of a loaded finding (fingerprint.c), and the
 * arena's allocations (model.c). */
void weft__fingerprint(const struct weft_rfinding *f, char out[WEFT_FP_LEN + 1]);
struct weft__arena;
void *weft__arena_alloc(struct weft__arena *a, size_t n);
const char *weft__arena_str(struct weft__arena *a, const char *s);

/* The writers. Each returns 0, or -1 after one line on stderr; whether
 * the stream took it all is the caller's to check (ferror, fclose).
 * text: with_procs adds a line per process first (weft report). */
int weft_report_text(const struct weft_report *r, FILE *f, int with_procs);
int weft_report_json(const struct weft_report *r, FILE *f);
/* states.c: the state at death of each killed process, and (with_leaks)
 * the --leak-check reports of the run, as text; the same as the JSON
 * keys "state_at_death" and "leak_checks" (written after a key). */
void weft_report_states_text(const struct weft_report *r, FILE *f, int with_leaks);
void weft_report_states_json(const struct weft_report *r, FILE *f);
/* html.c: one self-contained page (reports/html/ has its CSS and script).
 * perfetto_link: the Perfetto trace's name relative to the page, which the
 * page links (NULL: the page shows the command that writes it, naming it
 * after page, the page's path, or "report" when NULL). */
int weft_report_html(const struct weft_report *r, FILE *f, const char *perfetto_link,
                     const char *page);
/* The HTML report of the trace at db_path written to out (checked, made
 * through a temporary file): weft run --html, weft scenarios run
 * --html-dir. perfetto_link as above. 0, or -1 after one line. */
int weft_report_html_file(const char *db_path, const char *out, const char *perfetto_link);
/* html_perfetto.c: 0 when name may be the page's link to its Perfetto
 * trace (a relative path: no scheme, no '//', no quotes, '<', '>', '\\'
 * or control characters), else -1 after one line naming cmd. */
int weft_html_link_check(const char *cmd, const char *name);
/* The Perfetto trace's path beside the page html: html with ".html"
 * replaced by (or else followed by) ".perfetto.json"; malloc'ed, NULL
 * after one line. */
char *weft_perfetto_name_for(const char *html);
/* The Perfetto trace of the trace at db_path written to out (checked like
 * every report -o, never over one of the nins inputs). 0, or -1 after one
 * line. */
int weft_report_perfetto_file(const char *db_path, const char *out, char *const *ins, int nins);
/* One group's text block (what the text report shows for it), for its
 * finding `finding` with "and count-1 more like it": the JUnit report
 * puts it in a failure. */
void weft_report_text_block(const struct weft_report *r, FILE *f, int finding, int count);
/* SARIF 2.1.0: file URIs relative to srcroot (NULL: the current
 * directory), which must be a directory. */
int weft_report_sarif(const struct weft_report *r, FILE *f, const char *srcroot);
/* JUnit XML: a testsuite per trace, a testcase per process. */
int weft_report_junit(const struct weft_report *r, FILE *f);
/* The text findings of one trace database: what `weft run` and `weft
 * ingest` print at the end. */
int weft_report_text_db(const char *path, sqlite3 *db, FILE *f);

#endif
