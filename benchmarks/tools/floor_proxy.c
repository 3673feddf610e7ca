/* floor_proxy: the least work any HTTP proxy on io_uring can do per request, as a yardstick for
 * issue 10's CPU bars (not part of the product; built by benchmarks/wrk_compare.py --floor).
 *
 * One thread pinned to one CPU, one ring with ringproxy's setup flags (SINGLE_ISSUER |
 * DEFER_TASKRUN | SUBMIT_ALL), multishot accept, multishot receives into provided buffers,
 * one send in flight per direction. It parses nothing: each client connection is paired at
 * accept with a new connection to the next server (round robin) and bytes are copied both ways
 * until either side ends, then both are closed. In keep-alive that is one server connection per
 * client connection for its life; with `Connection: close` traffic the server closes after its
 * response, which ends the pair (connect per client connection, close both after the response).
 *
 *   floor_proxy -l PORT -s PORT[,PORT...] [-c CPU] [-F] [-1] [-b BUFSZ] [-n NBUFS]
 *     -F  registered (direct) descriptors: multishot accept into the file table, server sockets
 *         made by IORING_OP_SOCKET into a slot, IOSQE_FIXED_FILE on every op, IORING_OP_CLOSE of
 *         the slot (no TCP_NODELAY on server sockets: no setsockopt on a direct descriptor here)
 *     -1  server sockets receive with single-shot receives (re-armed per completion), as
 *         ringproxy's server sockets do today; client sockets stay multishot
 * Without -F: server sockets are socket() + setsockopt(TCP_NODELAY) + a ring connect, as
 * ringproxy does. Teardown, both modes: cancel the socket's ops and IORING_OP_CLOSE, queued with
 * the loop turn's other SQEs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

enum { OP_ACCEPT = 1, OP_CONNECT, OP_RECV, OP_SEND, OP_IGNORE, OP_SOCKET, OP_SLOTFREE };
#define MAXCONN 8192
#define QCAP 64
#define BGID 0

typedef struct { uint16_t bid; uint32_t off, len; } chunk;
typedef struct {
    int fd;                 /* descriptor, or slot with -F */
    int recv_armed, eof, closed;
    chunk q[QCAP];          /* bytes received on the *other* side, to send on this one */
    int qh, qn, sending;
} side;
typedef struct { uint32_t gen; int used, connected, srv_slot; side s[2]; } pair;  /* s[0] client, s[1] server */

static struct io_uring ring;
static struct io_uring_buf_ring *br;
static char *bufs;
static unsigned bufsz = 131072, nbufs = 512;   /* 128 KiB: a 64 KiB response in one receive, as ringproxy's response buffer */
static int fixed, single_srv;
static pair pairs[MAXCONN];
static int freelist[MAXCONN], nfree;
static int srvslots[MAXCONN], nsrvslots;
static struct sockaddr_in servers[16];
static int nservers, rr;
static int lfd;

static uint64_t ud(int op, int idx, int sd, uint32_t gen) {
    return ((uint64_t)gen << 32) | ((uint64_t)idx << 8) | ((uint64_t)op << 1) | (uint64_t)sd;
}

static struct io_uring_sqe *sqe_get(void) {
    struct io_uring_sqe *s = io_uring_get_sqe(&ring);
    if (!s) { io_uring_submit(&ring); s = io_uring_get_sqe(&ring); }
    if (!s) { fprintf(stderr, "floor_proxy: no SQE\n"); exit(1); }
    return s;
}

static void fd_flag(struct io_uring_sqe *s) { if (fixed) s->flags |= IOSQE_FIXED_FILE; }

static void buf_return(uint16_t bid) {
    io_uring_buf_ring_add(br, bufs + (size_t)bid * bufsz, bufsz, bid, io_uring_buf_ring_mask(nbufs), 0);
    io_uring_buf_ring_advance(br, 1);
}

