// One TCP connection of the peers protocol, as the protocol logic sees it: bytes received
// not yet parsed, bytes to send, and where the handshake is. The peers thread moves bytes
// between the socket and these buffers; PeersSectionState reads and writes them.

/// A byte queue that is appended at the end and consumed from the front.
struct PeerByteBuffer {
    private(set) var bytes: [UInt8] = []
    private(set) var start = 0

    var count: Int { bytes.count - start }
    var isEmpty: Bool { start == bytes.count }

    mutating func append(_ b: UnsafeRawBufferPointer) { bytes.append(contentsOf: b) }
    mutating func append(_ b: [UInt8]) { bytes.append(contentsOf: b) }

    mutating func consume(_ n: Int) {
        start += n
        if start == bytes.count { bytes.removeAll(keepingCapacity: true); start = 0 }
        else if start > 65536 && start > bytes.count / 2 { bytes.removeFirst(start); start = 0 }
    }

    mutating func removeAll() { bytes.removeAll(keepingCapacity: true); start = 0 }

    /// The unconsumed bytes (`b[start..<end]` in the closure's buffer).
    func withBytes<T>(_ body: (_ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> T) -> T {
        bytes.withUnsafeBytes { body($0, start, $0.count) }
    }
}

final class PeerLink {
    enum Role { case outgoing, incoming }

    enum State: Equatable {
        /// Outgoing: the TCP connect is in progress (the hello is queued).
        case connecting
        /// Outgoing: hello sent, waiting for the status line.
        case awaitingStatus
        /// Incoming: waiting for hello line 1, 2 or 3.
        case awaitingHello(line: Int)
        /// Handshake done: messages flow.
        case established
        /// Sending what is queued (an error status or message), then closing.
        case closing
        case closed
    }

    let id: Int
    let role: Role
    var state: State
    /// Index of the peer in its section (known from the start for outgoing links).
    var peer: Int?
    var input = PeerByteBuffer()
    var output = PeerByteBuffer()
    /// The socket (owned by the peers thread; -1 in tests).
    var fd: Int32 = -1
    /// The TCP connection is up (an accepted one always is).
    var tcpConnected: Bool
    /// Minor version the other side announced in its hello (0: downgrade, no timed updates).
    var remoteMinor = PeersMessage.minorVersion
    /// Remote address, for logs and `show peers`.
    var remoteAddress = ""
    var openedMs: Int64

    init(id: Int, role: Role, peer: Int?, now: Int64) {
        self.id = id
        self.role = role
        self.peer = peer
        state = role == .outgoing ? .connecting : .awaitingHello(line: 1)
        tcpConnected = role == .incoming
        openedMs = now
    }

    var isOpen: Bool { state != .closing && state != .closed }
}
