// ringbench's built-in HTTP/1.1 server (see bench_server.h): one epoll thread per server.
#define _GNU_SOURCE
#include "bench_server.h"
#include "bench_response.h"
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

enum { IN_CAP = 16384 };

typedef struct sconn {
    int fd;
    uint32_t in_len;
    char *out;
    size_t out_len, out_off, out_cap;
    int close_when_flushed;
    char peer[16];              // client IPv4 text, for echo_peer
    struct sconn *prev, *next;  // every open connection, so stop can close them all
    char in[IN_CAP];
} sconn;

struct bench_server {
    bench_server_config cfg;
    char name[64];
    char cookie[64];
    int listen_fd, epfd, stop_fd;
    uint16_t port;
    pthread_t thread;
    _Atomic uint64_t requests;
    uint32_t rr;              // balancer round-robin position
    char *body;               // body_len filler bytes
    sconn *conns;
};

static int reserve(sconn *c, size_t n) {
    if (c->out_len + n <= c->out_cap) return 0;
    size_t cap = c->out_cap ? c->out_cap : 4096;
    while (cap < c->out_len + n) cap *= 2;
    char *p = realloc(c->out, cap);
    if (!p) return -1;
    c->out = p;
    c->out_cap = cap;
    return 0;
}

static void append(sconn *c, const char *p, size_t n) {
    if (reserve(c, n) == 0) { memcpy(c->out + c->out_len, p, n); c->out_len += n; }
}

/// Balancer emulation: which backend answers this request (1-based), honouring the cookie.
static uint32_t pick_backend(bench_server *s, const char *head, size_t len, int *set_cookie) {
    *set_cookie = 0;
    if (s->cookie[0]) {
        char key[80];
        int kl = snprintf(key, sizeof key, "%s=%s", s->cookie, s->name);
        const char *hit = memmem(head, len, key, (size_t)kl);
        if (hit) {
            uint32_t id = 0;
            for (const char *p = hit + kl; p < head + len && *p >= '0' && *p <= '9'; p++)
                id = id * 10 + (uint32_t)(*p - '0');
            if (id >= 1 && id <= s->cfg.backends) return id;
        }
        *set_cookie = 1;
    }
    return (s->rr++ % s->cfg.backends) + 1;
}

static void respond(bench_server *s, sconn *c, const char *head, size_t head_len) {
    char id[80], line[512];
    int set_cookie = 0;
    if (s->cfg.backends) {
        uint32_t b = pick_backend(s, head, head_len, &set_cookie);
        snprintf(id, sizeof id, "%s%u", s->name, b);
    } else {
        snprintf(id, sizeof id, "%s", s->name);
    }
    char idline[400];
    int idl = id[0] ? snprintf(idline, 100, "server=%s\n", id) : 0;
    if (s->cfg.echo_path) {  // "GET /path HTTP/1.1": the second token
        const char *sp = memchr(head, ' ', head_len);
        const char *ep = sp ? memchr(sp + 1, ' ', head_len - (size_t)(sp + 1 - head)) : NULL;
        int pl = ep ? (int)(ep - sp - 1) : 0;
        if (pl > 250) pl = 250;
        idl += snprintf(idline + idl, sizeof idline - (size_t)idl, "path=%.*s\n", pl, sp ? sp + 1 : "");
    }
    if (s->cfg.echo_peer)
        idl += snprintf(idline + idl, sizeof idline - (size_t)idl, "peer=%s\n", c->peer);
    size_t body = (size_t)idl + s->cfg.body_len;
    int status = s->cfg.status ? s->cfg.status : 200;
    int n = snprintf(line, sizeof line, "HTTP/1.1 %d %s\r\n", status, status < 400 ? "OK" : "Error");
    append(c, line, (size_t)n);
    if (id[0]) { n = snprintf(line, sizeof line, "X-Server: %s\r\n", id); append(c, line, (size_t)n); }
    if (set_cookie) {
        n = snprintf(line, sizeof line, "Set-Cookie: %s=%s; Path=/\r\n", s->cookie, id);
        append(c, line, (size_t)n);
    }
    if (s->cfg.close_after) append(c, "Connection: close\r\n", 19);
    if (s->cfg.chunked) {
        size_t first = body / 2;
        append(c, "Transfer-Encoding: chunked\r\n\r\n", 30);
        // Two chunks over the concatenated body, then the last-chunk and an empty trailer.
        char *all = malloc(body + 1);
        if (!all) return;
        memcpy(all, idline, (size_t)idl);
        memcpy(all + idl, s->body, s->cfg.body_len);
        size_t off = 0, sizes[2] = {first, body - first};
        for (int i = 0; i < 2; i++) {
            if (!sizes[i]) continue;
            n = snprintf(line, sizeof line, "%zx;ext=1\r\n", sizes[i]);
            append(c, line, (size_t)n);
            append(c, all + off, sizes[i]);
            append(c, "\r\n", 2);
            off += sizes[i];
        }
        append(c, "0\r\nX-Trailer: yes\r\n\r\n", 22);
        free(all);
    } else {
        n = snprintf(line, sizeof line, "Content-Length: %zu\r\n\r\n", body);
        append(c, line, (size_t)n);
        append(c, idline, (size_t)idl);
        append(c, s->body, s->cfg.body_len);
    }
    if (s->cfg.close_after) c->close_when_flushed = 1;
}

static void close_sconn(bench_server *s, sconn *c) {
    if (c->prev) c->prev->next = c->next; else s->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->out);
    free(c);
}

