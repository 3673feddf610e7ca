// `option http-restrict-req-hdr-names delete|reject` at run time: a scan of the request view's
// live header names once the proxy's http-request rules have run (so headers the rules added
// are judged too, as in HAProxy). Only proxies with the option set pay for the scan.

extension MessageView {
    /// True when `name` holds a byte outside [A-Za-z0-9-].
    @inline(__always) static func isRestrictedName(_ name: UnsafeRawBufferPointer) -> Bool {
        for c in name {
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
                continue
            default:
                return true
            }
        }
        return false
    }

    /// Applies `policy` to the live headers: `delete` removes the offending ones; `reject`
    /// returns false at the first one (the caller answers 403).
    func restrictHeaderNames(_ policy: HeaderNamePolicy) -> Bool {
        guard policy != .preserve else { return true }
        for i in 0..<count where isLive(i) && Self.isRestrictedName(name(i)) {
            if policy == .reject { return false }
            delete(i)
        }
        return true
    }
}
