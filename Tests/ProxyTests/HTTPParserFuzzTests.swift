import Testing
@testable import Proxy

/// Random damage to valid heads: the parsers must never crash or read outside the bytes,
/// and what they accept must be self-consistent. Deterministic (fixed seed) so a failure
/// can be replayed.
@Suite struct HTTPParserFuzzTests {
    /// SplitMix64: small, fast, reproducible.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D1_049B_B133_111B
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    static let requests = [
        "GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nConnection: keep-alive\r\nCookie: a=b\r\n\r\n",
        "POST http://x:80/p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET / HTTP/1.0\nX-A: b\n\n",
    ]
    static let responses = [
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\n",
        "HTTP/1.0 404 Not Found\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
    ]
    static let interesting: [UInt8] = [0, 9, 10, 13, 32, 44, 58, 47, 63, 64, 0x7F, 0x80, 0xFF] + Array("chunkedHostContent-Length:0123456789".utf8)

    func mutate(_ base: [UInt8], _ rng: inout Random) -> [UInt8] {
        var b = base
        for _ in 0..<(1 + rng.below(4)) {
            let at = rng.below(b.count + 1)
            let byte = rng.below(2) == 0 ? Self.interesting[rng.below(Self.interesting.count)] : UInt8(rng.below(256))
            switch rng.below(3) {
            case 0: if at < b.count { b[at] = byte }
            case 1: b.insert(byte, at: at)
            default: if at < b.count { b.remove(at: at) }
            }
        }
        return b
    }

    func checkConsistent(_ h: MessageHead, total: Int) {
        #expect(h.headLength > 0 && h.headLength <= min(total, h.limits.rawBytes))
        #expect(h.endOfHeaders < h.headLength && h.bytes.count == h.headLength)
        #expect(h.headerCount <= h.limits.headerLines)
        for i in 0..<h.headerCount {
            let f = h.fields[i]
            #expect(!f.name.isEmpty && f.line.lo == f.name.lo && f.name.hi < f.value.lo + 1)
            #expect(f.value.lo <= f.value.hi && f.value.hi <= f.line.hi && Int(f.line.hi) <= h.endOfHeaders)
        }
    }

    @Test func damagedRequests() {
        var rng = Random(state: 42)
        let head = RequestHead(), again = RequestHead()
        var accepted = 0, refused = 0
        for n in 0..<20_000 {
            let raw = mutate(Array(Self.requests[n % Self.requests.count].utf8), &rng)
            raw.withUnsafeBytes { bytes in
                let r = RequestParser.parse(bytes, into: head)
                if case .invalid = r { refused += 1 }
                guard r == .complete else { return }
                accepted += 1
                checkConsistent(head, total: bytes.count)
                _ = head.path; _ = head.query; _ = head.host
                // Bytes after a complete head (a body, a pipelined request) change nothing.
                let more = raw + Array("XYZ\r\n\r\n".utf8)
                more.withUnsafeBytes { #expect(RequestParser.parse($0, into: again) == .complete) }
                #expect(again.headLength == head.headLength && again.framing == head.framing)
            }
        }
        // Both outcomes must be well represented, or the damage is not testing anything.
        #expect(accepted > 2_000 && refused > 2_000, "accepted \(accepted), refused \(refused)")
    }

    @Test func damagedResponses() {
        var rng = Random(state: 7)
        let head = ResponseHead()
        for n in 0..<20_000 {
            let raw = mutate(Array(Self.responses[n % Self.responses.count].utf8), &rng)
            raw.withUnsafeBytes { bytes in
                if ResponseParser.parse(bytes, into: head, requestWasHead: n % 5 == 0) == .complete {
                    checkConsistent(head, total: bytes.count)
                    #expect(head.status >= 100 && head.status <= 999)
                }
            }
        }
    }
}
