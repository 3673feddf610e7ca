// Stick counters over the peers protocol, as HAProxy 2.6 encodes them (peers-v2.0.txt, table
// definition and update messages): a table announces every type it stores (a bit each) and,
// for each frequency counter, its type number and period; an update then carries each stored
// value in type order — counters as varints, a frequency counter as the milliseconds since
// its period started, its current count and its previous one. conn_cur is sent and never
// learned (HAProxy's is_local). The peers thread reads entries when it sends, so an update
// carries the values of that moment, as HAProxy's does.

/// One received value of a counter type: a plain counter (a), or a frequency counter
/// (a: ms since its period began, b: current count, c: previous count).
struct ReceivedCounter: Equatable {
    var type: Int
    var a: UInt64
    var b: UInt64 = 0
    var c: UInt64 = 0
}

extension StickCounterLayout {
    /// The data-type bits of the counters this layout stores.
    var storedBits: UInt64 {
        var bits: UInt64 = 0
        for t in 0..<offsets.count where offsets[t] >= 0 { bits |= 1 << UInt64(t) }
        return bits
    }

    /// The definition message's parameters: each frequency counter's type and period.
    var definitionParams: [UInt8] {
        var out: [UInt8] = []
        for t in 0..<offsets.count where offsets[t] >= 0 && periods[t] > 0 {
            PeersVarint.append(UInt64(t), to: &out)
            PeersVarint.append(UInt64(periods[t]), to: &out)
        }
        return out
    }

    /// Appends the value of `type` from an entry's counter words (zeros without an entry).
    func encode(_ type: Int, _ words: [UInt64], now: Int64, into w: inout PeersMessageWriter) {
        let o = Int(offsets[type])
        guard o >= 0 else { return }
        let p = periods[type]
        guard o < words.count else {
            w.bodyVarint(0)
            if p > 0 { w.bodyVarint(0); w.bodyVarint(0) }
            return
        }
        if p == 0 {
            // gpt0/gpc0/… are 32-bit in HAProxy; bytes_* 64-bit: both travel as varints.
            w.bodyVarint(words[o])
            return
        }
        let start = Int64(bitPattern: words[o])
        let elapsed = (words[o + 1] == 0 && words[o + 2] == 0) ? 0 : max(0, min(now - start, Int64(UInt32.max / 2)))
        w.bodyVarint(UInt64(elapsed))
        w.bodyVarint(words[o + 1])
        w.bodyVarint(words[o + 2])
    }

    /// Applies values learned from a peer to an entry's counters (types this table stores,
    /// conn_cur excepted).
    func apply(_ values: [ReceivedCounter], to w: UnsafeMutableBufferPointer<UInt64>, now: Int64) {
        for v in values {
            guard v.type < offsets.count, !StickDataType.all[v.type].isLocal else { continue }
            let o = Int(offsets[v.type])
            guard o >= 0 else { continue }
            if periods[v.type] == 0 { w[o] = v.a; continue }
            w[o] = UInt64(bitPattern: now - Int64(min(v.a, UInt64(UInt32.max))))
            w[o + 1] = v.b
            w[o + 2] = v.c
        }
    }
}

extension AppSessionTable {
    /// The server and counter words of `key`'s live entry (the peers thread, when it sends).
    func peerSnapshot(_ key: UnsafeRawBufferPointer, now: Int64) -> (server: StickServer, words: [UInt64])? {
        let k = truncated(key)
        guard k.count > 0 else { return nil }
        let h = Self.hash(k)
        return shard(h).state.withLock { s -> (server: StickServer, words: [UInt64])? in
            guard let e = Self.find(&s, k, h), s.entries[e].alive(now) else { return nil }
            let server = StickServer(roster: s.entries[e].server, id: s.entries[e].serverID)
            let words = Self.counters(&s, e) { Array($0) }
            return (server, words)
        }
    }

    /// Counter values learned from a peer, on the entry `applyRemote` just stored.
    func applyRemoteCounters(_ key: UnsafeRawBufferPointer, _ values: [ReceivedCounter], layout: StickCounterLayout, now: Int64) {
        guard !values.isEmpty, layout.words > 0 else { return }
        _ = withEntry(key, now: now, create: false) { w, _ in layout.apply(values, to: w, now: now) }
    }
}

extension RuleContext {
    /// A tracked entry of a table shared with peers changed: tell the peers thread (it sends
    /// the entry's values when it gets to it). Nothing for tables kept locally.
    @inline(__always) func stickCounterTouched(table ti: Int, ref: StickRef) {
        guard let q = stickUpdates, ti < sharedStickTables.count, sharedStickTables[ti], let set = tables.stick,
              let key = set.tables[ti].copyKey(ref, into: arena) else { return }
        q.record(table: ti, key: key, server: StickServer(roster: StickServer.countersOnly, id: 0))
    }
}

extension StickServer {
    /// An update record that changes counters only: the sender reads the entry's server.
    static let countersOnly: Int32 = -2
}
