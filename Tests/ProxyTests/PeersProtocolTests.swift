import Foundation
import Testing
@testable import Proxy

/// The peers protocol without sockets: encodings, HAProxy 2.6's own bytes, and sections of
/// several "processes" talking through an in-memory network.
@Suite struct PeersEncodingTests {
    @Test func varintsAsPeersTxtEncodesThem() {
        #expect(PeersVarint.encoded(0x1234) == [0xf4, 0x94, 0x01])       // peers.txt's example
        #expect(PeersVarint.encoded(0) == [0])
        #expect(PeersVarint.encoded(239) == [239])
        #expect(PeersVarint.encoded(240).count == 2 && PeersVarint.encoded(2287).count == 2)
        #expect(PeersVarint.encoded(2288).count == 3 && PeersVarint.encoded(264431).count == 3)
        #expect(PeersVarint.encoded(264432).count == 4 && PeersVarint.encoded(33818863).count == 4)
        #expect(PeersVarint.encoded(33818864).count == 5)
        #expect(PeersVarint.encoded(0x80001) == [0xf1, 0xf1, 0xfe, 0x00])  // server_id|server_key, as HAProxy sends it
        #expect(PeersVarint.encoded(30000) == [0xf0, 0xc4, 0x0d])
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let v = UInt64.random(in: 0...UInt64.max, using: &rng) >> UInt64.random(in: 0...63, using: &rng)
            let e = PeersVarint.encoded(v)
            var i = 0
            #expect(e.withUnsafeBytes { PeersVarint.decode($0, &i, end: e.count) } == v && i == e.count)
            // Truncated: no value.
            var j = 0
            if e.count > 1 { #expect(e.withUnsafeBytes { PeersVarint.decode($0, &j, end: e.count - 1) } == nil) }
        }
    }

    @Test func framesAreCutAsHAProxyCutsThem() {
        func frame(_ b: [UInt8]) -> PeersFrame { b.withUnsafeBytes { PeersFrameReader.next($0, at: 0, end: b.count) } }
        #expect(frame([0, 4]) == .message(cls: 0, type: 4, body: 2..<2, length: 2))
        #expect(frame([0]) == .incomplete)
        #expect(frame([10, 0x82, 3, 1, 2]) == .incomplete)
        #expect(frame([10, 0x82, 2, 1, 2, 9]) == .message(cls: 10, type: 0x82, body: 3..<5, length: 5))
        #expect(frame([10, 0x80, 0xf0, 0x80, 0x80, 0x80]) == .incomplete)             // 4 length bytes so far
        #expect(frame([10, 0x80, 0xf0, 0x80, 0x80, 0x80, 0x80]) == .protocolError)    // 5 and still going
        #expect(frame([10, 0x80] + PeersVarint.encoded(16385)) == .sizeError)
        #expect(frame([10, 0x80] + PeersVarint.encoded(16384)) == .incomplete)
    }

    @Test func helloChecks() {
        #expect(PeersHandshake.checkVersion("HAProxyS 2.1").status == nil)
        #expect(PeersHandshake.checkVersion("HAProxyS 2.0") == (nil, 0))
        #expect(PeersHandshake.checkVersion("HAProxyS 2.2").status == 502)
        #expect(PeersHandshake.checkVersion("HAProxyS 3.0").status == 502)
        #expect(PeersHandshake.checkVersion("HAProxyS 2.1x").status == 502)
        #expect(PeersHandshake.checkVersion("HAProxyS").status == 501)
        #expect(PeersHandshake.checkVersion("GET / HTTP/1.1").status == 501)
        #expect(PeersHandshake.senderName("B 1234 1") == "B" && PeersHandshake.senderName("B") == nil)
        #expect(String(decoding: PeersHandshake.hello(remote: "B", local: "A", pid: 42), as: UTF8.self) == "HAProxyS 2.1\nB\nA 42 1\n")
    }
}

/// An in-memory network: sections are the processes, links come in pairs.
final class MemoryPeersNet: PeersTransport {
    var processes: [String: PeersSectionState] = [:]      // by local peer name: who answers there
    var pairs: [(out: PeerLink, inc: PeerLink, from: PeersSectionState, to: PeersSectionState)] = []
    var connects: [(PeersSectionState, PeerLink)] = []
    var events: [(String, PeersEvent)] = []
    var nextID = 1

