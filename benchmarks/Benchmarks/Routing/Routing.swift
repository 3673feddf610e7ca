// Frontend routing on the seed's WEB_SITE: four `hdr_reg(host) -i ^(<site>.9ai9.net)` ACLs
// tried in order. nosession.9ai9.net matches the 4th, so every request runs four regexec
// calls: the worst case of this configuration. Held to zero mallocs like every per-request
// path (PosixRegex folds case itself instead of REG_ICASE; benchmarks/README.md explains).

import Benchmark
import BenchmarkFixtures
import Proxy

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = Measurement.configuration

    let configuration = Configurations.seed()
    let backendIndex = Configurations.backendIndex(in: configuration)
    let router: Router
    do {
        router = try Router(frontend: Configurations.proxy("WEB_SITE", in: configuration), backendIndex: backendIndex)
    } catch {
        fatalError("WEB_SITE does not build: \(error)")
    }
    let client = ClientAddress.v4(0xC0A8_0A17)

    func routes(_ host: String, to backend: String) -> (bytes: MessageBytes, head: RequestHead) {
        let request = Messages.request(Messages.browserRequest.replacingHost(with: host))
        let chosen = router.select(request: request.head, clientAddress: client)
        precondition(chosen != nil && chosen == backendIndex(backend), "\(host) routed to \(String(describing: chosen))")
        return request
    }

    let fourth = routes("nosession.9ai9.net", to: "NOSESSION_srv")
    Benchmark("Router.select.4thACL") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(router.select(request: fourth.head, clientAddress: client))
        }
    }

    // The best case, one regexec: shows what each ACL costs.
    let first = routes("cookie.9ai9.net", to: "COOKIE_srv")
    Benchmark("Router.select.1stACL") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(router.select(request: first.head, clientAddress: client))
        }
    }
}

extension String {
    /// The same request for another Host.
    func replacingHost(with host: String) -> String {
        replacing("Host: nosession.9ai9.net\r\n", with: "Host: \(host)\r\n")
    }
}
