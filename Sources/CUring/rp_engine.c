// The io_uring worker loop: accept, relay request and response, splice large bodies, time out.
// One worker = one pinned thread = one ring; nothing here is shared between workers except the
// read-only configuration and an atomic count of open connections.
#define _GNU_SOURCE
#include "rp_engine.h"
#include "rp_sys.h"
#include "rp_chunk.h"
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#define BUFSZ 32768            /* per direction per connection; heads are limited to 16 KiB */
#define INSZ 8192              /* copies of inserted header bytes, per direction */
#define TW_SLOTS 512           /* timer wheel: 512 slots of 8 ms */
#define TW_TICK_MS 8
#define PIPE_POOL 16
#define NBUFS 4096             /* provided buffers per worker (16 MiB) */
#define PBUFSZ 4096
#define BGID 1
#define PEND_PAUSE 16          /* buffers held by one connection before it stops receiving */

enum op { OP_ACCEPT = 1, OP_CRECV, OP_CSEND, OP_SRECV, OP_SSEND, OP_CONNECT, OP_LTIMEOUT,
          OP_POLL_IN, OP_POLL_OUT, OP_IGNORE, OP_CPEEK };

enum rphase { R_HEAD, R_QUEUED, R_CONNECT, R_WAIT_RETRY, R_BODY, R_DONE };
enum sphase { S_NONE, S_HEAD, S_BODY, S_DONE };
enum cstate { C_FREE, C_ACTIVE, C_CLOSING };

typedef struct pump {          /* splice state for one body direction */
    int active;
    int src, dst;
    int pipe[2];
    int64_t to_read;           /* body bytes still to read from src */
    int64_t in_pipe;           /* bytes in the pipe, not yet written to dst */
    int dir;                   /* 0 request, 1 response */
} pump;

typedef struct conn {
    uint32_t gen;
    int state;
    int cfd, sfd;
    int frontend, listener;
    int server;
    struct sockaddr_storage caddr;
    uint8_t *mem;              /* one block: rbuf | sbuf | rins | sins */
    uint8_t *rbuf, *sbuf, *rins, *sins;
    /* request direction: client -> server */
    int rphase;
    uint32_t rfill, rkeep;     /* bytes in rbuf; start of bytes kept for the next request */
    int rbody; int64_t rremain; rp_chunk rchunk; int rbody_done;
    struct iovec siov[RP_MAX_IOV + 2]; int siovcnt; struct msghdr smsg;
    struct iovec siov0[RP_MAX_IOV + 2]; int siovcnt0;   /* the first send, kept to replay it */
    int replayable;            /* the whole request went in the first send */
    struct __kernel_timespec cts;                       /* connect timeout, read at submission */
    /* response direction: server -> client */
    int sphase;
    uint32_t sfill;
    int sbody; int64_t sremain; rp_chunk schunk; int sbody_done;
    struct iovec civ[RP_MAX_IOV + 2]; int civcnt; struct msghdr cmsg;
    uint8_t *local;            /* a local answer being sent (malloc) */
    int local_then_close;
    /* ops in flight */
    uint8_t crecv, csend, srecv, ssend, sconn, pollin, pollout;
    uint8_t cpeek, peekbyte;   /* abortonclose: a 1-byte MSG_PEEK that reports the client's EOF */
    int inflight;
    /* timers */
    int64_t cdl, sdl;          /* client-side and server-side deadlines (ms), 0 = none */
    int64_t tw_when;
    struct conn *tw_next, *tw_prev;
    int in_wheel;
    /* the exchange */
    uint32_t req_index;
    int close_after, server_reuse, server_close, cli_eof, pooled_server;
    int retries_left, retries_done, redispatch, redispatched, abort_on_close, last_err;
    uint32_t connect_to, server_to, client_to;
    int64_t t_accept_rt, t_start, t_head, t_conn_first, t_conn_start, t_connected, t_resp;
    int status;
    uint64_t bytes_in, bytes_out;
    char term0, term1;
    int logged;
    pump pu;
    /* multishot receive on the client socket (provided buffers), see cms_arm/pump_input */
    uint8_t cms;               /* multishot armed */
    uint8_t cwant;             /* the exchange wants client bytes now */
    uint8_t cpump;             /* pump_input running (re-entrancy guard) */
    uint8_t ccancel;           /* multishot cancelled for back-pressure */
    uint8_t ceof;              /* the client will send nothing more */
    uint8_t splice_req;        /* a large request body: splice it once the multishot is stopped */
    int pend_term;             /* after the pending bytes: 1 = end of stream, <0 = error */
    /* received buffers not yet consumed, in order: [phead, npend) of pend (inline storage
       first; a fast uploader that outruns its server grows it, up to the worker's NBUFS) */
    struct pbuf *pend;
    int phead, npend, pcap;
    struct pbuf { uint16_t bid, off, len; } inl[16];
    struct conn *bw_next;      /* waiting for provided buffers (ENOBUFS) */
    uint8_t in_bw;
    int holds_slot;            /* counted in the server's active requests (server maxconn) */
    uint32_t queue_to;
    struct conn *q_next;
    struct conn *free_next;
} conn;

typedef struct pool_entry { int fd; int64_t since; } pool_entry;

typedef struct worker {
    struct rp_engine *e;
    int id;
    pthread_t thread;
    struct io_uring ring;
    int *lfd;                  /* listener fds of this worker */
    uint8_t *accepting;        /* multishot accept armed, per listener */
    int *lactive;              /* open connections per listener */
    int active, limit;
    conn *conns; int nconns; conn *free_list;
    conn *wheel[TW_SLOTS];
    int64_t tw_done;           /* last tick processed */
    int64_t now;               /* ms, monotonic, refreshed each loop turn */
    int64_t next_purge;
    /* idle server connections, per server: a small LIFO */
    pool_entry **pool; int *pool_n; int pool_cap;
    int pipes[PIPE_POOL][2]; int npipes;
    rp_head_call call;
    int stopping;              /* 1 soft, 2 hard */
    conn **q_head, **q_tail;   /* per server: requests waiting for a slot (server maxconn) */
    /* provided-buffer ring for client receives (multishot); use_ms = 0 falls back to
       single-shot receives straight into the connection's buffer */
    int use_ms;
    struct io_uring_buf_ring *br;
    uint8_t *bufs;
    int bufs_out;
    conn *bw_head;
    int queued;                /* total waiting on this worker */
} worker;

struct rp_engine {
    rp_engine_cfg cfg;
    rp_listener_cfg *listeners;
    rp_server_cfg *servers;
    worker *w;
    int nw;
    atomic_int active;
    atomic_int stop;
    atomic_int *srv_active;    /* per server, all workers: requests holding a slot */
    atomic_int *srv_queued;
};

