import Foundation
import Testing
@testable import Proxy

/// `haproxy -c` on a configuration text: true when HAProxy 2.6 accepts it (nil when not installed).
func haproxyAccepts(_ text: String) -> Bool? {
    guard let haproxy = ["/usr/sbin/haproxy", "/usr/local/sbin/haproxy", "/usr/bin/haproxy"]
        .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
    let path = NSTemporaryDirectory() + "rp-logcfg-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).cfg"
    try? text.write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: haproxy)
    p.arguments = ["-c", "-q", "-f", path]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return nil }
    p.waitUntilExit()
    return p.terminationStatus == 0
}

@Suite struct LogConfigTests {
    static func frontend(_ lines: String, global: String = "", after: String = "") -> String {
        "global\n\(global)\ndefaults\n mode http\n timeout connect 1s\n timeout client 1s\n timeout server 1s\n"
            + "frontend f\n bind 127.0.0.1:8080\n\(lines)\n default_backend b\nbackend b\n server s 127.0.0.1:80\n\(after)\n"
    }

    static let ring = """
        ring buf
         format rfc5424
         maxlen 1200
         size 32764
         description "My local buffer"
         timeout connect 5s
         timeout server 10s
         server s1 127.0.0.1:2514
        """

    @Test func everyTargetForm() throws {
        let c = try #require(ConfigTestSupport.parse(Self.frontend("""
             log 127.0.0.1:5514 len 2048 format rfc5424 sample 1,3-4:5 local0 info notice
             log stdout format raw local1
             log stderr local2
             log fd@3 local3
             log /dev/log local4
             log unix@/tmp/x.sock format short local5
             log udp@example.org local6
             log udp4@127.0.0.1:1 local7
             log udp6@[::1]:6 user
             log ipv6@::1 mail
             log ring@buf daemon
            """, after: Self.ring)))
        let l = try #require(c.proxy(named: "f")).loggers
        #expect(l.count == 11)
        #expect(l[0].address == .udp(host: "127.0.0.1", port: 5514, family: nil) && l[0].maxLength == 2048 && l[0].format == .rfc5424)
        #expect(l[0].sample == LogSample(ranges: [1...1, 3...4], size: 5) && l[0].facility == 16 && l[0].maxLevel == 6 && l[0].minLevel == 5)
        #expect(l[1].address == .fd(1) && l[1].format == .raw && l[2].address == .fd(2) && l[3].address == .fd(3))
        #expect(l[4].address == .unix(path: "/dev/log") && l[5].address == .unix(path: "/tmp/x.sock") && l[5].format == .short)
        #expect(l[6].address == .udp(host: "example.org", port: 514, family: nil))
        #expect(l[7].address == .udp(host: "127.0.0.1", port: 1, family: Int32(AF_INET)))
        #expect(l[8].address == .udp(host: "::1", port: 6, family: Int32(AF_INET6)))
        #expect(l[9].address == .udp(host: "::1", port: 514, family: Int32(AF_INET6)) && l[9].facility == 2)
        #expect(l[10].address == .ring("buf"))
        let r = try #require(c.rings.first)
        #expect(r.name == "buf" && r.format == .rfc5424 && r.maxLength == 1200 && r.size == 32764 && r.description == "My local buffer")
        #expect(r.connectTimeout == 5000 && r.serverTimeout == 10000 && r.servers.map(\.port) == [2514])
    }

    @Test func proxyOptionsAndGlobalSettings() throws {
        let c = try #require(ConfigTestSupport.parse(Self.frontend("""
             log global
             log-tag fetag
             log-format-sd "[exampleSDID@32473 iut=\\"3\\"]"
             option dontlog-normal
             option log-separate-errors
             option tcplog
            """, global: " log 127.0.0.1 local0\n log-send-hostname myhost\n log-tag gtag")))
        let f = try #require(c.proxy(named: "f"))
        #expect(f.logging.tag == "fetag" && f.logging.structuredData == #"[exampleSDID@32473 iut="3"]"#)
        #expect(f.logging.dontLogNormal && f.logging.separateErrors && f.logging.tcpLog && !f.httpLog)
        #expect(c.global.logging.sendHostname == "myhost" && c.global.logTag == "gtag")
        let t = LogTargets(configuration: c, pid: 1)
        #expect(t.log(of: "f").origin.tag == "fetag" && t.log(of: "f").origin.hostname == "myhost")
        #expect(t.log(of: "f").loggers.first?.format == .rfc3164, "no format + log-send-hostname = rfc3164")
        #expect(t.log(of: "f").style == .tcp && t.log(of: "b").origin.tag == "gtag")

        let d = try #require(ConfigTestSupport.parse("global\n log-send-hostname\ndefaults\n log 127.0.0.1 local0\n option log-health-checks\nbackend b\n no log\n no option log-health-checks\nbackend c\n"))
        #expect(d.global.logging.sendHostname?.isEmpty == false, "default: the machine's name")
        #expect(d.proxy(named: "b")?.loggers.isEmpty == true && d.proxy(named: "c")?.loggers.count == 1)
        #expect(d.proxy(named: "b")?.logging.healthChecks == false && d.proxy(named: "c")?.logging.healthChecks == true)
    }

    /// Each of these lines is wrong for HAProxy 2.6 too (checked with `haproxy -c` where installed).
    @Test(arguments: [
        (" log 127.0.0.1 len 50 local0", "invalid log length '50', must be between 80 and 65535"),
        (" log 127.0.0.1 format bogus local0", "unknown log format 'bogus'"),
        (" log 127.0.0.1 sample 0:2 local0", "wrong sample range '0'"),
        (" log 127.0.0.1 sample 1-3,2:4 local0", "overlapping"),
        (" log 127.0.0.1 sample 1-3:2 local0", "should be greater or equal to 3"),
        (" log 127.0.0.1 sample 1 local0", "missing sample size"),
        (" log 127.0.0.1", "missing facility"),
        (" log 127.0.0.1 local9", "unknown log facility 'local9'"),
        (" log 127.0.0.1 local0 loud", "unknown log level 'loud'"),
        (" log 127.0.0.1 local0 info debug extra", "unexpected argument 'extra'"),
        (" log 127.0.0.1 format raw len 100 local0", "out of order"),
        (" log ring@nowhere local0", "no ring named 'nowhere'"),
        (" log-format-sd \"[a b=\\\"%[src]\\\"]\"", "not supported in log-format-sd yet"),
    ]) func rejectedLikeHAProxy(line: String, message: String) throws {
        let text = Self.frontend(line)
        let errors = ConfigTestSupport.errors(text)
        #expect(errors.contains { $0.description.contains(message) }, "\(errors)")
        // log-format-sd: a ringproxy limit, not a HAProxy error; an unknown ring: HAProxy's -c
        // accepts it, but it refuses to start ("uses unknown ring named 'nowhere'").
        if !line.contains("log-format-sd") && !line.contains("ring@") {
            #expect(haproxyAccepts(text) != true, "haproxy -c accepts: \(line)")
        }
    }

    @Test func ringSectionErrors() {
        let e = ConfigTestSupport.errors("ring r\n format nope\n maxlen 0\n bogus 1\n server s 127.0.0.1\nring r\n")
        let text = e.map(\.description).joined(separator: "\n")
        #expect(text.contains("t.cfg:2") && text.contains("unknown format 'nope'"), "\(text)")
        #expect(text.contains("t.cfg:3") && text.contains("maxlen"), "\(text)")
        #expect(text.contains("t.cfg:4") && text.contains("unknown keyword in a 'ring' section"), "\(text)")
        #expect(text.contains("t.cfg:5") && text.contains("port"), "\(text)")
        #expect(text.contains("t.cfg:6") && text.contains("ring 'r' already exists"), "\(text)")
        // `server` and `timeout connect` keep their proxy meaning outside rings.
        #expect(ConfigTestSupport.parse("backend b\n timeout connect 1s\n server s 127.0.0.1:80\n")?.proxies.first?.servers.count == 1)
    }

    /// The accepted forms are accepted by HAProxy 2.6 as well (no invented syntax).
    /// Addresses get HAProxy's second, legacy expansion (bare `${VAR}`, unset = empty), and an
    /// empty host means every address: reg-tests write `log ${S1_addr}:${S1_port}` with names
    /// VTest never sets.
    @Test func targetsExpandVariablesAndAcceptAnEmptyHost() throws {
        let text = Self.frontend("""
             log ${LOGHOST}:${LOGPORT} local0
             log ${UNSET_addr}:${UNSET_port} daemon
             log :5515 local1
            """)
        var env = ConfigEnvironment()
        env.set("LOGHOST", "127.0.0.9"); env.set("LOGPORT", "1514")
        let c = try ConfigParser.parse(text: text, file: "t.cfg", environment: env)
        let l = try #require(c.proxy(named: "f")).loggers
        #expect(l.map(\.address) == [.udp(host: "127.0.0.9", port: 1514, family: nil), .udp(host: "0.0.0.0", port: 514, family: nil),
                                      .udp(host: "0.0.0.0", port: 5515, family: nil)])
        if haproxyAccepts("global\n") != nil {
            #expect(haproxyAccepts(Self.frontend("log ${UNSET_addr}:${UNSET_port} daemon\n log :5515 local1")) == true)
        }
    }

    @Test(.enabled(if: haproxyAccepts("global\n") != nil, "haproxy is not installed")) func haproxyAcceptsTheSameForms() {
        let text = Self.frontend("""
             log 127.0.0.1:5514 len 2048 format rfc5424 sample 1,3-4:5 local0 info notice
             log stdout format raw local1
             log stderr local2
             log /dev/log local4
             log unix@/tmp/x.sock format short local5
             log udp4@127.0.0.1:1 local7
             log udp6@[::1]:6 user
             log ring@buf daemon
             log-tag fetag
             log-format-sd "[exampleSDID@32473 iut=\\"3\\"]"
             option dontlog-normal
             option log-separate-errors
             option tcplog
            """, global: " log-send-hostname myhost\n log-tag gtag", after: Self.ring)
        #expect(ConfigTestSupport.parse(text) != nil)
        #expect(haproxyAccepts(text) == true)
    }
}

@Suite struct LogSamplerTests {
    /// Observed on HAProxy 2.6.12: `sample 2:3` over six error lines sends the 2nd and the 5th.
    @Test func keepsThePositionsInTheRanges() {
        let s = LogSampler(LogSample(ranges: [2...2], size: 3))
        #expect((0..<6).map { _ in s.take() } == [false, true, false, false, true, false])
        let t = LogSampler(LogSample(ranges: [1...1, 3...5], size: 5))     // log/load_balancing.vtc
        #expect((0..<10).map { _ in t.take() } == [true, false, true, true, true, true, false, true, true, true])
    }

    @Test func parserMatchesHAProxysRules() throws {
        #expect(try LogSampleParser.parse("1,3-5:5").get() == LogSample(ranges: [1...1, 3...5], size: 5))
        #expect(try LogSampleParser.parse("3-5,1:9").get().ranges == [1...1, 3...5], "sorted")
        for bad in ["1:0", "a:3", "2-2:3", "5-3:6", ":3", "1,,2:3"] {
            #expect((try? LogSampleParser.parse(bad).get()) == nil, "\(bad)")
        }
    }
}

@Suite struct LogRingTests {
    func ring(size: Int) -> LogRing {
        var c = RingConfig(name: "r", location: Proxy.SourceLocation(file: "t", line: 1))
        c.size = size
        return LogRing(c)
    }

    @Test func keepsTheNewestLinesThatFit() {
        let r = ring(size: 64)
        for i in 0..<10 { r.append(Array("line \(i)".utf8)) }          // 4 + 6 bytes each: 6 fit in 64
        let kept = r.snapshot().map { String(decoding: $0, as: UTF8.self) }
        #expect(kept == (4..<10).map { "line \($0)" })
        let (lines, next, lost) = r.read(from: 2, limit: 3)
        #expect(lost == 2 && lines.count == 3 && next == 7 && String(decoding: lines[0], as: UTF8.self) == "line 4")
        r.append([UInt8](repeating: 65, count: 100))                    // larger than the ring: dropped
        #expect(r.droppedLines == 1 && r.snapshot().count == 6)
    }

    @Test func wrapsAround() {
        let r = ring(size: 100)
        for i in 0..<50 { r.append(Array("message number \(i)".utf8)) }
        let kept = r.snapshot().map { String(decoding: $0, as: UTF8.self) }
        #expect(kept.last == "message number 49" && !kept.isEmpty)
        #expect(kept == kept.indices.map { "message number \(50 - kept.count + $0)" })
    }
}
