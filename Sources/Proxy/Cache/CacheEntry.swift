// One stored response: the head as it was when `http-response cache-store` ran (Age and
// Transfer-Encoding left out: a hit is framed with a Content-Length, appended when the server
// sent chunks, and gets its own Age), the body's data, and what freshness and conditional
// requests need.
// Immutable once stored: workers share it without a lock.

struct CacheEntryHead: Sendable {
    var key: String
    var status: Int
    var reason: [UInt8]
    var headers: [CacheHeader]
    /// The server framed it with a Content-Length (a 304 then keeps it, as HAProxy's).
    var contentLength: Bool
    var etag: String?
    /// Last-Modified, else Date, else the time it was stored (seconds since the epoch).
    var lastModified: Int64
    /// When it was stored, and the Age it came with.
    var storedAt: Int64
    var age: Int
    /// Fresh until then (seconds since the epoch).
    var expire: Int64

    /// Bytes of the head as HAProxy counts them against max-object-size (near enough).
    var byteCount: Int { 17 + reason.count + headers.reduce(0) { $0 + $1.name.count + $1.value.count + 4 } }
}

struct CacheHeader: Sendable, Equatable {
    var name: [UInt8]
    var value: [UInt8]
}

final class CacheEntry: Sendable {
    let head: CacheEntryHead
    let body: [UInt8]
    init(head: CacheEntryHead, body: [UInt8]) { self.head = head; self.body = body }
    /// What it takes of the cache's total-max-size.
    var size: Int { head.byteCount + body.count + 64 }
    /// The Age header of a hit: seconds since it was stored, plus the Age it came with.
    func age(now: Int64) -> Int64 { min(max(0, now - head.storedAt) + Int64(head.age), Int64(CacheResponsePolicy.entryMaxAge)) }
}
