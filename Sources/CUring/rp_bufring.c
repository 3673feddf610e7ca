// Client receives by multishot recv into the worker's provided-buffer ring. Completions queue
// their buffers on the connection (`ms.pend`); the exchange takes bytes from there when it wants
// them (ms_pump), copying them into the request half's buffer. Back-pressure: a connection
// holding PEND_PAUSE buffers cancels its receive; one that meets ENOBUFS waits on the worker's
// list until half the buffers are back.
#include "rp_internal.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* liburing 2.3 has no io_uring_setup_buf_ring: the ring memory is allocated and registered by hand. */
int bufring_init(worker *w) {
    void *mem = NULL;
    size_t rsz = w->nbufs * sizeof(struct io_uring_buf);
    if (posix_memalign(&mem, 4096, rsz)) return -ENOMEM;
    memset(mem, 0, rsz);
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.ring_addr = (uint64_t)(uintptr_t)mem; reg.ring_entries = w->nbufs; reg.bgid = BGID;
    int r = io_uring_register_buf_ring(&w->ring, &reg, 0);
    if (r) { free(mem); return r; }
    w->br = mem;
    io_uring_buf_ring_init(w->br);
    w->bufs = malloc((size_t)w->nbufs * PBUFSZ);
    if (!w->bufs) return -ENOMEM;
    for (int i = 0; i < w->nbufs; i++)
        io_uring_buf_ring_add(w->br, w->bufs + (size_t)i * PBUFSZ, PBUFSZ, (unsigned short)i, io_uring_buf_ring_mask(w->nbufs), i);
    io_uring_buf_ring_advance(w->br, w->nbufs);
    return 0;
}

/* Connections stopped by ENOBUFS resume once half the buffers are back. */
static void bw_resume(worker *w) {
    while (w->bw_head && w->bufs_out < w->nbufs / 2) {
        conn *c = w->bw_head; w->bw_head = c->ms.bw_next; c->ms.bw_next = NULL; c->ms.in_bw = 0;
        if (c->state == C_ACTIVE) ms_arm(w, c);
    }
}

static void buf_recycle(worker *w, int bid) {
    RP_ASSERT(bid >= 0 && bid < w->nbufs && w->bufs_out > 0);
    io_uring_buf_ring_add(w->br, w->bufs + (size_t)bid * PBUFSZ, PBUFSZ, (unsigned short)bid, io_uring_buf_ring_mask(w->nbufs), 0);
    io_uring_buf_ring_advance(w->br, 1);
    w->bufs_out--;
    bw_resume(w);
}

/* Gives back every buffer the connection holds and leaves the wait list. */
void ms_release(worker *w, conn *c) {
    msrecv *m = &c->ms;
    for (int i = m->phead; i < m->npend; i++) buf_recycle(w, m->pend[i].bid);
    m->phead = m->npend = 0;
    if (m->pend && m->pend != m->inl) free(m->pend);
    m->pend = m->inl; m->pcap = PEND_INLINE;
    if (m->in_bw) {
        conn **pp = &w->bw_head;
        while (*pp && *pp != c) pp = &(*pp)->ms.bw_next;
        if (*pp) *pp = m->bw_next;
        m->in_bw = 0; m->bw_next = NULL;
    }
}

void ms_arm(worker *w, conn *c) {
    msrecv *m = &c->ms;
    if (c->h[REQ].recv || m->eof || m->cancel || m->splice || m->in_bw || c->state != C_ACTIVE || PENDING(c) >= PEND_PAUSE) return;
    struct io_uring_sqe *s = sqe_get(w);
    io_uring_prep_recv_multishot(s, c->fd[CLI], NULL, 0, 0);
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = BGID;
    io_uring_sqe_set_data64(s, conn_ud(w, c, OP_RECV_REQ));
    c->h[REQ].recv = 1; c->inflight++;
}

/* Stops the multishot receive (its last completion clears ms.cancel). */
static void ms_cancel(worker *w, conn *c) {
    cancel_ud(w, conn_ud(w, c, OP_RECV_REQ));
    c->ms.cancel = 1;
    COUNT(w, ms_cancels);
}

/* A large request body will be spliced: stop receiving into buffers first. */
void ms_stop_for_splice(worker *w, conn *c) {
    if (c->ms.splice) return;
    c->ms.splice = 1;
    if (c->h[REQ].recv && !c->ms.cancel) ms_cancel(w, c);
}

/* The rest of a large request body goes by splice once the multishot receive has stopped and
   everything it had received is forwarded. */
void ms_splice_try(worker *w, conn *c) {
    msrecv *m = &c->ms;
    half *rq = &c->h[REQ];
    if (!m->splice || rq->recv || m->cancel || PENDING(c) || m->term || c->state != C_ACTIVE) return;
    if (rq->phase != PH_BODY || rq->send || !m->want || rq->remain <= 0 || c->pu.active) return;
    m->want = 0;
    rq->fill = 0; c->rkeep = 0;
    if (pump_start(w, c, REQ, rq->remain) < 0) { m->want = 1; m->splice = 0; ms_arm(w, c); }
}

