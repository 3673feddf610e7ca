// The engine's private types, shared by its C files (never included by Swift).
//
// A connection (`conn`) is a client socket, at most one server socket, and the exchange between
// them. Bytes flow in two directions, each a `half`: REQ reads the client and writes the server,
// RESP reads the server and writes the client. A half owns its receive buffer, the iovecs of its
// send, its body framing and its phase, and has at most one receive (on its source socket) and
// one send (on its destination socket) in flight.
#ifndef RP_INTERNAL_H
#define RP_INTERNAL_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "rp_engine.h"
#include "rp_test.h"
#include "rp_chunk.h"
#include <liburing.h>
#include <stdatomic.h>
#include <stdint.h>
#include <pthread.h>
#include <assert.h>

/* Internal functions are not part of the library's interface. */
#pragma GCC visibility push(hidden)

/* RP_ASSERT: on in debug builds (SwiftPM defines DEBUG=1 for C there, and neither DEBUG nor
   NDEBUG in release), or with -DRP_ENABLE_ASSERTS (e.g. a sanitizer build); off with NDEBUG. */
#if (defined(DEBUG) || defined(RP_ENABLE_ASSERTS)) && !defined(NDEBUG)
#define RP_ASSERT(x) assert(x)
#define RP_DEBUG 1
#else
#define RP_ASSERT(x) ((void)0)
#define RP_DEBUG 0
#endif

#define BUFSZ 32768            /* the request half's buffer; a head must fit in it (either direction) */
/* The response half's buffer: a 64 KiB response (head and body) in one receive and one send.
   Its pages beyond the first are touched only by large responses (the block is mmap'ed). */
#define RSBUFSZ 131072
#define INSZ 8192              /* copies of inserted header bytes, per direction */
#define TW_SLOTS 512           /* timer wheel: 512 slots of 8 ms */
#define TW_TICK_MS 8
#define PIPE_POOL 16
#define NBUFS 4096             /* provided buffers per worker by default (16 MiB) */
#define PBUFSZ 4096
#define BGID 1
#define PEND_PAUSE 16          /* buffers held by one connection before it stops receiving */
#define PEND_INLINE 16
#define SOFT_IDLE_MS 500       /* soft stop: a keep-alive connection quiet this long is idle */

/* ---------- user_data: what a completion is about ---------- */

enum op {
    OP_NONE = 0, OP_ACCEPT, OP_RECV_REQ, OP_RECV_RESP, OP_SEND_REQ, OP_SEND_RESP, OP_CONNECT,
    OP_LTIMEOUT, OP_POLL_IN, OP_POLL_OUT, OP_IGNORE, OP_CPEEK, OP_WAKE,
};
/* user_data = op (8 bits) | generation (24 bits) | slot (32 bits); for OP_ACCEPT the slot is the
   listener index. The generation tells a slot's successive connections apart. */
#define UD_GEN_MASK 0xffffffu
typedef struct ud_fields { int op; uint32_t gen; uint32_t slot; } ud_fields;
static inline uint64_t ud_encode(int op, uint32_t gen, uint32_t slot) {
    return ((uint64_t)(op & 0xff) << 56) | ((uint64_t)(gen & UD_GEN_MASK) << 32) | slot;
}
static inline ud_fields ud_decode(uint64_t v) {
    ud_fields f = { (int)(v >> 56), (uint32_t)(v >> 32) & UD_GEN_MASK, (uint32_t)v };
    return f;
}
#define UD_IGNORE ud_encode(OP_IGNORE, 0, 0)

/* ---------- one connection ---------- */

enum dir { REQ = 0, RESP = 1 };          /* half d reads side d and writes side !d */
enum side { CLI = 0, SRV = 1 };
static inline int op_recv(int d) { return d == REQ ? OP_RECV_REQ : OP_RECV_RESP; }
static inline int op_send(int d) { return d == REQ ? OP_SEND_REQ : OP_SEND_RESP; }

/* The request half goes HEAD -> (QUEUED) -> CONNECT (-> WAIT_RETRY -> CONNECT) -> BODY -> DONE;
   the response half IDLE -> HEAD -> BODY -> DONE. */
