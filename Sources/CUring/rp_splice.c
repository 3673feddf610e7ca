// The splice pump for the rest of a large Content-Length body, or of a response delimited by
// the server's close (`option splice-response`): synchronous non-blocking splice(2) socket ->
// pipe -> socket until both sides would block, then an io_uring poll on the side that blocks.
// Pipes come from a small per-worker pool.
#include "rp_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#define PUMP_CHUNK (1 << 20)

static int pipe_get(worker *w, int fds[2]) {
    if (w->npipes > 0) { w->npipes--; fds[0] = w->pipes[w->npipes][0]; fds[1] = w->pipes[w->npipes][1]; return 0; }
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0) return -1;
    fcntl(fds[1], F_SETPIPE_SZ, PUMP_CHUNK);
    return 0;
}

/* An empty pipe goes back to the pool; one with bytes in it is closed. */
void pipe_release(worker *w, pump *p) {
    if (p->pipe[0] < 0) return;
    if (p->in_pipe == 0 && w->npipes < PIPE_POOL) {
        w->pipes[w->npipes][0] = p->pipe[0]; w->pipes[w->npipes][1] = p->pipe[1]; w->npipes++;
    } else { close(p->pipe[0]); close(p->pipe[1]); }
    p->pipe[0] = p->pipe[1] = -1; p->active = 0;
}

static void poll_arm(worker *w, conn *c, int fd, int out) {
    struct io_uring_sqe *s = sqe_get(w);
    io_uring_prep_poll_add(s, fd, out ? POLLOUT : POLLIN);
    io_uring_sqe_set_data64(s, conn_ud(w, c, out ? OP_POLL_OUT : OP_POLL_IN));
    if (out) c->pu.pollout = 1; else c->pu.pollin = 1;
    c->inflight++;
}

/* The pump failed: the side that failed ends the exchange. */
static void pump_fail(worker *w, conn *c, char who) {
    c->term0 = who; c->term1 = 'D';
    conn_close(w, c);
}

/* The body is through: the direction's exchange goes on as if it had been copied. */
static void pump_done(worker *w, conn *c) {
    pump *p = &c->pu;
    int dir = p->dir;
    pipe_release(w, p);
    COUNT(w, splices_done);
    half *h = &c->h[dir];
    h->remain = 0; h->body_done = 1;
    if (dir == RESP) {
        /* a body delimited by close ended with the server's EOF: the client's ends after it */
        if (h->body == RP_BODY_CLOSE) { c->server_close = 1; c->close_after = 1; }
        exchange_done(w, c);
        return;
    }
    req_phase(c, PH_DONE); h->fill = 0; c->rkeep = 0;
    c->cdl = 0;
    c->ms.splice = 0;
}

/* Moves bytes src -> pipe -> dst with non-blocking splice(2) until both sides would block. */
void pump_run(worker *w, conn *c) {
    pump *p = &c->pu;
    RP_ASSERT(p->active && p->pipe[0] >= 0);
    char src_side = p->dir == RESP ? 'S' : 'C', dst_side = p->dir == RESP ? 'C' : 'S';
    for (;;) {
        int progressed = 0;
        if (p->in_pipe > 0) {
            ssize_t n = splice(p->pipe[0], NULL, p->dst, NULL, (size_t)p->in_pipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n > 0) {
                p->in_pipe -= n; progressed = 1;
                if (p->dir == RESP) { c->bytes_out += (uint64_t)n; contstats_tick(w, c); }
            } else if (n < 0 && errno != EAGAIN) { pump_fail(w, c, dst_side); return; }
        }
        if (p->to_read != 0 && p->in_pipe < PUMP_CHUNK) {
            /* to_read < 0: until the source's end of stream */
            size_t want = (size_t)(p->to_read < 0 || p->to_read >= PUMP_CHUNK ? PUMP_CHUNK : p->to_read);
            ssize_t n = splice(p->src, NULL, p->pipe[1], NULL, want, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n > 0) {
                if (p->to_read > 0) p->to_read -= n;
                p->in_pipe += n; progressed = 1;
                c->spliced[p->dir] += (uint64_t)n;
                if (p->dir == REQ) c->bytes_in += (uint64_t)n;
            } else if (n == 0 && p->to_read < 0) { p->to_read = 0; progressed = 1; }
            else if (n == 0 || errno != EAGAIN) { pump_fail(w, c, src_side); return; }
        }
        if (p->to_read == 0 && p->in_pipe == 0) { pump_done(w, c); return; }
        if (!progressed) break;
    }
    /* would block: wait for the side that blocks */
    if (p->in_pipe > 0 && !p->pollout) poll_arm(w, c, p->dst, 1);
    else if (p->in_pipe == 0 && p->to_read != 0 && !p->pollin) poll_arm(w, c, p->src, 0);
    if (p->dir == RESP) { c->sdl = w->now + c->server_to; } else { c->cdl = w->now + c->client_to; }
    tw_schedule(w, c);
}

/* remain < 0: the body ends with the source's end of stream. */
int pump_start(worker *w, conn *c, int dir, int64_t remain) {
    pump *p = &c->pu;
    RP_ASSERT(!p->active && !p->pollin && !p->pollout);
    RP_ASSERT(remain != 0 && (remain > 0 || c->h[dir].body == RP_BODY_CLOSE));
    if (pipe_get(w, p->pipe) < 0) return -1;
    p->active = 1; p->dir = dir; p->in_pipe = 0; p->to_read = remain;
    COUNT(w, splices);
    p->src = c->fd[dir]; p->dst = c->fd[!dir];
    pump_run(w, c);
    return 0;
}
