// The log line of a frontend that has a `log-format` or header captures: rendered from the
// transaction's log record and its rule state (captures, variables) at the end of the
// transaction. A frontend with neither keeps the plain httplog/tcplog path, which reads
// no rule state.

import CUring
#if canImport(Glibc)
import Glibc
#endif

extension StreamHandler {
    /// Logs the transaction with its log-format or its captures; false when neither applies
    /// (the caller writes the plain line).
    func logWithRules(_ r: inout HTTPLogRecord, _ w: WorkerContext, _ fe: FrontendPlan, frontend: Int, slotIndex: Int,
                      slot: StreamSlot, server: Int32, client: UnsafePointer<sockaddr_storage>?, localFD: Int32 = -1) -> Bool {
        guard let compiled = rules, let wr = w.rules else { return false }
        let format = compiled.logFormats[fe.proxy]
        let layout = compiled.captures[fe.proxy]
        let hasCaptures = !layout.request.isEmpty || !layout.response.isEmpty
        guard format != nil || (hasCaptures && fe.log.style == .http) else { return false }
        guard let level = TrafficLogLevel.level(r, fe.log) else { return true }
        let ctx = wr.context
        // The state this transaction left; a connection that never got a request has none.
        let state = wr.existingSlot(slotIndex)
        // (not a request the parser refused: HAProxy answers those without a stream, so
        // with no captures: `%hr` is empty, not `{}`)
        let sameTransaction = state != nil && slot.active && !slot.badRequest && state!.frontend == fe.proxy
        ctx.arena.reset()
        ctx.formatArena.reset()
        ctx.phase = .log
        ctx.content = ContentBytes()           // no engine pointer of another exchange
        ctx.requestLoaded = false
        ctx.responseLoaded = false
        ctx.slot = sameTransaction ? state : nil
        ctx.frontend = frontend
        ctx.listener = -1               // not known here: so_id/so_name in a log-format are not filled
        ctx.backend = slot.active ? Int(slot.backend) : -1
        ctx.server = Int(server)
        ctx.client = slot.client
        ctx.clientPort = Self.socketAddress(client) ?? 0
        ctx.local = .none; ctx.localPort = 0
        if compiled.usesLocalAddress, let (a, port) = Self.localAddress(fd: localFD) { ctx.local = a; ctx.localPort = port }
        ctx.requestLine = r.requestLine ?? UnsafeRawBufferPointer(start: nil, count: 0)
        ctx.nowMs = w.nowMs
        let nowUs = WallClock.nowUs()
        withUnsafePointer(to: &r) { record in
            ctx.logRecord = record
            w.syslog.log(level: level, to: fe.log, nowUs: nowUs) { buf in
                if let format { ctx.renderLogLine(format, into: &buf) }
                else { w.syslog.writeHTTPLogWithCaptures(record.pointee, ctx, into: &buf) }
            }
            ctx.logRecord = nil
        }
        ctx.slot = nil
        return true
    }
}

extension SyslogSender {
    /// The httplog line with `%CC %CS` and `%hr %hs` filled from the captures.
    func writeHTTPLogWithCaptures(_ r: HTTPLogRecord, _ ctx: RuleContext, into out: inout LogBuffer) {
        HTTPLogLine.writeSessionPrefix(r, dates: &lineDates, into: &out)
        out.decimal(r.tR); out.byte(UInt8(ascii: "/"))
        out.decimal(r.tw); out.byte(UInt8(ascii: "/"))
        out.decimal(r.tc); out.byte(UInt8(ascii: "/"))
        out.decimal(r.tr); out.byte(UInt8(ascii: "/"))
        out.decimal(r.ta); out.byte(UInt8(ascii: " "))
        out.decimal(r.status); out.byte(UInt8(ascii: " "))
        out.decimal(r.bytesOut); out.byte(UInt8(ascii: " "))
        ctx.renderField(.capturedRequestCookie, [], http: false, into: &out); out.byte(UInt8(ascii: " "))
        ctx.renderField(.capturedResponseCookie, [], http: false, into: &out); out.byte(UInt8(ascii: " "))
        HTTPLogLine.writeTermination(r.termination, into: &out)
        out.byte(UInt8(ascii: " "))
        HTTPLogLine.writeConnCounters(r, into: &out)
        out.byte(UInt8(ascii: " "))
        // HAProxy's separators: an empty %hr or %hs adds no space.
        let before = out.count
        ctx.renderField(.requestHeaders, [], http: false, into: &out)
        if out.count > before { out.byte(UInt8(ascii: " ")) }
        let middle = out.count
        ctx.renderField(.responseHeaders, [], http: false, into: &out)
        if out.count > middle { out.byte(UInt8(ascii: " ")) }
        out.byte(UInt8(ascii: "\""))
        if let line = r.requestLine { HTTPLogLine.writeEncoded(line, into: &out) } else { out.text("<BADREQ>") }
        out.byte(UInt8(ascii: "\""))
    }
}

extension RuleContext {
    /// A log-format line with HAProxy's separators: the spaces of the format are separators,
    /// written only after something that is not a separator (an empty %hr or %hs adds none).
    func renderLogLine(_ f: LogFormatProgram, into w: inout LogBuffer) {
        var lastIsSpace = true
        for n in f.nodes {
            if case .literal(let b) = n {
                var text = b.buffer
                if lastIsSpace, text.first == UInt8(ascii: " ") { text = UnsafeRawBufferPointer(rebasing: text[1...]) }
                guard !text.isEmpty else { continue }
                w.bytes(text)
                lastIsSpace = text.last == UInt8(ascii: " ")
                continue
            }
            let before = w.count
            render(n, http: f.http, into: &w)
            // Only %hr/%hs without captures count as nothing; any other field, even empty,
            // is followed by its separator (log.c's last_isspace).
            if case .field(let field, _) = n, field == .requestHeaders || field == .responseHeaders {
                if w.count > before { lastIsSpace = false }
            } else {
                lastIsSpace = false
            }
        }
    }
}
