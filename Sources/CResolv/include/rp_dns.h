// One blocking DNS query over glibc's libresolv, for ringproxy's resolver thread (never on
// a worker). libresolv is used rather than a hand-written client because it is glibc's own,
// well-kept stub resolver: it matches answers to queries (id, source, question), retries
// across name servers, and its ns_initparse/ns_parserr/dn_expand parse answers with bounds
// checks, so a malformed answer is an error, never an out-of-bounds read.
#ifndef RP_DNS_H
#define RP_DNS_H
#include <stdint.h>

#define RP_DNS_A 1
#define RP_DNS_AAAA 28
#define RP_DNS_SRV 33

/// Outcomes besides a record count (>= 0).
#define RP_DNS_ERR_OTHER (-1)
#define RP_DNS_ERR_NX (-2)
#define RP_DNS_ERR_TIMEOUT (-3)
#define RP_DNS_ERR_REFUSED (-4)
#define RP_DNS_ERR_NODATA (-5)

typedef struct rp_dns_record {
    uint16_t type;          // RP_DNS_A, RP_DNS_AAAA or RP_DNS_SRV
    uint16_t section;       // 1: answer, 3: additional
    uint32_t ttl;
    uint16_t priority, weight, port;   // SRV
    uint8_t addr[16];       // A (4 bytes) / AAAA (16 bytes)
    char owner[1025];        // the record's name
    char target[1025];       // SRV: the target host name
} rp_dns_record;

typedef struct rp_dns_server {
    uint32_t ipv4;          // network order
    uint16_t port;          // host order
} rp_dns_server;

/// Sends `name`/`qtype` to the servers (in order, `retries` rounds, `timeout_ms` each, rounded
/// up to whole seconds: libresolv's unit) and fills `out` with the answer and additional
/// records of types A, AAAA and SRV. Returns how many, or an RP_DNS_ERR_*.
int rp_dns_query(const rp_dns_server *servers, int nservers, const char *name, int qtype,
                 int timeout_ms, int retries, int payload_size, rp_dns_record *out, int max);

/// Parses a raw DNS message (the part of rp_dns_query after the exchange), for tests.
int rp_dns_parse(const unsigned char *msg, int len, rp_dns_record *out, int max);
#endif
