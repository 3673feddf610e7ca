import Glibc

// The SOCKS4 CONNECT exchange as HAProxy 2.6 makes it: version 4, command 1 (connect), the
// destination port and IPv4 address, the user id "HAProxy" and a NUL; the proxy answers 8 bytes
// whose second one is 90 (0x5A) when the request is granted.
enum Socks4Handshake {
    static let replyLength = 8
    static let granted: UInt8 = 0x5A

    /// The request for `destination` (nil when it is not an IPv4 address: SOCKS4 has no other).
    static func request(to destination: SocketAddress) -> [UInt8]? {
        guard destination.family == AF_INET else { return nil }
        return withUnsafeBytes(of: destination.storage) { raw -> [UInt8] in
            let sin = raw.load(as: sockaddr_in.self)
            let port = UInt16(bigEndian: sin.sin_port)
            let ip = withUnsafeBytes(of: sin.sin_addr.s_addr) { Array($0) }   // network order already
            return [4, 1, UInt8(port >> 8), UInt8(port & 0xff)] + ip + Array("HAProxy".utf8) + [0]
        }
    }

    /// HAProxy's connection error texts for the handshake.
    enum Failure: String {
        case send = "SOCKS4 Proxy write error during handshake"
        case receive = "SOCKS4 Proxy read error during handshake"
        case denied = "SOCKS4 Proxy deny the request"
        case aborted = "SOCKS4 Proxy handshake aborted by server"
    }

    /// Judges a complete reply.
    static func check(_ reply: [UInt8]) -> Failure? {
        reply.count >= replyLength && reply[1] == granted ? nil : .denied
    }
}
