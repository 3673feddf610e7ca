// Request side of cookie persistence (HAProxy's manage_client_side_cookies).
//
// Every `Cookie` header is parsed; items are separated by `;` or `,`, blanks around `=`
// are tolerated, `$`-attributes are skipped (and removed together with the cookie they
// follow), quoted values are taken literally, the name is compared exactly. The first usable
// server in declaration order whose cookie value equals the value is chosen; an empty value
// never matches (`option persist`: the first server named, even DOWN). Log character: N (none), I (no server has it), D (its server is down),
// V (used), O (first-seen date older than maxlife), E (last-seen date older than maxidle);
// a date more than one day in the future also counts as too old / expired.
//
// Outside prefix mode the value is `SRV[|LAST[|FIRST]]` (CookieDate.swift): the dates are
// read whatever the server part says and go on to the response side (HAProxy keeps them
// even for an invalid server); an expired cookie is treated as naming no server.
//
// With insert+indirect our cookie is deleted whatever its validity. The deletion reproduces
// HAProxy's in-place algorithm byte for byte by running it on a copy of the line (from the
// colon to the end of the value) and replacing the original bytes with the result; a line
// left with nothing is removed whole. In prefix mode `SRV~` is cut from the value.

public struct CookieRequestResult: Equatable, Sendable {
    /// The server the cookie designates, when usable.
    public var server: Int?
    /// N, I, D, V, E or O.
    public var logChar: UInt8
    /// Dates read from the cookie, UNIX seconds (0: none or unreadable; reset when expired).
    public var lastDate: Int64 = 0
    public var firstDate: Int64 = 0
}

extension CookiePersistence {
    /// `wallSeconds`: UNIX seconds for the date checks (nil: read the clock when needed).
    public func processRequest(_ req: RequestHead, states: some ServerStates, rewrite: HeadRewrite,
                               wallSeconds: Int64? = nil) -> CookieRequestResult {
        var result = CookieRequestResult(server: nil, logChar: CookieLogChar.none)
        let now = wallSeconds ?? (maxIdleSeconds | maxLifeSeconds != 0 ? CookieDate.wallClockSeconds() : 0)
        var h = 0
        while let i = req.findHeader("cookie", from: h) {
            processLine(req, i, states, rewrite, now, &result)
            h = i + 1
        }
        return result
    }

    private func processLine(_ req: RequestHead, _ index: Int, _ states: some ServerStates,
                             _ rewrite: HeadRewrite, _ now: Int64, _ result: inout CookieRequestResult) {
        let field = req.fields[index]
        // The working copy starts at the colon (HAProxy's `prev` for the first item).
        var colon = Int(field.name.hi)
        while colon < Int(field.value.lo) && req.bytes[colon] != UInt8(ascii: ":") { colon += 1 }
        let originalEnd = Int(field.value.hi)
        var end = originalEnd - colon
        guard end > 0, end <= Self.lineCapacity else { return }
        let b = line
        req.bytes.baseAddress!.advanced(by: colon).withMemoryRebound(to: UInt8.self, capacity: end) {
            b.update(from: $0, count: end)
        }
        var modified = false
        var delFrom = -1
        var preserve = false

        /// Removes b[from..<to], returns the (negative) shift.
        func cut(_ from: Int, _ to: Int) -> Int {
            if to > from {
                (b + from).update(from: b + to, count: end - to)
                end -= to - from
                modified = true
            }
            return from - to
        }
        /// HAProxy's del_hdr_value: deletes from the delimiter at `from` up to `next`, keeping
        /// one delimiter and one space (or only the colon and a space for the first item).
        func deleteValue(_ from: inout Int, _ next0: Int) -> Int {
            var p = from, nx = next0
            if p == 0 {
                if nx < end { nx += 1 }
                p += 1
                if p < nx { b[p] = UInt8(ascii: " "); p += 1 }
                while nx < end && Bytes.isSpace(b[nx]) { nx += 1 }
            } else {
                while p > 1 && Bytes.isSpace(b[p - 1]) { p -= 1 }
                from = p
                if nx < end {
                    b[p] = b[nx]; p += 1; nx += 1
                    if p + 1 < nx { b[p] = UInt8(ascii: " "); p += 1 }
                    while nx < end && Bytes.isSpace(b[nx]) { nx += 1 }
                }
            }
            return cut(p, nx)
        }

        var prev = 0
        while prev < end {
            var it = CookieSyntax.item(UnsafePointer(b), after: prev, end: end)
            if it.attBeg < end && b[it.attBeg] == UInt8(ascii: "$") { prev = it.next; continue }
            if !it.hasEqual {
                preserve = true
                if delFrom >= 0 {
                    it.next += deleteValue(&delFrom, prev)
                    delFrom = -1
                }
                prev = it.next
                continue
            }
            if editsRequests && (it.attEnd != it.equal || it.valBeg > it.equal + 1) {
                // Blanks around `=` are removed (HAProxy does it for every cookie).
                if it.attEnd != it.equal {
                    let d = cut(it.attEnd, it.equal)
                    it.equal += d; it.valBeg += d; it.valEnd += d; it.next += d
                }
                if it.valBeg > it.equal + 1 {
                    let d = cut(it.equal + 1, it.valBeg)
                    it.valBeg += d; it.valEnd += d; it.next += d
                }
            }
            if CookieSyntax.isName(UnsafePointer(b), it.attBeg, it.attEnd, name) {
                // The server id ends at `~` (prefix mode) or at a `|` date field.
                let stop = prefixMode ? UInt8(ascii: "~") : UInt8(ascii: "|")
                var delim = it.valBeg
                while delim < it.valEnd && b[delim] != stop { delim += 1 }
                if result.server == nil {
                    var idEnd = delim
                    if !prefixMode && delim < it.valEnd {
                        readDates(UnsafePointer(b), delim, it.valEnd, &result)
                    }
                    if let ch = expiry(now, &result) {
                        result.logChar = ch
                        idEnd = it.valBeg          // as if no server were named
                    }
                    choose(b, it.valBeg, idEnd, states, &result)
                }
                if prefixMode && delim != it.valEnd {
                    let d = cut(it.valBeg, delim + 1)
                    it.valEnd += d; it.next += d
                    delFrom = -1
                    preserve = true
                } else if delFrom < 0 && stripsRequestCookie {
                    delFrom = prev
                }
            } else {
                preserve = true
                if delFrom >= 0 {
                    it.next += deleteValue(&delFrom, prev)
                    delFrom = -1
                }
            }
            prev = it.next
        }
        if delFrom >= 0 {
            if preserve {
                _ = deleteValue(&delFrom, end)
            } else {
                rewrite.delete(field.line)
                return
            }
        }
        if modified {
            let m = rewrite.mark
            rewrite.put(UnsafeRawBufferPointer(start: b, count: end))
            rewrite.edit(at: colon, cutTo: originalEnd, from: m)
        }
    }

