/// How a log-forward `bind` (TCP) splits its input into messages (RFC 6587, as HAProxy 2.6's
/// syslog_io_handler): a message starting with `<` ends at LF (a CR before it dropped:
/// non-transparent framing); one starting with a digit 1–9 is `LEN SP MESSAGE` (octet
/// counting). Anything else, a line or length over the buffer size, or a malformed length, is
/// an error after which the connection is closed. Pure.
public enum SyslogStreamFraming {
    public enum Next: Equatable {
        /// A message (a range of the input) and how many input bytes it used.
        case message(Range<Int>, consumed: Int)
        case needMore
        case invalid
    }

    /// HAProxy's buffer size (tune.bufsize): the longest line or counted message.
    public static let limit = 16384

    public static func next(_ b: UnsafeRawBufferPointer, limit: Int = limit) -> Next {
        guard let first = b.first else { return .needMore }
        if first == UInt8(ascii: "<") {
            let window = min(b.count, limit)
            guard let lf = (0..<window).first(where: { b[$0] == 0x0A }) else {
                return b.count >= limit ? .invalid : .needMore
            }
            var end = lf
            if end > 0 && b[end - 1] == 0x0D { end -= 1 }
            return .message(0..<end, consumed: lf + 1)
        }
        guard first >= UInt8(ascii: "1") && first <= UInt8(ascii: "9") else { return .invalid }
        var i = 0, length = 0
        while i < b.count && i < limit && b[i] != UInt8(ascii: " ") {
            let c = b[i]
            guard c >= 48 && c <= 57 else { return .invalid }
            length = length * 10 + Int(c - 48)
            if length > limit { return .invalid }
            i += 1
        }
        guard i < b.count else { return i >= limit ? .invalid : .needMore }
        guard b[i] == UInt8(ascii: " ") else { return .invalid }
        let start = i + 1
        guard b.count - start >= length else { return .needMore }
        return .message(start..<(start + length), consumed: start + length)
    }
}
