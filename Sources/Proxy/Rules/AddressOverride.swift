// `http-request set-src|set-src-port|set-dst|set-dst-port EXPR`: the transaction's client
// (source) or local (destination) address becomes the sample's value. Later `src`/`dst`
// fetches, X-Forwarded-For and X-Original-To see it. As HAProxy: an address keeps the port
// when the family stays the same (else the port becomes 0); a sample that is not an address
// (or a port that is not an integer) leaves things as they were.

#if canImport(Glibc)
import Glibc
#endif

public enum AddressOverride {
    public enum Target: String, Sendable { case src = "set-src", srcPort = "set-src-port", dst = "set-dst", dstPort = "set-dst-port" }

    /// A sockaddr for an address and port (X-Forwarded-For / X-Original-To after an override).
    static func socketAddress(_ a: ClientAddress, port: Int, into ss: inout sockaddr_storage) -> Bool {
        ss = sockaddr_storage()
        switch a {
        case .v4(let x):
            withUnsafeMutablePointer(to: &ss) { p in
                p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    $0.pointee.sin_family = sa_family_t(AF_INET)
                    $0.pointee.sin_port = UInt16(truncatingIfNeeded: port).bigEndian
                    $0.pointee.sin_addr.s_addr = x.bigEndian
                }
            }
            return true
        case .v6(let a, let b, let c, let d):
            withUnsafeMutablePointer(to: &ss) { p in
                p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { s in
                    s.pointee.sin6_family = sa_family_t(AF_INET6)
                    s.pointee.sin6_port = UInt16(truncatingIfNeeded: port).bigEndian
                    withUnsafeMutableBytes(of: &s.pointee.sin6_addr) { raw in
                        for (k, word) in [a, b, c, d].enumerated() {
                            raw[k * 4] = UInt8(word >> 24); raw[k * 4 + 1] = UInt8((word >> 16) & 0xFF)
                            raw[k * 4 + 2] = UInt8((word >> 8) & 0xFF); raw[k * 4 + 3] = UInt8(word & 0xFF)
                        }
                    }
                }
            }
            return true
        case .none:
            return false
        }
    }
}

extension RuleContext {
    func overrideAddress(_ t: AddressOverride.Target, _ e: SampleExpr) {
        guard var s = evaluate(e) else { return }
        switch t {
        case .src, .dst:
            guard SampleCast.convert(&s, to: .addr, arena) else { return }
            let a: ClientAddress
            switch s.type {
            case .ipv4: a = .v4(s.ipv4)
            case .ipv6:
                a = .v6(UInt32(s.hi >> 32), UInt32(truncatingIfNeeded: s.hi), UInt32(s.lo >> 32), UInt32(truncatingIfNeeded: s.lo))
            default: return
            }
            func sameFamily(_ x: ClientAddress) -> Bool {
                switch (x, a) { case (.v4, .v4), (.v6, .v6): return true; default: return false }
            }
            if t == .src {
                if !sameFamily(client) { clientPort = 0 }
                client = a
            } else {
                if !sameFamily(local) { localPort = 0 }
                local = a
            }
        case .srcPort, .dstPort:
            guard SampleCast.convert(&s, to: .int, arena), s.int >= 0, s.int <= 65535 else { return }
            if t == .srcPort { guard client != .none else { return }; clientPort = Int(s.int) }
            else { guard local != .none else { return }; localPort = Int(s.int) }
        }
        addressesOverridden = true
        keepStreamAddresses()
    }
}
