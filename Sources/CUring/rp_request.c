// The request half: a request head is gathered and handed to Swift, then the head and the body
// go to the server; the client's end of stream.
#include "rp_internal.h"
#include <errno.h>
#include <stddef.h>
#include <string.h>

/* Allowed request phase transitions (bit i of allowed[to]: from phase i). */
#define B(p) (1u << (p))
static const unsigned req_allowed[] = {
    [PH_IDLE] = 0,
    [PH_HEAD] = B(PH_IDLE) | B(PH_DONE),
    [PH_QUEUED] = B(PH_CONNECT),
    [PH_CONNECT] = B(PH_HEAD) | B(PH_QUEUED) | B(PH_WAIT_RETRY) | B(PH_CONNECT) | B(PH_BODY) | B(PH_DONE),
    [PH_WAIT_RETRY] = B(PH_CONNECT),
    [PH_BODY] = B(PH_CONNECT) | B(PH_BODY) | B(PH_DONE),       /* DONE: a 101 made it a tunnel */
    [PH_DONE] = B(PH_HEAD) | B(PH_QUEUED) | B(PH_CONNECT) | B(PH_WAIT_RETRY) | B(PH_BODY) | B(PH_DONE),
};
#undef B

void req_phase(conn *c, int to) {
    RP_ASSERT(req_allowed[to] & (1u << c->h[REQ].phase));
    (void)req_allowed;
    c->h[REQ].phase = to;
}

/* The head's deadline once its first byte is in (HAProxy's timers count from there, and so do
   TR and Ta): `timeout http-request` for the whole head, else `timeout client` as an
   inactivity timeout, pushed back by every byte (head_more). */
static void head_started(worker *w, conn *c) {
    const rp_listener_cfg *l = &w->e->listeners[c->listener];
    c->head_begun = 1;
    c->t.start = w->now; c->t.accept_rt = 0;           /* the date is taken when logging */
    uint32_t t = l->http_request_timeout_ms ? l->http_request_timeout_ms : c->client_to;
    c->cdl = t ? w->now + t : 0;
    tw_schedule(w, c);
}

static void head_more(worker *w, conn *c) {
    if (w->e->listeners[c->listener].http_request_timeout_ms || !c->client_to) return;
    c->cdl = w->now + c->client_to;                    /* a later deadline: the wheel re-files lazily */
}

/* A new request may start: parse what is kept in the buffer, or wait for bytes. */
void request_begin(worker *w, conn *c) {
    half *rq = &c->h[REQ];
    req_phase(c, PH_HEAD);
    c->h[RESP].phase = PH_IDLE;
    memset(&c->t, 0, sizeof c->t);
    c->status = -1; c->bytes_in = c->bytes_out = 0; c->rep_in = c->rep_out = 0; c->spliced[REQ] = c->spliced[RESP] = 0; c->quiet_out = 0; c->term0 = c->term1 = '-';
    c->retries_done = 0; c->redispatched = 0; c->logged = 0;
    c->was_queued = 0; c->direct = 0; c->q_end = 0;
    c->server_reuse = 0; c->server_close = 0;
    /* a replay that was waiting when its exchange ended otherwise (a 504, a page) is over:
       left set, the next request's first send completion would be taken for the dead
       connection's and answered 502 or sent twice */
    c->replay_wait = 0;
    c->sdl = 0;
    c->t.start = w->now;
    c->t.accept_rt = 0;
    c->head_begun = 0; c->body_wait = 0; c->cto_runs = 0;
    c->rbody_wait = 0; c->rbody_eof = 0; c->rbody_dl = 0; c->socks = 0;
    if (c->rkeep < rq->fill) {
        memmove(rq->buf, rq->buf + c->rkeep, rq->fill - c->rkeep);
        rq->fill -= c->rkeep; c->rkeep = 0;
        head_started(w, c);
        request_head(w, c);
    } else {
        /* waiting for the first byte: `timeout http-keep-alive` between requests, else
           `timeout http-request`, else `timeout client` */
        rq->fill = 0; c->rkeep = 0;
        if (tunnel_begin(w, c)) return;           /* mode tcp: no byte to wait for */
        c->h[RESP].fill = 0;
        if (w->use_ms) xb_detach(w, c);          /* idle until the next request: no buffers */
        const rp_listener_cfg *l = &w->e->listeners[c->listener];
        uint32_t hr = l->http_request_timeout_ms ? l->http_request_timeout_ms : c->client_to;
        uint32_t t = c->req_index ? (l->keepalive_timeout_ms ? l->keepalive_timeout_ms : hr) : hr;
        c->cdl = t ? w->now + t : 0;
        if (w->stopping && c->req_index > 0 && (!c->cdl || c->cdl > w->now + SOFT_IDLE_MS))
            c->cdl = w->now + SOFT_IDLE_MS;       /* soft stop: closed once idle (worker_soft_stop) */
        tw_schedule(w, c);
        crecv_arm_opt(w, c, c->req_index > 0);   /* keep-alive: the next request comes later */
    }
}

