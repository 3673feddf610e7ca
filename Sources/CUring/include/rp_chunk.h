// Chunked transfer-coding framing tracker: finds where a chunked body ends without
// touching the bytes (they are forwarded as they are).
#ifndef RP_CHUNK_H
#define RP_CHUNK_H
#include <stdint.h>
#include <stddef.h>

typedef struct rp_chunk {
    int state;
    uint64_t remaining;     // data bytes left in the current chunk
    int digits;
} rp_chunk;

enum { RP_CHUNK_OK = 0, RP_CHUNK_DONE = 1, RP_CHUNK_ERROR = -1 };

static inline void rp_chunk_init(rp_chunk *c) { c->state = 0; c->remaining = 0; c->digits = 0; }
/// Scans `len` bytes; sets *used to the bytes that belong to the body (all of them unless the
/// message ended inside this buffer). Returns RP_CHUNK_DONE at the end of the message.
int rp_chunk_scan(rp_chunk *c, const uint8_t *p, size_t len, size_t *used);
#endif
