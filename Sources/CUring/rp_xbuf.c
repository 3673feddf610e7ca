// Exchange buffers: the memory an exchange needs only while it is in flight (both halves'
// receive buffers, the copies of inserted header bytes, the iovecs of the sends and of the
// replayable first request send). A connection takes one when bytes of a request are to be
// handled and gives it back when it goes idle between requests, so an idle keep-alive
// connection holds none (its next bytes wait in the worker's provided buffers). Free blocks
// stay on a per-worker LIFO (hot in cache); once a second the ones beyond what the worker
// needs are unmapped, so memory goes back to the system after a burst.
#include "rp_internal.h"
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

/* Blocks kept free whatever the load (a small steady state never maps or unmaps). */
#define XB_KEEP_MIN 16

static xbuf *xb_map(void) {
    void *p = mmap(NULL, sizeof(xbuf), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

int xb_attach(worker *w, conn *c) {
    if (c->xb) return 0;
    xbuf *b = w->xb_free;
    if (b) { w->xb_free = b->next; w->xb_nfree--; }
    else if (!(b = xb_map())) return -ENOMEM;
    b->next = NULL;
    w->xb_used++;
    c->xb = b;
    for (int d = REQ; d <= RESP; d++) {
        half *h = &c->h[d];
        h->buf = d == REQ ? b->rqbuf : b->rsbuf; h->ins = b->ins[d]; h->iov = b->iov[d]; h->msg = &b->msg[d];
    }
    c->iov0 = b->iov0;
    return 0;
}

void xb_detach(worker *w, conn *c) {
    xbuf *b = c->xb;
    if (!b) return;
    /* nothing in flight may still point into the block */
    RP_ASSERT(!c->h[REQ].send && !c->h[RESP].send && !c->h[RESP].recv && (w->use_ms || !c->h[REQ].recv));
    for (int d = REQ; d <= RESP; d++) {
        half *h = &c->h[d];
        h->buf = h->ins = NULL; h->iov = NULL; h->msg = NULL; h->iovcnt = 0; h->fill = 0;
    }
    c->iov0 = NULL; c->iovcnt0 = 0;
    c->xb = NULL;
    b->next = w->xb_free; w->xb_free = b; w->xb_nfree++;
    w->xb_used--;
}

/* Once a second: unmap the free blocks beyond twice the number in use (at least XB_KEEP_MIN). */
void xb_trim(worker *w) {
    int keep = 2 * w->xb_used;
    if (keep < XB_KEEP_MIN) keep = XB_KEEP_MIN;
    while (w->xb_nfree > keep) {
        xbuf *b = w->xb_free;
        w->xb_free = b->next; w->xb_nfree--;
        munmap(b, sizeof(xbuf));
    }
}

void xb_free_all(worker *w) {
    while (w->xb_free) {
        xbuf *b = w->xb_free;
        w->xb_free = b->next;
        munmap(b, sizeof(xbuf));
    }
    w->xb_nfree = 0;
}
