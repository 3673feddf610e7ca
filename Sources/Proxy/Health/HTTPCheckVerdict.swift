/// Verdict of `option httpchk` on the first response line: 2xx and 3xx pass (L7OK), other
/// statuses fail (L7STS), anything that is not `HTTP/x.y NNN` is L7RSP.
public struct HTTPCheckVerdict: Equatable, Sendable {
    public var status: CheckStatus
    public var code: Int
    public var info: String

    public init(statusLine bytes: [UInt8]) {
        let end = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
        var line = Array(bytes[0..<end])
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        let text = String(decoding: line, as: UTF8.self)
        let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), parts[1].count == 3, let code = Int(parts[1]) else {
            status = .l7rsp; code = 0; info = bytes.isEmpty ? "Empty response" : "Invalid response"
            return
        }
        self.code = code
        self.info = parts.count > 2 ? String(parts[2]) : ""
        self.status = (200..<400).contains(code) ? .l7ok : .l7sts
    }
}