    /// First usable server, in declaration order, whose cookie is b[lo..<hi].
    private func choose(_ b: UnsafeMutablePointer<UInt8>, _ lo: Int, _ hi: Int,
                        _ states: some ServerStates, _ result: inout CookieRequestResult) {
        if hi > lo {
            for (s, ck) in serverCookies.enumerated() {
                guard let ck, ck.count == hi - lo else { continue }
                var same = true
                for k in 0..<ck.count where b[lo + k] != ck[k] { same = false; break }
                guard same else { continue }
                let usable = states.isUsable(s)
                if usable || persist {
                    // With `option persist` the first server named goes, even DOWN (logged D).
                    result.server = s
                    result.logChar = usable ? CookieLogChar.valid : CookieLogChar.down
                    return
                }
                result.logChar = CookieLogChar.down
            }
        }
        // D, E and O (and I from an earlier occurrence) stay.
        if result.logChar == CookieLogChar.none { result.logChar = CookieLogChar.invalid }
    }

    /// Reads `|LAST[|FIRST]` after the bar at `bar` (HAProxy: 5 characters needed, a
    /// value that is not base64 or is 0 is ignored; the second bar is searched from just
    /// after the first one).
    private func readDates(_ b: UnsafePointer<UInt8>, _ bar: Int, _ end: Int, _ result: inout CookieRequestResult) {
        let p = bar + 1
        if end - p >= 5 {
            let v = CookieDate.decode(b, at: p)
            if v > 0 { result.lastDate = v << 2 }
        }
        var q = p
        while q < end && b[q] != UInt8(ascii: "|") { q += 1 }
        if q < end && end - q > 5 {
            let v = CookieDate.decode(b, at: q + 1)
            if v > 0 { result.firstDate = v << 2 }
        }
    }

    /// O when the first-seen date is older than maxlife, else E when the last-seen date is
    /// older than maxidle (either more than a day in the future counts too); the dates are
    /// then forgotten. nil: not expired.
    private func expiry(_ now: Int64, _ result: inout CookieRequestResult) -> UInt8? {
        let ch: UInt8
        if result.firstDate != 0 && maxLifeSeconds != 0
            && (now - result.firstDate > maxLifeSeconds || result.firstDate - now > 86400) {
            ch = CookieLogChar.old
        } else if result.lastDate != 0 && maxIdleSeconds != 0
            && (now - result.lastDate > maxIdleSeconds || result.lastDate - now > 86400) {
            ch = CookieLogChar.expired
        } else {
            return nil
        }
        result.firstDate = 0
        result.lastDate = 0
        return ch
    }
}