static void arm_recv(int idx, int sd) {
    pair *p = &pairs[idx];
    struct io_uring_sqe *s = sqe_get();
    if (sd == 1 && single_srv) io_uring_prep_recv(s, p->s[sd].fd, NULL, bufsz, 0);
    else io_uring_prep_recv_multishot(s, p->s[sd].fd, NULL, 0, 0);
    s->flags |= IOSQE_BUFFER_SELECT; s->buf_group = BGID;
    fd_flag(s);
    io_uring_sqe_set_data64(s, ud(OP_RECV, idx, sd, p->gen));
    p->s[sd].recv_armed = 1;
}

static void send_head(int idx, int sd) {
    pair *p = &pairs[idx]; side *d = &p->s[sd];
    chunk *c = &d->q[d->qh];
    struct io_uring_sqe *s = sqe_get();
    io_uring_prep_send(s, d->fd, bufs + (size_t)c->bid * bufsz + c->off, c->len, MSG_NOSIGNAL);
    fd_flag(s);
    io_uring_sqe_set_data64(s, ud(OP_SEND, idx, sd, p->gen));
    d->sending = 1;
}

static void close_side(int idx, int sd) {
    pair *p = &pairs[idx]; side *d = &p->s[sd];
    if (d->closed || d->fd < 0) return;
    d->closed = 1;
    struct io_uring_sqe *s = sqe_get();
    io_uring_prep_cancel_fd(s, d->fd, IORING_ASYNC_CANCEL_ALL | (fixed ? IORING_ASYNC_CANCEL_FD_FIXED : 0));
    s->flags |= IOSQE_IO_HARDLINK;
    io_uring_sqe_set_data64(s, ud(OP_IGNORE, 0, 0, 0));
    s = sqe_get();
    if (fixed) io_uring_prep_close_direct(s, (unsigned)d->fd); else io_uring_prep_close(s, d->fd);
    if (fixed && sd == 1) io_uring_sqe_set_data64(s, ud(OP_SLOTFREE, d->fd, 0, 0));
    else io_uring_sqe_set_data64(s, ud(OP_IGNORE, 0, 0, 0));
}

static void pair_free(int idx) {
    pair *p = &pairs[idx];
    for (int sd = 0; sd < 2; sd++) {
        side *d = &p->s[sd];
        while (d->qn) { buf_return(d->q[d->qh].bid); d->qh = (d->qh + 1) % QCAP; d->qn--; }
        close_side(idx, sd);
    }
    p->used = 0; p->gen++;
    freelist[nfree++] = idx;
}

/* both directions drained and one side has ended: the pair is done */
static void maybe_finish(int idx) {
    pair *p = &pairs[idx];
    if ((p->s[0].eof || p->s[1].eof) && !p->s[0].qn && !p->s[1].qn && !p->s[0].sending && !p->s[1].sending)
        pair_free(idx);
}

static void server_connect(int idx) {
    pair *p = &pairs[idx];
    struct sockaddr_in *sa = &servers[rr++ % nservers];
    struct io_uring_sqe *s;
    if (fixed) {
        if (!nsrvslots) { fprintf(stderr, "floor_proxy: out of server slots\n"); exit(1); }
        int slot = srvslots[--nsrvslots];
        p->srv_slot = slot; p->s[1].fd = slot;
        s = sqe_get();
        io_uring_prep_socket_direct(s, AF_INET, SOCK_STREAM, 0, (unsigned)slot, 0);
        s->flags |= IOSQE_IO_LINK;
        io_uring_sqe_set_data64(s, ud(OP_SOCKET, idx, 1, p->gen));
    } else {
        int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        if (fd < 0) { perror("socket"); exit(1); }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        p->s[1].fd = fd;
    }
    s = sqe_get();
    io_uring_prep_connect(s, p->s[1].fd, (struct sockaddr *)sa, sizeof *sa);
    fd_flag(s);
    io_uring_sqe_set_data64(s, ud(OP_CONNECT, idx, 1, p->gen));
}

