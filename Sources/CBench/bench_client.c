// ringbench's io_uring load-generation loop (see bench_client.h).
//
// Each thread owns one ring (SINGLE_ISSUER|DEFER_TASKRUN when the kernel has it), a share of
// the connections and of the virtual clients. A request is a linked send+recv pair on a plain
// socket; every loop iteration submits everything queued and waits in one io_uring_enter.
// Connection-level failures are resolved only once no SQE of that connection is in flight, so
// a connection slot is never reused under a pending operation.
#define _GNU_SOURCE
#include "bench_client.h"
#include "bench_cookie_jar.h"
#include "bench_response.h"
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

enum { OP_CONNECT = 1, OP_SEND = 2, OP_RECV = 3 };
enum { RECV_BUF = 16384, SCAN_NS = 5000000 };  // a response head must fit RECV_BUF (as in HAProxy)
enum { FAIL_NONE, FAIL_CONNECT, FAIL_READ, FAIL_TIMEOUT, FAIL_PARSE };

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

// ---- latency histogram layout: exact below 256 µs, then 128 sub-buckets per power of two ----

uint32_t bench_hist_index(uint64_t us) {
    if (us < 256) return (uint32_t)us;
    if (us > 0xffffffffull) us = 0xffffffffull;
    int msb = 63 - __builtin_clzll(us);
    int shift = msb - 7;
    return 256 + (uint32_t)(shift - 1) * 128 + (uint32_t)((us >> shift) - 128);
}

uint64_t bench_hist_value(uint32_t i) {
    if (i < 256) return i;
    uint32_t shift = (i - 256) / 128 + 1;
    uint64_t sub = (i - 256) % 128 + 128;
    return (sub << shift) + ((1ull << shift) >> 1);
}

// ---- per-thread state ----

typedef struct vclient {
    bench_cookie_jar jar;
    int last_server;       // index into the thread's server table, -1 before the first id
    int moved;
} vclient;

typedef struct conn {
    int fd;                // -1 when there is no socket
    int connected;
    int busy;              // a request is assigned
    int inflight;          // SQEs not yet completed
    int fail;              // FAIL_* decided while SQEs were still in flight
    int timed_out;
    int complete;          // the response is in; waiting for the last SQE to report
    int measured;          // the request counts toward the result
    int reused;            // the socket already carried a response
    uint32_t index;
    uint32_t source;       // index into cfg->source_ips
    uint32_t first_client, next_client;  // this connection serves clients first, first+stride, ...
    vclient *client;       // client of the current request, or NULL
    uint64_t start_ns;     // latency origin: intended (open loop) or actual send time
    uint64_t deadline_ns;
    const char *out;       // request bytes
    uint32_t out_len;
    int head_request;
    size_t head_scan;      // resume offset for the head-end search
    int in_body;
    int id_done;           // body server-id already found for this response
    bench_response resp;
    uint32_t fill;
    char *buf;             // RECV_BUF bytes
    char *outbuf;          // request with a Cookie line, for virtual clients
} conn;

typedef struct worker {
    struct bench_run *run;
    uint32_t id;
    pthread_t thread;
    struct io_uring ring;
    conn *conns;
    uint32_t nconns;
    vclient *clients;
    uint32_t nclients;
    uint32_t client_stride;
    char **templates;      // head+tail per URL, pre-joined for requests without cookies
    uint32_t *template_len;
    uint32_t outbuf_cap;
    uint32_t sched_pos;
    uint64_t quota;        // measured requests this thread issues (0 = unlimited)
    uint64_t issued;       // measured requests started
    double interval_ns;    // open loop: time between intended sends on this thread
    uint64_t next_k;       // open loop: index of the next intended send
    uint64_t t0;           // open loop schedule origin
    uint32_t *idle;        // open loop: stack of idle connection indices
    uint32_t nidle;
    uint32_t src_next;
    bench_result res;      // measured counters; latency_us histogram lives here too
    char server_names[BENCH_MAX_SERVERS][BENCH_SERVER_NAME];
    uint32_t nservers;
    struct sockaddr_in dst;
    int ring_error;        // io_uring_queue_init failure (negative errno), 0 when fine
    uint64_t finished_ns;  // when the loop ended: the measured window ends at the last one
    _Atomic uint64_t live_responses, live_errors;
} worker;

