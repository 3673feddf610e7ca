// Incremental HTTP/1.1 response framing for the load generator: status line, the headers that
// decide framing (Content-Length, Transfer-Encoding: chunked, Connection), and hooks for
// Set-Cookie and a server-id header. Bodies are counted, never copied.
#ifndef BENCH_RESPONSE_H
#define BENCH_RESPONSE_H
#include <stddef.h>
#include <stdint.h>

enum bench_body_mode {
    BENCH_BODY_NONE,      // HEAD, 1xx, 204, 304, or Content-Length: 0
    BENCH_BODY_LENGTH,    // Content-Length
    BENCH_BODY_CHUNKED,
    BENCH_BODY_EOF,       // no length: the body ends when the server closes
};

typedef struct bench_response {
    int status;
    int mode;             // enum bench_body_mode
    int keep_alive;       // the connection may carry another request afterwards
    uint64_t remaining;   // LENGTH: body bytes left; CHUNKED: bytes left in the current chunk
    int chunk_state;      // CHUNKED sub-state (private)
    int saw_digit;
} bench_response;

/// What the head parser reports besides framing.
typedef struct bench_head_hooks {
    const char *id_header;          // lower-case header name to capture, or NULL
    size_t id_header_len;
    const char *id_value;           // out: captured value (points into the head buffer)
    size_t id_value_len;
    void (*set_cookie)(void *ctx, const char *value, size_t len);  // called per Set-Cookie
    void *ctx;
} bench_head_hooks;

/// Finds the end of a head ("\r\n\r\n") in buf[0..len). Returns the head length including the
/// blank line, or 0 when more bytes are needed. `from` lets a caller resume a search.
size_t bench_find_head_end(const char *buf, size_t len, size_t from);

/// Parses a complete head (buf[0..len), as found by bench_find_head_end). `head_request` is set
/// for responses to HEAD. Returns 0, or -1 when the head is malformed.
int bench_parse_head(const char *buf, size_t len, int head_request, bench_response *r,
                     bench_head_hooks *hooks);

/// Feeds body bytes. Sets *used to the bytes that belong to this response. Returns 1 when the
/// response is complete, 0 when more is needed, -1 on malformed chunked framing.
int bench_feed_body(bench_response *r, const char *p, size_t n, size_t *used);
#endif
