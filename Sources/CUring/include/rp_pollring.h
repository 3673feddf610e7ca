// A small io_uring used as the health checker's event source: one-shot readiness polls on the
// probes' sockets, reaped with a timeout. The checker thread owns it (its own ring, apart from
// the workers').
#ifndef RP_POLLRING_H
#define RP_POLLRING_H
#include <stdint.h>

typedef struct rp_pollring rp_pollring;

rp_pollring *rp_pollring_create(unsigned entries);
void rp_pollring_destroy(rp_pollring *r);
/// Arms a one-shot poll for `events` (POLLIN/POLLOUT) on `fd`; its completion carries `tag`.
int rp_pollring_add(rp_pollring *r, int fd, unsigned events, uint64_t tag);
/// Removes the poll armed with `tag` (its completion then reports -ECANCELED).
int rp_pollring_remove(rp_pollring *r, uint64_t tag);
/// Submits, waits up to `timeout_ms` for at least one completion, and returns up to `max` of
/// them (tags and results: the revents mask, or a negative errno).
int rp_pollring_wait(rp_pollring *r, int timeout_ms, uint64_t *tags, int *results, int max);
#endif