struct bench_run {
    bench_config cfg;
    worker *workers;
    uint64_t start_ns, measure_ns, end_ns;  // end_ns = 0: until the quota is done
    _Atomic int stop;
    _Atomic uint32_t done_threads;
    char id_header_lower[128];
    size_t id_header_len;
    size_t id_body_len;
};

static inline uint64_t ud(int op, uint32_t c) { return ((uint64_t)op << 32) | c; }

static struct io_uring_sqe *get_sqe(worker *w) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
    if (!sqe) {  // SQ full: flush and retry
        io_uring_submit(&w->ring);
        sqe = io_uring_get_sqe(&w->ring);
    }
    return sqe;
}

static int is_measuring(worker *w, uint64_t t) { return t >= w->run->measure_ns; }

// ---- server ids and stickiness ----

static int server_slot(worker *w, const char *id, size_t len) {
    if (len >= BENCH_SERVER_NAME) len = BENCH_SERVER_NAME - 1;
    for (uint32_t i = 0; i < w->nservers; i++)
        if (strncmp(w->server_names[i], id, len) == 0 && w->server_names[i][len] == 0) return (int)i;
    if (w->nservers == BENCH_MAX_SERVERS) return BENCH_MAX_SERVERS - 1;  // lump the overflow
    memcpy(w->server_names[w->nservers], id, len);
    w->server_names[w->nservers][len] = 0;
    return (int)w->nservers++;
}

static void note_server(worker *w, conn *c, const char *id, size_t len) {
    int s = server_slot(w, id, len);
    if (c->measured) {
        w->res.identified++;
        w->res.servers[s].responses++;
    }
    vclient *vc = c->client;
    if (!vc) return;
    if (vc->last_server >= 0 && vc->last_server != s && c->measured) {
        w->res.moves++;
        if (!vc->moved) { vc->moved = 1; w->res.clients_moved++; }
    }
    vc->last_server = s;
}

static void jar_hook(void *ctx, const char *v, size_t n) {
    conn *c = ctx;
    if (c->client) bench_jar_store(&c->client->jar, v, n);
}

/// Body-pattern server id: the token after the prefix, up to a delimiter.
static void scan_body_id(worker *w, conn *c, const char *p, size_t n) {
    struct bench_run *run = w->run;
    const char *pre = run->cfg.server_id_body;
    size_t pl = run->id_body_len;
    const char *hit = memmem(p, n, pre, pl);
    if (!hit) return;
    const char *v = hit + pl, *e = p + n;
    const char *t = v;
    while (t < e && *t != '"' && *t != '<' && *t != '&' && *t != ';' && *t != ',' && *t != ' ' &&
           *t != '\r' && *t != '\n' && *t != '\'')
        t++;
    c->id_done = 1;
    note_server(w, c, v, (size_t)(t - v));
}

// ---- request lifecycle ----

static void queue_send_recv(worker *w, conn *c) {
    struct io_uring_sqe *s = get_sqe(w);
    io_uring_prep_send(s, c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_WAITALL);
    s->flags |= IOSQE_IO_LINK;
    io_uring_sqe_set_data64(s, ud(OP_SEND, c->index));
    struct io_uring_sqe *r = get_sqe(w);
    io_uring_prep_recv(r, c->fd, c->buf, RECV_BUF, 0);
    io_uring_sqe_set_data64(r, ud(OP_RECV, c->index));
    c->inflight += 2;
}

static void queue_recv(worker *w, conn *c) {
    struct io_uring_sqe *r = get_sqe(w);
    io_uring_prep_recv(r, c->fd, c->buf + c->fill, RECV_BUF - c->fill, 0);
    io_uring_sqe_set_data64(r, ud(OP_RECV, c->index));
    c->inflight++;
}