static void arm_accept(void) {
    struct io_uring_sqe *s = sqe_get();
    if (fixed) io_uring_prep_multishot_accept_direct(s, lfd, NULL, NULL, 0);
    else io_uring_prep_multishot_accept(s, lfd, NULL, NULL, 0);
    io_uring_sqe_set_data64(s, ud(OP_ACCEPT, 0, 0, 0));
}

static void on_accept(int res, unsigned flags) {
    if (!(flags & IORING_CQE_F_MORE)) arm_accept();
    if (res < 0) return;
    if (!nfree) { if (fixed) { struct io_uring_sqe *s = sqe_get(); io_uring_prep_close_direct(s, (unsigned)res); io_uring_sqe_set_data64(s, 0); } else close(res); return; }
    int idx = freelist[--nfree];
    pair *p = &pairs[idx];
    uint32_t gen = p->gen;
    memset(p, 0, sizeof *p);
    p->gen = gen; p->used = 1; p->srv_slot = -1;
    p->s[0].fd = res; p->s[1].fd = -1;
    server_connect(idx);
    arm_recv(idx, 0);   /* the request may arrive before the server is connected: it waits in the queue */
}

static void on_recv(int idx, int sd, int res, unsigned flags) {
    pair *p = &pairs[idx]; side *from = &p->s[sd]; side *to = &p->s[!sd];
    int more = flags & IORING_CQE_F_MORE;
    if (!more) from->recv_armed = 0;
    if (res == -ENOBUFS) { if (!more) arm_recv(idx, sd); return; }
    if (res <= 0) { from->eof = 1; maybe_finish(idx); return; }
    uint16_t bid = (uint16_t)(flags >> IORING_CQE_BUFFER_SHIFT);
    if (to->qn == QCAP) { fprintf(stderr, "floor_proxy: queue full\n"); exit(1); }
    to->q[(to->qh + to->qn) % QCAP] = (chunk){ bid, 0, (uint32_t)res };
    to->qn++;
    if (!to->sending && (sd == 1 || p->connected)) send_head(idx, !sd);
    if (!more) arm_recv(idx, sd);
}

static void on_send(int idx, int sd, int res) {
    pair *p = &pairs[idx]; side *d = &p->s[sd];
    d->sending = 0;
    if (res < 0) { p->s[sd].eof = 1; pair_free(idx); return; }
    chunk *c = &d->q[d->qh];
    if ((uint32_t)res < c->len) { c->off += (uint32_t)res; c->len -= (uint32_t)res; send_head(idx, sd); return; }
    buf_return(c->bid);
    d->qh = (d->qh + 1) % QCAP; d->qn--;
    if (d->qn) send_head(idx, sd);
    else maybe_finish(idx);
}

static void handle(struct io_uring_cqe *cqe) {
    uint64_t u = cqe->user_data;
    int op = (int)((u >> 1) & 0x7f), sd = (int)(u & 1), idx = (int)((u >> 8) & 0xffffff);
    uint32_t gen = (uint32_t)(u >> 32);
    if (op == OP_ACCEPT) { on_accept(cqe->res, cqe->flags); return; }
    if (op == OP_SLOTFREE) { srvslots[nsrvslots++] = idx; return; }
    if (op == 0 || op == OP_IGNORE || op == OP_SOCKET) {
        if (op == OP_SOCKET && cqe->res < 0) fprintf(stderr, "floor_proxy: socket: %s\n", strerror(-cqe->res));
        return;
    }
    pair *p = &pairs[idx];
    if (!p->used || p->gen != gen) {   /* a late completion of a pair already closed */
        if (cqe->flags & IORING_CQE_F_BUFFER) buf_return((uint16_t)(cqe->flags >> IORING_CQE_BUFFER_SHIFT));
        return;
    }
    switch (op) {
    case OP_CONNECT:
        if (cqe->res < 0) { p->s[1].eof = 1; pair_free(idx); return; }
        p->connected = 1;
        arm_recv(idx, 1);
        if (p->s[1].qn && !p->s[1].sending) send_head(idx, 1);
        return;
    case OP_RECV: on_recv(idx, sd, cqe->res, cqe->flags); return;
    case OP_SEND: on_send(idx, sd, cqe->res); return;
    }
}

