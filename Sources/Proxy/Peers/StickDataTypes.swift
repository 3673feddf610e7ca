// The data types a stick-table entry may carry (HAProxy 2.6's STKTABLE_DT_*, by bit number in
// the table definition's bitfield), and how each is encoded in an update message. ringproxy's
// tables keep server_id and server_key; the others are read (so an update from a HAProxy
// table that stores counters is understood) and skipped until tables store them.

enum StickDataType {
    /// How a value travels.
    enum Encoding { case signed, unsigned, unsignedLong, frequency, dictionary }

    struct Descriptor {
        var name: String
        var encoding: Encoding
        var isArray = false
        /// Never learned from peers (conn_cur reflects local connections).
        var isLocal = false
    }

    static let serverID = 0
    static let serverKey = 19

    /// Bit → descriptor (HAProxy 2.6's stktable_data_types).
    static let all: [Descriptor] = [
        Descriptor(name: "server_id", encoding: .signed),
        Descriptor(name: "gpt0", encoding: .unsigned),
        Descriptor(name: "gpc0", encoding: .unsigned),
        Descriptor(name: "gpc0_rate", encoding: .frequency),
        Descriptor(name: "conn_cnt", encoding: .unsigned),
        Descriptor(name: "conn_rate", encoding: .frequency),
        Descriptor(name: "conn_cur", encoding: .unsigned, isLocal: true),
        Descriptor(name: "sess_cnt", encoding: .unsigned),
        Descriptor(name: "sess_rate", encoding: .frequency),
        Descriptor(name: "http_req_cnt", encoding: .unsigned),
        Descriptor(name: "http_req_rate", encoding: .frequency),
        Descriptor(name: "http_err_cnt", encoding: .unsigned),
        Descriptor(name: "http_err_rate", encoding: .frequency),
        Descriptor(name: "bytes_in_cnt", encoding: .unsignedLong),
        Descriptor(name: "bytes_in_rate", encoding: .frequency),
        Descriptor(name: "bytes_out_cnt", encoding: .unsignedLong),
        Descriptor(name: "bytes_out_rate", encoding: .frequency),
        Descriptor(name: "gpc1", encoding: .unsigned),
        Descriptor(name: "gpc1_rate", encoding: .frequency),
        Descriptor(name: "server_key", encoding: .dictionary),
        Descriptor(name: "http_fail_cnt", encoding: .unsigned),
        Descriptor(name: "http_fail_rate", encoding: .frequency),
        Descriptor(name: "gpt", encoding: .unsigned, isArray: true),
        Descriptor(name: "gpc", encoding: .unsigned, isArray: true),
        Descriptor(name: "gpc_rate", encoding: .frequency, isArray: true),
    ]

    /// What ringproxy's stick-rule tables store (HAProxy allocates the same two for a table
    /// that `stick` rules use).
    static let storedByStickRules: UInt64 = 1 << UInt64(serverID) | 1 << UInt64(serverKey)
}

/// What a peer announced about one of its tables (a definition message).
struct RemoteTableLayout: Equatable {
    var dataTypes: UInt64
    /// Elements of each array type (from the definition's parameters).
    var arrayLengths: [Int: Int] = [:]

    /// Parses the parameters after the expiry: for each frequency counter its type number and
    /// period; for each array its type number, length (and period for arrays of counters).
    /// nil when they are missing or out of order (HAProxy then ignores the definition).
    static func parse(dataTypes: UInt64, params b: UnsafeRawBufferPointer, _ i: inout Int, end: Int, hasExpiry: Bool) -> RemoteTableLayout? {
        var layout = RemoteTableLayout(dataTypes: dataTypes)
        for bit in 0..<64 where dataTypes & (1 << UInt64(bit)) != 0 {
            guard bit < StickDataType.all.count else {
                // A type this version does not know: its encoding is unknown, nothing can be read.
                return nil
            }
            let d = StickDataType.all[bit]
            guard d.isArray || d.encoding == .frequency else { continue }
            guard hasExpiry else { if d.isArray { return nil } else { continue } }
            guard let type = PeersVarint.decode(b, &i, end: end), type == UInt64(bit) else { return nil }
            if d.isArray {
                guard let n = PeersVarint.decode(b, &i, end: end), n > 0, n <= 100 else { return nil }
                layout.arrayLengths[bit] = Int(n)
            }
            if d.encoding == .frequency { guard PeersVarint.decode(b, &i, end: end) != nil else { return nil } }
        }
        return layout
    }
}

