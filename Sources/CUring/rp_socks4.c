// SOCKS4 on the way to a server (`socks4 ADDR:PORT` on its line, as HAProxy 2.6): a new server
// connection goes to the SOCKS4 proxy; once it is connected, the 16-byte CONNECT request (the
// server's IPv4 port and address, the user id "HAProxy") is sent and the 8-byte reply read.
// 0x5A (granted): the connection is the server's and the request goes on it (pooled
// connections are already through the proxy). Anything else, an error or the proxy's close is
// a failed connection to the server (retries, redispatch, 503 SC); the handshake counts in the
// connect timeout (503 sC). One op at a time: the send, then the receive.
#include "rp_internal.h"
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

enum { SOCKS4_REQ_LEN = 16, SOCKS4_REPLY_LEN = 8, SOCKS4_GRANTED = 0x5A };

static void socks4_send(worker *w, conn *c) {
    struct io_uring_sqe *s = sqe_get(w);
    io_uring_prep_send(s, c->fd[SRV], c->socks_io + c->socks_done, SOCKS4_REQ_LEN - c->socks_done, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(s, conn_ud(w, c, OP_SEND_REQ));
    c->h[REQ].send = 1; c->inflight++;
}

static void socks4_recv(worker *w, conn *c) {
    struct io_uring_sqe *s = sqe_get(w);
    io_uring_prep_recv(s, c->fd[SRV], c->socks_io + c->socks_done, SOCKS4_REPLY_LEN - c->socks_done, 0);
    io_uring_sqe_set_data64(s, conn_ud(w, c, OP_RECV_RESP));
    c->h[RESP].recv = 1; c->inflight++;
}

/* The handshake failed (nothing of it is in flight any more): a connection failure. */
static void socks4_failed(worker *w, conn *c) {
    int err = c->socks_timedout ? -ETIME : -ECONNREFUSED;
    c->socks = 0; c->socks_timedout = 0;
    connect_failed(w, c, err);
}

void socks4_begin(worker *w, conn *c) {
    const struct sockaddr_storage *sa = &w->saddr[c->server];
    if (sa->ss_family != AF_INET) { connect_failed(w, c, -EAFNOSUPPORT); return; }
    const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
    uint8_t *q = c->socks_io;
    q[0] = 4; q[1] = 1;
    memcpy(q + 2, &sin->sin_port, 2);          /* network order, as on the wire */
    memcpy(q + 4, &sin->sin_addr.s_addr, 4);
    memcpy(q + 8, "HAProxy", 8);               /* the user id and its NUL, as HAProxy sends them */
    c->socks = 1; c->socks_done = 0; c->socks_timedout = 0;
    /* the connect timeout runs on until the proxy granted the connection */
    int64_t dl = c->connect_to ? c->t.conn_start + c->connect_to : 0;
    c->sdl = dl;
    tw_schedule(w, c);
    socks4_send(w, c);
}

void socks4_sent(worker *w, conn *c, int res) {
    if (res <= 0 || c->socks_timedout) { socks4_failed(w, c); return; }
    c->socks_done += (uint8_t)res;
    if (c->socks_done < SOCKS4_REQ_LEN) { socks4_send(w, c); return; }
    c->socks = 2; c->socks_done = 0;
    socks4_recv(w, c);
}

void socks4_received(worker *w, conn *c, int res) {
    if (res <= 0 || c->socks_timedout) { socks4_failed(w, c); return; }
    c->socks_done += (uint8_t)res;
    if (c->socks_done < SOCKS4_REPLY_LEN) { socks4_recv(w, c); return; }
    if (c->socks_io[1] != SOCKS4_GRANTED) { socks4_failed(w, c); return; }
    c->socks = 0;
    c->sdl = 0;
    c->t.connected = w->now;
    request_send_head(w, c);
}

/* The connect timeout passed during the handshake: the op in flight ends with the shutdown,
   and its completion fails the connection (sC). */
void socks4_timeout(worker *w, conn *c) {
    (void)w;
    c->socks_timedout = 1;
    if (c->fd[SRV] >= 0) shutdown(c->fd[SRV], SHUT_RDWR);
}