enum phase { PH_IDLE = 0, PH_HEAD, PH_QUEUED, PH_CONNECT, PH_WAIT_RETRY, PH_BODY, PH_DONE };
enum cstate { C_FREE, C_ACTIVE, C_CLOSING };

typedef struct half {
    uint8_t *buf;              /* bytes received from the source, head first */
    uint32_t fill;
    uint8_t *ins;              /* copies of header bytes Swift inserted (INSZ) */
    int phase;
    int body;                  /* enum rp_body */
    int64_t remain;            /* RP_BODY_LENGTH: body bytes still to come */
    rp_chunk chunk;
    int body_done;
    struct iovec *iov; int iovcnt;                  /* the send to the destination */
    struct msghdr *msg;
    uint8_t recv, send;        /* in flight: a receive on the source, a send on the destination */
} half;

typedef struct pump {          /* splice state for one body direction */
    int active;
    int dir;                   /* REQ or RESP */
    int src, dst;
    int pipe[2];
    int64_t to_read;           /* body bytes still to read from src */
    int64_t in_pipe;           /* bytes in the pipe, not yet written to dst */
    uint8_t pollin, pollout;   /* polls in flight (on src / dst) */
} pump;

typedef struct pbuf { uint16_t bid, off, len; } pbuf;

/* Multishot receive on the client socket into the worker's provided buffers (rp_bufring.c).
   Received buffers wait in `pend` until the exchange wants bytes. */
typedef struct msrecv {
    uint8_t want;              /* the exchange wants client bytes now */
    uint8_t pumping;           /* ms_pump running (re-entrancy guard) */
    uint8_t cancel;            /* multishot cancelled (back-pressure, or before a splice) */
    uint8_t eof;               /* the client will send nothing more */
    uint8_t splice;            /* a large request body: splice it once the multishot is stopped */
    uint8_t in_bw;             /* on the worker's ENOBUFS wait list */
    int term;                  /* after the pending bytes: 1 = end of stream, <0 = error */
    pbuf *pend;                /* [phead, npend) not yet consumed; inline storage first */
    int phead, npend, pcap;
    pbuf inl[PEND_INLINE];
    struct conn *bw_next;
} msrecv;

/* The memory of an exchange in flight (rp_xbuf.c): a connection holds one only while bytes of
   a request or its response are being handled. Small and hot parts first. */
typedef struct xbuf {
    struct xbuf *next;         /* on the worker's free list */
    struct iovec iov[2][RP_MAX_IOV + 2];
    struct iovec iov0[RP_MAX_IOV + 2];
    struct msghdr msg[2];
    uint8_t ins[2][INSZ];
    uint8_t pp[112];           /* the PROXY header of a new server connection (rp_ppconn.c) */
    uint8_t rqbuf[BUFSZ];
    uint8_t rsbuf[RSBUFSZ];
} xbuf;

