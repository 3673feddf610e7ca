// The worker: one pinned thread, one ring. Each loop turn submits what the last one queued,
// waits for completions, dispatches them, fires timers and lets Swift flush its batches.
#include "rp_internal.h"
#include "rp_sys.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

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
    if (c->srv_draining && u.op != OP_CPEEK) {
        /* the exchange is over: what its server ops report no longer matters */
        if (!server_ops(c)) server_drained(w, c);
        return;
    }

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

/* Pins the thread, sets up its ring and provided buffers; on failure, says why. The ring must
   be created by the thread that uses it (SINGLE_ISSUER, DEFER_TASKRUN). */
static int worker_setup(worker *w, char *why, size_t n) {
    const rp_engine_cfg *cfg = &w->e->cfg;
    if (cfg->cpu_words > 0) {
        /* as HAProxy, a placement the kernel refuses (a CPU outside the container's cpuset)
           leaves the thread where it is; unlike HAProxy, say so */
        const uint64_t *mask = cfg->cpu_masks + (size_t)w->id * (size_t)cfg->cpu_words;
        int r = rp_pin_thread_mask(mask, cfg->cpu_words);
        if (r < 0) fprintf(stderr, "[WARNING] thread %d: cannot bind to its CPUs (%s); it runs on any CPU the process may use\n", w->id + 1, strerror(-r));
    }
    int r = cfg->test_fail_worker == w->id + 1 ? -ENOMEM : ring_init(w);
    if (r < 0) { snprintf(why, n, "io_uring setup failed: %s", strerror(-r)); return r; }
    w->ring_ok = 1;
    w->nbufs = cfg->bufring_entries;
    w->use_ms = !cfg->recv_single && getenv("RINGPROXY_SINGLESHOT") == NULL && bufring_init(w) == 0;
    return 0;
}

/* Soft stop: no new connections. A response still to come says `Connection: close` and its
   connection closes after it (response_head). A keep-alive connection between two requests is
   closed only once it has been quiet for SOFT_IDLE_MS: a client that just got a response may
   already have sent its next request, which must be answered (with `Connection: close`), not
   met by a close. */
static void worker_soft_stop(worker *w) {
    w->stopping = 1;
    listeners_close(w, 1);
    for (int i = 0; i < w->nconns; i++) {
        conn *c = &w->conns[i];
        if (c->state != C_ACTIVE || !conn_idle(w, c)) continue;
        if (w->now - c->t.start >= SOFT_IDLE_MS) { COUNT(w, soft_closes); conn_close(w, c); continue; }
        int64_t dl = c->t.start + SOFT_IDLE_MS;
        if (!c->cdl || dl < c->cdl) { c->cdl = dl; tw_schedule(w, c); }
    }
}

/* Hard stop: close every connection (unlogged: the process is going away) and reap the
   completions of their operations for a short while, so nothing the kernel still holds
   points into memory about to be freed. */
static void worker_hard_stop(worker *w) {
    listeners_close(w, 0);
    for (int i = 0; i < w->nconns; i++) {
        conn *c = &w->conns[i];
        if (c->state == C_ACTIVE) { c->logged = 1; conn_close(w, c); }
    }
    int64_t until = rp_now_ms() + 500;
    for (;;) {
        int busy = any_accepting(w);
        for (int i = 0; i < w->nconns && !busy; i++) busy = w->conns[i].state != C_FREE;
        if (!busy || rp_now_ms() >= until) break;
        struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 10 * 1000000LL };
        struct io_uring_cqe *cqe = NULL;
        io_uring_submit_and_wait_timeout(&w->ring, &cqe, 1, &ts, NULL);
        w->now = rp_now_ms();
        unsigned head, count = 0;
        io_uring_for_each_cqe(&w->ring, head, cqe) { handle_cqe(w, cqe); count++; }
        io_uring_cq_advance(&w->ring, count);
    }
}

/* RP_DUMP=1 with test hooks: the open connections on stderr every 2 s (a stalled test says why). */
static void conns_dump(worker *w) {
    for (int i = 0; i < w->nconns; i++) {
        const conn *c = &w->conns[i];
        if (c->state == C_FREE) continue;
        const half *q = &c->h[REQ], *r = &c->h[RESP];
        fprintf(stderr, "rp w%d c%d state %d req{phase %d fill %u remain %lld done %d recv %d send %d} "
                "resp{phase %d fill %u recv %d send %d} ms{want %d cancel %d eof %d term %d bw %d pend %d splice %d} "
                "inflight %d bufs_out %d\n", w->id, i, c->state, q->phase, q->fill, (long long)q->remain, q->body_done,
                q->recv, q->send, r->phase, r->fill, r->recv, r->send, c->ms.want, c->ms.cancel, c->ms.eof, c->ms.term,
                c->ms.in_bw, PENDING(c), c->ms.splice, c->inflight, w->bufs_out);
    }
}

