// `option contstats`: the byte counters of a frontend with it move while a transfer runs (HAProxy
// updates them as the stream progresses), not only when the exchange ends. The engine reports
// what moved since its last report; on_done then carries only the rest.
#include "rp_internal.h"

void stats_progress(worker *w, conn *c) {
    const rp_callbacks *cb = &w->e->cfg.cb;
    if (!cb->on_progress) return;
    uint64_t din = c->bytes_in > c->rep_in ? c->bytes_in - c->rep_in : 0;
    uint64_t dout = c->bytes_out > c->rep_out ? c->bytes_out - c->rep_out : 0;
    if (!din && !dout) return;
    c->rep_in += din; c->rep_out += dout;
    cb->on_progress(cb->ctx, w->id, conn_slot(w, c), c->frontend, c->listener, c->server, din, dout);
}
