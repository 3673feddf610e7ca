import Glibc

/// HAProxy's httplog line (2.6 layout, spec §14):
/// `%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %{+Q}r`
/// written into a caller-provided buffer; the header-capture blocks are omitted as HAProxy
/// does when nothing is captured.
public enum HTTPLogLine {
    /// `%ci:%cp [%t] %ft %b/%s ` — the start shared by the httplog and tcplog lines.
    static func writeSessionPrefix(_ r: HTTPLogRecord, dates: inout LogDateCache, into out: inout LogBuffer) {
        writeClient(r.client, into: &out)
        out.text(" [")
        dates.writeHTTPDate(r.dateMs, into: &out)
        out.text("] ")
        out.text(r.frontend); out.byte(UInt8(ascii: " "))
        out.text(r.backend); out.byte(UInt8(ascii: "/"))
        if let s = r.server { out.text(s) } else { out.text("<NOSRV>") }
        out.byte(UInt8(ascii: " "))
    }

    public static func write(_ r: HTTPLogRecord, dates: inout LogDateCache, into out: inout LogBuffer) {
        writeSessionPrefix(r, dates: &dates, into: &out)
        out.decimal(r.tR); out.byte(UInt8(ascii: "/"))
        out.decimal(r.tw); out.byte(UInt8(ascii: "/"))
        out.decimal(r.tc); out.byte(UInt8(ascii: "/"))
        out.decimal(r.tr); out.byte(UInt8(ascii: "/"))
        out.decimal(r.ta); out.byte(UInt8(ascii: " "))
        out.decimal(r.status); out.byte(UInt8(ascii: " "))
        out.decimal(r.bytesOut)
        out.text(" - - ")                     // %CC %CS: no `capture cookie`
        writeTermination(r.termination, into: &out)
        out.byte(UInt8(ascii: " "))
        writeConnCounters(r, into: &out)
        out.text(" \"")
        if let line = r.requestLine { writeEncoded(line, into: &out) } else { out.text("<BADREQ>") }
        out.byte(UInt8(ascii: "\""))
    }

    static func writeTermination(_ t: TerminationState, into out: inout LogBuffer) {
        out.byte(t.cause); out.byte(t.phase); out.byte(t.requestCookie); out.byte(t.responseCookie)
    }

    /// `%ac/%fc/%bc/%sc/%rc %sq/%bq`, retries prefixed by `+` after a redispatch.
    static func writeConnCounters(_ r: HTTPLogRecord, into out: inout LogBuffer) {
        out.decimal(r.actconn); out.byte(UInt8(ascii: "/"))
        out.decimal(r.feconn); out.byte(UInt8(ascii: "/"))
        out.decimal(r.beconn); out.byte(UInt8(ascii: "/"))
        out.decimal(r.srvconn); out.byte(UInt8(ascii: "/"))
        if r.redispatched { out.byte(UInt8(ascii: "+")) }
        out.decimal(r.retries); out.byte(UInt8(ascii: " "))
        out.decimal(r.serverQueue); out.byte(UInt8(ascii: "/"))
        out.decimal(r.backendQueue)
    }

    /// `ip:port`, IPv4 or IPv6, formatted in place.
    static func writeClient(_ ss: sockaddr_storage, into out: inout LogBuffer) {
        var ss = ss
        var port = 0
        var text = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))  // 64 bytes ≥ INET6_ADDRSTRLEN
        withUnsafeMutableBytes(of: &text) { dst in
            let cdst = dst.baseAddress!.assumingMemoryBound(to: CChar.self)
            withUnsafeMutableBytes(of: &ss) { raw in
                let family = Int32(raw.load(as: sa_family_t.self))
                if family == AF_INET6 {
                    let a = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
                    port = Int(UInt16(bigEndian: a.pointee.sin6_port))
                    _ = withUnsafeMutablePointer(to: &a.pointee.sin6_addr) { inet_ntop(AF_INET6, $0, cdst, 64) }
                } else {
                    let a = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
                    port = Int(UInt16(bigEndian: a.pointee.sin_port))
                    _ = withUnsafeMutablePointer(to: &a.pointee.sin_addr) { inet_ntop(AF_INET, $0, cdst, 64) }
                }
            }
            out.bytes(UnsafeRawBufferPointer(start: dst.baseAddress, count: strlen(cdst)))
        }
        out.byte(UInt8(ascii: ":"))
        out.decimal(port)
    }

    /// HAProxy's log encoding of the request line: control bytes, bytes ≥ 127, `"` and `#`
    /// become `#XX` (upper-case hex).
    static func writeEncoded(_ s: UnsafeRawBufferPointer, into out: inout LogBuffer) {
        let hex: StaticString = "0123456789ABCDEF"
        for b in s {
            if b < 32 || b >= 127 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "#") {
                out.byte(UInt8(ascii: "#"))
                out.byte(hex.utf8Start[Int(b >> 4)])
                out.byte(hex.utf8Start[Int(b & 15)])
            } else {
                out.byte(b)
            }
        }
    }
}
