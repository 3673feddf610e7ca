// Patterns of an ACL or the keys of a map, compiled for one match method: exact strings go
// into a flat open-addressing hash table (no Dictionary, no allocation when looking up),
// IP networks into one table per prefix length (longest prefix first, as HAProxy's trees
// find them), the rest into lists tried in file order. A PatternSet is immutable; the runtime
// API replaces a whole set (see PatternReference), so workers read it without locks.

#if canImport(Glibc)
import Glibc
#endif

/// A map value, parsed for the map's output type.
enum MapValue {
    case string(UnsafeRawBufferPointer)
    case int(Int64)
    case address(Sample)
    case none
}

public final class PatternSet: @unchecked Sendable {
    // @unchecked: immutable after init; the regexes are shareable (see Regex).
    let method: AclMatch
    let ignoreCase: Bool
    let count: Int
    /// Key bytes (lower-cased for -i string methods), one buffer for all.
    private let keyStorage: UnsafeMutableRawPointer
    private let keyOffsets: [Int]            // count + 1
    let regexes: [Regex]
    let ranges: [IntRange]
    let networks: [IPNetwork]
    let values: [MapValue]
    /// Value texts (string values; map_regm expands back-references in them), one buffer.
    private let valueStorage: UnsafeMutableRawPointer
    private let valueOffsets: [Int]
    private let exact: FlatHashIndex?
    private let networkIndex: NetworkIndex?

    public struct BuildError: Error, CustomStringConvertible { public let description: String }

