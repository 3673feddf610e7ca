// Every load-balancing algorithm, built by makeBalancer from a parsed backend with the seed's
// two servers, picking for the browser request (hdr(host), uri and url_param userid have a
// value to hash; source hashes 192.168.10.23). One operation is a request's whole life in
// the balancer: pick, then connectionEnded (which leastconn counts).

import Benchmark
import BenchmarkFixtures
import Proxy

/// One backend per algorithm: its `balance` line's arguments.
let algorithms = ["roundrobin", "static-rr", "leastconn", "source", "uri", "url_param userid", "hdr(host)"]

/// A backend name for an algorithm (`hdr(host)` → `by_hdr_host_`).
func backendName(_ balance: String) -> String {
    "by_" + String(balance.map { $0.isLetter || $0 == "-" ? $0 : "_" })
}

let configurationText = algorithms.map { balance in
    """
    backend \(backendName(balance))
        mode http
        balance \(balance)
        server REALsrv_70  184.82.239.70:80   cookie 11 check inter 1500 rise 3 fall 3 weight 1
        server REALsrv_120 220.162.237.120:80 cookie 12 check inter 1500 rise 3 fall 3 weight 1

    """
}.joined()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = Measurement.configuration

    let configuration = Configurations.parse(configurationText, file: "balancing.cfg")
    let request = Messages.request(Messages.browserRequest)
    let client = ClientAddress.v4(0xC0A8_0A17)
    let states = FixedServerStates(allUp: 2)

    for balance in algorithms {
        let backend = Configurations.proxy(backendName(balance), in: configuration)
        let balancer = makeBalancer(backend.balance, hashType: backend.hashType, servers: backend.servers)
        // The hashing algorithms must find their key (without it they fall back to round
        // robin, a different path): then they pick the same server every time.
        var picks: [Int] = []
        for _ in 0..<4 {
            guard let picked = balancer.pick(request: request.head, client: client, states: states, avoid: nil) else {
                fatalError("balance \(balance) picked no server")
            }
            balancer.connectionEnded(picked)
            picks.append(picked)
        }
        let hashes = !["roundrobin", "static-rr", "leastconn"].contains(balance)
        precondition(!hashes || Set(picks).count == 1, "balance \(balance) did not hash its key: \(picks)")

        // No blank in the name: package-benchmark writes threshold files with blanks turned
        // into `_` but looks them up with the blanks.
        Benchmark("Balancer.pick.\(balance.split(separator: " ")[0])") { benchmark in
            for _ in benchmark.scaledIterations {
                let server = balancer.pick(request: request.head, client: client, states: states, avoid: nil)
                if let server { balancer.connectionEnded(server) }
                blackHole(server)
            }
        }
    }
}
