/* fuzz_ingest.c: libFuzzer target for the whole ingest. Each input is a
 * packed log (pack.h), written as a log file and ingested into a trace
 * database with the detectors on, as `weft ingest` does; then the
 * database is read back into the report model and written as text and
 * JSON. A bad log may be refused (one line), never crash, hang or trip a
 * sanitizer. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "detectors.h"
#include "pack.h"
#include "perfetto.h"
#include "report.h"
#include "weft.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static char dir[64], logp[96], dbp[96];
static FILE *devnull;

static void cleanup(void) {
    unlink(logp);
    unlink(dbp);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    setenv("WEFT_INGEST_THREADS", "1", 1);
    snprintf(dir, sizeof dir, "/tmp/weft-fuzz-ingest-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(1);
    }
    snprintf(logp, sizeof logp, "%s/fuzz.log", dir);
    snprintf(dbp, sizeof dbp, "%s/fuzz.db", dir);
    atexit(cleanup);
    devnull = fopen("/dev/null", "w");
    return devnull ? 0 : 1;
}

struct hook {
    struct weft_detect_opts opts;
    struct weft_detect_result res;
};

static int detect(sqlite3 *db, const struct weft_db_guard *guard, weft_event_next next, void *src,
                  void *user) {
    struct hook *h = user;
    h->opts.guard = guard;
    weft_detect_events(db, &h->opts, &h->res, next, src);
    return 0;
}

static int write_all(const char *path, const uint8_t *buf, size_t n) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, buf + off, n - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    close(fd);
    return off == n ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    size_t size = 0;
    uint8_t *buf = fuzz_unpack(data, n, &size);
    if (!buf)
        return 0;
    int ok = write_all(logp, buf, size) == 0;
    free(buf);
    unlink(dbp);
    if (!ok)
        return 0;
    char *logs[1] = {logp};
    struct hook h = {{0}, {0}};
    struct weft_ingest_opts o = {
        .quiet = 1, .min_wait_ns = WEFT_MIN_WAIT_NS, .loaded = detect, .user = &h};
    struct weft_ingest_stats st;
    if (weft_ingest(logs, 1, dbp, &o, &st) == 0) {
        sqlite3 *db = weft_db_open_read(dbp);
        if (db) {
            struct weft_report r;
            const char *path = dbp;
            if (weft_report_load(&r, 1, &path, &db) == 0) {
                weft_report_text(&r, devnull, 1);
                weft_report_json(&r, devnull);
                weft_report_html(&r, devnull, NULL, NULL);
                weft_report_free(&r);
            }
            char *paths[1] = {dbp};
            struct weft_perfetto_opts po = {-1, -1, 5000};
            weft_report_perfetto(devnull, &db, paths, 1, &po);
            sqlite3_close(db);
        }
    }
    unlink(dbp);
    return 0;
}
/* SPDX-License-Identifier: MIT */