    /// - Parameters: keys and optional values in file order; `output` the map output type
    ///   (nil for an ACL).
    init(method: AclMatch, ignoreCase: Bool, keys: [String], values: [String?] = [], output: SampleType? = nil) throws {
        self.method = method
        self.ignoreCase = ignoreCase
        count = keys.count
        var offsets = [0]
        var total = 0
        let lowerKeys = keys.map { k -> [UInt8] in
            let b = Array(k.utf8)
            return ignoreCase && method != .regex ? b.map(Bytes.lower) : b
        }
        for k in lowerKeys { total += k.count; offsets.append(total) }
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(total, 1), alignment: 8)
        for (i, k) in lowerKeys.enumerated() where !k.isEmpty {
            k.withUnsafeBytes { (storage + offsets[i]).copyMemory(from: $0.baseAddress!, byteCount: k.count) }
        }
        keyStorage = storage
        keyOffsets = offsets
        switch method {
        case .regex:
            regexes = try keys.map { k in
                do { return try Regex(k, caseless: ignoreCase) } catch { throw BuildError(description: "regex '\(k)': \(error)") }
            }
            ranges = []; networks = []
        case .int, .length:
            ranges = try keys.map { k in guard let r = IntRange(k) else { throw BuildError(description: "'\(k)' is not a valid number range") }; return r }
            regexes = []; networks = []
        case .ip:
            networks = try keys.map { k in guard let n = IPNetwork(k) else { throw BuildError(description: "'\(k)' is not a valid IPv4 or IPv6 address") }; return n }
            regexes = []; ranges = []
        default:
            regexes = []; ranges = []; networks = []
        }
        // Values.
        var vs: [MapValue] = []
        var texts: [[UInt8]] = []
        if let output {
            for i in 0..<keys.count {
                let text = i < values.count ? (values[i] ?? "") : ""
                texts.append(Array(text.utf8))
                switch output {
                case .int:
                    guard let n = Int64(text) else { throw BuildError(description: "'\(text)' is not an integer value") }
                    vs.append(.int(n))
                case .addr, .ipv4, .ipv6:
                    guard let a = TextAddress.parse(text) else { throw BuildError(description: "'\(text)' is not an IP address") }
                    vs.append(.address(a))
                default:
                    vs.append(.none)   // strings: read from valueStorage below
                }
            }
        }
        var vOffsets = [0]
        var vTotal = 0
        for t in texts { vTotal += t.count; vOffsets.append(vTotal) }
        let vStorage = UnsafeMutableRawPointer.allocate(byteCount: max(vTotal, 1), alignment: 8)
        for (i, t) in texts.enumerated() where !t.isEmpty {
            t.withUnsafeBytes { (vStorage + vOffsets[i]).copyMemory(from: $0.baseAddress!, byteCount: t.count) }
        }
        valueStorage = vStorage
        valueOffsets = vOffsets
        self.values = vs
        exact = (method == .exact && keys.count >= 8) ? FlatHashIndex(count: keys.count, key: { i in
            UnsafeRawBufferPointer(start: storage + offsets[i], count: offsets[i + 1] - offsets[i])
        }) : nil
        networkIndex = (method == .ip && keys.count >= 8) ? NetworkIndex(networks) : nil
    }
    deinit { keyStorage.deallocate(); valueStorage.deallocate() }

    @inline(__always) func key(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: keyStorage + keyOffsets[i], count: keyOffsets[i + 1] - keyOffsets[i])
    }

    /// A string value of a map entry (valid while the set lives).
    @inline(__always) func valueBytes(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: valueStorage + valueOffsets[i], count: valueOffsets[i + 1] - valueOffsets[i])
    }

    /// The index of the entry that matches `s` (already cast to the method's type): the
    /// first in file order, or the longest prefix for ip; nil when none.
    func match(_ s: Sample, _ regex: RegexScratch) -> Int? {
        switch method {
        case .found: return count > 0 ? 0 : nil
        case .bool: return nil
        case .int:
            for (i, r) in ranges.enumerated() where r.contains(s.int) { return i }
            return nil
        case .length:
            let n = Int64(s.bytes.count)
            for (i, r) in ranges.enumerated() where r.contains(n) { return i }
            return nil
        case .ip:
            if let networkIndex { return networkIndex.longest(s) }
            var best: Int? = nil
            var bestBits = -1
            for (i, n) in networks.enumerated() where n.bits > bestBits && n.contains(s) { best = i; bestBits = n.bits }
            return best
        case .regex:
            for (i, r) in regexes.enumerated() where r.matches(s.bytes, regex) { return i }
            return nil
        case .exact:
            if let exact {
                return exact.find(s.bytes, ignoreCase: ignoreCase) { i in self.key(i) }
            }
            for i in 0..<count where Bytes.equal(s.bytes, key(i), ignoreCase: ignoreCase) { return i }
            return nil
        case .beginning:
            for i in 0..<count {
                let k = key(i)
                if s.bytes.count >= k.count && Bytes.equalPrefix(s.bytes, 0, k, ignoreCase: ignoreCase) { return i }
            }
            return nil
        case .ending:
            for i in 0..<count {
                let k = key(i)
                if s.bytes.count >= k.count && Bytes.equalPrefix(s.bytes, s.bytes.count - k.count, k, ignoreCase: ignoreCase) { return i }
            }
            return nil
        case .substring:
            for i in 0..<count where Self.contains(key(i), in: s.bytes, ignoreCase: ignoreCase) { return i }
            return nil
        case .directory:
            for i in 0..<count where Self.matchWord(s.bytes, key(i), ignoreCase: ignoreCase, domain: false) { return i }
            return nil
        case .domain:
            for i in 0..<count where Self.matchWord(s.bytes, key(i), ignoreCase: ignoreCase, domain: true) { return i }
            return nil
        case .binary:
            for i in 0..<count where Self.hexEquals(key(i), s.bytes) { return i }
            return nil
        }
    }

    static func contains(_ p: UnsafeRawBufferPointer, in s: UnsafeRawBufferPointer, ignoreCase: Bool) -> Bool {
        if p.count == 0 { return true }
        guard s.count >= p.count else { return false }
        for at in 0...(s.count - p.count) where Bytes.equalPrefix(s, at, p, ignoreCase: ignoreCase) { return true }
        return false
    }

    /// HAProxy's match_word: the pattern (its own leading/trailing delimiters ignored) must be
    /// found bounded by delimiters or the ends. dir: '/' '?'; dom: '/' '?' '.' ':'.
    static func matchWord(_ s: UnsafeRawBufferPointer, _ pattern: UnsafeRawBufferPointer, ignoreCase: Bool, domain: Bool) -> Bool {
        @inline(__always) func delim(_ c: UInt8) -> Bool {
            c == UInt8(ascii: "/") || c == UInt8(ascii: "?") || (domain && (c == UInt8(ascii: ".") || c == UInt8(ascii: ":")))
        }
        var ps = 0, pe = pattern.count
        while ps < pe && delim(pattern[ps]) { ps += 1 }
        while pe > ps && delim(pattern[pe - 1]) { pe -= 1 }
        let pl = pe - ps
        guard pl <= s.count else { return false }
        let p = UnsafeRawBufferPointer(rebasing: pattern[ps..<pe])
        var mayMatch = true
        let last = s.count - pl
        var c = 0
        while c <= last {
            if delim(s[c]) { mayMatch = true; c += 1; continue }
            if mayMatch {
                if Bytes.equalPrefix(s, c, p, ignoreCase: ignoreCase) && (c == last || delim(s[c + pl])) { return true }
            }
            mayMatch = false
            c += 1
        }
        return false
    }

    static func hexEquals(_ hex: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard hex.count == b.count * 2 else { return false }
        @inline(__always) func nib(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : (c | 0x20) - 87 }
        for i in 0..<b.count where nib(hex[2 * i]) << 4 | nib(hex[2 * i + 1]) != b[i] { return false }
        return true
    }
}

/// An open-addressing table of entry indexes by key hash (FNV-1a over lower-cased bytes
/// when case is ignored). Duplicated keys keep the first entry.
final class FlatHashIndex {
    let slots: [Int32]          // entry index + 1, 0: empty
    let hashes: [UInt64]
    let mask: Int

