/* t_rpt_names.c: a program whose strings try to break a report: a worker
 * thread named `"</script>` followed by bytes that are not UTF-8 and a
 * control character, talking to main over a libweft channel (so that the
 * report draws a flow into the hostile track). argv comes from the test.
 * Prints "ok" so that its output can be compared. */
#include <pthread.h>
#include <stdio.h>

#include <weft/weft.h>

static weft_chan *ch;

static void *worker(void *arg) {
    (void)arg;
    /* 15 bytes at most (the kernel's limit) */
    pthread_setname_np(pthread_self(), "\"</script>\xff\xc3\x01");
    int v = 42;
    weft_chan_send(ch, &v);
    return NULL;
}

int main(void) {
    ch = weft_chan_make(sizeof(int), 0);
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0)
        return 2;
    int v = 0;
    weft_chan_recv(ch, &v);
    pthread_join(t, NULL);
    weft_chan_free(ch);
    printf("ok %d\n", v);
    return 0;
}
/* SPDX-License-Identifier: MIT */