static int open_socket(worker *w, conn *c) {
    const bench_config *cfg = &w->run->cfg;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (cfg->nsource) {
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        struct sockaddr_in src = {.sin_family = AF_INET, .sin_addr.s_addr = cfg->source_ips[c->source]};
        if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0) {
            int e = errno;
            close(fd);
            return -e;
        }
    }
    c->fd = fd;
    c->connected = 0;
    c->reused = 0;
    return 0;
}

static void queue_connect(worker *w, conn *c) {
    struct io_uring_sqe *s = get_sqe(w);
    io_uring_prep_connect(s, c->fd, (const struct sockaddr *)&w->dst, sizeof w->dst);
    io_uring_sqe_set_data64(s, ud(OP_CONNECT, c->index));
    c->inflight++;
}

/// Builds the bytes of the next request for this connection (URL by weight, client cookies).
static void prepare_request(worker *w, conn *c) {
    const bench_config *cfg = &w->run->cfg;
    uint32_t u = cfg->schedule[w->sched_pos];
    if (++w->sched_pos == cfg->schedule_len) w->sched_pos = 0;
    const bench_request *rq = &cfg->requests[u];
    c->head_request = rq->is_head_method;
    c->client = NULL;
    if (w->nclients) {
        c->client = &w->clients[c->next_client];
        c->next_client += w->client_stride;
        if (c->next_client >= w->nclients) c->next_client = c->first_client;
    }
    size_t cookie = 0;
    if (c->client && c->client->jar.count) {
        memcpy(c->outbuf, rq->head, rq->head_len);
        cookie = bench_jar_render(&c->client->jar, c->outbuf + rq->head_len, BENCH_JAR_RENDER_MAX);
        memcpy(c->outbuf + rq->head_len + cookie, rq->tail, rq->tail_len);
        c->out = c->outbuf;
        c->out_len = rq->head_len + (uint32_t)cookie + rq->tail_len;
    } else {
        c->out = w->templates[u];
        c->out_len = w->template_len[u];
    }
}

static void start_request(worker *w, conn *c, uint64_t origin, uint64_t now) {
    c->busy = 1;
    c->fail = FAIL_NONE;
    c->timed_out = 0;
    c->complete = 0;
    c->measured = is_measuring(w, origin);
    if (c->measured) w->issued++;
    c->start_ns = origin;
    c->deadline_ns = now + w->run->cfg.timeout_ns;
    c->fill = 0;
    c->head_scan = 0;
    c->in_body = 0;
    c->id_done = 0;
    prepare_request(w, c);
    if (c->fd < 0) {
        int e = open_socket(w, c);
        if (e < 0) {  // cannot even create/bind a socket: a connect failure, which
            c->fail = FAIL_CONNECT;  // next_request accounts for (no SQE is in flight)
            return;
        }
        queue_connect(w, c);
    } else {
        queue_send_recv(w, c);
    }
}

static void close_conn(conn *c) {
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    c->connected = 0;
}

static void record_latency(worker *w, conn *c, uint64_t now) {
    uint64_t us = (now - c->start_ns) / 1000;
    w->res.latency_us[bench_hist_index(us)]++;
}

static int may_issue(worker *w, uint64_t now) {
    struct bench_run *run = w->run;
    if (atomic_load_explicit(&run->stop, memory_order_relaxed)) return 0;
    if (run->end_ns && now >= run->end_ns) return 0;
    if (w->quota && w->issued >= w->quota && now >= run->measure_ns) return 0;
    return 1;
}

static void next_request(worker *w, conn *c, uint64_t now);

static void account_failure(worker *w, conn *c) {
    if (!c->measured) return;
    switch (c->fail) {
    case FAIL_CONNECT: w->res.err_connect++; break;
    case FAIL_TIMEOUT: w->res.err_timeout++; break;
    case FAIL_PARSE: w->res.err_parse++; break;
    default: w->res.err_read++; break;
    }
    atomic_fetch_add_explicit(&w->live_errors, 1, memory_order_relaxed);
}

/// A request ended in failure and nothing of this connection is in flight any more.
static void finish_failed(worker *w, conn *c, uint64_t now) {
    account_failure(w, c);
    close_conn(c);
    c->busy = 0;
    next_request(w, c, now);
}

