// Test hooks: a snapshot of one worker's state and event counts, for the engine's own tests
// (Tests/EngineTests). Published once per loop turn, only when the engine was created with
// rp_engine_cfg.test_hooks set; otherwise the worker does no extra work. With test hooks and the
// environment variable RP_DUMP set, each worker also prints its open connections (phases, ops in
// flight, receive state) on stderr every 2 s: a stalled test then says where it stalled.
#ifndef RP_TEST_H
#define RP_TEST_H
#include <stdint.h>

typedef struct rp_worker_stats {
    uint64_t turns;                   // loop turns done (a new value = a fresh snapshot)
    /* events since start */
    uint64_t accepts;                 // client connections accepted
    uint64_t closes;                  // client connections closed
    uint64_t timeouts;                // deadlines that fired (client or server side)
    uint64_t connects;                // server connects submitted
    uint64_t pool_puts;               // server connections put back in the idle pool
    uint64_t pool_hits;               // requests sent on a pooled server connection
    uint64_t replays;                 // requests replayed after a dead pooled connection
    uint64_t splices;                 // bodies handed to the splice pump
    uint64_t splices_done;            // bodies the pump finished
    uint64_t enobufs;                 // multishot receives stopped for want of buffers
    uint64_t ms_cancels;              // multishot receives cancelled (back-pressure, splice)
    uint64_t soft_closes;             // idle connections closed by a soft stop
    /* state now */
    int32_t active;                   // client connections open
    int32_t closing;                  // slots closed, waiting for their last operation
    int32_t inflight;                 // operations in flight, all connections
    int32_t pooled;                   // idle server connections, all servers
    int32_t bufs_out;                 // provided buffers held by connections
    int32_t queued;                   // requests waiting for a server slot
    int32_t timers;                   // connections in the timer wheel
    int32_t multishot;                // 1: client receives are multishot into provided buffers
    int32_t listeners;                // listening sockets open
    int32_t stopping;                 // 1 soft stop, 2 hard stop
} rp_worker_stats;

struct rp_engine;
/// Copies worker `worker`'s last snapshot. Returns 0, or -1 (no such worker, no test hooks).
int rp_engine_worker_stats(struct rp_engine *e, int worker, rp_worker_stats *out);
#endif
