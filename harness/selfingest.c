/* selfingest.c: plain `LD_PRELOAD=libweft-preload.so PROG` use (no weft
 * run, WEFT_LOG unset): at the end of the process the log is turned into
 * ./weft-PID.db by the `weft ingest` binary, exec'd in a child process.
 * SQLite never runs inside the traced process.
 *
 * Everything that needs the loader, malloc or the environment is prepared
 * at start (weft__self_ingest_prepare): the binary's path, the absolute
 * log and database paths (the program may chdir). The end itself uses only
 * async-signal-safe system calls (clone as a plain fork without atfork
 * handlers, execve, wait4, unlink), so that it may run from exit, _exit,
 * a fatal signal handler or the watchdog, whatever the program's threads
 * hold. We wait for the ingest so that the database exists when the
 * program's exit is seen; the exit status is untouched. */
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shim.h"

static char bin[PATH_MAX + 16], logp[2 * PATH_MAX + 16], dbp[2 * PATH_MAX + 64];
static int armed;   /* prepared, in the process that owns logp */
static int arm_pid;
static int done;
static int bin_tried;

static int exists_x(const char *p) { return access(p, X_OK) == 0; }

void weft__self_ingest_prepare(const char *log_path) {
    armed = 0;
    char cwd[PATH_MAX];
    if (log_path[0] == '/')
        snprintf(logp, sizeof logp, "%s", log_path);
    else if (getcwd(cwd, sizeof cwd))
        snprintf(logp, sizeof logp, "%s/%s", cwd, log_path);
    else
        return;
    char *slash = strrchr(logp, '/');
    snprintf(dbp, sizeof dbp, "%.*s/weft-%d.db", (int)(slash - logp), logp, (int)getpid());
    /* Looked for once, at start: a fork child (which must not use the
     * loader or the environment) reuses what its parent found. */
    if (!bin[0] && !bin_tried) {
        bin_tried = 1;
        const char *env = secure_getenv("WEFT_BIN");
        Dl_info di;
        if (env && *env) {
            snprintf(bin, sizeof bin, "%s", env);
        } else if (dladdr((void *)&weft__self_ingest_prepare, &di) && di.dli_fname) {
            /* next to the shim (build tree), or ../bin from lib/ (install) */
            const char *s = strrchr(di.dli_fname, '/');
            int dl = s ? (int)(s - di.dli_fname) : 1;
            const char *d = s ? di.dli_fname : ".";
            snprintf(bin, sizeof bin, "%.*s/weft", dl, d);
            if (!exists_x(bin))
                snprintf(bin, sizeof bin, "%.*s/../bin/weft", dl, d);
        }
#ifdef WEFT_INSTALL_BINDIR
        if (!bin[0] || !exists_x(bin))
            snprintf(bin, sizeof bin, "%s/weft", WEFT_INSTALL_BINDIR);
#endif
    }
    if (!bin[0] || !exists_x(bin))
        return;
    arm_pid = getpid();
    armed = 1;
    done = 0;
}

void weft__self_ingest(void) {
    if (!armed || (int)syscall(SYS_getpid) != arm_pid ||
        __atomic_exchange_n(&done, 1, __ATOMIC_ACQ_REL))
        return;
    int saved = errno;
    char *const argv[] = {bin, "ingest", "-q", logp, "-o", dbp, NULL};
    char *const envp[] = {"WEFT_SELF_INGEST=1", NULL};
    /* A bare fork: libc's fork would run the program's and libweft's
     * atfork handlers (and ours), which take locks. */
    long pid = syscall(SYS_clone, (unsigned long)SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) {
        /* The database holds argv and paths, as the log: 0600. */
        umask(077);
        execve(bin, argv, envp);
        syscall(SYS_exit_group, 127);
    }
    if (pid > 0) {
        int st = 0;
        long r;
        while ((r = syscall(SYS_wait4, (pid_t)pid, &st, 0, NULL)) < 0 && errno == EINTR)
            ;
        if (r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
            unlink(logp); /* the database is the product; the log was a means */
    }
    errno = saved;
}
