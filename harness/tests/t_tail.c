/* t_tail.c: a program whose log is long and written over a while, for the
 * reader that decodes logs while programs run (log_tail.c): waves of
 * threads that lock, signal and wait (their chunks go back to the free
 * list and are continued by the next wave's threads), pauses between
 * waves (idle CPU for the reader), and a forked child that does the same
 * (a second log). Prints "tail ok". */
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

enum { WAVES = 12, PER_WAVE = 6, OPS = 3000 };
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long counter;

static void *work(void *a) {
    (void)a;
    for (int i = 0; i < OPS; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

static void waves(int n) {
    for (int w = 0; w < n; w++) {
        pthread_t t[PER_WAVE];
        for (int k = 0; k < PER_WAVE; k++)
            pthread_create(&t[k], NULL, work, NULL);
        for (int k = 0; k < PER_WAVE; k++)
            pthread_join(t[k], NULL);
        usleep(20000);
    }
}

int main(void) {
    waves(WAVES / 2);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        waves(3);
        _exit(counter == (long)(WAVES / 2 + 3) * PER_WAVE * OPS ? 0 : 1);
    }
    waves(WAVES / 2);
    int st = 0;
    waitpid(pid, &st, 0);
    int ok = counter == (long)WAVES * PER_WAVE * OPS && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    printf(ok ? "tail ok\n" : "tail bad\n");
    return ok ? 0 : 1;
}
