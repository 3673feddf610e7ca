// CPU time of a few system calls the engine makes around its ring, on this machine:
//   cc -O2 benchmarks/tools/syscall_cost.c -o /tmp/syscall_cost && taskset -c 0 /tmp/syscall_cost
// Thread CPU time (not wall time, so a busy machine's preemption does not count), best of 5
// loops of 200,000 calls, on a connected loopback TCP socket.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(void) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 8) || getsockname(l, (struct sockaddr *)&a, &al)) return 1;
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a)) return 1;
    int s = accept(l, NULL, NULL);
    if (s < 0) return 1;
    const char *names[] = { "getppid (a bare syscall)", "getpeername", "setsockopt(TCP_NODELAY)", "socket + close" };
    const int n = 200000;
    for (int test = 0; test < 4; test++) {
        double best = 1e9;
        for (int round = 0; round < 5; round++) {
            double t0 = cpu_now();
            for (int i = 0; i < n; i++) {
                struct sockaddr_storage ss; socklen_t sl = sizeof ss; int one = 1;
                switch (test) {
                case 0: getppid(); break;
                case 1: getpeername(s, (struct sockaddr *)&ss, &sl); break;
                case 2: setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); break;
                case 3: close(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)); break;
                }
            }
            double ns = (cpu_now() - t0) / n * 1e9;
            if (ns < best) best = ns;
        }
        printf("%-26s %6.0f ns\n", names[test], best);
    }
    return 0;
}
