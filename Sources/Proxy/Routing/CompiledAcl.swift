// An ACL ready to evaluate on a request head: its fetch, its match method and its patterns
// converted to bytes (or compiled regexes, ranges, networks) at build time.
//
// As HAProxy: a header fetch (`hdr`, `hdr_reg`, `hdr_beg`...) yields every comma-separated
// value of every occurrence of the header, each trimmed of blanks, and the ACL is true when
// any value matches any pattern. `-i` makes string and regex matches case-insensitive.

#if canImport(Glibc)
import Glibc
#endif

struct AclBuildError: Error, CustomStringConvertible { let description: String }

final class CompiledAcl {
    enum Patterns {
        case strings([[UInt8]])
        case regexes([PosixRegex])
        case lengths([(lo: Int, hi: Int)])
        case networks([(net: UInt32, mask: UInt32)])  // IPv4 only
        case none
    }

    let name: String
    let fetch: AclFetch
    let match: AclMatch
    let ignoreCase: Bool
    let headerName: HeaderName?
    /// `var`: the runtime API's `add|del|clear acl` replace them (on the owning worker's thread).
    var patterns: Patterns

    init(_ def: AclDefinition) throws {
        name = def.name; fetch = def.fetch; match = def.match; ignoreCase = def.ignoreCase
        if case .header(let h) = def.fetch { headerName = HeaderName(h) } else { headerName = nil }
        switch def.match {
        case .exact, .beginning, .ending, .substring, .domain:
            patterns = .strings(def.patterns.map { Array(def.ignoreCase ? $0.lowercased().utf8 : $0.utf8) })
        case .regex:
            patterns = .regexes(try def.patterns.map { try PosixRegex($0, ignoreCase: def.ignoreCase) })
        case .length:
            patterns = .lengths(try def.patterns.map { p in
                let parts = p.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                func num(_ s: String, _ dflt: Int) throws -> Int {
                    if s.isEmpty { return dflt }
                    guard let v = Int(s) else { throw AclBuildError(description: "\(def.location): acl '\(def.name)': bad length '\(p)'") }
                    return v
                }
                if parts.count == 1 { let v = try num(parts[0], 0); return (v, v) }
                return (try num(parts[0], 0), try num(parts[1], Int.max))
            })
        case .ip:
            patterns = .networks(try def.patterns.map { p in
                let parts = p.split(separator: "/", maxSplits: 1).map(String.init)
                guard let a = ClientAddress(parts[0]), case .v4(let net) = a else {
                    throw AclBuildError(description: "\(def.location): acl '\(def.name)': bad IPv4 address '\(p)'")
                }
                var mask: UInt32 = 0xFFFF_FFFF
                if parts.count == 2 {
                    if let bits = Int(parts[1]), bits >= 0, bits <= 32 {
                        mask = bits == 0 ? 0 : ~UInt32(0) << UInt32(32 - bits)
                    } else if let m = ClientAddress(parts[1]), case .v4(let mm) = m {
                        mask = mm
                    } else {
                        throw AclBuildError(description: "\(def.location): acl '\(def.name)': bad mask '\(p)'")
                    }
                }
                return (net & mask, mask)
            })
        case .found:
            patterns = .none
        }
    }

    /// Evaluates the ACL. `regexBuffer` is the router's NUL-termination scratch.
    func evaluate(_ req: RequestHead, client: ClientAddress,
                  regexBuffer: UnsafeMutablePointer<CChar>, regexCapacity: Int) -> Bool {
        switch fetch {
        case .always:
            return name != "FALSE"
        case .source:
            switch match {
            case .found: return client != .none
            case .ip:
                guard case .v4(let a) = client else { return false }
                return matchesNetwork(a)
            default:
                return false   // string matches on `src` are not supported (configs use -m ip)
            }
        case .method:
            return test(req.slice(req.method), regexBuffer, regexCapacity)
        case .url:
            return test(req.slice(req.target), regexBuffer, regexCapacity)
        case .path:
            return test(Self.path(of: req.slice(req.target)), regexBuffer, regexCapacity)
        case .header:
            let hn = headerName!
            var i = 0
            while let h = hn.find(in: req, from: i) {
                if match == .found { return true }
                let v = req.fields[h].value
                var lo = Int(v.lo)
                let end = Int(v.hi)
                // Every comma-separated value, trimmed.
                while lo <= end {
                    var hi = lo
                    while hi < end && req.bytes[hi] != UInt8(ascii: ",") { hi += 1 }
                    let (a, b) = Bytes.trim(req.bytes, lo, hi)
                    if test(UnsafeRawBufferPointer(rebasing: req.bytes[a..<b]), regexBuffer, regexCapacity) { return true }
                    lo = hi + 1
                }
                i = h + 1
            }
            return false
        }
    }