    init(count: Int, key: (Int) -> UnsafeRawBufferPointer) {
        var size = 16
        while size < count * 2 { size <<= 1 }
        var s = [Int32](repeating: 0, count: size)
        var h = [UInt64](repeating: 0, count: size)
        for i in 0..<count {
            let k = key(i)
            let hash = Self.hash(k, ignoreCase: false)
            var p = Int(hash) & (size - 1)
            var dup = false
            while s[p] != 0 {
                if h[p] == hash && Bytes.equal(key(Int(s[p]) - 1), k, ignoreCase: false) { dup = true; break }
                p = (p + 1) & (size - 1)
            }
            if !dup { s[p] = Int32(i + 1); h[p] = hash }
        }
        slots = s; hashes = h; mask = size - 1
    }

    @inline(__always) static func hash(_ b: UnsafeRawBufferPointer, ignoreCase: Bool) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325
        if ignoreCase { for c in b { h = (h ^ UInt64(Bytes.lower(c))) &* 0x100000001b3 } }
        else { for c in b { h = (h ^ UInt64(c)) &* 0x100000001b3 } }
        return h
    }

    /// Keys were stored lower-cased when `ignoreCase`, so the sample is hashed lower-cased too.
    @inline(__always) func find(_ b: UnsafeRawBufferPointer, ignoreCase: Bool, key: (Int) -> UnsafeRawBufferPointer) -> Int? {
        let hash = Self.hash(b, ignoreCase: ignoreCase)
        var p = Int(hash) & mask
        while slots[p] != 0 {
            let i = Int(slots[p]) - 1
            if hashes[p] == hash && Bytes.equal(key(i), b, ignoreCase: ignoreCase) { return i }
            p = (p + 1) & mask
        }
        return nil
    }
}

/// Networks grouped by prefix length, each group an open-addressing table of masked
/// addresses: a lookup tries the lengths from the longest (HAProxy's longest match).
final class NetworkIndex {
    struct Group { let v6: Bool; let bits: Int; let maskHi: UInt64; let maskLo: UInt64; let table: [Int32]; let keysHi: [UInt64]; let keysLo: [UInt64]; let mask: Int }
    let groups: [Group]

    init(_ nets: [IPNetwork]) {
        var byLength: [Int: [Int]] = [:]
        for (i, n) in nets.enumerated() { byLength[(n.isV6 ? 1000 : 0) + n.bits, default: []].append(i) }
        var gs: [Group] = []
        for (key, members) in byLength {
            let v6 = key >= 1000
            var size = 16
            while size < members.count * 2 { size <<= 1 }
            var t = [Int32](repeating: 0, count: size), kh = [UInt64](repeating: 0, count: size), kl = [UInt64](repeating: 0, count: size)
            for i in members {
                let n = nets[i]
                let (h, l) = v6 ? (n.hi, n.lo) : (0, UInt64(n.v4))
                var p = Int(truncatingIfNeeded: (h &* 0x9E3779B97F4A7C15) ^ (l &* 0xC2B2AE3D27D4EB4F)) & (size - 1)
                var dup = false
                while t[p] != 0 { if kh[p] == h && kl[p] == l { dup = true; break }; p = (p + 1) & (size - 1) }
                if !dup { t[p] = Int32(i + 1); kh[p] = h; kl[p] = l }
            }
            let n0 = nets[members[0]]
            gs.append(Group(v6: v6, bits: key % 1000, maskHi: n0.maskHi, maskLo: v6 ? n0.maskLo : UInt64(n0.mask4),
                            table: t, keysHi: kh, keysLo: kl, mask: size - 1))
        }
        groups = gs.sorted { $0.bits > $1.bits }
    }

    func longest(_ s: Sample) -> Int? {
        var best: Int? = nil
        var bestBits = -1
        for g in groups where g.bits > bestBits {
            let h: UInt64, l: UInt64
            if g.v6 {
                if s.type == .ipv6 { h = s.hi & g.maskHi; l = s.lo & g.maskLo }
                else if s.type == .ipv4 { let (a, b) = v4MappedV6(s.ipv4); h = a & g.maskHi; l = b & g.maskLo }
                else { continue }
            } else {
                var a: UInt32
                if s.type == .ipv4 { a = s.ipv4 } else if s.type == .ipv6, let x = v6ToV4(s.hi, s.lo) { a = x } else { continue }
                a &= UInt32(truncatingIfNeeded: g.maskLo)
                h = 0; l = UInt64(a)
            }
            var p = Int(truncatingIfNeeded: (h &* 0x9E3779B97F4A7C15) ^ (l &* 0xC2B2AE3D27D4EB4F)) & g.mask
            while g.table[p] != 0 {
                if g.keysHi[p] == h && g.keysLo[p] == l { best = Int(g.table[p]) - 1; bestBits = g.bits; break }
                p = (p + 1) & g.mask
            }
        }
        return best
    }
}
