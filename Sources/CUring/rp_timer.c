// Timeouts: a per-worker wheel of TW_SLOTS slots of TW_TICK_MS ms. A connection has two
// deadlines (client side, server side) and sits in the wheel once, at the earlier one; an entry
// is moved only when a deadline comes earlier, and re-filed when visited too soon (lazy).
#include "rp_internal.h"

static int64_t conn_deadline(const conn *c) {
    int64_t d = c->cdl;
    if (c->sdl && (!d || c->sdl < d)) d = c->sdl;
    if (c->rinspect_dl && (!d || c->rinspect_dl < d)) d = c->rinspect_dl;
    return d;
}

void tw_unlink(worker *w, conn *c) {
    if (!c->tw.linked) return;
    int slot = (int)((c->tw.when / TW_TICK_MS) % TW_SLOTS);
    if (c->tw.prev) c->tw.prev->tw.next = c->tw.next; else w->wheel[slot] = c->tw.next;
    if (c->tw.next) c->tw.next->tw.prev = c->tw.prev;
    c->tw.linked = 0; c->tw.next = c->tw.prev = NULL;
}

static void tw_link(worker *w, conn *c, int64_t when) {
    RP_ASSERT(!c->tw.linked);
    int64_t minwhen = (w->tw_done + 1) * TW_TICK_MS;
    if (when < minwhen) when = minwhen;
    int slot = (int)((when / TW_TICK_MS) % TW_SLOTS);
    c->tw.when = when; c->tw.linked = 1;
    c->tw.prev = NULL; c->tw.next = w->wheel[slot];
    if (c->tw.next) c->tw.next->tw.prev = c;
    w->wheel[slot] = c;
}

/* Called whenever a deadline is set: only moves the entry when it must fire earlier. */
void tw_schedule(worker *w, conn *c) {
    int64_t d = conn_deadline(c);
    if (!d) return;                        /* stale entries are dropped when visited */
    if (c->tw.linked && c->tw.when <= d) return;
    tw_unlink(w, c);
    tw_link(w, c, d);
}

/* A deadline passed: what it means depends on the phase. */
static void conn_timeout(worker *w, conn *c) {
    int64_t now = w->now;
    COUNT(w, timeouts);
    int rph = c->h[REQ].phase;
    if (c->rinspect_dl && c->rinspect_dl <= now) {        /* tcp-response inspect-delay over */
        c->rinspect_dl = 0; c->rinspect_final = 1;
        tunnel_inspect(w, c);
        return;
    }
    if (c->tunnel && (rph == PH_BODY || rph == PH_DONE)) { tunnel_timeout(w, c); return; }
    if (c->sdl && c->sdl <= now) {
        c->sdl = 0;
        if (rph == PH_WAIT_RETRY) { req_phase(c, PH_CONNECT); connect_start(w, c); return; }
        if (rph == PH_QUEUED) { queue_remove(w, c); send_page(w, c, 503, 's', 'Q'); return; }
        if (c->h[RESP].phase == PH_HEAD) { send_page(w, c, 504, 's', 'H'); return; }
        c->term0 = 's'; c->term1 = 'D'; conn_close(w, c); return;
    }
    if (c->cdl && c->cdl <= now) {
        c->cdl = 0;
        if (rph == PH_HEAD) {
            if (c->pp_wait) { pp_abort(w, c); return; }                /* no PROXY header in time */
            if (c->inspect_dl) { c->inspect_final = 1; request_head(w, c); return; }  /* inspect-delay over */
            if (c->req_index > 0 && c->h[REQ].fill == 0) {
                /* a head being waited for takes received bytes at once: none may be queued here */
                RP_ASSERT(!w->use_ms || PENDING(c) == 0);
                if (!client_bytes_waiting(c)) { conn_close(w, c); return; }          /* idle keep-alive */
                /* its next request is in the socket, not yet received (the multishot waits for
                   provided buffers): closing would lose it. Its head's timeout from now on. */
                const rp_listener_cfg *l = &w->e->listeners[c->listener];
                uint32_t t = l->http_request_timeout_ms ? l->http_request_timeout_ms : c->client_to;
                c->cdl = now + (t ? t : SOFT_IDLE_MS);
                return;
            }
            c->quiet_out = 1;              /* HAProxy logs 0 bytes for its 408 */
            send_page(w, c, 408, 'c', 'R'); return;
        }
        c->term0 = 'c'; c->term1 = 'D';
        conn_close(w, c);
    }
}

/* Fires the deadlines that have passed. Each slot is walked first with no callback (entries
   not due yet are re-filed, due ones collected), then the due ones fire: a timeout may close or
   re-schedule any connection, which must not happen in the middle of a walk. */
void timers_run(worker *w) {
    int64_t tick = w->now / TW_TICK_MS;
    if (tick <= w->tw_done) return;
    int64_t from = w->tw_done + 1;
    if (tick - from >= TW_SLOTS) from = tick - TW_SLOTS + 1;
    for (int64_t t = from; t <= tick; t++) {
        int slot = (int)(t % TW_SLOTS);
        w->tw_done = t;                    /* links made from now on go to later slots */
        int nfire = 0;
        conn *c = w->wheel[slot];
        while (c) {
            conn *next = c->tw.next;
            RP_ASSERT(c->tw.linked);
            tw_unlink(w, c);
            int64_t dl = c->state == C_ACTIVE ? conn_deadline(c) : 0;
            if (dl > w->now) tw_link(w, c, dl);   /* not yet (lazy entry, or a later round) */
            else if (dl) { RP_ASSERT(nfire < w->nconns); w->fire[nfire++] = c; }
            c = next;
        }
        for (int i = 0; i < nfire; i++) {
            c = w->fire[i];
            if (c->state != C_ACTIVE) continue;
            int64_t dl = conn_deadline(c);
            if (!dl || dl > w->now) { tw_schedule(w, c); continue; }
            conn_timeout(w, c);
            if (c->state == C_ACTIVE && conn_deadline(c)) tw_schedule(w, c);
        }
    }
    w->tw_done = tick;
}
