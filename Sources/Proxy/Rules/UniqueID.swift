// unique-id-format / unique-id-header, as HAProxy 2.6's stream_generate_unique_id: the ID is
// rendered once per transaction, either when a rule or the log first asks for it (`unique-id`,
// `%ID`) or, at the latest, once the request rules are done (http_process_request), when the
// `unique-id-header` is added to the request. It is kept in the connection's rule state so the
// response rules and the log see the same value. At most 127 bytes, as HAProxy's UNIQUEID_LEN.

/// A fixed-capacity sink for the ID (rendering it must not use the format arena: the ID may be
/// asked for while another format is being rendered there).
struct FixedByteSink: ByteSink {
    let start: UnsafeMutableRawPointer
    let capacity: Int
    var count = 0
    mutating func byte(_ b: UInt8) {
        guard count < capacity else { return }
        start.storeBytes(of: b, toByteOffset: count, as: UInt8.self); count += 1
    }
    mutating func bytes(_ b: UnsafeRawBufferPointer) { for c in b { byte(c) } }
}

enum UniqueIDLimits {
    static let length = 127
}

extension RuleContext {
    /// The transaction's unique ID, rendered now if it was not yet (nil: no unique-id-format).
    func uniqueIDValue() -> UnsafeRawBufferPointer? {
        guard let s = slot else { return uniqueID.count > 0 ? uniqueID : nil }
        if !s.uniqueID.isSet {
            guard frontend >= 0, frontend < uniqueIDFormats.count, let f = uniqueIDFormats[frontend] else { return nil }
            var sink = FixedByteSink(start: uniqueIDScratch, capacity: UniqueIDLimits.length)
            s.uniqueID.set(UnsafeRawBufferPointer(start: uniqueIDScratch, count: 0))   // no recursion through %[unique-id]
            render(f, into: &sink)
            s.uniqueID.set(UnsafeRawBufferPointer(start: uniqueIDScratch, count: sink.count))
        }
        return s.uniqueID.bytes.withUnsafeBytes { arena.copy($0) }
    }

    /// After the request rules: the ID is generated and kept for the rest of the transaction,
    /// and `unique-id-header` added to the request. nil: the frontend makes no ID.
    @discardableResult
    func finishUniqueID() -> UnsafeRawBufferPointer? {
        guard frontend >= 0, frontend < uniqueIDFormats.count, uniqueIDFormats[frontend] != nil else { return nil }
        if let id = uniqueIDValue() { uniqueID = id }
        guard uniqueID.count > 0 else { return nil }
        if frontend < uniqueIDHeaders.count, let name = uniqueIDHeaders[frontend] {
            _ = request.append(name: name.buffer, value: uniqueID)
        }
        return uniqueID
    }
}
