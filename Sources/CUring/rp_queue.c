// Server maxconn: a request holds one of its server's slots (counted across workers) from its
// connect to the end of its exchange; when none is free it waits in this worker's FIFO for the
// server, at most `timeout queue`. For the counters and the log it waits, as in HAProxy, in its
// server's queue when persistence chose the server, else in its backend's queue.
#include "rp_internal.h"

/* The queue a request is counted in: its server's (persistent) or its backend's. */
static void queue_count(worker *w, conn *c, int delta) {
    rp_engine *e = w->e;
    atomic_int *cur, *max;
    int b = e->servers[c->server].backend;
    if (c->direct || b < 0 || b >= e->nbackends) { cur = &e->srv_queued[c->server]; max = &e->srv_qmax[c->server]; }
    else { cur = &e->be_queued[b]; max = &e->be_qmax[b]; }
    atomic_fetch_add_explicit(&e->srv_waiting[c->server], delta, memory_order_relaxed);
    int now = atomic_fetch_add(cur, delta) + delta;
    int m = atomic_load(max);
    while (now > m && !atomic_compare_exchange_weak(max, &m, now)) {}
}

/* Takes a slot for c's server, or queues c. Returns 1 when queued, 2 when the server's queue
   is full (`maxqueue`). */
int queue_enter(worker *w, conn *c) {
    const rp_engine *e = w->e;
    int s = c->server;
    if (s < 0 || s >= e->cfg.nservers || c->holds_slot || e->servers[s].maxconn <= 0) return 0;
    int mc = e->servers[s].minconn ? srvopt_limit(e, s) : e->servers[s].maxconn;
    if (atomic_fetch_add(&e->srv_active[s], 1) < mc) { c->holds_slot = 1; return 0; }
    atomic_fetch_sub(&e->srv_active[s], 1);
    if (e->servers[s].maxqueue && srvopt_queue_full(e, s)) return 2;
    /* wait in the server's queue until a slot frees, at most `timeout queue` */
    req_phase(c, PH_QUEUED);
    c->q_next = NULL;
    if (w->q_tail[s]) w->q_tail[s]->q_next = c; else w->q_head[s] = c;
    w->q_tail[s] = c;
    w->queued++;
    c->was_queued = 1;
    queue_count(w, c, 1);
    c->sdl = w->now + (c->queue_to ? c->queue_to : c->connect_to);
    tw_schedule(w, c);
    return 1;
}

void queue_remove(worker *w, conn *c) {
    int s = c->server;
    conn **pp = &w->q_head[s], *prev = NULL;
    while (*pp && *pp != c) { prev = *pp; pp = &(*pp)->q_next; }
    if (!*pp) return;
    *pp = c->q_next;
    if (w->q_tail[s] == c) w->q_tail[s] = prev;
    c->q_next = NULL;
    w->queued--;
    RP_ASSERT(w->queued >= 0);
    queue_count(w, c, -1);
    c->q_end = w->now;         /* left without a server unless queue_kick starts its connect */
}

/* Starts queued requests while their server has free slots. */
void queue_kick(worker *w, int s) {
    while (w->q_head[s]) {
        int mc = w->e->servers[s].minconn ? srvopt_limit(w->e, s) : w->e->servers[s].maxconn;
        if (mc > 0 && atomic_load(&w->e->srv_active[s]) >= mc) return;
        conn *c = w->q_head[s];
        RP_ASSERT(c->state == C_ACTIVE && c->h[REQ].phase == PH_QUEUED);
        queue_remove(w, c);
        req_phase(c, PH_CONNECT);
        c->sdl = 0;
        connect_start(w, c);
    }
}

void srv_release(worker *w, conn *c) {
    if (!c->holds_slot) return;
    c->holds_slot = 0;
    atomic_fetch_sub(&w->e->srv_active[c->server], 1);
    if (w->q_head[c->server]) queue_kick(w, c->server);
}