/* Sends the request head (and any body bytes already here) to the server. */
void request_send_head(worker *w, conn *c) {
    if (c->tunnel) { tunnel_start(w, c); return; }
    c->t.connected = c->t.connected ? c->t.connected : w->now;
    req_phase(c, c->h[REQ].body_done ? PH_DONE : PH_BODY);
    c->h[RESP].phase = PH_HEAD; c->h[RESP].fill = 0;
    c->sdl = c->server_to ? w->now + c->server_to : 0;
    tw_schedule(w, c);
    srecv_arm_opt(w, c, 1);                      /* the server has not seen the request yet */
    if (w->e->servers[c->server].send_proxy && !c->pooled_server) pp_prepend(w, c);
    half_send(w, c, REQ);
}

void request_head(worker *w, conn *c) {
    half *rq = &c->h[REQ];
    if (c->pp_wait && !pp_receive(w, c)) return;        /* accept-proxy: the header first */
    rp_head_call *call = &w->call;
    memset(call, 0, offsetof(rp_head_call, iov));
    call->worker = w->id; call->slot = conn_slot(w, c);
    call->frontend = c->frontend; call->listener = c->listener; call->buf = rq->buf; call->len = rq->fill;
    call->client = &c->caddr; call->request_index = c->req_index; call->server = -1;
    call->head_too_big = rq->fill >= BUFSZ;
    call->inspect_again = c->inspect_dl != 0; call->inspect_final = c->inspect_final || call->head_too_big;
    call->verdict = RP_NEED_MORE; call->iovcnt = 0; call->resp = NULL; call->resp_len = 0;
    call->server_out = -1; call->close_after = 0; call->server_reuse = 0; call->status_hint = 0;
    call->connect_timeout_ms = call->server_timeout_ms = call->client_timeout_ms = 0;
    call->direct = 0;
    call->lb_assigned = 0; call->client_fin_timeout_ms = 0; call->server_fin_timeout_ms = 0; call->splice = 0; call->tunnel = 0;
    call->body_wait = 0; call->client_closed = c->cli_eof && c->body_wait; call->cli_fd = c->fd[CLI];
    call->server_closed = 0;
    call->client_timeout_runs = 0;
    call->reuse = RP_REUSE_ANY;
    call->pp_in = c->pp_in; call->pp_unique_id = NULL; call->pp_unique_id_len = 0;
    call->pp_dst = c->pp_dst; call->pp_addrs = NULL;
    call->transparent = 0; call->server_addr = NULL;
    call->res_inspect = 0; call->tunnel_inspect = 0;
    w->e->cfg.cb.on_request(w->e->cfg.cb.ctx, call);
    if (call->client_timeout_ms) c->client_to = call->client_timeout_ms;

    if (call->client_closed && call->verdict != RP_RESPOND) {
        /* gone while its body was awaited: HAProxy has run the rules and aborts before any
           server is assigned, with no answer (CR, status -1) */
        c->t.head = w->now;
        c->term0 = 'C'; c->term1 = 'R'; c->status = -1;
        conn_close(w, c);
        return;
    }
    if (call->verdict == RP_DROP || call->verdict == RP_DROP_QUIET) {   /* tcp-request reject */
        c->t.head = w->now;
        c->term0 = 'P'; c->term1 = 'R'; c->status = -1;
        if (call->verdict == RP_DROP_QUIET) c->logged = 1;
        conn_close(w, c);
        return;
    }
    if (call->verdict == RP_NEED_MORE && w->e->listeners[c->listener].tcp_mode && c->req_index == 0 && !c->inspect_final) {
        /* tcp-request content rules wait for bytes, within inspect-delay */
        if (!c->inspect_dl) {
            c->inspect_dl = w->now + (call->inspect_ms ? call->inspect_ms : 1);
            c->cdl = c->inspect_dl;
            tw_schedule(w, c);
        }
        crecv_arm(w, c);
        return;
    }
    if (call->verdict == RP_NEED_MORE) {
        c->body_wait = call->body_wait != 0;
        if (c->body_wait && call->inspect_ms) {
            /* `wait-for-body time T`: 408 once T has passed since the head began */
            c->cdl = c->t.start + call->inspect_ms;
            tw_schedule(w, c);
        }
        if (call->head_too_big) { send_page(w, c, 400, 'P', 'R'); return; }
        crecv_arm(w, c);
        return;
    }
    c->t.head = w->now;
    c->close_after = call->close_after;
    if (call->verdict == RP_RESPOND) {
        c->rkeep = call->head_len ? call->head_len : rq->fill;
        if (call->body != RP_BODY_NONE) c->close_after = 1;   /* unread body: don't reuse */
        int err = call->status_hint >= 400 && call->status_hint != 401;
        c->term0 = err ? 'P' : '-';
        c->term1 = err ? 'R' : '-';
        if (call->status_hint == 503) { c->term0 = 'S'; c->term1 = 'C'; }
        c->cdl = 0;
        send_local(w, c, call->resp, call->resp_len, call->status_hint, c->close_after);
        return;
    }
    /* RP_FORWARD */
    c->server = call->server_out;
    c->connect_to = call->connect_timeout_ms ? call->connect_timeout_ms : 5000;
    c->queue_to = call->queue_timeout_ms;
    c->server_to = call->server_timeout_ms;
    c->retries_left = call->retries;
    c->redispatch = call->redispatch;
    c->abort_on_close = call->abort_on_close;
    c->server_reuse = call->server_reuse;
    c->direct = call->direct != 0;
    c->lb_assigned = (uint8_t)call->lb_assigned; c->qfull_moved = 0;
    c->client_fin_to = call->client_fin_timeout_ms;
    c->server_fin_to = call->server_fin_timeout_ms;
    c->splice_bits = (uint8_t)call->splice;
    c->tunnel = (uint8_t)(call->tunnel != 0);
    c->res_inspect = (uint8_t)(c->tunnel && call->res_inspect);
    c->reuse = (uint8_t)call->reuse;
    if (call->pp_unique_id) pp_keep_unique_id(c, call->pp_unique_id, call->pp_unique_id_len);
    if (call->pp_addrs || c->pp_out) pp_keep_addrs(c, call->pp_addrs);
    if (call->transparent || c->dst_out) transparent_target(c, call->transparent ? call->server_addr : NULL, call->transparent);
    rq->body = call->body; rq->remain = call->body_len; rp_chunk_init(&rq->chunk); rq->body_done = 0;
    int n = iov_from_call(call, rq->buf, rq->fill, rq->ins, rq->iov);
    if (n < 0) { send_page(w, c, 400, 'P', 'R'); return; }
    uint32_t off = call->head_len;
    RP_ASSERT(off <= rq->fill);
    int err = 0;
    size_t used = half_body_take(rq, rq->buf + off, rq->fill - off, &err);
    if (err) { send_page(w, c, 400, 'P', 'R'); return; }
    if (used) { rq->iov[n].iov_base = rq->buf + off; rq->iov[n].iov_len = used; n++; }
    rq->iovcnt = n;
    c->replayable = rq->body_done;
    memcpy(c->iov0, rq->iov, (size_t)n * sizeof *rq->iov); c->iovcnt0 = n;
    c->rkeep = rq->body_done ? off + (uint32_t)used : rq->fill;
    c->cto_runs = call->client_timeout_runs != 0;
    c->cdl = c->cto_runs && c->client_to ? w->now + c->client_to : 0;
    req_phase(c, PH_CONNECT);
    connect_start(w, c);
}

