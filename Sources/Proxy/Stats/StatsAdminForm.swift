/// The stats page's admin form POST (`s=srv1&s=srv2&action=maint&b=%233`), read exactly as
/// HAProxy 2.6 reads it (stats.c, stats_process_http_post): parameters are taken from the
/// last to the first so that the last `b` and `action` win; `s` parameters met before both
/// are known are gone over again once they are; a bad backend or action stops at once with
/// ERRP; a key longer than 2 KiB is ERRP; a bad `%` escape ends the reading. Each server
/// named is handed to `apply`, which says whether it counted and whether it changed; the
/// outcome is NONE (nothing counted), ERRP (nothing changed), DONE (all changed) or PART.
public enum StatsAdminForm {
    public enum Action: String, Sendable, CaseIterable {
        case ready, drain, maint, shutdown, dhlth, ehlth, hrunn, hnolb, hdown, dagent, eagent, arunn, adown
        /// The actions of older pages, still accepted.
        case disable, enable, stop, start
    }

    /// What `apply` reports for one server (HAProxy's total_servers / altered_servers).
    public struct Outcome: Sendable, Equatable {
        public var counted: Bool
        public var altered: Bool
        public init(counted: Bool, altered: Bool) { self.counted = counted; self.altered = altered }
        public static let unchanged = Outcome(counted: false, altered: false)
        public static let changed = Outcome(counted: true, altered: true)
        /// An unknown server name.
        public static let unknown = Outcome(counted: true, altered: false)
    }

    static let maxKeyLength = 2048      // HAProxy's LINESIZE

    /// Runs the form: `backend` resolves `b` (a name or `#id`) to an index or nil; `apply`
    /// acts on one server of that backend.
    public static func process(_ body: [UInt8], backend: (String) -> Int?,
                               apply: (_ backend: Int, _ server: String, _ action: Action) -> Outcome) -> StatsActionStatus {
        var total = 0, altered = 0
        var px: Int? = nil
        var action: Action? = nil
        var cur = body.count, next = body.count
        var pending: (cur: Int, next: Int)? = nil      // the first `s` met before b and action
        scanning: while cur > 0 {
            cur -= 1
            guard body[cur] == UInt8(ascii: "&") || cur == 0 else { continue }
            while true {
                // The parameter between cur and next (the `&` itself is skipped, except at 0).
                let start = cur == 0 ? 0 : cur + 1
                let length = next - start
                guard length + 1 <= maxKeyLength else { return .invalidParameters }
                let param = body[start..<next]
                let eq = param.firstIndex(of: UInt8(ascii: "="))
                guard let key = urlDecode(param[start..<(eq ?? next)]),
                      let value = urlDecode(eq.map { param[($0 + 1)..<next] } ?? []) else { break scanning }
                if px == nil && key == "b" {
                    guard let b = backend(value) else { return .invalidParameters }
                    px = b
                } else if action == nil && key == "action" {
                    guard let a = Action(rawValue: value) else { return .invalidParameters }
                    action = a
                } else if key == "s" {
                    if let b = px, let a = action {
                        let o = apply(b, value, a)
                        if o.counted { total += 1 }
                        if o.altered { altered += 1 }
                    } else if pending == nil {
                        pending = (cur, next)
                    }
                }
                if let p = pending, px != nil, action != nil {
                    // Backend and action now known: go over the servers seen before again.
                    pending = nil
                    cur = p.cur; next = p.next
                    continue
                }
                break
            }
            next = cur
        }
        if total == 0 { return .nothing }
        if altered == 0 { return .invalidParameters }
        return altered == total ? .done : .partial
    }

    /// HAProxy's url_decode in form mode: `+` is a blank, `%XX` a byte; a bad escape fails.
    static func urlDecode(_ bytes: some Collection<UInt8>) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i != bytes.endIndex {
            let c = bytes[i]
            if c == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if c == UInt8(ascii: "%") {
                let h1 = bytes.index(after: i)
                guard h1 != bytes.endIndex, let a = hex(bytes[h1]) else { return nil }
                let h2 = bytes.index(after: h1)
                guard h2 != bytes.endIndex, let b = hex(bytes[h2]) else { return nil }
                out.append(a << 4 | b)
                i = h2
            } else {
                out.append(c)
            }
            i = bytes.index(after: i)
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