static int64_t now_ms(void) {
    struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
static int64_t realtime_us(void) {
    struct timespec ts; clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* user_data: op (8 bits) | generation (24 bits) | slot (32 bits) */
static inline uint64_t ud(int op, conn *c, worker *w) {
    uint32_t slot = (uint32_t)(c - w->conns);
    return ((uint64_t)op << 56) | ((uint64_t)(c->gen & 0xffffff) << 32) | slot;
}

static struct io_uring_sqe *sqe_get(worker *w) {
    struct io_uring_sqe *s = io_uring_get_sqe(&w->ring);
    while (!s) { io_uring_submit(&w->ring); s = io_uring_get_sqe(&w->ring); }
    return s;
}

/* ---------- timers: a coarse wheel with lazy re-scheduling ---------- */

static int64_t conn_deadline(conn *c) {
    int64_t d = c->cdl;
    if (c->sdl && (!d || c->sdl < d)) d = c->sdl;
    return d;
}
static void tw_unlink(worker *w, conn *c) {
    if (!c->in_wheel) return;
    int slot = (int)((c->tw_when / TW_TICK_MS) % TW_SLOTS);
    if (c->tw_prev) c->tw_prev->tw_next = c->tw_next; else w->wheel[slot] = c->tw_next;
    if (c->tw_next) c->tw_next->tw_prev = c->tw_prev;
    c->in_wheel = 0; c->tw_next = c->tw_prev = NULL;
}
static void tw_link(worker *w, conn *c, int64_t when) {
    int64_t minwhen = (w->tw_done + 1) * TW_TICK_MS;
    if (when < minwhen) when = minwhen;
    int slot = (int)((when / TW_TICK_MS) % TW_SLOTS);
    c->tw_when = when; c->in_wheel = 1;
    c->tw_prev = NULL; c->tw_next = w->wheel[slot];
    if (c->tw_next) c->tw_next->tw_prev = c;
    w->wheel[slot] = c;
}
/* Called whenever a deadline is set: only moves the entry when it must fire earlier. */
static void tw_schedule(worker *w, conn *c) {
    int64_t d = conn_deadline(c);
    if (!d) return;                        /* stale entries are dropped when visited */
    if (c->in_wheel && c->tw_when <= d) return;
    tw_unlink(w, c);
    tw_link(w, c, d);
}

/* ---------- connection slots ---------- */

static conn *conn_alloc(worker *w) {
    conn *c = w->free_list;
    if (!c) return NULL;
    w->free_list = c->free_next;
    uint32_t gen = c->gen + 1;
    uint8_t *mem = c->mem;
    memset(c, 0, sizeof *c);
    c->gen = gen;
    if (!mem) {
        mem = malloc(2 * BUFSZ + 2 * INSZ);
        if (!mem) { c->free_next = w->free_list; w->free_list = c; return NULL; }
    }
    c->mem = mem;
    c->rbuf = mem; c->sbuf = mem + BUFSZ; c->rins = mem + 2 * BUFSZ; c->sins = mem + 2 * BUFSZ + INSZ;
    c->state = C_ACTIVE;
    c->cfd = c->sfd = -1; c->server = -1;
    c->pu.pipe[0] = c->pu.pipe[1] = -1;
    c->pend = c->inl; c->pcap = 16;
    c->status = -1;
    c->term0 = '-'; c->term1 = '-';
    return c;
}

static void pipe_release(worker *w, pump *p) {
    if (p->pipe[0] < 0) return;
    if (p->in_pipe == 0 && w->npipes < PIPE_POOL) {
        w->pipes[w->npipes][0] = p->pipe[0]; w->pipes[w->npipes][1] = p->pipe[1]; w->npipes++;
    } else { close(p->pipe[0]); close(p->pipe[1]); }
    p->pipe[0] = p->pipe[1] = -1; p->active = 0;
}

static void pend_release(worker *w, conn *c);

static void conn_free(worker *w, conn *c) {
    if (w->use_ms) pend_release(w, c);
    if (c->cfd >= 0) close(c->cfd);
    if (c->sfd >= 0) close(c->sfd);
    pipe_release(w, &c->pu);
    free(c->local); c->local = NULL;
    tw_unlink(w, c);
    c->state = C_FREE;
    c->gen++;
    c->free_next = w->free_list; w->free_list = c;
}

static void accept_arm(worker *w, int li);

static void conn_closed_count(worker *w, conn *c) {
    w->active--;
    atomic_fetch_sub(&w->e->active, 1);
    if (c->listener >= 0) {
        w->lactive[c->listener]--;
        if (!w->stopping && !w->accepting[c->listener] && w->active < w->limit) {
            int li = c->listener;
            int flim = w->e->listeners[li].maxconn;
            int per = flim > 0 ? (flim + w->e->nw - 1) / w->e->nw : 0;
            if (!per || w->lactive[li] < per) accept_arm(w, li);
        }
    }
}

static void log_done(worker *w, conn *c);
static void queue_remove(worker *w, conn *c);
static void srv_release(worker *w, conn *c);

/* Closes both sides; the slot is freed when the last operation in flight has completed. */
static void conn_close(worker *w, conn *c) {
    if (c->state != C_ACTIVE) return;
    log_done(w, c);
    if (c->rphase == R_QUEUED) queue_remove(w, c);
    srv_release(w, c);
    c->state = C_CLOSING;
    conn_closed_count(w, c);
    c->cdl = c->sdl = 0;
    tw_unlink(w, c);
    if (c->cfd >= 0) shutdown(c->cfd, SHUT_RDWR);
    if (c->sfd >= 0) shutdown(c->sfd, SHUT_RDWR);
    if (c->sconn || c->pollin || c->pollout) {
        /* a connect or poll does not end on shutdown: cancel it */
        struct io_uring_sqe *s;
        if (c->sfd >= 0) { s = sqe_get(w); io_uring_prep_cancel_fd(s, c->sfd, IORING_ASYNC_CANCEL_ALL); io_uring_sqe_set_data64(s, (uint64_t)OP_IGNORE << 56); }
        if (c->cfd >= 0 && c->pollout) { s = sqe_get(w); io_uring_prep_cancel_fd(s, c->cfd, IORING_ASYNC_CANCEL_ALL); io_uring_sqe_set_data64(s, (uint64_t)OP_IGNORE << 56); }
    }
    if (c->inflight == 0) conn_free(w, c);
}

/* ---------- logging hook ---------- */

static void log_done(worker *w, conn *c) {
    if (c->logged) return;
    c->logged = 1;
    if (c->rphase == R_HEAD && c->rfill == 0 && c->req_index > 0 && c->status < 0) return; /* idle keep-alive */
    rp_done_info d;
    memset(&d, 0, sizeof d);
    d.worker = w->id; d.slot = (uint32_t)(c - w->conns); d.frontend = c->frontend;
    d.server = c->server; d.status = c->status;
    d.bytes_in = c->bytes_in; d.bytes_out = c->bytes_out;
    d.t_accept_us = c->t_accept_rt;
    int64_t end = w->now;
    d.tq = c->t_head ? (int32_t)(c->t_head - c->t_start) : -1;
    /* Tw is the time in queues (HAProxy 2.6: retry pauses are not part of it) */
    d.tw = (c->t_conn_first && c->t_head) ? (int32_t)(c->t_conn_first - c->t_head) : -1;
    d.tc = (c->t_connected && c->t_conn_start) ? (int32_t)(c->t_connected - c->t_conn_start) : -1;
    d.tr = (c->t_resp && c->t_connected) ? (int32_t)(c->t_resp - c->t_connected) : -1;
    d.tt = (int32_t)(end - c->t_start);
    d.retries = c->retries_done; d.redispatched = c->redispatched;
    d.term[0] = c->term0; d.term[1] = c->term1;
    d.local_answer = c->server < 0;
    d.client = &c->caddr;
    d.request_index = c->req_index;
    if (w->e->cfg.cb.on_done) w->e->cfg.cb.on_done(w->e->cfg.cb.ctx, &d);
}

/* ---------- sending ---------- */

static void crecv_arm(worker *w, conn *c);
static void srecv_arm(worker *w, conn *c);
static void srecv_arm_opt(worker *w, conn *c, int poll_first);
static void request_head(worker *w, conn *c);
static void response_head(worker *w, conn *c);
static void exchange_done(worker *w, conn *c);
static void connect_start(worker *w, conn *c);
static void pump_run(worker *w, conn *c);
static void pool_purge(worker *w);

/* One slice: a plain send (no msghdr/iovec import in the kernel); several: sendmsg. */
static void csend_submit(worker *w, conn *c) {
    struct io_uring_sqe *s = sqe_get(w);
    if (c->civcnt == 1) {
        io_uring_prep_send(s, c->cfd, c->civ[0].iov_base, c->civ[0].iov_len, MSG_NOSIGNAL);
    } else {
        memset(&c->cmsg, 0, sizeof c->cmsg);
        c->cmsg.msg_iov = c->civ; c->cmsg.msg_iovlen = c->civcnt;
        io_uring_prep_sendmsg(s, c->cfd, &c->cmsg, MSG_NOSIGNAL);
    }
    io_uring_sqe_set_data64(s, ud(OP_CSEND, c, w));
    c->csend = 1; c->inflight++;
}
static void ssend_submit(worker *w, conn *c) {
    struct io_uring_sqe *s = sqe_get(w);
    if (c->siovcnt == 1) {
        io_uring_prep_send(s, c->sfd, c->siov[0].iov_base, c->siov[0].iov_len, MSG_NOSIGNAL);
    } else {
        memset(&c->smsg, 0, sizeof c->smsg);
        c->smsg.msg_iov = c->siov; c->smsg.msg_iovlen = c->siovcnt;
        io_uring_prep_sendmsg(s, c->sfd, &c->smsg, MSG_NOSIGNAL);
    }
    io_uring_sqe_set_data64(s, ud(OP_SSEND, c, w));
    c->ssend = 1; c->inflight++;
}
/* Advances an iovec array past `n` sent bytes; returns the iovecs left. */
static int iov_advance(struct iovec *iov, int cnt, size_t n) {
    int i = 0;
    while (i < cnt && n >= iov[i].iov_len) { n -= iov[i].iov_len; i++; }
    if (i < cnt) { iov[i].iov_base = (uint8_t *)iov[i].iov_base + n; iov[i].iov_len -= n; }
    if (i > 0) memmove(iov, iov + i, (size_t)(cnt - i) * sizeof *iov);
    return cnt - i;
}

/* Sends a local answer (error page, stats...) to the client; closes afterwards if asked. */
static void send_local(worker *w, conn *c, const uint8_t *p, uint32_t len, int status, int then_close) {
    free(c->local);
    c->local = malloc(len ? len : 1);
    if (!c->local) { conn_close(w, c); return; }
    memcpy(c->local, p, len);
    c->civ[0].iov_base = c->local; c->civ[0].iov_len = len; c->civcnt = 1;
    c->local_then_close = then_close;
    c->status = status;
    c->sphase = S_DONE;
    c->sdl = 0;
    c->cdl = w->now + (c->client_to ? c->client_to : 30000);
    tw_schedule(w, c);
    csend_submit(w, c);
}

static void send_page(worker *w, conn *c, int code, char t0, char t1) {
    const rp_engine_cfg *g = &w->e->cfg;
    const uint8_t *p = NULL; uint32_t n = 0;
    switch (code) {
    case 400: p = g->page_400; n = g->page_400_len; break;
    case 408: p = g->page_408; n = g->page_408_len; break;
    case 502: p = g->page_502; n = g->page_502_len; break;
    case 503: p = g->page_503; n = g->page_503_len; break;
    case 504: p = g->page_504; n = g->page_504_len; break;
    }
    c->term0 = t0; c->term1 = t1;
    if (!p || c->csend) { c->status = code; conn_close(w, c); return; }
    /* the server side is of no more use */
    if (c->sfd >= 0 && !c->srecv && !c->ssend && !c->sconn && !c->pollin) { close(c->sfd); c->sfd = -1; }
    else if (c->sfd >= 0) shutdown(c->sfd, SHUT_RDWR);
    c->server_reuse = 0;
    send_local(w, c, p, n, code, 1);
}

/* Builds iovecs from Swift's answer: slices of `base` stay in place, other bytes are copied. */
static int iov_from_call(const rp_head_call *call, const uint8_t *base, uint32_t baselen,
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

/* Applies a body framing to `avail` bytes at p: returns the bytes that belong to the body. */
static size_t body_take(int kind, int64_t *remain, rp_chunk *ck, int *done, const uint8_t *p, size_t avail, int *err) {
    size_t used = 0;
    *err = 0;
    switch (kind) {
    case RP_BODY_NONE: *done = 1; return 0;
    case RP_BODY_LENGTH:
        used = avail < (uint64_t)*remain ? avail : (size_t)*remain;
        *remain -= (int64_t)used;
        *done = *remain == 0;
        return used;
    case RP_BODY_CHUNKED: {
        int r = rp_chunk_scan(ck, p, avail, &used);
        if (r == RP_CHUNK_ERROR) { *err = 1; return 0; }
        *done = r == RP_CHUNK_DONE;
        return used;
    }
    case RP_BODY_CLOSE: *done = 0; return avail;
    }
    return 0;
}

/* ---------- splice pump for large Content-Length bodies ---------- */

static int pipe_get(worker *w, int fds[2]) {
    if (w->npipes > 0) { w->npipes--; fds[0] = w->pipes[w->npipes][0]; fds[1] = w->pipes[w->npipes][1]; return 0; }
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0) return -1;
    fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
    return 0;
}

static void poll_arm(worker *w, conn *c, int fd, int out) {
    struct io_uring_sqe *s = sqe_get(w);
    io_uring_prep_poll_add(s, fd, out ? POLLOUT : POLLIN);
    io_uring_sqe_set_data64(s, ud(out ? OP_POLL_OUT : OP_POLL_IN, c, w));
    if (out) c->pollout = 1; else c->pollin = 1;
    c->inflight++;
}

/* Moves bytes src -> pipe -> dst with non-blocking splice(2) until both sides would block. */
static void pump_run(worker *w, conn *c) {
    pump *p = &c->pu;
    for (;;) {
        int progressed = 0;
        if (p->in_pipe > 0) {
            ssize_t n = splice(p->pipe[0], NULL, p->dst, NULL, (size_t)p->in_pipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n > 0) {
                p->in_pipe -= n; progressed = 1;
                if (p->dir) c->bytes_out += (uint64_t)n;
            } else if (n < 0 && errno != EAGAIN) { c->term0 = p->dir ? 'C' : 'S'; c->term1 = 'D'; conn_close(w, c); return; }
        }
        if (p->to_read > 0 && p->in_pipe < (1 << 20)) {
            size_t want = (size_t)(p->to_read < (1 << 20) ? p->to_read : (1 << 20));
            ssize_t n = splice(p->src, NULL, p->pipe[1], NULL, want, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n > 0) {
                p->to_read -= n; p->in_pipe += n; progressed = 1;
                if (!p->dir) c->bytes_in += (uint64_t)n;
            } else if (n == 0) { c->term0 = p->dir ? 'S' : 'C'; c->term1 = 'D'; conn_close(w, c); return; }
            else if (errno != EAGAIN) { c->term0 = p->dir ? 'S' : 'C'; c->term1 = 'D'; conn_close(w, c); return; }
        }
        if (p->to_read == 0 && p->in_pipe == 0) {
            pipe_release(w, p);
            if (p->dir) { c->sremain = 0; c->sbody_done = 1; exchange_done(w, c); }
            else {
                c->rremain = 0; c->rbody_done = 1; c->rphase = R_DONE; c->rfill = 0; c->rkeep = 0;
                c->cdl = 0;
                c->splice_req = 0;
            }
            return;
        }
        if (!progressed) break;
    }
    /* would block: wait for the side that blocks */
    if (p->in_pipe > 0 && !c->pollout) poll_arm(w, c, p->dst, 1);
    else if (p->in_pipe == 0 && p->to_read > 0 && !c->pollin) poll_arm(w, c, p->src, 0);
    if (p->dir) { c->sdl = w->now + c->server_to; } else { c->cdl = w->now + c->client_to; }
    tw_schedule(w, c);
}

static int pump_start(worker *w, conn *c, int dir, int64_t remain) {
    pump *p = &c->pu;
    if (pipe_get(w, p->pipe) < 0) return -1;
    p->active = 1; p->dir = dir; p->in_pipe = 0; p->to_read = remain;
    p->src = dir ? c->sfd : c->cfd; p->dst = dir ? c->cfd : c->sfd;
    pump_run(w, c);
    return 0;
}

/* ---------- receiving ---------- */

/* Provided buffers: liburing 2.3 has no io_uring_setup_buf_ring, so the ring memory is
   allocated and registered by hand. */
static int bufring_init(worker *w) {
    void *mem = NULL;
    size_t rsz = NBUFS * sizeof(struct io_uring_buf);
    if (posix_memalign(&mem, 4096, rsz)) return -ENOMEM;
    memset(mem, 0, rsz);
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.ring_addr = (uint64_t)(uintptr_t)mem; reg.ring_entries = NBUFS; reg.bgid = BGID;
    int r = io_uring_register_buf_ring(&w->ring, &reg, 0);
    if (r) { free(mem); return r; }
    w->br = mem;
    io_uring_buf_ring_init(w->br);
    w->bufs = malloc((size_t)NBUFS * PBUFSZ);
    if (!w->bufs) return -ENOMEM;
    for (int i = 0; i < NBUFS; i++)
        io_uring_buf_ring_add(w->br, w->bufs + (size_t)i * PBUFSZ, PBUFSZ, (unsigned short)i, io_uring_buf_ring_mask(NBUFS), i);
    io_uring_buf_ring_advance(w->br, NBUFS);
    return 0;
}

static void cms_arm(worker *w, conn *c);

static void buf_recycle(worker *w, int bid) {
    io_uring_buf_ring_add(w->br, w->bufs + (size_t)bid * PBUFSZ, PBUFSZ, (unsigned short)bid, io_uring_buf_ring_mask(NBUFS), 0);
    io_uring_buf_ring_advance(w->br, 1);
    w->bufs_out--;
    /* connections stopped by ENOBUFS resume once half the buffers are back */
    while (w->bw_head && w->bufs_out < NBUFS / 2) {
        conn *c = w->bw_head; w->bw_head = c->bw_next; c->bw_next = NULL; c->in_bw = 0;
        if (c->state == C_ACTIVE) cms_arm(w, c);
    }
}

#define PENDING(c) ((c)->npend - (c)->phead)

static void pend_release(worker *w, conn *c) {
    for (int i = c->phead; i < c->npend; i++) buf_recycle(w, c->pend[i].bid);
    c->phead = c->npend = 0;
    if (c->pend && c->pend != c->inl) free(c->pend);
    c->pend = c->inl; c->pcap = 16;
    if (c->in_bw) {
        conn **pp = &w->bw_head;
        while (*pp && *pp != c) pp = &(*pp)->bw_next;
        if (*pp) *pp = c->bw_next;
        c->in_bw = 0; c->bw_next = NULL;
    }
}

static void cms_arm(worker *w, conn *c) {
    if (c->cms || c->ceof || c->ccancel || c->splice_req || c->in_bw || c->state != C_ACTIVE || PENDING(c) >= PEND_PAUSE) return;
    struct io_uring_sqe *s = sqe_get(w);
    io_uring_prep_recv_multishot(s, c->cfd, NULL, 0, 0);
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = BGID;
    io_uring_sqe_set_data64(s, ud(OP_CRECV, c, w));
    c->cms = 1; c->inflight++;
}

static void client_data(worker *w, conn *c, uint32_t n);
static void client_eof(worker *w, conn *c, int res);
static int pump_start(worker *w, conn *c, int dir, int64_t remain);

/* The rest of a large request body goes by splice once the multishot receive has stopped and
   everything it had received is forwarded. */
static void req_splice_try(worker *w, conn *c) {
    if (!c->splice_req || c->cms || c->ccancel || PENDING(c) || c->pend_term || c->state != C_ACTIVE) return;
    if (c->rphase != R_BODY || c->ssend || !c->cwant || c->rremain <= 0 || c->pu.active) return;
    c->cwant = 0;
    c->rfill = 0; c->rkeep = 0;
    if (pump_start(w, c, 0, c->rremain) < 0) { c->cwant = 1; c->splice_req = 0; cms_arm(w, c); }
}

/* Hands received bytes to the exchange while it wants them, in order, then the end of stream. */
static void pump_input(worker *w, conn *c) {
    if (c->cpump) return;
    c->cpump = 1;
    while (c->state == C_ACTIVE && c->cwant) {
        if (PENDING(c) > 0) {
            uint32_t room = BUFSZ - c->rfill;
            if (room == 0) break;
            struct pbuf *b = &c->pend[c->phead];
            uint32_t n = b->len < room ? b->len : room;
            memcpy(c->rbuf + c->rfill, w->bufs + (size_t)b->bid * PBUFSZ + b->off, n);
            b->off += (uint16_t)n; b->len -= (uint16_t)n;
            if (b->len == 0) {
                buf_recycle(w, b->bid);
                if (++c->phead == c->npend) c->phead = c->npend = 0;
            }
            c->cwant = 0;
            client_data(w, c, n);
            continue;
        }
        if (c->pend_term) {
            int t = c->pend_term; c->pend_term = 0; c->cwant = 0;
            client_eof(w, c, t == 1 ? 0 : t);
        }
        break;
    }
    c->cpump = 0;
    if (c->state == C_ACTIVE && !c->cms && PENDING(c) < PEND_PAUSE / 2) cms_arm(w, c);
    req_splice_try(w, c);
}

/* A completion of the client's multishot receive. */
static void on_client_recv(worker *w, conn *c, int res, uint32_t flags) {
    int more = flags & IORING_CQE_F_MORE;
    /* the last completion of the multishot: it is over, whatever a pending cancel finds */
    if (!more) { c->cms = 0; c->inflight--; if (res > 0) c->ccancel = 0; }
    if (res > 0) {
        int bid = (int)(flags >> IORING_CQE_BUFFER_SHIFT);
        w->bufs_out++;
        if (c->state != C_ACTIVE) {
            buf_recycle(w, bid);
            if (c->state == C_CLOSING && c->inflight == 0) conn_free(w, c);
            return;
        }
        if (c->npend == c->pcap) {
            if (c->phead > 0) {            /* reuse the consumed front first */
                memmove(c->pend, c->pend + c->phead, (size_t)PENDING(c) * sizeof *c->pend);
                c->npend -= c->phead; c->phead = 0;
            } else {
                int ncap = c->pcap * 2;
                struct pbuf *np = c->pend == c->inl ? malloc((size_t)ncap * sizeof *np) : realloc(c->pend, (size_t)ncap * sizeof *np);
                if (!np) { buf_recycle(w, bid); c->term0 = 'R'; c->term1 = 'D'; conn_close(w, c); return; }
                if (c->pend == c->inl) memcpy(np, c->inl, sizeof c->inl);
                c->pend = np; c->pcap = ncap;
            }
        }
        c->pend[c->npend].bid = (uint16_t)bid; c->pend[c->npend].off = 0; c->pend[c->npend].len = (uint16_t)res;
        c->npend++;
        if (PENDING(c) >= PEND_PAUSE && c->cms && !c->ccancel) {
            /* back-pressure: stop receiving until the exchange has used what it has */
            struct io_uring_sqe *s = sqe_get(w);
            io_uring_prep_cancel64(s, ud(OP_CRECV, c, w), 0);
            io_uring_sqe_set_data64(s, (uint64_t)OP_IGNORE << 56);
            c->ccancel = 1;
        }
        if (c->cwant) pump_input(w, c);
        else if (!c->cms && !more) cms_arm(w, c);
        req_splice_try(w, c);
        return;
    }
    if (c->state != C_ACTIVE) { if (c->state == C_CLOSING && c->inflight == 0) conn_free(w, c); return; }
    if (res == -ECANCELED && c->ccancel) {
        c->ccancel = 0;
        if (c->cwant) pump_input(w, c);
        req_splice_try(w, c);
        return;
    }
    if (res == -ENOBUFS) {
        if (!c->in_bw) { c->in_bw = 1; c->bw_next = w->bw_head; w->bw_head = c; }
        return;
    }
    c->ccancel = 0;
    c->ceof = 1;
    c->pend_term = res == 0 ? 1 : res;
    if (PENDING(c) > 0) return;
    if (c->cwant) { pump_input(w, c); return; }
    /* nothing pending and not reading: a close that matters now (abortonclose, half-close) */
    if (c->rphase == R_CONNECT || c->rphase == R_QUEUED || c->rphase == R_WAIT_RETRY || c->rphase == R_DONE) {
        c->pend_term = 0;
        client_eof(w, c, res);
    }
}

/* POLL_FIRST: when the peer cannot have answered yet (we just sent it something), arm the
   poll directly instead of trying a receive that would fail first. */
static void crecv_arm_opt(worker *w, conn *c, int poll_first) {
    if (w->use_ms) {
        c->cwant = 1;
        if (PENDING(c) || c->pend_term) pump_input(w, c);
        else cms_arm(w, c);
        return;
    }
    if (c->crecv || c->state != C_ACTIVE) return;
    struct io_uring_sqe *s = sqe_get(w);
    io_uring_prep_recv(s, c->cfd, c->rbuf + c->rfill, BUFSZ - c->rfill, 0);
    if (poll_first) s->ioprio |= IORING_RECVSEND_POLL_FIRST;
    io_uring_sqe_set_data64(s, ud(OP_CRECV, c, w));
    c->crecv = 1; c->inflight++;
}
static void crecv_arm(worker *w, conn *c) { crecv_arm_opt(w, c, 0); }

/* option abortonclose: while the request waits for a server (queued, connecting, pausing
   before a retry) nothing reads the client; peek so that its close is seen without consuming
   bytes that belong to the request or to a pipelined one. */
static void cpeek_arm(worker *w, conn *c) {
    if (w->use_ms) return;          /* the multishot receive already reports the close */
    if (c->cpeek || c->crecv || c->state != C_ACTIVE || c->cfd < 0) return;
    struct io_uring_sqe *s = sqe_get(w);
    io_uring_prep_recv(s, c->cfd, &c->peekbyte, 1, MSG_PEEK);
    io_uring_sqe_set_data64(s, ud(OP_CPEEK, c, w));
    c->cpeek = 1; c->inflight++;
}

static void srecv_arm_opt(worker *w, conn *c, int poll_first) {
    if (c->srecv || c->state != C_ACTIVE || c->sfd < 0) return;
    struct io_uring_sqe *s = sqe_get(w);
    io_uring_prep_recv(s, c->sfd, c->sbuf + c->sfill, BUFSZ - c->sfill, 0);
    if (poll_first) s->ioprio |= IORING_RECVSEND_POLL_FIRST;
    io_uring_sqe_set_data64(s, ud(OP_SRECV, c, w));
    c->srecv = 1; c->inflight++;
}
static void srecv_arm(worker *w, conn *c) { srecv_arm_opt(w, c, 0); }

/* A new request may start: parse what is kept in the buffer, or wait for bytes. */
static void request_begin(worker *w, conn *c) {
    c->rphase = R_HEAD;
    c->sphase = S_NONE;
    c->t_head = c->t_conn_first = c->t_conn_start = c->t_connected = c->t_resp = 0;
    c->status = -1; c->bytes_in = c->bytes_out = 0; c->term0 = c->term1 = '-';
    c->retries_done = 0; c->redispatched = 0; c->logged = 0;
    c->server_reuse = 0; c->server_close = 0;
    c->sdl = 0;
    c->t_start = w->now;
    c->t_accept_rt = realtime_us();
    if (c->rkeep < c->rfill) {
        memmove(c->rbuf, c->rbuf + c->rkeep, c->rfill - c->rkeep);
        c->rfill -= c->rkeep; c->rkeep = 0;
        request_head(w, c);
    } else {
        c->rfill = 0; c->rkeep = 0;
        const rp_listener_cfg *l = &w->e->listeners[c->listener];
        uint32_t hr = l->http_request_timeout_ms ? l->http_request_timeout_ms : c->client_to;
        uint32_t t = c->req_index ? (l->keepalive_timeout_ms ? l->keepalive_timeout_ms : hr) : hr;
        c->cdl = t ? w->now + t : 0;
        tw_schedule(w, c);
        crecv_arm_opt(w, c, c->req_index > 0);   /* keep-alive: the next request comes later */
    }
}

/* Sends the request head (and any body bytes already here) to the server. */
static void request_send_head(worker *w, conn *c) {
    c->t_connected = c->t_connected ? c->t_connected : w->now;
    c->rphase = c->rbody_done ? R_DONE : R_BODY;
    c->sphase = S_HEAD; c->sfill = 0;
    c->sdl = c->server_to ? w->now + c->server_to : 0;
    tw_schedule(w, c);
    srecv_arm_opt(w, c, 1);                      /* the server has not seen the request yet */
    ssend_submit(w, c);
}

static void request_head(worker *w, conn *c) {
    rp_head_call *call = &w->call;
    memset(call, 0, offsetof(rp_head_call, iov));
    call->worker = w->id; call->slot = (uint32_t)(c - w->conns);
    call->frontend = c->frontend; call->buf = c->rbuf; call->len = c->rfill;
    call->client = &c->caddr; call->request_index = c->req_index; call->server = -1;
    call->head_too_big = c->rfill >= BUFSZ;
    call->verdict = RP_NEED_MORE; call->iovcnt = 0; call->resp = NULL; call->resp_len = 0;
    call->server_out = -1; call->close_after = 0; call->server_reuse = 0; call->status_hint = 0;
    call->connect_timeout_ms = call->server_timeout_ms = call->client_timeout_ms = 0;
    w->e->cfg.cb.on_request(w->e->cfg.cb.ctx, call);
    if (call->client_timeout_ms) c->client_to = call->client_timeout_ms;

    if (call->verdict == RP_NEED_MORE) {
        if (call->head_too_big) { send_page(w, c, 400, 'P', 'R'); return; }
        crecv_arm(w, c);
        return;
    }
    c->t_head = w->now;
    c->close_after = call->close_after;
    if (call->verdict == RP_RESPOND) {
        c->rkeep = call->head_len ? call->head_len : c->rfill;
        if (call->body != RP_BODY_NONE) c->close_after = 1;   /* unread body: don't reuse */
        c->term0 = call->status_hint >= 400 && call->status_hint != 401 ? 'P' : '-';
        c->term1 = call->status_hint >= 400 && call->status_hint != 401 ? 'R' : '-';
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
    c->rbody = call->body; c->rremain = call->body_len; rp_chunk_init(&c->rchunk); c->rbody_done = 0;
    int n = iov_from_call(call, c->rbuf, c->rfill, c->rins, c->siov);
    if (n < 0) { send_page(w, c, 400, 'P', 'R'); return; }
    uint32_t off = call->head_len;
    int err = 0, done = 0;
    size_t used = body_take(c->rbody, &c->rremain, &c->rchunk, &done, c->rbuf + off, c->rfill - off, &err);
    if (err) { send_page(w, c, 400, 'P', 'R'); return; }
    if (used) { c->siov[n].iov_base = c->rbuf + off; c->siov[n].iov_len = used; n++; }
    c->siovcnt = n;
    c->rbody_done = done;
    c->replayable = done;
    memcpy(c->siov0, c->siov, (size_t)n * sizeof *c->siov); c->siovcnt0 = n;
    c->rkeep = done ? off + (uint32_t)used : c->rfill;
    c->cdl = 0;
    c->rphase = R_CONNECT;
    connect_start(w, c);
}

/* ---------- server connections ---------- */

static int pool_take(worker *w, int server) {
    while (w->pool_n[server] > 0) {
        pool_entry *pe = &w->pool[server][--w->pool_n[server]];
        int fd = pe->fd;
        /* Recently used: trust it (a request that finds it dead is replayed on a fresh
           connection). Idle for a while: check the server has not closed it meanwhile. */
        if (pe->since + 1000 > w->now) return fd;
        char b;
        ssize_t r = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
        if (r < 0 && errno == EAGAIN) return fd;      /* alive and quiet */
        close(fd);                                   /* closed by the server, or garbage */
    }
    return -1;
}
/* Idle server connections are closed after 5 s unused (HAProxy's pool-purge-delay default),
   so a burst does not leave hundreds of descriptors open. Oldest entries are at the front. */
#define POOL_PURGE_MS 5000
static void pool_purge(worker *w) {
    for (int s = 0; s < w->e->cfg.nservers; s++) {
        int k = 0;
        while (k < w->pool_n[s] && w->pool[s][k].since + POOL_PURGE_MS <= w->now) close(w->pool[s][k++].fd);
        if (k) {
            memmove(&w->pool[s][0], &w->pool[s][k], (size_t)(w->pool_n[s] - k) * sizeof(pool_entry));
            w->pool_n[s] -= k;
        }
    }
}

static void pool_put(worker *w, int server, int fd) {
    if (w->pool_n[server] >= w->pool_cap) {   /* full: drop the coldest */
        close(w->pool[server][0].fd);
        memmove(&w->pool[server][0], &w->pool[server][1], (size_t)(w->pool_cap - 1) * sizeof(pool_entry));
        w->pool_n[server]--;
    }
    w->pool[server][w->pool_n[server]].fd = fd;
    w->pool[server][w->pool_n[server]].since = w->now;
    w->pool_n[server]++;
}

/* ---------- server maxconn: slots and queues ---------- */

static void queue_remove(worker *w, conn *c) {
    int s = c->server;
    conn **pp = &w->q_head[s], *prev = NULL;
    while (*pp && *pp != c) { prev = *pp; pp = &(*pp)->q_next; }
    if (!*pp) return;
    *pp = c->q_next;
    if (w->q_tail[s] == c) w->q_tail[s] = prev;
    c->q_next = NULL;
    w->queued--;
    atomic_fetch_sub(&w->e->srv_queued[s], 1);
}

static void queue_kick(worker *w, int s) {
    while (w->q_head[s]) {
        int mc = w->e->servers[s].maxconn;
        if (mc > 0 && atomic_load(&w->e->srv_active[s]) >= mc) return;
        conn *c = w->q_head[s];
        queue_remove(w, c);
        c->rphase = R_CONNECT;
        c->sdl = 0;
        connect_start(w, c);
    }
}

static void srv_release(worker *w, conn *c) {
    if (!c->holds_slot) return;
    c->holds_slot = 0;
    atomic_fetch_sub(&w->e->srv_active[c->server], 1);
    if (w->q_head[c->server]) queue_kick(w, c->server);
}

static void connect_start(worker *w, conn *c) {
    const rp_engine *e = w->e;
    if (c->abort_on_close && c->rbody_done) cpeek_arm(w, c);
    if (c->server >= 0 && c->server < e->cfg.nservers && !c->holds_slot && e->servers[c->server].maxconn > 0) {
        int mc = e->servers[c->server].maxconn;
        if (atomic_fetch_add(&e->srv_active[c->server], 1) >= mc) {
            atomic_fetch_sub(&e->srv_active[c->server], 1);
            /* wait in the server's queue until a slot frees, at most `timeout queue` */
            c->rphase = R_QUEUED;
            c->q_next = NULL;
            if (w->q_tail[c->server]) w->q_tail[c->server]->q_next = c; else w->q_head[c->server] = c;
            w->q_tail[c->server] = c;
            w->queued++;
            atomic_fetch_add(&e->srv_queued[c->server], 1);
            c->sdl = w->now + (c->queue_to ? c->queue_to : c->connect_to);
            tw_schedule(w, c);
            return;
        }
        c->holds_slot = 1;
    }
    if (c->server < 0 || c->server >= e->cfg.nservers) { send_page(w, c, 503, 'S', 'C'); return; }
    c->t_conn_start = w->now;
    if (!c->t_conn_first) c->t_conn_first = w->now;
    c->pooled_server = 0;
    if (c->server_reuse) {
        int fd = pool_take(w, c->server);
        if (fd >= 0) {
            c->sfd = fd; c->pooled_server = 1; c->t_connected = w->now;
            request_send_head(w, c);
            return;
        }
    }
    const rp_server_cfg *sv = &e->servers[c->server];
    int fd = socket(sv->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) { send_page(w, c, 503, 'R', 'C'); return; }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->sfd = fd;
    struct io_uring_sqe *s = sqe_get(w);
    io_uring_prep_connect(s, fd, (const struct sockaddr *)&sv->addr, sv->addrlen);
    io_uring_sqe_set_data64(s, ud(OP_CONNECT, c, w));
    s->flags |= IOSQE_IO_LINK;
    struct io_uring_sqe *t = sqe_get(w);
    c->cts.tv_sec = c->connect_to / 1000; c->cts.tv_nsec = (long long)(c->connect_to % 1000) * 1000000;
    io_uring_prep_link_timeout(t, &c->cts, 0);
    io_uring_sqe_set_data64(t, ud(OP_LTIMEOUT, c, w));
    c->sconn = 1; c->inflight += 2;
}

/* An idle pooled server connection died as we used it (the server closed it meanwhile):
   send the same request once more on a fresh connection, if nothing of it is lost. */
static int server_replay(worker *w, conn *c) {
    if (!c->pooled_server || !c->replayable || c->sfill != 0 || c->status >= 0 || c->csend) return 0;
    if (c->ssend || c->srecv) { shutdown(c->sfd, SHUT_RDWR); return 1; }   /* wait for the other op */
    close(c->sfd); c->sfd = -1;
    c->pooled_server = 0; c->server_reuse = 0;
    memcpy(c->siov, c->siov0, (size_t)c->siovcnt0 * sizeof *c->siov); c->siovcnt = c->siovcnt0;
    c->rphase = R_CONNECT;
    connect_start(w, c);
    return 1;
}

/* A connection attempt failed: retry, redispatch, or answer 503. */
static void connect_failed(worker *w, conn *c, int err) {
    if (c->sfd >= 0) { close(c->sfd); c->sfd = -1; }
    if (c->abort_on_close && c->cli_eof) { c->term0 = 'C'; c->term1 = 'C'; conn_close(w, c); return; }
    if (c->retries_left <= 0) { srv_release(w, c); c->t_connected = 0; send_page(w, c, 503, 'S', 'C'); return; }
    c->retries_left--;
    c->retries_done++;
    int old = c->server;
    srv_release(w, c);
    if (c->redispatch && (c->redispatch == 2 || c->retries_left == 0) && w->e->cfg.cb.on_redispatch) {
        int ns = w->e->cfg.cb.on_redispatch(w->e->cfg.cb.ctx, w->id, (uint32_t)(c - w->conns), old, c->rbuf, c->rfill);
        if (ns >= 0) { c->server = ns; c->redispatched = 1; if (c->redispatch == 2) c->redispatch = 1; }
    }
    if (c->server != old || err == -ETIME || err == -ECANCELED) { connect_start(w, c); return; }
    /* an immediate failure on the same server: HAProxy's turn-around pause */
    uint32_t pause = c->connect_to < 1000 ? c->connect_to : 1000;
    c->rphase = R_WAIT_RETRY;
    c->sdl = w->now + pause;
    tw_schedule(w, c);
}

/* ---------- the exchange ends ---------- */

static void exchange_done(worker *w, conn *c) {
    if (c->state != C_ACTIVE) return;
    int reuse = c->server_reuse && !c->server_close && c->sbody_done && c->rphase == R_DONE && c->sfd >= 0
                && c->sfill == 0 && !c->srecv && !c->ssend && !c->pollin && !c->pollout;
    log_done(w, c);
    srv_release(w, c);
    if (c->sfd >= 0) {
        if (reuse) { pool_put(w, c->server, c->sfd); c->sfd = -1; }
        else if (!c->srecv && !c->ssend && !c->sconn && !c->pollin && !c->pollout) { close(c->sfd); c->sfd = -1; }
        else { shutdown(c->sfd, SHUT_RDWR); c->close_after = 1; }
    }
    if (c->close_after || c->rphase != R_DONE || c->cli_eof || w->stopping) { conn_close(w, c); return; }
    c->req_index++;
    c->server = -1;
    request_begin(w, c);
}

/* ---------- response ---------- */

static void response_head(worker *w, conn *c) {
    rp_head_call *call = &w->call;
    memset(call, 0, offsetof(rp_head_call, iov));
    call->worker = w->id; call->slot = (uint32_t)(c - w->conns);
    call->frontend = c->frontend; call->buf = c->sbuf; call->len = c->sfill;
    call->client = &c->caddr; call->request_index = c->req_index; call->server = c->server;
    call->head_too_big = c->sfill >= BUFSZ;
    call->verdict = RP_NEED_MORE; call->iovcnt = 0; call->close_after = c->close_after;
    call->server_reuse = c->server_reuse; call->resp = NULL;
    w->e->cfg.cb.on_response(w->e->cfg.cb.ctx, call);
    if (call->verdict == RP_NEED_MORE) {
        if (call->head_too_big) { send_page(w, c, 502, 'P', 'H'); return; }
        srecv_arm(w, c);
        return;
    }
    if (call->verdict == RP_RESPOND) {   /* invalid response: 502 */
        c->term0 = 'P'; c->term1 = 'H';
        c->server_reuse = 0;
        if (c->sfd >= 0) shutdown(c->sfd, SHUT_RDWR);
        send_local(w, c, call->resp, call->resp_len, call->status_hint ? call->status_hint : 502, 1);
        return;
    }
    if (!c->t_resp) c->t_resp = w->now;
    int n = iov_from_call(call, c->sbuf, c->sfill, c->sins, c->civ);
    if (n < 0) { send_page(w, c, 502, 'P', 'H'); return; }
    uint32_t off = call->head_len;
    if (call->verdict == RP_INTERIM) {
        /* a 1xx head: copy it (it is small), forward it, then parse what follows as a head */
        size_t used = 0;
        for (int i = 0; i < call->iovcnt; i++) {
            if (used + call->iov[i].iov_len > INSZ) { send_page(w, c, 502, 'P', 'H'); return; }
            memcpy(c->sins + used, call->iov[i].iov_base, call->iov[i].iov_len);
            used += call->iov[i].iov_len;
        }
        memmove(c->sbuf, c->sbuf + off, c->sfill - off);
        c->sfill -= off;
        c->civ[0].iov_base = c->sins; c->civ[0].iov_len = used; c->civcnt = 1;
        c->sphase = S_HEAD;
        csend_submit(w, c);
        return;
    }
    c->status = call->status_hint;
    if (call->close_after) c->close_after = 1;
    if (!call->server_reuse) c->server_reuse = 0;
    c->sbody = call->body; c->sremain = call->body_len; rp_chunk_init(&c->schunk); c->sbody_done = 0;
    int err = 0, done = 0;
    size_t used = body_take(c->sbody, &c->sremain, &c->schunk, &done, c->sbuf + off, c->sfill - off, &err);
    if (err) { c->server_reuse = 0; c->close_after = 1; }
    if (used) { c->civ[n].iov_base = c->sbuf + off; c->civ[n].iov_len = used; n++; }
    if (off + used < c->sfill) c->server_close = 1;           /* bytes after the response: don't reuse */
    c->civcnt = n;
    c->sbody_done = done;
    c->sphase = done ? S_DONE : S_BODY;
    c->sfill = 0;
    c->sdl = 0;
    c->cdl = c->client_to ? w->now + c->client_to : 0;
    tw_schedule(w, c);
    csend_submit(w, c);
}

/* ---------- completions ---------- */

static void on_accept(worker *w, int li, int res, uint32_t flags) {
    if (!(flags & IORING_CQE_F_MORE)) w->accepting[li] = 0;
    if (res < 0) {
        if (!w->accepting[li] && !w->stopping && res != -ECANCELED) accept_arm(w, li);
        return;
    }
    conn *c = conn_alloc(w);
    if (!c) { close(res); return; }
    c->cfd = res; c->listener = li; c->frontend = w->e->listeners[li].frontend;
    socklen_t sl = sizeof c->caddr;
    getpeername(res, (struct sockaddr *)&c->caddr, &sl);
    c->client_to = w->e->listeners[li].client_timeout_ms;
    c->req_index = 0;
    w->active++; w->lactive[li]++;
    atomic_fetch_add(&w->e->active, 1);
    /* maxconn: stop accepting when full; excess clients wait in the kernel's backlog */
    int flim = w->e->listeners[li].maxconn;
    int per = flim > 0 ? (flim + w->e->nw - 1) / w->e->nw : 0;
    if ((w->active >= w->limit || (per && w->lactive[li] >= per)) && w->accepting[li]) {
        struct io_uring_sqe *s = sqe_get(w);
        io_uring_prep_cancel64(s, ((uint64_t)OP_ACCEPT << 56) | (uint32_t)li, 0);
        io_uring_sqe_set_data64(s, (uint64_t)OP_IGNORE << 56);
    }
    request_begin(w, c);
}

static void accept_arm(worker *w, int li) {
    if (w->accepting[li] || w->lfd[li] < 0) return;
    struct io_uring_sqe *s = sqe_get(w);
    io_uring_prep_multishot_accept(s, w->lfd[li], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    io_uring_sqe_set_data64(s, ((uint64_t)OP_ACCEPT << 56) | (uint32_t)li);
    w->accepting[li] = 1;
}

/* ---------- client bytes and client end of stream (both receive modes) ---------- */

static void client_eof(worker *w, conn *c, int res) {
    (void)res;
    c->cli_eof = 1;
    if (c->rphase == R_HEAD) {
        if (c->rfill > 0 || c->req_index == 0) { c->term0 = 'C'; c->term1 = 'R'; c->status = c->rfill ? 400 : -1; }
        conn_close(w, c); return;
    }
    if (c->rphase == R_BODY) { c->term0 = 'C'; c->term1 = 'D'; conn_close(w, c); return; }
    if ((c->rphase == R_CONNECT || c->rphase == R_WAIT_RETRY || c->rphase == R_QUEUED) && c->abort_on_close) {
        c->term0 = 'C'; c->term1 = c->rphase == R_QUEUED ? 'Q' : 'C'; conn_close(w, c); return;
    }
    /* half-closed client: finish the response, then close */
}

static void client_data(worker *w, conn *c, uint32_t n) {
    c->rfill += n;
    c->bytes_in += n;
    if (c->rphase == R_HEAD) { request_head(w, c); return; }
    if (c->rphase == R_BODY) {
        int err = 0, done = 0;
        size_t used = body_take(c->rbody, &c->rremain, &c->rchunk, &done, c->rbuf, c->rfill, &err);
        if (err) { c->term0 = 'C'; c->term1 = 'D'; conn_close(w, c); return; }
        c->rbody_done = done;
        c->rkeep = done ? (uint32_t)used : c->rfill;
        c->siov[0].iov_base = c->rbuf; c->siov[0].iov_len = used; c->siovcnt = used ? 1 : 0;
        if (c->siovcnt) ssend_submit(w, c);
        else if (done) { c->rphase = R_DONE; }
        else crecv_arm(w, c);
        return;
    }
    /* bytes while waiting (pipelined next request): keep them, read no more */
}

static void handle_cqe(worker *w, struct io_uring_cqe *cqe) {
    uint64_t d = cqe->user_data;
    int op = (int)(d >> 56);
    int res = cqe->res;
    if (op == OP_IGNORE || op == 0) return;
    if (op == OP_ACCEPT) { on_accept(w, (int)(uint32_t)d, res, cqe->flags); return; }
    uint32_t slot = (uint32_t)d;
    if (slot >= (uint32_t)w->nconns) return;
    conn *c = &w->conns[slot];
    if (op == OP_CRECV && w->use_ms) { on_client_recv(w, c, res, cqe->flags); return; }
    c->inflight--;
    switch (op) {
    case OP_CRECV: c->crecv = 0; break;
    case OP_CSEND: c->csend = 0; break;
    case OP_SRECV: c->srecv = 0; break;
    case OP_SSEND: c->ssend = 0; break;
    case OP_CONNECT: c->sconn = 0; break;
    case OP_POLL_IN: c->pollin = 0; break;
    case OP_POLL_OUT: c->pollout = 0; break;
    case OP_CPEEK: c->cpeek = 0; break;
    }
    if (c->state == C_CLOSING) { if (c->inflight == 0) conn_free(w, c); return; }
    if (c->state != C_ACTIVE) return;

    switch (op) {
    case OP_LTIMEOUT:
        return;
    case OP_CPEEK:
        /* EOF (0) or an error while waiting for a server: the client is gone; bytes: not yet */
        if (res <= 0 && res != -EINTR && c->abort_on_close
            && (c->rphase == R_CONNECT || c->rphase == R_WAIT_RETRY || c->rphase == R_QUEUED)) {
            c->cli_eof = 1;
            c->term0 = 'C'; c->term1 = c->rphase == R_QUEUED ? 'Q' : 'C';
            conn_close(w, c);
        }
        return;
    case OP_CONNECT:
        if (res < 0) { connect_failed(w, c, res); return; }
        c->t_connected = w->now;
        request_send_head(w, c);
        return;
    case OP_SSEND:
        if (res < 0) {
            if (server_replay(w, c)) return;
            if (c->sphase == S_HEAD && !c->csend) send_page(w, c, 502, 'S', 'H');
            else { c->term0 = 'S'; c->term1 = 'D'; conn_close(w, c); }
            return;
        }
        c->siovcnt = iov_advance(c->siov, c->siovcnt, (size_t)res);
        if (c->siovcnt > 0) { ssend_submit(w, c); return; }
        if (c->rbody_done) { c->rphase = R_DONE; c->cdl = 0; return; }
        /* more request body to come */
        c->rphase = R_BODY;
        if (c->rbody == RP_BODY_LENGTH && w->e->cfg.splice_threshold > 0 && c->rremain >= w->e->cfg.splice_threshold) {
            if (!w->use_ms) {
                c->rfill = 0; c->rkeep = 0;
                if (pump_start(w, c, 0, c->rremain) == 0) return;
            } else if (!c->splice_req) {
                /* With a multishot receive the next bytes may already sit in provided buffers,
                   ahead of the socket: stop it, copy what it got, then splice the rest. */
                c->splice_req = 1;
                if (c->cms && !c->ccancel) {
                    struct io_uring_sqe *sq = sqe_get(w);
                    io_uring_prep_cancel64(sq, ud(OP_CRECV, c, w), 0);
                    io_uring_sqe_set_data64(sq, (uint64_t)OP_IGNORE << 56);
                    c->ccancel = 1;
                }
            }
        }
        c->rfill = 0; c->rkeep = 0;
        c->cdl = c->client_to ? w->now + c->client_to : 0;
        tw_schedule(w, c);
        crecv_arm(w, c);
        req_splice_try(w, c);
        return;
    case OP_CRECV:
        if (res <= 0) {
            if (res == -EINTR || res == -EAGAIN) { crecv_arm(w, c); return; }
            client_eof(w, c, res);
            return;
        }
        client_data(w, c, (uint32_t)res);
        return;
    case OP_SRECV:
        if (res <= 0) {
            if (res == -EINTR || res == -EAGAIN) { srecv_arm(w, c); return; }
            if (c->sphase == S_HEAD) {
                if (server_replay(w, c)) return;
                if (c->status < 0 && !c->csend) { send_page(w, c, 502, 'S', 'H'); return; }
                conn_close(w, c); return;
            }
            if (c->sphase == S_BODY && c->sbody == RP_BODY_CLOSE) {
                c->sbody_done = 1; c->server_close = 1; c->close_after = 1;
                if (!c->csend) exchange_done(w, c);
                return;
            }
            if (c->sphase == S_BODY) { c->term0 = 'S'; c->term1 = 'D'; conn_close(w, c); return; }
            c->server_close = 1;    /* idle server closed: fine */
            return;
        }
        c->sfill += (uint32_t)res;
        if (c->sphase == S_HEAD) { response_head(w, c); return; }
        if (c->sphase == S_BODY) {
            int err = 0, done = 0;
            size_t used = body_take(c->sbody, &c->sremain, &c->schunk, &done, c->sbuf, c->sfill, &err);
            if (err) { c->term0 = 'S'; c->term1 = 'D'; conn_close(w, c); return; }
            if (used < c->sfill) c->server_close = 1;
            c->sbody_done = done;
            if (done) c->sphase = S_DONE;
            c->civ[0].iov_base = c->sbuf; c->civ[0].iov_len = used; c->civcnt = used ? 1 : 0;
            c->sfill = 0;
            c->cdl = c->client_to ? w->now + c->client_to : 0;
            tw_schedule(w, c);
            if (c->civcnt) csend_submit(w, c);
            else if (done) exchange_done(w, c);
            return;
        }
        /* unexpected bytes from the server after the response */
        c->server_close = 1; c->sfill = 0;
        return;
    case OP_CSEND:
        if (res < 0) { c->term0 = 'C'; c->term1 = 'D'; conn_close(w, c); return; }
        c->bytes_out += (uint64_t)res;
        c->civcnt = iov_advance(c->civ, c->civcnt, (size_t)res);
        if (c->civcnt > 0) { csend_submit(w, c); return; }
        if (c->local) {
            free(c->local); c->local = NULL;
            if (c->local_then_close) { conn_close(w, c); return; }
            c->rphase = R_DONE;
            c->sbody_done = 1;
            exchange_done(w, c);
            return;
        }
        if (c->sphase == S_HEAD) {                                   /* after a 1xx */
            if (c->sfill > 0) response_head(w, c); else srecv_arm(w, c);
            return;
        }
        if (c->sbody_done) { exchange_done(w, c); return; }
        if (c->sbody == RP_BODY_LENGTH && w->e->cfg.splice_threshold > 0 && c->sremain >= w->e->cfg.splice_threshold) {
            if (pump_start(w, c, 1, c->sremain) == 0) return;
        }
        c->sdl = c->server_to ? w->now + c->server_to : 0;
        c->cdl = 0;
        tw_schedule(w, c);
        srecv_arm(w, c);
        return;
    case OP_POLL_IN:
    case OP_POLL_OUT:
        if (c->pu.active) pump_run(w, c);
        return;
    }
}

/* ---------- timers firing ---------- */

static void conn_timeout(worker *w, conn *c) {
    int64_t now = w->now;
    if (c->sdl && c->sdl <= now) {
        c->sdl = 0;
        if (c->rphase == R_WAIT_RETRY) { c->rphase = R_CONNECT; connect_start(w, c); return; }
        if (c->rphase == R_QUEUED) { queue_remove(w, c); send_page(w, c, 503, 's', 'Q'); return; }
        if (c->sphase == S_HEAD) { send_page(w, c, 504, 's', 'H'); return; }
        c->term0 = 's'; c->term1 = 'D'; conn_close(w, c); return;
    }
    if (c->cdl && c->cdl <= now) {
        c->cdl = 0;
        if (c->rphase == R_HEAD) {
            if (c->req_index > 0 && c->rfill == 0) { conn_close(w, c); return; }   /* idle keep-alive */
            send_page(w, c, 408, 'c', 'R'); return;
        }
        c->term0 = 'c'; c->term1 = c->rphase == R_BODY ? 'D' : 'D';
        conn_close(w, c);
    }
}

static void timers_run(worker *w) {
    int64_t tick = w->now / TW_TICK_MS;
    if (tick <= w->tw_done) return;
    int64_t from = w->tw_done + 1;
    if (tick - from >= TW_SLOTS) from = tick - TW_SLOTS + 1;
    for (int64_t t = from; t <= tick; t++) {
        int slot = (int)(t % TW_SLOTS);
        conn *list = w->wheel[slot];
        w->wheel[slot] = NULL;
        while (list) {
            conn *c = list; list = c->tw_next;
            c->in_wheel = 0; c->tw_next = c->tw_prev = NULL;
            if (c->state != C_ACTIVE) continue;
            int64_t dl = conn_deadline(c);
            if (!dl) continue;
            if (dl > w->now) { w->tw_done = t; tw_link(w, c, dl); continue; }
            conn_timeout(w, c);
            if (c->state == C_ACTIVE && conn_deadline(c)) tw_schedule(w, c);
        }
        w->tw_done = t;
    }
    w->tw_done = tick;
}

/* ---------- the worker ---------- */

static int ring_init(worker *w) {
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE;
    p.cq_entries = 16384;
    int r = io_uring_queue_init_params(4096, &w->ring, &p);
    if (r == -EINVAL) {
        memset(&p, 0, sizeof p);
        p.flags = IORING_SETUP_CQSIZE; p.cq_entries = 16384;
        r = io_uring_queue_init_params(4096, &w->ring, &p);
    }
    return r;
}

/* Stops listening now. close() alone is not enough: the pending multishot accept holds a
   reference to the socket, which would go on listening (and accepting). shutdown() takes it
   out of the LISTEN state at once; the cancel ends the multishot accept (its last CQE clears
   w->accepting). Connections already in the backlog are accepted first, to be served. */
static void listeners_close(worker *w, int drain) {
    for (int i = 0; i < w->e->cfg.nlisteners; i++) {
        int fd = w->lfd[i];
        if (fd < 0) continue;
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);   /* the drain must not block */
        int flim = w->e->listeners[i].maxconn;
        int per = flim > 0 ? (flim + w->e->nw - 1) / w->e->nw : 0;    /* as on_accept counts */
        while (drain && w->active < w->limit && (!per || w->lactive[i] < per)) {
            int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (cfd < 0) break;
            on_accept(w, i, cfd, IORING_CQE_F_MORE);
        }
        shutdown(fd, SHUT_RDWR);
        if (w->accepting[i]) {
            struct io_uring_sqe *s = sqe_get(w);
            io_uring_prep_cancel64(s, ((uint64_t)OP_ACCEPT << 56) | (uint32_t)i, 0);
            io_uring_sqe_set_data64(s, (uint64_t)OP_IGNORE << 56);
        }
        close(fd);
        w->lfd[i] = -1;
    }
}

static int any_accepting(worker *w) {
    for (int i = 0; i < w->e->cfg.nlisteners; i++) if (w->accepting[i]) return 1;
    return 0;
}

static void worker_soft_stop(worker *w) {
    w->stopping = 1;
    listeners_close(w, 1);
    for (int i = 0; i < w->nconns; i++) {
        conn *c = &w->conns[i];
        if (c->state == C_ACTIVE && c->rphase == R_HEAD && c->rfill == 0 && c->req_index > 0) conn_close(w, c);
        else if (c->state == C_ACTIVE) c->close_after = 1;
    }
}

static void *worker_main(void *arg) {
    worker *w = arg;
    if (w->e->cfg.pin) rp_pin_thread(w->id % get_nprocs());
    if (ring_init(w) < 0) { fprintf(stderr, "ringproxy: worker %d: io_uring setup failed\n", w->id); return NULL; }
    w->use_ms = getenv("RINGPROXY_SINGLESHOT") == NULL && bufring_init(w) == 0;
    w->now = now_ms();
    w->tw_done = w->now / TW_TICK_MS;
    for (int i = 0; i < w->e->cfg.nlisteners; i++) accept_arm(w, i);
    for (;;) {
        int st = atomic_load_explicit(&w->e->stop, memory_order_relaxed);
        if (st == 2) { listeners_close(w, 0); break; }
        if (st == 1 && !w->stopping) worker_soft_stop(w);
        if (w->stopping && w->active == 0 && !any_accepting(w)) break;
        struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = (w->queued ? 1 : w->active ? TW_TICK_MS : 100) * 1000000LL };
        struct io_uring_cqe *cqe = NULL;
        io_uring_submit_and_wait_timeout(&w->ring, &cqe, 1, &ts, NULL);
        w->now = now_ms();
        unsigned head, count = 0;
        io_uring_for_each_cqe(&w->ring, head, cqe) {
            handle_cqe(w, cqe);
            count++;
            if (count == 32) {      /* start the sends of a long batch early: latency */
                io_uring_cq_advance(&w->ring, count); count = 0;
                io_uring_submit(&w->ring);
            }
        }
        if (count) io_uring_cq_advance(&w->ring, count);
        timers_run(w);
        if (w->now >= w->next_purge) { pool_purge(w); w->next_purge = w->now + 1000; }
        if (w->e->cfg.cb.on_turn) w->e->cfg.cb.on_turn(w->e->cfg.cb.ctx, w->id);
        if (w->queued) for (int k = 0; k < w->e->cfg.nservers; k++) if (w->q_head[k]) queue_kick(w, k);
    }
    io_uring_submit(&w->ring);
    return NULL;
}

/* ---------- engine ---------- */

/* "127.0.0.1:8080" or "[::1]:8080", for messages that must name the address. */
static const char *addr_text(const struct sockaddr_storage *a, char *out, size_t n) {
    char host[INET6_ADDRSTRLEN] = "?";
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const void *)a;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
        snprintf(out, n, "[%s]:%u", host, ntohs(s6->sin6_port));
    } else {
        const struct sockaddr_in *s4 = (const void *)a;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
        snprintf(out, n, "%s:%u", host, ntohs(s4->sin_port));
    }
    return out;
}