static void finish_ok(worker *w, conn *c, uint64_t now) {
    if (c->measured) {
        w->res.responses++;
        int cls = c->resp.status / 100;
        if (cls >= 1 && cls <= 5) w->res.status_class[cls]++;
        if (c->resp.status >= 400) w->res.err_status++;
        record_latency(w, c, now);
        atomic_fetch_add_explicit(&w->live_responses, 1, memory_order_relaxed);
    }
    c->busy = 0;
    c->reused = 1;
    if (!c->resp.keep_alive || w->run->cfg.close_each) close_conn(c);
    next_request(w, c, now);
}

static uint64_t next_due(worker *w) {
    return w->t0 + (uint64_t)((double)w->next_k * w->interval_ns);
}

/// Decides what a free connection does next: the next closed-loop request, a due open-loop
/// request, or wait on the idle stack (the main loop retries idle connections).
static void next_request(worker *w, conn *c, uint64_t now) {
    if (!may_issue(w, now)) return;
    uint64_t origin = now;
    if (w->interval_ns > 0) {
        uint64_t due = next_due(w);
        if (due > now) {
            w->idle[w->nidle++] = c->index;
            return;
        }
        origin = due;  // latency counts from the intended send time
        w->next_k++;
    }
    start_request(w, c, origin, now);
    if (c->fail != FAIL_NONE) {  // socket() or bind() failed synchronously
        account_failure(w, c);
        c->busy = 0;
        w->idle[w->nidle++] = c->index;
    }
}

/// Consumes received bytes; returns 1 when the response completed, 0 for more, -1 on error.
static int process_bytes(worker *w, conn *c, uint32_t got) {
    struct bench_run *run = w->run;
    c->fill += got;
    for (;;) {
        if (!c->in_body) {
            size_t end = bench_find_head_end(c->buf, c->fill, c->head_scan);
            if (!end) {
                if (c->fill == RECV_BUF) return -1;  // head larger than the buffer
                c->head_scan = c->fill;
                return 0;
            }
            bench_head_hooks hooks = {0};
            if (run->id_header_len) {
                hooks.id_header = run->id_header_lower;
                hooks.id_header_len = run->id_header_len;
            }
            if (c->client) {
                hooks.set_cookie = jar_hook;
                hooks.ctx = c;
            }
            if (bench_parse_head(c->buf, end, c->head_request, &c->resp, &hooks) < 0) return -1;
            if (hooks.id_value) {
                c->id_done = 1;
                note_server(w, c, hooks.id_value, hooks.id_value_len);
            }
            memmove(c->buf, c->buf + end, c->fill - end);
            c->fill -= (uint32_t)end;
            c->head_scan = 0;
            if (c->resp.status >= 100 && c->resp.status < 200 && c->resp.status != 101)
                continue;  // interim response: the real one follows
            c->in_body = 1;
        }
        if (run->id_body_len && !c->id_done && c->fill) scan_body_id(w, c, c->buf, c->fill);
        size_t used = 0;
        int r = bench_feed_body(&c->resp, c->buf, c->fill, &used);
        if (r < 0) return -1;
        // Bytes past the response end would be an unrequested response; they are dropped.
        c->fill = 0;
        return r;
    }
}