    func connect(_ section: PeersSectionState, peer: Int, now: Int64) -> PeerLink? {
        guard let target = processes[section.peers[peer].name], target !== section else { return nil }
        let out = PeerLink(id: nextID, role: .outgoing, peer: peer, now: now)
        let inc = PeerLink(id: nextID + 1, role: .incoming, peer: nil, now: now)
        nextID += 2
        out.remoteAddress = "mem:\(section.peers[peer].name)"
        inc.remoteAddress = "mem:\(section.localName)"
        target.accepted(inc)
        pairs.append((out, inc, section, target))
        connects.append((section, out))
        return out
    }

    func close(_ link: PeerLink) { link.state = .closed }

    func event(_ section: PeersSectionState, _ event: PeersEvent) { events.append((section.localName, event)) }

    /// Moves bytes until nothing moves.
    func pump(now: Int64) {
        for _ in 0..<1000 {
            var moved = false
            while !connects.isEmpty {
                let (s, l) = connects.removeFirst()
                s.connectFinished(l, error: nil, now: now)
                moved = true
            }
            for (out, inc, from, to) in pairs {
                moved = deliver(out, to: inc, on: to, now: now) || moved
                moved = deliver(inc, to: out, on: from, now: now) || moved
            }
            for p in pairs { p.from.tick(now: now); p.to.tick(now: now) }
            pairs.removeAll { $0.out.state == .closed && $0.inc.state == .closed && $0.out.output.isEmpty && $0.inc.output.isEmpty }
            if !moved { return }
        }
        Issue.record("the network never went quiet")
    }

    private func deliver(_ a: PeerLink, to b: PeerLink, on s: PeersSectionState, now: Int64) -> Bool {
        var moved = false
        if !a.output.isEmpty {
            if b.state != .closed {
                a.output.withBytes { bytes, st, e in b.input.append(UnsafeRawBufferPointer(rebasing: bytes[st..<e])) }
                a.output.removeAll()
                s.received(b, eof: false, now: now)
            } else {
                a.output.removeAll()
            }
            moved = true
        }
        if a.state == .closed && b.state != .closed {
            s.received(b, eof: true, now: now)
            moved = true
        }
        return moved
    }
}

@Suite struct PeersProtocolTests {
    static let config = """
        peers mypeers
            peer A 127.0.0.1:10001
            peer B 127.0.0.1:10002
        backend be
            stick-table type string len 20 size 1k expire 30s peers mypeers
            stick on req.cook(SID)
            server s1 127.0.0.1:8081
            server s2 127.0.0.1:8082
        """

    /// One "process": its tables and its section.
    struct Process {
        let tableSet: StickTableSet
        let section: PeersSectionState
        var table: AppSessionTable { tableSet.tables[0] }
    }

    static func process(_ name: String, net: MemoryPeersNet, reload: Bool = false, now: Int64 = 1000,
                        config text: String = config, register: Bool = true) throws -> Process {
        let c = try ConfigParser.parse(text: text, file: "t.cfg", localPeer: name)
        let set = StickTableSet(configuration: c)
        let sc = try #require(c.peers.sections.first)
        let tables = set.shared(with: sc.name).enumerated().map { n, ti in
            SharedStickTable(setIndex: ti, localID: n + 1, info: set.infos[ti], table: set.tables[ti], logCapacity: 1024)
        }
        let s = PeersSectionState(config: sc, localName: name, tables: tables, transport: net, reload: reload, now: now, pid: 77)
        if register { net.processes[name] = s }
        return Process(tableSet: set, section: s)
    }

    /// Runs the processes' sync tasks and the network from `from` to `to` (ms).
    static func run(_ ps: [Process], _ net: MemoryPeersNet, from: Int64, to: Int64, step: Int64 = 10) {
        var t = from
        while t < to {
            for p in ps { p.section.tick(now: t) }
            net.pump(now: t)
            t += step
        }
    }

    static func learn(_ p: Process, _ key: String, server: Int32, now: Int64) {
        let s = StickServer(roster: server, id: server + 1)
        Array(key.utf8).withUnsafeBytes { k in
            p.table.storeServer(k, server: s, now: now, overwrite: .always)
            p.section.localChange(setIndex: 0, key: k, server: s)
        }
    }

    static func lookup(_ p: Process, _ key: String, now: Int64) -> StickServer? {
        Array(key.utf8).withUnsafeBytes { p.table.lookupServer($0, now: now) }
    }

