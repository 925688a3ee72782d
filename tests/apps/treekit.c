/* Test helper for killtree and waitall -p. Modes:
 *   tree N [FANOUT]   a tree of N sleeping processes (fan-out 10 unless given) whose root
 *                     leads a new session; prints the root's pid once all N are up, exits
 *   deny-pidfd CMD... runs CMD under a seccomp filter that answers pidfd_open and
 *                     pidfd_send_signal with EPERM, as Docker's profile before 20.10 did
 *   vfork             a parent blocked in vfork() (state D, it cannot stop) above a child
 *                     that sleeps; once the child is gone, the parent sleeps too
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif

/* One member of the tree: itself, then `budget - 1` below it split among its children. */
static void grow(int budget, int fanout, int ready) {
    budget -= 1;
    int kids = budget < fanout ? budget : fanout;
    for (int k = 0; k < kids; k++) {
        int share = budget / kids + (k < budget % kids ? 1 : 0);
        pid_t pid = fork();
        if (pid == 0) grow(share, fanout, ready);
        if (pid < 0) { write(ready, "e", 1); break; }
    }
    write(ready, "x", 1);
    for (;;) pause();
}

static int tree(int n, int fanout) {
    int ready[2];
    if (pipe(ready)) return 1;
    pid_t root = fork();
    if (root == 0) {
        setsid();
        close(ready[0]);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0), dup2(null, 1), dup2(null, 2);
        grow(n, fanout, ready[1]);
    }
    close(ready[1]);
    for (int up = 0; up < n;) {
        char c;
        if (read(ready[0], &c, 1) != 1 || c == 'e') { fprintf(stderr, "treekit: the tree did not grow\n"); return 1; }
        up++;
    }
    printf("%d\n", root);
    return 0;
}

static int deny_pidfd(char **cmd) {
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_open, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_send_signal, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
    };
    struct sock_fprog prog = { .len = sizeof filter / sizeof filter[0], .filter = filter };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
        perror("treekit: seccomp");
        return 1;
    }
    execvp(cmd[0], cmd);
    perror("treekit: exec");
    return 127;
}

int main(int argc, char **argv) {
    if (argc > 2 && !strcmp(argv[1], "tree")) return tree(atoi(argv[2]), argc > 3 ? atoi(argv[3]) : 10);
    if (argc > 2 && !strcmp(argv[1], "deny-pidfd")) return deny_pidfd(argv + 2);
    if (argc == 2 && !strcmp(argv[1], "vfork")) {
        if (vfork() == 0) for (;;) pause(); /* the parent waits here, in state D */
        for (;;) pause();
    }
    fprintf(stderr, "usage: treekit tree N [FANOUT] | deny-pidfd CMD... | vfork\n");
    return 2;
}
