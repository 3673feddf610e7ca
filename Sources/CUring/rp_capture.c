// A copy of a response body as the engine forwards it, for Swift's HTTP cache (http-response
// cache-store asks for it with rp_head_call.capture_max). Only responses that will be stored
// are copied; a body that outgrows its bound stops being copied and is not reported.
#include "rp_internal.h"
#include <stdlib.h>
#include <string.h>

typedef struct rp_capture {
    uint8_t *buf;
    uint32_t len, cap, max;
    int failed;
} rp_capture;

void capture_begin(conn *c, uint32_t max) {
    capture_end(c);
    rp_capture *k = calloc(1, sizeof *k);
    if (!k) return;
    k->max = max;
    c->cap = k;
}

void capture_add(conn *c, const uint8_t *p, size_t n) {
    rp_capture *k = c->cap;
    if (!k || k->failed || n == 0) return;
    if (n > k->max - k->len) { k->failed = 1; free(k->buf); k->buf = NULL; return; }
    if (k->len + n > k->cap) {
        uint32_t want = k->cap ? k->cap : 4096;
        while (want < k->len + n) want = want > k->max / 2 ? k->max : want * 2;
        uint8_t *b = realloc(k->buf, want);
        if (!b) { k->failed = 1; free(k->buf); k->buf = NULL; return; }
        k->buf = b; k->cap = want;
    }
    memcpy(k->buf + k->len, p, n);
    k->len += (uint32_t)n;
}

int capture_result(const conn *c, const uint8_t **p, uint32_t *len) {
    const rp_capture *k = c->cap;
    if (!k || k->failed) return 0;
    static const uint8_t empty[1];
    *p = k->buf ? k->buf : empty;
    *len = k->len;
    return 1;
}

void capture_end(conn *c) {
    if (!c->cap) return;
    free(c->cap->buf);
    free(c->cap);
    c->cap = NULL;
}
