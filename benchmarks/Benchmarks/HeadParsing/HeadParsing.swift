// The head parsers, once per message on the hot path: a browser request and a PHP response,
// parsed into heads that are reused (as each worker reuses its own).

import Benchmark
import BenchmarkFixtures
import Proxy

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = Measurement.configuration

    let request = MessageBytes(Messages.browserRequest)
    let requestHead = RequestHead()
    precondition(RequestParser.parse(request.buffer, into: requestHead) == .complete && requestHead.headerCount == 8)
    Benchmark("RequestParser.parse") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(RequestParser.parse(request.buffer, into: requestHead))
        }
    }

    let response = MessageBytes(Messages.phpResponse)
    let responseHead = ResponseHead()
    precondition(ResponseParser.parse(response.buffer, into: responseHead, requestWasHead: false) == .complete
                 && responseHead.headerCount == 8)
    Benchmark("ResponseParser.parse") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(ResponseParser.parse(response.buffer, into: responseHead, requestWasHead: false))
        }
    }
}
