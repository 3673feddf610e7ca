// Differential runs for the rule language: the same configuration and the same raw requests
// go through ringproxy and through HAProxy 2.6.12, with a recording backend and a syslog
// collector; the answers, the requests the backend received and the log lines are compared
// after normalising what legitimately differs (dates, client ports, timers, %B counts, and
// the case of header names HAProxy's HTX lower-cases in what it forwards).
import Foundation
import Testing

/// One exchange: bytes sent, and what to compare about the answer.
struct RuleExchange: Sendable {
    var request: String
    /// Send on the previous exchange's connection (keep-alive) instead of a new one.
    var reuse = false
    /// The answer is made by the proxy: compare it byte for byte (names included).
    var exact = false
    /// Expect no answer: read until the proxy closes.
    var expectClose = false
    /// A reply an http-response rule made: ringproxy closes the connection after it until the
    /// engine can drop the server's response and keep the client connection (README, "How
    /// ringproxy differs"); HAProxy keeps it. Everything else is compared.
    var closeMayDiffer = false

    init(_ request: String, reuse: Bool = false, exact: Bool = false, expectClose: Bool = false, closeMayDiffer: Bool = false) {
        self.request = request; self.reuse = reuse; self.exact = exact; self.expectClose = expectClose
        self.closeMayDiffer = closeMayDiffer
    }
    /// A GET on a fresh connection.
    static func get(_ path: String, _ headers: [String] = [], exact: Bool = false) -> RuleExchange {
        RuleExchange("GET \(path) HTTP/1.1\r\nHost: test.local\r\n" + headers.map { $0 + "\r\n" }.joined() + "\r\n", exact: exact)
    }
}

struct RuleRun: Equatable {
    var answers: [String] = []
    var exactAnswers: [String] = []
    var closed: [Bool] = []
    var forwarded: [String] = []
    var logs: [String] = []
}

enum RuleDifferential {
    static var ringproxy: String { ProxyProcess.ringproxyBinary }