    @Test func anEntryLearnedOnOnePeerReachesTheOther() throws {
        let net = MemoryPeersNet()
        let a = try Self.process("A", net: net), b = try Self.process("B", net: net)
        // Both connect at once: one session survives (after HAProxy's random 50..2050 ms).
        Self.run([a, b], net, from: 1000, to: 4000)
        #expect(a.section.peers[1].isEstablished && b.section.peers[0].isEstablished)
        Self.learn(a, "abc123", server: 1, now: 4000)
        Self.run([a, b], net, from: 4000, to: 4020)
        #expect(Self.lookup(b, "abc123", now: 4030) == StickServer(roster: 1, id: 2))
        Self.learn(b, "zz", server: 0, now: 4040)
        Self.run([a, b], net, from: 4040, to: 4060)
        #expect(Self.lookup(a, "zz", now: 4070) == StickServer(roster: 0, id: 1))
        #expect(a.section.updatesSent >= 1 && b.section.updatesReceived >= 1)
        #expect(net.events.contains { e in
            if e.0 == "A", case .connected(peer: "B", _, _) = e.1 { return true }
            return false
        })
    }

    @Test func aRestartedPeerGetsTheWholeTableFromTheOther() throws {
        let net = MemoryPeersNet()
        let a = try Self.process("A", net: net)
        for i in 0..<500 { Self.learn(a, "key\(i)", server: Int32(i % 2), now: 1000) }
        // B starts afterwards, empty: it asks A for a full resync.
        a.section.resyncLocalDone = true; a.section.resyncRemoteDone = true     // A is up to date
        #expect(a.table.count == 500)
        let b = try Self.process("B", net: net, now: 2000)
        Self.run([a, b], net, from: 2000, to: 5000)
        #expect(b.table.count == 500)
        #expect(Self.lookup(b, "key7", now: 5000) == StickServer(roster: 1, id: 2))
        #expect(b.section.resyncFinished && b.section.resyncFlags.remoteFinished)
        #expect(net.events.contains { $0.0 == "B" && $0.1 == .resyncFinished(from: "peer 'A'") })
        // As HAProxy does after a confirmed resync, A pushes its log again from the peer's
        // last acknowledgement: each entry is there once.
        #expect((0..<64).flatMap { b.table.entries(shard: $0, now: 5000) }.count == 500)
    }

    @Test func aReloadedProcessLearnsFromTheOldOneFirst() throws {
        let net = MemoryPeersNet()
        let old = try Self.process("A", net: net)
        for i in 0..<100 { Self.learn(old, "s\(i)", server: 1, now: 1000) }
        old.section.resyncLocalDone = true; old.section.resyncRemoteDone = true   // it had finished its own resync
        // The new process takes the peers address; the old one hands its tables over.
        let new = try Self.process("A", net: net, reload: true, now: 2000)
        #expect(!new.section.resyncFinished)
        old.section.beginSoftStop(now: 2000)
        Self.run([old, new], net, from: 2000, to: 2500)
        #expect(new.table.count == 100)
        #expect(new.section.resyncFinished && new.section.resyncFlags.localFinished)
        #expect(!old.section.holdsStop && old.section.local.teachComplete)
        #expect(net.events.contains { $0.0 == "A" && $0.1 == .resyncFinished(from: "the old local process") })
    }

    @Test func withoutAnOldProcessTheReloadWaitsFiveSecondsThenAsksTheRemotes() throws {
        let net = MemoryPeersNet()
        let b = try Self.process("B", net: net)
        // An entry B learned long ago (out of its update log): only a resync carries it.
        Array("k".utf8).withUnsafeBytes { _ = b.table.storeServer($0, server: StickServer(roster: 0, id: 1), now: 1000) }
        b.section.resyncLocalDone = true; b.section.resyncRemoteDone = true     // B is up to date
        let a = try Self.process("A", net: net, reload: true, now: 1000)
        Self.run([a, b], net, from: 1000, to: 5900, step: 50)
        #expect(a.table.count == 0 && !a.section.resyncLocalDone)
        Self.run([a, b], net, from: 5900, to: 9000, step: 50)
        #expect(a.section.resyncFinished && a.section.resyncFlags.remoteFinished && a.table.count == 1)
    }

    @Test func simultaneousConnectionsLeaveOneSession() throws {
        let net = MemoryPeersNet()
        let a = try Self.process("A", net: net), b = try Self.process("B", net: net)
        // Both connect before either handshake is read.
        Self.run([a, b], net, from: 1000, to: 1010)
        #expect(a.section.peers[1].collisions + b.section.peers[0].collisions >= 1)
        Self.run([a, b], net, from: 1010, to: 6000, step: 50)
        #expect(a.section.peers[1].isEstablished && b.section.peers[0].isEstablished)
        #expect(net.pairs.filter { $0.out.state == .established }.count == 1)
    }

    @Test func heartbeatsEveryThreeSecondsAndADeadPeerIsDropped() throws {
        let net = MemoryPeersNet()
        let a = try Self.process("A", net: net), b = try Self.process("B", net: net)
        Self.run([a, b], net, from: 1000, to: 10_000, step: 100)
        #expect(a.section.peers[1].txHeartbeats >= 2 && b.section.peers[0].rxHeartbeats >= 2)
        #expect(a.section.peers[1].isEstablished)
        // B freezes (its bytes stop flowing): A gives up after at most two 5 s periods.
        let frozen = net.pairs
        net.pairs.removeAll()
        var t: Int64 = 10_000
        while t < 22_000 && a.section.peers[1].link != nil { a.section.tick(now: t); t += 100 }
        #expect(a.section.peers[1].link == nil && a.section.peers[1].missedHeartbeats == 1)
        _ = frozen
    }

    // MARK: bad input, answered as HAProxy answers it

    /// Feeds `bytes` to A as an incoming connection; returns what A answered and whether it closed.
    static func feed(_ bytes: [UInt8], config text: String = config) throws -> (answer: String, closed: Bool, section: PeersSectionState) {
        let net = MemoryPeersNet()
        let a = try process("A", net: net, config: text)
        let link = PeerLink(id: 99, role: .incoming, peer: nil, now: 1000)
        a.section.accepted(link)
        link.input.append(bytes)
        a.section.received(link, eof: false, now: 1000)
        a.section.tick(now: 1000)
        let out = link.output.withBytes { b, s, e in Array(b[s..<e]) }
        return (String(decoding: out, as: UTF8.self), link.state == .closed || link.state == .closing, a.section)
    }

    @Test func badHellosGetHAProxysStatusCodes() throws {
        let garbage = try Self.feed(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(garbage.answer == "501\n" && garbage.closed && garbage.section.rejectedHandshakes == 1)
        #expect(try Self.feed(Array("HAProxyS 3.0\nA\nB 1 1\n".utf8)).answer == "502\n")
        #expect(try Self.feed(Array("HAProxyS 2.1\nC\nB 1 1\n".utf8)).answer == "503\n")
        #expect(try Self.feed(Array("HAProxyS 2.1\nA\nZ 1 1\n".utf8)).answer == "504\n")
        #expect(try Self.feed(Array("HAProxyS 2.1\nA\nB\n".utf8)).answer == "501\n")
        let ok = try Self.feed(Array("HAProxyS 2.1\nA\nB 1 1\n".utf8))
        #expect(ok.answer.hasPrefix("200\n") && !ok.closed)
        // No newline within HAProxy's buffer: closed without a status.
        let long = try Self.feed(Array(repeating: UInt8(ascii: "x"), count: 17000))
        #expect(long.answer == "" && long.closed)
    }

    @Test func malformedMessagesCloseThatLinkWithAnErrorMessage() throws {
        let hello = Array("HAProxyS 2.1\nA\nB 1 1\n".utf8)
        let reserved = try Self.feed(hello + [255, 0])
        #expect(reserved.answer.hasPrefix("200\n") && reserved.answer.utf8.suffix(2).elementsEqual([1, 0]))
        #expect(reserved.closed && reserved.section.protocolErrorCount == 1 && reserved.section.peers[1].protocolErrors == 1)
        let tooBig = try Self.feed(hello + [10, 0x80] + PeersVarint.encoded(20000))
        #expect(tooBig.answer.utf8.suffix(2).elementsEqual([1, 1]) && tooBig.closed && tooBig.section.sizeErrorCount == 1)
        let longLength = try Self.feed(hello + [10, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff])
        #expect(longLength.closed && longLength.section.protocolErrorCount == 1)
        // An update cut short inside its body.
        var define = PeersMessageWriter()
        define.define(localID: 1, name: Array("be".utf8), keyType: 6, keySize: 21, dataTypes: 1, expireMs: 30000)
        let truncated = try Self.feed(hello + define.out + [10, 0x80, 3, 0, 0, 0])
        #expect(truncated.closed && truncated.section.protocolErrorCount == 1)
        // A table we do not share: ignored, the link stays, later messages are fine.
        var unknown = PeersMessageWriter()
        unknown.define(localID: 1, name: Array("nope".utf8), keyType: 6, keySize: 21, dataTypes: 1, expireMs: 0)
        let u = try Self.feed(hello + unknown.out + [10, 0x80, 4, 0, 0, 0, 1] + [0, 4])
        #expect(!u.closed && u.section.ignoredDefinitions == 1 && u.section.updatesReceived == 0)
        #expect(u.section.peers[1].rxHeartbeats == 1)
    }

    // MARK: HAProxy 2.6.12's own bytes

    /// Captured from haproxy 2.6.12 (-L A, the table above) talking to a peer B: after B said
    /// "resync finished", HAProxy announced table `be` and pushed two entries (learned from
    /// `Cookie: SID=abc123` → s1 and `SID=zz` → s2); asked for a resync, it taught them again
    /// with their remaining lifetime.
    static let haproxyPush: [UInt8] = [
        0x0a, 0x82, 0x0d, 0x01, 0x02, 0x62, 0x65, 0x06, 0x15, 0xf1, 0xf1, 0xfe, 0x00, 0xf0, 0xc4, 0x0d,
        0x0a, 0x80, 0x11, 0x00, 0x00, 0x00, 0x03, 0x06, 0x61, 0x62, 0x63, 0x31, 0x32, 0x33, 0x01, 0x04, 0x01, 0x02, 0x73, 0x31,
        0x0a, 0x81, 0x09, 0x02, 0x7a, 0x7a, 0x02, 0x04, 0x02, 0x02, 0x73, 0x32,
    ]
    static let haproxyTeach: [UInt8] = [
        0x0a, 0x85, 0x12, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x61, 0x3c, 0x06, 0x61, 0x62, 0x63, 0x31, 0x32, 0x33, 0x01, 0x01, 0x01,
        0x0a, 0x86, 0x0a, 0x00, 0x00, 0x61, 0x96, 0x02, 0x7a, 0x7a, 0x02, 0x01, 0x02,
        0x00, 0x01,
    ]

    @Test func haproxysUpdatesAreUnderstood() throws {
        // We are B; HAProxy (A) connected to us.
        let net = MemoryPeersNet()
        let b = try Self.process("B", net: net)
        let link = PeerLink(id: 5, role: .incoming, peer: nil, now: 1000)
        b.section.accepted(link)
        link.input.append(Array("HAProxyS 2.1\nB\nA 4242 1\n".utf8) + Self.haproxyPush)
        b.section.received(link, eof: false, now: 1000)
        #expect(link.state == .established && b.section.updatesReceived == 2)
        #expect(Self.lookup(b, "abc123", now: 1001) == StickServer(roster: 0, id: 1))
        #expect(Self.lookup(b, "zz", now: 1001) == StickServer(roster: 1, id: 2))
        #expect(b.section.peers[0].tables[0].lastGet == 4 && b.section.peers[0].tables[0].remoteID == 1)
        // We acknowledge update 4 of HAProxy's table 1.
        b.section.sendMessages(0, now: 1001)
        var ack = PeersMessageWriter()
        ack.ack(remoteTableID: 1, updateID: 4)
        #expect(link.output.withBytes { bytes, s, e in Array(bytes[s..<e]) }.suffix(ack.out.count).elementsEqual(ack.out))
        // Its teach: timed updates with cached server keys, then "resync finished".
        link.input.append(Self.haproxyTeach)
        b.section.received(link, eof: false, now: 2000)
        #expect(b.section.updatesReceived == 4 && b.section.peers[0].confirm == 1)
        let entry = b.table.entries(shard: 0, now: 2000) + (1..<64).flatMap { b.table.entries(shard: $0, now: 2000) }
        let expiry = try #require(entry.first { $0.key == Array("abc123".utf8) }?.expiry)
        #expect(expiry == Int64(2000 + 0x613c))
    }

    @Test func ourUpdatesAreHAProxysBytes() throws {
        // A pushes abc123 → s1 then zz → s2 to B: the same bytes HAProxy sent above.
        let net = MemoryPeersNet()
        let a = try Self.process("A", net: net)
        let link = PeerLink(id: 5, role: .incoming, peer: nil, now: 1000)
        a.section.accepted(link)
        a.section.resyncLocalDone = true; a.section.resyncRemoteDone = true
        link.input.append(Array("HAProxyS 2.1\nA\nB 4242 1\n".utf8))
        a.section.received(link, eof: false, now: 1000)
        link.output.removeAll()
        Self.learn(a, "x", server: 0, now: 1000)          // ids 1, 2 (HAProxy's abc123 was update 3)
        Self.learn(a, "y", server: 0, now: 1000)
        a.section.peers[1].tables[0].lastPushed = 2
        a.section.peers[1].tables[0].update = 2
        Self.learn(a, "abc123", server: 0, now: 1000)
        Self.learn(a, "zz", server: 1, now: 1000)
        a.section.sendMessages(1, now: 1000)
        let sent = link.output.withBytes { b, s, e in Array(b[s..<e]) }
        #expect(sent == Self.haproxyPush)
    }
}