/* ---------- client bytes and client end of stream (both receive modes) ---------- */

/* The client will send nothing more (EOF, or an error when res < 0). An incomplete head is a
   bad request (HAProxy answers 400 to a half-closed client and logs CR); an incomplete body ends
   the exchange at once, both sides (CD); a complete request still gets its response. */
void client_eof(worker *w, conn *c, int res) {
    (void)res;
    half *rq = &c->h[REQ];
    c->cli_eof = 1;
    if (c->pp_wait) { pp_abort(w, c); return; }        /* gone before its PROXY header */
    if (c->tunnel) { tunnel_client_eof(w, c, res); return; }
    if (c->inspect_dl && rq->phase == PH_HEAD) {         /* mode tcp: the rules decide on what came */
        if (res < 0) { c->term0 = 'C'; c->term1 = 'R'; c->status = -1; conn_close(w, c); return; }
        c->inspect_final = 1; request_head(w, c); return;
    }
    int ph = rq->phase;
    if (ph == PH_HEAD) {
        if (c->body_wait) { request_head(w, c); return; }            /* decide with what is here */
        if (rq->fill > 0 || c->req_index == 0) {
            c->quiet_out = 1;               /* HAProxy logs 0 bytes for this page */
            send_page(w, c, 400, 'C', 'R'); return;
        }
        conn_close(w, c); return;                                   /* idle keep-alive: done */
    }
    int waiting = ph == PH_CONNECT || ph == PH_WAIT_RETRY || ph == PH_QUEUED;
    if (ph == PH_BODY || (waiting && !rq->body_done)) {
        c->term0 = 'C'; c->term1 = 'D'; c->status = -1; conn_close(w, c); return;
    }
    if (waiting && c->abort_on_close) {
        c->term0 = 'C'; c->term1 = ph == PH_QUEUED ? 'Q' : 'C'; conn_close(w, c); return;
    }
    if (ph == PH_DONE && c->abort_on_close && c->h[RESP].phase == PH_HEAD && !c->h[RESP].send && c->status < 0) {
        /* abortonclose while the response is awaited: HAProxy aborts (400, CH) */
        send_page(w, c, 400, 'C', 'H'); return;
    }
    /* a complete request from a half-closed client: finish the response, then close;
       `timeout client-fin` from now on */
    if (c->client_fin_to) {
        c->client_to = c->client_fin_to;
        if (c->cdl) { c->cdl = w->now + c->client_to; tw_schedule(w, c); }
    }
}

