// The `%` fields of log-format strings (configuration.txt §8.2.6), read from the rule
// context and, at log time, from the transaction's log record. A field whose value is not
// known yet (a timer when a header is being built) prints as HAProxy prints it then:
// -1 for timers, "-" for names, nothing for missing text in HTTP values.

#if canImport(Glibc)
import Glibc
#endif

extension RuleContext {
    func renderField<S: ByteSink>(_ field: LogField, _ o: LogFieldOptions, http: Bool, into w: inout S) {
        let r = logRecord?.pointee
        switch field {
        case .clientIP: writeAddress(client, o, into: &w)
        case .clientPort: number(client == .none ? nil : Int64(clientPort), o, into: &w)
        case .frontendIP: writeAddress(local, o, into: &w)
        case .frontendPort: number(local == .none ? nil : Int64(localPort), o, into: &w)
        case .frontend, .frontendTransport: Self.text(tables.frontendNameBytes[frontend].buffer, o, into: &w)
        case .backend:
            let b = backend >= 0 ? tables.backendNameBytes[backend] : tables.frontendNameBytes[frontend]
            Self.text(b.buffer, o, into: &w)
        case .server:
            if server >= 0 && backend >= 0 {
                if !dynamicServerNames.isEmpty, let name = dynamicServerNames[server] {
                    name.withUnsafeBytes { Self.text($0, o, into: &w) }
                    return
                }
                Self.text(tables.serverNameBytes[backend][server - tables.serverBase[backend]].buffer, o, into: &w)
            } else { Self.text(HeaderNames.noServer.buffer, o, into: &w) }
        case .serverIP, .serverPort, .backendIP, .backendPort:
            Self.text(nil, o.union(.mandatory), into: &w)
        case .hostname: Self.text(LogIdentity.hostname.buffer, o, into: &w)
        case .pid: number(Int64(LogIdentity.pid), o, into: &w)
        case .uniqueID: Self.text(uniqueIDValue(), o, into: &w)
        case .status:
            let st = r?.status ?? (responseLoaded ? response.status : status)
            number(Int64(st), o, into: &w)
        case .bytesRead: number(Int64(r?.bytesOut ?? 0), o, into: &w)
        case .bytesUploaded: number(Int64(r?.bytesIn ?? 0), o, into: &w)
        case .timeRequest: number(Int64(r?.tR ?? -1), o, into: &w)
        case .timeQueue: number(Int64(r?.tw ?? -1), o, into: &w)
        case .timeConnect: number(Int64(r?.tc ?? -1), o, into: &w)
        case .timeResponse: number(Int64(r?.tr ?? -1), o, into: &w)
        case .timeActive: number(Int64(r?.ta ?? -1), o, into: &w)
        case .timeTotal: number(Int64(r.map { $0.tt } ?? -1), o, into: &w)
        case .timeHandshake: number(r == nil ? -1 : 0, o, into: &w)
        case .timeIdle: number(Int64(r?.ti ?? -1), o, into: &w)
        case .timeQ:
            guard let r else { number(-1, o, into: &w); return }
            number(r.tR < 0 ? -1 : Int64(r.ti + r.tR), o, into: &w)
        case .timeUser:
            guard let r else { number(-1, o, into: &w); return }
            number(Int64(r.tt - max(0, r.ti)), o, into: &w)
        case .timeData:
            guard let r else { number(-1, o, into: &w); return }
            if r.tr < 0 { number(-1, o, into: &w); return }
            number(Int64(r.tt - (max(0, r.ti) + max(0, r.tR) + max(0, r.tw) + max(0, r.tc) + max(0, r.tr))), o, into: &w)
        case .actconn: number(Int64(r?.actconn ?? 0), o, into: &w)
        case .feconn: number(Int64(r?.feconn ?? 0), o, into: &w)
        case .beconn: number(Int64(r?.beconn ?? 0), o, into: &w)
        case .srvconn: number(Int64(r?.srvconn ?? 0), o, into: &w)
        case .retries:
            if r?.redispatched == true { w.byte(UInt8(ascii: "+")) }
            number(Int64(r?.retries ?? 0), o, into: &w)
        case .serverQueue: number(Int64(r?.serverQueue ?? 0), o, into: &w)
        case .backendQueue: number(Int64(r?.backendQueue ?? 0), o, into: &w)
        case .requestCounter, .logCounter: number(Int64(slot?.requestID ?? r?.requestCounter ?? 0), o, into: &w)
        case .termination, .terminationCookies:
            guard let r else { Self.text(HeaderNames.noTermination.buffer, o, into: &w); return }
            if o.contains(.quote) { w.byte(UInt8(ascii: "\"")) }
            w.byte(r.termination.cause); w.byte(r.termination.phase)
            if field == .terminationCookies { w.byte(r.termination.requestCookie); w.byte(r.termination.responseCookie) }
            if o.contains(.quote) { w.byte(UInt8(ascii: "\"")) }
        case .capturedRequestCookie, .capturedResponseCookie:
            let slotCookie = field == .capturedRequestCookie ? slot?.requestCookie : slot?.responseCookie
            if let c = slotCookie, c.isSet { c.bytes.withUnsafeBytes { Self.text($0, o.union(.mandatory), into: &w) } }
            else { Self.text(nil, o.union(.mandatory), into: &w) }
        case .requestHeaders, .requestHeadersList:
            writeCaptures(slot?.requestCaptures ?? [], list: field == .requestHeadersList, o, into: &w)
        case .responseHeaders, .responseHeadersList:
            writeCaptures(slot?.responseCaptures ?? [], list: field == .responseHeadersList, o, into: &w)
        case .method, .httpPath, .httpPathOnly, .httpQuery, .httpURI, .httpVersion, .request:
            writeRequestPart(field, o, into: &w)
        case .date, .requestDate, .dateGMT, .requestDateGMT, .dateLocal, .requestDateLocal, .timestamp, .acceptMillis:
            writeDate(field, r, o, into: &w)
        case .sslCipher, .sslVersion:
            Self.text(nil, o.union(.mandatory), into: &w)
        }
    }

