// Runtime control of a running engine (the runtime API's `shutdown session`, `show sess`,
// `disable frontend`, `set maxconn`, `set rate-limit`, `set server addr`, and the listening
// sockets handed to a new process). Other threads never touch a worker's state: they post a
// job to the worker's mailbox (Swift) and write the worker's eventfd, whose multishot poll
// completes in the worker's ring; the worker then runs the jobs in its on_turn callback, and
// the rp_worker_* functions below run there, on the worker's own thread.
#include "rp_internal.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

int control_init(worker *w) {
    const rp_engine *e = w->e;
    size_t ns = (size_t)e->cfg.nservers + 1;
    w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    w->saddr = calloc(ns, sizeof *w->saddr);
    w->saddrlen = calloc(ns, sizeof *w->saddrlen);
    if (w->wake_fd < 0 || !w->saddr || !w->saddrlen) return -ENOMEM;
    for (int k = 0; k < e->cfg.nservers; k++) { w->saddr[k] = e->servers[k].addr; w->saddrlen[k] = e->servers[k].addrlen; }
    return 0;
}

void wake_arm(worker *w) {
    if (w->wake_armed || w->wake_fd < 0) return;
    struct io_uring_sqe *s = sqe_get(w);
    io_uring_prep_poll_multishot(s, w->wake_fd, POLLIN);
    io_uring_sqe_set_data64(s, ud_encode(OP_WAKE, 0, 0));
    w->wake_armed = 1;
}

/* The loop woke up for a message: consume the count (on_turn runs the jobs). */
void on_wake(worker *w, int res, uint32_t flags) {
    uint64_t n;
    if (read(w->wake_fd, &n, sizeof n) < 0) { /* nothing pending: a spurious wake-up */ }
    if (!(flags & IORING_CQE_F_MORE)) { w->wake_armed = 0; if (res != -ECANCELED && !w->stopping) wake_arm(w); }
}

/* ---------- any thread ---------- */

void rp_engine_wake(rp_engine *e, int worker) {
    if (worker < 0 || worker >= e->nw) return;
    uint64_t one = 1;
    if (write(e->w[worker].wake_fd, &one, sizeof one) < 0) { /* the counter is full: already woken */ }
}

void rp_engine_set_exported(rp_engine *e) { atomic_store(&e->exported, 1); }

int rp_engine_listener_fds(rp_engine *e, int *fds, int *listener, int max) {
    int n = 0;
    for (int l = 0; l < e->cfg.nlisteners; l++) {
        if (e->listeners[l].fd >= 0) {          /* one socket shared by every worker */
            if (n < max) { fds[n] = e->listeners[l].fd; listener[n] = l; n++; }
            continue;
        }
        for (int i = 0; i < e->nw; i++) {
            int fd = e->w[i].lfd[l];
            if (fd >= 0 && n < max) { fds[n] = fd; listener[n] = l; n++; }
        }
    }
    return n;
}

void rp_engine_set_server_maxconn(rp_engine *e, int server, int maxconn) {
    if (server < 0 || server >= e->cfg.nservers) return;
    __atomic_store_n(&e->servers[server].maxconn, maxconn, __ATOMIC_RELAXED);
}

void rp_engine_set_frontend_maxconn(rp_engine *e, int frontend, int maxconn) {
    for (int l = 0; l < e->cfg.nlisteners; l++)
        if (e->listeners[l].frontend == frontend) __atomic_store_n(&e->listeners[l].maxconn, maxconn, __ATOMIC_RELAXED);
}

void rp_engine_set_session_rate(rp_engine *e, int per_second) {
    __atomic_store_n(&e->cfg.maxsessrate, per_second, __ATOMIC_RELAXED);
}

/* ---------- the worker's own thread ---------- */

static worker *own(rp_engine *e, int i) { return i >= 0 && i < e->nw ? &e->w[i] : NULL; }

int rp_worker_conns(rp_engine *e, int wi, rp_conn_info *out, int max) {
    worker *w = own(e, wi);
    if (!w) return 0;
    int n = 0;
    for (int k = 0; k < w->nconns && n < max; k++) {
        const conn *c = &w->conns[k];
        if (c->state != C_ACTIVE) continue;
        rp_conn_info *o = &out[n++];
        memset(o, 0, sizeof *o);
        o->slot = (uint32_t)k; o->gen = c->gen & UD_GEN_MASK;
        o->frontend = c->frontend; o->listener = c->listener; o->server = c->server;
        o->cli_fd = c->fd[CLI]; o->srv_fd = c->fd[SRV];
        o->client = c->caddr;
        o->age_ms = w->now - c->t.start;
        o->req_index = c->req_index;
        o->req_phase = c->h[REQ].phase; o->resp_phase = c->h[RESP].phase;
        o->bytes_in = c->bytes_in; o->bytes_out = c->bytes_out;
        o->cdl_ms = c->cdl ? c->cdl - w->now : -1;
        o->sdl_ms = c->sdl ? c->sdl - w->now : -1;
    }
    return n;
}

