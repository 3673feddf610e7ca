// Peers protocol 2.1 messages (peers.txt, peers-v2.0.txt; HAProxy 2.6 on the wire): a class
// byte and a type byte; types with bit 7 set are followed by the varint length of a body.
// PeersMessageWriter appends messages to an output buffer; PeersFrameReader cuts the input
// into messages the way HAProxy's peer_recv_msg does (same limits, same errors).

enum PeersMessage {
    // Classes.
    static let classControl: UInt8 = 0
    static let classError: UInt8 = 1
    static let classStickTable: UInt8 = 10
    static let classReserved: UInt8 = 255

    // Control types.
    static let resyncRequest: UInt8 = 0
    static let resyncFinished: UInt8 = 1
    static let resyncPartial: UInt8 = 2
    static let resyncConfirm: UInt8 = 3
    static let heartbeat: UInt8 = 4

    // Error types.
    static let errorProtocol: UInt8 = 0
    static let errorSizeLimit: UInt8 = 1

    // Stick-table types (bit 7: a body follows).
    static let update: UInt8 = 0x80
    static let incrementalUpdate: UInt8 = 0x81
    static let define: UInt8 = 0x82
    static let switchTable: UInt8 = 0x83
    static let ack: UInt8 = 0x84
    static let updateTimed: UInt8 = 0x85
    static let incrementalUpdateTimed: UInt8 = 0x86

    /// The largest body HAProxy accepts (its trash buffer, tune.bufsize 16384).
    static let maxBody = 16384
    /// A length varint longer than this is a protocol error (HAProxy reads 2 + 5 bytes).
    static let maxLengthBytes = 5

    /// Protocol identifier and version we announce (2.0 after a peer answered 502).
    static let protocolName = "HAProxyS"
    static let majorVersion = 2
    static let minorVersion = 1
}

/// Appends messages to a byte buffer.
struct PeersMessageWriter {
    var out: [UInt8] = []
    /// A body being built (reused).
    private var body: [UInt8] = []

    mutating func control(_ type: UInt8) { out.append(PeersMessage.classControl); out.append(type) }
    mutating func error(_ type: UInt8) { out.append(PeersMessage.classError); out.append(type) }

    /// Starts a stick-table message body; finish with `endStickTable(type)`.
    mutating func beginBody() { body.removeAll(keepingCapacity: true) }
    mutating func bodyVarint(_ v: UInt64) { PeersVarint.append(v, to: &body) }
    mutating func bodyUInt32(_ v: UInt32) {
        body.append(UInt8(v >> 24)); body.append(UInt8((v >> 16) & 0xff)); body.append(UInt8((v >> 8) & 0xff)); body.append(UInt8(v & 0xff))
    }
    mutating func bodyBytes(_ b: UnsafeRawBufferPointer) { body.append(contentsOf: b) }
    mutating func bodyBytes(_ b: [UInt8]) { body.append(contentsOf: b) }
    mutating func bodyZeros(_ n: Int) { if n > 0 { body.append(contentsOf: repeatElement(0, count: n)) } }

    mutating func endBody(_ type: UInt8) {
        out.append(PeersMessage.classStickTable)
        out.append(type)
        PeersVarint.append(UInt64(body.count), to: &out)
        out.append(contentsOf: body)
    }

    /// Table definition: id, name, key type, key size, data types, expire, then the counters'
    /// parameters (`params`: already encoded).
    mutating func define(localID: Int, name: [UInt8], keyType: Int, keySize: Int, dataTypes: UInt64, expireMs: Int, params: [UInt8] = []) {
        beginBody()
        bodyVarint(UInt64(localID))
        bodyVarint(UInt64(name.count))
        bodyBytes(name)
        bodyVarint(UInt64(keyType))
        bodyVarint(UInt64(keySize))
        bodyVarint(dataTypes)
        bodyVarint(UInt64(max(0, expireMs)))
        bodyBytes(params)
        endBody(PeersMessage.define)
    }

    /// Update acknowledgement: the sender's table id and the last update id received.
    mutating func ack(remoteTableID: Int, updateID: UInt32) {
        beginBody()
        bodyVarint(UInt64(remoteTableID))
        bodyUInt32(updateID)
        endBody(PeersMessage.ack)
    }

    var count: Int { out.count }
}

/// One message cut from the input.
enum PeersFrame: Equatable {
    /// A message: its class, type, and where its body is in the buffer (empty for fixed ones).
    case message(cls: UInt8, type: UInt8, body: Range<Int>, length: Int)
    /// Not enough bytes yet.
    case incomplete
    /// The length varint does not end within 5 bytes.
    case protocolError
    /// The body is larger than HAProxy's buffer.
    case sizeError
}

enum PeersFrameReader {
    /// Cuts the message starting at `start` in `b` (bytes up to `end`).
    static func next(_ b: UnsafeRawBufferPointer, at start: Int, end: Int, maxBody: Int = PeersMessage.maxBody) -> PeersFrame {
        guard end - start >= 2 else { return .incomplete }
        let cls = b[start], type = b[start + 1]
        if type & 0x80 == 0 { return .message(cls: cls, type: type, body: start + 2..<start + 2, length: 2) }
        var i = start + 2
        let limit = min(end, start + 2 + PeersMessage.maxLengthBytes)
        guard let length = PeersVarint.decode(b, &i, end: limit) else {
            return end - start - 2 < PeersMessage.maxLengthBytes ? .incomplete : .protocolError
        }
        guard length <= UInt64(maxBody) else { return .sizeError }
        let bodyEnd = i + Int(length)
        guard bodyEnd <= end else { return .incomplete }
        return .message(cls: cls, type: type, body: i..<bodyEnd, length: bodyEnd - start)
    }
}
