/* pattern_graceful_shutdown.c: the seed's graceful shutdown, on a real
 * HTTP server (Debian's libmicrohttpd) listening on 127.0.0.1 at a port
 * the kernel picks. A background worker runs on a ticker until its
 * context is cancelled; SIGTERM is turned into a channel message (Go's
 * signal.Notify: the handler only writes a byte to a pipe, a thread
 * forwards it). On the signal, the seed's three phases: (1) stop accepting
 * and let requests in flight finish, (2) cancel the background work, (3)
 * wait for it, with a timeout so a stuck worker cannot hang the exit.
 *
 * The program is its own client: a thread sends requests over plain
 * sockets, and while a slow request is in flight it raises SIGTERM. The
 * slow handler finishes only once the server has stopped accepting, so the
 * request is in flight during the shutdown on every run, and it must still
 * get its full answer; a connection tried after that is refused. Main
 * prints the client's results at the end, so the output is the same on
 * every run. Background ticks go to stderr (how many depends on timing). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>
#include <weft/weft.h>

#define SECOND 1000000000LL

struct server {
    struct MHD_Daemon *daemon;
    pthread_mutex_t mu;       /* guards active */
    int active;               /* requests in flight (Go's active connections) */
    weft_chan *stopped;       /* closed once the server stopped accepting */
    weft_chan *slow_started;  /* the slow handler is running (capacity 1) */
    weft_wg workers;          /* background workers */
};

static int request_marker;

/* The handler: "/" answers at once; "/slow" answers once the server has
 * stopped accepting, i.e. it is in flight during the shutdown. */
static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls) {
    struct server *s = cls;
    (void)method, (void)version, (void)upload_data, (void)upload_data_size;
    if (*req_cls == NULL) { /* first call: the headers are in */
        *req_cls = &request_marker;
        pthread_mutex_lock(&s->mu);
        s->active++;
        pthread_mutex_unlock(&s->mu);
        return MHD_YES;
    }
    const char *body = "OK\n";
    if (strcmp(url, "/slow") == 0) {
        weft_chan_send(s->slow_started, NULL);
        weft_chan_recv(s->stopped, NULL); /* returns when it is closed */
        body = "slow OK\n";
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* The response has been sent (or the connection dropped): no longer in
 * flight. */
static void completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                      enum MHD_RequestTerminationCode toe) {
    struct server *s = cls;
    (void)conn, (void)toe;
    if (*req_cls == &request_marker) {
        *req_cls = NULL;
        pthread_mutex_lock(&s->mu);
        s->active--;
        pthread_mutex_unlock(&s->mu);
    }
}

/* ---- background worker on a ticker ------------------------------------ */

struct worker {
    struct server *s;
    weft_ctx *ctx;
};

static void background_worker(void *arg) {
    struct worker *w = arg;
    weft_ticker *ticker = weft_ticker_new(SECOND / 50);
    for (;;) {
        weft_case cases[] = {{weft_ticker_chan(ticker), WEFT_RECV, NULL, 0},
                             {weft_ctx_done(w->ctx), WEFT_RECV, NULL, 0}};
        if (weft_select(cases, 2, 0) == 0) {
            fprintf(stderr, "Background work tick\n");
            continue;
        }
        printf("Worker shutting down...\n");
        break;
    }
    weft_ticker_free(ticker); /* defer ticker.Stop() */
    weft_wg_done(&w->s->workers);
}

static void start_background_worker(struct worker *w) {
    weft_wg_add(&w->s->workers, 1); /* before the thread starts */
    weft_go(background_worker, w);
}

/* ---- signal.Notify: SIGTERM as a channel message ----------------------- */

static int sig_pipe[2];

static void on_signal(int sig) {
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    (void)!write(sig_pipe[1], &b, 1); /* async-signal-safe */
    errno = saved;
}

static void *forward_signal(void *arg) {
    weft_chan *sig_ch = arg;
    unsigned char b;
    ssize_t n;
    while ((n = read(sig_pipe[0], &b, 1)) < 0 && errno == EINTR)
        ;
    int sig = n == 1 ? b : 0;
    weft_chan_send(sig_ch, &sig);
    return NULL;
}

/* ---- the client: plain sockets ---------------------------------------- */

struct client {
    int port;
    struct server *s;
    int slow_code;
    char slow_body[64];
    int late_errno; /* a connection tried after the shutdown */
};

static int dial(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static void send_get(int fd, const char *path) {
    char req[128];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                     path);
    (void)!write(fd, req, (size_t)n);
}

/* Reads the whole response (the server closes after it): status code and
 * body, the body's newline dropped. */
static int read_response(int fd, char *body, size_t size) {
    char buf[2048];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof buf - 1 && (n = read(fd, buf + len, sizeof buf - 1 - len)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        len += (size_t)n;
    }
    buf[len] = 0;
    close(fd);
    int code = 0;
    sscanf(buf, "HTTP/1.%*d %d", &code);
    const char *b = strstr(buf, "\r\n\r\n");
    snprintf(body, size, "%s", b ? b + 4 : "");
    body[strcspn(body, "\n")] = 0;
    return code;
}

static void *client(void *arg) {
    struct client *c = arg;
    char body[64];

    int fd = dial(c->port);
    send_get(fd, "/");
    int code = read_response(fd, body, sizeof body);
    printf("GET / -> %d %s\n", code, body);

    /* A slow request, then SIGTERM while it is in flight. */
    fd = dial(c->port);
    send_get(fd, "/slow");
    weft_chan_recv(c->s->slow_started, NULL);
    kill(getpid(), SIGTERM);
    c->slow_code = read_response(fd, c->slow_body, sizeof c->slow_body);
    return NULL;
}

/* Phase 1's wait for the requests in flight, as Go's Server.Shutdown
 * does it: the handlers count them under a mutex (a WaitGroup would be
 * wrong here: its Add would race with this Wait, since requests start on
 * the server's threads), and Shutdown polls the count on a timer whose
 * interval doubles from 1 ms up to 500 ms, until it is zero or the
 * context ends. 0, or the context's error. */
static int wait_idle(struct server *s, weft_ctx *ctx) {
    int64_t interval = SECOND / 1000;
    weft_timer *timer = weft_timer_new(interval);
    int err = 0;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        int active = s->active;
        pthread_mutex_unlock(&s->mu);
        if (active == 0)
            break;
        weft_case cases[] = {{weft_timer_chan(timer), WEFT_RECV, NULL, 0},
                             {weft_ctx_done(ctx), WEFT_RECV, NULL, 0}};
        if (weft_select(cases, 2, 0) == 1) {
            err = weft_ctx_err(ctx);
            break;
        }
        if (interval < SECOND / 2)
            interval *= 2;
        weft_timer_reset(timer, interval);
    }
    weft_timer_free(timer);
    return err;
}

