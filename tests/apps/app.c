/* A multi-process app for the container tests, linked statically so that it runs alone in a
 * FROM scratch image (no shell, no libc there).
 *   app exit N               exit with status N
 *   app selfterm             die of its own SIGTERM
 *   app workers N [stubborn] start N workers whose SIGTERM handling takes 2 s ("worker I:
 *                            saving", then "worker I: finished"); with "stubborn", one more
 *                            worker that ignores SIGTERM. The parent prints "app: N workers
 *                            running" and exits 143 as soon as it gets SIGTERM.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void say(const char *text) { write(1, text, strlen(text)); }

static int wait_for_term(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    return sigwaitinfo(&set, NULL);
}

int main(int argc, char **argv) {
    if (argc > 2 && !strcmp(argv[1], "exit")) return atoi(argv[2]);
    if (argc > 1 && !strcmp(argv[1], "selfterm")) { kill(getpid(), SIGTERM); pause(); }
    if (argc > 2 && !strcmp(argv[1], "workers")) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigprocmask(SIG_BLOCK, &set, NULL); /* before forking: no TERM can be missed */
        int n = atoi(argv[2]);
        char line[64];
        for (int i = 1; i <= n; i++) {
            if (fork() == 0) {
                wait_for_term();
                snprintf(line, sizeof line, "worker %d: saving\n", i);
                say(line);
                struct timespec two = {2, 0};
                nanosleep(&two, NULL);
                snprintf(line, sizeof line, "worker %d: finished\n", i);
                say(line);
                _exit(0);
            }
        }
        if (argc > 3 && !strcmp(argv[3], "stubborn") && fork() == 0) {
            signal(SIGTERM, SIG_IGN);
            sigprocmask(SIG_UNBLOCK, &set, NULL);
            for (;;) pause();
        }
        snprintf(line, sizeof line, "app: %d workers running\n", n);
        say(line);
        wait_for_term();
        say("app: got SIGTERM, exiting\n");
        return 143;
    }
    say("usage: app exit N | selfterm | workers N [stubborn]\n");
    return 2;
}
