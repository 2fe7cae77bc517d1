/* t_sigkill.c: SIGKILL of itself with threads alive, one blocked in join:
 * no handler can run, the log must hold everything recorded before. The
 * kill waits until the joiner really sleeps (its state in /proc), not for
 * a fixed time: on a loaded machine threads may take long to start. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_t t[3];
static volatile pid_t joiner_tid;

static void *sleeper(void *a) {
    (void)a;
    for (;;)
        pause();
    return NULL;
}

static void *joiner(void *a) {
    (void)a;
    joiner_tid = (pid_t)syscall(SYS_gettid);
    pthread_join(t[0], NULL);
    return NULL;
}

/* Whether thread tid is asleep (state S in /proc/self/task/TID/stat). */
static int asleep(pid_t tid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] == 'S';
}

int main(void) {
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, sleeper, NULL);
    pthread_t j;
    pthread_create(&j, NULL, joiner, NULL);
    /* At most 10 s: then kill anyway (the test will say what is missing). */
    for (int i = 0; i < 10000 && !(joiner_tid && asleep(joiner_tid)); i++)
        usleep(1000);
    usleep(5000);
    kill(getpid(), SIGKILL);
    return 0;
}
