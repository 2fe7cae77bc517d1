/* t_sigdisp.c: prints the disposition of every signal as the program reads
 * it (sigaction, then signal() and friends returning the old handler,
 * siginterrupt), which must be the same with and without weft. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* sigset and siginterrupt are deprecated, but programs call them. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

static void h(int sig) {
    (void)sig;
}

static const char *kind(void (*f)(int)) {
    return f == SIG_DFL ? "DFL" : f == SIG_IGN ? "IGN" : f == h ? "h" : "other";
}

int main(void) {
    for (int sig = 1; sig < 65; sig++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        if (sigaction(sig, NULL, &sa) != 0) {
            printf("%d error\n", sig);
            continue;
        }
        unsigned long mask = 0;
        for (int s = 1; s < 65; s++)
            if (sigismember(&sa.sa_mask, s) == 1)
                mask |= 1ul << (s - 1);
        printf("%d %s flags=%#x mask=%#lx restorer=%d\n", sig,
               (sa.sa_flags & SA_SIGINFO) ? "siginfo" : kind(sa.sa_handler), (unsigned)sa.sa_flags,
               mask, sa.sa_restorer != NULL);
    }
    /* The old handler returned when setting one. */
    printf("signal USR1 old %s\n", kind(signal(SIGUSR1, h)));
    printf("signal USR1 again %s\n", kind(signal(SIGUSR1, SIG_DFL)));
    printf("sysv_signal HUP old %s\n", kind(sysv_signal(SIGHUP, SIG_IGN)));
    printf("sigset ALRM old %s\n", kind(sigset(SIGALRM, SIG_DFL)));
    /* siginterrupt on a default-disposition signal, read back. */
    siginterrupt(SIGTERM, 0);
    struct sigaction sa;
    sigaction(SIGTERM, NULL, &sa);
    printf("TERM after siginterrupt %s flags=%#x\n", kind(sa.sa_handler), (unsigned)sa.sa_flags);
    /* Setting SIG_DFL with flags and reading it back. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = SA_NODEFER;
    sigaddset(&sa.sa_mask, SIGQUIT);
    struct sigaction old;
    sigaction(SIGINT, &sa, &old);
    printf("INT old %s flags=%#x\n", kind(old.sa_handler), (unsigned)old.sa_flags);
    sigaction(SIGINT, NULL, &old);
    printf("INT now %s flags=%#x quit-masked=%d\n", kind(old.sa_handler), (unsigned)old.sa_flags,
           sigismember(&old.sa_mask, SIGQUIT));
    return 0;
}
/* SPDX-License-Identifier: MIT */