typedef struct conn {
    uint32_t gen;
    int state;
    int fd[2];                 /* CLI, SRV (-1 = none) */
    int frontend, listener;
    int server;
    struct sockaddr_storage caddr;
    xbuf *xb;                  /* the exchange's buffers (NULL while idle); the halves point into it */
    half h[2];
    /* request extras */
    uint32_t rkeep;            /* start of the bytes kept for the next request */
    struct iovec *iov0; int iovcnt0;                 /* the first request send, to replay it */
    uint8_t replayable;        /* the whole request went in the first send */
    uint8_t replay_wait;      /* a replay waits for the dead connection's other op to complete */
    struct __kernel_timespec cts;                    /* connect timeout, read at submission */
    /* response extras */
    uint8_t *local;            /* a local answer being sent (malloc) */
    struct rp_capture *cap;    /* the response body being copied for Swift (rp_capture.c), or NULL */
    uint8_t local_then_close;
    /* other ops in flight */
    uint8_t sconn, ltmo;       /* a connect; linked timeouts not yet completed (an earlier
                                  attempt's may complete after its connect) */
    uint8_t cpeek, peekbyte;   /* abortonclose: a 1-byte MSG_PEEK that reports the client's EOF */
    int inflight;
    /* timers */
    int64_t cdl, sdl;          /* client-side and server-side deadlines (ms), 0 = none */
    struct { int64_t when; struct conn *next, *prev; int linked; } tw;
    /* the exchange */
    uint32_t req_index;
    int retries_left, retries_done;
    uint8_t close_after, server_reuse, server_close, cli_eof, pooled_server;   /* flags: bytes, the slot stays small */
    uint8_t redispatch, redispatched, abort_on_close;
    uint32_t connect_to, server_to, client_to, queue_to;
    struct { int64_t accept_rt, start, head, conn_first, conn_start, connected, resp; } t;
    int status;
    uint64_t bytes_in, bytes_out;
    uint64_t rep_in, rep_out;  /* option contstats: what on_progress reported of them */
    uint64_t spliced[2];       /* body bytes read by the splice pump, per direction (h1 stats) */
    uint8_t quiet_out;             /* the answer's bytes are not counted (a 400 after the client's EOF) */
    uint8_t head_begun;            /* the request's first byte is in (its timers start there) */
    uint8_t body_wait;             /* the head is in; Swift waits for its body (http-buffer-request) */
    uint8_t rbody_wait;        /* the response head is in; Swift waits for its body (http-response
                                  wait-for-body): its bytes stay in the response buffer */
    uint8_t socks;             /* SOCKS4 handshake on the new server connection: 1 sending, 2 reading */
    uint8_t socks_done;        /* bytes of the request sent / of the reply read */
    uint8_t socks_timedout;    /* the connect timeout passed during it */
    uint8_t socks_io[16];      /* the request, then the reply */
    uint8_t rbody_eof;         /* the server closed while its response body was awaited */
    uint8_t cto_runs;              /* client_timeout_runs: the client timeout is not stopped once the
                                  request is read */
    uint8_t inspect_final;     /* mode tcp: the inspection ends now (delay passed, client closed) */
    uint8_t res_inspect;       /* mode tcp, tcp-response rules: 1 the server's bytes are held while
                                  they decide; 2 accepted, a cancelled receive still to complete */
    uint8_t rinspect_final;    /* the response inspection ends now (its delay passed) */
    uint8_t rinspect_eof;      /* the server's end of stream came while its bytes were held */
    uint8_t rinspect_kill;     /* `tcp-response content close`: once the held bytes went, both
                                  connections end (the server's with a reset; logged `--`) */
    int64_t rbody_dl;          /* when that wait ends (504 sH), 0 before the first wait */
    int64_t inspect_dl;        /* mode tcp: the end of tcp-request inspect-delay (0: not inspecting) */
    int64_t rinspect_dl;       /* the end of tcp-response inspect-delay (0: not waiting) */
    uint8_t srv_draining;      /* exchange over, client kept: waiting for the server ops to end */
    uint8_t logged;
    char term0, term1;
    pump pu;
    msrecv ms;
    uint8_t holds_slot;        /* counted in the server's active requests (server maxconn) */
    uint8_t direct;            /* persistent: queued on its server, not in the backend's queue */
    uint8_t was_queued;        /* waited in a queue (Tw; <NOSRV> when it never left it) */
    int64_t q_end;             /* when it left the queue without a server (timeout, abort) */
    /* server options (rp_srvopt.c) */
    uint32_t client_fin_to;    /* timeout client-fin, applied once the client half-closed */
    uint32_t server_fin_to;    /* timeout server-fin, applied once the server side is shut for writes */
    uint8_t splice_bits;       /* RP_SPLICE_*: splice these bodies whatever their size */
    uint8_t lb_assigned;       /* the balancer chose the server: a full queue may pick another */
    uint8_t qfull_moved;       /* already sent elsewhere once because a queue was full */
    struct conn *q_next;
    /* the PROXY protocol (rp_ppconn.c) */
    uint8_t pp_wait;           /* accept-proxy: the header has not been received yet */
    uint8_t tunnel;            /* mode tcp: raw bytes both ways (rp_tunnel.c) */
    struct sockaddr_storage *pp_dst;   /* the destination it carried (malloc), else NULL */
    struct sockaddr_storage *dst_out;  /* `option transparent`: where its server connection goes (malloc), else NULL */
    rp_pp_tlvs *pp_in;         /* the v2 TLVs it carried that fetches read (malloc), else NULL */
    struct pp_out *pp_out;     /* proxy-v2-options: the unique id to send, the header (malloc) */
    /* http-reuse (rp_reuse.c) */
    uint8_t reuse;             /* enum rp_reuse of the exchange */
    uint32_t srv_uses;         /* requests the server connection has carried, this one included */
    int own_fd, own_server;    /* `never`: the idle server connection this client connection keeps */
    uint32_t own_uses;
    uint8_t steal_wait;        /* parked: another worker's idle connection was asked for (rp_steal.c) */
} conn;

