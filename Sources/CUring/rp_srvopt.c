// Server options (HAProxy's `server` keywords the data plane applies): socket options and the
// source address of connections to a server; the dynamic limit `minconn` with the backend's
// `fullconn`; `maxqueue`; idle-pool limits (`pool-max-conn`, `pool-purge-delay`); closing a
// server's exchanges (`on-marked-down shutdown-sessions`, a worker mailbox job). Every option
// is zero when unused, and its caller tests one field before calling in here.
#include "rp_internal.h"
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>

#ifndef TCP_FASTOPEN_CONNECT
#define TCP_FASTOPEN_CONNECT 30
#endif
#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif
#define IDLE_PURGE_DEFAULT_MS 5000

static int set_int(int fd, int level, int name, int v) {
    return setsockopt(fd, level, name, &v, sizeof v) < 0 ? -errno : 0;
}

/* `source ADDR[:LOW[-HIGH]]`. Without a port the kernel picks one at connect time (so one
   port may serve several servers); with a range, ports are tried from a rotating cursor. */
static int bind_source(worker *w, const rp_server_cfg *sv, int fd) {
    struct sockaddr_storage a = sv->src;
    if (sv->src_port_lo == 0) {
        (void)set_int(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1);
        return bind(fd, (struct sockaddr *)&a, sv->srclen) < 0 ? -errno : 0;
    }
    (void)set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    int span = sv->src_port_hi - sv->src_port_lo + 1;
    RP_ASSERT(span > 0);
    for (int i = 0; i < span; i++) {
        uint16_t port = (uint16_t)(sv->src_port_lo + (w->src_next++ % (uint32_t)span));
        if (a.ss_family == AF_INET6) ((struct sockaddr_in6 *)&a)->sin6_port = htons(port);
        else ((struct sockaddr_in *)&a)->sin_port = htons(port);
        if (bind(fd, (struct sockaddr *)&a, sv->srclen) == 0) return 0;
        if (errno != EADDRINUSE) return -errno;
    }
    return -EADDRINUSE;
}

int srvopt_socket(worker *w, int server, int fd) {
    const rp_server_cfg *sv = &w->e->servers[server];
    int o = sv->sock_opts, r;
    RP_ASSERT(o != 0);
    if ((o & RP_SRV_KEEPALIVE) && (r = set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1)) < 0) return r;
    if (o & RP_SRV_NOLINGER) {
        /* closing sends a reset and leaves nothing in FIN_WAIT / TIME_WAIT (option nolinger) */
        struct linger l = { .l_onoff = 1, .l_linger = 0 };
        if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) < 0) return -errno;
    }
    if ((o & RP_SRV_USER_TIMEOUT) && (r = set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, (int)sv->user_timeout_ms)) < 0) return r;
    if (o & RP_SRV_TFO) (void)set_int(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 1);   /* best effort, as HAProxy */
    if (o & RP_SRV_SOURCE) return bind_source(w, sv, fd);
    return 0;
}

/* HAProxy's srv_dynamic_maxconn: between minconn and maxconn in proportion to the backend's
   load (requests its servers serve or queue, this one included) over its fullconn. */
int srvopt_limit(const rp_engine *e, int s) {
    const rp_server_cfg *sv = &e->servers[s];
    int max = sv->maxconn;
    if (sv->minconn <= 0 || sv->minconn >= max || sv->be_fullconn <= 0) return max;
    int64_t load = 1;
    for (int k = sv->be_first; k < sv->be_first + sv->be_count; k++)
        load += atomic_load_explicit(&e->srv_active[k], memory_order_relaxed)
              + atomic_load_explicit(&e->srv_waiting[k], memory_order_relaxed);
    if (load >= sv->be_fullconn) return max;
    int dyn = (int)(load * max / sv->be_fullconn);
    return dyn > sv->minconn ? dyn : sv->minconn;
}

int srvopt_queue_full(const rp_engine *e, int s) {
    int mq = e->servers[s].maxqueue;
    return mq > 0 && atomic_load_explicit(&e->srv_waiting[s], memory_order_relaxed) >= mq;
}

int srvopt_may_pool(worker *w, const conn *c) {
    const rp_server_cfg *sv = &w->e->servers[c->server];
    if (sv->idle_max < 0) return 0;
    return sv->idle_max == 0 || atomic_load_explicit(&w->e->srv_idle[c->server], memory_order_relaxed) < sv->idle_max;
}

void srvopt_idle_count(worker *w, int server, int delta) {
    if (w->e->servers[server].idle_max > 0) atomic_fetch_add_explicit(&w->e->srv_idle[server], delta, memory_order_relaxed);
}

int srvopt_purge_ms(const rp_engine *e, int server) {
    int ms = e->servers[server].idle_purge_ms;
    return ms == 0 ? IDLE_PURGE_DEFAULT_MS : ms;          /* < 0: never purged */
}

/* The server's queue is full (`maxqueue`): a request the balancer placed, or a persistent one
   with `option redispatch`, goes to another server once; otherwise HAProxy's 503 `SQ`. */
void srvopt_queue_rejected(worker *w, conn *c) {
    const rp_callbacks *cb = &w->e->cfg.cb;
    if ((c->lb_assigned || c->redispatch) && !c->qfull_moved && cb->on_redispatch) {
        int old = c->server;
        c->qfull_moved = 1;
        int ns = cb->on_redispatch(cb->ctx, w->id, conn_slot(w, c), old, c->h[REQ].buf, c->h[REQ].fill);
        if (ns >= 0 && ns != old) { c->server = ns; connect_start(w, c); return; }
    }
    send_page(w, c, 503, 'S', 'Q');
}

/* The termination state's second character for an exchange killed now. */
static char killed_phase(const conn *c) {
    switch (c->h[REQ].phase) {
    case PH_CONNECT: case PH_WAIT_RETRY: return 'C';
    default: return c->h[RESP].phase == PH_HEAD ? 'H' : 'D';
    }
}

int rp_worker_shutdown_server(rp_engine *e, int wi, int server, char why) {
    if (wi < 0 || wi >= e->nw || server < 0 || server >= e->cfg.nservers) return 0;
    worker *w = &e->w[wi];
    int n = 0;
    for (int i = 0; i < w->nconns; i++) {
        conn *c = &w->conns[i];
        /* between two requests, or waiting in the queue (HAProxy leaves queued ones too) */
        int ph = c->h[REQ].phase;
        if (c->state != C_ACTIVE || c->server != server || ph == PH_HEAD || ph == PH_QUEUED) continue;
        n++;
        if (c->h[RESP].phase == PH_HEAD && c->status < 0 && !c->h[RESP].send) { send_page(w, c, 502, why, 'H'); continue; }
        c->term0 = why;
        c->term1 = killed_phase(c);
        conn_close(w, c);
    }
    int fd;
    uint32_t uses;
    while ((fd = pool_take(w, server, 0, &uses)) >= 0) close(fd);
    reuse_drop_server(w, server);
    return n;
}
