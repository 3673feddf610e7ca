// The response half: a response head is gathered and handed to Swift, then the head and the
// body go to the client; the end of an exchange (keep-alive, pool, or close).
#include "rp_internal.h"
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void response_head(worker *w, conn *c) {
    half *rs = &c->h[RESP];
    rp_head_call *call = &w->call;
    memset(call, 0, offsetof(rp_head_call, iov));
    call->worker = w->id; call->slot = conn_slot(w, c);
    call->frontend = c->frontend; call->listener = c->listener; call->buf = rs->buf;
    /* a head must end within BUFSZ bytes, as a request's: Swift sees no more than that (what
       follows it in the larger response buffer is body, taken by the engine) */
    call->len = rs->fill < BUFSZ ? rs->fill : BUFSZ;
    call->client = &c->caddr; call->request_index = c->req_index; call->server = c->server;
    call->head_too_big = rs->fill >= BUFSZ;
    if (c->rbody_wait) {
        /* its body is awaited: Swift sees all of the buffer; "too big" means the buffer is full */
        call->len = rs->fill;
        call->head_too_big = rs->fill >= RSBUFSZ;
    }
    call->server_closed = c->rbody_eof;
    /* a soft stop asks for `Connection: close` on every response still to come */
    call->verdict = RP_NEED_MORE; call->iovcnt = 0; call->close_after = c->close_after || w->stopping;
    call->server_reuse = c->server_reuse; call->resp = NULL; call->tunnel = 0;
    call->body_wait = 0; call->client_closed = 0; call->cli_fd = c->fd[CLI];
    call->pp_in = c->pp_in; call->pp_unique_id = NULL; call->pp_unique_id_len = 0;
    call->client_timeout_ms = call->server_timeout_ms = 0;
    call->res_inspect = 0; call->tunnel_inspect = 0;
    call->capture_max = 0;
    w->e->cfg.cb.on_response(w->e->cfg.cb.ctx, call);
    if (call->verdict == RP_NEED_MORE && call->body_wait) {
        /* http-response wait-for-body: keep reading into the buffer, nothing goes to the
           client; the first wait sets the deadline (a 504, logged sR as HAProxy does) */
        if (call->head_too_big || c->rbody_eof) { send_page(w, c, 502, 'P', 'H'); return; }
        c->rbody_wait = 1;
        if (!c->rbody_dl) {
            c->rbody_dl = w->now + (call->inspect_ms ? call->inspect_ms : 1);
            if (!c->sdl || c->sdl > c->rbody_dl) c->sdl = c->rbody_dl;
            tw_schedule(w, c);
        }
        srecv_arm(w, c);
        return;
    }
    if (call->verdict == RP_NEED_MORE) {
        if (call->head_too_big || c->rbody_wait) { send_page(w, c, 502, 'P', 'H'); return; }
        srecv_arm(w, c);
        return;
    }
    if (call->verdict == RP_DROP || call->verdict == RP_DROP_QUIET) {
        /* tcp-response content reject: both connections closed, nothing sent (PD, no Tr,
           status -1 as HAProxy) */
        c->term0 = 'P'; c->term1 = 'D';
        c->server_reuse = 0; c->server_close = 1;
        if (call->verdict == RP_DROP_QUIET) c->logged = 1;
        conn_close(w, c);
        return;
    }
    if (call->verdict == RP_RESPOND) {   /* invalid response: 502, the client kept as HAProxy keeps it */
        c->term0 = 'P'; c->term1 = 'H';
        c->server_reuse = 0; c->server_close = 1;
        if (c->fd[SRV] >= 0) shutdown(c->fd[SRV], SHUT_RDWR);
        int close_after = call->close_after || !client_may_stay(w, c);
        send_local(w, c, call->resp, call->resp_len, call->status_hint ? call->status_hint : 502, close_after);
        return;
    }
    RP_ASSERT(!rs->send);
    int n = iov_from_call(call, rs->buf, rs->fill, rs->ins, rs->iov);
    if (n < 0) { send_page(w, c, 502, 'P', 'H'); return; }
    uint32_t off = call->head_len;
    RP_ASSERT(off <= rs->fill);
    if (call->verdict == RP_INTERIM) {
        /* a 1xx head: copy it (it is small), forward it, then parse what follows as a head */
        size_t used = 0;
        for (int i = 0; i < call->iovcnt; i++) {
            if (used + call->iov[i].iov_len > INSZ) { send_page(w, c, 502, 'P', 'H'); return; }
            memcpy(rs->ins + used, call->iov[i].iov_base, call->iov[i].iov_len);
            used += call->iov[i].iov_len;
        }
        if (!c->t.resp) c->t.resp = w->now;
        memmove(rs->buf, rs->buf + off, rs->fill - off);
        rs->fill -= off;
        rs->iov[0].iov_base = rs->ins; rs->iov[0].iov_len = used; rs->iovcnt = 1;
        rs->phase = PH_HEAD;
        half_send(w, c, RESP);
        return;
    }
    rs->body = call->body; rs->remain = call->body_len; rp_chunk_init(&rs->chunk); rs->body_done = 0;
    int err = 0;
    size_t used = half_body_take(rs, rs->buf + off, rs->fill - off, &err);
    /* the body's framing breaks before the head has gone: an invalid response, 502 (HAProxy:
       PH, Tr not set); once the head is out, a break cuts both connections (SD) */
    if (err) { c->server_reuse = 0; send_page(w, c, 502, 'P', 'H'); return; }
    if (!c->t.resp) c->t.resp = w->now;
    if (call->capture_max && !call->tunnel) { capture_begin(c, call->capture_max); capture_add(c, rs->buf + off, used); }
    c->status = call->status_hint;
    if (call->close_after) c->close_after = 1;
    if (!call->server_reuse) c->server_reuse = 0;
    if (used) { rs->iov[n].iov_base = rs->buf + off; rs->iov[n].iov_len = used; n++; }
    if (off + used < rs->fill) c->server_close = 1;           /* bytes after the response: don't reuse */
    rs->iovcnt = n;
    rs->phase = rs->body_done ? PH_DONE : PH_BODY;
    rs->fill = 0;
    c->sdl = 0;
    c->cdl = c->client_to ? w->now + c->client_to : 0;
    tw_schedule(w, c);
    if (call->tunnel && rs->body == RP_BODY_CLOSE) {
        if (call->client_timeout_ms) c->client_to = call->client_timeout_ms;     /* timeout tunnel */
        if (call->server_timeout_ms) c->server_to = call->server_timeout_ms;
        tunnel_upgrade(w, c);
    }
    half_send(w, c, RESP);
}

