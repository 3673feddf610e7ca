// mode tcp: a connection whose bytes are relayed as they are, both ways, until both sides
// have closed. Swift picks the server as soon as the connection is accepted (HAProxy connects
// before the client speaks: the server may speak first); then each direction is a body
// "until close" on its half, and an end of stream on one side is passed on as a half-close
// (shutdown SHUT_WR) to the other. Nothing here knows what the bytes mean.
#include "rp_internal.h"
#include <errno.h>
#include <stddef.h>
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
    rs->phase = c->res_inspect ? PH_HEAD : PH_BODY; rs->body = RP_BODY_CLOSE; rs->body_done = 0; rs->fill = 0;
    tunnel_touch(w, c);
    if (c->res_inspect) {
        tunnel_inspect(w, c);                    /* HAProxy runs the rules once connected */
        if (c->state != C_ACTIVE) return;        /* rejected */
    } else srecv_arm(w, c);
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

/* ---------- tcp-response content rules (mode tcp) ----------
   The server's first bytes are held in the response buffer (its phase stays HEAD) and shown to
   Swift once connected, on each receive, at the server's end of stream and when the inspect
   delay passes, until the rules decide: then they are relayed (and the relay goes on), or both
   connections are closed. The request direction relays meanwhile, as HAProxy's. */

/* The held bytes go to the client; the response direction relays from then on. */
static void tunnel_release(worker *w, conn *c) {
    half *rs = &c->h[RESP];
    RP_ASSERT(!rs->recv && !rs->send);
    c->res_inspect = 0; c->rinspect_dl = 0;
    rs->phase = PH_BODY;
    tunnel_touch(w, c);
    if (rs->fill) {
        rs->iov[0].iov_base = rs->buf; rs->iov[0].iov_len = rs->fill; rs->iovcnt = 1;
        rs->fill = 0;
        half_send(w, c, RESP);                   /* then a receive: the end of stream again */
        return;
    }
    if (c->rinspect_kill) { conn_close(w, c); return; }
    if (c->rinspect_eof) { tunnel_server_eof(w, c, 0); return; }
    srecv_arm(w, c);
}

void tunnel_inspect(worker *w, conn *c) {
    half *rs = &c->h[RESP];
    if (c->res_inspect != 1) return;
    rp_head_call *call = &w->call;
    memset(call, 0, offsetof(rp_head_call, iov));
    call->worker = w->id; call->slot = conn_slot(w, c);
    call->frontend = c->frontend; call->listener = c->listener; call->buf = rs->buf;
    call->len = rs->fill < BUFSZ ? rs->fill : BUFSZ;
    call->client = &c->caddr; call->request_index = c->req_index; call->server = c->server;
    call->inspect_again = c->rinspect_dl != 0 || c->rinspect_final;
    /* the delay passed, the server closed, or the buffer is full: no more bytes to wait for */
    call->inspect_final = c->rinspect_final || c->rinspect_eof || rs->fill >= BUFSZ;
    call->verdict = RP_NEED_MORE; call->iovcnt = 0; call->close_after = 0; call->server_reuse = 0;
    call->resp = NULL; call->tunnel = 0; call->body_wait = 0; call->client_closed = 0;
    call->cli_fd = c->fd[CLI]; call->pp_in = c->pp_in; call->pp_unique_id = NULL; call->pp_unique_id_len = 0;
    call->client_timeout_ms = call->server_timeout_ms = 0;
    call->res_inspect = 0; call->tunnel_inspect = 1;
    w->e->cfg.cb.on_response(w->e->cfg.cb.ctx, call);
    if (call->verdict == RP_DROP || call->verdict == RP_DROP_QUIET) {
        /* tcp-response content reject: both connections closed, nothing relayed (PD); the
           held bytes count in %B as HAProxy's (bytes read from the server) */
        c->term0 = 'P'; c->term1 = 'D'; c->status = -1;
        c->bytes_out += rs->fill;
        if (call->verdict == RP_DROP_QUIET) c->logged = 1;
        conn_close(w, c);
        return;
    }
    if (call->verdict == RP_NEED_MORE && !call->inspect_final) {
        if (!c->rinspect_dl) {
            c->rinspect_dl = w->now + (call->inspect_ms ? call->inspect_ms : 1);
            tw_schedule(w, c);
        }
        if (!rs->recv && !c->rinspect_eof) srecv_arm(w, c);
        return;
    }
    /* accepted (or no rule could wait longer) */
    if (call->close_after && c->fd[SRV] >= 0) {
        /* `close`: what the server sent is relayed, then both connections end (HAProxy: the
           server's aborted without lingering, a reset; the client's closed; logged `--`) */
        struct linger lg = { .l_onoff = 1, .l_linger = 0 };
        setsockopt(c->fd[SRV], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        c->rinspect_kill = 1;
    }
    c->rinspect_dl = 0;
    if (rs->recv) {
        /* a receive is in flight after the held bytes: they go once it has completed */
        c->res_inspect = 2;
        cancel_ud(w, conn_ud(w, c, OP_RECV_RESP));
        return;
    }
    tunnel_release(w, c);
}

void tunnel_inspect_recv(worker *w, conn *c, int res) {
    half *rs = &c->h[RESP];
    if (res > 0) { rs->fill += (uint32_t)res; RP_ASSERT(rs->fill <= RSBUFSZ); }
    else if (res == 0) c->rinspect_eof = 1;
    else if (res != -ECANCELED && res != -EINTR && res != -EAGAIN) {
        c->term0 = 'S'; c->term1 = 'D'; conn_close(w, c); return;
    }
    if (c->res_inspect == 2) { tunnel_release(w, c); return; }
    if (res < 0) { srecv_arm(w, c); return; }
    tunnel_inspect(w, c);
}