typedef struct pool_entry { int fd; uint32_t uses; int64_t since; } pool_entry;

/* Events counted by a worker (plain fields: only the worker writes them; rp_test.h's snapshot
   copies them once per loop turn when the engine was created with test_hooks). */
typedef struct worker_counts {
    uint64_t accepts, closes, timeouts, connects, pool_puts, pool_hits, replays;
    uint64_t splices, splices_done, enobufs, ms_cancels, soft_closes;
} worker_counts;
#define COUNT(w, f) ((w)->n.f++)

typedef struct worker {
    struct rp_engine *e;
    int id;
    pthread_t thread;
    int started;
    struct io_uring ring;
    int *lfd;                  /* listener fds of this worker */
    uint8_t *accepting;        /* multishot accept armed, per listener */
    int *lactive;              /* open connections per listener */
    int active, limit;
    conn *conns; int nconns;   /* mapped: pages of free slots go back to the system (conn_trim) */
    size_t conns_bytes;
    uint32_t *free_slots; int nfree;                 /* a stack of free slot indexes */
    uint8_t *slot_page_used;   /* per page of the slot table: written since it was last trimmed */
    int freed_since_trim;      /* slots freed since the slot pages were last trimmed */
    xbuf *xb_free; int xb_nfree, xb_used;            /* exchange buffers (rp_xbuf.c) */
    conn *wheel[TW_SLOTS];
    conn **fire;               /* scratch: the connections whose deadline passed (nconns) */
    int64_t tw_done;           /* last tick processed */
    int64_t now;               /* ms, monotonic, refreshed each loop turn */
    int64_t next_purge;
    /* idle server connections, per server: a small LIFO */
    pool_entry **pool; int *pool_n; int pool_cap;
    int pipes[PIPE_POOL][2]; int npipes;
    rp_head_call call;
    int stopping;              /* 1 soft, 2 hard */
    conn **q_head, **q_tail;   /* per server: requests waiting for a slot (server maxconn) */
    int queued;                /* total waiting on this worker */
    uint32_t src_next;         /* cursor in `source` port ranges */
    /* provided-buffer ring for client receives (multishot); use_ms = 0 falls back to
       single-shot receives straight into the connection's buffer */
    int use_ms;
    int nbufs;                 /* provided buffers (a power of two) */
    struct io_uring_buf_ring *br;
    uint8_t *bufs;
    int bufs_out;
    conn *bw_head;
    /* runtime control (rp_control.c): the eventfd other threads write to wake the loop, and
       this worker's copy of the server addresses (changed by `set server addr`) */
    int wake_fd;
    uint8_t wake_armed;
    uint8_t rate_blocked;      /* accepts stopped by `set rate-limit sessions` until next second */
    int rate_count;
    int64_t rate_second;
    struct sockaddr_storage *saddr;
    socklen_t *saddrlen;
    int ring_ok;               /* the ring is set up (torn down at the thread's end) */
    uint64_t turns;
    worker_counts n;
    int64_t last_dump;
    struct steal_box *box;     /* asks and answers from other workers (rp_steal.c); NULL: one worker */
    atomic_int steal_pending;  /* the box holds messages: set by posters, read once per loop turn */
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
    atomic_int exported;       /* listening sockets handed to a new process (-x): never shut down */
    atomic_int *srv_queued, *srv_qmax;   /* per server: persistent requests waiting */
    atomic_int *be_queued, *be_qmax;     /* per backend: load-balanced requests waiting */
    int nbackends;
    /* start-up: each worker reports its set-up, then waits for the go (or the abort) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int nready, nfailed, go;   /* go: 1 run, -1 abort */
    char starterr[256];
    int joined;
    /* rp_test.h: per-worker snapshots published once per loop turn */
    rp_worker_stats *snap;
    int dump;                  /* RP_DUMP set (with test hooks): print connections periodically */
    atomic_int *srv_idle;      /* per server, all workers: pooled idle connections (pool-max-conn) */
    atomic_int *srv_waiting;   /* per server, all workers: requests in its FIFOs, persistent or not
                                  (maxqueue, minconn's load) */
    atomic_int *idle_pub;      /* per worker (rows of idle_stride), per server: its pooled idle
                                  connections, stored by that worker only (rp_steal.c) */
    int idle_stride;
};

