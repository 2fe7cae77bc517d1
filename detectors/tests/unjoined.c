/* unjoined: a joinable thread finishes and is never joined nor detached
 * (unjoined-thread); with "detach" main detaches it after it finished
 * (fine); with "join" main joins it. main waits until the kernel has
 * removed the thread, so "finished" is certain at exit. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile int os_tid;

static void *work(void *arg) {
    os_tid = (int)gettid();
    return arg;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    pthread_t t;
    pthread_create(&t, NULL, work, NULL);
    char path[64];
    while (!os_tid)
        usleep(1000);
    snprintf(path, sizeof path, "/proc/self/task/%d", os_tid);
    while (access(path, F_OK) == 0)
        usleep(1000);
    if (!strcmp(mode, "detach"))
        pthread_detach(t);
    else if (!strcmp(mode, "join"))
        pthread_join(t, NULL);
    return 0;
}
