// One runtime API connection as HAProxy's CLI applet runs it, without I/O: bytes in, bytes
// out, and whether to close. Non-interactive mode (the default) runs the commands already
// received (one line, `;`-separated commands, or several pipelined lines) and closes once no
// input is left; `prompt` toggles the interactive mode (prompt `> `, `+ ` inside a payload);
// `quit` closes. Each command's output is followed by an empty line (not in a payload, and
// not after a command that asked for no LF).

public final class CLISession {
    /// What runs a command (the runtime API's command table, or a test double).
    public typealias Executor = (CLIRequest, CLISession) -> CLIReply

    public var level: CLILevel
    /// `severity-output none|number|string` of the socket, changed by `set severity-output`.
    public var severityOutput: String
    public private(set) var interactive = false
    /// Set by `quit` (and by commands that end the session, like `_getsocks`).
    public var endRequested = false
    /// Set by a command to suppress the empty line after its output (`user -`).
    public var suppressLF = false
    /// `set timeout cli`: a new idle timeout for this session (ms), read by the server.
    public var idleTimeoutMs: Int?
    /// Sockets a command wants sent (`_getsocks`): the server sends them once the output is.
    public var pendingDescriptors: [(fd: Int32, interface: String)]? = nil
    /// The socket has `expose-fd listeners` (or is the master's): `_getsocks` may answer.
    public var exposesListeners = false
    /// The interactive prompt (`> `; the master CLI's shows where commands go).
    public var prompt: () -> String = { "> " }
    /// Set by a command whose output is already complete (relayed from a worker by the
    /// master CLI): no empty line after it, nor before the prompt.
    public var rawOutput = false
    /// The master CLI's prompt mode: a command that prints nothing is followed by the prompt
    /// alone, not by an empty line first (HAProxy 2.6's master).
    public var bareSilentPrompt = false
    /// `experimental-mode on` (CLIVariableCommands): `set var` is allowed.
    public var experimentalMode = false

    private var input: [UInt8] = []
    private var inPayload = false
    private var commandLine = ""
    private var payloadLines: [String] = []
    private let execute: Executor

    public init(level: CLILevel, severityOutput: String = "none", execute: @escaping Executor) {
        self.level = level; self.severityOutput = severityOutput; self.execute = execute
    }

    /// Feeds received bytes (`eof`: the client closed its side). Returns the bytes to send and
    /// whether the connection is to be closed once they are sent.
    public func receive(_ bytes: some Sequence<UInt8>, eof: Bool = false) -> (output: [UInt8], close: Bool) {
        input.append(contentsOf: bytes)
        var out: [UInt8] = []
        while true {
            guard let (line, consumed) = nextLine() else {
                return (out, eof || endRequested)
            }
            input.removeFirst(consumed)
            out += step(line)
            if endRequested { return (out, true) }
            // Non-interactive: close once nothing more was received (pipelined commands run).
            if !interactive && input.isEmpty && !inPayload { return (out, true) }
            suppressLF = false
        }
    }

    /// The next complete line: up to LF, or (outside a payload) up to an unescaped `;`.
    /// Returns the line without its delimiter and trailing CR, and the bytes consumed.
    func nextLine() -> (String, Int)? {
        var i = 0
        while i < input.count {
            let c = input[i]
            if c == UInt8(ascii: "\n") || (!inPayload && c == UInt8(ascii: ";")) {
                var end = i
                if c == UInt8(ascii: "\n") && end > 0 && input[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                return (String(decoding: input[0..<end], as: UTF8.self), i + 1)
            }
            if !inPayload && c == UInt8(ascii: "\\") { i += 2; continue }
            i += 1
        }
        return nil
    }

    /// Runs one line: a command, a payload line, or the empty line ending a payload.
    func step(_ line: String) -> [UInt8] {
        var reply = CLIReply.none
        if inPayload {
            if line.isEmpty {
                inPayload = false
                reply = run(CLIRequest.parse(commandLine, payload: payloadLines.joined(separator: "\n")))
                payloadLines = []
            } else {
                payloadLines.append(line)
            }
        } else if line.hasSuffix("<<") {
            inPayload = true
            commandLine = line
        } else {
            reply = run(CLIRequest.parse(line))
        }
        if endRequested { return Array(format(reply).utf8) }
        var text = format(reply)
        if interactive {
            text += inPayload ? "+ " : (rawOutput || (bareSilentPrompt && text.isEmpty) ? "" : "\n") + prompt()
        } else if !inPayload && !suppressLF && !rawOutput {
            text += "\n"
        }
        rawOutput = false
        return Array(text.utf8)
    }

    func run(_ request: CLIRequest) -> CLIReply {
        switch request[0] {
        case "prompt":
            interactive.toggle()
            return .none
        case "quit":
            endRequested = true
            return .none
        default:
            return execute(request, self)
        }
    }

    static let severityNames = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]

    /// Applies `severity-output` to messages and errors (dumps are never prefixed).
    func format(_ reply: CLIReply) -> String {
        let severity: Int
        switch reply {
        case .none: return ""
        case .dump(let s): return s
        case .message: severity = 6
        case .error: severity = 3
        }
        switch severityOutput {
        case "number": return "[\(severity)]: " + reply.text
        case "string": return "[\(Self.severityNames[severity])]: " + reply.text
        default: return reply.text
        }
    }
}
