// Small system helpers Swift cannot call directly (macros, variadic functions).
#ifndef RP_SYS_H
#define RP_SYS_H
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/// Returns 0 when io_uring can be used here, else a negative errno and a message in `why`.
int rp_io_uring_probe(char *why, int whylen);
/// Pins the calling thread to one CPU (CPU_SET is a macro Swift cannot import).
int rp_pin_thread(int cpu);
/// Pins the calling thread to the CPUs set in `mask` (`words` 64-bit words, bit b of word k =
/// CPU 64k + b). Returns 0 or a negative errno.
int rp_pin_thread_mask(const uint64_t *mask, int words);
/// The CPUs this process may run on (sched_getaffinity) into `mask` (`words` words); returns
/// how many, or a negative errno.
int rp_allowed_cpus(uint64_t *mask, int words);
/// Sets O_NONBLOCK on a descriptor.
int rp_set_nonblock(int fd);
/// Starts `path` (absolute) with `argv`/`envp` as user `uid` and group `gid` (-1: unchanged),
/// with every signal unblocked and at its default (a master's `program` section; posix_spawn
/// cannot change ids). Returns the pid, or a negative errno when the child could not exec.
pid_t rp_spawn_as(const char *path, char *const argv[], char *const envp[], int uid, int gid);
#endif