    func number<S: ByteSink>(_ v: Int64?, _ o: LogFieldOptions, into w: inout S) {
        guard let v else { Self.text(nil, o.union(.mandatory), into: &w); return }
        if o.contains(.hex) {
            let hex: StaticString = "0123456789ABCDEF"
            let u = UInt64(bitPattern: v)
            var started = false
            for shift in stride(from: 28, through: 0, by: -4) {
                let d = Int((u >> UInt64(shift)) & 15)
                if d != 0 || started || shift == 0 { started = true; w.byte(hex.utf8Start[d]) }
            }
            return
        }
        if o.contains(.quote) { w.byte(UInt8(ascii: "\"")) }
        var x = v.magnitude
        if v < 0 { w.byte(UInt8(ascii: "-")) }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat { d[n] = UInt8(48 + x % 10); x /= 10; n += 1 } while x > 0
            while n > 0 { n -= 1; w.byte(d[n]) }
        }
        if o.contains(.quote) { w.byte(UInt8(ascii: "\"")) }
    }

    func writeAddress<S: ByteSink>(_ a: ClientAddress, _ o: LogFieldOptions, into w: inout S) {
        guard var s = address(a), SampleCast.convert(&s, to: .string, arena) else {
            Self.text(nil, o.union(.mandatory), into: &w); return
        }
        if o.contains(.hex), case .v4(let x) = a {
            let hex: StaticString = "0123456789ABCDEF"
            for shift in stride(from: 28, through: 0, by: -4) { w.byte(hex.utf8Start[Int((x >> UInt32(shift)) & 15)]) }
            return
        }
        Self.text(s.bytes, o, into: &w)
    }

    /// `{a|b}` (hr, hs) or `"a" "b"` (hrl, hsl); nothing when no header is captured.
    func writeCaptures<S: ByteSink>(_ slots: [CaptureSlot], list: Bool, _ o: LogFieldOptions, into w: inout S) {
        guard !slots.isEmpty else { if list { Self.text(nil, o.union(.mandatory), into: &w) }; return }
        if list {
            for (i, c) in slots.enumerated() {
                if i > 0 { w.byte(32) }
                w.byte(UInt8(ascii: "\""))
                if c.isSet { c.bytes.withUnsafeBytes { HeaderCaptureEncoding.write($0, into: &w) } } else { w.byte(UInt8(ascii: "-")) }
                w.byte(UInt8(ascii: "\""))
            }
            return
        }
        if o.contains(.quote) { w.byte(UInt8(ascii: "\"")) }
        w.byte(UInt8(ascii: "{"))
        for (i, c) in slots.enumerated() {
            if i > 0 { w.byte(UInt8(ascii: "|")) }
            if c.isSet { c.bytes.withUnsafeBytes { HeaderCaptureEncoding.write($0, into: &w) } }
        }
        w.byte(UInt8(ascii: "}"))
        if o.contains(.quote) { w.byte(UInt8(ascii: "\"")) }
    }

    /// %HM %HU %HP %HPO %HQ %HV %r from the request line as received.
    func writeRequestPart<S: ByteSink>(_ field: LogField, _ o: LogFieldOptions, into w: inout S) {
        let (m, u, v) = RequestLineParts.split(requestLine)
        switch field {
        case .request:
            guard requestLine.count > 0 else { Self.text(HeaderNames.badRequest.buffer, o, into: &w); return }
            if o.contains(.quote) { w.byte(UInt8(ascii: "\"")) }
            HeaderCaptureEncoding.writeURL(requestLine, into: &w)
            if o.contains(.quote) { w.byte(UInt8(ascii: "\"")) }
        case .method: Self.text(m, o, into: &w)
        case .httpURI: Self.text(u, o, into: &w)
        case .httpVersion: Self.text(v, o, into: &w)
        case .httpPath, .httpPathOnly, .httpQuery:
            guard let u else { Self.text(nil, o, into: &w); return }
            var q = 0
            while q < u.count && u[q] != UInt8(ascii: "?") { q += 1 }
            // HAProxy prints an absent query as nothing, not '-'.
            if field == .httpQuery { var oq = o; oq.remove(.mandatory); Self.text(UnsafeRawBufferPointer(rebasing: u[q...]), oq, into: &w); return }
            let path = UnsafeRawBufferPointer(rebasing: u[0..<q])
            if field == .httpPath { Self.text(path, o, into: &w); return }
            let parts = URIParts(path)
            let only = parts.pathQuery.map { UnsafeRawBufferPointer(rebasing: path[$0]) } ?? (parts.scheme == nil && parts.authority == nil ? path : UnsafeRawBufferPointer(rebasing: path[0..<0]))
            Self.text(only, o, into: &w)
        default: break
        }
    }

    func writeDate<S: ByteSink>(_ field: LogField, _ r: HTTPLogRecord?, _ o: LogFieldOptions, into w: inout S) {
        let ms: Int64
        switch field {
        case .requestDate, .requestDateGMT, .requestDateLocal: ms = r?.dateMs ?? WallClock.nowMs()
        default: ms = r?.acceptMs ?? r?.dateMs ?? WallClock.nowMs()
        }
        if field == .timestamp {
            if o.contains(.hex) { number(ms / 1000, o, into: &w) } else { number(ms / 1000, o, into: &w) }
            return
        }
        if field == .acceptMillis {
            let v = ms % 1000
            if v < 100 { w.byte(48) }
            if v < 10 { w.byte(48) }
            number(v, [], into: &w)
            return
        }
        var t = time_t(ms / 1000)
        var tm = Glibc.tm()
        let gmt = field == .dateGMT || field == .requestDateGMT
        if gmt { gmtime_r(&t, &tm) } else { localtime_r(&t, &tm) }
        if o.contains(.quote) { w.byte(UInt8(ascii: "\"")) }
        func two(_ v: Int32) { w.byte(UInt8(48 + v / 10)); w.byte(UInt8(48 + v % 10)) }
        two(tm.tm_mday); w.byte(UInt8(ascii: "/"))
        for c in HTTPDate.months[Int(tm.tm_mon)].utf8 { w.byte(c) }
        w.byte(UInt8(ascii: "/"))
        number(Int64(tm.tm_year) + 1900, [], into: &w)
        w.byte(UInt8(ascii: ":")); two(tm.tm_hour); w.byte(UInt8(ascii: ":")); two(tm.tm_min); w.byte(UInt8(ascii: ":")); two(tm.tm_sec)
        switch field {
        case .date, .requestDate:
            w.byte(UInt8(ascii: "."))
            let v = ms % 1000
            w.byte(UInt8(48 + v / 100)); w.byte(UInt8(48 + (v / 10) % 10)); w.byte(UInt8(48 + v % 10))
        case .dateGMT, .requestDateGMT:
            for c in " +0000".utf8 { w.byte(c) }
        default:
            // local offset as +hhmm
            let off = Int(tm.tm_gmtoff) / 60
            w.byte(32); w.byte(off < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            let a = abs(off)
            two(Int32(a / 60)); two(Int32(a % 60))
        }
        if o.contains(.quote) { w.byte(UInt8(ascii: "\"")) }
    }
}

