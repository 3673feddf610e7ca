// `http-reuse` (HAProxy 2.6's modes): which idle server connection a request may take, and
// where a finished exchange's server connection goes. `always` takes any idle connection of
// the server; `safe` (the default) never gives a client connection's first request an idle
// one (a server closing it meanwhile would lose a request the client cannot know it may
// retry); `aggressive` gives a first request only a connection that has already carried more
// than one request (it proved it keeps alive); `never` keeps each server connection for the
// client connection that opened it, and closes it with that client connection.
#include "rp_internal.h"
#include <unistd.h>

/* An idle server connection for c's request (to c->server), or -1: connect a new one. */
int reuse_take(worker *w, conn *c) {
    if (c->own_fd >= 0) {
        int fd = c->own_fd;
        c->own_fd = -1;
        if (c->own_server == c->server && usesrc_private(w, c)) { c->srv_uses = c->own_uses; return fd; }
        close(fd);                               /* this request goes to another server */
    }
    uint32_t min_uses;
    if (usesrc_private(w, c)) return -1;        /* its own connection only (`never`, `usesrc`) */
    switch (c->reuse) {
    case RP_REUSE_NEW: return -1;
    case RP_REUSE_PROVEN: min_uses = 2; break;
    default: min_uses = 0; break;
    }
    int fd = pool_take(w, c->server, min_uses, &c->srv_uses);
    if (fd >= 0) return fd;
    /* none here: another worker's, when one has some (rp_steal.c) */
    return w->box && steal_ask(w, c, min_uses) ? REUSE_PARKED : -1;
}

/* c's exchange is over and its server connection sfd may serve again: 1 when kept (in the
   worker's pool, or by the client connection), 0 when the caller must close it. */
int reuse_keep(worker *w, conn *c, int sfd) {
    if (usesrc_private(w, c)) {
        RP_ASSERT(c->own_fd < 0);                /* reuse_take took it for this exchange */
        c->own_fd = sfd; c->own_server = c->server; c->own_uses = c->srv_uses;
        return 1;
    }
    if (!srvopt_pool_ok(w, c)) return 0;
    pool_put(w, c->server, sfd, c->srv_uses);
    return 1;
}

/* The idle connections client connections keep for themselves to `server` are closed (the
   server's sessions are being shut down). */
void reuse_drop_server(worker *w, int server) {
    for (int i = 0; i < w->nconns; i++) {
        conn *c = &w->conns[i];
        if (c->state == C_ACTIVE && c->own_fd >= 0 && c->own_server == server) { close(c->own_fd); c->own_fd = -1; }
    }
}
