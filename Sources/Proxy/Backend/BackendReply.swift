// What a behaviour decided to do with one request.

struct BackendReply {
    /// nil: close the connection without answering (`?close=1`).
    var response: BackendResponse?
    /// When closing without answering, reset the connection (RST) instead of closing it.
    var reset = false
    /// Wait this long before answering (`?sleep=MS`).
    var delayMilliseconds = 0
}

/// A back-end behaviour: turns a request into a reply. Called from many connection threads.
protocol BackendResponder: Sendable {
    func reply(to request: BackendRequest, serverName: String) -> BackendReply
}
