/* Benchmark helper: the command each init supervises. Modes:
 *   sigwait          print "ready", then for every SIGUSR1 the CLOCK_MONOTONIC ns it arrived
 *   orphans N        leave N orphans to PID 1, let them all exit at once, report how long
 *                    until PID 1 had reaped every one, and the CPU time PID 1 used (ns)
 *   exitstamp        print CLOCK_MONOTONIC ns, then exit 0
 *   tree N           build a tree of about N sleeping processes (fan-out 10), print its root
 *   fan N M          a root in its own process group with N children of M children each,
 *                    all sleeping (1 + N + N*M processes); print the root
 *   churn N          N times: leave an orphan to PID 1 that exits at once (soak test)
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/wait.h>

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void say(const char *fmt, long long a, long long b) {
    char buf[128];
    int n = snprintf(buf, sizeof buf, fmt, a, b);
    write(1, buf, n);
}

/* Children of PID 1 other than us, counted from /proc/1/task/1/children. */
static int others_of_pid1(void) {
    static char buf[1 << 20];
    int fd = open("/proc/1/task/1/children", O_RDONLY);
    if (fd < 0) return -1;
    int n = 0, total = 0;
    while ((n = read(fd, buf + total, sizeof buf - 1 - total)) > 0) total += n;
    close(fd);
    int count = 0;
    for (int i = 0; i < total; i++) if (buf[i] == ' ') count++;
    return count - 1;
}

/* CPU time PID 1 has used, in ns (first field of /proc/1/schedstat). */
static long long pid1_cpu_ns(void) {
    char buf[128] = {0};
    int fd = open("/proc/1/schedstat", O_RDONLY);
    if (fd < 0) return -1;
    read(fd, buf, sizeof buf - 1);
    close(fd);
    return atoll(buf);
}

static void build_tree(int budget) {
    /* this process is one node; split the rest among up to 10 children */
    budget -= 1;
    int kids = budget < 10 ? budget : 10;
    for (int k = 0; k < kids; k++) {
        int share = budget / kids + (k < budget % kids ? 1 : 0);
        pid_t pid = fork();
        if (pid == 0) { build_tree(share); _exit(0); }
    }
    for (;;) pause();
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    if (!strcmp(argv[1], "sigwait")) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        sigprocmask(SIG_BLOCK, &set, NULL);
        say("ready\n", 0, 0);
        for (;;) {
            if (sigwaitinfo(&set, NULL) == SIGUSR1) say("%lld\n", now_ns(), 0);
        }
    }
    if (!strcmp(argv[1], "exitstamp")) {
        say("%lld\n", now_ns(), 0);
        _exit(0);
    }
    if (!strcmp(argv[1], "orphans") && argc > 2) {
        int n = atoi(argv[2]);
        int gate[2];
        if (pipe(gate)) return 1;
        pid_t middle = fork();
        if (middle == 0) {
            for (int i = 0; i < n; i++) {
                pid_t p = fork();
                if (p == 0) { char c; close(gate[1]); read(gate[0], &c, 1); _exit(0); }
                if (p < 0) { perror("fork"); break; }
            }
            _exit(0); /* its children are orphans now: PID 1 adopts them */
        }
        close(gate[0]);
        waitpid(middle, NULL, 0);
        while (others_of_pid1() < n) usleep(1000);
        long long start = now_ns(), cpu = pid1_cpu_ns();
        close(gate[1]); /* every orphan wakes and exits at once */
        while (others_of_pid1() > 0) {}
        long long took = now_ns() - start;
        say("%lld %lld\n", took, pid1_cpu_ns() - cpu);
        return 0;
    }
    if (!strcmp(argv[1], "churn") && argc > 2) {
        long n = atol(argv[2]);
        for (long i = 0; i < n; i++) {
            pid_t middle = fork();
            if (middle == 0) {
                if (fork() == 0) _exit(0); /* the orphan: PID 1 must reap it */
                _exit(0);
            }
            if (middle < 0) { usleep(1000); continue; }
            waitpid(middle, NULL, 0);
        }
        return 0;
    }
    if (!strcmp(argv[1], "tree") && argc > 2) {
        pid_t root = fork();
        if (root == 0) { setpgid(0, 0); build_tree(atoi(argv[2])); }
        say("%lld\n", root, 0);
        for (;;) pause();
    }
    if (!strcmp(argv[1], "fan") && argc > 3) {
        int n = atoi(argv[2]), m = atoi(argv[3]);
        pid_t root = fork();
        if (root == 0) {
            setpgid(0, 0);
            for (int i = 0; i < n; i++) {
                if (fork() == 0) {
                    for (int j = 0; j < m; j++) if (fork() == 0) for (;;) pause();
                    for (;;) pause();
                }
            }
            for (;;) pause();
        }
        say("%lld\n", root, 0);
        for (;;) pause();
    }
    return 2;
}