/* ---------- the exchange ends ---------- */

/* The next request on a kept client connection. */
static void exchange_next(worker *w, conn *c) {
    c->req_index++;
    c->server = -1;
    request_begin(w, c);
}

void exchange_done(worker *w, conn *c) {
    if (c->state != C_ACTIVE) return;
    const half *rq = &c->h[REQ], *rs = &c->h[RESP];
    int sfd = c->fd[SRV];
    int sops = server_ops(c);
    int reuse = c->server_reuse && !c->server_close && rs->body_done && rq->phase == PH_DONE && sfd >= 0
                && rs->fill == 0 && !sops;
    log_done(w, c);
    capture_end(c);
    srv_release(w, c);
    /* a soft stop closes only what the response announced (response_head) or what is idle */
    int keep = !c->close_after && rq->phase == PH_DONE && (!c->cli_eof || request_bytes_left(w, c));
    if (sfd >= 0) {
        if (reuse && reuse_keep(w, c, sfd)) { c->fd[SRV] = -1; COUNT(w, pool_puts); }
        else if (!sops) { close(sfd); c->fd[SRV] = -1; }
        else {
            /* an op is still on the server socket (an error page cut the exchange): the
               shutdown ends it; the next request waits for its completion (server_drained),
               so that it cannot be taken for one of the next exchange's */
            shutdown(sfd, SHUT_RDWR);
            if (c->pu.pollin || c->pu.pollout || c->sconn) cancel_fd(w, sfd);
            if (!keep) { conn_close(w, c); return; }
            c->srv_draining = 1;
            return;
        }
    }
    if (!keep) { conn_close(w, c); return; }
    exchange_next(w, c);
}

void server_drained(worker *w, conn *c) {
    RP_ASSERT(c->srv_draining && !server_ops(c));
    c->srv_draining = 0;
    if (c->fd[SRV] >= 0) { close(c->fd[SRV]); c->fd[SRV] = -1; }
    if (c->cli_eof && !request_bytes_left(w, c)) { conn_close(w, c); return; }
    exchange_next(w, c);
}

/* ---------- completions ---------- */