/// HAProxy's log encodings: header captures (`"#{|}` and non-printables as #XX) and the
/// request line (`"#` and non-printables).
enum HeaderCaptureEncoding {
    static func write<S: ByteSink>(_ b: UnsafeRawBufferPointer, into w: inout S) {
        let hex: StaticString = "0123456789ABCDEF"
        for c in b {
            if c < 32 || c >= 127 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "#") || c == UInt8(ascii: "{") || c == UInt8(ascii: "|") || c == UInt8(ascii: "}") {
                w.byte(UInt8(ascii: "#")); w.byte(hex.utf8Start[Int(c >> 4)]); w.byte(hex.utf8Start[Int(c & 15)])
            } else { w.byte(c) }
        }
    }
    static func writeURL<S: ByteSink>(_ b: UnsafeRawBufferPointer, into w: inout S) {
        let hex: StaticString = "0123456789ABCDEF"
        for c in b {
            if c < 32 || c >= 127 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "#") {
                w.byte(UInt8(ascii: "#")); w.byte(hex.utf8Start[Int(c >> 4)]); w.byte(hex.utf8Start[Int(c & 15)])
            } else { w.byte(c) }
        }
    }
}

/// The process's identity in logs (%H, %pid).
enum LogIdentity {
    static let pid = getpid()
    static let hostname: StaticBytes = {
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, 255)
        return StaticBytes(buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, in: .process)
    }()
}

extension HeaderNames {
    static let noServer = StaticBytes(Array("<NOSRV>".utf8), in: .process)
    static let badRequest = StaticBytes(Array("<BADREQ>".utf8), in: .process)
    static let noTermination = StaticBytes(Array("--".utf8), in: .process)
    nonisolated(unsafe) static let connect = StaticBytes(Array("CONNECT".utf8), in: .process).buffer
}
