// The PROXY protocol on the engine's connections: the header a listener with accept-proxy
// expects before the first request (its source address becomes the connection's client
// address for everything Swift sees: balancing, ACLs, logs, X-Forwarded-For), and the header
// written first on each new connection to a server with send-proxy / send-proxy-v2 (in the
// same send as the request head). The formats are rp_proxyproto.c's.
#include "rp_internal.h"
#include "rp_proxyproto.h"
#include <stdlib.h>
#include <string.h>

/* proxy-v2-options: what the next server connection's header carries besides addresses. */
struct pp_out {
    int has_addrs;                       /* addrs replace the connection's (set-src/set-dst) */
    struct sockaddr_storage addrs[2];    /* source, destination (AF_UNSPEC: the connection's) */
    uint32_t unique_id_len;
    uint8_t unique_id[128];
    uint8_t hdr[RP_PP_V2_MAX_BUILD + RP_PP_V2_MAX_TLVS];
};

/* The request's unique id (unique-id-format), for a server with `proxy-v2-options unique-id`:
   copied now, as Swift's bytes live only during its call. */
void pp_keep_unique_id(conn *c, const uint8_t *id, uint32_t len) {
    if (!c->pp_out && !(c->pp_out = calloc(1, sizeof *c->pp_out))) return;
    if (len > sizeof c->pp_out->unique_id) len = 0;       /* HAProxy sends none above 128 */
    c->pp_out->unique_id_len = len;
    if (len) memcpy(c->pp_out->unique_id, id, len);
}

/* The addresses this request's rules gave the stream (set-src/set-dst), for the header of the
   server connection it opens; NULL: the connection's. */
void pp_keep_addrs(conn *c, const struct sockaddr_storage *addrs) {
    if (!addrs) { if (c->pp_out) c->pp_out->has_addrs = 0; return; }
    if (!c->pp_out && !(c->pp_out = calloc(1, sizeof *c->pp_out))) return;
    c->pp_out->addrs[0] = addrs[0];
    c->pp_out->addrs[1] = addrs[1];
    c->pp_out->has_addrs = 1;
}

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
    rp_pp_tlv_refs refs;
    int n = rp_pp_parse_tlvs(rq->buf, rq->fill, &src, &dst, &has, &refs);
    if (n == RP_PP_INVALID) { pp_abort(w, c); return 0; }
    if (n == RP_PP_MISSING) { crecv_arm(w, c); return 0; }
    RP_ASSERT((uint32_t)n <= rq->fill);
    c->pp_wait = 0;
    if (has) {
        c->caddr = src;
        if (!c->pp_dst) c->pp_dst = malloc(sizeof *c->pp_dst);
        if (c->pp_dst) *c->pp_dst = dst;
    }
    if (refs.authority_len || refs.unique_id_len) {
        /* kept for fc_pp_authority / fc_pp_unique_id and `proxy-v2-options authority` */
        if (!c->pp_in) c->pp_in = calloc(1, sizeof *c->pp_in);
        if (c->pp_in) {
            c->pp_in->authority_len = refs.authority_len;
            memcpy(c->pp_in->authority, rq->buf + refs.authority_off, refs.authority_len);
            c->pp_in->unique_id_len = refs.unique_id_len;
            memcpy(c->pp_in->unique_id, rq->buf + refs.unique_id_off, refs.unique_id_len);
        }
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
    const struct sockaddr_storage *src = &c->caddr;
    if (c->pp_out && c->pp_out->has_addrs) {
        if (c->pp_out->addrs[0].ss_family != AF_UNSPEC) src = &c->pp_out->addrs[0];
        if (c->pp_out->addrs[1].ss_family != AF_UNSPEC) dst = &c->pp_out->addrs[1];
    }
    int opts = w->e->servers[c->server].pp_opts;
    uint8_t *out = c->xb->pp;
    uint32_t len;
    if (version == 2 && opts && (c->pp_out || (c->pp_out = calloc(1, sizeof *c->pp_out)))) {
        /* proxy-v2-options: the header and its TLVs, in the connection's own buffer */
        out = c->pp_out->hdr;
        len = rp_pp_build(2, src, dst, out);
        const rp_pp_tlvs *in = c->pp_in;
        len = rp_pp_add_tlvs(out, len, opts & RP_PP_OPT_CRC32C,
                             (opts & RP_PP_OPT_AUTHORITY) && in ? in->authority : NULL,
                             (opts & RP_PP_OPT_AUTHORITY) && in ? in->authority_len : 0,
                             (opts & RP_PP_OPT_UNIQUE_ID) ? c->pp_out->unique_id : NULL,
                             (opts & RP_PP_OPT_UNIQUE_ID) ? c->pp_out->unique_id_len : 0);
    } else {
        len = rp_pp_build(version, src, dst, out);
    }
    memmove(rq->iov + 1, rq->iov, (size_t)rq->iovcnt * sizeof *rq->iov);
    rq->iov[0].iov_base = out; rq->iov[0].iov_len = len;
    rq->iovcnt++;
    c->server_reuse = 0;
}
