// HTTP/1.1 response framing for ringbench (see bench_response.h).
#include "bench_response.h"
#include <string.h>

enum { CH_SIZE, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF,
       CH_TRAILER_START, CH_TRAILER_LINE, CH_TRAILER_LF, CH_FINAL_LF };

size_t bench_find_head_end(const char *buf, size_t len, size_t from) {
    size_t i = from > 3 ? from - 3 : 0;
    while (i + 3 < len) {
        const char *cr = memchr(buf + i, '\r', len - i - 3);
        if (!cr) return 0;
        i = (size_t)(cr - buf);
        if (cr[1] == '\n' && cr[2] == '\r' && cr[3] == '\n') return i + 4;
        i++;
    }
    return 0;
}

static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

static int name_is(const char *p, size_t n, const char *lname, size_t ln) {
    if (n != ln) return 0;
    for (size_t i = 0; i < n; i++) if (lower((unsigned char)p[i]) != lname[i]) return 0;
    return 1;
}

/// Case-insensitive search for a lower-case token inside a header value.
static int value_has(const char *p, size_t n, const char *ltok) {
    size_t lt = strlen(ltok);
    for (size_t i = 0; i + lt <= n; i++) {
        size_t j = 0;
        while (j < lt && lower((unsigned char)p[i + j]) == ltok[j]) j++;
        if (j == lt) return 1;
    }
    return 0;
}

int bench_parse_head(const char *buf, size_t len, int head_request, bench_response *r,
                     bench_head_hooks *hooks) {
    memset(r, 0, sizeof *r);
    // Status line: HTTP/1.x SSS reason
    if (len < 12 || memcmp(buf, "HTTP/1.", 7) != 0) return -1;
    int minor = buf[7] - '0';
    if (buf[8] != ' ') return -1;
    int status = 0;
    for (int i = 9; i < 12; i++) {
        if (buf[i] < '0' || buf[i] > '9') return -1;
        status = status * 10 + (buf[i] - '0');
    }
    r->status = status;
    r->keep_alive = minor >= 1;
    const char *line = memchr(buf, '\n', len);
    if (!line) return -1;
    const char *p = line + 1, *end = buf + len;
    int64_t content_length = -1;
    int chunked = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) return -1;
        size_t ll = (size_t)(nl - p);
        if (ll && p[ll - 1] == '\r') ll--;
        if (ll == 0) break;  // blank line ends the head
        const char *colon = memchr(p, ':', ll);
        if (!colon || colon == p) return -1;
        size_t nlen = (size_t)(colon - p);
        const char *v = colon + 1, *ve = p + ll;
        while (v < ve && (*v == ' ' || *v == '\t')) v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
        size_t vlen = (size_t)(ve - v);
        if (name_is(p, nlen, "content-length", 14)) {
            int64_t cl = 0;
            if (vlen == 0) return -1;
            for (size_t i = 0; i < vlen; i++) {
                if (v[i] < '0' || v[i] > '9' || cl > (INT64_MAX / 10) - 10) return -1;
                cl = cl * 10 + (v[i] - '0');
            }
            if (content_length >= 0 && content_length != cl) return -1;
            content_length = cl;
        } else if (name_is(p, nlen, "transfer-encoding", 17)) {
            if (value_has(v, vlen, "chunked")) chunked = 1;
        } else if (name_is(p, nlen, "connection", 10)) {
            if (value_has(v, vlen, "close")) r->keep_alive = 0;
            else if (value_has(v, vlen, "keep-alive")) r->keep_alive = 1;
        } else if (hooks) {
            if (hooks->set_cookie && name_is(p, nlen, "set-cookie", 10))
                hooks->set_cookie(hooks->ctx, v, vlen);
            else if (hooks->id_header && name_is(p, nlen, hooks->id_header, hooks->id_header_len)) {
                hooks->id_value = v;
                hooks->id_value_len = vlen;
            }
        }
        p = nl + 1;
    }
    if (head_request || (status >= 100 && status < 200) || status == 204 || status == 304) {
        r->mode = BENCH_BODY_NONE;
    } else if (chunked) {
        r->mode = BENCH_BODY_CHUNKED;
        r->chunk_state = CH_SIZE;
    } else if (content_length >= 0) {
        r->mode = content_length ? BENCH_BODY_LENGTH : BENCH_BODY_NONE;
        r->remaining = (uint64_t)content_length;
    } else {
        r->mode = BENCH_BODY_EOF;
        r->keep_alive = 0;
    }
    return 0;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/// Chunked framing: size line, data, CRLF, ..., "0", trailers, blank line.
static int feed_chunked(bench_response *r, const char *p, size_t n, size_t *used) {
    size_t i = 0;
    while (i < n) {
        int c = (unsigned char)p[i];
        switch (r->chunk_state) {
        case CH_SIZE: {
            int h = hexval(c);
            if (h >= 0) {
                if (r->remaining >> 56) return -1;
                r->remaining = r->remaining * 16 + (uint64_t)h;
                r->saw_digit = 1;
            } else if (!r->saw_digit) {
                return -1;
            } else if (c == '\r') {
                r->chunk_state = CH_SIZE_LF;
            } else if (c == ';' || c == ' ' || c == '\t') {
                r->chunk_state = CH_EXT;
            } else {
                return -1;
            }
            i++;
            break;
        }
        case CH_EXT:
            if (c == '\r') r->chunk_state = CH_SIZE_LF;
            i++;
            break;
        case CH_SIZE_LF:
            if (c != '\n') return -1;
            i++;
            r->saw_digit = 0;
            r->chunk_state = r->remaining ? CH_DATA : CH_TRAILER_START;
            break;
        case CH_DATA: {
            size_t take = n - i;
            if (take > r->remaining) take = (size_t)r->remaining;
            r->remaining -= take;
            i += take;
            if (!r->remaining) r->chunk_state = CH_DATA_CR;
            break;
        }
        case CH_DATA_CR:
            if (c != '\r') return -1;
            r->chunk_state = CH_DATA_LF;
            i++;
            break;
        case CH_DATA_LF:
            if (c != '\n') return -1;
            r->chunk_state = CH_SIZE;
            i++;
            break;
        case CH_TRAILER_START:  // either the final blank line or a trailer field
            r->chunk_state = c == '\r' ? CH_FINAL_LF : CH_TRAILER_LINE;
            i++;
            break;
        case CH_TRAILER_LINE:
            if (c == '\r') r->chunk_state = CH_TRAILER_LF;
            i++;
            break;
        case CH_TRAILER_LF:
            if (c != '\n') return -1;
            r->chunk_state = CH_TRAILER_START;
            i++;
            break;
        case CH_FINAL_LF:
            if (c != '\n') return -1;
            *used = i + 1;
            return 1;
        }
    }
    *used = n;
    return 0;
}

int bench_feed_body(bench_response *r, const char *p, size_t n, size_t *used) {
    switch (r->mode) {
    case BENCH_BODY_NONE:
        *used = 0;
        return 1;
    case BENCH_BODY_LENGTH: {
        size_t take = n < r->remaining ? n : (size_t)r->remaining;
        r->remaining -= take;
        *used = take;
        return r->remaining == 0;
    }
    case BENCH_BODY_CHUNKED:
        return feed_chunked(r, p, n, used);
    default:  // BENCH_BODY_EOF: everything until the server closes
        *used = n;
        return 0;
    }
}