static void on_cqe(worker *w, struct io_uring_cqe *cqe, uint64_t now) {
    uint64_t data = io_uring_cqe_get_data64(cqe);
    int op = (int)(data >> 32);
    conn *c = &w->conns[(uint32_t)data];
    int res = cqe->res;
    c->inflight--;
    if (c->complete) {  // a late send CQE after the response already arrived
        if (res < 0 && op == OP_SEND) c->resp.keep_alive = 0;
        if (c->inflight == 0) finish_ok(w, c, now);
        return;
    }
    if (c->fail != FAIL_NONE) {
        if (c->inflight == 0) finish_failed(w, c, now);
        return;
    }
    switch (op) {
    case OP_CONNECT:
        if (res < 0) {
            c->fail = c->timed_out ? FAIL_TIMEOUT : FAIL_CONNECT;
            break;
        }
        c->connected = 1;
        w->res.connects++;
        queue_send_recv(w, c);
        return;
    case OP_SEND:
        if (res < 0 || (uint32_t)res != c->out_len) {
            c->fail = c->timed_out ? FAIL_TIMEOUT : FAIL_READ;
            shutdown(c->fd, SHUT_RDWR);  // make the linked recv finish too
        } else if (c->measured) {
            w->res.bytes_out += (uint64_t)res;
        }
        break;
    case OP_RECV:
        if (res > 0) {
            if (c->measured) w->res.bytes_in += (uint64_t)res;
            int r = process_bytes(w, c, (uint32_t)res);
            if (r < 0) {
                c->fail = FAIL_PARSE;
                break;
            }
            if (r == 1) {
                c->complete = 1;
                if (c->inflight == 0) finish_ok(w, c, now);
                return;
            }
            if (c->fill == RECV_BUF) { c->fail = FAIL_PARSE; break; }
            queue_recv(w, c);
            return;
        }
        if (res == 0 && c->in_body && c->resp.mode == BENCH_BODY_EOF && !c->timed_out) {
            c->resp.keep_alive = 0;
            finish_ok(w, c, now);
            return;
        }
        c->fail = c->timed_out ? FAIL_TIMEOUT : FAIL_READ;
        break;
    }
    if (c->fail != FAIL_NONE && c->inflight == 0) finish_failed(w, c, now);
}

/// Forces requests past their deadline to finish: shutdown() completes the pending ops.
static void scan_timeouts(worker *w, uint64_t now) {
    for (uint32_t i = 0; i < w->nconns; i++) {
        conn *c = &w->conns[i];
        if (c->busy && !c->timed_out && c->inflight && now >= c->deadline_ns) {
            c->timed_out = 1;
            if (c->fd >= 0) shutdown(c->fd, SHUT_RDWR);
            if (!c->connected && c->fd >= 0) {  // a connect in flight ignores shutdown
                struct io_uring_sqe *s = get_sqe(w);
                io_uring_prep_cancel64(s, ud(OP_CONNECT, c->index), 0);
                io_uring_sqe_set_data64(s, ~0ull);  // its own CQE is ignored
            }
        }
    }
}

static int init_ring(worker *w) {
    struct io_uring_params p;
    unsigned entries = 1;
    while (entries < w->nconns * 3 + 16 && entries < 4096) entries <<= 1;
    memset(&p, 0, sizeof p);
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE |
              IORING_SETUP_CLAMP;
    p.cq_entries = entries * 4;
    int r = io_uring_queue_init_params(entries, &w->ring, &p);
    if (r == -EINVAL) {  // older kernel: no DEFER_TASKRUN
        memset(&p, 0, sizeof p);
        p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
        p.cq_entries = entries * 4;
        r = io_uring_queue_init_params(entries, &w->ring, &p);
    }
    return r;
}

