// The TLS ClientHello a client sends first, read from a TCP stream's first bytes without
// terminating TLS: the `req.ssl_*` fetches of a TLS-passthrough frontend (route on the SNI,
// wait for a complete hello). Pure parsing over the bytes the engine holds; nothing is copied.
//
// Layout (RFC 8446 §4.1.2 and §5.1, RFC 6066 §3, RFC 7301 §3.1):
//   record:    type(1)=22 version(2) length(2)
//   handshake: type(1)=1 length(3)
//   hello:     client_version(2) random(32) session_id(1+n) cipher_suites(2+n)
//              compression_methods(1+n) extensions(2+n: type(2) length(2) data)

/// What the first bytes of a stream say about a TLS hello.
enum TLSHello {
    /// Not enough bytes yet to tell (HAProxy: the sample may change).
    case incomplete
    /// Not a TLS (SSLv3 or later) handshake record.
    case notTLS
    /// A handshake record whose message is complete (not necessarily a ClientHello).
    case handshake(type: UInt8, recordVersion: Int, message: Range<Int>)
}

enum TLSClientHello {
    static let handshakeRecord: UInt8 = 22
    static let clientHello: UInt8 = 1
    static let extServerName: UInt16 = 0
    static let extSupportedGroups: UInt16 = 10          // "elliptic curves" in RFC 4492
    static let extALPN: UInt16 = 16
    static let extSessionTicket: UInt16 = 35

    @inline(__always) static func u16(_ b: UnsafeRawBufferPointer, _ i: Int) -> Int { Int(b[i]) << 8 | Int(b[i + 1]) }

    /// The handshake message of the first record, once it is all there.
    static func handshake(_ b: UnsafeRawBufferPointer) -> TLSHello {
        guard b.count >= 1 else { return .incomplete }
        guard b[0] == handshakeRecord else { return .notTLS }
        guard b.count >= 9 else { return .incomplete }
        let version = u16(b, 1)
        guard version >= 0x0300 else { return .notTLS }
        let recordLength = u16(b, 3)
        guard recordLength >= 4 else { return .notTLS }
        let messageLength = Int(b[6]) << 16 | Int(b[7]) << 8 | Int(b[8])
        // The message must fit in the first record (HAProxy reads no further).
        guard messageLength + 4 <= recordLength else { return .notTLS }
        guard b.count >= 9 + messageLength else { return .incomplete }
        return .handshake(type: b[5], recordVersion: version, message: 9..<(9 + messageLength))
    }

    /// `req.ssl_ver`: the protocol version as major × 65536 + minor. A ClientHello gives its
    /// client_version; another record its record version; an SSLv2 hello its own field.
    static func version(_ b: UnsafeRawBufferPointer) -> TLSSample<Int> {
        guard b.count >= 1 else { return .incomplete }
        if b[0] & 0x80 != 0 {                              // SSLv2 record with a 2-byte header
            guard b.count >= 5 else { return .incomplete }
            guard b[2] == 1 else { return .absent }        // CLIENT-HELLO
            return .value(Int(b[3]) << 16 | Int(b[4]))
        }
        guard (20...23).contains(b[0]) else { return .absent }
        guard b.count >= 5 else { return .incomplete }
        guard b[1] >= 3 else { return .absent }
        if b[0] == handshakeRecord {
            guard b.count >= 11 else { return .incomplete }
            if b[5] == clientHello { return .value(Int(b[9]) << 16 | Int(b[10])) }
        }
        return .value(Int(b[1]) << 16 | Int(b[2]))
    }

    /// `req.ssl_hello_type`: the type of a complete handshake message (1: ClientHello).
    static func helloType(_ b: UnsafeRawBufferPointer) -> TLSSample<Int> {
        switch handshake(b) {
        case .incomplete: return .incomplete
        case .notTLS: return .absent
        case .handshake(let type, _, _): return .value(Int(type))
        }
    }

    /// The data of extension `wanted` in a complete ClientHello (nil range: not sent).
    static func extensionData(_ b: UnsafeRawBufferPointer, _ wanted: UInt16) -> TLSSample<Range<Int>?> {
        guard case .handshake(let type, _, let m) = handshake(b) else {
            return handshake(b).isIncomplete ? .incomplete : .absent
        }
        guard type == clientHello else { return .absent }
        var i = m.lowerBound + 2 + 32                      // client_version, random
        let end = m.upperBound
        guard i < end else { return .absent }
        i += 1 + Int(b[i])                                 // session_id
        guard i + 2 <= end else { return .absent }
        i += 2 + u16(b, i)                                 // cipher_suites
        guard i < end else { return .absent }
        i += 1 + Int(b[i])                                 // compression_methods
        guard i + 2 <= end else { return .value(nil) }     // no extensions at all
        let extEnd = min(end, i + 2 + u16(b, i))
        i += 2
        while i + 4 <= extEnd {
            let type = UInt16(u16(b, i)), length = u16(b, i + 2)
            let data = (i + 4)..<(i + 4 + length)
            guard data.upperBound <= extEnd else { return .absent }
            if type == wanted { return .value(data) }
            i = data.upperBound
        }
        return .value(nil)
    }

    /// `req.ssl_sni`: the first host_name of the server_name extension.
    static func serverName(_ b: UnsafeRawBufferPointer) -> TLSSample<Range<Int>> {
        switch extensionData(b, extServerName) {
        case .incomplete: return .incomplete
        case .absent, .value(nil): return .absent
        case .value(let r?):
            guard r.count >= 2 else { return .absent }
            var i = r.lowerBound + 2
            let end = min(r.upperBound, i + u16(b, r.lowerBound))
            while i + 3 <= end {
                let kind = b[i], length = u16(b, i + 1)
                let name = (i + 3)..<(i + 3 + length)
                guard name.upperBound <= end else { return .absent }
                if kind == 0 && length > 0 { return .value(name) }
                i = name.upperBound
            }
            return .absent
        }
    }

    /// `req.ssl_alpn`: the first protocol the client offers (as HAProxy 2.6 answers).
    static func firstALPN(_ b: UnsafeRawBufferPointer) -> TLSSample<Range<Int>> {
        switch extensionData(b, extALPN) {
        case .incomplete: return .incomplete
        case .absent, .value(nil): return .absent
        case .value(let r?):
            guard r.count >= 3 else { return .absent }
            let length = Int(b[r.lowerBound + 2])
            let name = (r.lowerBound + 3)..<(r.lowerBound + 3 + length)
            guard length > 0, name.upperBound <= r.upperBound else { return .absent }
            return .value(name)
        }
    }

    /// `req.ssl_ec_ext`: whether the hello carries the supported groups extension.
    static func hasSupportedGroups(_ b: UnsafeRawBufferPointer) -> TLSSample<Bool> {
        switch extensionData(b, extSupportedGroups) {
        case .incomplete: return .incomplete
        case .absent: return .absent
        case .value(let r): return .value(r != nil)
        }
    }

    /// `req.ssl_st_ext`: 0 no SessionTicket extension, 1 an empty one, 2 one with a ticket.
    static func sessionTicket(_ b: UnsafeRawBufferPointer) -> TLSSample<Int> {
        switch extensionData(b, extSessionTicket) {
        case .incomplete: return .incomplete
        case .absent: return .absent
        case .value(nil): return .value(0)
        case .value(let r?): return .value(r.isEmpty ? 1 : 2)
        }
    }
}

/// A fetch's answer over bytes that may still grow.
enum TLSSample<T> {
    case incomplete
    case absent
    case value(T)
}

extension TLSHello {
    var isIncomplete: Bool { if case .incomplete = self { return true } else { return false } }
}
