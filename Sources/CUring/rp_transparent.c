// `option transparent`: a backend without servers sends each request to the address the
// client connected to (as set-dst / set-dst-port left it, or a PROXY header's destination).
// The server connection is the client connection's own (never pooled); a later request for
// another destination closes it rather than reuse it.
#include "rp_internal.h"
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

socklen_t transparent_len(const struct sockaddr_storage *a) {
    return a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
    return a->ss_family == b->ss_family && memcmp(a, b, transparent_len(a)) == 0;
}

/* This request's destination (on) or none (a request for a server of its own). */
void transparent_target(conn *c, const struct sockaddr_storage *to, int on) {
    if (!on) { free(c->dst_out); c->dst_out = NULL; return; }
    struct sockaddr_storage d;
    if (to) d = *to;
    else if (c->pp_dst) d = *c->pp_dst;
    else {
        socklen_t l = sizeof d;
        memset(&d, 0, sizeof d);
        if (getsockname(c->fd[CLI], (struct sockaddr *)&d, &l) < 0) d.ss_family = AF_UNSPEC;
    }
    if (c->dst_out && !same_addr(c->dst_out, &d) && c->own_fd >= 0) { close(c->own_fd); c->own_fd = -1; }
    if (!c->dst_out && !(c->dst_out = malloc(sizeof *c->dst_out))) return;
    *c->dst_out = d;
}
