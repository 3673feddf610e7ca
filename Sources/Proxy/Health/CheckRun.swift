import CUring
import Glibc

/// What one server's check needs besides its program, resolved at start-up.
struct CheckContext {
    /// Where the default connect goes: the server, or its `addr` (check address).
    let address: SocketAddress
    /// The server's own port (the `port` of its address), for connect rules without a port.
    let serverPort: Int
    /// `port N` on the server line (check port).
    let checkPort: Int?
    /// `check-send-proxy`.
    let sendProxy: Bool
    let backendName: String
    let serverName: String
    /// `inter` and the proxy's `timeout connect` / `timeout check`.
    let interMs: Int
    let connectTimeoutMs: Int?
    let checkTimeoutMs: Int?
    /// The X-Haproxy-Server-State value (`http-check send-state`), built when sent.
    let serverState: () -> String
    /// Whether the server is DOWN now (`disable-on-404` only applies to a server that is not).
    let serverIsDown: () -> Bool
    /// The PROXY header's version (1 or 2).
    var proxyVersion = 1
    /// The server's SOCKS4 proxy; the default connect uses it with `check-via-socks4`.
    var socks4: SocketAddress? = nil
    var viaSocks4 = false
}

/// What a run waits for next.
enum CheckWait: Equatable {
    case writable(Int32)
    case readable(Int32)
    case done(CheckResult)
}

/// One run of a check program against one server: a non-blocking connection driven by the
/// checker's readiness events, evaluating the steps in order as HAProxy's tcpcheck_main does
/// (connect, send, expect, set-var), and ending with HAProxy's status, code and info text.
final class CheckRun {
    static let bufferSize = 16384          // HAProxy's bufsize: a full buffer is the last read

    let program: CheckProgram
    let ctx: CheckContext
    let startMs: Int64
    /// HAProxy's check task `expire`. The checker's timer is armed from it only when the run
    /// starts (HAProxy requeues its task then); later changes (connection established with
    /// `timeout check`) are seen when that timer fires, as in HAProxy: a check whose timer
    /// fires before `expireMs` waits on, one whose events come first finishes without a timeout.
    private(set) var expireMs: Int64
    var evaluator: CheckEvaluator
    var fd: Int32 = -1
    var connecting = false
    var step = 0
    /// HAProxy's current_step: the last connect/send/expect evaluated.
    var currentStep: Int? = nil
    var input: [UInt8] = []
    var closed = false
    var output: [UInt8] = []
    var outputSent = 0
    var code = 0
    var scratch: [CChar] = []

