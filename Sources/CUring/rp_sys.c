#define _GNU_SOURCE
#include "rp_sys.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <liburing.h>

int rp_io_uring_probe(char *why, int whylen) {
    struct io_uring ring;
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    int ret = io_uring_queue_init_params(8, &ring, &p);
    if (ret < 0) {
        FILE *f = fopen("/proc/sys/kernel/io_uring_disabled", "r");
        int disabled = 0;
        if (f) { if (fscanf(f, "%d", &disabled) != 1) disabled = 0; fclose(f); }
        if (disabled)
            snprintf(why, whylen, "io_uring is disabled on this machine (kernel.io_uring_disabled=%d): %s", disabled, strerror(-ret));
        else if (ret == -ENOSYS)
            snprintf(why, whylen, "this kernel has no io_uring (ENOSYS); ringproxy needs Linux 6.0 or later");
        else if (ret == -EPERM)
            snprintf(why, whylen, "io_uring is not permitted here (EPERM: seccomp or container policy)");
        else
            snprintf(why, whylen, "io_uring_queue_init failed: %s", strerror(-ret));
        return ret;
    }
    struct io_uring_probe *probe = io_uring_get_probe_ring(&ring);
    int ok = probe && io_uring_opcode_supported(probe, IORING_OP_ACCEPT) &&
             io_uring_opcode_supported(probe, IORING_OP_RECV) &&
             io_uring_opcode_supported(probe, IORING_OP_SENDMSG) &&
             io_uring_opcode_supported(probe, IORING_OP_CONNECT) &&
             io_uring_opcode_supported(probe, IORING_OP_LINK_TIMEOUT) &&
             io_uring_opcode_supported(probe, IORING_OP_POLL_ADD);
    if (probe) io_uring_free_probe(probe);
    io_uring_queue_exit(&ring);
    if (!ok) {
        snprintf(why, whylen, "this kernel's io_uring lacks accept/recv/sendmsg/connect/link-timeout; ringproxy needs Linux 6.0 or later");
        return -EOPNOTSUPP;
    }
    return 0;
}

int rp_pin_thread(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

int rp_pin_thread_mask(const uint64_t *mask, int words) {
    cpu_set_t set;
    CPU_ZERO(&set);
    int any = 0;
    for (int k = 0; k < words; k++)
        for (int b = 0; b < 64; b++)
            if ((mask[k] >> b) & 1) {
                int cpu = k * 64 + b;
                if (cpu >= CPU_SETSIZE) return -EINVAL;
                CPU_SET(cpu, &set); any = 1;
            }
    if (!any) return 0;
    return -pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

int rp_allowed_cpus(uint64_t *mask, int words) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) < 0) return -errno;
    int n = 0;
    for (int k = 0; k < words; k++) mask[k] = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE && cpu < words * 64; cpu++)
        if (CPU_ISSET(cpu, &set)) { mask[cpu / 64] |= 1ull << (cpu % 64); n++; }
    return n;
}

int rp_set_nonblock(int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0) return -errno;
    return fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -errno : 0;
}

pid_t rp_spawn_as(const char *path, char *const argv[], char *const envp[], int uid, int gid) {
    /* The child reports a failed exec through this pipe; a successful exec closes it (CLOEXEC). */
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return -errno;
    pid_t pid = fork();
    if (pid < 0) { int e = errno; close(report[0]); close(report[1]); return -e; }
    if (pid == 0) {
        /* Only async-signal-safe calls from here: the parent has other threads. */
        sigset_t none;
        sigemptyset(&none);
        for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int e = 0;
        if (gid >= 0 && (setgroups(0, NULL) != 0 && errno != EPERM)) e = errno;
        if (!e && gid >= 0 && setgid((gid_t)gid) != 0) e = errno;
        if (!e && uid >= 0 && setuid((uid_t)uid) != 0) e = errno;
        if (!e) { execve(path, argv, envp); e = errno; }
        ssize_t w = write(report[1], &e, sizeof e);
        (void)w;
        _exit(127);
    }
    close(report[1]);
    int e = 0;
    ssize_t n;
    do { n = read(report[0], &e, sizeof e); } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof e) {
        int status;
        waitpid(pid, &status, 0);
        return -e;
    }
    return pid;
}
