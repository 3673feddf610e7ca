// The SPOP (Stream Processing Offload Protocol) HELLO handshake of `option spop-check`, as
// HAProxy 2.6 does it: send a HAPROXY-HELLO frame carrying `healthcheck=true`, and accept an
// AGENT-HELLO with a supported version and a sane max-frame-size. The error texts are HAProxy's
// SPOE frame error reasons, which its checks report as the info of a failed check.

enum SPOPHello {
    // Frame types and data types of SPOP 2.0.
    static let haproxyHello: UInt8 = 1
    static let agentHello: UInt8 = 101
    static let agentDisconnect: UInt8 = 102
    static let finFlag: UInt32 = 1
    enum DataType: UInt8 { case null = 0, bool, int32, uint32, int64, uint64, ipv4, ipv6, string, binary }
    static let boolTrue: UInt8 = 0x10

    /// HAProxy's frames are at most tune.bufsize - 4 bytes (16380 with the default 16384).
    static let maxFrameSize = 16380
    static let minFrameSize = 256

    /// The 4-byte length and the HAPROXY-HELLO frame HAProxy sends for a health check (82 bytes).
    static let healthCheckRequest: [UInt8] = {
        var f: [UInt8] = [haproxyHello, 0, 0, 0, UInt8(finFlag), 0, 0]   // type, flags (FIN), stream-id 0, frame-id 0
        func string(_ s: String) { let b = Array(s.utf8); f += varint(UInt64(b.count)) + b }
        string("supported-versions"); f.append(DataType.string.rawValue); string("2.0")
        string("max-frame-size"); f.append(DataType.uint32.rawValue); f += varint(UInt64(maxFrameSize))
        string("capabilities"); f.append(DataType.string.rawValue); string("")
        string("healthcheck"); f.append(DataType.bool.rawValue | boolTrue)
        let n = UInt32(f.count)
        return [UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)] + f
    }()

    /// SPOP's variable-length integers: one byte below 240, then 4 bits in the first byte and
    /// 7 bits per following byte.
    static func varint(_ value: UInt64) -> [UInt8] {
        var v = value
        if v < 240 { return [UInt8(v)] }
        var out: [UInt8] = [UInt8(truncatingIfNeeded: v) | 240]
        v = (v - 240) >> 4
        while v >= 128 {
            out.append(UInt8(truncatingIfNeeded: v) | 128)
            v = (v - 128) >> 7
        }
        out.append(UInt8(v))
        return out
    }

    /// A cursor over a frame's bytes; every read fails (nil) past the end.
    struct Reader {
        let bytes: [UInt8]
        var at: Int
        var done: Bool { at >= bytes.count }
        mutating func byte() -> UInt8? { guard at < bytes.count else { return nil }; defer { at += 1 }; return bytes[at] }
        mutating func varint() -> UInt64? {
            guard var r = byte().map(UInt64.init) else { return nil }
            if r < 240 { return r }
            var shift: UInt64 = 4
            while true {
                guard let b = byte(), shift < 64 else { return nil }
                r &+= UInt64(b) << shift
                shift += 7
                if b < 128 { return r }
            }
        }
        mutating func buffer() -> ArraySlice<UInt8>? {
            guard let n = varint(), n <= UInt64(bytes.count - at) else { return nil }
            defer { at += Int(n) }
            return bytes[at..<at + Int(n)]
        }
        /// Skips a typed value HAProxy does not look at.
        mutating func skipValue(type: UInt8) -> Bool {
            switch DataType(rawValue: type & 0x0f) {
            case .null, .bool: return true
            case .int32, .uint32, .int64, .uint64: return varint() != nil
            case .ipv4: guard bytes.count - at >= 4 else { return false }; at += 4; return true
            case .ipv6: guard bytes.count - at >= 16 else { return false }; at += 16; return true
            case .string, .binary: return buffer() != nil
            case nil: return false
            }
        }
    }

    /// HAProxy's "MAJOR.MINOR" → 1000 * MAJOR + MINOR (nil when malformed).
    static func version(_ s: ArraySlice<UInt8>) -> Int? {
        var p = s.startIndex
        let end = s.endIndex
        func isSpace(_ c: UInt8) -> Bool { c == 32 || (c >= 9 && c <= 13) }
        while p < end && isSpace(s[p]) { p += 1 }
        var major = 0
        while p < end && s[p] != UInt8(ascii: ".") {
            guard s[p] >= 48 && s[p] <= 57 else { return nil }
            major = major * 10 + Int(s[p] - 48); p += 1
            if major > 1_000_000 { return nil }
        }
        guard p < end, major > 0 else { return nil }
        p += 1
        guard p < end, s[p] >= 48 && s[p] <= 57 else { return nil }
        var minor = 0
        while p < end && s[p] >= 48 && s[p] <= 57 { minor = minor * 10 + Int(s[p] - 48); p += 1; if minor > 999 { return nil } }
        while p < end && isSpace(s[p]) { p += 1 }
        return p == end ? major * 1000 + minor : nil
    }

    /// Decodes the agent's answer (the frame without its length): nil when it is a valid
    /// AGENT-HELLO, else HAProxy's reason. An AGENT-DISCONNECT reports the reason of its status code.
    static func agentHelloError(_ frame: [UInt8]) -> String? {
        var r = Reader(bytes: frame, at: 0)
        guard let type = r.byte() else { return Reason.invalid }
        if type == agentDisconnect { return disconnectReason(&r, size: frame.count) }
        guard type == agentHello, frame.count >= 7 else { return Reason.invalid }
        let flags = UInt32(frame[1]) << 24 | UInt32(frame[2]) << 16 | UInt32(frame[3]) << 8 | UInt32(frame[4])
        guard flags & finFlag != 0 else { return Reason.fragmentation }
        guard frame[5] == 0, frame[6] == 0 else { return Reason.invalid }
        r.at = 7
        var version = 0, frameSize = 0
        while !r.done {
            guard let key = r.buffer(), !key.isEmpty else { return Reason.invalid }
            if key.starts(with: "version".utf8) {
                guard let t = r.byte(), t & 0x0f == DataType.string.rawValue, let v = r.buffer() else { return Reason.invalid }
                guard let n = Self.version(v), n == 2000 else { return Reason.badVersion }
                version = n
            } else if key.starts(with: "max-frame-size".utf8) {
                guard let t = r.byte(), [DataType.int32, .int64, .uint32, .uint64].map(\.rawValue).contains(t & 0x0f),
                      let n = r.varint() else { return Reason.invalid }
                guard n >= UInt64(minFrameSize), n <= UInt64(maxFrameSize) else { return Reason.badFrameSize }
                frameSize = Int(n)
            } else if key.starts(with: "capabilities".utf8) {
                guard let t = r.byte(), t & 0x0f == DataType.string.rawValue, r.buffer() != nil else { return Reason.invalid }
            } else {
                guard let t = r.byte(), r.skipValue(type: t) else { return Reason.invalid }
            }
        }
        if version == 0 { return Reason.noVersion }
        if frameSize == 0 { return Reason.noFrameSize }
        return nil
    }

    /// An AGENT-DISCONNECT: the reason named by its status-code (HAProxy's table), else "an unknown error".
    static func disconnectReason(_ r: inout Reader, size: Int) -> String {
        guard size >= 7 else { return Reason.invalid }
        let f = r.bytes
        let flags = UInt32(f[1]) << 24 | UInt32(f[2]) << 16 | UInt32(f[3]) << 8 | UInt32(f[4])
        guard flags & finFlag != 0 else { return Reason.fragmentation }
        guard f[5] == 0, f[6] == 0 else { return Reason.invalid }
        r.at = 7
        var status = 0   // "normal" until the agent says otherwise
        while !r.done {
            guard let key = r.buffer(), !key.isEmpty else { return Reason.invalid }
            if key.starts(with: "status-code".utf8) {
                guard let t = r.byte(), [DataType.int32, .int64, .uint32, .uint64].map(\.rawValue).contains(t & 0x0f),
                      let n = r.varint() else { return Reason.invalid }
                status = n < UInt64(Reason.table.count) ? Int(n) : Reason.table.count - 1
            } else if key.starts(with: "message".utf8) {
                guard let t = r.byte(), t & 0x0f == DataType.string.rawValue, let m = r.buffer(), m.count <= 255 else { return Reason.invalid }
            } else {
                guard let t = r.byte(), r.skipValue(type: t) else { return Reason.invalid }
            }
        }
        return Reason.table[status]
    }

    /// HAProxy's spoe_frm_err_reasons, indexed by status code.
    enum Reason {
        static let table = ["normal", "I/O error", "a timeout occurred", "frame is too big", "invalid frame received",
                            "version value not found", "max-frame-size value not found", "capabilities value not found",
                            "unsupported version", "max-frame-size too big or too small", "fragmentation not supported",
                            "invalid interlaced frames", "frame-id not found", "resource allocation error",
                            "an unknown error occurred"]
        static let invalid = table[4], noVersion = table[5], noFrameSize = table[6], badVersion = table[8]
        static let badFrameSize = table[9], fragmentation = table[10]
    }
}
