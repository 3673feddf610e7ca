// `option forwardfor`: a new `X-Forwarded-For: <client address>` line at the end of the
// request headers (spec §13.2). A client-supplied X-Forwarded-For is kept and the new line
// follows it, as HAProxy 1.4 and 2.6 do. `header NAME` renames it, `except NET` skips
// clients in NET, `if-none` adds it only when the request has none.
// Built once from the configuration; `append` allocates nothing.

#if canImport(Glibc)
import Glibc
#endif

public struct ForwardedFor: Sendable {
    /// The header name as configured (sent as is) and in lower case (for `if-none`).
    public let headerName: [UInt8]
    let lowerName: [UInt8]
    public let ifNone: Bool
    let except: Network?

    /// An `except` network: address and prefix length, IPv4 (4 bytes) or IPv6 (16 bytes).
    struct Network: Sendable {
        var bytes: [UInt8]
        var prefix: Int
        func contains(_ a: UnsafeRawBufferPointer) -> Bool {
            guard a.count == bytes.count else { return false }
            var bits = prefix, i = 0
            while bits > 0 {
                let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
                if (a[i] & mask) != (bytes[i] & mask) { return false }
                bits -= 8; i += 1
            }
            return true
        }
    }

    /// nil when `except` is not `ADDR`, `ADDR/LEN` or `IPv4/DOTTED-MASK`.
    public init?(_ config: ForwardForConfig) {
        headerName = Array(config.header.utf8)
        lowerName = Array(config.header.lowercased().utf8)
        ifNone = config.ifNone
        if let spec = config.exceptNetwork {
            guard let n = ForwardedFor.parseNetwork(spec) else { return nil }
            except = n
        } else {
            except = nil
        }
    }

    static func parseNetwork(_ spec: String) -> Network? {
        let parts = spec.split(separator: "/", maxSplits: 1).map(String.init)
        guard let addrText = parts.first else { return nil }
        var v4 = in_addr(), v6 = in6_addr()
        var bytes: [UInt8]
        if inet_pton(AF_INET, addrText, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, addrText, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            return nil
        }
        var prefix = bytes.count * 8
        if parts.count == 2 {
            if let n = Int(parts[1]), n >= 0, n <= prefix {
                prefix = n
            } else if bytes.count == 4, inet_pton(AF_INET, parts[1], &v4) == 1 {
                let mask = UInt32(bigEndian: v4.s_addr)
                prefix = mask.nonzeroBitCount
                guard mask.leadingZeroBitCount + mask.trailingZeroBitCount == 32 - prefix || mask == 0 else { return nil }
            } else {
                return nil
            }
        }
        return Network(bytes: bytes, prefix: prefix)
    }

    /// Appends the header for the client at `socketAddress` (a sockaddr_in/sockaddr_in6).
    public func append(head: RequestHead, rewrite: HeadRewrite, socketAddress sa: UnsafeRawPointer) {
        let family = Int32(sa.load(as: sockaddr.self).sa_family)
        if let except {
            let addr: UnsafeRawBufferPointer
            switch family {
            case AF_INET: addr = UnsafeRawBufferPointer(start: sa + MemoryLayout<sockaddr_in>.offset(of: \sockaddr_in.sin_addr)!, count: 4)
            case AF_INET6: addr = UnsafeRawBufferPointer(start: sa + MemoryLayout<sockaddr_in6>.offset(of: \sockaddr_in6.sin6_addr)!, count: 16)
            default: return
            }
            if except.contains(addr) { return }
        }
        guard shouldAdd(head) else { return }
        let m = rewrite.mark
        putName(rewrite)
        guard rewrite.put(socketAddress: sa) else { return }
        rewrite.put("\r\n")
        rewrite.edit(at: head.endOfHeaders, cutTo: head.endOfHeaders, from: m)
    }

    /// Appends the header for an IPv4 client (host byte order: 0x7F000001 is 127.0.0.1).
    public func append(head: RequestHead, rewrite: HeadRewrite, ipv4: UInt32) {
        if let except {
            var be = ipv4.bigEndian
            if withUnsafeBytes(of: &be, { except.contains($0) }) { return }
        }
        guard shouldAdd(head) else { return }
        let m = rewrite.mark
        putName(rewrite)
        rewrite.put(ipv4: ipv4)
        rewrite.put("\r\n")
        rewrite.edit(at: head.endOfHeaders, cutTo: head.endOfHeaders, from: m)
    }

    private func shouldAdd(_ head: RequestHead) -> Bool {
        guard ifNone else { return true }
        return lowerName.withUnsafeBytes { name in
            var i = 0
            while i < head.headerCount {
                if head.equalsLowercased(head.fields[i].name, bytes: name) { return false }
                i += 1
            }
            return true
        }
    }

    private func putName(_ rewrite: HeadRewrite) {
        headerName.withUnsafeBytes { rewrite.put($0) }
        rewrite.put(": ")
    }
}
