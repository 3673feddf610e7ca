// One command line of the runtime API, cut into words the way HAProxy's CLI does: words are
// separated by spaces or tabs, a backslash escapes the next character (`\;`, `\ `, `\\`), and
// a final `<<` word announces a payload (the lines that follow, up to an empty line).

public struct CLIRequest: Equatable, Sendable {
    /// At most 64 words, as HAProxy (MAX_CLI_ARGS).
    public static let maxWords = 64
    public var words: [String]
    /// The payload after `<<`, lines joined with LF (no trailing LF); nil without `<<`.
    public var payload: String?

    public init(words: [String], payload: String? = nil) { self.words = words; self.payload = payload }

    /// The i-th word, or "" (HAProxy fills missing arguments with empty strings).
    public subscript(_ i: Int) -> String { i < words.count ? words[i] : "" }

    /// Cuts `line` (one command, without its terminating LF) into words. `payload` is the text
    /// gathered after a line that ended with `<<`.
    public static func parse(_ line: String, payload: String? = nil) -> CLIRequest {
        var words: [String] = []
        var gotPayloadMarker = false
        let bytes = Array(line.utf8)
        var i = 0
        while i < bytes.count && words.count < maxWords {
            while i < bytes.count && (bytes[i] == 0x20 || bytes[i] == 0x09) { i += 1 }
            if i >= bytes.count { break }
            // `<<` as the last word: the rest is the payload.
            if bytes.count - i == 2 && bytes[i] == UInt8(ascii: "<") && bytes[i + 1] == UInt8(ascii: "<") {
                gotPayloadMarker = true
                break
            }
            var word: [UInt8] = []
            while i < bytes.count && bytes[i] != 0x20 && bytes[i] != 0x09 {
                if bytes[i] == UInt8(ascii: "\\") {
                    // `\\` keeps one backslash; `\X` keeps X; a trailing backslash is dropped.
                    if i + 1 < bytes.count { word.append(bytes[i + 1]); i += 2 } else { i += 1 }
                    continue
                }
                word.append(bytes[i]); i += 1
            }
            words.append(String(decoding: word, as: UTF8.self))
        }
        return CLIRequest(words: words, payload: gotPayloadMarker ? (payload ?? "") : nil)
    }
}

/// What a command answers.
public enum CLIReply: Equatable, Sendable {
    /// Nothing (a successful `set server ... state drain` prints nothing).
    case none
    /// A message (HAProxy's cli_msg, severity info): severity-output may prefix it.
    case message(String)
    /// An error (HAProxy's cli_err, severity err).
    case error(String)
    /// A dump (an I/O handler's output: `show stat`, `show info` ...): never prefixed.
    case dump(String)

    public var text: String {
        switch self {
        case .none: return ""
        case .message(let s), .error(let s), .dump(let s): return s
        }
    }

    public static let permissionDenied = CLIReply.error("Permission denied\n")
}
