import Testing
@testable import Proxy

/// `balance first` (HAProxy's lb_fas): the first server by id with a free slot below its
/// maxconn takes each new connection.
@Suite struct FirstAvailableBalancerTests {
    var head: RequestHead { noRequest.head }
    let client = ClientAddress.none

    func pick(_ b: FirstAvailableBalancer, _ states: FixedServerStates, avoid: Int? = nil) -> Int? {
        b.pick(request: head, client: client, states: states, avoid: avoid)
    }

    @Test func fillsTheFirstServerUpToItsMaxconnThenTheNext() {
        let b = FirstAvailableBalancer(servers: [BalancedServer(weight: 1, maxconn: 2), BalancedServer(weight: 1, maxconn: 2), BalancedServer(weight: 1)])
        let up = FixedServerStates(allUp: 3)
        #expect((0..<6).map { _ in pick(b, up) } == [0, 0, 1, 1, 2, 2])
        b.connectionEnded(0)
        #expect(pick(b, up) == 0)          // a slot freed on the first server: it is used again
        #expect(b.activeConnections(0) == 2 && b.activeConnections(2) == 2)
    }

    @Test func ordersServersByID() {
        // Declared b (id 2), a (id 1): a comes first.
        let b = FirstAvailableBalancer(servers: [BalancedServer(weight: 1, maxconn: 1, id: 2), BalancedServer(weight: 1, maxconn: 1, id: 1)])
        let up = FixedServerStates(allUp: 2)
        #expect(pick(b, up) == 1 && pick(b, up) == 0)
    }

    @Test func everyServerFullGoesToTheFirstUsableOneAndQueues() {
        let b = FirstAvailableBalancer(servers: [BalancedServer(weight: 1, maxconn: 1), BalancedServer(weight: 1, maxconn: 1)])
        let up = FixedServerStates(allUp: 2)
        #expect([pick(b, up), pick(b, up), pick(b, up)] == [0, 1, 0])
    }

    @Test func skipsDownZeroWeightAndAvoidedServers() {
        let b = FirstAvailableBalancer(servers: [BalancedServer(weight: 1), BalancedServer(weight: 0), BalancedServer(weight: 1), BalancedServer(weight: 1)])
        #expect(pick(b, FixedServerStates([false, true, true, true])) == 2)
        #expect(pick(b, FixedServerStates(allUp: 4), avoid: 0) == 2)
        #expect(pick(b, FixedServerStates([true, false, false, false]), avoid: 0) == 0)   // the only choice
        #expect(pick(b, FixedServerStates([false, false, false, false])) == nil)
    }

    @Test func backupsOnlyWhenNoActiveServerIsUsable() {
        let b = FirstAvailableBalancer(servers: [BalancedServer(weight: 1), BalancedServer(weight: 1, backup: true)])
        #expect(pick(b, FixedServerStates(allUp: 2)) == 0)
        #expect(pick(b, FixedServerStates([false, true])) == 1)
    }

    @Test func madeFromTheBackendConfiguration() throws {
        let c = try #require(ConfigTestSupport.parse(ConfigTestSupport.backend(" balance first\n server a 127.0.0.1:80 maxconn 1 id 5\n server b 127.0.0.1:81 maxconn 1 id 3")))
        let p = try #require(c.proxy(named: "b"))
        let b = makeBalancer(p.balance, hashType: p.hashType, servers: p.servers)
        let up = FixedServerStates(allUp: 2)
        #expect(b.pick(request: head, client: client, states: up, avoid: nil) == 1)
        #expect(b.pick(request: head, client: client, states: up, avoid: nil) == 0)
    }
}