/* ---------- small helpers ---------- */

static inline uint32_t conn_slot(const worker *w, const conn *c) { return (uint32_t)(c - w->conns); }
void stats_progress(worker *w, conn *c);
/* option contstats: report the bytes moved so far (one test for the other listeners). */
static inline void contstats_tick(worker *w, conn *c) {
    if (w->e->listeners[c->listener].contstats) stats_progress(w, c);
}
static inline uint64_t conn_ud(const worker *w, const conn *c, int op) { return ud_encode(op, c->gen, conn_slot(w, c)); }

static inline struct io_uring_sqe *sqe_get(worker *w) {
    struct io_uring_sqe *s = io_uring_get_sqe(&w->ring);
    while (!s) { io_uring_submit(&w->ring); s = io_uring_get_sqe(&w->ring); }
    return s;
}

/* Ops in flight on the server socket. */
static inline int server_ops(const conn *c) {
    return c->h[RESP].recv || c->h[REQ].send || c->sconn || c->pu.pollin || c->pu.pollout;
}

/* Ops in flight, from the flags; the invariant is that it equals c->inflight. */
static inline int conn_ops(const conn *c) {
    return c->h[REQ].recv + c->h[REQ].send + c->h[RESP].recv + c->h[RESP].send + c->sconn + c->ltmo
         + c->cpeek + c->pu.pollin + c->pu.pollout;
}

int64_t rp_now_ms(void);
int64_t rp_realtime_us(void);

/* rp_worker.c */
void cancel_ud(worker *w, uint64_t target);     /* cancel one op; its completion is ignored */
void cancel_fd(worker *w, int fd);              /* cancel every op on fd; likewise */
void *worker_main(void *arg);
void worker_free(worker *w);                    /* after the thread has ended */
int worker_started(worker *w, int r, const char *why);   /* rp_engine.c: start-up hand-shake */

/* rp_conn.c */
int conns_init(worker *w);
void conn_trim(worker *w);
conn *conn_alloc(worker *w);
int conn_idle(const worker *w, const conn *c);  /* keep-alive, between two requests, no byte in */
int client_bytes_waiting(const conn *c);        /* the client socket holds bytes no receive took */
void conn_close(worker *w, conn *c);
void conn_op_done(worker *w, conn *c);          /* frees a closing slot after its last op */
void send_local(worker *w, conn *c, const uint8_t *p, uint32_t len, int status, int then_close);
void send_page(worker *w, conn *c, int code, char t0, char t1);
int client_may_stay(const worker *w, const conn *c);
int request_bytes_left(const worker *w, const conn *c);  /* bytes of a next request already received */
void log_done(worker *w, conn *c);
/* rp_capture.c: a copy of a response body as it is forwarded (http-response cache-store) */
void capture_begin(conn *c, uint32_t max);
void capture_add(conn *c, const uint8_t *p, size_t n);
int capture_result(const conn *c, const uint8_t **p, uint32_t *len);
void capture_end(conn *c);

