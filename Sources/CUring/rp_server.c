// The server side of an exchange: a slot under the server's maxconn, an idle pooled connection
// or a new one (connect with a linked timeout), retries, redispatch, and the replay of a request
// whose pooled connection turned out to be dead.
#include "rp_internal.h"
#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>

void connect_start(worker *w, conn *c) {
    const rp_engine *e = w->e;
    RP_ASSERT(c->h[REQ].phase == PH_CONNECT && !c->sconn);   /* a late linked timeout may remain */
    if (c->abort_on_close && c->h[REQ].body_done) cpeek_arm(w, c);
    int q = queue_enter(w, c);
    if (q == 1) return;
    if (q == 2) { srvopt_queue_rejected(w, c); return; }
    if (c->server < 0 || c->server >= e->cfg.nservers) { send_page(w, c, 503, 'S', 'C'); return; }
    c->t.conn_start = w->now;
    if (!c->t.conn_first) c->t.conn_first = w->now;
    c->pooled_server = 0;
    c->steal_wait = 0;                           /* a late answer goes to the pool */
    RP_ASSERT(c->fd[SRV] < 0);
    int fd = -1;
    if (c->server_reuse) {
        fd = reuse_take(w, c);
        if (fd == REUSE_PARKED) return;          /* connect_with() when the answer comes */
    }
    connect_with(w, c, fd);
}

void connect_with(worker *w, conn *c, int fd) {
    const rp_engine *e = w->e;
    RP_ASSERT(c->fd[SRV] < 0 && !c->steal_wait);
    if (fd >= 0) {
        c->fd[SRV] = fd; c->pooled_server = 1; c->t.connected = w->now;
        c->srv_uses++;
        COUNT(w, pool_hits);
        request_send_head(w, c);
        return;
    }
    /* this worker's copy of the address: `set server addr` changes it on this thread */
    const struct sockaddr_storage *sa = c->dst_out ? c->dst_out : &w->saddr[c->server];
    socklen_t salen = c->dst_out ? transparent_len(c->dst_out) : w->saddrlen[c->server];
    c->socks = 0;
    if (!c->dst_out && e->servers[c->server].socks4) {   /* through its SOCKS4 proxy (rp_socks4.c) */
        sa = &e->servers[c->server].socks4_addr; salen = e->servers[c->server].socks4_addrlen;
    }
    fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) { send_page(w, c, 503, 'R', 'C'); return; }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (e->servers[c->server].sock_opts && srvopt_socket(w, c->server, fd) < 0) { close(fd); send_page(w, c, 503, 'R', 'C'); return; }
    if (e->servers[c->server].usesrc && usesrc_bind(w, c, fd) < 0) { close(fd); connect_failed(w, c, RP_ERR_USESRC); return; }
    c->fd[SRV] = fd;
    c->srv_uses = 1;
    COUNT(w, connects);
    struct io_uring_sqe *s = sqe_get(w);
    io_uring_prep_connect(s, fd, (const struct sockaddr *)sa, salen);
    io_uring_sqe_set_data64(s, conn_ud(w, c, OP_CONNECT));
    s->flags |= IOSQE_IO_LINK;
    struct io_uring_sqe *t = sqe_get(w);
    c->cts.tv_sec = c->connect_to / 1000; c->cts.tv_nsec = (long long)(c->connect_to % 1000) * 1000000;
    io_uring_prep_link_timeout(t, &c->cts, 0);
    io_uring_sqe_set_data64(t, conn_ud(w, c, OP_LTIMEOUT));
    c->sconn = 1; c->ltmo++; c->inflight += 2;
}

/* An idle pooled server connection died as we used it (the server closed it meanwhile):
   send the same request once more on a fresh connection, if nothing of it is lost. */
int server_replay(worker *w, conn *c) {
    half *rq = &c->h[REQ];
    if (!c->pooled_server || !c->replayable || c->h[RESP].fill != 0 || c->status >= 0 || c->h[RESP].send) return 0;
    if (rq->send || c->h[RESP].recv) {                /* wait for the other op (it comes back here) */
        shutdown(c->fd[SRV], SHUT_RDWR); c->replay_wait = 1; return 1;
    }
    c->replay_wait = 0;
    close(c->fd[SRV]); c->fd[SRV] = -1;
    c->pooled_server = 0; c->server_reuse = 0;
    COUNT(w, replays);
    memcpy(rq->iov, c->iov0, (size_t)c->iovcnt0 * sizeof *rq->iov); rq->iovcnt = c->iovcnt0;
    req_phase(c, PH_CONNECT);
    connect_start(w, c);
    return 1;
}

/* A connection attempt failed: retry, redispatch, or answer 503. */
void connect_failed(worker *w, conn *c, int err) {
    if (c->fd[SRV] >= 0) { close(c->fd[SRV]); c->fd[SRV] = -1; }
    if (c->abort_on_close && c->cli_eof) { c->term0 = 'C'; c->term1 = 'C'; conn_close(w, c); return; }
    if (c->retries_left <= 0) {
        srv_release(w, c); c->t.connected = 0;
        /* HAProxy: sC when the connect timed out, SC when it was refused or failed */
        send_page(w, c, 503, err == -ETIME || err == -ECANCELED ? 's' : 'S', 'C');
        return;
    }
    c->retries_left--;
    c->retries_done++;
    int old = c->server;
    srv_release(w, c);
    const rp_callbacks *cb = &w->e->cfg.cb;
    if (c->redispatch && (c->redispatch == 2 || c->retries_left == 0) && cb->on_redispatch) {
        int ns = cb->on_redispatch(cb->ctx, w->id, conn_slot(w, c), old, c->h[REQ].buf, c->h[REQ].fill);
        if (ns >= 0) { c->server = ns; c->redispatched = 1; if (c->redispatch == 2) c->redispatch = 1; }
    }
    /* HAProxy retries a failed bind (usesrc) at once too: no turn-around pause */
    if (c->server != old || err == -ETIME || err == -ECANCELED || err == RP_ERR_USESRC) { connect_start(w, c); return; }
    /* an immediate failure on the same server: HAProxy's turn-around pause */
    uint32_t pause = c->connect_to < 1000 ? c->connect_to : 1000;
    req_phase(c, PH_WAIT_RETRY);
    c->sdl = w->now + pause;
    tw_schedule(w, c);
}

void on_connect(worker *w, conn *c, int res) {
    if (res < 0) { connect_failed(w, c, res); return; }
    if (!c->dst_out && w->e->servers[c->server].socks4) { socks4_begin(w, c); return; }
    c->t.connected = w->now;
    request_send_head(w, c);
}
