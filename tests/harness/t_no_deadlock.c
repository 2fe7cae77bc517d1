/* t_no_deadlock.c: threads blocked on a channel and a join for 2 s while
 * the only other thread sleeps, then feeds them; another thread sits in
 * read() on a pipe that is written at the end. Slow, not stuck: the
 * watchdog must stay quiet. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include <weft/weft.h>

static weft_chan *ch;
static int p[2];

static void *receiver(void *arg) {
    (void)arg;
    int v = 0;
    weft_chan_recv(ch, &v);
    return NULL;
}

static void *reader(void *arg) {
    (void)arg;
    char c;
    return read(p[0], &c, 1) == 1 ? NULL : (void *)1;
}

static void *sleeper(void *arg) {
    (void)arg;
    sleep(2);
    int v = 1;
    weft_chan_send(ch, &v);
    weft_chan_send(ch, &v);
    return NULL;
}

int main(void) {
    ch = weft_chan_make(sizeof(int), 0);
    pipe(p);
    pthread_t r1, r2, rd, s;
    pthread_create(&r1, NULL, receiver, NULL);
    pthread_create(&r2, NULL, receiver, NULL);
    pthread_create(&rd, NULL, reader, NULL);
    pthread_create(&s, NULL, sleeper, NULL);
    pthread_join(r1, NULL);
    pthread_join(r2, NULL);
    pthread_join(s, NULL);
    /* Now main alone blocks in join on the reader, which waits in read():
     * only the outside world could end that; not a deadlock either. */
    write(p[1], "x", 1);
    pthread_join(rd, NULL);
    printf("fed\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
