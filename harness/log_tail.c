/* log_tail.c: reads the raw logs of a `weft run` while the traced programs
 * still run, so that what is left to decode when they end is only the
 * tail. A thread of the weft process, at SCHED_IDLE priority: it runs on
 * CPU time the programs leave idle (they wait on each other a lot) and
 * yields to them at once, so the traced program keeps its speed.
 *
 * Every round it looks for new logs in the run's directory, then decodes
 * each chunk from where it stopped up to its committed count (read with
 * acquire: the writer publishes records with a release store of it), into
 * a buffer per chunk. Records are immutable once committed, so what it
 * decoded stays true; weft_log_open_pre validates the log as usual and
 * goes on from here (log_reader.c). A corrupt chunk simply stops being
 * read: the final reader meets the same words and reports them. */
#include "log_tail.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct tlog {
    char *path;
    const char *map;
    size_t size;
    struct weft_log_pre pre;
};

struct weft_tail {
    char *dir;
    pthread_t th;
    int started;
    int stop; /* atomic */
    struct tlog *logs;
    int nlogs, cap;
};

/* A log not seen before: mapped once its header is complete. */
static void add_log(struct weft_tail *t, const char *name) {
    size_t len = strlen(t->dir) + strlen(name) + 2;
    char *path = malloc(len);
    if (!path)
        return;
    snprintf(path, len, "%s/%s", t->dir, name);
    for (int k = 0; k < t->nlogs; k++)
        if (!strcmp(t->logs[k].path, path)) {
            free(path);
            return;
        }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (size_t)st.st_size < WEFT_LOG_HEADER_SIZE) {
        if (fd >= 0)
            close(fd);
        free(path); /* not there yet, or not a log: the next round looks again */
        return;
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    const struct weft_log_header *h = m;
    if (m == MAP_FAILED || memcmp(h->magic, WEFT_LOG_MAGIC, 8) != 0 ||
        h->version != WEFT_LOG_VERSION || h->header_size != WEFT_LOG_HEADER_SIZE ||
        h->chunk_size != WEFT_LOG_CHUNK_SIZE || h->word_size != WEFT_LOG_WORD) {
        if (m != MAP_FAILED)
            munmap(m, (size_t)st.st_size);
        free(path);
        return;
    }
    if (t->nlogs == t->cap) {
        int nc = t->cap ? t->cap * 2 : 8;
        struct tlog *nl = realloc(t->logs, (size_t)nc * sizeof *nl);
        if (!nl) {
            munmap(m, (size_t)st.st_size);
            free(path);
            return;
        }
        t->logs = nl;
        t->cap = nc;
    }
    t->logs[t->nlogs++] = (struct tlog){path, m, (size_t)st.st_size, {0, NULL}};
}

static void scan_dir(struct weft_tail *t) {
    DIR *d = opendir(t->dir);
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (!strncmp(de->d_name, "log", 3))
            add_log(t, de->d_name);
    if (d)
        closedir(d);
}

/* Decodes what was committed since the last round; 1 when it found any. */
static int read_more(struct tlog *g) {
    const struct weft_log_header *h = (const void *)g->map;
    uint64_t claimed = __atomic_load_n(&h->chunks_claimed, __ATOMIC_ACQUIRE);
    uint64_t n = claimed < h->capacity_chunks ? claimed : h->capacity_chunks;
    if ((g->size - WEFT_LOG_HEADER_SIZE) / WEFT_LOG_CHUNK_SIZE < n)
        n = (g->size - WEFT_LOG_HEADER_SIZE) / WEFT_LOG_CHUNK_SIZE;
    if (n > g->pre.nchunks) {
        struct weft_log_pre_chunk *nc = realloc(g->pre.c, n * sizeof *nc);
        if (!nc)
            return 0;
        memset(nc + g->pre.nchunks, 0, (n - g->pre.nchunks) * sizeof *nc);
        g->pre.c = nc;
        g->pre.nchunks = n;
    }
    int more = 0;
    char err[256];
    for (uint64_t i = 0; i < n; i++) {
        const struct weft_log_chunk *ch =
            (const void *)(g->map + WEFT_LOG_HEADER_SIZE + i * WEFT_LOG_CHUNK_SIZE);
        struct weft_log_pre_chunk *c = &g->pre.c[i];
        uint32_t cnt = __atomic_load_n(&ch->committed, __ATOMIC_ACQUIRE);
        if (cnt <= c->pos.done || cnt > WEFT_LOG_CHUNK_WORDS || ch->magic != WEFT_LOG_CHUNK_MAGIC)
            continue;
        uint64_t need = c->n + (cnt - c->pos.done);
        if (need > c->cap) {
            uint64_t cap = c->cap ? c->cap * 2 : 1024;
            while (cap < need)
                cap *= 2;
            struct weft_rec *nr = realloc(c->recs, cap * sizeof *nr);
            if (!nr)
                return more;
            c->recs = nr;
            c->cap = cap;
        }
        struct weft_log_pos pos = c->pos;
        int64_t m = weft__log_walk(h, g->map, g->path, i, cnt, &pos, c->recs + c->n, err,
                                   sizeof err);
        if (m < 0)
            continue; /* the final reader will say what is wrong */
        c->pos = pos;
        c->n += (uint64_t)m;
        more = 1;
    }
    return more;
}

static void *tail_main(void *arg) {
    struct weft_tail *t = arg;
    struct sched_param sp = {0};
    pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
    int round = 0;
    while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
        if (round++ % 4 == 0)
            scan_dir(t);
        int more = 0;
        for (int k = 0; k < t->nlogs; k++)
            more |= read_more(&t->logs[k]);
        if (!more) {
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

struct weft_tail *weft_tail_start(const char *dir) {
    struct weft_tail *t = calloc(1, sizeof *t);
    if (!t || !(t->dir = strdup(dir))) {
        free(t);
        return NULL;
    }
    t->started = pthread_create(&t->th, NULL, tail_main, t) == 0;
    return t;
}

void weft_tail_stop(struct weft_tail *t) {
    if (!t || !t->started)
        return;
    __atomic_store_n(&t->stop, 1, __ATOMIC_RELEASE);
    pthread_join(t->th, NULL);
    t->started = 0;
}

struct weft_log_pre *weft_tail_take(struct weft_tail *t, const char *path) {
    if (!t || t->started)
        return NULL;
    for (int k = 0; k < t->nlogs; k++)
        if (!strcmp(t->logs[k].path, path))
            return &t->logs[k].pre;
    return NULL;
}

void weft_tail_free(struct weft_tail *t) {
    if (!t)
        return;
    weft_tail_stop(t);
    for (int k = 0; k < t->nlogs; k++) {
        struct tlog *g = &t->logs[k];
        for (uint64_t i = 0; i < g->pre.nchunks; i++)
            free(g->pre.c[i].recs);
        free(g->pre.c);
        munmap((void *)g->map, g->size);
        free(g->path);
    }
    free(t->logs);
    free(t->dir);
    free(t);
}
