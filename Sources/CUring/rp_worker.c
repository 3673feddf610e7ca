// The worker: one pinned thread, one ring. Each loop turn submits what the last one queued,
// waits for completions, dispatches them, fires timers and lets Swift flush its batches.
#include "rp_internal.h"
#include "rp_sys.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>

int64_t rp_now_ms(void) {
    struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
int64_t rp_realtime_us(void) {
    struct timespec ts; clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void cancel_ud(worker *w, uint64_t target) {
    struct io_uring_sqe *s = sqe_get(w);
    io_uring_prep_cancel64(s, target, 0);
    io_uring_sqe_set_data64(s, UD_IGNORE);
}

void cancel_fd(worker *w, int fd) {
    struct io_uring_sqe *s = sqe_get(w);
    io_uring_prep_cancel_fd(s, fd, IORING_ASYNC_CANCEL_ALL);
    io_uring_sqe_set_data64(s, UD_IGNORE);
}

/* Clears the flag of the op that completed (ops counted in c->inflight). */
static void op_finished(conn *c, int op) {
    switch (op) {
    case OP_RECV_REQ: RP_ASSERT(c->h[REQ].recv); c->h[REQ].recv = 0; break;
    case OP_SEND_RESP: RP_ASSERT(c->h[RESP].send); c->h[RESP].send = 0; break;
    case OP_RECV_RESP: RP_ASSERT(c->h[RESP].recv); c->h[RESP].recv = 0; break;
    case OP_SEND_REQ: RP_ASSERT(c->h[REQ].send); c->h[REQ].send = 0; break;
    case OP_CONNECT: RP_ASSERT(c->sconn); c->sconn = 0; break;
    case OP_LTIMEOUT: RP_ASSERT(c->ltmo); c->ltmo--; break;
    case OP_POLL_IN: RP_ASSERT(c->pu.pollin); c->pu.pollin = 0; break;
    case OP_POLL_OUT: RP_ASSERT(c->pu.pollout); c->pu.pollout = 0; break;
    case OP_CPEEK: RP_ASSERT(c->cpeek); c->cpeek = 0; break;
    default: RP_ASSERT(0);
    }
    c->inflight--;
}

static void handle_cqe(worker *w, const struct io_uring_cqe *cqe) {
    ud_fields u = ud_decode(cqe->user_data);
    int res = cqe->res;
    if (u.op == OP_IGNORE || u.op == OP_NONE) return;
    if (u.op == OP_ACCEPT) { on_accept(w, (int)u.slot, res, cqe->flags); return; }
    if (u.op == OP_WAKE) { on_wake(w, res, cqe->flags); return; }
    RP_ASSERT(u.slot < (uint32_t)w->nconns);
    if (u.slot >= (uint32_t)w->nconns) return;
    conn *c = &w->conns[u.slot];
    /* a slot is reused only once all its ops have completed: the generation must match */
    RP_ASSERT(c->state != C_FREE && u.gen == (c->gen & UD_GEN_MASK));
    if (u.op == OP_RECV_REQ && w->use_ms) { on_client_recv_multi(w, c, res, cqe->flags); return; }
    op_finished(c, u.op);
    if (c->state != C_ACTIVE) { conn_op_done(w, c); return; }
    RP_ASSERT(c->inflight == conn_ops(c));

    switch (u.op) {
    case OP_LTIMEOUT: return;
    case OP_CPEEK: on_client_peek(w, c, res); return;
    case OP_CONNECT: on_connect(w, c, res); return;
    case OP_SEND_REQ: on_request_sent(w, c, res); return;
    case OP_RECV_REQ: on_client_recv_single(w, c, res); return;
    case OP_RECV_RESP: on_response_recv(w, c, res); return;
    case OP_SEND_RESP: on_response_sent(w, c, res); return;
    case OP_POLL_IN:
    case OP_POLL_OUT:
        if (c->pu.active) pump_run(w, c);
        return;
    }
}

static int ring_init(worker *w) {
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE;
    p.cq_entries = 16384;
    int r = io_uring_queue_init_params(4096, &w->ring, &p);
    if (r == -EINVAL) {
        memset(&p, 0, sizeof p);
        p.flags = IORING_SETUP_CQSIZE; p.cq_entries = 16384;
        r = io_uring_queue_init_params(4096, &w->ring, &p);
    }
    return r;
}

/* Soft stop: no new connections; idle keep-alive ones close now, the others after their exchange. */
static void worker_soft_stop(worker *w) {
    w->stopping = 1;
    listeners_close(w, 1);
    for (int i = 0; i < w->nconns; i++) {
        conn *c = &w->conns[i];
        if (c->state == C_ACTIVE && c->h[REQ].phase == PH_HEAD && c->h[REQ].fill == 0 && c->req_index > 0) conn_close(w, c);
        else if (c->state == C_ACTIVE) c->close_after = 1;
    }
}

void *worker_main(void *arg) {
    worker *w = arg;
    if (w->e->cfg.pin) rp_pin_thread(w->id % get_nprocs());
    if (ring_init(w) < 0) { fprintf(stderr, "ringproxy: worker %d: io_uring setup failed\n", w->id); return NULL; }
    w->use_ms = getenv("RINGPROXY_SINGLESHOT") == NULL && bufring_init(w) == 0;
    w->now = rp_now_ms();
    w->tw_done = w->now / TW_TICK_MS;
    for (int i = 0; i < w->e->cfg.nlisteners; i++) accept_arm(w, i);
    wake_arm(w);
    for (;;) {
        int st = atomic_load_explicit(&w->e->stop, memory_order_relaxed);
        if (st == 2) { listeners_close(w, 0); break; }
        if (st == 1 && !w->stopping) worker_soft_stop(w);
        if (w->stopping && w->active == 0 && !any_accepting(w)) break;
        struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = (w->queued ? 1 : w->active ? TW_TICK_MS : 100) * 1000000LL };
        struct io_uring_cqe *cqe = NULL;
        io_uring_submit_and_wait_timeout(&w->ring, &cqe, 1, &ts, NULL);
        w->now = rp_now_ms();
        unsigned head, count = 0;
        io_uring_for_each_cqe(&w->ring, head, cqe) {
            handle_cqe(w, cqe);
            count++;
            if (count == 32) {      /* start the sends of a long batch early: latency */
                io_uring_cq_advance(&w->ring, count); count = 0;
                io_uring_submit(&w->ring);
            }
        }
        if (count) io_uring_cq_advance(&w->ring, count);
        timers_run(w);
        rate_resume(w);
        if (w->now >= w->next_purge) { pool_purge(w); xb_trim(w); conn_trim(w); w->next_purge = w->now + 1000; }
        if (w->e->cfg.cb.on_turn) w->e->cfg.cb.on_turn(w->e->cfg.cb.ctx, w->id);
        if (w->queued) for (int k = 0; k < w->e->cfg.nservers; k++) if (w->q_head[k]) queue_kick(w, k);
    }
    io_uring_submit(&w->ring);
    xb_free_all(w);
    return NULL;
}
