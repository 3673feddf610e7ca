// `source ADDR usesrc client|clientip|ADDR[:PORT]`: a new server connection leaves from a
// foreign address, the client's or a fixed one. The socket gets IP_TRANSPARENT
// (IPV6_TRANSPARENT; it needs CAP_NET_ADMIN or CAP_NET_RAW, else IP_FREEBIND as HAProxy) and
// is bound before connecting; a bind that fails fails the attempt (retried at once, then
// 503 SC) with HAProxy's alert. Such
// connections stay with the client connection that opened them (rp_reuse.c): HAProxy keys
// idle connections by source, ringproxy never lends them to another client.
#include "rp_internal.h"
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#ifndef IP_TRANSPARENT
#define IP_TRANSPARENT 19
#endif
#ifndef IP_FREEBIND
#define IP_FREEBIND 15
#endif
#ifndef IPV6_TRANSPARENT
#define IPV6_TRANSPARENT 75
#endif

/* As HAProxy: IP_TRANSPARENT (IPV6_TRANSPARENT) first, else IP_FREEBIND, which needs no
   privilege (a local address, as on loopback, then binds without CAP_NET_ADMIN). */
static int make_foreign(int fd, int family) {
    int one = 1;
    int r = family == AF_INET6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_TRANSPARENT, &one, sizeof one)
                               : setsockopt(fd, IPPROTO_IP, IP_TRANSPARENT, &one, sizeof one);
    if (r < 0) r = setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof one);
    return r < 0 ? -errno : 0;
}

static void alert(const rp_server_cfg *sv) {
    if (!sv->usesrc_alert) return;
    (void)!write(STDERR_FILENO, sv->usesrc_alert, strlen(sv->usesrc_alert));
}

int usesrc_bind(worker *w, const conn *c, int fd) {
    const rp_server_cfg *sv = &w->e->servers[c->server];
    struct sockaddr_storage a;
    if (sv->usesrc == RP_USESRC_ADDR) a = sv->usesrc_addr;
    else {
        a = c->caddr;
        if (sv->usesrc == RP_USESRC_CLIENTIP) {
            if (a.ss_family == AF_INET6) ((struct sockaddr_in6 *)&a)->sin6_port = 0;
            else ((struct sockaddr_in *)&a)->sin_port = 0;
        }
    }
    /* a client of another family (or a unix socket) has no address to leave from: HAProxy
       leaves such connections unbound; so does ringproxy */
    if (a.ss_family != AF_INET && a.ss_family != AF_INET6) return 0;
    int one = 1;
    int r = make_foreign(fd, a.ss_family);
    if (r == 0) {
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, (struct sockaddr *)&a, transparent_len(&a)) < 0) r = -errno;
    }
    if (r < 0) { alert(sv); }
    return r;
}
