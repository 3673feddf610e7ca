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
    w->wake_fd = -1;
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

/* Closes every worker's listening sockets (a failed start must not leave them bound). */
static void listeners_close_all(rp_engine *e) {
    if (!e->w) return;
    for (int j = 0; j < e->nw; j++) {
        worker *w = &e->w[j];
        if (!w->lfd) continue;
        for (int k = 0; k < e->cfg.nlisteners; k++) if (w->lfd[k] >= 0) { close(w->lfd[k]); w->lfd[k] = -1; }
    }
}

int rp_engine_create(const rp_engine_cfg *cfg, rp_engine **out, char *err, int errlen) {
    char why[256];
    *out = NULL;
    int pr = rp_io_uring_probe(why, sizeof why);
    if (pr < 0) { snprintf(err, errlen, "%s", why); return pr; }
    rp_engine *e = calloc(1, sizeof *e);
    if (!e) { snprintf(err, errlen, "out of memory"); return -ENOMEM; }
    e->cfg = *cfg;
    e->nw = cfg->nworkers > 0 ? cfg->nworkers : get_nprocs();
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    e->listeners = calloc((size_t)cfg->nlisteners + 1, sizeof *e->listeners);
    e->servers = calloc((size_t)cfg->nservers + 1, sizeof *e->servers);
    e->w = calloc((size_t)e->nw, sizeof *e->w);
    e->srv_active = calloc((size_t)cfg->nservers + 1, sizeof *e->srv_active);
    e->srv_queued = calloc((size_t)cfg->nservers + 1, sizeof *e->srv_queued);
    e->srv_qmax = calloc((size_t)cfg->nservers + 1, sizeof *e->srv_qmax);
    for (int s = 0; s < cfg->nservers; s++) if (cfg->servers[s].backend >= e->nbackends) e->nbackends = cfg->servers[s].backend + 1;
    e->be_queued = calloc((size_t)e->nbackends + 1, sizeof *e->be_queued);
    e->be_qmax = calloc((size_t)e->nbackends + 1, sizeof *e->be_qmax);
    e->srv_idle = calloc((size_t)cfg->nservers + 1, sizeof *e->srv_idle);
    e->srv_waiting = calloc((size_t)cfg->nservers + 1, sizeof *e->srv_waiting);
    size_t maskn = cfg->cpu_masks && cfg->cpu_words > 0 ? (size_t)cfg->cpu_words * (size_t)e->nw : 0;
    uint64_t *masks = maskn ? calloc(maskn, sizeof *masks) : NULL;
    if (cfg->test_hooks) e->snap = calloc((size_t)e->nw, sizeof *e->snap);
    e->dump = cfg->test_hooks && getenv("RP_DUMP") != NULL;
    if (!e->listeners || !e->servers || !e->w || !e->srv_active || !e->srv_queued || !e->srv_qmax
        || !e->be_queued || !e->be_qmax || !e->srv_idle || !e->srv_waiting || (maskn && !masks)
        || (cfg->test_hooks && !e->snap)) { free(masks); goto nomem; }
    memcpy(e->listeners, cfg->listeners, (size_t)cfg->nlisteners * sizeof *e->listeners);
    memcpy(e->servers, cfg->servers, (size_t)cfg->nservers * sizeof *e->servers);
    if (masks) memcpy(masks, cfg->cpu_masks, maskn * sizeof *masks);
    e->cfg.listeners = e->listeners; e->cfg.servers = e->servers; e->cfg.cpu_masks = masks;
    if (!masks) e->cfg.cpu_words = 0;
    int nb = cfg->bufring_entries > 0 ? cfg->bufring_entries : NBUFS;
    if (nb & (nb - 1) || nb > 32768) { snprintf(err, errlen, "bufring_entries must be a power of two <= 32768"); rp_engine_free(e); return -EINVAL; }
    e->cfg.bufring_entries = nb;
    int maxconn = cfg->maxconn > 0 ? cfg->maxconn : 4096;
    for (int i = 0; i < e->nw; i++) {
        worker *w = &e->w[i];
        if (worker_init(e, w, i, maxconn) < 0) goto nomem;
        for (int l = 0; l < cfg->nlisteners; l++) {
            int fd = listener_open(&e->listeners[l], err, errlen);
            if (fd < 0) { rp_engine_free(e); return fd; }
            w->lfd[l] = fd;
        }
    }
    if (steal_init(e) < 0) goto nomem;
    atomic_store(&e->active, 0);
    atomic_store(&e->stop, 0);
    *out = e;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
    rp_engine_free(e);
    return -ENOMEM;
}