static void on_response_recv_end(worker *w, conn *c, int res) {
    half *rs = &c->h[RESP];
    if (res == -EINTR || res == -EAGAIN) { srecv_arm(w, c); return; }
    if (c->tunnel && rs->phase == PH_BODY) { tunnel_server_eof(w, c, res); return; }
    if (rs->phase == PH_HEAD && c->rbody_wait && !c->rbody_eof) {
        /* the server ended while its body was awaited: the rules decide with what is here */
        c->rbody_eof = 1; c->server_close = 1;
        response_head(w, c);
        return;
    }
    if (rs->phase == PH_HEAD) {
        if (server_replay(w, c)) return;
        if (c->status < 0 && !rs->send) { send_page(w, c, 502, 'S', 'H'); return; }
        conn_close(w, c); return;
    }
    if (rs->phase == PH_BODY && rs->body == RP_BODY_CLOSE) {
        rs->body_done = 1; c->server_close = 1; c->close_after = 1;
        if (!rs->send) exchange_done(w, c);
        return;
    }
    if (rs->phase == PH_BODY) { c->term0 = 'S'; c->term1 = 'D'; conn_close(w, c); return; }
    c->server_close = 1;    /* idle server closed: fine */
}

/* Bytes (or the end) from the server. */
void on_response_recv(worker *w, conn *c, int res) {
    half *rs = &c->h[RESP];
    if (c->socks) { socks4_received(w, c, res); return; }
    if (c->res_inspect) { tunnel_inspect_recv(w, c, res); return; }   /* mode tcp: bytes held */
    if (res <= 0) { on_response_recv_end(w, c, res); return; }
    /* the server answered after all (bytes it sent before it closed): the request reached it,
       so it must not be replayed when the send completes */
    c->replay_wait = 0;
    rs->fill += (uint32_t)res;
    RP_ASSERT(rs->fill <= RSBUFSZ);
    if (rs->phase == PH_HEAD) { response_head(w, c); return; }
    if (rs->phase == PH_BODY) {
        RP_ASSERT(!rs->send);
        int err = 0;
        size_t used = half_body_take(rs, rs->buf, rs->fill, &err);
        if (err) { c->term0 = 'S'; c->term1 = 'D'; conn_close(w, c); return; }
        if (used < rs->fill) c->server_close = 1;
        if (c->cap) capture_add(c, rs->buf, used);
        if (rs->body_done) rs->phase = PH_DONE;
        rs->iov[0].iov_base = rs->buf; rs->iov[0].iov_len = used; rs->iovcnt = used ? 1 : 0;
        rs->fill = 0;
        c->cdl = c->client_to ? w->now + c->client_to : 0;
        tw_schedule(w, c);
        if (c->tunnel) tunnel_touch(w, c);
        if (rs->iovcnt) half_send(w, c, RESP);
        else if (rs->body_done) exchange_done(w, c);
        return;
    }
    /* unexpected bytes from the server after the response */
    c->server_close = 1; rs->fill = 0;
}

/* Part of the response (or a local answer) went to the client. */
void on_response_sent(worker *w, conn *c, int res) {
    half *rs = &c->h[RESP];
    if (res < 0) {
        if (c->term0 == '-') { c->term0 = 'C'; c->term1 = 'D'; }   /* an error page keeps its cause */
        conn_close(w, c); return;
    }
    if (!c->quiet_out) { c->bytes_out += (uint64_t)res; contstats_tick(w, c); }
    rs->iovcnt = iov_advance(rs->iov, rs->iovcnt, (size_t)res);
    if (rs->iovcnt > 0) { half_send(w, c, RESP); return; }
    if (c->local) {
        free(c->local); c->local = NULL;
        if (c->local_then_close) { conn_close(w, c); return; }
        req_phase(c, PH_DONE);
        rs->body_done = 1;
        exchange_done(w, c);
        return;
    }
    if (rs->phase == PH_HEAD) {                                   /* after a 1xx */
        if (rs->fill > 0) response_head(w, c); else srecv_arm(w, c);
        return;
    }
    if (rs->body_done) { exchange_done(w, c); return; }
    int splice_th = w->e->cfg.splice_threshold;
    if (splice_th > 0 && (c->splice_bits & RP_SPLICE_RESPONSE)) splice_th = 1;   /* option splice-response */
    if (c->cap) splice_th = 0;                                     /* a body being copied is not spliced */
    if (rs->body == RP_BODY_LENGTH && splice_th > 0 && rs->remain >= splice_th) {
        if (pump_start(w, c, RESP, rs->remain) == 0) return;
    } else if (rs->body == RP_BODY_CLOSE && (c->splice_bits & RP_SPLICE_RESPONSE) && !c->tunnel && !c->cap) {
        /* a response delimited by the server's close: spliced until its end of stream */
        if (pump_start(w, c, RESP, -1) == 0) return;
    }
    if (c->tunnel) {
        if (c->rinspect_kill) { conn_close(w, c); return; }   /* tcp-response `close`: all went */
        tunnel_touch(w, c); srecv_arm(w, c); return;
    }
    c->sdl = c->server_to ? w->now + c->server_to : 0;
    c->cdl = 0;
    tw_schedule(w, c);
    srecv_arm(w, c);
}