static void *worker_main(void *arg) {
    worker *w = arg;
    struct bench_run *run = w->run;
    const bench_config *cfg = &run->cfg;
    if (cfg->pin_threads) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET((int)((cfg->first_cpu + (int)w->id) % (cores > 0 ? cores : 1)), &set);
        pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    }
    w->dst = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(cfg->dst_port),
                                  .sin_addr.s_addr = cfg->dst_ip};
    w->ring_error = init_ring(w);
    if (w->ring_error < 0) {
        atomic_store(&run->stop, 1);
        atomic_fetch_add(&run->done_threads, 1);
        return NULL;
    }
    uint64_t now = now_ns();
    w->t0 = run->start_ns;
    for (uint32_t i = 0; i < w->nconns; i++) next_request(w, &w->conns[i], now);
    uint64_t last_scan = now;
    for (;;) {
        now = now_ns();
        int stopping = atomic_load_explicit(&run->stop, memory_order_relaxed) ||
                       (run->end_ns && now >= run->end_ns);
        if (stopping) break;
        // Idle connections: open-loop ones waiting for their due time, or ones whose socket
        // could not be created. Each gets at most one try per pass.
        for (uint32_t n = w->nidle; n && w->nidle && may_issue(w, now); n--) {
            if (w->interval_ns > 0 && next_due(w) > now) break;
            next_request(w, &w->conns[w->idle[--w->nidle]], now);
        }
        if (w->interval_ns > 0 && now >= w->t0) {
            uint64_t due_total = (uint64_t)((double)(now - w->t0) / w->interval_ns) + 1;
            if (due_total > w->next_k && due_total - w->next_k > w->res.max_backlog)
                w->res.max_backlog = due_total - w->next_k;
        }
        // Done when the quota is issued and nothing is outstanding.
        if (!may_issue(w, now)) {
            int busy = 0;
            for (uint32_t i = 0; i < w->nconns && !busy; i++) busy = w->conns[i].busy;
            if (!busy) break;
        }
        if (now - last_scan >= SCAN_NS) {
            scan_timeouts(w, now);
            last_scan = now;
        }
        uint64_t wait = SCAN_NS;
        if (w->interval_ns > 0 && w->nidle) {
            uint64_t due = next_due(w);
            wait = due > now ? due - now : 0;
            if (wait > SCAN_NS) wait = SCAN_NS;
        }
        if (run->end_ns && run->end_ns > now && run->end_ns - now < wait) wait = run->end_ns - now;
        struct io_uring_cqe *cqe = NULL;
        if (wait == 0) {
            io_uring_submit(&w->ring);
        } else {
            struct __kernel_timespec ts = {.tv_sec = (long long)(wait / 1000000000ull),
                                           .tv_nsec = (long long)(wait % 1000000000ull)};
            int r = io_uring_submit_and_wait_timeout(&w->ring, &cqe, 1, &ts, NULL);
            if (r < 0 && r != -ETIME && r != -EINTR && r != -EBUSY && r != -EAGAIN) break;
        }
        unsigned head, seen = 0;
        now = now_ns();
        io_uring_for_each_cqe(&w->ring, head, cqe) {
            seen++;
            if (cqe->user_data != ~0ull) on_cqe(w, cqe, now);
        }
        io_uring_cq_advance(&w->ring, seen);
    }
    // Anything still open belongs to requests cut off by the end of the window.
    w->finished_ns = now_ns();
    for (uint32_t i = 0; i < w->nconns; i++) close_conn(&w->conns[i]);
    io_uring_queue_exit(&w->ring);
    atomic_fetch_add(&run->done_threads, 1);
    return NULL;
}

// ---- run setup, progress and merge ----

static void free_run(bench_run *run) {
    if (!run->workers) { free(run); return; }
    for (uint32_t t = 0; t < run->cfg.threads; t++) {
        worker *w = &run->workers[t];
        for (uint32_t i = 0; i < w->nconns; i++) {
            free(w->conns[i].buf);
            free(w->conns[i].outbuf);
        }
        if (w->templates)
            for (uint32_t u = 0; u < run->cfg.nrequests; u++) free(w->templates[u]);
        free(w->templates);
        free(w->template_len);
        free(w->conns);
        free(w->clients);
        free(w->idle);
    }
    free(run->workers);
    free(run);
}

