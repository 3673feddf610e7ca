// Listeners: each worker has its own listening socket per bind (SO_REUSEPORT) or its own dup of
// a socket opened elsewhere (fd@N, UNIX, taken over), with a multishot accept armed while the
// worker and the frontend are below their maxconn.
#include "rp_internal.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* "127.0.0.1:8080" or "[::1]:8080", for messages that must name the address. */
static const char *addr_text(const struct sockaddr_storage *a, char *out, size_t n) {
    char host[INET6_ADDRSTRLEN] = "?";
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const void *)a;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
        snprintf(out, n, "[%s]:%u", host, ntohs(s6->sin6_port));
    } else {
        const struct sockaddr_in *s4 = (const void *)a;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
        snprintf(out, n, "%s:%u", host, ntohs(s4->sin_port));
    }
    return out;
}

static int listen_socket(const rp_listener_cfg *l, char *err, int errlen) {
    int fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) { int e = errno; snprintf(err, errlen, "socket: %s", strerror(e)); return -e; }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);   /* inherited by accepted sockets */
    if (bind(fd, (const struct sockaddr *)&l->addr, l->addrlen) < 0) {
        int e = errno;
        char text[64];
        snprintf(err, errlen, "cannot bind socket %s: %s", addr_text(&l->addr, text, sizeof text), strerror(e));
        close(fd); return -e;
    }
    if (listen(fd, 1024) < 0) { int e = errno; snprintf(err, errlen, "listen: %s", strerror(e)); close(fd); return -e; }
    return fd;
}

/* A socket someone else bound and put in the LISTEN state (inherited fd@N, a UNIX socket bound
   once, a socket taken over from the previous process): each worker accepts on its own dup, so
   each can close its copy on stop without closing the others'. */
static int shared_listener(const rp_listener_cfg *l, char *err, int errlen) {
    int fd = fcntl(l->fd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) { int e = errno; snprintf(err, errlen, "listening socket fd %d: %s", l->fd, strerror(e)); return -e; }
    return fd;
}

/* `option clitcpka` / `option nolinger` of the frontend: set on the listening socket, which
   accepted sockets inherit them from (SO_KEEPALIVE, SO_LINGER are copied at accept). */
static int client_options(const rp_listener_cfg *l, int fd, char *err, int errlen) {
    int one = 1;
    if ((l->sock_opts & RP_SRV_KEEPALIVE) && setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one) < 0) {
        int e = errno; snprintf(err, errlen, "option clitcpka: %s", strerror(e)); return -e;
    }
    struct linger nl = { .l_onoff = 1, .l_linger = 0 };
    if ((l->sock_opts & RP_SRV_NOLINGER) && setsockopt(fd, SOL_SOCKET, SO_LINGER, &nl, sizeof nl) < 0) {
        int e = errno; snprintf(err, errlen, "option nolinger: %s", strerror(e)); return -e;
    }
    return 0;
}

int listener_open(const rp_listener_cfg *l, char *err, int errlen) {
    int fd = l->fd >= 0 ? shared_listener(l, err, errlen) : listen_socket(l, err, errlen);
    if (fd >= 0 && l->sock_opts) {
        int r = client_options(l, fd, err, errlen);
        if (r < 0) { close(fd); return r; }
    }
    return fd;
}

/* This worker's share of a frontend's maxconn (0 = none). */
static int frontend_share(const worker *w, int li) {
    /* read while the runtime API may change it (`set maxconn frontend`) */
    int flim = __atomic_load_n(&w->e->listeners[li].maxconn, __ATOMIC_RELAXED);
    return flim > 0 ? (flim + w->e->nw - 1) / w->e->nw : 0;
}

static int below_limits(worker *w, int li) {
    int per = frontend_share(w, li);
    return w->active < w->limit && (!per || w->lactive[li] < per) && rate_allows(w);
}

void accept_arm(worker *w, int li) {
    if (w->accepting[li] || w->lfd[li] < 0) return;
    struct io_uring_sqe *s = sqe_get(w);
    io_uring_prep_multishot_accept(s, w->lfd[li], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    io_uring_sqe_set_data64(s, ud_encode(OP_ACCEPT, 0, (uint32_t)li));
    w->accepting[li] = 1;
}

/* A connection of listener li closed: accept again if a limit had stopped it. */
void accept_resume(worker *w, int li) {
    if (!w->stopping && !w->accepting[li] && below_limits(w, li)) accept_arm(w, li);
}

void on_accept(worker *w, int li, int res, uint32_t flags) {
    if (!(flags & IORING_CQE_F_MORE)) w->accepting[li] = 0;
    if (res < 0) {
        if (!w->accepting[li] && !w->stopping && res != -ECANCELED) accept_arm(w, li);
        return;
    }
    conn *c = conn_alloc(w);
    if (!c) { close(res); return; }
    COUNT(w, accepts);
    c->fd[CLI] = res; c->listener = li; c->frontend = w->e->listeners[li].frontend;
    socklen_t sl = sizeof c->caddr;
    getpeername(res, (struct sockaddr *)&c->caddr, &sl);
    c->client_to = w->e->listeners[li].client_timeout_ms;
    c->req_index = 0;
    const rp_callbacks *cb = &w->e->cfg.cb;
    int ap = w->e->listeners[li].accept_proxy;
    if (ap == RP_PROXY_IF)                       /* the connection rules decide, on addresses only */
        ap = cb->on_expect_proxy && cb->on_expect_proxy(cb->ctx, w->id, c->frontend, li, res, &c->caddr);
    c->pp_wait = (uint8_t)(ap != 0);
    w->active++; w->lactive[li]++;
    atomic_fetch_add(&w->e->active, 1);
    rate_counted(w);
    if (!rate_allows(w)) w->rate_blocked = 1;
    if (cb->on_connection) cb->on_connection(cb->ctx, w->id, c->frontend, li, 1);
    /* maxconn: stop accepting when full; excess clients wait in the kernel's backlog */
    if (!below_limits(w, li) && w->accepting[li]) cancel_ud(w, ud_encode(OP_ACCEPT, 0, (uint32_t)li));
    request_begin(w, c);
}

/* Stops listening now. close() alone is not enough: the pending multishot accept holds a
   reference to the socket, which would go on listening (and accepting). shutdown() takes it
   out of the LISTEN state at once; the cancel ends the multishot accept (its last CQE clears
   w->accepting). Connections already in the backlog are accepted first, to be served. */
void listeners_close(worker *w, int drain) {
    for (int i = 0; i < w->e->cfg.nlisteners; i++) {
        int fd = w->lfd[i];
        if (fd < 0) continue;
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);   /* the drain must not block */
        while (drain && below_limits(w, i)) {                  /* as on_accept counts */
            int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (cfd < 0) break;
            on_accept(w, i, cfd, IORING_CQE_F_MORE);
        }
        /* A socket shared with another process (fd@N, or handed to the new process by
           `_getsocks` for -x) must stay listening for it: cancelling the accept stops ours. */
        if (w->e->listeners[i].fd < 0 && !atomic_load(&w->e->exported)) shutdown(fd, SHUT_RDWR);
        if (w->accepting[i]) cancel_ud(w, ud_encode(OP_ACCEPT, 0, (uint32_t)i));
        close(fd);
        w->lfd[i] = -1;
    }
}

int any_accepting(worker *w) {
    for (int i = 0; i < w->e->cfg.nlisteners; i++) if (w->accepting[i]) return 1;
    return 0;
}
