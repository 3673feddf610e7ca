// The peers handshake (peers.txt, "Handshake"): the connecting side sends three lines,
//   HAProxyS 2.1\n  <name of the peer it connects to>\n  <its own name> <pid> <relative pid>\n
// and the accepting side answers one status line. Lines may end in \r\n. Checks and status
// codes follow HAProxy 2.6: 501 protocol error (bad identifier, no pid on the third line),
// 502 bad version (major 2, minor at most 1), 503 not our name, 504 unknown peer; a line that
// does not end within HAProxy's buffer closes the connection without a status.

enum PeersStatus {
    static let connecting = 100        // shown by `show peers` (CONN)
    static let connected = 110         // TCP connected, handshake sent (HSHK)
    static let success = 200
    static let tryAgain = 300
    static let protocolError = 501
    static let badVersion = 502
    static let badLocalName = 503
    static let unknownPeer = 504

    /// HAProxy's four-letter names (`show peers` last_status).
    static func name(_ code: Int) -> String {
        switch code {
        case connecting: "CONN"
        case connected: "HSHK"
        case success: "ESTA"
        case tryAgain: "RETR"
        case protocolError: "PROT"
        case badVersion: "VERS"
        case badLocalName: "NAME"
        case unknownPeer: "UNKN"
        default: "NONE"
        }
    }
}

enum PeersHandshake {
    /// HAProxy's line limit (its buffer).
    static let maxLine = 16384

    static func hello(remote: String, local: String, pid: Int32, minorVersion: Int = PeersMessage.minorVersion) -> [UInt8] {
        Array("\(PeersMessage.protocolName) \(PeersMessage.majorVersion).\(minorVersion)\n\(remote)\n\(local) \(pid) 1\n".utf8)
    }

    static func status(_ code: Int) -> [UInt8] { Array("\(code)\n".utf8) }

    /// The next line of `b[start..<end]` without its \r\n, and the bytes it took; nil text:
    /// not complete yet (`tooLong` when no newline came within HAProxy's limit).
    static func line(_ b: UnsafeRawBufferPointer, at start: Int, end: Int) -> (text: String?, taken: Int, tooLong: Bool) {
        var i = start
        while i < end, b[i] != UInt8(ascii: "\n") { i += 1 }
        guard i < end else { return (nil, 0, end - start >= maxLine) }
        var e = i
        if e > start, b[e - 1] == UInt8(ascii: "\r") { e -= 1 }
        return (String(decoding: UnsafeRawBufferPointer(rebasing: b[start..<e]), as: UTF8.self), i + 1 - start, false)
    }

    /// First line: the protocol and version. Returns nil when acceptable (and the minor
    /// version), else the status to answer.
    static func checkVersion(_ line: String) -> (status: Int?, minor: Int) {
        let prefix = PeersMessage.protocolName + " "
        guard line.hasPrefix(prefix) else { return (PeersStatus.protocolError, 0) }
        let version = line.dropFirst(prefix.count)
        let parts = version.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let major = digits(parts[0]), let minor = digits(parts[1]),
              major == PeersMessage.majorVersion, minor <= PeersMessage.minorVersion else {
            return (PeersStatus.badVersion, 0)
        }
        return (nil, minor)
    }

    /// Third line: `<name> <pid> <relative pid>`; the name, or nil (a protocol error).
    static func senderName(_ line: String) -> String? {
        guard let space = line.firstIndex(of: " ") else { return nil }
        return String(line[..<space])
    }

    /// A status line: HAProxy reads it with atoi.
    static func statusCode(_ line: String) -> Int {
        var v = 0
        for c in line.utf8 { guard (48...57).contains(c) else { break }; v = v * 10 + Int(c - 48); if v > 100_000 { break } }
        return v
    }

    private static func digits(_ s: Substring) -> Int? {
        guard !s.isEmpty, s.utf8.allSatisfy({ (48...57).contains($0) }), s.count < 9 else { return nil }
        return Int(s)
    }
}
