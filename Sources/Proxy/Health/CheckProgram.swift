// A backend's health check compiled once from its configuration: the steps the checker runs
// against each server, as HAProxy 2.6 runs a tcp-check ruleset (every check kind is one).

/// A value of a check variable or expression.
public enum CheckValue: Equatable, Sendable {
    case string([UInt8])
    case integer(Int)

    var bytes: [UInt8] {
        switch self {
        case .string(let b): return b
        case .integer(let n): return Array(String(n).utf8)
        }
    }
}

/// One step; comments are gone (their text sits on the rules they describe).
struct CheckStep: @unchecked Sendable {
    // @unchecked: the compiled regexes are immutable after init and used by the checker thread only.
    enum Kind {
        case connect(CheckConnect)
        case send(CheckSend)
        case expect(CompiledExpect)
        case setVar(String, CheckExpression)
        case unsetVar(String)
    }
    var kind: Kind
    var comment: String?
    /// HAProxy's rule index: messages say "at step index+1" (0: the implicit first connect).
    var index: Int
    /// For an expect: the step to resume from when more data is needed (the first inverse
    /// expect of a chain of expects, as HAProxy's `expect.head`).
    var resumeAt: Int = 0

    /// "at step N" number.
    var stepID: Int {
        if case .connect(let c) = kind, c.implicit { return 0 }
        return index + 1
    }
}

/// An expect rule with its regexes compiled.
final class CompiledExpect {
    let rule: CheckExpect
    let regex: PosixRegex?
    let nameRegex: PosixRegex?
    let valueRegex: PosixRegex?

    init(_ rule: CheckExpect) throws {
        self.rule = rule
        switch rule.match {
        case .regex(let p), .binaryRegex(let p), .httpStatusRegex(let p), .httpBodyRegex(let p):
            regex = try PosixRegex(p, ignoreCase: false)
        default:
            regex = nil
        }
        if case .httpHeader(let h) = rule.match {
            nameRegex = h.nameMethod == .reg ? try PosixRegex(String(decoding: h.name.literal ?? [], as: UTF8.self), ignoreCase: true) : nil
            valueRegex = h.valueMethod == .reg && h.value != nil ? try PosixRegex(String(decoding: h.value?.literal ?? [], as: UTF8.self), ignoreCase: false) : nil
        } else {
            nameRegex = nil; valueRegex = nil
        }
    }
}

public final class CheckProgram: @unchecked Sendable {
    // @unchecked: immutable after construction.
    /// How results are worded: `option tcp-check` rulesets say "at step N of tcp-check" and
    /// "(tcp-check)"; plain layer-4, HTTP and protocol checks do not.
    enum Style { case plain, tcpCheck }
    /// How expect rules read the response: raw bytes, or an HTTP response.
    enum Family { case tcp, http }

    let kind: CheckKind
    let steps: [CheckStep]
    let style: Style
    let family: Family
    let presetVariables: [(String, CheckValue)]
    let disableOn404: Bool
    let sendState: Bool

    init(kind: CheckKind, steps: [CheckStep], style: Style, family: Family, presetVariables: [(String, CheckValue)] = [],
         disableOn404: Bool = false, sendState: Bool = false) {
        self.kind = kind; self.steps = steps; self.style = style; self.family = family
        self.presetVariables = presetVariables; self.disableOn404 = disableOn404; self.sendState = sendState
    }

    /// A plain TCP connect (no `option …chk`).
    static let layer4 = CheckProgram(kind: .layer4, steps: [CheckStep(kind: .connect(implicitConnect), index: 0)], style: .plain, family: .tcp)

    static var implicitConnect: CheckConnect {
        var c = CheckConnect()
        c.useServerSettings = true
        c.implicit = true
        return c
    }

    /// Whether the program ever talks to the server (else a bare connect result is the answer).
    var isLayer4Only: Bool { steps.count == 1 }
}
