// The hashing and byte-formatting converters of HAProxy 2.6 (sample.c): sha1, sha2, digest,
// hmac (libcrypto, as HAProxy's OpenSSL build), crc32c (hand-written: a table-free 30-line CRC
// that no installed library exports), xxh32/xxh64/xxh3 (libxxhash, the code HAProxy bundles),
// secure_memcmp, be2dec and be2hex. Arguments are resolved at load (digests looked up by name).

import CLibCrypto
import CXXHash

/// A digest algorithm, looked up by OpenSSL name once at load.
struct DigestAlgorithm: @unchecked Sendable {
    let md: OpaquePointer

    init?(_ name: String) {
        guard let md = EVP_get_digestbyname(name) else { return nil }
        self.md = md
    }
}

enum HashConverter {
    case digest(DigestAlgorithm)
    /// hmac(alg,key): the key is base64, given as text or read from a variable each time.
    case hmac(DigestAlgorithm, key: [UInt8], keyVariable: VarSlot?)
    case crc32c(avalanche: Bool)
    case xxh32(UInt32), xxh64(UInt64), xxh3(UInt64)
    case secureMemcmp(VarSlot)
    case be2dec(separator: [UInt8], chunk: Int, truncate: Bool)
    case be2hex(separator: [UInt8], chunk: Int, truncate: Bool)

    var input: SampleType { .binary }
}

extension RuleContext {
    func convertHash(_ c: HashConverter, _ s: inout Sample) -> Bool {
        switch c {
        case .digest(let alg):
            guard let p = arena.allocate(Int(EVP_MAX_MD_SIZE)) else { return false }
            var len: UInt32 = 0
            guard EVP_Digest(s.bytes.baseAddress ?? UnsafeRawPointer(p), s.bytes.count, p.assumingMemoryBound(to: UInt8.self), &len, alg.md, nil) == 1 else { return false }
            arena.shrinkLast(from: p, to: Int(len))
            s = .binary(UnsafeRawBufferPointer(start: p, count: Int(len)))
        case .hmac(let alg, let keyText, let keyVariable):
            // HAProxy decodes the key from base64 at each call (sample_conv_hmac), also a variable's.
            var keyBytes: UnsafeRawBufferPointer
            if let keyVariable {
                guard var k = variable(keyVariable), SampleCast.convert(&k, to: .string, arena) else { return false }
                keyBytes = k.bytes
            } else {
                guard let k = keyText.withUnsafeBytes({ arena.copy($0) }) else { return false }
                keyBytes = k
            }
            guard let key = Base64Codec.decode(keyBytes, arena) else { return false }
            guard let p = arena.allocate(Int(EVP_MAX_MD_SIZE)) else { return false }
            var len: UInt32 = 0
            let dummy = UnsafeRawPointer(p)
            guard HMAC(alg.md, key.baseAddress ?? dummy, Int32(key.count), (s.bytes.baseAddress ?? dummy).assumingMemoryBound(to: UInt8.self),
                       s.bytes.count, p.assumingMemoryBound(to: UInt8.self), &len) != nil else { return false }
            arena.shrinkLast(from: p, to: Int(len))
            s = .binary(UnsafeRawBufferPointer(start: p, count: Int(len)))
        case .crc32c(let avalanche):
            let h = CRC32C.hash(s.bytes)
            s = .int(Int64(avalanche ? Hashes.fullAvalanche(h) : h))
        case .xxh32(let seed):
            s = .int(Int64(XXH32(s.bytes.baseAddress, s.bytes.count, seed)))
        case .xxh64(let seed):
            // HAProxy stores the 64-bit hash in a signed integer (the same bits).
            s = .int(Int64(bitPattern: XXH64(s.bytes.baseAddress, s.bytes.count, seed)))
        case .xxh3(let seed):
            s = .int(Int64(bitPattern: XXH3_64bits_withSeed(s.bytes.baseAddress, s.bytes.count, seed)))
        case .secureMemcmp(let v):
            guard var t = variable(v), SampleCast.convert(&t, to: .binary, arena) else { return false }
            // Equal lengths: every byte is compared (CRYPTO_memcmp), so the time does not say where they differ.
            if t.bytes.count != s.bytes.count { s = .bool(false); return true }
            if s.bytes.count == 0 { s = .bool(true); return true }
            s = .bool(CRYPTO_memcmp(s.bytes.baseAddress!, t.bytes.baseAddress!, s.bytes.count) == 0)
        case .be2dec(let sep, let chunk, let truncate):
            guard let b = BigEndianChunks.format(s.bytes, separator: sep, chunk: chunk, truncate: truncate, hex: false, arena) else { return false }
            s = .string(b)
        case .be2hex(let sep, let chunk, let truncate):
            guard let b = BigEndianChunks.format(s.bytes, separator: sep, chunk: chunk, truncate: truncate, hex: true, arena) else { return false }
            s = .string(b)
        }
        return true
    }
}

