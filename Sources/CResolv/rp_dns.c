// See rp_dns.h.
#include "rp_dns.h"
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rp_dns_parse(const unsigned char *msg, int len, rp_dns_record *out, int max) {
    ns_msg handle;
    if (len <= 0 || ns_initparse(msg, len, &handle) < 0) return RP_DNS_ERR_OTHER;
    switch (ns_msg_getflag(handle, ns_f_rcode)) {
    case ns_r_noerror: break;
    case ns_r_nxdomain: return RP_DNS_ERR_NX;
    case ns_r_refused: return RP_DNS_ERR_REFUSED;
    default: return RP_DNS_ERR_OTHER;
    }
    int n = 0;
    const ns_sect sections[2] = { ns_s_an, ns_s_ar };
    for (int s = 0; s < 2; s++) {
        int count = ns_msg_count(handle, sections[s]);
        for (int i = 0; i < count && n < max; i++) {
            ns_rr rr;
            if (ns_parserr(&handle, sections[s], i, &rr) < 0) return RP_DNS_ERR_OTHER;
            if (ns_rr_class(rr) != ns_c_in) continue;
            rp_dns_record *r = &out[n];
            memset(r, 0, sizeof *r);
            r->type = ns_rr_type(rr);
            r->section = s == 0 ? 1 : 3;
            r->ttl = ns_rr_ttl(rr);
            snprintf(r->owner, sizeof r->owner, "%s", ns_rr_name(rr));
            const unsigned char *rd = ns_rr_rdata(rr);
            int rdlen = ns_rr_rdlen(rr);
            switch (r->type) {
            case RP_DNS_A:
                if (rdlen != 4) return RP_DNS_ERR_OTHER;
                memcpy(r->addr, rd, 4);
                break;
            case RP_DNS_AAAA:
                if (rdlen != 16) return RP_DNS_ERR_OTHER;
                memcpy(r->addr, rd, 16);
                break;
            case RP_DNS_SRV:
                if (rdlen < 7) return RP_DNS_ERR_OTHER;
                r->priority = ns_get16(rd);
                r->weight = ns_get16(rd + 2);
                r->port = ns_get16(rd + 4);
                // dn_expand checks every label and pointer against the message's end.
                if (dn_expand(ns_msg_base(handle), ns_msg_end(handle), rd + 6, r->target, sizeof r->target) < 0)
                    return RP_DNS_ERR_OTHER;
                break;
            default:
                continue;       // CNAME and others: their targets' records follow
            }
            n++;
        }
    }
    return n;
}

int rp_dns_query(const rp_dns_server *servers, int nservers, const char *name, int qtype,
                 int timeout_ms, int retries, int payload_size, rp_dns_record *out, int max) {
    struct __res_state st;
    memset(&st, 0, sizeof st);
    if (res_ninit(&st) < 0) return RP_DNS_ERR_OTHER;
    int count = nservers < MAXNS ? nservers : MAXNS;
    for (int i = 0; i < count; i++) {
        memset(&st.nsaddr_list[i], 0, sizeof st.nsaddr_list[i]);
        st.nsaddr_list[i].sin_family = AF_INET;
        st.nsaddr_list[i].sin_addr.s_addr = servers[i].ipv4;
        st.nsaddr_list[i].sin_port = htons(servers[i].port);
    }
    st.nscount = count;
    st.retrans = (timeout_ms + 999) / 1000 > 0 ? (timeout_ms + 999) / 1000 : 1;
    st.retry = retries > 0 ? retries : 1;
    // The name is absolute: no search list, no appended default domain.
    st.options &= ~(RES_DNSRCH | RES_DEFNAMES);
    if (payload_size > 512) st.options |= RES_USE_EDNS0;
    int size = payload_size > 512 ? payload_size : 512;
    unsigned char *answer = malloc(size);
    if (!answer) { res_nclose(&st); return RP_DNS_ERR_OTHER; }
    int len = res_nquery(&st, name, ns_c_in, qtype, answer, size);
    int herr = st.res_h_errno;
    res_nclose(&st);
    int n;
    if (len < 0) {
        n = herr == HOST_NOT_FOUND ? RP_DNS_ERR_NX : herr == NO_DATA ? RP_DNS_ERR_NODATA
          : herr == TRY_AGAIN ? RP_DNS_ERR_TIMEOUT : RP_DNS_ERR_OTHER;
    } else {
        n = rp_dns_parse(answer, len < size ? len : size, out, max);
    }
    free(answer);
    return n;
}
