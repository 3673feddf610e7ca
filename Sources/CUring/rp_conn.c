// Connection slots: allocation, close (both sides) and release once the last operation in
// flight has completed; the end-of-exchange report to Swift; local answers.
#include "rp_internal.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define SLOT_PAGE 4096
#define SLOT_TRIM_MIN 256      /* freed slots worth a trim while connections are open */

/* The slot table is mapped, not malloc'ed, so that its pages can be given back (conn_trim). A
   free slot holds nothing that must survive that: free slots are found through a stack of
   indexes, and a free slot has no operation in flight, so its generation may restart. */
int conns_init(worker *w) {
    w->conns_bytes = (size_t)w->nconns * sizeof(conn);
    void *p = mmap(NULL, w->conns_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { w->conns = NULL; return -ENOMEM; }
    w->conns = p;
    w->free_slots = calloc((size_t)w->nconns, sizeof *w->free_slots);
    w->slot_page_used = calloc(w->conns_bytes / SLOT_PAGE + 1, 1);
    if (!w->free_slots || !w->slot_page_used) return -ENOMEM;
    for (int k = 0; k < w->nconns; k++) w->free_slots[k] = (uint32_t)(w->nconns - 1 - k);   /* slot 0 on top */
    w->nfree = w->nconns;
    return 0;
}

/* Once a second, after many slots were freed (or any, once no connection is left): the pages of
   the slot table written since the last trim that now hold only free slots go back to the
   system, a run of pages at a time. Counting freed slots, not open connections, matters: a
   closed connection keeps its slot until its last cancelled operation completes, so a trim that
   ran in between must be followed by another once those slots are free. */
void conn_trim(worker *w) {
    if (w->freed_since_trim == 0) return;
    if (w->freed_since_trim < SLOT_TRIM_MIN && w->active > 0) return;
    w->freed_since_trim = 0;
    const size_t sz = sizeof(conn), npages = w->conns_bytes / SLOT_PAGE;
    uint8_t *base = (uint8_t *)w->conns;
    size_t run = 0;                                  /* pages in the current run of free ones */
    for (size_t p = 0; p <= npages; p++) {
        int trim = 0;
        if (p < npages && w->slot_page_used[p]) {
            size_t first = p * SLOT_PAGE / sz, last = ((p + 1) * SLOT_PAGE - 1) / sz;
            trim = 1;
            for (size_t i = first; i <= last && i < (size_t)w->nconns; i++)
                if (w->conns[i].state != C_FREE) { trim = 0; break; }
        }
        if (trim) { w->slot_page_used[p] = 0; run++; continue; }
        if (run) madvise(base + (p - run) * SLOT_PAGE, run * SLOT_PAGE, MADV_DONTNEED);
        run = 0;
    }
}

conn *conn_alloc(worker *w) {
    if (w->nfree == 0) return NULL;
    uint32_t slot = w->free_slots[--w->nfree];
    conn *c = &w->conns[slot];
    RP_ASSERT(c->state == C_FREE && c->inflight == 0 && !c->xb);
    w->slot_page_used[(size_t)slot * sizeof(conn) / SLOT_PAGE] = 1;
    w->slot_page_used[((size_t)slot * sizeof(conn) + sizeof(conn) - 1) / SLOT_PAGE] = 1;
    uint32_t gen = c->gen + 1;
    memset(c, 0, sizeof *c);
    c->gen = gen;
    c->state = C_ACTIVE;
    c->fd[CLI] = c->fd[SRV] = -1; c->server = -1;
    c->own_fd = c->own_server = -1;
    c->pu.pipe[0] = c->pu.pipe[1] = -1;
    c->ms.pend = c->ms.inl; c->ms.pcap = PEND_INLINE;
    c->status = -1;
    c->term0 = '-'; c->term1 = '-';
    return c;
}

static void conn_free(worker *w, conn *c) {
    RP_ASSERT(c->state == C_CLOSING && c->inflight == 0 && conn_ops(c) == 0);
    if (w->use_ms) ms_release(w, c);
    xb_detach(w, c);
    if (c->fd[CLI] >= 0) close(c->fd[CLI]);
    if (c->fd[SRV] >= 0) close(c->fd[SRV]);
    if (c->own_fd >= 0) { close(c->own_fd); c->own_fd = -1; }
    pipe_release(w, &c->pu);
    free(c->local); c->local = NULL;
    capture_end(c);
    free(c->pp_dst); c->pp_dst = NULL;
    free(c->dst_out); c->dst_out = NULL;
    free(c->pp_in); c->pp_in = NULL;
    free(c->pp_out); c->pp_out = NULL;
    tw_unlink(w, c);
    c->state = C_FREE;
    c->gen++;
    w->freed_since_trim++;
    RP_ASSERT(w->nfree < w->nconns);
    w->free_slots[w->nfree++] = conn_slot(w, c);
}

/* Bytes after the current request were received (a pipelined request, whole or not): they
   are served even when the client has half-closed since, as HAProxy does. */
int request_bytes_left(const worker *w, const conn *c) {
    return c->rkeep < c->h[REQ].fill || (w->use_ms && PENDING(c) > 0);
}

/* Bytes of the client's that no receive has taken yet: its multishot receive waits for
   provided buffers (ENOBUFS, under load), or the completion that carries them is still to be
   reaped. Such a client has sent its next request: it is not idle. */
int client_bytes_waiting(const conn *c) {
    char b;
    return c->fd[CLI] >= 0 && recv(c->fd[CLI], &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

int conn_idle(const worker *w, const conn *c) {
    const half *rq = &c->h[REQ];
    return c->req_index > 0 && rq->phase == PH_HEAD && rq->fill == 0
        && (!w->use_ms || (PENDING(c) == 0 && !c->ms.term)) && !client_bytes_waiting(c);
}

void conn_op_done(worker *w, conn *c) {
    RP_ASSERT(c->inflight >= 0 && c->inflight == conn_ops(c));
    if (c->state == C_CLOSING && c->inflight == 0) conn_free(w, c);
}

static void conn_closed_count(worker *w, conn *c) {
    w->active--;
    atomic_fetch_sub(&w->e->active, 1);
    const rp_callbacks *cb = &w->e->cfg.cb;
    if (cb->on_connection) cb->on_connection(cb->ctx, w->id, c->frontend, c->listener, 0);
    if (c->listener >= 0) {
        w->lactive[c->listener]--;
        accept_resume(w, c->listener);
    }
}

/* Closes both sides; the slot is freed when the last operation in flight has completed. */
void conn_close(worker *w, conn *c) {
    if (c->state != C_ACTIVE) return;
    log_done(w, c);
    COUNT(w, closes);
    if (c->h[REQ].phase == PH_QUEUED) queue_remove(w, c);
    srv_release(w, c);
    c->state = C_CLOSING;
    conn_closed_count(w, c);
    c->cdl = c->sdl = 0;
    tw_unlink(w, c);
    if (c->fd[CLI] >= 0) shutdown(c->fd[CLI], SHUT_RDWR);
    if (c->fd[SRV] >= 0) shutdown(c->fd[SRV], SHUT_RDWR);
    if (c->sconn || c->pu.pollin || c->pu.pollout) {
        /* a connect or poll does not end on shutdown: cancel it */
        if (c->fd[SRV] >= 0) cancel_fd(w, c->fd[SRV]);
        if (c->fd[CLI] >= 0 && c->pu.pollout) cancel_fd(w, c->fd[CLI]);
    }
    if (c->inflight == 0) conn_free(w, c);
}

/* ---------- the end-of-exchange report ---------- */

void log_done(worker *w, conn *c) {
    if (c->logged) return;
    c->logged = 1;
    const half *rq = &c->h[REQ];
    /* idle keep-alive (not a later request a rule dropped once its head was read: t.head) */
    if (rq->phase == PH_HEAD && rq->fill == 0 && c->req_index > 0 && c->status < 0 && !c->t.head) return;
    rp_done_info d;
    memset(&d, 0, sizeof d);
    d.worker = w->id; d.slot = conn_slot(w, c); d.frontend = c->frontend; d.listener = c->listener;
    d.server = c->server; d.status = c->status;
    d.bytes_in = c->bytes_in; d.bytes_out = c->bytes_out;
    d.bytes_in_reported = c->rep_in; d.bytes_out_reported = c->rep_out;
    int64_t end = w->now;
    d.t_accept_us = c->t.accept_rt ? c->t.accept_rt : rp_realtime_us() - (end - c->t.start) * 1000;
    d.tq = c->t.head ? (int32_t)(c->t.head - c->t.start) : -1;
    /* Tw is the time in queues (HAProxy 2.6: retry pauses are not part of it), also for a
       request that never left its queue (aborted or timed out there) */
    int64_t qend = c->t.conn_first ? c->t.conn_first : c->was_queued ? (c->h[REQ].phase == PH_QUEUED ? end : c->q_end) : 0;
    d.tw = (qend && c->t.head) ? (int32_t)(qend - c->t.head) : -1;
    d.unassigned = c->was_queued && !c->direct && !c->t.conn_first;
    d.tc = (c->t.connected && c->t.conn_start) ? (int32_t)(c->t.connected - c->t.conn_start) : -1;
    d.tr = (c->t.resp && c->t.connected) ? (int32_t)(c->t.resp - c->t.connected) : -1;
    d.tt = (int32_t)(end - c->t.start);
    d.retries = c->retries_done; d.redispatched = c->redispatched;
    d.term[0] = c->term0; d.term[1] = c->term1;
    d.local_answer = c->server < 0;
    d.client = &c->caddr;
    d.request_index = c->req_index;
    d.cli_fd = c->fd[CLI];
    d.spliced_req = c->spliced[REQ]; d.spliced_resp = c->spliced[RESP];
    d.capture = NULL; d.capture_len = 0;
    if (c->cap && c->h[RESP].body_done) capture_result(c, &d.capture, &d.capture_len);
    if (w->e->cfg.cb.on_done) w->e->cfg.cb.on_done(w->e->cfg.cb.ctx, &d);
}

/* ---------- local answers ---------- */

/* Sends a local answer (error page, stats...) to the client; closes afterwards if asked. */
void send_local(worker *w, conn *c, const uint8_t *p, uint32_t len, int status, int then_close) {
    half *rs = &c->h[RESP];
    RP_ASSERT(!rs->send);
    if (xb_attach(w, c) < 0) { conn_close(w, c); return; }   /* a timeout on an idle connection */
    free(c->local);
    c->local = malloc(len ? len : 1);
    if (!c->local) { conn_close(w, c); return; }
    memcpy(c->local, p, len);
    rs->iov[0].iov_base = c->local; rs->iov[0].iov_len = len; rs->iovcnt = 1;
    c->local_then_close = then_close;
    c->status = status;
    rs->phase = PH_DONE;
    c->sdl = 0;
    c->cdl = w->now + (c->client_to ? c->client_to : 30000);
    tw_schedule(w, c);
    half_send(w, c, RESP);
}

/* After a server-side error page (502/503/504) the client connection stays open, as HAProxy
   keeps it, when the client keeps alive and its whole request was read. */
int client_may_stay(const worker *w, const conn *c) {
    return !c->close_after && !c->cli_eof && !w->stopping && c->h[REQ].body_done;
}

void send_page(worker *w, conn *c, int code, char t0, char t1) {
    if (c->tunnel) { tunnel_fail(w, c, t0, t1); return; }   /* mode tcp: no HTTP page */
    int k;
    switch (code) {
    case 400: k = RP_PAGE_400; break;
    case 408: k = RP_PAGE_408; break;
    case 502: k = RP_PAGE_502; break;
    case 503: k = RP_PAGE_503; break;
    default: k = RP_PAGE_504; break;
    }
    const rp_page_bytes *pg = &w->e->cfg.pages[k];
    int stay = code >= 500 && pg->keep && client_may_stay(w, c);
    const uint8_t *p = stay ? pg->keep : pg->close;
    uint32_t n = stay ? pg->keep_len : pg->close_len;
    c->term0 = t0; c->term1 = t1;
    if (!p || c->h[RESP].send) { c->status = code; conn_close(w, c); return; }
    /* the server side is of no more use (exchange_done closes it once its ops are over) */
    int sfd = c->fd[SRV];
    if (sfd >= 0 && !server_ops(c)) { close(sfd); c->fd[SRV] = -1; }
    else if (sfd >= 0) shutdown(sfd, SHUT_RDWR);
    c->server_reuse = 0;
    c->server_close = 1;
    send_local(w, c, p, n, code, !stay);
}