/// Writes pending output. Returns -1 when the connection is finished.
static int flush(bench_server *s, sconn *c) {
    while (c->out_off < c->out_len) {
        ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN) {
                struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
                epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev);
                return 0;
            }
            return -1;
        }
        c->out_off += (size_t)w;
    }
    c->out_off = c->out_len = 0;
    return c->close_when_flushed ? -1 : 0;
}

/// Reads and answers every complete request. Returns -1 when the connection is finished.
static int on_readable(bench_server *s, sconn *c) {
    for (;;) {
        ssize_t r = recv(c->fd, c->in + c->in_len, IN_CAP - c->in_len, 0);
        if (r == 0) return -1;
        if (r < 0) return errno == EAGAIN ? 0 : -1;
        c->in_len += (uint32_t)r;
        for (;;) {
            size_t end = bench_find_head_end(c->in, c->in_len, 0);
            if (!end) {
                if (c->in_len == IN_CAP) return -1;
                break;
            }
            // Skip a Content-Length request body (only when it is already here: tests use small ones).
            size_t body = 0;
            const char *cl = memmem(c->in, end, "Content-Length:", 15);
            if (cl) body = (size_t)strtoul(cl + 15, NULL, 10);
            if (end + body > c->in_len) break;
            atomic_fetch_add_explicit(&s->requests, 1, memory_order_relaxed);
            if (s->cfg.drop) return -1;
            if (s->cfg.delay_us) usleep(s->cfg.delay_us);
            respond(s, c, c->in, end);
            memmove(c->in, c->in + end + body, c->in_len - end - body);
            c->in_len -= (uint32_t)(end + body);
            if (c->close_when_flushed) return flush(s, c);
        }
        if (flush(s, c) < 0) return -1;
        if (c->out_len) return 0;  // waiting for EPOLLOUT
    }
}

static void *server_main(void *arg) {
    bench_server *s = arg;
    struct epoll_event evs[64];
    for (;;) {
        int n = epoll_wait(s->epfd, evs, 64, -1);
        if (n < 0 && errno != EINTR) break;
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == &s->stop_fd) return NULL;
            if (p == &s->listen_fd) {
                for (;;) {
                    struct sockaddr_in peer;
                    socklen_t pl = sizeof peer;
                    int fd = accept4(s->listen_fd, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0) break;
                    sconn *c = calloc(1, sizeof *c);
                    if (!c) { close(fd); continue; }
                    c->fd = fd;
                    inet_ntop(AF_INET, &peer.sin_addr, c->peer, sizeof c->peer);
                    c->next = s->conns;
                    if (s->conns) s->conns->prev = c;
                    s->conns = c;
                    int one = 1;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
                    epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
                }
                continue;
            }
            sconn *c = p;
            int done = 0;
            if (evs[i].events & EPOLLOUT) {
                done = flush(s, c) < 0;
                if (!done && !c->out_len) {
                    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
                    epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev);
                }
            }
            if (!done && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c->out_len)
                done = on_readable(s, c) < 0;
            if (done) close_sconn(s, c);
        }
    }
    return NULL;
}

bench_server *bench_server_start(const bench_server_config *cfg, char *err, int errlen) {
    bench_server *s = calloc(1, sizeof *s);
    if (!s) { snprintf(err, (size_t)errlen, "out of memory"); return NULL; }
    s->cfg = *cfg;
    snprintf(s->name, sizeof s->name, "%s", cfg->name ? cfg->name : "");
    snprintf(s->cookie, sizeof s->cookie, "%s", cfg->sticky_cookie ? cfg->sticky_cookie : "");
    s->cfg.name = s->name;
    s->cfg.sticky_cookie = s->cookie;
    s->body = malloc(cfg->body_len + 1);
    if (!s->body) { free(s); snprintf(err, (size_t)errlen, "out of memory"); return NULL; }
    memset(s->body, 'x', cfg->body_len);
    s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(s->listen_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(cfg->port),
                            .sin_addr.s_addr = cfg->ip ? cfg->ip : htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        listen(s->listen_fd, 4096) < 0 || getsockname(s->listen_fd, (struct sockaddr *)&a, &al) < 0) {
        snprintf(err, (size_t)errlen, "listen on port %u: %s", cfg->port, strerror(errno));
        if (s->listen_fd >= 0) close(s->listen_fd);
        free(s->body);
        free(s);
        return NULL;
    }
    s->port = ntohs(a.sin_port);
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &s->listen_fd};
    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->listen_fd, &ev);
    ev.data.ptr = &s->stop_fd;
    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->stop_fd, &ev);
    int e = pthread_create(&s->thread, NULL, server_main, s);
    if (e) {
        snprintf(err, (size_t)errlen, "pthread_create: %s", strerror(e));
        close(s->listen_fd); close(s->epfd); close(s->stop_fd);
        free(s->body);
        free(s);
        return NULL;
    }
    return s;
}

uint16_t bench_server_port(const bench_server *s) { return s->port; }

uint64_t bench_server_requests(const bench_server *s) {
    return atomic_load_explicit(&((bench_server *)s)->requests, memory_order_relaxed);
}

void bench_server_stop(bench_server *s) {
    uint64_t one = 1;
    if (write(s->stop_fd, &one, sizeof one) < 0) { /* the thread also exits on close below */ }
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
    while (s->conns) close_sconn(s, s->conns);
    close(s->epfd);
    close(s->stop_fd);
    free(s->body);
    free(s);
}