static void usage(void) {
    fprintf(stderr, "usage: floor_proxy -l PORT -s PORT[,PORT...] [-c CPU] [-F] [-1] [-b BUFSZ] [-n NBUFS]\n");
    exit(2);
}

int main(int argc, char **argv) {
    int port = 0, cpu = -1, opt;
    while ((opt = getopt(argc, argv, "l:s:c:F1b:n:")) != -1) {
        switch (opt) {
        case 'l': port = atoi(optarg); break;
        case 's':
            for (char *t = strtok(optarg, ","); t && nservers < 16; t = strtok(NULL, ",")) {
                servers[nservers].sin_family = AF_INET;
                servers[nservers].sin_port = htons((uint16_t)atoi(t));
                servers[nservers].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                nservers++;
            }
            break;
        case 'c': cpu = atoi(optarg); break;
        case 'F': fixed = 1; break;
        case '1': single_srv = 1; break;
        case 'b': bufsz = (unsigned)atoi(optarg); break;
        case 'n': nbufs = (unsigned)atoi(optarg); break;
        default: usage();
        }
    }
    if (!port || !nservers || (nbufs & (nbufs - 1))) usage();
    signal(SIGPIPE, SIG_IGN);
    if (cpu >= 0) {
        cpu_set_t set; CPU_ZERO(&set); CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) < 0) perror("sched_setaffinity");
    }
    struct io_uring_params prm;
    memset(&prm, 0, sizeof prm);
    prm.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE;
    prm.cq_entries = 16384;
    int r = io_uring_queue_init_params(4096, &ring, &prm);
    if (r < 0) { fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-r)); return 1; }
    size_t brsz = nbufs * sizeof(struct io_uring_buf);
    br = mmap(NULL, brsz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    bufs = mmap(NULL, (size_t)nbufs * bufsz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (br == MAP_FAILED || bufs == MAP_FAILED) { perror("mmap"); return 1; }
    struct io_uring_buf_reg reg = { .ring_addr = (unsigned long)br, .ring_entries = nbufs, .bgid = BGID };
    if ((r = io_uring_register_buf_ring(&ring, &reg, 0)) < 0) { fprintf(stderr, "buf ring: %s\n", strerror(-r)); return 1; }
    io_uring_buf_ring_init(br);
    for (unsigned i = 0; i < nbufs; i++)
        io_uring_buf_ring_add(br, bufs + (size_t)i * bufsz, bufsz, (unsigned short)i, io_uring_buf_ring_mask(nbufs), (int)i);
    io_uring_buf_ring_advance(br, (int)nbufs);
    if (fixed) {
        /* slots [0, MAXCONN) for accepted sockets (the kernel picks), [MAXCONN, 2 MAXCONN) ours */
        if ((r = io_uring_register_files_sparse(&ring, 2 * MAXCONN)) < 0) { fprintf(stderr, "files: %s\n", strerror(-r)); return 1; }
        if ((r = io_uring_register_file_alloc_range(&ring, 0, MAXCONN)) < 0) { fprintf(stderr, "alloc range: %s\n", strerror(-r)); return 1; }
        for (int i = 0; i < MAXCONN; i++) srvslots[nsrvslots++] = 2 * MAXCONN - 1 - i;
    }
    for (int i = 0; i < MAXCONN; i++) freelist[nfree++] = MAXCONN - 1 - i;
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(lfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);   /* inherited by accepted sockets */
    struct sockaddr_in la = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (bind(lfd, (struct sockaddr *)&la, sizeof la) < 0 || listen(lfd, 4096) < 0) { perror("listen"); return 1; }
    arm_accept();
    for (;;) {
        struct io_uring_cqe *cqe;
        io_uring_submit_and_wait(&ring, 1);
        unsigned head, n = 0;
        io_uring_for_each_cqe(&ring, head, cqe) { handle(cqe); n++; }
        io_uring_cq_advance(&ring, n);
    }
}
