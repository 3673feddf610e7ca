// The PROXY protocol's two header formats (doc/proxy-protocol.txt), parsed and built as pure
// functions: the engine calls them on a connection's first bytes (accept-proxy) and before a
// new server connection's first send (send-proxy, send-proxy-v2). Validation follows HAProxy
// 2.6 (checked against it): anything that is neither a v1 line nor a v2 block, or is malformed,
// is invalid; what 2.6 reads leniently (v1 ports, IPv4 groups) is read the same way.
#include "rp_proxyproto.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static const uint8_t v2sig[12] = { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A };
#define V2_HEAD 16
#define V2_MAX 16384           /* HAProxy reads the header into one buffer (tune.bufsize) */

/* ---------- v1: "PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222\r\n" ---------- */

/* An IPv4 address as HAProxy 2.6 reads one in a v1 line: up to four dot-separated groups of
   digits, each group worth its last three digits, the groups added at their byte positions
   (so "1.2.3.400" and "01.2.3.4" are read, not refused). The token must be digits and dots. */
static int v1_ipv4(const uint8_t *p, size_t n, struct sockaddr_storage *out) {
    uint32_t v = 0;
    int shift = 24;
    size_t i = 0;
    for (;;) {
        size_t start = i;
        while (i < n && p[i] >= '0' && p[i] <= '9') i++;
        uint32_t g = 0, mul = 1;
        for (size_t k = i; k > start && i - k < 3; k--) { g += (uint32_t)(p[k - 1] - '0') * mul; mul *= 10; }
        v += g << shift;
        if (i == n) break;
        if (p[i] != '.' || shift == 0) return -1;
        shift -= 8; i++;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)out;
    memset(out, 0, sizeof *out);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(v);
    return 0;
}

/* The token p[0..n) as an address of family `af`. */
static int v1_addr(const uint8_t *p, size_t n, int af, struct sockaddr_storage *out) {
    char tmp[64];
    if (af == AF_INET) return v1_ipv4(p, n, out);
    if (n == 0 || n >= sizeof tmp) return -1;
    memcpy(tmp, p, n); tmp[n] = 0;
    memset(out, 0, sizeof *out);
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
    a->sin6_family = AF_INET6;
    return inet_pton(AF_INET6, tmp, &a->sin6_addr) == 1 ? 0 : -1;
}

/* A port as HAProxy 2.6 reads it: decimal digits (none reads as 0), kept modulo 2^16. */
static int v1_port(const uint8_t *p, size_t n, struct sockaddr_storage *out) {
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        v = v * 10 + (uint32_t)(p[i] - '0');
    }
    if (out->ss_family == AF_INET) ((struct sockaddr_in *)out)->sin_port = htons((uint16_t)v);
    else ((struct sockaddr_in6 *)out)->sin6_port = htons((uint16_t)v);
    return 0;
}

static int parse_v1(const uint8_t *p, uint32_t len, struct sockaddr_storage *src,
                    struct sockaddr_storage *dst, int *has_addr) {
    /* the line ends with CRLF within 107 bytes */
    uint32_t lim = len < RP_PP_V1_MAX ? len : RP_PP_V1_MAX;
    uint32_t end = 0;
    while (end < lim && p[end] != '\r') {
        if (p[end] == '\n') return RP_PP_INVALID;     /* a bare LF (HAProxy: bad header) */
        end++;
    }
    if (end + 1 >= lim) return len >= RP_PP_V1_MAX ? RP_PP_INVALID : RP_PP_MISSING;
    if (p[end + 1] != '\n') return RP_PP_INVALID;
    uint32_t total = end + 2;
    const uint8_t *q = p + 6, *e = p + end;          /* after "PROXY " */
    if ((size_t)(e - q) >= 7 && memcmp(q, "UNKNOWN", 7) == 0) { *has_addr = 0; return (int)total; }
    int af;
    if ((size_t)(e - q) >= 5 && memcmp(q, "TCP4 ", 5) == 0) af = AF_INET;
    else if ((size_t)(e - q) >= 5 && memcmp(q, "TCP6 ", 5) == 0) af = AF_INET6;
    else return RP_PP_INVALID;
    q += 5;
    /* four fields separated by single spaces: src dst sport dport */
    const uint8_t *f[4]; size_t fl[4];
    for (int i = 0; i < 4; i++) {
        const uint8_t *s = q;
        while (q < e && *q != ' ') q++;
        f[i] = s; fl[i] = (size_t)(q - s);
        if (i < 3) { if (q >= e) return RP_PP_INVALID; q++; }
    }
    if (q != e) return RP_PP_INVALID;
    if (v1_addr(f[0], fl[0], af, src) < 0 || v1_addr(f[1], fl[1], af, dst) < 0) return RP_PP_INVALID;
    if (v1_port(f[2], fl[2], src) < 0 || v1_port(f[3], fl[3], dst) < 0) return RP_PP_INVALID;
    *has_addr = 1;
    return (int)total;
}

/* ---------- v2: a 16-byte head, addresses, TLVs ---------- */

