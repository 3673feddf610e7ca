// The engine's public face (rp_engine.h): creation (tables, listening sockets), the worker
// threads, stop, and the counters other threads read.
#include "rp_internal.h"
#include "rp_sys.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

static int worker_init(rp_engine *e, worker *w, int id, int maxconn) {
    const rp_engine_cfg *cfg = &e->cfg;
    size_t nl = (size_t)cfg->nlisteners + 1, ns = (size_t)cfg->nservers + 1;
    w->e = e; w->id = id;
    w->limit = (maxconn + e->nw - 1) / e->nw;
    w->nconns = w->limit + 16;
    if (conns_init(w) < 0) return -ENOMEM;
    w->fire = calloc((size_t)w->nconns, sizeof *w->fire);
    w->lfd = calloc(nl, sizeof *w->lfd);
    w->accepting = calloc(nl, 1);
    w->lactive = calloc(nl, sizeof *w->lactive);
    w->pool_cap = w->limit < 1024 ? w->limit : 1024;
    w->pool = calloc(ns, sizeof *w->pool);
    w->pool_n = calloc(ns, sizeof *w->pool_n);
    w->q_head = calloc(ns, sizeof *w->q_head);
    w->q_tail = calloc(ns, sizeof *w->q_tail);
    if (!w->conns || !w->fire || !w->lfd || !w->accepting || !w->lactive || !w->pool || !w->pool_n || !w->q_head || !w->q_tail)
        return -ENOMEM;
    for (int k = 0; k < cfg->nservers; k++)
        if (!(w->pool[k] = calloc((size_t)w->pool_cap, sizeof(pool_entry)))) return -ENOMEM;
    for (int l = 0; l < cfg->nlisteners; l++) w->lfd[l] = -1;
    return control_init(w);
}

int rp_engine_create(const rp_engine_cfg *cfg, rp_engine **out, char *err, int errlen) {
    char why[256];
    int pr = rp_io_uring_probe(why, sizeof why);
    if (pr < 0) { snprintf(err, errlen, "%s", why); return pr; }
    rp_engine *e = calloc(1, sizeof *e);
    if (!e) { snprintf(err, errlen, "out of memory"); return -ENOMEM; }
    e->cfg = *cfg;
    e->nw = cfg->nworkers > 0 ? cfg->nworkers : get_nprocs();
    e->listeners = calloc((size_t)cfg->nlisteners + 1, sizeof *e->listeners);
    e->servers = calloc((size_t)cfg->nservers + 1, sizeof *e->servers);
    e->w = calloc((size_t)e->nw, sizeof *e->w);
    e->srv_active = calloc((size_t)cfg->nservers + 1, sizeof *e->srv_active);
    e->srv_queued = calloc((size_t)cfg->nservers + 1, sizeof *e->srv_queued);
    if (!e->listeners || !e->servers || !e->w || !e->srv_active || !e->srv_queued) goto nomem;
    memcpy(e->listeners, cfg->listeners, (size_t)cfg->nlisteners * sizeof *e->listeners);
    memcpy(e->servers, cfg->servers, (size_t)cfg->nservers * sizeof *e->servers);
    e->cfg.listeners = e->listeners; e->cfg.servers = e->servers;
    int maxconn = cfg->maxconn > 0 ? cfg->maxconn : 4096;
    for (int i = 0; i < e->nw; i++) {
        worker *w = &e->w[i];
        if (worker_init(e, w, i, maxconn) < 0) goto nomem;
        for (int l = 0; l < cfg->nlisteners; l++) {
            int fd = listener_open(&e->listeners[l], err, errlen);
            if (fd < 0) {
                for (int j = 0; j <= i; j++)
                    for (int k = 0; k < cfg->nlisteners; k++) if (e->w[j].lfd[k] >= 0) close(e->w[j].lfd[k]);
                return fd;
            }
            w->lfd[l] = fd;
        }
    }
    atomic_store(&e->active, 0);
    atomic_store(&e->stop, 0);
    *out = e;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
    if (e->w) for (int j = 0; j < e->nw; j++) if (e->w[j].lfd) for (int k = 0; k < cfg->nlisteners; k++) if (e->w[j].lfd[k] > 0) close(e->w[j].lfd[k]);
    return -ENOMEM;
}

int rp_engine_start(rp_engine *e) {
    for (int i = 0; i < e->nw; i++) {
        int r = pthread_create(&e->w[i].thread, NULL, worker_main, &e->w[i]);
        if (r) return -r;
        e->w[i].started = 1;
    }
    return 0;
}

void rp_engine_stop(rp_engine *e, int soft) {
    atomic_store(&e->stop, soft ? 1 : 2);
}

void rp_engine_join(rp_engine *e) {
    for (int i = 0; i < e->nw; i++) if (e->w[i].started) pthread_join(e->w[i].thread, NULL);
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
        io_uring_sqe_set_data64(s, UD_IGNORE);
    }
    io_uring_submit(&w->ring);
    return n;
}
