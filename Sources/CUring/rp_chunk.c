#include "rp_chunk.h"

/* The chunked coding (RFC 9112 §7.1) as HAProxy 2.6.12 reads it, checked on the wire:
     chunk-size = 1*HEXDIG, below 2^52 (HAProxy refuses 14 significant digits; leading
                  zeros are fine), then *(SP / HTAB), then `;` extensions up to the line end
     data, then CRLF; the last chunk `0`, trailer fields, then an empty line.
   Stricter than HAProxy where ringproxy cannot be as lenient safely: HAProxy decodes the
   chunks and writes new ones, so it can accept a bare LF ending a chunk line; ringproxy
   forwards the bytes as they are, and a server that only knows CRLF would frame the body
   differently, so a bare LF anywhere in the framing (and a NUL or bare CR in a trailer) is an
   error here. Trailer lines must look like header fields (`token:`), as HAProxy parses them,
   and may not be framing fields (Transfer-Encoding, Content-Length: RFC 9110 §6.5.1; HAProxy
   refuses some Transfer-Encoding trailers and forwards the others). */

enum {
    S_SIZE,            /* hex digits (state 0: rp_chunk_init) */
    S_SIZE_WS,         /* blanks after the size */
    S_EXT,             /* extension, up to CR */
    S_SIZE_LF,         /* LF after the size line's CR */
    S_DATA,
    S_DATA_CR,         /* CR after the data */
    S_DATA_LF,         /* LF after the data */
    S_TRAILER_START,   /* a trailer field or the final CR */
    S_TRAILER_NAME,
    S_TRAILER_VALUE,
    S_TRAILER_LF,
    S_LAST_LF,         /* LF of the final empty line */
};

#define CHUNK_SIZE_LIMIT (1ULL << 52)

/* While a trailer name is read, `remaining` holds its length so far (above bit 2) and which
   framing field names it still matches (bits 0 and 1). */
static const char *const framing_names[2] = { "transfer-encoding", "content-length" };

static uint64_t trailer_name_step(uint64_t state, uint8_t ch) {
    uint64_t pos = state >> 2, alive = state & 3;
    uint8_t lower = (ch >= 'A' && ch <= 'Z') ? (uint8_t)(ch | 0x20) : ch;
    for (int k = 0; k < 2; k++) {
        const char *name = framing_names[k];
        size_t n = k == 0 ? 17 : 14;
        if ((alive & (1u << k)) && (pos >= n || (uint8_t)name[pos] != lower)) alive &= ~(1u << k);
    }
    return ((pos + 1) << 2) | alive;
}

static int trailer_name_is_framing(uint64_t state) {
    uint64_t pos = state >> 2, alive = state & 3;
    return ((alive & 1) && pos == 17) || ((alive & 2) && pos == 14);
}

static int hexval(uint8_t ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    ch |= 0x20;
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    return -1;
}

/* RFC 9110 tchar. */
static int is_tchar(uint8_t ch) {
    if ((ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z')) return 1;
    switch (ch) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
        return 1;
    }
    return 0;
}

int rp_chunk_scan(rp_chunk *c, const uint8_t *p, size_t len, size_t *used) {
    size_t i = 0;
    while (i < len) {
        uint8_t ch = p[i];
        switch (c->state) {
        case S_SIZE: {
            int v = hexval(ch);
            if (v >= 0) {
                c->remaining = c->remaining * 16 + (uint64_t)v;
                if (c->remaining >= CHUNK_SIZE_LIMIT) return RP_CHUNK_ERROR;
                c->digits = 1;
                i++;
            } else if (!c->digits) {
                return RP_CHUNK_ERROR;
            } else if (ch == ' ' || ch == '\t') {
                c->state = S_SIZE_WS; i++;
            } else if (ch == ';') {
                c->state = S_EXT; i++;
            } else if (ch == '\r') {
                c->state = S_SIZE_LF; i++;
            } else return RP_CHUNK_ERROR;
            break;
        }
        case S_SIZE_WS:
            if (ch == ' ' || ch == '\t') i++;
            else if (ch == ';') { c->state = S_EXT; i++; }
            else if (ch == '\r') { c->state = S_SIZE_LF; i++; }
            else return RP_CHUNK_ERROR;
            break;
        case S_EXT:
            if (ch == '\n') return RP_CHUNK_ERROR;
            if (ch == '\r') c->state = S_SIZE_LF;
            i++;
            break;
        case S_SIZE_LF:
            if (ch != '\n') return RP_CHUNK_ERROR;
            i++;
            c->digits = 0;
            c->state = c->remaining == 0 ? S_TRAILER_START : S_DATA;
            break;
        case S_DATA: {
            size_t n = len - i;
            if (n > c->remaining) n = (size_t)c->remaining;
            c->remaining -= n;
            i += n;
            if (c->remaining == 0) c->state = S_DATA_CR;
            break;
        }
        case S_DATA_CR:
            if (ch != '\r') return RP_CHUNK_ERROR;
            c->state = S_DATA_LF; i++;
            break;
        case S_DATA_LF:
            if (ch != '\n') return RP_CHUNK_ERROR;
            c->state = S_SIZE; i++;
            break;
        case S_TRAILER_START:
            if (ch == '\r') { c->state = S_LAST_LF; i++; }
            else if (is_tchar(ch)) { c->remaining = trailer_name_step(3, ch); c->state = S_TRAILER_NAME; i++; }
            else return RP_CHUNK_ERROR;
            break;
        case S_TRAILER_NAME:
            if (ch == ':') {
                if (trailer_name_is_framing(c->remaining)) return RP_CHUNK_ERROR;
                c->remaining = 0;
                c->state = S_TRAILER_VALUE;
            } else if (is_tchar(ch)) {
                c->remaining = trailer_name_step(c->remaining, ch);
            } else return RP_CHUNK_ERROR;
            i++;
            break;
        case S_TRAILER_VALUE:
            if (ch == '\r') c->state = S_TRAILER_LF;
            else if (ch == '\n' || ch == 0) return RP_CHUNK_ERROR;
            i++;
            break;
        case S_TRAILER_LF:
            if (ch != '\n') return RP_CHUNK_ERROR;
            c->state = S_TRAILER_START; i++;
            break;
        case S_LAST_LF:
            if (ch != '\n') return RP_CHUNK_ERROR;
            i++; *used = i; c->state = S_SIZE; c->remaining = 0; c->digits = 0;
            return RP_CHUNK_DONE;
        default:
            return RP_CHUNK_ERROR;
        }
    }
    *used = i;
    return RP_CHUNK_OK;
}
