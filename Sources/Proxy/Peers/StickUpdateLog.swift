// The local updates of one shared table, in order (HAProxy's update tree, as far as local
// changes go): each change the workers report gets the next update id; every peer connection
// pushes the ids after the last one it pushed, and a peer acknowledges the last id it got.
// The log keeps a window of the most recent changes; a peer whose position fell out of the
// window gets the whole table instead (a walk over the table's shards).
//
// Owned by the peers thread (no locking).

struct StickUpdateLog {
    struct Record {
        var key: [UInt8]
        var server: StickServer
    }

    /// Records kept (a power of two).
    let capacity: Int
    private var records: [Record]
    /// The id of the most recent change (0: none yet). Ids are 32-bit on the wire and wrap.
    private(set) var head: UInt32 = 0
    /// How many ids are still in the window (≤ capacity).
    private(set) var retained = 0

    init(capacity: Int = 1 << 16) {
        var c = 1024
        while c < capacity { c <<= 1 }
        self.capacity = c
        records = Array(repeating: Record(key: [], server: StickServer(roster: -1, id: 0)), count: c)
    }

    /// Appends a change and returns its id.
    @discardableResult
    mutating func append(key: UnsafeRawBufferPointer, server: StickServer) -> UInt32 {
        head &+= 1
        if head == 0 { head = 1 }       // 0 means "nothing pushed yet" in the peers' cursors
        let slot = Int(head) & (capacity - 1)
        records[slot].key.removeAll(keepingCapacity: true)     // in place: keys reuse their storage
        records[slot].key.append(contentsOf: key)
        records[slot].server = server
        retained = min(retained + 1, capacity)
        return head
    }

    /// Whether the changes after `id` are all still in the window.
    func covers(after id: UInt32) -> Bool {
        let distance = Int(head &- id)          // wraps like HAProxy's 32-bit ids
        return distance >= 0 && distance <= retained
    }

    /// The change with id `id` (which must be in the window).
    func record(_ id: UInt32) -> Record? {
        let distance = Int(head &- id)
        guard distance >= 0, distance < retained else { return nil }
        return records[Int(id) & (capacity - 1)]
    }

    /// Ids after `id` up to the head, in order (empty when none or when not covered).
    func pending(after id: UInt32) -> Int { covers(after: id) ? Int(head &- id) : 0 }
}