static int listen_socket(const rp_listener_cfg *l, char *err, int errlen) {
    int fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) { snprintf(err, errlen, "socket: %s", strerror(errno)); return -errno; }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);   /* inherited by accepted sockets */
    if (bind(fd, (const struct sockaddr *)&l->addr, l->addrlen) < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot bind socket %s: %s", addr_text(&l->addr, (char[64]){0}, 64), strerror(e));
        close(fd); return -e;
    }
    if (listen(fd, 1024) < 0) { int e = errno; snprintf(err, errlen, "listen: %s", strerror(e)); close(fd); return -e; }
    return fd;
}

/* A socket someone else bound and put in the LISTEN state (inherited fd@N, a UNIX socket bound
   once, a socket taken over from the previous process): each worker accepts on its own dup, so
   each can close its copy on stop without closing the others'. */
static int shared_listener(const rp_listener_cfg *l, char *err, int errlen) {
    int fd = fcntl(l->fd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) { int e = errno; snprintf(err, errlen, "listening socket fd %d: %s", l->fd, strerror(e)); return -e; }
    return fd;
}

int rp_engine_create(const rp_engine_cfg *cfg, rp_engine **out, char *err, int errlen) {
    char why[256];
    int pr = rp_io_uring_probe(why, sizeof why);
    if (pr < 0) { snprintf(err, errlen, "%s", why); return pr; }
    rp_engine *e = calloc(1, sizeof *e);
    e->cfg = *cfg;
    e->nw = cfg->nworkers > 0 ? cfg->nworkers : get_nprocs();
    e->listeners = calloc((size_t)cfg->nlisteners + 1, sizeof *e->listeners);
    memcpy(e->listeners, cfg->listeners, (size_t)cfg->nlisteners * sizeof *e->listeners);
    e->servers = calloc((size_t)cfg->nservers + 1, sizeof *e->servers);
    memcpy(e->servers, cfg->servers, (size_t)cfg->nservers * sizeof *e->servers);
    e->cfg.listeners = e->listeners; e->cfg.servers = e->servers;
    e->w = calloc((size_t)e->nw, sizeof *e->w);
    e->srv_active = calloc((size_t)cfg->nservers + 1, sizeof *e->srv_active);
    e->srv_queued = calloc((size_t)cfg->nservers + 1, sizeof *e->srv_queued);
    int maxconn = cfg->maxconn > 0 ? cfg->maxconn : 4096;
    for (int i = 0; i < e->nw; i++) {
        worker *w = &e->w[i];
        w->e = e; w->id = i;
        w->limit = (maxconn + e->nw - 1) / e->nw;
        w->nconns = w->limit + 16;
        w->conns = calloc((size_t)w->nconns, sizeof *w->conns);
        for (int k = w->nconns - 1; k >= 0; k--) { w->conns[k].free_next = w->free_list; w->free_list = &w->conns[k]; }
        w->lfd = calloc((size_t)cfg->nlisteners + 1, sizeof *w->lfd);
        w->accepting = calloc((size_t)cfg->nlisteners + 1, 1);
        w->lactive = calloc((size_t)cfg->nlisteners + 1, sizeof *w->lactive);
        w->pool_cap = w->limit < 1024 ? w->limit : 1024;
        w->pool = calloc((size_t)cfg->nservers + 1, sizeof *w->pool);
        for (int k = 0; k < cfg->nservers; k++) w->pool[k] = calloc((size_t)w->pool_cap, sizeof(pool_entry));
        w->pool_n = calloc((size_t)cfg->nservers + 1, sizeof *w->pool_n);
        w->q_head = calloc((size_t)cfg->nservers + 1, sizeof *w->q_head);
        w->q_tail = calloc((size_t)cfg->nservers + 1, sizeof *w->q_tail);
        for (int l = 0; l < cfg->nlisteners; l++) {
            int fd = e->listeners[l].fd >= 0 ? shared_listener(&e->listeners[l], err, errlen)
                                             : listen_socket(&e->listeners[l], err, errlen);
            if (fd < 0) {
                for (int j = 0; j <= i; j++) for (int k = 0; k < (j == i ? l : cfg->nlisteners); k++) close(e->w[j].lfd[k]);
                return fd;
            }
            w->lfd[l] = fd;
        }
    }
    atomic_store(&e->active, 0);
    atomic_store(&e->stop, 0);
    *out = e;
    return 0;
}

