// When `nocache` adds `Cache-control: private` next to an inserted cookie: ringproxy keeps
// HAProxy 1.4's safer rule (2.6.12 only marks responses with explicit freshness or
// validators, so a plain 200 with a sticky cookie could be stored by a shared cache).
// The response may be stored when its status is 200, 203, 206, 300, 301 or 410, the request
// is not a POST, no token of any Cache-Control header is `private`, `no-cache` or `no-store`
// (with or without `=...`; 1.4 looked only at the first token), and no Pragma says no-cache.

enum CacheabilityRule {
    static func mayBeStored(_ resp: ResponseHead, requestIsPost: Bool) -> Bool {
        if requestIsPost { return false }
        switch resp.status {
        case 200, 203, 206, 300, 301, 410: break
        default: return false
        }
        for i in 0..<resp.headerCount {
            let n = resp.fields[i].name
            let cacheControl = resp.equalsLowercased(n, "cache-control")
            guard cacheControl || resp.equalsLowercased(n, "pragma") else { continue }
            let v = resp.fields[i].value
            var lo = Int(v.lo)
            let end = Int(v.hi)
            while lo <= end {
                var hi = lo
                while hi < end && resp.bytes[hi] != UInt8(ascii: ",") { hi += 1 }
                // The directive name: up to `=`, trimmed.
                var nameEnd = lo
                while nameEnd < hi && resp.bytes[nameEnd] != UInt8(ascii: "=") { nameEnd += 1 }
                let (a, b) = Bytes.trim(resp.bytes, lo, nameEnd)
                let token = ByteRange(a, b)
                if resp.equalsLowercased(token, "no-cache") { return false }
                if cacheControl && (resp.equalsLowercased(token, "private") || resp.equalsLowercased(token, "no-store")) { return false }
                lo = hi + 1
            }
        }
        return true
    }
}
