// The rule engine on the per-request path: five header rules and an ACL (the configuration of
// the end-to-end CPU benchmark), a map lookup, and a frontend without rules. Held to zero
// mallocs per request like every per-request path.

import Benchmark
import BenchmarkFixtures
import Proxy

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = Measurement.configuration

    func probe(_ rules: String) -> RuleProbe {
        let text = """
        frontend fe
            mode http
            bind 127.0.0.1:8080
        \(rules)
            default_backend be
        backend be
            server s1 127.0.0.1:8081
        """
        let configuration = Configurations.parse(text, file: "rules-bench.cfg")
        do { return try RuleProbe(configuration: configuration, frontend: "fe") } catch { fatalError("\(error)") }
    }
    let request = Messages.request(Messages.browserRequest)
    let client = ClientAddress.v4(0xC0A8_0A17)

    let fiveRules = probe("""
        acl static path_beg /static /images
        http-request set-header X-Forwarded-Proto http
        http-request set-header X-Request-Path %[path]
        http-request add-header X-Client %[src]
        http-request del-header Upgrade-Insecure-Requests
        http-request set-header X-Static yes if static
    """)
    precondition(fiveRules.run(request.head, client: client) == 5, "five header edits expected")
    Benchmark("Rules.http-request.fiveHeaderRules") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(fiveRules.run(request.head, client: client))
        }
    }

    let variables = probe("""
        http-request set-var(txn.host) req.hdr(host),lower
        http-request set-var(txn.ua) req.hdr(user-agent),word(1,/)
        http-request set-header X-Host %[var(txn.host)] if { var(txn.ua) -m str Mozilla }
    """)
    Benchmark("Rules.http-request.variables") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(variables.run(request.head, client: client))
        }
    }

    let none = probe("")
    Benchmark("Rules.http-request.noRules") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(none.run(request.head, client: client))
        }
    }
}
