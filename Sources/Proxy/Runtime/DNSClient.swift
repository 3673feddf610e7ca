// A DNS query of the resolver thread, over CResolv (glibc's libresolv): blocking, so it
// never runs on a worker.
#if canImport(Glibc)
import Glibc
#endif
import CResolv

public struct DNSRecord: Equatable, Sendable {
    public enum Kind: Sendable { case a, aaaa, srv }
    public var kind: Kind
    public var owner: String
    /// A/AAAA: the address as text.
    public var address: String = ""
    /// SRV: target, port, weight, priority.
    public var target: String = ""
    public var port = 0
    public var weight = 0
    public var priority = 0
}

public enum DNSOutcome: Equatable, Sendable {
    case records([DNSRecord])
    case nx, timeout, refused, noData, other

    public var records: [DNSRecord] { if case .records(let r) = self { return r }; return [] }
    public var isValid: Bool { if case .records = self { return true }; return false }
}

public enum DNSClient {
    public enum QueryType: Int32, Sendable { case a = 1, aaaa = 28, srv = 33 }

    public static func query(_ name: String, _ type: QueryType, servers: [ResolversConfig.Nameserver],
                             timeoutMs: Int, retries: Int, payloadSize: Int) -> DNSOutcome {
        let list: [rp_dns_server] = servers.compactMap { ns in
            var a = in_addr()
            guard inet_pton(AF_INET, ns.host, &a) == 1 else { return nil }
            return rp_dns_server(ipv4: a.s_addr, port: UInt16(ns.port))
        }
        guard !list.isEmpty else { return .other }
        var out = [rp_dns_record](repeating: rp_dns_record(), count: 64)
        let n = rp_dns_query(list, Int32(list.count), name, type.rawValue, Int32(timeoutMs), Int32(retries),
                             Int32(payloadSize), &out, Int32(out.count))
        return outcome(n, out)
    }

    /// Parses a raw answer (tests feed malformed ones here).
    public static func parse(_ message: [UInt8]) -> DNSOutcome {
        var out = [rp_dns_record](repeating: rp_dns_record(), count: 64)
        let n = rp_dns_parse(message, Int32(message.count), &out, Int32(out.count))
        return outcome(n, out)
    }

    static func outcome(_ n: Int32, _ out: [rp_dns_record]) -> DNSOutcome {
        switch n {
        case RP_DNS_ERR_NX: return .nx
        case RP_DNS_ERR_TIMEOUT: return .timeout
        case RP_DNS_ERR_REFUSED: return .refused
        case RP_DNS_ERR_NODATA: return .noData
        case ..<0: return .other
        default: return .records(out.prefix(Int(n)).map(record))
        }
    }

    static func record(_ r: rp_dns_record) -> DNSRecord {
        let owner = text(r.owner), target = text(r.target)
        var buf = [CChar](repeating: 0, count: 64)
        var addr = r.addr
        switch Int32(r.type) {
        case RP_DNS_A:
            _ = withUnsafePointer(to: &addr) { inet_ntop(AF_INET, $0, &buf, 64) }
            return DNSRecord(kind: .a, owner: owner, address: String(cString: buf))
        case RP_DNS_AAAA:
            _ = withUnsafePointer(to: &addr) { inet_ntop(AF_INET6, $0, &buf, 64) }
            return DNSRecord(kind: .aaaa, owner: owner, address: String(cString: buf))
        default:
            return DNSRecord(kind: .srv, owner: owner, target: target, port: Int(r.port), weight: Int(r.weight), priority: Int(r.priority))
        }
    }

    static func text<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
