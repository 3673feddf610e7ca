#include "rp_chunk.h"

enum { S_SIZE, S_EXT, S_SIZE_LF, S_DATA, S_DATA_CR, S_DATA_LF, S_TRAILER_START, S_TRAILER, S_TRAILER_LF, S_LAST_LF };

static int hexval(uint8_t ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    ch |= 0x20;
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    return -1;
}

int rp_chunk_scan(rp_chunk *c, const uint8_t *p, size_t len, size_t *used) {
    size_t i = 0;
    while (i < len) {
        uint8_t ch = p[i];
        switch (c->state) {
        case S_SIZE: {
            int v = hexval(ch);
            if (v >= 0) {
                if (++c->digits > 15) return RP_CHUNK_ERROR;
                c->remaining = c->remaining * 16 + (uint64_t)v;
                i++;
            } else if (c->digits == 0) {
                return RP_CHUNK_ERROR;
            } else if (ch == ';' || ch == ' ' || ch == '\t') {
                c->state = S_EXT; i++;
            } else if (ch == '\r') {
                c->state = S_SIZE_LF; i++;
            } else if (ch == '\n') {
                i++; goto size_done;
            } else return RP_CHUNK_ERROR;
            break;
        }
        case S_EXT:
            if (ch == '\n') { i++; goto size_done; }
            if (ch == '\r') c->state = S_SIZE_LF;
            i++;
            break;
        case S_SIZE_LF:
            if (ch != '\n') return RP_CHUNK_ERROR;
            i++;
        size_done:
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
            if (ch == '\r') { c->state = S_DATA_LF; i++; }
            else if (ch == '\n') { c->state = S_SIZE; i++; }
            else return RP_CHUNK_ERROR;
            break;
        case S_DATA_LF:
            if (ch != '\n') return RP_CHUNK_ERROR;
            c->state = S_SIZE; i++;
            break;
        case S_TRAILER_START:
            if (ch == '\r') { c->state = S_LAST_LF; i++; }
            else if (ch == '\n') { i++; *used = i; c->state = S_SIZE; return RP_CHUNK_DONE; }
            else { c->state = S_TRAILER; i++; }
            break;
        case S_TRAILER:
            if (ch == '\n') c->state = S_TRAILER_START;
            i++;
            break;
        case S_LAST_LF:
            if (ch != '\n') return RP_CHUNK_ERROR;
            i++; *used = i; c->state = S_SIZE; return RP_CHUNK_DONE;
        }
    }
    *used = i;
    return RP_CHUNK_OK;
}