int rp_engine_start(rp_engine *e) {
    for (int i = 0; i < e->nw; i++) {
        int r = pthread_create(&e->w[i].thread, NULL, worker_main, &e->w[i]);
        if (r) return -r;
    }
    return 0;
}

void rp_engine_stop(rp_engine *e, int soft) {
    atomic_store(&e->stop, soft ? 1 : 2);
}

void rp_engine_join(rp_engine *e) {
    for (int i = 0; i < e->nw; i++) pthread_join(e->w[i].thread, NULL);
}

int rp_engine_active(rp_engine *e) { return atomic_load(&e->active); }

int rp_engine_server_active(rp_engine *e, int server) { return atomic_load(&e->srv_active[server]); }
int rp_engine_server_queued(rp_engine *e, int server) { return atomic_load(&e->srv_queued[server]); }

int rp_worker_send_datagrams(rp_engine *e, int worker, int fd, void *base, size_t stride, int n) {
    if (worker < 0 || worker >= e->nw || n <= 0) return 0;
    struct worker *w = &e->w[worker];
    for (int i = 0; i < n; i++) {
        struct io_uring_sqe *s = sqe_get(w);
        io_uring_prep_sendmsg(s, fd, (struct msghdr *)((char *)base + (size_t)i * stride), MSG_DONTWAIT | MSG_NOSIGNAL);
        s->flags |= IOSQE_CQE_SKIP_SUCCESS;      /* a completion only when a datagram is lost */
        io_uring_sqe_set_data64(s, (uint64_t)OP_IGNORE << 56);
    }
    io_uring_submit(&w->ring);
    return n;
}