static uint32_t crc32c(const uint8_t *p, size_t n) {
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1)));
    }
    return ~c;
}

/* TLVs after the addresses: each must fit; the ones HAProxy checks are checked. */
static int v2_tlvs(const uint8_t *p, uint32_t off, uint32_t total, rp_pp_tlv_refs *refs) {
    while (off < total) {
        if (off + 3 > total) return -1;
        uint8_t type = p[off];
        uint32_t l = ((uint32_t)p[off + 1] << 8) | p[off + 2];
        if (off + 3 + l > total) return -1;
        const uint8_t *v = p + off + 3;
        switch (type) {
        case 0x03: {                                  /* PP2_TYPE_CRC32C over the header, value zeroed */
            if (l != 4) return -1;
            uint32_t want = ((uint32_t)v[0] << 24) | ((uint32_t)v[1] << 16) | ((uint32_t)v[2] << 8) | v[3];
            uint8_t tmp[V2_MAX];
            memcpy(tmp, p, total);
            memset(tmp + (v - p), 0, 4);
            if (crc32c(tmp, total) != want) return -1;
            break;
        }
        case 0x05:                                    /* PP2_TYPE_UNIQUE_ID */
            if (l > 128) return -1;
            if (refs) { refs->unique_id_off = (uint16_t)(off + 3); refs->unique_id_len = (uint16_t)l; }
            break;
        case 0x02:                                    /* PP2_TYPE_AUTHORITY */
            if (l > 255) return -1;
            if (refs) { refs->authority_off = (uint16_t)(off + 3); refs->authority_len = (uint16_t)l; }
            break;
        default: break;
        }
        off += 3 + l;
    }
    return 0;
}

static int parse_v2(const uint8_t *p, uint32_t len, struct sockaddr_storage *src,
                    struct sockaddr_storage *dst, int *has_addr, rp_pp_tlv_refs *refs) {
    if (len < V2_HEAD) return RP_PP_MISSING;
    if ((p[12] & 0xf0) != 0x20) return RP_PP_INVALID;
    uint32_t total = V2_HEAD + (((uint32_t)p[14] << 8) | p[15]);
    if (total > V2_MAX) return RP_PP_INVALID;
    if (len < total) return RP_PP_MISSING;
    *has_addr = 0;
    switch (p[12] & 0x0f) {
    case 0x00: return (int)total;                     /* LOCAL: the connection's own addresses */
    case 0x01: break;                                 /* PROXY */
    default: return RP_PP_INVALID;
    }
    const uint8_t *a = p + V2_HEAD;
    uint32_t off;
    memset(src, 0, sizeof *src); memset(dst, 0, sizeof *dst);
    if (p[13] == 0x11) {                              /* TCP over IPv4 */
        if (total < V2_HEAD + 12) return RP_PP_INVALID;
        struct sockaddr_in *s = (struct sockaddr_in *)src, *d = (struct sockaddr_in *)dst;
        s->sin_family = d->sin_family = AF_INET;
        memcpy(&s->sin_addr, a, 4); memcpy(&d->sin_addr, a + 4, 4);
        memcpy(&s->sin_port, a + 8, 2); memcpy(&d->sin_port, a + 10, 2);
        off = V2_HEAD + 12;
    } else if (p[13] == 0x21) {                       /* TCP over IPv6 */
        if (total < V2_HEAD + 36) return RP_PP_INVALID;
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)src, *d = (struct sockaddr_in6 *)dst;
        s->sin6_family = d->sin6_family = AF_INET6;
        memcpy(&s->sin6_addr, a, 16); memcpy(&d->sin6_addr, a + 16, 16);
        memcpy(&s->sin6_port, a + 32, 2); memcpy(&d->sin6_port, a + 34, 2);
        off = V2_HEAD + 36;
    } else {
        return (int)total;                            /* other families: addresses kept, as HAProxy */
    }
    if (v2_tlvs(p, off, total, refs) < 0) return RP_PP_INVALID;
    *has_addr = 1;
    return (int)total;
}

int rp_pp_parse(const uint8_t *p, uint32_t len, struct sockaddr_storage *src,
                struct sockaddr_storage *dst, int *has_addr) {
    return rp_pp_parse_tlvs(p, len, src, dst, has_addr, NULL);
}

int rp_pp_parse_tlvs(const uint8_t *p, uint32_t len, struct sockaddr_storage *src,
                     struct sockaddr_storage *dst, int *has_addr, rp_pp_tlv_refs *refs) {
    *has_addr = 0;
    if (refs) memset(refs, 0, sizeof *refs);
    if (len == 0) return RP_PP_MISSING;
    /* which format: compare what is there with both prefixes */
    static const uint8_t v1sig[6] = { 'P', 'R', 'O', 'X', 'Y', ' ' };
    uint32_t n1 = len < 6 ? len : 6, n2 = len < 12 ? len : 12;
    if (memcmp(p, v1sig, n1) == 0) return len < 6 ? RP_PP_MISSING : parse_v1(p, len, src, dst, has_addr);
    if (memcmp(p, v2sig, n2) == 0) return len < 12 ? RP_PP_MISSING : parse_v2(p, len, src, dst, has_addr, refs);
    return RP_PP_INVALID;
}