/// be2dec / be2hex: the input cut in chunks of `chunk` bytes, each read as a big-endian unsigned
/// number (decimal) or written as upper-case hex; chunks joined by the separator; a shorter last
/// chunk is kept unless `truncate`.
enum BigEndianChunks {
    static func format(_ input: UnsafeRawBufferPointer, separator: [UInt8], chunk: Int, truncate: Bool, hex: Bool,
                       _ arena: SampleArena) -> UnsafeRawBufferPointer? {
        var w = ArenaWriter(arena)
        let end = truncate ? input.count - input.count % chunk : input.count
        let digits: StaticString = "0123456789ABCDEF"
        var i = 0
        while i < end {
            let stop = min(i + chunk, end)
            if hex {
                for k in i..<stop {
                    w.byte(digits.utf8Start[Int(input[k] >> 4)]); w.byte(digits.utf8Start[Int(input[k] & 15)])
                }
            } else {
                var v: UInt64 = 0
                for k in i..<stop { v = v << 8 | UInt64(input[k]) }
                var buf: (UInt64, UInt64, UInt64) = (0, 0, 0)
                withUnsafeMutableBytes(of: &buf) { d in
                    var n = 0
                    repeat { d[n] = UInt8(48 + v % 10); v /= 10; n += 1 } while v > 0
                    while n > 0 { n -= 1; w.byte(d[n]) }
                }
            }
            i = stop
            if i < end { separator.withUnsafeBytes { w.bytes($0) } }
        }
        return w.finish(arena)
    }
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), HAProxy's hash_crc32c. Hand-written:
/// neither libcrypto nor libxxhash exports it, and a table of 256 words is all it takes.
enum CRC32C {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    static func hash(_ b: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for byte in b { crc = t[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return ~crc
    }
}

extension HashConverter {
    /// The load-time form of a hashing converter (arguments checked by SampleSyntax.checkConverter).
    static func compile(_ kind: ConverterKind, _ a: [String], _ varSlot: (Int) -> VarSlot?) throws -> HashConverter {
        func int(_ i: Int) -> Int64? { i < a.count ? Int64(a[i]) : nil }
        func digest(_ name: String) throws -> DigestAlgorithm {
            guard let d = DigestAlgorithm(name) else { throw RuleCompileError(description: "converter '\(kind.rawValue)': unknown digest '\(name)'") }
            return d
        }
        func sep() -> [UInt8] { a.isEmpty ? [] : Array(a[0].utf8) }
        switch kind {
        case .sha1: return .digest(try digest("sha1"))
        case .sha2: return .digest(try digest("sha\(int(0) ?? 256)"))
        case .digest: return .digest(try digest(a[0]))
        case .hmac: return .hmac(try digest(a[0]), key: Array(a[1].utf8), keyVariable: varSlot(1))
        case .crc32c: return .crc32c(avalanche: (int(0) ?? 0) != 0)
        case .xxh32: return .xxh32(UInt32(truncatingIfNeeded: int(0) ?? 0))
        case .xxh64: return .xxh64(UInt64(bitPattern: int(0) ?? 0))
        case .xxh3: return .xxh3(UInt64(bitPattern: int(0) ?? 0))
        case .secureMemcmp: return .secureMemcmp(varSlot(0)!)
        case .be2dec: return .be2dec(separator: sep(), chunk: Int(int(1) ?? 1), truncate: (int(2) ?? 0) != 0)
        case .be2hex: return .be2hex(separator: sep(), chunk: Int(int(1) ?? 1), truncate: (int(2) ?? 0) != 0)
        default: throw RuleCompileError(description: "converter '\(kind.rawValue)' is not a hashing converter")
        }
    }
}
