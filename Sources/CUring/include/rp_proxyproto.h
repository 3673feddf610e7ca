// The PROXY protocol (HAProxy's proxy-protocol.txt, versions 1 and 2) as pure functions over
// bytes: parse the header a client-side proxy put in front of a connection's first bytes, and
// build the header ringproxy puts in front of a new server connection. No I/O, no state.
#ifndef RP_PROXYPROTO_H
#define RP_PROXYPROTO_H
#include <stdint.h>
#include <sys/socket.h>

enum {
    RP_PP_MISSING = 0,      // a prefix of a valid header: read more
    RP_PP_INVALID = -1,     // not a PROXY header (v1 or v2), or a malformed one: close
};
enum { RP_PP_V1_MAX = 107, RP_PP_V2_MAX_BUILD = 52 };

/// Parses a header at the start of `p`. Returns the header's length (> 0), RP_PP_MISSING or
/// RP_PP_INVALID. On success *has_addr is 1 when the header carries addresses (v1 TCP4/TCP6,
/// v2 PROXY over TCP/UDP on IPv4/IPv6), then *src and *dst hold them; 0 for v1 UNKNOWN, v2
/// LOCAL and v2 families without IP addresses: the connection's own addresses stay.
int rp_pp_parse(const uint8_t *p, uint32_t len, struct sockaddr_storage *src,
                struct sockaddr_storage *dst, int *has_addr);

/// Where the TLVs fetches read sit in a parsed v2 header (offsets into it; length 0: absent).
typedef struct rp_pp_tlv_refs {
    uint16_t authority_off, authority_len, unique_id_off, unique_id_len;
} rp_pp_tlv_refs;

/// rp_pp_parse, and for a v2 header the authority and unique-id TLVs it carries.
int rp_pp_parse_tlvs(const uint8_t *p, uint32_t len, struct sockaddr_storage *src,
                     struct sockaddr_storage *dst, int *has_addr, rp_pp_tlv_refs *refs);

enum { RP_PP_V2_MAX_TLVS = 7 + 3 + 255 + 3 + 128 };

/// Appends TLVs to a v2 header of `len` bytes built by rp_pp_build (out has room for
/// RP_PP_V2_MAX_TLVS more), in HAProxy's order: CRC32C (when crc32c), AUTHORITY, UNIQUE_ID
/// (each when given, non-empty); updates the header's length and the checksum. Returns the new
/// length. A v2 LOCAL header (no addresses) gets them too, as HAProxy's make_proxy_line_v2.
uint32_t rp_pp_add_tlvs(uint8_t *out, uint32_t len, int crc32c, const uint8_t *authority, uint32_t authority_len,
                        const uint8_t *unique_id, uint32_t unique_id_len);

/// Writes the header for a connection from `src` to `dst` (version 1 or 2) into out (at least
/// RP_PP_V1_MAX + 1 bytes); returns its length. Addresses that are not both IP: v1 UNKNOWN,
/// v2 LOCAL. An IPv4 and an IPv6 address: both as IPv6 (the IPv4 one mapped), as HAProxy does.
uint32_t rp_pp_build(int version, const struct sockaddr_storage *src, const struct sockaddr_storage *dst,
                     uint8_t *out);
#endif