/* rp_half.c */
void half_send(worker *w, conn *c, int d);
int iov_advance(struct iovec *iov, int cnt, size_t n);
int iov_from_call(const rp_head_call *call, const uint8_t *base, uint32_t baselen, uint8_t *ins, struct iovec *out);
size_t half_body_take(half *h, const uint8_t *p, size_t avail, int *err);
void crecv_arm_opt(worker *w, conn *c, int poll_first);
static inline void crecv_arm(worker *w, conn *c) { crecv_arm_opt(w, c, 0); }
void srecv_arm_opt(worker *w, conn *c, int poll_first);
static inline void srecv_arm(worker *w, conn *c) { srecv_arm_opt(w, c, 0); }
void cpeek_arm(worker *w, conn *c);

/* rp_request.c */
void request_begin(worker *w, conn *c);
void request_head(worker *w, conn *c);
void request_send_head(worker *w, conn *c);
void client_data(worker *w, conn *c, uint32_t n);
void client_eof(worker *w, conn *c, int res);
void on_request_sent(worker *w, conn *c, int res);
void on_client_recv_single(worker *w, conn *c, int res);
void on_client_peek(worker *w, conn *c, int res);
void req_phase(conn *c, int to);

/* rp_response.c */
void response_head(worker *w, conn *c);
void exchange_done(worker *w, conn *c);
void server_drained(worker *w, conn *c);          /* the last server op of a drained exchange */
void on_response_recv(worker *w, conn *c, int res);
void on_response_sent(worker *w, conn *c, int res);

/* rp_server.c */
void connect_start(worker *w, conn *c);
void on_connect(worker *w, conn *c, int res);
int server_replay(worker *w, conn *c);
void connect_with(worker *w, conn *c, int fd);  /* on idle connection fd (>= 0), or a new one */
void connect_failed(worker *w, conn *c, int err);
/* rp_socks4.c: `socks4 ADDR:PORT` on the way to a server */
void socks4_begin(worker *w, conn *c);
void socks4_sent(worker *w, conn *c, int res);
void socks4_received(worker *w, conn *c, int res);
void socks4_timeout(worker *w, conn *c);
#define REUSE_PARKED (-2)                        /* reuse_take: another worker's is on its way */

/* rp_pool.c */
int pool_take(worker *w, int server, uint32_t min_uses, uint32_t *uses);   /* -1: none */
void pool_put(worker *w, int server, int fd, uint32_t uses);

/* Publishes this worker's idle count for `server` (a plain store: no read-modify-write). */
static inline void idle_publish(worker *w, int server) {
    rp_engine *e = w->e;
    if (e->idle_pub) atomic_store_explicit(&e->idle_pub[(size_t)w->id * (size_t)e->idle_stride + (size_t)server], w->pool_n[server], memory_order_relaxed);
}

/* rp_steal.c: idle server connections taken from another worker */
int steal_init(rp_engine *e);                   /* after the workers; nothing with one worker */
void steal_free(rp_engine *e);
int steal_ask(worker *w, conn *c, uint32_t min_uses);   /* 1: c is parked until the answer */
void steal_run(worker *w);                      /* the box's messages (when `pending`) */
void steal_close(worker *w);                    /* the worker's loop has ended */
static inline int steal_pending(worker *w) {
    return atomic_load_explicit(&w->steal_pending, memory_order_relaxed);
}

/* rp_reuse.c: http-reuse */
int reuse_take(worker *w, conn *c);             /* an idle server connection for c's request, or -1 */
int reuse_keep(worker *w, conn *c, int sfd);    /* 1: kept (pool, or c's own); 0: close it */
void reuse_drop_server(worker *w, int server);
void pool_purge(worker *w);

/* rp_srvopt.c: server options; each is off (and costs one test) when not configured */
int srvopt_socket(worker *w, int server, int fd);   /* socket options before connect; <0: -errno */
int srvopt_limit(const rp_engine *e, int server);  /* the server's maxconn now (minconn/fullconn) */
int srvopt_queue_full(const rp_engine *e, int server);
int srvopt_may_pool(worker *w, const conn *c);      /* pool-max-conn */
void srvopt_idle_count(worker *w, int server, int delta);
int srvopt_purge_ms(const rp_engine *e, int server);
void srvopt_queue_rejected(worker *w, conn *c);     /* queue_enter said 2 */
/* rp_usesrc.c */
#define RP_ERR_USESRC (-100000)                  /* connect_failed: the foreign bind failed */
int usesrc_bind(worker *w, const conn *c, int fd);   /* 0, or < 0 (alert written) */
static inline int usesrc_private(const worker *w, const conn *c) {
    return c->reuse == RP_REUSE_PRIVATE || w->e->servers[c->server].usesrc;
}