/* ---------- building ---------- */

static int is_ip(const struct sockaddr_storage *a) { return a && (a->ss_family == AF_INET || a->ss_family == AF_INET6); }

/* The address as IPv6 (an IPv4 one mapped to ::ffff:a.b.c.d) and its port (network order). */
static void as_v6(const struct sockaddr_storage *a, struct in6_addr *out, uint16_t *port) {
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)a;
        *out = s->sin6_addr; *port = s->sin6_port;
        return;
    }
    const struct sockaddr_in *s = (const struct sockaddr_in *)a;
    memset(out, 0, sizeof *out);
    out->s6_addr[10] = out->s6_addr[11] = 0xff;
    memcpy(&out->s6_addr[12], &s->sin_addr, 4);
    *port = s->sin_port;
}

uint32_t rp_pp_build(int version, const struct sockaddr_storage *src, const struct sockaddr_storage *dst,
                     uint8_t *out) {
    int ok = is_ip(src) && is_ip(dst);
    int v4 = ok && src->ss_family == AF_INET && dst->ss_family == AF_INET;
    if (version == 2) {
        memcpy(out, v2sig, 12);
        if (!ok) { out[12] = 0x20; out[13] = 0x00; out[14] = out[15] = 0; return V2_HEAD; }
        out[12] = 0x21;
        if (v4) {
            const struct sockaddr_in *s = (const struct sockaddr_in *)src, *d = (const struct sockaddr_in *)dst;
            out[13] = 0x11; out[14] = 0; out[15] = 12;
            memcpy(out + 16, &s->sin_addr, 4); memcpy(out + 20, &d->sin_addr, 4);
            memcpy(out + 24, &s->sin_port, 2); memcpy(out + 26, &d->sin_port, 2);
            return V2_HEAD + 12;
        }
        struct in6_addr sa, da; uint16_t sp, dp;
        as_v6(src, &sa, &sp); as_v6(dst, &da, &dp);
        out[13] = 0x21; out[14] = 0; out[15] = 36;
        memcpy(out + 16, &sa, 16); memcpy(out + 32, &da, 16);
        memcpy(out + 48, &sp, 2); memcpy(out + 50, &dp, 2);
        return V2_HEAD + 36;
    }
    if (!ok) { memcpy(out, "PROXY UNKNOWN\r\n", 15); return 15; }
    char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
    unsigned sp, dp;
    if (v4) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)src, *b = (const struct sockaddr_in *)dst;
        inet_ntop(AF_INET, &a->sin_addr, s, sizeof s); inet_ntop(AF_INET, &b->sin_addr, d, sizeof d);
        sp = ntohs(a->sin_port); dp = ntohs(b->sin_port);
    } else {
        struct in6_addr sa, da; uint16_t spn, dpn;
        as_v6(src, &sa, &spn); as_v6(dst, &da, &dpn);
        inet_ntop(AF_INET6, &sa, s, sizeof s); inet_ntop(AF_INET6, &da, d, sizeof d);
        sp = ntohs(spn); dp = ntohs(dpn);
    }
    int n = snprintf((char *)out, RP_PP_V1_MAX + 1, "PROXY %s %s %s %u %u\r\n", v4 ? "TCP4" : "TCP6", s, d, sp, dp);
    return n > 0 && n <= RP_PP_V1_MAX ? (uint32_t)n : 0;
}

static uint32_t put_tlv(uint8_t *out, uint8_t type, const uint8_t *v, uint32_t l) {
    out[0] = type; out[1] = (uint8_t)(l >> 8); out[2] = (uint8_t)l;
    if (l) memcpy(out + 3, v, l);
    return 3 + l;
}

uint32_t rp_pp_add_tlvs(uint8_t *out, uint32_t len, int crc, const uint8_t *authority, uint32_t authority_len,
                        const uint8_t *unique_id, uint32_t unique_id_len) {
    uint32_t crc_at = 0;
    if (crc) {
        static const uint8_t zero[4] = { 0, 0, 0, 0 };
        crc_at = len + 3;
        len += put_tlv(out + len, 0x03, zero, 4);
    }
    if (authority && authority_len > 0 && authority_len <= 255) len += put_tlv(out + len, 0x02, authority, authority_len);
    if (unique_id && unique_id_len > 0 && unique_id_len <= 128) len += put_tlv(out + len, 0x05, unique_id, unique_id_len);
    out[14] = (uint8_t)((len - V2_HEAD) >> 8); out[15] = (uint8_t)(len - V2_HEAD);
    if (crc) {
        uint32_t c = crc32c(out, len);
        out[crc_at] = (uint8_t)(c >> 24); out[crc_at + 1] = (uint8_t)(c >> 16);
        out[crc_at + 2] = (uint8_t)(c >> 8); out[crc_at + 3] = (uint8_t)c;
    }
    return len;
}
