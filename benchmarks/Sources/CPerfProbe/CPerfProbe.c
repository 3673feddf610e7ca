// perf_event_open has no glibc wrapper and syscall(2) is variadic (not callable from Swift),
// hence this file. The counter is opened as package-benchmark opens it (this thread, on each
// online CPU, user space only, inherited, pinned), so "yes" here means its metric works.
#include "CPerfProbe.h"

#include <linux/perf_event.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int ringproxy_bench_can_count_instructions(void) {
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.type = PERF_TYPE_HARDWARE;
    attr.size = sizeof attr;
    attr.config = PERF_COUNT_HW_INSTRUCTIONS;
    attr.disabled = 1;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    attr.inherit = 1;
    attr.inherit_stat = 1;
    attr.pinned = 1;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1) return 0;
    for (long cpu = 0; cpu < cpus; cpu++) {
        long fd = syscall(SYS_perf_event_open, &attr, 0, (int)cpu, -1, 0);
        if (fd < 0) return 0;
        close((int)fd);
    }
    return 1;
}