void client_data(worker *w, conn *c, uint32_t n) {
    half *rq = &c->h[REQ];
    rq->fill += n;
    RP_ASSERT(rq->fill <= BUFSZ);
    c->bytes_in += n;
    if (rq->phase == PH_HEAD) {
        if (c->inspect_dl) { request_head(w, c); return; }  /* mode tcp: its inspect deadline stays */
        if (!c->head_begun) head_started(w, c); else head_more(w, c);
        request_head(w, c);
        return;
    }
    if (rq->phase == PH_BODY) {
        RP_ASSERT(!rq->send);
        int err = 0;
        size_t used = half_body_take(rq, rq->buf, rq->fill, &err);
        if (err) {
            /* the body's framing broke after its head went to the server: with no response
               begun, HAProxy answers 400 and logs PH; otherwise both sides just close (CD) */
            if (c->h[RESP].phase == PH_HEAD && !c->h[RESP].send) { send_page(w, c, 400, 'P', 'H'); return; }
            c->term0 = 'C'; c->term1 = 'D'; conn_close(w, c); return;
        }
        c->rkeep = rq->body_done ? (uint32_t)used : rq->fill;
        rq->iov[0].iov_base = rq->buf; rq->iov[0].iov_len = used; rq->iovcnt = used ? 1 : 0;
        if (rq->iovcnt) half_send(w, c, REQ);
        else if (rq->body_done) req_phase(c, PH_DONE);
        else crecv_arm(w, c);
        return;
    }
    /* bytes while waiting (pipelined next request): keep them, read no more */
}

