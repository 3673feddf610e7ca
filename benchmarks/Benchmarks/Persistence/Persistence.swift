// Cookie persistence on the request side: the seed's COOKIE_srv (`cookie SESSION_COOKIE
// insert indirect nocache`) finds its cookie in `Cookie: a=1; SESSION_COOKIE=12; b=2`,
// sends the request to the server with cookie 12 and records the edit that strips the
// cookie (indirect), leaving `Cookie: a=1; b=2` for the server.

import Benchmark
import BenchmarkFixtures
import Proxy

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = Measurement.configuration

    let configuration = Configurations.seed()
    let backend = Configurations.proxy("COOKIE_srv", in: configuration)
    let decider = BackendDecider(plan: BackendPlan(backend: backend))
    let states = FixedServerStates(allUp: backend.servers.count)
    let request = Messages.request(Messages.browserRequest)
    let rewrite = HeadRewrite()
    let client = ClientAddress.v4(0xC0A8_0A17)    // 192.168.10.23

    // What is measured is the persistent path: direct to server 1, one header edit.
    let first = decider.decideRequest(head: request.head, client: client, states: states, rewrite: rewrite, now: 0)
    precondition(first.server == 1 && first.cookieDirect && rewrite.editCount == 1,
                 "the cookie did not place the request: \(first)")
    let forwarded = String(decoding: rewrite.render(head: request.bytes.buffer, headLength: request.head.headLength),
                           as: UTF8.self)
    precondition(forwarded.contains("\r\nCookie: a=1; b=2\r\n") && !forwarded.contains("SESSION_COOKIE"),
                 "the cookie was not stripped:\n\(forwarded)")
    decider.connectionEnded(first)

    Benchmark("BackendDecider.decideRequest.cookieStrip") { benchmark in
        for _ in benchmark.scaledIterations {
            rewrite.reset()
            let decision = decider.decideRequest(head: request.head, client: client, states: states,
                                                 rewrite: rewrite, now: 0)
            decider.connectionEnded(decision)
            blackHole(decision)
        }
    }
}