/* Hands received bytes to the exchange while it wants them, in order, then the end of stream. */
void ms_pump(worker *w, conn *c) {
    msrecv *m = &c->ms;
    half *rq = &c->h[REQ];
    if (m->pumping) return;
    if (PENDING(c) > 0 && xb_attach(w, c) < 0) { c->term0 = 'R'; c->term1 = 'D'; conn_close(w, c); return; }
    m->pumping = 1;
    while (c->state == C_ACTIVE && m->want) {
        if (PENDING(c) > 0) {
            uint32_t room = BUFSZ - rq->fill;
            if (room == 0) break;
            pbuf *b = &m->pend[m->phead];
            uint32_t n = b->len < room ? b->len : room;
            memcpy(rq->buf + rq->fill, w->bufs + (size_t)b->bid * PBUFSZ + b->off, n);
            b->off += (uint16_t)n; b->len -= (uint16_t)n;
            if (b->len == 0) {
                buf_recycle(w, b->bid);
                if (++m->phead == m->npend) m->phead = m->npend = 0;
            }
            m->want = 0;
            client_data(w, c, n);
            continue;
        }
        if (m->term) {
            int t = m->term; m->term = 0; m->want = 0;
            client_eof(w, c, t == 1 ? 0 : t);
        }
        break;
    }
    m->pumping = 0;
    if (c->state == C_ACTIVE && !rq->recv && PENDING(c) < PEND_PAUSE / 2) ms_arm(w, c);
    ms_splice_try(w, c);
}

/* Queues one received buffer on the connection; 0 when out of memory. */
static int ms_queue(worker *w, conn *c, int bid, int len) {
    msrecv *m = &c->ms;
    (void)w;
    if (m->npend == m->pcap) {
        if (m->phead > 0) {            /* reuse the consumed front first */
            memmove(m->pend, m->pend + m->phead, (size_t)PENDING(c) * sizeof *m->pend);
            m->npend -= m->phead; m->phead = 0;
        } else {
            int ncap = m->pcap * 2;
            pbuf *np = m->pend == m->inl ? malloc((size_t)ncap * sizeof *np) : realloc(m->pend, (size_t)ncap * sizeof *np);
            if (!np) return 0;
            if (m->pend == m->inl) memcpy(np, m->inl, sizeof m->inl);
            m->pend = np; m->pcap = ncap;
        }
    }
    m->pend[m->npend].bid = (uint16_t)bid; m->pend[m->npend].off = 0; m->pend[m->npend].len = (uint16_t)len;
    m->npend++;
    return 1;
}

/* The multishot ended without data: cancelled, out of buffers, end of stream or error. */
static void on_client_recv_end(worker *w, conn *c, int res) {
    msrecv *m = &c->ms;
    if (res == -ECANCELED && m->cancel) {
        m->cancel = 0;
        if (m->want) ms_pump(w, c);
        ms_splice_try(w, c);
        return;
    }
    if (res == -ENOBUFS) {
        COUNT(w, enobufs);
        m->cancel = 0;          /* the multishot is over: a cancel still on its way finds nothing */
        if (m->splice) {
            /* it was being stopped for a splice (ms_stop_for_splice), and the ENOBUFS ended it
               before the cancel did: the splice waits for nothing else. Put on the wait list,
               it would stall: neither a resume (ms_arm refuses while splicing) nor any other
               completion would try the splice again. */
            ms_splice_try(w, c);
            return;
        }
        if (!m->in_bw) { m->in_bw = 1; m->bw_next = w->bw_head; w->bw_head = c; }
        /* the buffers may have come back between the kernel's ENOBUFS and this completion
           (recycled earlier in the same batch): then no later recycle would resume it */
        bw_resume(w);
        return;
    }
    m->cancel = 0;
    m->eof = 1;
    m->term = res == 0 ? 1 : res;
    if (PENDING(c) > 0) return;
    if (m->want) { ms_pump(w, c); return; }
    /* nothing pending and not reading: a close that matters now (abortonclose, half-close) */
    int ph = c->h[REQ].phase;
    if (ph == PH_CONNECT || ph == PH_QUEUED || ph == PH_WAIT_RETRY || ph == PH_DONE) {
        m->term = 0;
        client_eof(w, c, res);
    }
}

/* A completion of the client's multishot receive. */
void on_client_recv_multi(worker *w, conn *c, int res, uint32_t flags) {
    msrecv *m = &c->ms;
    int more = flags & IORING_CQE_F_MORE;
    /* the last completion of the multishot: it is over, whatever a pending cancel finds */
    if (!more) {
        RP_ASSERT(c->h[REQ].recv);
        c->h[REQ].recv = 0; c->inflight--;
        if (res > 0) m->cancel = 0;
    }
    if (res > 0) {
        RP_ASSERT(flags & IORING_CQE_F_BUFFER);
        int bid = (int)(flags >> IORING_CQE_BUFFER_SHIFT);
        w->bufs_out++;
        if (c->state != C_ACTIVE) { buf_recycle(w, bid); conn_op_done(w, c); return; }
        if (!ms_queue(w, c, bid, res)) { buf_recycle(w, bid); c->term0 = 'R'; c->term1 = 'D'; conn_close(w, c); return; }
        /* back-pressure: stop receiving until the exchange has used what it has */
        if (PENDING(c) >= PEND_PAUSE && c->h[REQ].recv && !m->cancel) ms_cancel(w, c);
        if (m->want) ms_pump(w, c);
        else if (!c->h[REQ].recv && !more) ms_arm(w, c);
        ms_splice_try(w, c);
        return;
    }
    if (c->state != C_ACTIVE) { conn_op_done(w, c); return; }
    on_client_recv_end(w, c, res);
}