    /// Replaces @FRONT@ (port), @BACK@ (address:port) and @LOG@ (address:port) in `config`.
    static func run(_ template: String, _ exchanges: [RuleExchange], haproxy: Bool, expectedLogs: Int? = nil,
                    answer: @escaping @Sendable (String) -> [UInt8] = { _ in Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Srv: a\r\n\r\nok".utf8) }) throws -> RuleRun {
        let backend = try RecordingBackend(answer: answer)
        defer { backend.stop() }
        let syslog = try SyslogCollector()
        defer { syslog.stop() }
        let front = freePort()
        let config = template.replacingOccurrences(of: "@FRONT@", with: "\(front)")
            .replacingOccurrences(of: "@BACK@", with: "127.0.0.1:\(backend.port)")
            .replacingOccurrences(of: "@LOG@", with: "127.0.0.1:\(syslog.port)")
        let proxy = haproxy ? try HAProxyProcess.start(config: config, waitForPorts: [front])
                            : try ProxyProcess(config: config, waitForPorts: [front])
        defer { _ = proxy.stop() }
        var run = RuleRun()
        var conn: RawHTTP? = nil
        for e in exchanges {
            if !e.reuse || conn == nil { conn = try RawHTTP(port: front) }
            let c = conn!
            try c.send(e.request)
            if e.expectClose {
                let bytes = try c.readAllUntilClose(timeout: .seconds(5))
                run.answers.append(String(decoding: bytes, as: UTF8.self))
                run.exactAnswers.append(String(decoding: bytes, as: UTF8.self))
                run.closed.append(true)
                continue
            }
            let r = try c.readResponse(timeout: .seconds(5))
            let raw = String(decoding: r.rawHead + r.rawBody, as: UTF8.self)
            run.exactAnswers.append(e.exact ? raw : "")
            run.answers.append(normalizedHead(String(decoding: r.rawHead, as: UTF8.self)) + String(decoding: r.rawBody, as: UTF8.self))
            run.closed.append(c.isClosed(within: .milliseconds(150)))
        }
        run.forwarded = backend.requests.map(normalizedHead)
        let want = expectedLogs ?? (template.contains("@LOG@") ? exchanges.count : 0)
        if want > 0 {
            run.logs = syslog.waitForMessages(count: want, timeout: .seconds(5)).map(normalizedLog)
        }
        return run
    }

    /// Runs both and records every difference as a test issue.
    static func compare(_ name: String, _ template: String, _ exchanges: [RuleExchange], expectedLogs: Int? = nil,
                        answer: @escaping @Sendable (String) -> [UInt8] = { _ in Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Srv: a\r\n\r\nok".utf8) },
                        sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ours = try run(template, exchanges, haproxy: false, expectedLogs: expectedLogs, answer: answer)
        let theirs = try run(template, exchanges, haproxy: true, expectedLogs: expectedLogs, answer: answer)
        for i in 0..<exchanges.count {
            // Where the close may differ, so may the `connection: close` that announces it.
            let (a, b) = exchanges[i].closeMayDiffer
                ? (ours.answers[i].replacingOccurrences(of: "\r\nconnection: close\r\n", with: "\r\n"),
                   theirs.answers[i].replacingOccurrences(of: "\r\nconnection: close\r\n", with: "\r\n"))
                : (ours.answers[i], theirs.answers[i])
            #expect(a == b, "\(name) #\(i) answer\n ours:    \(ours.answers[i].debugDescription)\n haproxy: \(theirs.answers[i].debugDescription)", sourceLocation: sourceLocation)
            if exchanges[i].exact {
                #expect(ours.exactAnswers[i] == theirs.exactAnswers[i], "\(name) #\(i) bytes\n ours:    \(ours.exactAnswers[i].debugDescription)\n haproxy: \(theirs.exactAnswers[i].debugDescription)", sourceLocation: sourceLocation)
            }
            if !exchanges[i].closeMayDiffer {
                #expect(ours.closed[i] == theirs.closed[i], "\(name) #\(i) connection closed: ours \(ours.closed[i]), haproxy \(theirs.closed[i])", sourceLocation: sourceLocation)
            }
        }
        #expect(ours.forwarded == theirs.forwarded, "\(name) forwarded\n ours:    \(ours.forwarded)\n haproxy: \(theirs.forwarded)", sourceLocation: sourceLocation)
        #expect(ours.logs.sorted() == theirs.logs.sorted(), "\(name) logs\n ours:    \(ours.logs)\n haproxy: \(theirs.logs)", sourceLocation: sourceLocation)
    }

    /// Header names in lower case (HAProxy's HTX writes them so; ringproxy forwards them as
    /// received), everything else as is.
    /// Trailing blanks of a header line are dropped too (HAProxy writes `name: ` for an empty
    /// value, ringproxy forwards the line as received).
    static func normalizedHead(_ head: String) -> String {
        var lines = head.components(separatedBy: "\r\n")
        for i in 1..<lines.count {
            if let colon = lines[i].firstIndex(of: ":") {
                var line = lines[i][..<colon].lowercased() + lines[i][colon...]
                while line.hasSuffix(" ") { line.removeLast() }
                lines[i] = line
            }
        }
        return lines.joined(separator: "\r\n")
    }

    /// The log message without the syslog header; dates, client ports, timers' values and the
    /// byte count masked (they differ between runs or count differently).
    static func normalizedLog(_ message: String) -> String {
        var s = message
        s = s.replacingOccurrences(of: #"^<\d+>\w{3} [ \d]\d \d\d:\d\d:\d\d [^ \[]+\[\d+\]: "#, with: "", options: .regularExpression)
        s = s.replacingOccurrences(of: #"\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d(\.\d{3})?"#, with: "DATE", options: .regularExpression)
        s = s.replacingOccurrences(of: #"127\.0\.0\.1:\d+"#, with: "127.0.0.1:P", options: .regularExpression)
        // %ac/%fc count connections still open from earlier exchanges: timing, not behaviour.
        s = s.replacingOccurrences(of: #" \d+/\d+/(\d+/\d+/\+?\d+ \d+/\d+)"#, with: " A/F/$1", options: .regularExpression)
        // httplog: TR/Tw/Tc/Tr/Ta STATUS BYTES → shape of the timers, status, B.
        if let r = s.range(of: #" (-?\d+)/(-?\d+)/(-?\d+)/(-?\d+)/(-?\d+) (\d+|-1) \d+ "#, options: .regularExpression) {
            let part = String(s[r]).trimmingCharacters(in: .whitespaces).split(separator: " ")
            let shape = part[0].split(separator: "/").map { $0 == "-1" ? "-1" : "N" }.joined(separator: "/")
            s.replaceSubrange(r, with: " \(shape) \(part[1]) B ")
        }
        return s.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
