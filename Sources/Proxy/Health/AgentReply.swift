/// A line from an agent check (`agent-check`), parsed as HAProxy 2.6's
/// tcpcheck_agent_expect_reply does: words separated by blanks or commas up to the first CR/LF,
/// an optional `# description`. The last word of each kind wins.
public struct AgentReply: Equatable, Sendable {
    public enum Health: String, Equatable, Sendable { case up, down, stopped, fail }
    public enum Admin: String, Equatable, Sendable { case ready, drain, maint }

    public var health: Health? = nil
    /// The health word as the agent wrote it (HAProxy prints it so).
    public var healthWord = ""
    public var admin: Admin? = nil
    /// `75%`: the weight relative to the configured one.
    public var weightPercent: Int? = nil
    /// `maxconn:30`.
    public var maxconn: Int? = nil
    /// The first word that is none of the above.
    public var unknownWord: String? = nil
    public var description = ""

    /// nil when no line end arrived yet.
    public init?(_ bytes: [UInt8]) {
        guard let end = bytes.firstIndex(where: { $0 == 10 || $0 == 13 }) else { return nil }
        var rest = Substring(String(decoding: bytes[..<end], as: UTF8.self))
        while let c = rest.first {
            if c == " " || c == "\t" || c == "," { rest = rest.dropFirst(); continue }
            if c == "#" {
                rest = rest.dropFirst()
                while let b = rest.first, b == " " || b == "\t" { rest = rest.dropFirst() }
                description = String(rest)
                break
            }
            let word = rest.prefix { $0 != " " && $0 != "\t" && $0 != "," }
            rest = rest.dropFirst(word.count)
            let lower = word.lowercased()
            if let h = Health(rawValue: lower) { health = h; healthWord = String(word) }
            else if let a = Admin(rawValue: lower) { admin = a }
            else if let f = word.first, f.isNumber, word.contains("%") {
                weightPercent = Int(word.prefix { $0.isNumber }) ?? 0
            } else if lower.hasPrefix("maxconn:") {
                maxconn = Int(word.dropFirst("maxconn:".count))
            } else if unknownWord == nil {
                unknownWord = String(word)
            }
        }
    }

    /// The check status and info HAProxy reports for this reply.
    public var result: (status: CheckStatus, info: String) {
        guard let health else {
            if let w = unknownWord { return (.checked, "agent reports an error : \(w)") }
            return (.checked, "")
        }
        let status: CheckStatus = health == .up ? .l7ok : .l7sts
        var msg = description
        if msg.isEmpty || status == .l7ok, let w = unknownWord { msg = w }
        return (status, "via agent : \(healthWord)\(msg.isEmpty ? "" : " (\(msg))")")
    }
}