/* rp_test.h: the state of this worker, copied where other threads can read it. */
static void snapshot_publish(worker *w) {
    rp_engine *e = w->e;
    rp_worker_stats s;
    memset(&s, 0, sizeof s);
    s.turns = w->turns;
    s.accepts = w->n.accepts; s.closes = w->n.closes; s.timeouts = w->n.timeouts;
    s.connects = w->n.connects; s.pool_puts = w->n.pool_puts; s.pool_hits = w->n.pool_hits;
    s.replays = w->n.replays; s.splices = w->n.splices; s.splices_done = w->n.splices_done;
    s.enobufs = w->n.enobufs; s.ms_cancels = w->n.ms_cancels; s.soft_closes = w->n.soft_closes;
    s.active = w->active;
    for (int i = 0; i < w->nconns; i++) {
        const conn *c = &w->conns[i];
        if (c->state == C_CLOSING) s.closing++;
        s.inflight += c->inflight;
        if (c->tw.linked) s.timers++;
    }
    for (int k = 0; k < e->cfg.nservers; k++) s.pooled += w->pool_n[k];
    s.bufs_out = w->bufs_out; s.queued = w->queued; s.multishot = w->use_ms; s.stopping = w->stopping;
    for (int l = 0; l < e->cfg.nlisteners; l++) s.listeners += w->lfd[l] >= 0;
    if (e->dump && w->now - w->last_dump >= 2000) { w->last_dump = w->now; conns_dump(w); }
    pthread_mutex_lock(&e->mu);
    e->snap[w->id] = s;
    pthread_mutex_unlock(&e->mu);
}

void *worker_main(void *arg) {
    worker *w = arg;
    char why[200] = "", name[16];
    snprintf(name, sizeof name, "rp-worker-%d", w->id);
    pthread_setname_np(pthread_self(), name);        /* ps -L, /proc/PID/task/N/comm */
    int r = worker_setup(w, why, sizeof why);
    if (!worker_started(w, r, why)) {
        listeners_close(w, 0);
        if (w->ring_ok) { io_uring_queue_exit(&w->ring); w->ring_ok = 0; }
        return NULL;
    }
    w->now = rp_now_ms();
    w->tw_done = w->now / TW_TICK_MS;
    for (int i = 0; i < w->e->cfg.nlisteners; i++) accept_arm(w, i);
    wake_arm(w);
    int hooks = w->e->snap != NULL;
    for (;;) {
        int st = atomic_load_explicit(&w->e->stop, memory_order_relaxed);
        if (st == 2) { w->stopping = 2; worker_hard_stop(w); break; }
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
        if (steal_pending(w)) steal_run(w);
        timers_run(w);
        rate_resume(w);
        if (w->now >= w->next_purge) { pool_purge(w); xb_trim(w); conn_trim(w); w->next_purge = w->now + 1000; }
        if (w->e->cfg.cb.on_turn) w->e->cfg.cb.on_turn(w->e->cfg.cb.ctx, w->id);
        if (w->queued) for (int k = 0; k < w->e->cfg.nservers; k++) if (w->q_head[k]) queue_kick(w, k);
        w->turns++;
        if (hooks) snapshot_publish(w);
    }
    steal_close(w);
    io_uring_submit(&w->ring);
    if (hooks) snapshot_publish(w);
    io_uring_queue_exit(&w->ring);
    w->ring_ok = 0;
    return NULL;
}

/* Frees what the worker owns, once its thread has ended. Connections still open (a hard stop
   that did not drain in time) lose their sockets here. */
void worker_free(worker *w) {
    if (w->conns) {
        for (int i = 0; i < w->nconns; i++) {
            conn *c = &w->conns[i];
            if (c->state != C_FREE) {
                if (c->fd[CLI] >= 0) close(c->fd[CLI]);
                if (c->fd[SRV] >= 0) close(c->fd[SRV]);
                if (c->pu.pipe[0] >= 0) { close(c->pu.pipe[0]); close(c->pu.pipe[1]); }
                free(c->local);
                capture_end(c);
                if (c->ms.pend && c->ms.pend != c->ms.inl) free(c->ms.pend);
                if (c->xb) munmap(c->xb, sizeof(xbuf));
            }
        }
        munmap(w->conns, w->conns_bytes);
    }
    xb_free_all(w);
    free(w->free_slots); free(w->slot_page_used); w->free_slots = NULL; w->slot_page_used = NULL;
    if (w->pool) for (int k = 0; k < w->e->cfg.nservers; k++) {
        if (w->pool_n) for (int j = 0; j < w->pool_n[k]; j++) close(w->pool[k][j].fd);
        free(w->pool[k]);
    }
    for (int i = 0; i < w->npipes; i++) { close(w->pipes[i][0]); close(w->pipes[i][1]); }
    w->npipes = 0;
    free(w->fire); free(w->lfd); free(w->accepting); free(w->lactive);
    free(w->pool); free(w->pool_n); free(w->q_head); free(w->q_tail);
    free(w->br); free(w->bufs);
    if (w->wake_fd >= 0) close(w->wake_fd);
    w->wake_fd = -1;
    free(w->saddr); free(w->saddrlen); w->saddr = NULL; w->saddrlen = NULL;
    w->conns = NULL; w->fire = NULL; w->lfd = NULL; w->accepting = NULL; w->lactive = NULL;
    w->pool = NULL; w->pool_n = NULL; w->q_head = NULL; w->q_tail = NULL; w->br = NULL; w->bufs = NULL;
}
