// What a behaviour decided to do with one request.

struct OriginReply {
    /// nil: close the connection without answering (`?close=1`).
    var response: OriginResponse?
    /// When closing without answering, reset the connection (RST) instead of closing it.
    var reset = false
    /// Wait this long before answering (`?sleep=MS`).
    var delayMilliseconds = 0
}

/// An origin server's behaviour: turns a request into a reply. Called from many connection threads.
protocol OriginResponder: Sendable {
    func reply(to request: OriginRequest, serverName: String) -> OriginReply
}
