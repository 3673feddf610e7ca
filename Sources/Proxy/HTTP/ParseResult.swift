// What a head parser tells its caller: wait for more bytes, go on, or refuse the message.
// The reason of a refusal is kept for logs and tests; the status to answer comes with it.

/// Why a message head was refused.
public enum ParseError: Equatable, Sendable {
    case badRequestLine          // no method/target/version structure at all
    case badMethod               // method is not a token
    case badTarget               // empty target, CTL/space/non-ASCII in it, bad absolute-form
    case badVersion              // anything but HTTP/1.0 or HTTP/1.1 (including trailing blanks)
    case http09                  // `GET /x` with no version
    case badStatusLine           // response: not `HTTP/1.x NNN reason`
    case badHeaderName           // empty name, non-token byte, space before colon, no colon
    case badHeaderValue          // CR or NUL inside a value
    case obsFold                 // a header line starting with SP/HTAB (RFC 9112 §5.2)
    case badContentLength        // not a decimal number (or too large)
    case conflictingContentLength
    case badTransferEncoding     // last coding not chunked (request), chunked twice, empty
    case unsupportedTransferCoding // a coding other than chunked before chunked (HAProxy 2.6: 422)
    case headTooLarge            // no complete head within maxHeadBytes
    case tooManyHeaders          // more than maxHeaderCount - 1 header lines
    case multipleHost
    case hostMismatch            // absolute-form authority disagrees with Host
    case badWebSocketKey         // a WebSocket upgrade without a 24-byte Sec-WebSocket-Key
    case payloadInHTTP10GetHeadDelete // HTTP/1.0 GET, HEAD or DELETE with a body (HAProxy 2.6.12: 413)

    /// The status HAProxy 2.6 answers a request refused for this reason with. (A refused
    /// response is always answered 502 by the caller.)
    public var requestStatus: Int {
        switch self {
        case .unsupportedTransferCoding: return 422
        case .payloadInHTTP10GetHeadDelete: return 413
        default: return 400
        }
    }
}

public enum ParseResult: Equatable, Sendable {
    /// The head is not complete yet: call again with more bytes (from the same start).
    case incomplete
    /// The head is complete and valid; the head object is filled (headLength, framing, ...).
    case complete
    /// The head is refused; the head object is partially filled and must not be used.
    case invalid(ParseError)
}