static int setup_worker(bench_run *run, worker *w, uint32_t t, uint32_t *conn_base, uint32_t *client_base) {
    const bench_config *cfg = &run->cfg;
    uint32_t T = cfg->threads;
    w->run = run;
    w->id = t;
    w->nconns = cfg->connections / T + (t < cfg->connections % T);
    w->nclients = cfg->clients ? cfg->clients / T + (t < cfg->clients % T) : 0;
    if (w->nclients && w->nclients < w->nconns) w->nconns = w->nclients;
    w->client_stride = w->nconns;
    if (cfg->max_requests) w->quota = cfg->max_requests / T + (t < cfg->max_requests % T);
    if (cfg->rate > 0) w->interval_ns = 1e9 / (cfg->rate / T);
    w->conns = calloc(w->nconns ? w->nconns : 1, sizeof(conn));
    w->idle = calloc(w->nconns ? w->nconns : 1, sizeof(uint32_t));
    w->clients = w->nclients ? calloc(w->nclients, sizeof(vclient)) : NULL;
    w->templates = calloc(cfg->nrequests, sizeof(char *));
    w->template_len = calloc(cfg->nrequests, sizeof(uint32_t));
    if (!w->conns || !w->idle || (w->nclients && !w->clients) || !w->templates || !w->template_len) return -1;
    uint32_t maxlen = 0;
    for (uint32_t u = 0; u < cfg->nrequests; u++) {
        const bench_request *rq = &cfg->requests[u];
        uint32_t n = rq->head_len + rq->tail_len;
        w->templates[u] = malloc(n ? n : 1);
        if (!w->templates[u]) return -1;
        memcpy(w->templates[u], rq->head, rq->head_len);
        memcpy(w->templates[u] + rq->head_len, rq->tail, rq->tail_len);
        w->template_len[u] = n;
        if (n > maxlen) maxlen = n;
    }
    w->outbuf_cap = maxlen + BENCH_JAR_RENDER_MAX;
    for (uint32_t i = 0; i < w->nclients; i++) w->clients[i].last_server = -1;
    for (uint32_t i = 0; i < w->nconns; i++) {
        conn *c = &w->conns[i];
        c->fd = -1;
        c->index = i;
        c->buf = malloc(RECV_BUF);
        if (!c->buf) return -1;
        if (w->nclients) {
            c->outbuf = malloc(w->outbuf_cap);
            if (!c->outbuf) return -1;
        }
        c->first_client = c->next_client = i;
        c->source = cfg->nsource ? (*conn_base + i) % cfg->nsource : 0;
    }
    *conn_base += w->nconns;
    *client_base += w->nclients;
    return 0;
}

bench_run *bench_start(const bench_config *cfg, char *err, int errlen) {
    if (!cfg->nrequests || !cfg->schedule_len || !cfg->threads || !cfg->connections) {
        snprintf(err, (size_t)errlen, "need at least one URL, one thread and one connection");
        return NULL;
    }
    if (!cfg->duration_ns && !cfg->max_requests) {
        snprintf(err, (size_t)errlen, "need a duration or a request count");
        return NULL;
    }
    for (uint32_t i = 0; i < cfg->schedule_len; i++)
        if (cfg->schedule[i] >= cfg->nrequests) {
            snprintf(err, (size_t)errlen, "schedule names URL %u of %u", cfg->schedule[i], cfg->nrequests);
            return NULL;
        }
    bench_run *run = calloc(1, sizeof *run);
    if (!run) { snprintf(err, (size_t)errlen, "out of memory"); return NULL; }
    run->cfg = *cfg;
    if (run->cfg.threads > run->cfg.connections) run->cfg.threads = run->cfg.connections;
    if (run->cfg.clients && run->cfg.threads > run->cfg.clients) run->cfg.threads = run->cfg.clients;
    if (!run->cfg.timeout_ns) run->cfg.timeout_ns = 5000000000ull;
    if (cfg->server_id_header) {
        size_t n = strlen(cfg->server_id_header);
        if (n >= sizeof run->id_header_lower) n = sizeof run->id_header_lower - 1;
        for (size_t i = 0; i < n; i++) {
            char ch = cfg->server_id_header[i];
            run->id_header_lower[i] = (ch >= 'A' && ch <= 'Z') ? ch + 32 : ch;
        }
        run->id_header_len = n;
    }
    if (cfg->server_id_body) run->id_body_len = strlen(cfg->server_id_body);
    run->workers = calloc(run->cfg.threads, sizeof(worker));
    if (!run->workers) { free(run); snprintf(err, (size_t)errlen, "out of memory"); return NULL; }
    uint32_t conn_base = 0, client_base = 0;
    for (uint32_t t = 0; t < run->cfg.threads; t++)
        if (setup_worker(run, &run->workers[t], t, &conn_base, &client_base) < 0) {
            free_run(run);
            snprintf(err, (size_t)errlen, "out of memory");
            return NULL;
        }
    run->start_ns = now_ns();
    run->measure_ns = run->start_ns + cfg->warmup_ns;
    run->end_ns = cfg->duration_ns ? run->measure_ns + cfg->duration_ns : 0;
    for (uint32_t t = 0; t < run->cfg.threads; t++) {
        int e = pthread_create(&run->workers[t].thread, NULL, worker_main, &run->workers[t]);
        if (e) {
            atomic_store(&run->stop, 1);
            for (uint32_t j = 0; j < t; j++) pthread_join(run->workers[j].thread, NULL);
            free_run(run);
            snprintf(err, (size_t)errlen, "pthread_create: %s", strerror(e));
            return NULL;
        }
    }
    return run;
}

