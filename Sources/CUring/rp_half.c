// One direction of a connection: its send, its receives, its body framing.
#include "rp_internal.h"
#include <string.h>

/* Sends h->iov to the half's destination. One slice: a plain send (no msghdr/iovec import in
   the kernel); several: sendmsg. At most one send per direction is in flight (ordering). */
void half_send(worker *w, conn *c, int d) {
    half *h = &c->h[d];
    int fd = c->fd[!d];
    RP_ASSERT(!h->send && h->iovcnt > 0 && fd >= 0 && c->xb);
    struct io_uring_sqe *s = sqe_get(w);
    if (h->iovcnt == 1) {
        io_uring_prep_send(s, fd, h->iov[0].iov_base, h->iov[0].iov_len, MSG_NOSIGNAL);
    } else {
        memset(h->msg, 0, sizeof *h->msg);
        h->msg->msg_iov = h->iov; h->msg->msg_iovlen = (size_t)h->iovcnt;
        io_uring_prep_sendmsg(s, fd, h->msg, MSG_NOSIGNAL);
    }
    io_uring_sqe_set_data64(s, conn_ud(w, c, op_send(d)));
    h->send = 1; c->inflight++;
}

/* Advances an iovec array past `n` sent bytes; returns the iovecs left. */
int iov_advance(struct iovec *iov, int cnt, size_t n) {
    int i = 0;
    while (i < cnt && n >= iov[i].iov_len) { n -= iov[i].iov_len; i++; }
    if (i < cnt) { iov[i].iov_base = (uint8_t *)iov[i].iov_base + n; iov[i].iov_len -= n; }
    if (i > 0) memmove(iov, iov + i, (size_t)(cnt - i) * sizeof *iov);
    return cnt - i;
}

/* Builds iovecs from Swift's answer: slices of `base` stay in place, other bytes are copied. */
int iov_from_call(const rp_head_call *call, const uint8_t *base, uint32_t baselen,
                  uint8_t *ins, struct iovec *out) {
    int n = 0; size_t used = 0;
    for (int i = 0; i < call->iovcnt && i < RP_MAX_IOV; i++) {
        const uint8_t *p = call->iov[i].iov_base; size_t len = call->iov[i].iov_len;
        if (!len) continue;
        if (p >= base && p + len <= base + baselen) {
            out[n].iov_base = (void *)p; out[n].iov_len = len; n++;
        } else {
            if (used + len > INSZ) return -1;
            memcpy(ins + used, p, len);
            if (n > 0 && (uint8_t *)out[n - 1].iov_base + out[n - 1].iov_len == ins + used) out[n - 1].iov_len += len;
            else { out[n].iov_base = ins + used; out[n].iov_len = len; n++; }
            used += len;
        }
    }
    return n;
}

/* Applies the half's body framing to `avail` bytes at p: returns the bytes that belong to the
   body and sets h->body_done at its end; *err on a framing error. */
size_t half_body_take(half *h, const uint8_t *p, size_t avail, int *err) {
    size_t used = 0;
    *err = 0;
    switch (h->body) {
    case RP_BODY_NONE: h->body_done = 1; return 0;
    case RP_BODY_LENGTH:
        RP_ASSERT(h->remain >= 0);
        used = avail < (uint64_t)h->remain ? avail : (size_t)h->remain;
        h->remain -= (int64_t)used;
        h->body_done = h->remain == 0;
        return used;
    case RP_BODY_CHUNKED: {
        int r = rp_chunk_scan(&h->chunk, p, avail, &used);
        if (r == RP_CHUNK_ERROR) { *err = 1; h->body_done = 0; return 0; }
        h->body_done = r == RP_CHUNK_DONE;
        return used;
    }
    case RP_BODY_CLOSE: h->body_done = 0; return avail;
    }
    h->body_done = 0;
    return 0;
}

/* ---------- receives ---------- */

/* POLL_FIRST: when the peer cannot have answered yet (we just sent it something), arm the
   poll directly instead of trying a receive that would fail first. */
void crecv_arm_opt(worker *w, conn *c, int poll_first) {
    if (w->use_ms) {
        c->ms.want = 1;
        if (PENDING(c) || c->ms.term) ms_pump(w, c);
        else if (c->cli_eof) { c->ms.want = 0; client_eof(w, c, 0); }   /* its end was seen already */
        else ms_arm(w, c);
        return;
    }
    half *h = &c->h[REQ];
    if (h->recv || c->state != C_ACTIVE) return;
    if (xb_attach(w, c) < 0) { conn_close(w, c); return; }   /* single-shot receives need it */
    RP_ASSERT(h->fill < BUFSZ);         /* a peek (abortonclose) may still be in flight */
    struct io_uring_sqe *s = sqe_get(w);
    io_uring_prep_recv(s, c->fd[CLI], h->buf + h->fill, BUFSZ - h->fill, 0);
    if (poll_first) s->ioprio |= IORING_RECVSEND_POLL_FIRST;
    io_uring_sqe_set_data64(s, conn_ud(w, c, OP_RECV_REQ));
    h->recv = 1; c->inflight++;
}

void srecv_arm_opt(worker *w, conn *c, int poll_first) {
    half *h = &c->h[RESP];
    if (h->recv || c->state != C_ACTIVE || c->fd[SRV] < 0) return;
    RP_ASSERT(h->fill < RSBUFSZ && c->xb);
    struct io_uring_sqe *s = sqe_get(w);
    io_uring_prep_recv(s, c->fd[SRV], h->buf + h->fill, RSBUFSZ - h->fill, 0);
    if (poll_first) s->ioprio |= IORING_RECVSEND_POLL_FIRST;
    io_uring_sqe_set_data64(s, conn_ud(w, c, OP_RECV_RESP));
    h->recv = 1; c->inflight++;
}

/* option abortonclose: while the request waits for a server (queued, connecting, pausing
   before a retry) nothing reads the client; peek so that its close is seen without consuming
   bytes that belong to the request or to a pipelined one. */
void cpeek_arm(worker *w, conn *c) {
    if (w->use_ms) return;          /* the multishot receive already reports the close */
    if (c->cpeek || c->h[REQ].recv || c->state != C_ACTIVE || c->fd[CLI] < 0) return;
    struct io_uring_sqe *s = sqe_get(w);
    io_uring_prep_recv(s, c->fd[CLI], &c->peekbyte, 1, MSG_PEEK);
    io_uring_sqe_set_data64(s, conn_ud(w, c, OP_CPEEK));
    c->cpeek = 1; c->inflight++;
}
