/* closes: channel and fd closes. Modes: chan2 (channel closed twice),
 * chan1 (closed once by its sender), fd2 (a pipe end closed twice), fd1
 * (each end once), send (send on a closed channel), selsend (a select's
 * send case on a closed channel), epipe (write to a pipe whose reader is
 * closed), recvclose (a receiver closes while its sender, main, still
 * runs: close-by-receiver warning), broadcast (a receiver closes a
 * channel nobody sends on, to wake the other receivers: no warning),
 * sendersdone (a receiver closes after the only sender ended: no
 * warning).
 * A "key:" comment names a line the findings' stacks must point at
 * (detectors_test.py reads them). */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <weft/weft.h>

static weft_chan *ch;

static void *receiver_closes(void *arg) {
    (void)arg;
    int v;
    weft_chan_recv(ch, &v);
    weft_chan_close(ch);
    return NULL;
}

static void *broadcaster(void *arg) {
    (void)arg;
    int v;
    weft_chan_try_recv(ch, &v); /* a receiver of ch, nothing to take */
    weft_chan_close(ch);        /* wakes main's receive */
    weft_chan_recv(ch, &v);
    return NULL;
}

static void *sends_once(void *arg) {
    (void)arg;
    int v = 1;
    weft_chan_send(ch, &v); /* into the buffer: returns at once */
    return NULL;
}

int main(int argc, char **argv) {
    const char *m = argc > 1 ? argv[1] : "";
    int v = 1, fd[2];
    ch = weft_chan_make(sizeof(int), 1);
    if (!strcmp(m, "chan2")) {
        weft_chan_close(ch); /* key: first */
        weft_chan_close(ch); /* key: again */
    } else if (!strcmp(m, "chan1")) {
        weft_chan_send(ch, &v);
        weft_chan_close(ch);
        while (weft_chan_recv(ch, &v) == 0) {
        }
    } else if (!strcmp(m, "fd2") || !strcmp(m, "fd1")) {
        if (pipe(fd))
            return 1;
        close(fd[0]); /* key: first */
        close(fd[1]);
        if (!strcmp(m, "fd2"))
            close(fd[0]); /* key: again */
    } else if (!strcmp(m, "send")) {
        weft_chan_close(ch);    /* key: close */
        weft_chan_send(ch, &v); /* key: send */
    } else if (!strcmp(m, "selsend")) {
        weft_chan_close(ch); /* key: close */
        weft_case c[1] = {{ch, WEFT_SEND, &v, 0}};
        weft_select(c, 1, 0); /* key: send */
    } else if (!strcmp(m, "epipe") || !strcmp(m, "pipeok")) {
        signal(SIGPIPE, SIG_IGN);
        if (pipe(fd))
            return 1;
        if (!strcmp(m, "epipe"))
            close(fd[0]);               /* key: close */
        if (write(fd[1], "x", 1) < 0) { /* key: send */
        }
        close(fd[1]);
        if (!strcmp(m, "pipeok"))
            close(fd[0]);
    } else if (!strcmp(m, "recvclose")) {
        pthread_t t;
        pthread_create(&t, NULL, receiver_closes, NULL);
        weft_chan_send(ch, &v);
        pthread_join(t, NULL);
    } else if (!strcmp(m, "broadcast")) {
        pthread_t t;
        pthread_create(&t, NULL, broadcaster, NULL);
        weft_chan_recv(ch, &v); /* woken by the close */
        pthread_join(t, NULL);
    } else if (!strcmp(m, "sendersdone")) {
        pthread_t t;
        pthread_create(&t, NULL, sends_once, NULL);
        pthread_join(t, NULL);
        weft_chan_recv(ch, &v);
        weft_chan_close(ch); /* the receiver closes, but its only sender is gone */
    }
    weft_chan_free(ch);
    return 0;
}
/* SPDX-License-Identifier: MIT */