/* ---------- completions ---------- */

/* A single-shot receive on the client socket (the fallback without provided buffers). */
void on_client_recv_single(worker *w, conn *c, int res) {
    if (res <= 0) {
        if (res == -EINTR || res == -EAGAIN) { crecv_arm(w, c); return; }
        client_eof(w, c, res);
        return;
    }
    client_data(w, c, (uint32_t)res);
}

/* EOF (0) or an error while waiting for a server or its response: the client is gone (what
   that means is client_eof's); bytes: not yet. */
void on_client_peek(worker *w, conn *c, int res) {
    if (res <= 0 && res != -EINTR && c->abort_on_close) client_eof(w, c, res);
}

static void on_request_send_error(worker *w, conn *c) {
    if (server_replay(w, c)) return;
    if (c->h[RESP].phase == PH_HEAD && !c->h[RESP].send) send_page(w, c, 502, 'S', 'H');
    else { c->term0 = 'S'; c->term1 = 'D'; conn_close(w, c); }
}

/* Part of the request went to the server. */
void on_request_sent(worker *w, conn *c, int res) {
    half *rq = &c->h[REQ];
    if (c->socks) { socks4_sent(w, c, res); return; }
    /* the server closed the pooled connection while this send was in flight: even a send that
       went through must not go on (no response will come); replay on a fresh connection */
    if (c->replay_wait) { if (!server_replay(w, c)) send_page(w, c, 502, 'S', 'H'); return; }
    if (res < 0) { on_request_send_error(w, c); return; }
    rq->iovcnt = iov_advance(rq->iov, rq->iovcnt, (size_t)res);
    if (rq->iovcnt > 0) { half_send(w, c, REQ); return; }
    if (rq->body_done) { req_phase(c, PH_DONE); if (!c->cto_runs) c->cdl = 0; return; }
    /* more request body to come */
    req_phase(c, PH_BODY);
    int splice_th = w->e->cfg.splice_threshold;
    if (splice_th > 0 && (c->splice_bits & RP_SPLICE_REQUEST)) splice_th = 1;     /* option splice-request */
    if (rq->body == RP_BODY_LENGTH && splice_th > 0 && rq->remain >= splice_th) {
        if (!w->use_ms) {
            rq->fill = 0; c->rkeep = 0;
            if (pump_start(w, c, REQ, rq->remain) == 0) return;
        } else {
            /* With a multishot receive the next bytes may already sit in provided buffers,
               ahead of the socket: stop it, copy what it got, then splice the rest. */
            ms_stop_for_splice(w, c);
        }
    }
    rq->fill = 0; c->rkeep = 0;
    c->cdl = c->client_to ? w->now + c->client_to : 0;
    tw_schedule(w, c);
    if (c->tunnel) tunnel_touch(w, c);
    crecv_arm(w, c);
    ms_splice_try(w, c);
}
