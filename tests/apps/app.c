/* A multi-process app for the container tests, linked statically so that it runs alone in a
 * FROM scratch image (no shell, no libc there).
 *   app exit N               exit with status N
 *   app selfterm             die of its own SIGTERM
 *   app workers N [stubborn] [detach]
 *                            start N workers whose SIGTERM handling takes 2 s ("worker I:
 *                            pid P", "worker I: saving", then "worker I: finished, stop
 *                            signals: K", K counting the SIGTERMs it got by then); with
 *                            "stubborn", one more worker that ignores SIGTERM; with "detach",
 *                            worker N calls setsid() first, as daemons do (it is then in no
 *                            group a signal to the app's group reaches). The parent prints
 *                            "app: pid P", "app: N workers running", "app: got SIGUSR1"
 *                            for each USR1, and exits 143 0.3 s after it gets SIGTERM.
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
    /* A stop and continue (killtree freezes its tree first) ends the wait with EINTR. */
    int sig;
    while ((sig = sigwaitinfo(&set, NULL)) != SIGTERM) {}
    return sig;
}

int main(int argc, char **argv) {
    if (argc > 2 && !strcmp(argv[1], "exit")) return atoi(argv[2]);
    if (argc > 1 && !strcmp(argv[1], "selfterm")) { kill(getpid(), SIGTERM); pause(); }
    if (argc > 2 && !strcmp(argv[1], "workers")) {
        int stubborn = 0, detach = 0;
        for (int a = 3; a < argc; a++) {
            if (!strcmp(argv[a], "stubborn")) stubborn = 1;
            if (!strcmp(argv[a], "detach")) detach = 1;
        }
        sigset_t set, parent;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        parent = set;
        sigaddset(&parent, SIGUSR1);
        sigprocmask(SIG_BLOCK, &parent, NULL); /* before forking: no TERM can be missed */
        int n = atoi(argv[2]);
        char line[80];
        for (int i = 1; i <= n; i++) {
            if (fork() == 0) {
                if (detach && i == n) setsid();
                snprintf(line, sizeof line, "worker %d: pid %d\n", i, (int)getpid());
                say(line);
                wait_for_term();
                snprintf(line, sizeof line, "worker %d: saving\n", i);
                say(line);
                struct timespec two = {2, 0}, none = {0, 0};
                nanosleep(&two, NULL);
                /* A stop signal sent again during the work is pending now (TERM is blocked). */
                int count = 1;
                while (sigtimedwait(&set, NULL, &none) == SIGTERM) count++;
                snprintf(line, sizeof line, "worker %d: finished, stop signals: %d\n", i, count);
                say(line);
                _exit(0);
            }
        }
        if (stubborn && fork() == 0) {
            signal(SIGTERM, SIG_IGN);
            sigprocmask(SIG_UNBLOCK, &set, NULL);
            for (;;) pause();
        }
        snprintf(line, sizeof line, "app: pid %d\n", (int)getpid());
        say(line);
        snprintf(line, sizeof line, "app: %d workers running\n", n);
        say(line);
        for (int sig; (sig = sigwaitinfo(&parent, NULL)) != SIGTERM;)
            if (sig == SIGUSR1) say("app: got SIGUSR1\n");
        say("app: got SIGTERM, exiting\n");
        /* A moment before exiting (init's sweep follows the exit): the workers have taken
         * the first SIGTERM by then, so a second one is counted, not merged into it. */
        struct timespec moment = {0, 300000000};
        nanosleep(&moment, NULL);
        return 143;
    }
    say("usage: app exit N | selfterm | workers N [stubborn] [detach]\n");
    return 2;
}
