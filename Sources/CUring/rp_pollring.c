#include "rp_pollring.h"
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>

struct rp_pollring { struct io_uring ring; };

rp_pollring *rp_pollring_create(unsigned entries) {
    rp_pollring *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    if (io_uring_queue_init(entries, &r->ring, 0) < 0) { free(r); return NULL; }
    return r;
}

void rp_pollring_destroy(rp_pollring *r) {
    if (!r) return;
    io_uring_queue_exit(&r->ring);
    free(r);
}

static struct io_uring_sqe *get(rp_pollring *r) {
    struct io_uring_sqe *s = io_uring_get_sqe(&r->ring);
    if (!s) { io_uring_submit(&r->ring); s = io_uring_get_sqe(&r->ring); }
    return s;
}

int rp_pollring_add(rp_pollring *r, int fd, unsigned events, uint64_t tag) {
    struct io_uring_sqe *s = get(r);
    if (!s) return -EBUSY;
    io_uring_prep_poll_add(s, fd, events);
    io_uring_sqe_set_data64(s, tag);
    return 0;
}

int rp_pollring_remove(rp_pollring *r, uint64_t tag) {
    struct io_uring_sqe *s = get(r);
    if (!s) return -EBUSY;
    io_uring_prep_poll_remove(s, tag);
    io_uring_sqe_set_data64(s, 0);            /* tag 0: the removal's own completion */
    return 0;
}

int rp_pollring_wait(rp_pollring *r, int timeout_ms, uint64_t *tags, int *results, int max) {
    struct __kernel_timespec ts = { .tv_sec = timeout_ms / 1000, .tv_nsec = (long long)(timeout_ms % 1000) * 1000000 };
    struct io_uring_cqe *cqe = NULL;
    io_uring_submit_and_wait_timeout(&r->ring, &cqe, 1, timeout_ms >= 0 ? &ts : NULL, NULL);
    int n = 0;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&r->ring, head, cqe) {
        seen++;
        if (cqe->user_data == 0) continue;
        if (n < max) { tags[n] = cqe->user_data; results[n] = cqe->res; n++; }
        else { seen--; break; }
    }
    io_uring_cq_advance(&r->ring, seen);
    return n;
}
