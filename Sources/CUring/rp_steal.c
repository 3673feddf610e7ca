// Idle server connections shared between workers (HAProxy lets a thread take an idle
// connection from another thread's list). Each worker keeps its idle connections in its own
// pool (rp_pool.c), which only it touches: taking from or putting into it costs no lock and
// no atomic read-modify-write. Besides, it publishes how many it holds per server (a relaxed
// store into its own cache line of `idle_pub`). A worker whose own pool has nothing for a
// request looks at the others' counts; when one has some, it parks the request and posts an
// ask to that worker's box (a short mutex-protected array) and wakes it through its eventfd.
// The owner answers on its next loop turn with a descriptor from its pool (descriptors are
// process-wide: the taker's ring uses it as its own) or -1, and the taker resumes the request:
// on that connection, or on a new one. An answer whose request is gone goes to the taker's pool.
#include "rp_internal.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BOX_CAP 64

enum { ASK = 0, ANSWER = 1 };
typedef struct steal_msg {
    int kind, from, server, fd;
    uint32_t min_uses, uses, slot, gen;
} steal_msg;

struct steal_box {
    pthread_mutex_t mu;
    int closed;                /* the owner's loop ended: no more asks */
    int n;
    steal_msg m[BOX_CAP];
};

int steal_init(rp_engine *e) {
    if (e->nw < 2) return 0;
    e->idle_stride = (e->cfg.nservers + 15) & ~15;     /* a worker's counts: whole cache lines */
    size_t n = (size_t)e->idle_stride * (size_t)e->nw;
    if (n == 0) return 0;
    e->idle_pub = aligned_alloc(64, n * sizeof(atomic_int));
    if (!e->idle_pub) return -1;
    for (size_t i = 0; i < n; i++) atomic_init(&e->idle_pub[i], 0);
    for (int i = 0; i < e->nw; i++) {
        struct steal_box *b = calloc(1, sizeof *b);
        if (!b) return -1;
        pthread_mutex_init(&b->mu, NULL);
        e->w[i].box = b;
    }
    return 0;
}

void steal_free(rp_engine *e) {
    if (e->w) for (int i = 0; i < e->nw; i++) {
        struct steal_box *b = e->w[i].box;
        if (!b) continue;
        for (int k = 0; k < b->n; k++) if (b->m[k].kind == ANSWER && b->m[k].fd >= 0) close(b->m[k].fd);
        pthread_mutex_destroy(&b->mu);
        free(b);
        e->w[i].box = NULL;
    }
    free(e->idle_pub); e->idle_pub = NULL;
}

/* Posts m to worker `to` and wakes it; 0 when its box is closed or full. */
static int post(rp_engine *e, int to, const steal_msg *m) {
    struct steal_box *b = e->w[to].box;
    int ok = 0;
    pthread_mutex_lock(&b->mu);
    if (!b->closed && b->n < BOX_CAP) {
        b->m[b->n++] = *m; ok = 1;
        atomic_store_explicit(&e->w[to].steal_pending, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&b->mu);
    if (ok) rp_engine_wake(e, to);
    return ok;
}

int steal_ask(worker *w, conn *c, uint32_t min_uses) {
    rp_engine *e = w->e;
    if (!e->idle_pub || w->stopping) return 0;
    for (int k = 1; k < e->nw; k++) {
        int o = (w->id + k) % e->nw;
        if (atomic_load_explicit(&e->idle_pub[(size_t)o * (size_t)e->idle_stride + (size_t)c->server], memory_order_relaxed) <= 0) continue;
        steal_msg m = { .kind = ASK, .from = w->id, .server = c->server, .fd = -1, .min_uses = min_uses,
                        .slot = conn_slot(w, c), .gen = c->gen };
        if (!post(e, o, &m)) continue;
        c->steal_wait = 1;
        return 1;
    }
    return 0;
}

/* The answer to one of this worker's asks. */
static void on_answer(worker *w, const steal_msg *m) {
    conn *c = m->slot < (uint32_t)w->nconns ? &w->conns[m->slot] : NULL;
    if (c && c->state == C_ACTIVE && c->gen == m->gen && c->steal_wait && c->server == m->server) {
        RP_ASSERT(c->h[REQ].phase == PH_CONNECT && c->fd[SRV] < 0 && !server_ops(c));
        c->steal_wait = 0;
        if (m->fd >= 0) c->srv_uses = m->uses;
        connect_with(w, c, m->fd);
        return;
    }
    if (m->fd < 0) return;
    /* the request went away meanwhile: the connection is idle here now */
    if (w->stopping || w->pool_cap <= 0) { close(m->fd); return; }
    pool_put(w, m->server, m->fd, m->uses);
}

void steal_run(worker *w) {
    struct steal_box *b = w->box;
    steal_msg m[BOX_CAP];
    pthread_mutex_lock(&b->mu);
    int n = b->n;
    memcpy(m, b->m, (size_t)n * sizeof *m);
    b->n = 0;
    atomic_store_explicit(&w->steal_pending, 0, memory_order_relaxed);
    pthread_mutex_unlock(&b->mu);
    for (int i = 0; i < n; i++) {
        if (m[i].kind == ANSWER) { on_answer(w, &m[i]); continue; }
        steal_msg a = m[i];
        a.kind = ANSWER; a.fd = -1; a.uses = 0;
        if (!w->stopping) a.fd = pool_take(w, a.server, a.min_uses, &a.uses);
        if (!post(w->e, a.from, &a) && a.fd >= 0) close(a.fd);   /* the asker has ended */
    }
}

/* The loop has ended: asks still waiting get "none", answers' connections are closed. */
void steal_close(worker *w) {
    if (!w->box) return;
    struct steal_box *b = w->box;
    pthread_mutex_lock(&b->mu);
    b->closed = 1;
    pthread_mutex_unlock(&b->mu);
    int saved = w->stopping;
    w->stopping = 2;                       /* no more takes from the pool for others */
    steal_run(w);
    w->stopping = saved;
    if (w->e->idle_pub)
        for (int s = 0; s < w->e->cfg.nservers; s++)
            atomic_store_explicit(&w->e->idle_pub[(size_t)w->id * (size_t)w->e->idle_stride + (size_t)s], 0, memory_order_relaxed);
}
