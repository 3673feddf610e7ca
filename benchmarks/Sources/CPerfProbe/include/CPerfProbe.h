#ifndef CPERFPROBE_H
#define CPERFPROBE_H

/// 1 when this process may count retired instructions with perf_event_open (a PMU is exposed
/// and perf_event_paranoid allows it), else 0. package-benchmark reports 0 instructions
/// silently when it cannot count, so the benchmarks ask first and leave the metric out.
int ringproxy_bench_can_count_instructions(void);

#endif