/* A WaitGroup's Wait as a channel to select on (phase 3's wait for the
 * workers). It lives in main's frame,
 * which outlasts the waiter thread even when the timeout wins. */
struct waiter {
    weft_wg *wg;
    weft_chan *done;
};

static void wait_then_close(void *arg) {
    struct waiter *w = arg;
    weft_wg_wait(w->wg);
    weft_chan_close(w->done);
}

/* Waits for w's WaitGroup or the context, whichever comes first: 0 or the
 * context's error. */
static int wait_or_timeout(struct waiter *w, weft_wg *wg, weft_ctx *ctx) {
    *w = (struct waiter){wg, weft_chan_make(0, 0)};
    weft_go(wait_then_close, w);
    weft_case cases[] = {{w->done, WEFT_RECV, NULL, 0}, {weft_ctx_done(ctx), WEFT_RECV, NULL, 0}};
    if (weft_select(cases, 2, 0) == 1)
        return weft_ctx_err(ctx); /* the waiter still uses w->done: keep it */
    weft_chan_free(w->done);
    return 0;
}

int main(void) {
    weft_ctx *ctx = weft_ctx_with_cancel(NULL);
    struct server s = {.mu = PTHREAD_MUTEX_INITIALIZER, .workers = WEFT_WG_INIT,
                       .stopped = weft_chan_make(0, 0), .slow_started = weft_chan_make(0, 1)};

    /* signal.Notify(sigCh, SIGINT, SIGTERM) */
    weft_chan *sig_ch = weft_chan_make(sizeof(int), 1);
    if (pipe(sig_pipe) < 0)
        return 1;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    pthread_t notifier;
    pthread_create(&notifier, NULL, forward_signal, sig_ch);

    struct worker w = {&s, ctx};
    start_background_worker(&w);

    /* Start the HTTP server: one thread per connection, on 127.0.0.1. */
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s.daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                                    MHD_USE_ITC,
                                0, NULL, NULL, handle, &s, MHD_OPTION_SOCK_ADDR, &addr,
                                MHD_OPTION_NOTIFY_COMPLETED, completed, &s, MHD_OPTION_END);
    if (!s.daemon) {
        fprintf(stderr, "HTTP server error: cannot start\n");
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s.daemon, MHD_DAEMON_INFO_BIND_PORT);
    struct client c = {.port = info->port, .s = &s};
    pthread_t client_thread;
    pthread_create(&client_thread, NULL, client, &c);

    /* Wait for the signal. */
    int sig;
    weft_chan_recv(sig_ch, &sig);
    printf("Shutdown signal received...\n");

    weft_ctx *shutdown_ctx = weft_ctx_with_timeout(NULL, 30 * SECOND);
    struct waiter workers_done;

    /* Phase 1: stop accepting new requests, let those in flight finish. */
    MHD_socket listener = MHD_quiesce_daemon(s.daemon);
    if (listener != MHD_INVALID_SOCKET)
        close(listener);
    weft_chan_close(s.stopped);
    if (wait_idle(&s, shutdown_ctx))
        printf("Requests still in flight at the timeout\n");
    MHD_stop_daemon(s.daemon);

    /* Phase 2: cancel background work. */
    weft_ctx_cancel(ctx);

    /* Phase 3: wait for it, but not forever. */
    if (wait_or_timeout(&workers_done, &s.workers, shutdown_ctx) == 0)
        printf("Graceful shutdown complete\n");
    else
        printf("Shutdown timed out, forcing exit\n");

    pthread_join(client_thread, NULL);
    pthread_join(notifier, NULL);
    /* Tried once the daemon is stopped: right after MHD_quiesce_daemon its
     * polling thread may still hold the closed listener in a poll(), and
     * the kernel would still queue a connection (1 run in 300). */
    int late = dial(c.port);
    c.late_errno = late < 0 ? errno : 0;
    if (late >= 0)
        close(late);
    printf("in-flight GET /slow -> %d %s\n", c.slow_code, c.slow_body);
    printf("new connection after shutdown: %s\n",
           c.late_errno == ECONNREFUSED ? "refused" : "accepted");

    weft_ctx_free(shutdown_ctx);
    weft_ctx_free(ctx);
    weft_chan_free(sig_ch);
    weft_chan_free(s.stopped);
    weft_chan_free(s.slow_started);
    close(sig_pipe[0]);
    close(sig_pipe[1]);
    return 0;
}
/* SPDX-License-Identifier: MIT */