    /// The path part of a request target: for an absolute URI, what follows the authority;
    /// then everything before `?`.
    static func path(of target: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var start = 0
        let n = target.count
        if n > 0 && target[0] != UInt8(ascii: "/") {
            // scheme://authority/path
            var i = 0
            while i + 2 < n && !(target[i] == UInt8(ascii: ":") && target[i+1] == UInt8(ascii: "/") && target[i+2] == UInt8(ascii: "/")) { i += 1 }
            if i + 2 < n {
                i += 3
                while i < n && target[i] != UInt8(ascii: "/") { i += 1 }
                start = i
            }
        }
        var end = start
        while end < n && target[end] != UInt8(ascii: "?") { end += 1 }
        return UnsafeRawBufferPointer(rebasing: target[start..<end])
    }

    private func matchesNetwork(_ a: UInt32) -> Bool {
        guard case .networks(let nets) = patterns else { return false }
        for n in nets where a & n.mask == n.net { return true }
        return false
    }

    /// Tests one sample against every pattern.
    private func test(_ s: UnsafeRawBufferPointer, _ buf: UnsafeMutablePointer<CChar>, _ cap: Int) -> Bool {
        switch patterns {
        case .none:
            return true
        case .regexes(let rs):
            for r in rs where r.matches(s, scratch: buf, capacity: cap) { return true }
            return false
        case .lengths(let ls):
            for l in ls where s.count >= l.lo && s.count <= l.hi { return true }
            return false
        case .networks:
            guard let a = Self.parseIPv4(s) else { return false }
            return matchesNetwork(a)
        case .strings(let ps):
            for p in ps {
                let hit = p.withUnsafeBytes { pb -> Bool in
                    switch match {
                    case .exact: return Bytes.equal(s, pb, ignoreCase: ignoreCase)
                    case .beginning: return s.count >= pb.count && Bytes.equalPrefix(s, 0, pb, ignoreCase: ignoreCase)
                    case .ending: return s.count >= pb.count && Bytes.equalPrefix(s, s.count - pb.count, pb, ignoreCase: ignoreCase)
                    case .substring: return Self.find(pb, in: s, ignoreCase: ignoreCase, delimited: false)
                    case .domain: return Self.find(pb, in: s, ignoreCase: ignoreCase, delimited: true)
                    default: return false
                    }
                }
                if hit { return true }
            }
            return false
        }
    }

    /// Substring search; with `delimited` (HAProxy's `dom`), the occurrence must be bounded
    /// by the start/end of the sample or by one of `/ ? . :`.
    static func find(_ p: UnsafeRawBufferPointer, in s: UnsafeRawBufferPointer, ignoreCase: Bool, delimited: Bool) -> Bool {
        if p.count == 0 { return !delimited }
        guard s.count >= p.count else { return false }
        @inline(__always) func delim(_ c: UInt8) -> Bool {
            c == UInt8(ascii: "/") || c == UInt8(ascii: "?") || c == UInt8(ascii: ".") || c == UInt8(ascii: ":")
        }
        for at in 0...(s.count - p.count) where Bytes.equalPrefix(s, at, p, ignoreCase: ignoreCase) {
            if !delimited { return true }
            let before = at == 0 || delim(s[at - 1])
            let after = at + p.count == s.count || delim(s[at + p.count])
            if before && after { return true }
        }
        return false
    }

    /// Dotted-quad IPv4 from bytes (no allocation), host order.
    static func parseIPv4(_ s: UnsafeRawBufferPointer) -> UInt32? {
        var parts = 0, cur: UInt32 = 0, digits = 0, value: UInt32 = 0
        for c in s {
            if c >= 48 && c <= 57 {
                cur = cur * 10 + UInt32(c - 48); digits += 1
                if cur > 255 || digits > 3 { return nil }
            } else if c == UInt8(ascii: ".") && digits > 0 && parts < 3 {
                value = value << 8 | cur; parts += 1; cur = 0; digits = 0
            } else { return nil }
        }
        guard parts == 3 && digits > 0 else { return nil }
        return value << 8 | cur
    }
}