void bench_poll(bench_run *run, bench_progress *out) {
    uint64_t now = now_ns();
    memset(out, 0, sizeof *out);
    for (uint32_t t = 0; t < run->cfg.threads; t++) {
        out->responses += atomic_load_explicit(&run->workers[t].live_responses, memory_order_relaxed);
        out->errors += atomic_load_explicit(&run->workers[t].live_errors, memory_order_relaxed);
    }
    out->measuring = now >= run->measure_ns;
    out->elapsed_ns = out->measuring ? now - run->measure_ns : 0;
}

void bench_stop(bench_run *run) { atomic_store(&run->stop, 1); }

int bench_is_done(bench_run *run) {
    return atomic_load(&run->done_threads) == run->cfg.threads;
}

void bench_finish(bench_run *run, bench_result *out) {
    uint64_t end = 0;
    for (uint32_t t = 0; t < run->cfg.threads; t++) {
        pthread_join(run->workers[t].thread, NULL);
        if (run->workers[t].finished_ns > end) end = run->workers[t].finished_ns;
    }
    memset(out, 0, sizeof *out);
    for (uint32_t t = 0; t < run->cfg.threads; t++) {
        worker *w = &run->workers[t];
        bench_result *r = &w->res;
        out->responses += r->responses;
        out->bytes_in += r->bytes_in;
        out->bytes_out += r->bytes_out;
        out->err_connect += r->err_connect;
        out->err_read += r->err_read;
        out->err_timeout += r->err_timeout;
        out->err_status += r->err_status;
        out->err_parse += r->err_parse;
        for (int i = 0; i < 6; i++) out->status_class[i] += r->status_class[i];
        out->connects += r->connects;
        out->moves += r->moves;
        out->identified += r->identified;
        out->clients_moved += r->clients_moved;
        if (r->max_backlog > out->max_backlog) out->max_backlog = r->max_backlog;
        for (uint32_t i = 0; i < BENCH_HIST_BUCKETS; i++) out->latency_us[i] += r->latency_us[i];
        for (uint32_t s = 0; s < w->nservers; s++) {
            uint32_t k = 0;
            while (k < out->nservers && strcmp(out->servers[k].name, w->server_names[s]) != 0) k++;
            if (k == out->nservers) {
                if (out->nservers == BENCH_MAX_SERVERS) k = BENCH_MAX_SERVERS - 1;
                else memcpy(out->servers[out->nservers++].name, w->server_names[s], BENCH_SERVER_NAME);
            }
            out->servers[k].responses += r->servers[s].responses;
        }
    }
    uint64_t stop = run->end_ns && end > run->end_ns ? run->end_ns : end;
    out->elapsed_ns = stop > run->measure_ns ? stop - run->measure_ns : 0;
    for (uint32_t t = 0; t < run->cfg.threads; t++)
        if (run->workers[t].ring_error < 0) {
            snprintf(out->error, sizeof out->error, "io_uring_queue_init: %s",
                     strerror(-run->workers[t].ring_error));
            break;
        }
    free_run(run);
}

int bench_execute(const bench_config *cfg, bench_result *out) {
    char err[256];
    bench_run *run = bench_start(cfg, err, sizeof err);
    if (!run) {
        memset(out, 0, sizeof *out);
        snprintf(out->error, sizeof out->error, "%s", err);
        return -1;
    }
    bench_finish(run, out);
    return out->error[0] ? -1 : 0;
}