/// The values of one received update that ringproxy keeps.
struct ReceivedStickData: Equatable {
    var serverID: Int64? = nil
    /// The server key: the dictionary entry's text (after the peer's cache is applied).
    var serverKey: [UInt8]? = nil
    /// The counters' values (StickCounterSync.swift).
    var counters: [ReceivedCounter] = []
}

/// Per-connection dictionary caches for server_key (HAProxy's dcache, 128 entries each way).
struct PeerDictionaryCache {
    static let entries = 128
    /// Received: id (1-based on the wire) → text.
    var received: [[UInt8]?] = Array(repeating: nil, count: entries)
    /// Sent: roster index → slot, slot → roster index, and the next slot to reuse.
    var sentSlotOfRoster: [Int32: Int] = [:]
    var sentRosterOfSlot: [Int32] = Array(repeating: -1, count: entries)
    var nextSlot = 0

    mutating func reset() { self = PeerDictionaryCache() }

    /// The slot to send for `roster`, and whether the peer already knows its text.
    mutating func slotForSending(_ roster: Int32) -> (slot: Int, known: Bool) {
        if let s = sentSlotOfRoster[roster] { return (s, true) }
        let s = nextSlot
        nextSlot = (nextSlot + 1) & (Self.entries - 1)
        let old = sentRosterOfSlot[s]
        if old >= 0 { sentSlotOfRoster[old] = nil }
        sentRosterOfSlot[s] = roster
        sentSlotOfRoster[roster] = s
        return (s, false)
    }
}

enum StickDataCodec {
    /// Reads the data of an update laid out as `layout` announced; nil: malformed (a protocol
    /// error). Values of types ringproxy does not keep are skipped.
    static func read(_ b: UnsafeRawBufferPointer, _ i: inout Int, end: Int, layout: RemoteTableLayout,
                     cache: inout PeerDictionaryCache) -> ReceivedStickData? {
        var data = ReceivedStickData()
        for bit in 0..<StickDataType.all.count where layout.dataTypes & (1 << UInt64(bit)) != 0 {
            let d = StickDataType.all[bit]
            let count = d.isArray ? (layout.arrayLengths[bit] ?? 0) : 1
            for _ in 0..<count {
                switch d.encoding {
                case .signed, .unsigned, .unsignedLong:
                    guard let v = PeersVarint.decode(b, &i, end: end) else { return nil }
                    if bit == StickDataType.serverID { data.serverID = Int64(Int32(truncatingIfNeeded: v)) }
                    else if !d.isArray { data.counters.append(ReceivedCounter(type: bit, a: v)) }
                case .frequency:
                    guard let a = PeersVarint.decode(b, &i, end: end), let c1 = PeersVarint.decode(b, &i, end: end),
                          let c2 = PeersVarint.decode(b, &i, end: end) else { return nil }
                    if !d.isArray { data.counters.append(ReceivedCounter(type: bit, a: a, b: c1, c: c2)) }
                case .dictionary:
                    guard let length = PeersVarint.decode(b, &i, end: end) else { return nil }
                    guard length > 0 else { continue }                 // no entry
                    guard length <= UInt64(end - i) else { return nil }
                    let stop = i + Int(length)
                    guard let id = PeersVarint.decode(b, &i, end: stop), id > 0 else { return nil }
                    if i == stop {
                        // A cached entry: its id only.
                        guard id <= UInt64(PeerDictionaryCache.entries) else { return nil }
                        if bit == StickDataType.serverKey { data.serverKey = cache.received[Int(id) - 1] }
                    } else {
                        guard let n = PeersVarint.decode(b, &i, end: stop), n <= UInt64(stop - i),
                              id <= UInt64(PeerDictionaryCache.entries) else { return nil }
                        let text = Array(UnsafeRawBufferPointer(rebasing: b[i..<i + Int(n)]))
                        i += Int(n)
                        cache.received[Int(id) - 1] = text
                        if bit == StickDataType.serverKey { data.serverKey = text }
                        i = stop
                    }
                }
            }
        }
        return data
    }
}