/* Called by each worker once its ring is set up (r == 0) or could not be (r < 0, `why`);
   returns 1 when the engine runs, 0 when the start was aborted. */
int worker_started(worker *w, int r, const char *why) {
    rp_engine *e = w->e;
    pthread_mutex_lock(&e->mu);
    if (r < 0) {
        if (!e->nfailed) snprintf(e->starterr, sizeof e->starterr, "worker %d: %s", w->id, why);
        e->nfailed++;
    } else e->nready++;
    pthread_cond_broadcast(&e->cv);
    while (e->go == 0) pthread_cond_wait(&e->cv, &e->mu);
    int go = e->go > 0 && r == 0;
    pthread_mutex_unlock(&e->mu);
    return go;
}

int rp_engine_start(rp_engine *e, char *err, int errlen) {
    int created = 0, r = 0;
    for (int i = 0; i < e->nw; i++) {
        r = pthread_create(&e->w[i].thread, NULL, worker_main, &e->w[i]);
        if (r) { snprintf(err, errlen, "cannot start worker thread %d: %s", i, strerror(r)); r = -r; break; }
        e->w[i].started = 1;
        created++;
    }
    pthread_mutex_lock(&e->mu);
    while (e->nready + e->nfailed < created) pthread_cond_wait(&e->cv, &e->mu);
    if (r == 0 && e->nfailed) { snprintf(err, errlen, "%s", e->starterr); r = -EIO; }
    e->go = r == 0 ? 1 : -1;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
    if (r < 0) {
        rp_engine_join(e);
        listeners_close_all(e);
    }
    return r;
}

void rp_engine_stop(rp_engine *e, int soft) {
    atomic_store(&e->stop, soft ? 1 : 2);
}

void rp_engine_join(rp_engine *e) {
    for (int i = 0; i < e->nw; i++) if (e->w[i].started) { pthread_join(e->w[i].thread, NULL); e->w[i].started = 0; }
}

void rp_engine_free(rp_engine *e) {
    if (!e) return;
    int running = 0;
    for (int i = 0; i < e->nw; i++) running |= e->w[i].started;
    if (running) { rp_engine_stop(e, 0); rp_engine_join(e); }
    listeners_close_all(e);
    if (e->w) for (int i = 0; i < e->nw; i++) worker_free(&e->w[i]);
    steal_free(e);
    free(e->w); free(e->listeners); free(e->servers); free(e->srv_active); free(e->srv_queued);
    free(e->srv_qmax); free(e->be_queued); free(e->be_qmax); free(e->srv_idle); free(e->srv_waiting);
    free((void *)e->cfg.cpu_masks); free(e->snap);
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cv);
    free(e);
}

int rp_engine_worker_stats(rp_engine *e, int worker, rp_worker_stats *out) {
    if (!e || !e->snap || worker < 0 || worker >= e->nw) return -1;
    pthread_mutex_lock(&e->mu);
    *out = e->snap[worker];
    pthread_mutex_unlock(&e->mu);
    return 0;
}

int rp_engine_active(rp_engine *e) { return atomic_load(&e->active); }

int rp_engine_server_active(rp_engine *e, int server) { return atomic_load(&e->srv_active[server]); }
void rp_engine_queue(rp_engine *e, int server, int backend, int *cur, int *max) {
    *cur = *max = 0;
    if (backend >= 0) {
        if (backend < e->nbackends) { *cur = atomic_load(&e->be_queued[backend]); *max = atomic_load(&e->be_qmax[backend]); }
    } else if (server >= 0 && server < e->cfg.nservers) {
        *cur = atomic_load(&e->srv_queued[server]); *max = atomic_load(&e->srv_qmax[server]);
    }
}

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
