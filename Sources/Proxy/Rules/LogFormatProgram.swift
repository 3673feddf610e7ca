// Log-format strings, compiled: literal bytes, `%` fields and `%[...]` samples. The same
// program renders a header value (HTTP encoding of control characters, no quoting, a missing
// sample is empty), a reply body, or a log line (+Q quotes, +E escapes, a missing value is
// "-"), into any byte sink: the worker's arena or a log buffer. No allocation.

/// Where rendered bytes go.
protocol ByteSink {
    mutating func byte(_ b: UInt8)
    mutating func bytes(_ b: UnsafeRawBufferPointer)
}
extension ArenaWriter: ByteSink {}
extension LogBuffer: ByteSink {}

final class LogFormatProgram {
    enum Node {
        case literal(StaticBytes)
        case field(LogField, LogFieldOptions)
        case sample(SampleExpr, LogFieldOptions)
    }
    let nodes: [Node]
    /// All literal: the bytes, without evaluating anything.
    let constant: StaticBytes?
    /// HTTP use (header values, bodies, redirects): HAProxy's LOG_OPT_HTTP.
    let http: Bool

    init(nodes: [Node], http: Bool, pool: ConstantPool) {
        self.nodes = nodes
        self.http = http
        var allLiteral = true
        var text: [UInt8] = []
        for n in nodes { if case .literal(let b) = n { text += b.array } else { allLiteral = false } }
        constant = allLiteral ? StaticBytes(text, in: pool) : nil
    }
    var isEmpty: Bool { nodes.isEmpty }
}

extension RuleContext {
    /// Renders a format into the arena (header values, reply bodies...).
    func render(_ f: LogFormatProgram) -> UnsafeRawBufferPointer? {
        if let c = f.constant { return c.buffer }
        var w = ArenaWriter(formatArena)
        render(f, into: &w)
        return w.finish(formatArena)
    }

    func render<S: ByteSink>(_ f: LogFormatProgram, into w: inout S) {
        for n in f.nodes { render(n, http: f.http, into: &w) }
    }

    @inline(__always) func render<S: ByteSink>(_ n: LogFormatProgram.Node, http: Bool, into w: inout S) {
        switch n {
        case .literal(let b): w.bytes(b.buffer)
        case .sample(let e, let o):
            var s = evaluate(e)
            if s != nil, !SampleCast.convert(&s!, to: .string, arena) { s = nil }
            if http { Self.httpEncode(s?.bytes, into: &w, escape: o.contains(.escape)) }
            else { Self.text(s?.bytes, o, into: &w) }
        case .field(let field, let o):
            renderField(field, o, http: http, into: &w)
        }
    }

    /// lf_text_len: quotes with +Q, `-` for an empty mandatory value, +E escapes `"\]`.
    static func text<S: ByteSink>(_ b: UnsafeRawBufferPointer?, _ o: LogFieldOptions, into w: inout S) {
        if o.contains(.quote) { w.byte(UInt8(ascii: "\"")) }
        if let b, b.count > 0 {
            for c in b {
                if c == 0 { break }
                if o.contains(.escape) && (c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || c == UInt8(ascii: "]")) { w.byte(UInt8(ascii: "\\")) }
                w.byte(c)
            }
        } else if o.contains(.mandatory) && !o.contains(.quote) {
            w.byte(UInt8(ascii: "-"))
        }
        if o.contains(.quote) { w.byte(UInt8(ascii: "\"")) }
    }

    /// HTTP values: bytes 0x00-0x08, 0x0A-0x1F and 0x7F become %XX.
    static func httpEncode<S: ByteSink>(_ b: UnsafeRawBufferPointer?, into w: inout S, escape: Bool) {
        guard let b else { return }
        let hex: StaticString = "0123456789ABCDEF"
        for c in b {
            if (c < 0x20 && c != 0x09) || c == 0x7F {
                w.byte(UInt8(ascii: "%")); w.byte(hex.utf8Start[Int(c >> 4)]); w.byte(hex.utf8Start[Int(c & 15)])
            } else {
                if escape && (c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || c == UInt8(ascii: "]")) { w.byte(UInt8(ascii: "\\")) }
                w.byte(c)
            }
        }
    }
}