/* HAProxy's second termination character for where the exchange was. */
static char phase_char(const conn *c) {
    switch (c->h[REQ].phase) {
    case PH_HEAD: return 'R';
    case PH_QUEUED: return 'Q';
    case PH_CONNECT: case PH_WAIT_RETRY: return 'C';
    default: break;
    }
    return c->h[RESP].phase == PH_HEAD || c->h[RESP].phase == PH_IDLE ? 'H' : 'D';
}

/* `shutdown session`: closes it now, logged with HAProxy's 'K' (killed by the admin). */
static void kill_conn(worker *w, conn *c) {
    c->term0 = 'K'; c->term1 = phase_char(c);
    conn_close(w, c);
}

int rp_worker_kill(rp_engine *e, int wi, uint32_t slot, uint32_t gen) {
    worker *w = own(e, wi);
    if (!w || slot >= (uint32_t)w->nconns) return 0;
    conn *c = &w->conns[slot];
    if (c->state != C_ACTIVE || (c->gen & UD_GEN_MASK) != gen) return 0;
    kill_conn(w, c);
    return 1;
}

int rp_worker_kill_server(rp_engine *e, int wi, int server) {
    worker *w = own(e, wi);
    if (!w) return 0;
    int n = 0;
    for (int k = 0; k < w->nconns; k++) {
        conn *c = &w->conns[k];
        if (c->state == C_ACTIVE && c->server == server && (c->fd[SRV] >= 0 || c->h[REQ].phase == PH_QUEUED)) {
            kill_conn(w, c); n++;
        }
    }
    return n;
}

int rp_worker_listener_pause(rp_engine *e, int wi, int li, int pause) {
    worker *w = own(e, wi);
    if (!w || li < 0 || li >= e->cfg.nlisteners) return -EINVAL;
    if (pause) {
        int fd = w->lfd[li];
        if (fd < 0) return 0;
        /* our own socket: shut it to refuse connections (HAProxy's pause releases the port);
           a shared one keeps listening for the others */
        if (e->listeners[li].fd < 0 && !atomic_load(&e->exported)) shutdown(fd, SHUT_RDWR);
        if (w->accepting[li]) cancel_ud(w, ud_encode(OP_ACCEPT, 0, (uint32_t)li));
        close(fd);
        w->lfd[li] = -1;
        return 0;
    }
    if (w->lfd[li] >= 0 || w->stopping) return 0;
    char err[128];
    int fd = listener_open(&e->listeners[li], err, sizeof err);
    if (fd < 0) return fd;
    w->lfd[li] = fd;
    accept_resume(w, li);
    return 0;
}

void rp_worker_set_server_addr(rp_engine *e, int wi, int server, const struct sockaddr_storage *a, socklen_t len) {
    worker *w = own(e, wi);
    if (!w || server < 0 || server >= e->cfg.nservers) return;
    w->saddr[server] = *a; w->saddrlen[server] = len;
    /* idle connections to the old address are of no more use */
    while (w->pool_n[server] > 0) { close(w->pool[server][--w->pool_n[server]].fd); srvopt_idle_count(w, server, -1); }
    idle_publish(w, server);
}

void rp_worker_set_limit(rp_engine *e, int wi, int limit) {
    worker *w = own(e, wi);
    if (!w) return;
    int cap = w->nconns - 16;
    w->limit = limit <= 0 || limit > cap ? cap : limit;
}

void rp_worker_kick(rp_engine *e, int wi) {
    worker *w = own(e, wi);
    if (!w) return;
    for (int l = 0; l < e->cfg.nlisteners; l++) accept_resume(w, l);
    for (int k = 0; k < e->cfg.nservers; k++) if (w->q_head[k]) queue_kick(w, k);
}

/* ---------- `set rate-limit sessions global` ---------- */

int rate_allows(worker *w) {
    int lim = __atomic_load_n(&w->e->cfg.maxsessrate, __ATOMIC_RELAXED);
    if (lim <= 0) return 1;
    int64_t sec = w->now / 1000;
    if (sec != w->rate_second) { w->rate_second = sec; w->rate_count = 0; }
    int share = (lim + w->e->nw - 1) / w->e->nw;
    return w->rate_count < share;
}

void rate_counted(worker *w) { w->rate_count++; }

/* Called every loop turn: accepts stopped by the rate limit resume at the next second. */
void rate_resume(worker *w) {
    if (!w->rate_blocked || w->now / 1000 == w->rate_second) return;
    w->rate_blocked = 0;
    for (int l = 0; l < w->e->cfg.nlisteners; l++) accept_resume(w, l);
}