    init(program: CheckProgram, context: CheckContext, nowMs: Int64) {
        self.program = program
        self.ctx = context
        startMs = nowMs
        expireMs = nowMs + Int64(context.interMs)
        evaluator = CheckEvaluator(backendName: context.backendName, serverName: context.serverName)
        for (n, v) in program.presetVariables { evaluator.variables[n] = v }
        input.reserveCapacity(Self.bufferSize)
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Starts, or continues after the awaited readiness.
    func advance(nowMs: Int64) -> CheckWait {
        var mustRead = true
        var lastRead = false
        while step < program.steps.count {
            let s = program.steps[step]
            code = 0
            switch s.kind {
            case .connect(let c):
                if fd >= 0 && currentStep != step { close(fd); fd = -1; connecting = false }
                currentStep = step
                if fd < 0 {
                    if let r = openConnection(c, s, nowMs: nowMs) { return .done(r) }
                    if connecting { return .writable(fd) }
                } else if connecting {
                    var err: Int32 = 0
                    var len = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
                    if err != 0 { return .done(failure(.l4con, errno: err, nowMs: nowMs)) }
                    connecting = false
                }
                if let wait = socksHandshake(nowMs: nowMs) { return wait }
                if c.sendProxy || (c.useServerSettings && ctx.sendProxy) {
                    let line = proxyLine()
                    guard line.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == line.count else {
                        return .done(failure(.sockerr, errno: errno, nowMs: nowMs))
                    }
                }
                if let t = ctx.checkTimeoutMs { expireMs = nowMs + Int64(t) }
                mustRead = input.isEmpty
                lastRead = false
            case .send(let send):
                currentStep = step
                if outputSent == output.count {
                    input.removeAll(keepingCapacity: true)
                    closed = false
                    switch build(send, s) {
                    case .success(let bytes): output = bytes; outputSent = 0
                    case .failure(let r): return .done(r.with(durationMs: Int(nowMs - startMs)))
                    }
                }
                while outputSent < output.count {
                    let n = output.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + outputSent, $0.count - outputSent, Int32(MSG_NOSIGNAL)) }
                    if n < 0 {
                        if errno == EINTR { continue }
                        if errno == EAGAIN { return .writable(fd) }
                        return .done(failure(.sockerr, errno: errno, nowMs: nowMs))
                    }
                    outputSent += n
                }
                output.removeAll(keepingCapacity: true); outputSent = 0
                mustRead = true
            case .expect(let e):
                currentStep = step
                if mustRead {
                    switch receive() {
                    case .error(let err): return .done(failure(.sockerr, errno: err, nowMs: nowMs))
                    case .nothing: return .readable(fd)
                    case .emptyResponse:
                        var info = "TCPCHK got an empty response at step \(s.stepID)"
                        if let c = s.comment { info += " comment: '\(c)'" }
                        return .done(result(e.rule.errorStatus ?? .l7rsp, info: info, nowMs: nowMs))
                    case .data:
                        lastRead = closed || input.count >= Self.bufferSize
                        mustRead = false
                    }
                }
                let outcome = program.family == .http ? expectHTTP(e, s, lastRead: lastRead) : expectTCP(e, s, lastRead: lastRead)
                switch outcome {
                case .next: break
                case .wait:
                    step = s.resumeAt
                    return .readable(fd)
                case .stop(let status, let info):
                    return .done(result(status, info: info, nowMs: nowMs))
                }
            case .setVar(let name, let expr):
                if let v = evaluator.evaluate(expr, input: input, response: parsedResponse()) { evaluator.variables[name] = v }
            case .unsetVar(let name):
                evaluator.variables[name] = nil
            }
            step += 1
        }
        return .done(success(nowMs: nowMs))
    }

    /// The deadline passed: HAProxy's chk_report_conn_err with `expired`.
    func expired(nowMs: Int64) -> CheckResult {
        if connecting { return failure(.l4tout, errno: 0, nowMs: nowMs) }
        var status = CheckStatus.l7tout
        if let c = currentStep, case .expect(let e) = program.steps[c].kind, let t = e.rule.timeoutStatus { status = t }
        return failure(status, errno: 0, nowMs: nowMs)
    }

    // MARK: connect

    /// Opens the connection of a connect rule; a result when it fails at once.
    func openConnection(_ c: CheckConnect, _ s: CheckStep, nowMs: Int64) -> CheckResult? {
        input.removeAll(keepingCapacity: true)
        closed = false
        output.removeAll(); outputSent = 0
        var target = ctx.address
        if let host = c.host {
            guard let a = SocketAddress(host: host, port: c.hostPort ?? 0) else {
                return result(.sockerr, info: "cannot resolve '\(host)'", nowMs: nowMs)
            }
            target = a
        }
        let port = c.port ?? c.hostPort ?? ctx.checkPort ?? ctx.serverPort
        target.setPort(port)
        socks = .none
        if let proxy = ctx.socks4, c.viaSocks4 || (c.useServerSettings && ctx.viaSocks4) {
            guard let request = Socks4Handshake.request(to: target) else {
                return result(.sockerr, info: "SOCKS4 needs an IPv4 destination", nowMs: nowMs)
            }
            socks = .send(request, sent: 0)
            target = proxy
        }
        let sock = socket(target.family, Int32(Glibc.SOCK_STREAM.rawValue) | Int32(Glibc.SOCK_NONBLOCK.rawValue) | Int32(Glibc.SOCK_CLOEXEC.rawValue), 0)
        guard sock >= 0 else { return failure(.sockerr, errno: errno, nowMs: nowMs) }
        fd = sock
        var st = target.storage
        let rc = withUnsafePointer(to: &st) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(sock, $0, target.length) } }
        // HAProxy allows min(inter, timeout connect) to connect when `timeout check` is set.
        expireMs = nowMs + Int64(ctx.interMs)
        if ctx.checkTimeoutMs != nil, let t = ctx.connectTimeoutMs { expireMs = min(expireMs, nowMs + Int64(t)) }
        if rc == 0 { connecting = false; return nil }
        let e = errno
        if e == EINPROGRESS || e == EALREADY { connecting = true; return nil }
        // A connect() that fails at once is HAProxy's "General socket error (...)".
        close(sock); fd = -1
        return failure(.l4con, errno: e, nowMs: nowMs, prefix: "General socket error")
    }

    /// Where the SOCKS4 exchange of the connection stands.
    enum SocksState { case none, send([UInt8], sent: Int), awaitReply([UInt8]) }
    var socks = SocksState.none

    /// Sends the SOCKS4 request and reads the 8-byte reply; a wait while it is under way,
    /// a failure (HAProxy's connection error texts, reported as a socket error as 2.6.12
    /// does for a refused request), or nil once granted.
    func socksHandshake(nowMs: Int64) -> CheckWait? {
        while true {
            switch socks {
            case .none: return nil
            case .send(let req, let sent):
                let n = req.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN { return .writable(fd) }
                    return .done(failure(.sockerr, errno: errno, nowMs: nowMs, prefix: Socks4Handshake.Failure.send.rawValue))
                }
                socks = sent + n == req.count ? .awaitReply([]) : .send(req, sent: sent + n)
            case .awaitReply(var reply):
                var buf = [UInt8](repeating: 0, count: Socks4Handshake.replyLength - reply.count)
                let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN { return .readable(fd) }
                    return .done(failure(.sockerr, errno: errno, nowMs: nowMs, prefix: Socks4Handshake.Failure.receive.rawValue))
                }
                if n == 0 { return .done(failure(.sockerr, errno: 0, nowMs: nowMs, prefix: Socks4Handshake.Failure.aborted.rawValue)) }
                reply += buf.prefix(n)
                if reply.count < Socks4Handshake.replyLength { socks = .awaitReply(reply); continue }
                if let f = Socks4Handshake.check(reply) { return .done(failure(.sockerr, errno: 0, nowMs: nowMs, prefix: f.rawValue)) }
                socks = .none
                return nil
            }
        }
    }

    /// `PROXY TCP4 <local> <server> <lport> <sport>\r\n` (HAProxy's LOCAL-less v1 line for checks).
    func proxyLine() -> [UInt8] {
        var local = sockaddr_storage(), peer = sockaddr_storage()
        var l1 = socklen_t(MemoryLayout<sockaddr_storage>.size), l2 = l1
        let ok = withUnsafeMutablePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &l1) } } == 0
            && withUnsafeMutablePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &l2) } } == 0
        guard ok else { return Array("PROXY UNKNOWN\r\n".utf8) }
        if ctx.proxyVersion == 2 {
            var out = [UInt8](repeating: 0, count: Int(RP_PP_V1_MAX) + 1)
            let n = out.withUnsafeMutableBufferPointer { rp_pp_build(2, &local, &peer, $0.baseAddress) }
            return Array(out.prefix(Int(n)))
        }
        return ProxyProtocolLine.v1(source: local, destination: peer)
    }

    // MARK: send

    func build(_ send: CheckSend, _ s: CheckStep) -> Result<[UInt8], CheckResultBox> {
        switch send {
        case .bytes(let b): return .success(b)
        case .format(let f, let binary):
            let text = evaluator.render(f, input: input, response: nil)
            guard binary else { return .success(text) }
            guard let b = CheckExpressionParser.hexBytes(String(decoding: text, as: UTF8.self)) else {
                return .failure(CheckResultBox(CheckResult(status: .l7rsp, info: "tcp-check send : failed to build log-format string at step \(s.stepID)", durationMs: 0)))
            }
            return .success(b)
        case .http(let h):
            return .success(HTTPCheckRequest.bytes(h, evaluator: evaluator, input: input,
                                                   serverState: program.sendState ? ctx.serverState() : nil))
        }
    }

    // MARK: receive

    enum Received { case data, nothing, emptyResponse, error(Int32) }

    /// Reads what is available (HAProxy's tcpcheck_eval_recv).
    func receive() -> Received {
        var got = 0
        var chunk = [UInt8](repeating: 0, count: 4096)
        while input.count < Self.bufferSize && !closed {
            let room = min(chunk.count, Self.bufferSize - input.count)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, room, 0) }
            if n > 0 { input += chunk[0..<n]; got += n; continue }
            if n == 0 { closed = true; break }
            if errno == EINTR { continue }
            if errno == EAGAIN { break }
            // An error after data is left to the expect rules, as HAProxy does (an RST often
            // follows the last bytes).
            if input.isEmpty { return .error(errno) }
            closed = true
            break
        }
        if got == 0 {
            if !closed { return .nothing }
            if input.isEmpty { return .emptyResponse }
        }
        return .data
    }

    func parsedResponse() -> HTTPCheckResponse? {
        guard program.family == .http, case .parsed(let r) = HTTPCheckResponse.parse(input, closed: closed) else { return nil }
        return r
    }

    // MARK: expect

    enum Outcome { case next, wait, stop(CheckStatus, String) }

    /// HAProxy's tcpcheck_eval_expect.
    func expectTCP(_ e: CompiledExpect, _ s: CheckStep, lastRead inLastRead: Bool) -> Outcome {
        let rule = e.rule
        let lastRead = inLastRead || input.count >= Self.bufferSize
        if !lastRead {
            switch rule.match {
            case .string(let p), .binary(let p): if input.count < p.count { return .wait }
            default: break
            }
            if rule.minRecv > 0 && input.count < rule.minRecv { return .wait }
        }
        var status = rule.errorStatus ?? .l7rsp
        var desc: String? = nil
        var matched = false
        switch rule.match {
        case .string(let p), .binary(let p):
            matched = contains(input, p)
        case .regex:
            matched = regexMatches(e.regex!, input)
        case .binaryRegex:
            matched = regexMatches(e.regex!, hexDump(input))
        case .stringFormat(let f), .binaryFormat(let f):
            var pattern = evaluator.render(f, input: input, response: nil)
            if pattern.isEmpty { return .stop(.l7rsp, "log-format string evaluated to an empty string") }
            if case .binaryFormat = rule.match {
                guard let b = CheckExpressionParser.hexBytes(String(decoding: pattern, as: UTF8.self)) else {
                    return .stop(.l7rsp, "Failed to parse hexastring resulting of eval of a log-format string")
                }
                pattern = b
            }
            if input.count < pattern.count {
                if !lastRead { return .wait }
            } else {
                matched = contains(input, pattern)
            }
        case .custom(let c):
            return custom(c, e, s, lastRead: lastRead)
        default:
            return .stop(.l7rsp, "")
        }
        if !matched && !lastRead && rule.minRecv == -1 { return .wait }
        if matched != rule.inverse { return .next }
        status = rule.errorStatus ?? .l7rsp
        desc = errorMessage(e, s, matched: matched, info: nil)
        return .stop(status, desc ?? "")
    }

    /// HAProxy's tcpcheck_eval_expect_http.
    func expectHTTP(_ e: CompiledExpect, _ s: CheckStep, lastRead inLastRead: Bool) -> Outcome {
        let rule = e.rule
        let parsed = HTTPCheckResponse.parse(input, closed: closed)
        var response: HTTPCheckResponse
        switch parsed {
        case .invalid: return .stop(.l7rsp, errorMessage(e, s, matched: false, info: nil))
        case .incomplete:
            if inLastRead || closed || input.count >= Self.bufferSize { return .stop(.l7rsp, errorMessage(e, s, matched: false, info: nil)) }
            return .wait
        case .parsed(let r): response = r
        }
        let lastRead = inLastRead || response.complete || input.count >= Self.bufferSize
        code = response.status
        if program.disableOn404 && code == 404 && !ctx.serverIsDown() { return .next }
        let reason = String(decoding: response.reason, as: UTF8.self)
        var matched = false
        var status = rule.errorStatus
        var desc: String? = nil
        switch rule.match {
        case .httpStatus(let ranges):
            matched = ranges.contains { $0.contains(response.status) }
            status = status ?? .l7sts
            if rule.onError == nil { desc = reason }
        case .httpStatusRegex:
            matched = regexMatches(e.regex!, Array(String(response.status).utf8))
            status = status ?? .l7sts
            if rule.onError == nil { desc = reason }
        case .httpHeader(let h):
            switch headerMatches(h, e, response) {
            case .success(let m): matched = m
            case .failure(let f): return .stop(.l7rsp, f.message)
            }
            status = status ?? .l7sts
            if rule.onError == nil { desc = reason }
        case .httpBody, .httpBodyRegex, .httpBodyFormat:
            let body = response.body
            if body.isEmpty {
                if !lastRead { return .wait }
                return .stop(status ?? .l7rsp, errorMessage(e, s, matched: false, info: rule.onError == nil ? "HTTP content check could not find a response body" : nil))
            }
            var pattern: [UInt8] = []
            if case .httpBody(let p) = rule.match { pattern = p }
            if case .httpBodyFormat(let f) = rule.match {
                pattern = evaluator.render(f, input: input, response: response)
                if pattern.isEmpty { return .stop(.l7rsp, "log-format string evaluated to an empty string") }
            }
            if !lastRead && ((!pattern.isEmpty && body.count < pattern.count) || (rule.minRecv > 0 && body.count < rule.minRecv)) {
                return .wait
            }
            if case .httpBodyRegex = rule.match { matched = regexMatches(e.regex!, body) } else { matched = contains(body, pattern) }
            if !matched && !lastRead && rule.minRecv == -1 { return .wait }
            status = status ?? .l7rsp
            if rule.onError == nil { desc = rule.inverse ? "HTTP check matched unwanted content" : "HTTP content check did not match" }
        default:
            return .stop(status ?? .l7rsp, "")
        }
        if matched != rule.inverse { return .next }
        return .stop(status ?? .l7rsp, errorMessage(e, s, matched: matched, info: desc, response: response))
    }

    func headerMatches(_ h: CheckHeaderMatch, _ e: CompiledExpect, _ r: HTTPCheckResponse) -> Result<Bool, HeaderFailure> {
        let namePattern = evaluator.render(h.name, input: input, response: r)
        if h.nameMethod != .reg && namePattern.isEmpty { return .failure(HeaderFailure("log-format string evaluated to an empty string")) }
        var valuePattern: [UInt8]? = nil
        if let v = h.value {
            valuePattern = evaluator.render(v, input: input, response: r)
            if h.valueMethod != .reg && valuePattern!.isEmpty { return .failure(HeaderFailure("log-format string evaluated to an empty string")) }
        }
        let lowerName = namePattern.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }
        // Without a value pattern, whole lines are looked at (HAProxy's HVAL_NONE implies full).
        for (name, value) in r.values(full: h.fullValue || h.value == nil) {
            let nameOK: Bool
            switch h.nameMethod {
            case .str: nameOK = name == lowerName
            case .beg: nameOK = name.starts(with: lowerName)
            case .end: nameOK = name.count >= lowerName.count && Array(name.suffix(lowerName.count)) == lowerName
            case .sub: nameOK = contains(name, lowerName)
            case .reg: nameOK = regexMatches(e.nameRegex!, name)
            }
            guard nameOK else { continue }
            guard let vp = valuePattern else { return .success(true) }
            let ok: Bool
            switch h.valueMethod {
            case .str: ok = value == vp
            case .beg: ok = value.starts(with: vp)
            case .end: ok = value.count >= vp.count && Array(value.suffix(vp.count)) == vp
            case .sub: ok = contains(value, vp)
            case .reg: ok = regexMatches(e.valueRegex!, value)
            }
            if ok { return .success(true) }
        }
        return .success(false)
    }

    struct HeaderFailure: Error { let message: String; init(_ m: String) { message = m } }

    /// HAProxy's tcpcheck_expect_onerror_message.
    func errorMessage(_ e: CompiledExpect, _ s: CheckStep, matched: Bool, info: String?, response: HTTPCheckResponse? = nil) -> String {
        var msg = ""
        if let info, !info.isEmpty {
            msg = info
        } else if let f = e.rule.onError {
            msg = String(decoding: cString(evaluator.render(f, input: input, response: response)), as: UTF8.self)
        } else if program.style == .tcpCheck {
            msg = matched ? "TCPCHK matched unwanted content" : "TCPCHK did not match content"
            switch e.rule.match {
            case .httpStatus: msg += "(status codes) at step \(s.stepID)"
            case .string(let p), .httpBody(let p): msg += " '\(String(decoding: p, as: UTF8.self))' at step \(s.stepID)"
            case .binary: msg += " (binary) at step \(s.stepID)"
            case .regex, .httpStatusRegex, .httpBodyRegex: msg += " (regex) at step \(s.stepID)"
            case .binaryRegex: msg += " (binary regex) at step \(s.stepID)"
            case .stringFormat, .httpBodyFormat: msg += " (log-format string) at step \(s.stepID)"
            case .binaryFormat: msg += " (log-format binary) at step \(s.stepID)"
            case .custom: msg += " (custom function) at step \(s.stepID)"
            case .httpHeader: msg += " (header pattern) at step \(s.stepID)"
            }
        }
        if let c = s.comment { msg += " comment: \(c)" }
        if let sc = e.rule.statusCode, let v = evaluator.evaluate(sc, input: input, response: response), let n = Int(String(decoding: v.bytes, as: UTF8.self)) {
            code = n
        }
        return msg
    }

    /// The protocol checks HAProxy implements in C.
    func custom(_ c: CheckCustomExpect, _ e: CompiledExpect, _ s: CheckStep, lastRead: Bool) -> Outcome {
        switch c {
        case .mysqlInitialHandshake: return mysqlPacket(at: 0, e, s, lastRead: lastRead)
        case .mysqlOK:
            guard input.count >= 3 else { return lastRead ? .stop(.l7rsp, "") : .wait }
            let first = 4 + Int(input[0]) + Int(input[1]) << 8 + Int(input[2]) << 16
            return mysqlPacket(at: first, e, s, lastRead: lastRead)
        case .ldapBindResponse: return ldapBindResponse(e, s, lastRead: lastRead)
        case .spopAgentHello: return spopAgentHello(e, s, lastRead: lastRead)
        case .agentReply:
            guard let reply = AgentReply(input) else {
                return lastRead ? .stop(.checked, "Ignoring incomplete line from agent") : .wait
            }
            agentReply = reply
            let r = reply.result
            return .stop(r.status, r.info)
        }
    }

    func mysqlPacket(at offset: Int, _ e: CompiledExpect, _ s: CheckStep, lastRead: Bool) -> Outcome {
        guard input.count >= offset + 4 else { return lastRead ? .stop(.l7rsp, errorMessage(e, s, matched: false, info: nil)) : .wait }
        let plen = Int(input[offset]) + Int(input[offset + 1]) << 8 + Int(input[offset + 2]) << 16
        guard input.count >= offset + plen + 4 else { return lastRead ? .stop(.l7rsp, errorMessage(e, s, matched: false, info: nil)) : .wait }
        if input[offset + 4] == 0xff {
            code = Int(input[offset + 5]) + Int(input[offset + 6]) << 8
            let desc = String(decoding: cString(Array(input[(offset + 7)...])), as: UTF8.self)
            let keep = code
            let msg = errorMessage(e, s, matched: false, info: desc)
            code = keep
            return .stop(.l7sts, msg)
        }
        if step + 1 < program.steps.count { return .next }
        // The last packet: success, with the server version (from byte 5) as info.
        versionInfo = input.count > 5 ? String(decoding: cString(Array(input[5...])), as: UTF8.self) : ""
        return .next
    }
    /// Set by the last MySQL packet: the info of the success result.
    var versionInfo: String? = nil
    /// What the agent answered (agent checks).
    var agentReply: AgentReply? = nil

    /// HAProxy's tcpcheck_spop_expect_agenthello: wait for the whole frame, then decode it.
    func spopAgentHello(_ e: CompiledExpect, _ s: CheckStep, lastRead: Bool) -> Outcome {
        let size = input.count >= 4 ? Int(input[0]) << 24 | Int(input[1]) << 16 | Int(input[2]) << 8 | Int(input[3]) : 0
        if !lastRead && input.count < 4 + size { return .wait }
        let frame = input.count > 4 ? Array(input[4..<min(input.count, 4 + size)]) : []
        if let error = SPOPHello.agentHelloError(frame) {
            return .stop(.l7rsp, errorMessage(e, s, matched: false, info: error))
        }
        versionInfo = "SPOA server is ok"
        return .next
    }

    func ldapBindResponse(_ e: CompiledExpect, _ s: CheckStep, lastRead: Bool) -> Outcome {
        func tooShort() -> Outcome { lastRead ? .stop(.l7rsp, errorMessage(e, s, matched: false, info: nil)) : .wait }
        func notLDAP() -> Outcome { .stop(.l7rsp, errorMessage(e, s, matched: false, info: "Not LDAPv3 protocol")) }
        guard input.count >= 2 else { return tooShort() }
        var p = 1
        var nbytes = 0
        var msglen = 0
        if input[p] & 0x80 != 0 {
            nbytes = Int(input[p] & 0x7f)
            guard input.count >= 1 + nbytes + 1 else { return tooShort() }
            switch nbytes {
            case 4: msglen = Int(input[p + 1]) << 24 | Int(input[p + 2]) << 16 | Int(input[p + 3]) << 8 | Int(input[p + 4])
            case 2: msglen = Int(input[p + 1]) << 8 | Int(input[p + 2])
            default: return notLDAP()
            }
        } else {
            msglen = Int(input[p])
        }
        p += 1 + nbytes
        guard input.count >= 2 + nbytes + msglen, input.count >= p + 4 else { return tooShort() }
        guard Array(input[p..<p + 4]) == [0x02, 0x01, 0x01, 0x61] else { return notLDAP() }
        p += 4
        guard p < input.count else { return tooShort() }
        var skip = 0
        if input[p] & 0x80 != 0 { skip = Int(input[p] & 0x7f) }
        p += 1 + skip
        guard input.count >= p + 3 else { return tooShort() }
        guard input[p] == 0x0a, input[p + 1] == 0x01 else { return notLDAP() }
        code = Int(input[p + 2])
        if code != 0 {
            let keep = code
            let msg = errorMessage(e, s, matched: false, info: "See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9")
            code = keep
            return .stop(.l7sts, msg)
        }
        versionInfo = "Success"
        return .next
    }

    // MARK: results

    /// All rules passed: HAProxy's status from the last rule evaluated.
    func success(nowMs: Int64) -> CheckResult {
        guard let c = currentStep else { return result(.l7ok, info: "(tcp-check)", nowMs: nowMs) }
        let s = program.steps[c]
        switch s.kind {
        case .expect(let e):
            if program.disableOn404 && code == 404 && !ctx.serverIsDown() { return result(.l7okc, info: "", nowMs: nowMs) }
            var info = versionInfo ?? ""
            if let f = e.rule.onSuccess {
                info += String(decoding: cString(evaluator.render(f, input: input, response: parsedResponse())), as: UTF8.self)
            } else if versionInfo == nil && program.style == .tcpCheck {
                info = "(tcp-check)"
            }
            if let sc = e.rule.statusCode, let v = evaluator.evaluate(sc, input: input, response: parsedResponse()),
               let n = Int(String(decoding: v.bytes, as: UTF8.self)) { code = n }
            return result(e.rule.okStatus ?? .l7ok, info: info, nowMs: nowMs)
        case .connect(let cn):
            return result(.l4ok, info: cn.implicit ? "" : "(tcp-check)", nowMs: nowMs)
        default:
            return result(.l7ok, info: "(tcp-check)", nowMs: nowMs)
        }
    }

    /// HAProxy's chk_report_conn_err: the errno text, then (tcp-check only) where it happened.
    func failure(_ status: CheckStatus, errno e: Int32, nowMs: Int64, prefix: String? = nil) -> CheckResult {
        var chk = ""
        if program.style == .tcpCheck {
            let stepIndex = currentStep
            let id = stepIndex.map { program.steps[$0].stepID } ?? 1
            if id == 0 {
                chk = " at initial connection step of tcp-check"
            } else {
                chk = " at step \(id) of tcp-check"
                if let i = stepIndex {
                    let s = program.steps[i]
                    switch s.kind {
                    case .connect(let c): chk += c.port.map { " (connect port \($0))" } ?? " (connect)"
                    case .expect(let x): chk += Self.expectLabel(x.rule.match)
                    case .send: chk += " (send)"
                    default: break
                    }
                    if let c = s.comment { chk += " comment: '\(c)'" }
                }
            }
        }
        var info = chk
        if let prefix { info = e != 0 ? "\(prefix) (\(errnoText(e)))\(chk)" : "\(prefix)\(chk)" }
        else if e != 0 { info = errnoText(e) + chk }
        return result(status, info: info, nowMs: nowMs)
    }

    static func expectLabel(_ m: CheckExpect.Match) -> String {
        switch m {
        case .string(let p): return " (expect string '\(String(decoding: p, as: UTF8.self))')"
        case .binary(let p): return " (expect binary '\(String(decoding: p, as: UTF8.self))')"
        case .regex: return " (expect regex)"
        case .binaryRegex: return " (expect binary regex)"
        case .stringFormat: return " (expect log-format string)"
        case .binaryFormat: return " (expect log-format binary)"
        case .httpStatus: return " (expect HTTP status codes)"
        case .httpStatusRegex: return " (expect HTTP status regex)"
        case .httpHeader: return " (expect HTTP header pattern)"
        case .httpBody(let p): return " (expect HTTP body content '\(String(decoding: p, as: UTF8.self))')"
        case .httpBodyRegex: return " (expect HTTP body regex)"
        case .httpBodyFormat: return " (expect log-format HTTP body)"
        case .custom: return " (expect custom function)"
        }
    }

    func result(_ status: CheckStatus, info: String, nowMs: Int64) -> CheckResult {
        // HAProxy keeps 127 bytes of the description (HCHK_DESC_LEN).
        var text = info
        if text.utf8.count > 127 { text = String(decoding: Array(text.utf8.prefix(127)), as: UTF8.self) }
        return CheckResult(status: status, code: status.hasCode ? code : 0, info: text, durationMs: Int(nowMs - startMs))
    }

    // MARK: helpers

    func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard hay.count >= needle.count else { return false }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] {
            if hay[i..<i + needle.count].elementsEqual(needle) { return true }
        }
        return false
    }

    func regexMatches(_ re: PosixRegex, _ data: [UInt8]) -> Bool {
        if scratch.count < data.count + 1 { scratch = [CChar](repeating: 0, count: data.count + 1) }
        return data.withUnsafeBytes { d in scratch.withUnsafeMutableBufferPointer { re.matches(d, scratch: $0.baseAddress!, capacity: $0.count) } }
    }

    /// HAProxy's dump_binary: upper-case hexadecimal.
    func hexDump(_ b: [UInt8]) -> [UInt8] {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(b.count * 2)
        for c in b { out.append(digits[Int(c >> 4)]); out.append(digits[Int(c & 15)]) }
        return out
    }

    /// C-string semantics of HAProxy's messages: up to the first NUL.
    func cString(_ b: [UInt8]) -> [UInt8] { Array(b.prefix { $0 != 0 }) }
}

/// A CheckResult that can be a Result's failure.
struct CheckResultBox: Error {
    var result: CheckResult
    init(_ r: CheckResult) { result = r }
    func with(durationMs: Int) -> CheckResult { var r = result; r.durationMs = durationMs; return r }
}

extension SocketAddress {
    mutating func setPort(_ port: Int) {
        let p = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
        withUnsafeMutableBytes(of: &storage) { raw in
            if Int32(raw.load(as: sa_family_t.self)) == AF_INET6 {
                raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self).pointee.sin6_port = p
            } else {
                raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self).pointee.sin_port = p
            }
        }
    }
}
