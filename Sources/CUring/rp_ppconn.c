// The PROXY protocol on the engine's connections: the header a listener with accept-proxy
// expects before the first request (its source address becomes the connection's client
// address for everything Swift sees: balancing, ACLs, logs, X-Forwarded-For), and the header
// written first on each new connection to a server with send-proxy / send-proxy-v2 (in the
// same send as the request head). The formats are rp_proxyproto.c's.
#include "rp_internal.h"
#include "rp_proxyproto.h"
#include <stdlib.h>
#include <string.h>

/* A connection that never sent a valid header is closed as HAProxy closes it: no answer, and
   no request log line (there was no request). */
void pp_abort(worker *w, conn *c) {
    c->pp_wait = 0;
    c->logged = 1;
    conn_close(w, c);
}

/* The request half's bytes begin with the header: consume it. 1: the header is gone and the
   bytes after it (if any) are the request's; 0: the connection waits for bytes or was closed. */
int pp_receive(worker *w, conn *c) {
    half *rq = &c->h[REQ];
    struct sockaddr_storage src, dst;
    int has = 0;
    int n = rp_pp_parse(rq->buf, rq->fill, &src, &dst, &has);
    if (n == RP_PP_INVALID) { pp_abort(w, c); return 0; }
    if (n == RP_PP_MISSING) { crecv_arm(w, c); return 0; }
    RP_ASSERT((uint32_t)n <= rq->fill);
    c->pp_wait = 0;
    if (has) {
        c->caddr = src;
        if (!c->pp_dst) c->pp_dst = malloc(sizeof *c->pp_dst);
        if (c->pp_dst) *c->pp_dst = dst;
    }
    memmove(rq->buf, rq->buf + n, rq->fill - (uint32_t)n);
    rq->fill -= (uint32_t)n;
    c->bytes_in -= (uint64_t)n;                  /* HAProxy counts the request's bytes only */
    if (rq->fill == 0 && !w->e->listeners[c->listener].tcp_mode) { c->head_begun = 0; crecv_arm(w, c); return 0; }
    return 1;                                    /* (mode tcp: to Swift even with no byte) */
}

/* Puts the header in front of the request's first send on a new server connection. The
   connection then serves this client only: it never goes back to the idle pool. */
void pp_prepend(worker *w, conn *c) {
    half *rq = &c->h[REQ];
    int version = w->e->servers[c->server].send_proxy;
    RP_ASSERT(version == 1 || version == 2);
    RP_ASSERT(rq->iovcnt < RP_MAX_IOV + 2 && c->xb);
    struct sockaddr_storage local;
    const struct sockaddr_storage *dst = c->pp_dst;
    if (!dst) {
        socklen_t l = sizeof local;
        memset(&local, 0, sizeof local);
        if (getsockname(c->fd[CLI], (struct sockaddr *)&local, &l) < 0) local.ss_family = AF_UNSPEC;
        dst = &local;
    }
    uint32_t len = rp_pp_build(version, &c->caddr, dst, c->xb->pp);
    memmove(rq->iov + 1, rq->iov, (size_t)rq->iovcnt * sizeof *rq->iov);
    rq->iov[0].iov_base = c->xb->pp; rq->iov[0].iov_len = len;
    rq->iovcnt++;
    c->server_reuse = 0;
}