static inline int srvopt_pool_ok(worker *w, const conn *c) {
    const rp_server_cfg *sv = &w->e->servers[c->server];
    return !sv->idle_max || srvopt_may_pool(w, c);
}

/* rp_queue.c */
int queue_enter(worker *w, conn *c);            /* 1: queued (no slot free), 0: holds a slot, 2: queue full */
void queue_remove(worker *w, conn *c);
void queue_kick(worker *w, int s);
void srv_release(worker *w, conn *c);

/* rp_timer.c */
void tw_schedule(worker *w, conn *c);
void tw_unlink(worker *w, conn *c);
void timers_run(worker *w);

/* rp_splice.c */
int pump_start(worker *w, conn *c, int dir, int64_t remain);
void pump_run(worker *w, conn *c);
void pipe_release(worker *w, pump *p);

/* rp_bufring.c */
int bufring_init(worker *w);
void ms_arm(worker *w, conn *c);
void ms_pump(worker *w, conn *c);
void ms_release(worker *w, conn *c);
void ms_splice_try(worker *w, conn *c);
void ms_stop_for_splice(worker *w, conn *c);
void on_client_recv_multi(worker *w, conn *c, int res, uint32_t flags);
#define PENDING(c) ((c)->ms.npend - (c)->ms.phead)

/* rp_xbuf.c */
int xb_attach(worker *w, conn *c);
void xb_detach(worker *w, conn *c);
void xb_trim(worker *w);
void xb_free_all(worker *w);

/* rp_listener.c */
int listener_open(const rp_listener_cfg *l, char *err, int errlen);
void accept_arm(worker *w, int li);
void accept_resume(worker *w, int li);
void on_accept(worker *w, int li, int res, uint32_t flags);
void listeners_close(worker *w, int drain);
int any_accepting(worker *w);

/* rp_ppconn.c: the PROXY protocol on connections */
void pp_abort(worker *w, conn *c);              /* no valid header: close, nothing logged */
int pp_receive(worker *w, conn *c);             /* 1: header consumed, request bytes follow */
void pp_prepend(worker *w, conn *c);            /* header first in the server's first send */
void pp_keep_unique_id(conn *c, const uint8_t *id, uint32_t len);  /* for proxy-v2-options unique-id */
socklen_t transparent_len(const struct sockaddr_storage *a);
void transparent_target(conn *c, const struct sockaddr_storage *to, int on);  /* rp_transparent.c */
void pp_keep_addrs(conn *c, const struct sockaddr_storage *addrs);  /* a stream's set-src/set-dst for send-proxy */

/* rp_tunnel.c: mode tcp, raw bytes both ways until both sides closed */
int tunnel_begin(worker *w, conn *c);           /* 1: a tcp listener's connection went to Swift */
void tunnel_start(worker *w, conn *c);          /* connected: relay both ways */
void tunnel_touch(worker *w, conn *c);          /* a byte moved: both deadlines pushed back */
void tunnel_client_eof(worker *w, conn *c, int res);
void tunnel_server_eof(worker *w, conn *c, int res);
void tunnel_fail(worker *w, conn *c, char t0, char t1);   /* instead of an error page */
void tunnel_timeout(worker *w, conn *c);
void tunnel_upgrade(worker *w, conn *c);        /* a 101 is forwarded: the rest is a tunnel */
void tunnel_inspect(worker *w, conn *c);        /* tcp-response rules on the held server bytes */
void tunnel_inspect_recv(worker *w, conn *c, int res);   /* a server receive while they are held */

/* rp_control.c */
int control_init(worker *w);                    /* wake eventfd and server address copies */
void wake_arm(worker *w);
void on_wake(worker *w, int res, uint32_t flags);
int rate_allows(worker *w);                     /* below the session rate limit this second */
void rate_counted(worker *w);
void rate_resume(worker *w);

#pragma GCC visibility pop
#endif
