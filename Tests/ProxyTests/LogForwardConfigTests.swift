// The `log-forward` section as configuration: what it accepts (HAProxy 2.6's keywords) and
// the errors for what it does not.
import Testing
import Glibc
@testable import Proxy

@Suite struct LogForwardConfigTests {
    func errors(_ text: String) -> String {
        do { _ = try ConfigParser.parse(text: text, file: "t.cfg"); return "" } catch { return "\(error)" }
    }

    @Test func everyKeyword() throws {
        let c = try ConfigParser.parse(text: """
            ring R
                format rfc5424
            log-forward LF
                bind 127.0.0.1:1514
                bind ipv6@[::1]:1515
                dgram-bind udp@:1516
                maxconn 20
                backlog 40
                timeout client 3s
                log ring@R local0
                log 127.0.0.1:514 len 2048 format rfc3164 local1 info
            frontend f
                bind :8080
            """ + "\n", file: "t.cfg")
        #expect(c.logForwards.count == 1)
        let f = c.logForwards[0]
        #expect(f.name == "LF" && f.maxconn == 20 && f.backlog == 40 && f.clientTimeout == 3000)
        #expect(f.streamBinds.map(\.port) == [1514, 1515] && f.streamBinds[1].family == AF_INET6 && f.streamBinds[1].host == "::1")
        #expect(f.datagramBinds.map(\.port) == [1516] && f.datagramBinds[0].host == "")
        #expect(f.loggers.map(\.address) == [.ring("R"), .udp(host: "127.0.0.1", port: 514, family: nil)])
        #expect(f.loggers[1].format == .rfc3164 && f.loggers[1].maxLength == 2048 && f.loggers[1].maxLevel == 6)
        #expect(c.proxies.map(\.name) == ["f"], "the section is not a proxy")
        // Targets keep their declared format (unspecified: each message decides).
        let targets = LogTargets(configuration: c)
        #expect(targets.byLogForward["LF"]?.map(\.format) == [.unspecified, .rfc3164])
    }

    @Test func defaults() throws {
        let c = try ConfigParser.parse(text: "log-forward L\n dgram-bind 127.0.0.1:1514\n log stderr local0\n", file: "t.cfg")
        #expect(c.logForwards[0].maxconn == 10 && c.logForwards[0].backlog == nil && c.logForwards[0].clientTimeout == nil)
    }

    @Test func clearErrors() {
        #expect(errors("log-forward\n").contains("missing name"))
        #expect(errors("log-forward a b\n").contains("unexpected argument 'b'"))
        #expect(errors("log-forward L\n bind 127.0.0.1:1514 ssl\n").contains("bind option 'ssl' is not supported"))
        #expect(errors("log-forward L\n dgram-bind unix@/tmp/x\n").contains("is not supported on a log-forward 'dgram-bind' line"))
        #expect(errors("log-forward L\n bind 127.0.0.1\n").contains("missing port"))
        #expect(errors("log-forward L\n timeout server 1s\n").contains("timeout"))
        #expect(errors("log-forward L\n option httplog\n").contains("not allowed in a 'log-forward' section") || errors("log-forward L\n option httplog\n").contains("unknown"))
        #expect(errors("log-forward L\n log ring@nope local0\n").contains("no ring named 'nope'"))
        #expect(errors("log-forward L\nlog-forward L\n").contains("same name as another log-forward section"))
        #expect(errors("frontend L\n bind :80\nlog-forward L\n").contains("same name as frontend 'L'"))
        #expect(errors("log-forward L\n maxconn x\n").contains("maxconn"))
    }
}
