// The vacant slots reserved for `add server`: 8 per backend that can take dynamic servers by
// default, `tune.dynamic-servers N` otherwise, none without a stats socket.
import Testing
@testable import Proxy

@Suite struct DynamicServerSlotsTests {
    static func reserved(_ global: String) throws -> [String: Int] {
        var c = try ConfigParser.parse(text: """
            global
            \(global)
            backend rr
                balance roundrobin
                server a 127.0.0.1:80
            backend st
                balance static-rr
                server a 127.0.0.1:80
            """, file: "t.cfg")
        DynamicServerSlots.reserve(&c)
        var out: [String: Int] = [:]
        for p in c.proxies where p.isBackend { out[p.name] = p.servers.filter(\.options.reservedSlot).count }
        return out
    }

    @Test func tuneDynamicServersSetsTheReservedSlots() throws {
        #expect(try Self.reserved("    stats socket /tmp/x.sock") == ["rr": 8, "st": 0])
        #expect(try Self.reserved("    stats socket /tmp/x.sock\n    tune.dynamic-servers 20") == ["rr": 20, "st": 0])
        #expect(try Self.reserved("    stats socket /tmp/x.sock\n    tune.dynamic-servers 0") == ["rr": 0, "st": 0])
        #expect(try Self.reserved("    tune.dynamic-servers 20") == ["rr": 0, "st": 0])
        #expect(throws: ConfigErrors.self) { try Self.reserved("    tune.dynamic-servers 5000") }
    }
}
