// mode tcp: a connection whose bytes are relayed as they are, both ways, until both sides
// have closed. Swift picks the server as soon as the connection is accepted (HAProxy connects
// before the client speaks: the server may speak first); then each direction is a body
// "until close" on its half, and an end of stream on one side is passed on as a half-close
// (shutdown SHUT_WR) to the other. Nothing here knows what the bytes mean.
#include "rp_internal.h"
#include <string.h>
#include <sys/socket.h>

/* A new connection of a mode tcp listener (its PROXY header, if any, already read): to Swift
   at once, with no byte. 1: taken (it may already be closed). */
int tunnel_begin(worker *w, conn *c) {
    if (!w->e->listeners[c->listener].tcp_mode || c->req_index != 0 || c->pp_wait) return 0;
    if (xb_attach(w, c) < 0) { conn_close(w, c); return 1; }
    request_head(w, c);
    return 1;
}

/* Any byte moved pushes both deadlines back: `timeout client` / `timeout server` (or both
   `timeout tunnel`) are inactivity timeouts of the whole relay. */
void tunnel_touch(worker *w, conn *c) {
    c->cdl = c->client_to ? w->now + c->client_to : 0;
    c->sdl = c->server_to ? w->now + c->server_to : 0;
    tw_schedule(w, c);
}

/* Connected: send what the client already sent (and the PROXY header), read both sides. */
void tunnel_start(worker *w, conn *c) {
    half *rq = &c->h[REQ], *rs = &c->h[RESP];
    c->t.connected = c->t.connected ? c->t.connected : w->now;
    req_phase(c, PH_BODY);
    rs->phase = PH_BODY; rs->body = RP_BODY_CLOSE; rs->body_done = 0; rs->fill = 0;
    tunnel_touch(w, c);
    srecv_arm(w, c);
    if (w->e->servers[c->server].send_proxy && !c->pooled_server) pp_prepend(w, c);
    if (rq->iovcnt > 0) { half_send(w, c, REQ); return; }
    rq->fill = 0; c->rkeep = 0;
    crecv_arm(w, c);
}

/* The client sent its last byte (everything before it went to the server: a receive is only
   armed once the previous send completed): pass the half-close on. res < 0: an error. */
void tunnel_client_eof(worker *w, conn *c, int res) {
    half *rq = &c->h[REQ];
    if (rq->phase != PH_BODY) return;          /* seen again once the relay starts */
    RP_ASSERT(!rq->send);
    if (res < 0) { c->term0 = 'C'; c->term1 = 'D'; conn_close(w, c); return; }
    rq->body_done = 1;
    req_phase(c, PH_DONE);
    if (c->client_fin_to) { c->client_to = c->client_fin_to; tunnel_touch(w, c); }   /* timeout client-fin */
    if (c->fd[SRV] >= 0) shutdown(c->fd[SRV], SHUT_WR);
    /* HAProxy: once the server side is shut for writes, its read timeout is `timeout server-fin` */
    if (c->server_fin_to) { c->server_to = c->server_fin_to; tunnel_touch(w, c); }
    if (c->h[RESP].phase == PH_DONE) conn_close(w, c);
}

/* The server sent its last byte, and it went to the client (the server's receive is armed
   only after the previous send completed). */
void tunnel_server_eof(worker *w, conn *c, int res) {
    half *rs = &c->h[RESP];
    RP_ASSERT(!rs->send);
    if (res < 0) { c->term0 = 'S'; c->term1 = 'D'; conn_close(w, c); return; }
    rs->body_done = 1;
    rs->phase = PH_DONE;
    shutdown(c->fd[CLI], SHUT_WR);
    if (c->h[REQ].phase == PH_DONE) conn_close(w, c);
}

/* Where HTTP would answer with a page (no server, connection failed, queue timeout): a TCP
   client only sees its connection close; the log keeps the cause. */
void tunnel_fail(worker *w, conn *c, char t0, char t1) {
    c->term0 = t0; c->term1 = t1;
    c->status = -1;
    conn_close(w, c);
}

/* A deadline of the relay passed: the client side's first, as HAProxy looks at the request
   channel first. */
void tunnel_timeout(worker *w, conn *c) {
    if (c->cdl && c->cdl <= w->now) { c->term0 = 'c'; c->term1 = 'D'; }
    else { c->term0 = 's'; c->term1 = 'D'; }
    conn_close(w, c);
}

/* A 101 Switching Protocols goes to the client: the connection becomes a tunnel. The response
   half already relays until the server closes; the request half, over, now relays what the
   client sends after its request (bytes already received first). A request whose body is
   still on its way is left as it is (no tunnel: the response relays until close). */
void tunnel_upgrade(worker *w, conn *c) {
    half *rq = &c->h[REQ];
    if (rq->phase != PH_DONE || rq->send) return;
    c->tunnel = 1;
    c->close_after = 1; c->server_reuse = 0;
    rq->body = RP_BODY_CLOSE; rq->body_done = 0;
    req_phase(c, PH_BODY);
    tunnel_touch(w, c);
    if (c->rkeep < rq->fill) {
        memmove(rq->buf, rq->buf + c->rkeep, rq->fill - c->rkeep);
        rq->fill -= c->rkeep; c->rkeep = 0;
        rq->iov[0].iov_base = rq->buf; rq->iov[0].iov_len = rq->fill; rq->iovcnt = 1;
        c->rkeep = rq->fill;
        half_send(w, c, REQ);
        return;
    }
    rq->fill = 0; c->rkeep = 0;
    crecv_arm(w, c);
}
