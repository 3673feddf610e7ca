// Sample expressions, ACLs and `if`/`unless` conditions, compiled. An expression is a fetch
// and its converters; an ACL tries every value of its expression (headers, cookies...)
// against its patterns; a named ACL declared on several lines matches when any line does;
// a condition is an OR of ANDs of (possibly negated) ACLs, inverted by `unless`.

final class SampleExpr {
    let fetch: Fetch
    let converters: [Converter]
    let output: SampleType
    let text: String

    init(fetch: Fetch, converters: [Converter], output: SampleType, text: String) {
        self.fetch = fetch; self.converters = converters; self.output = output; self.text = text
    }
}

extension RuleContext {
    /// The single value of an expression (last header occurrence, etc.).
    @inline(__always)
    func evaluate(_ e: SampleExpr) -> Sample? {
        var c = FetchCursor(iterate: false)
        guard var s = fetch(e.fetch, &c) else { return nil }
        for conv in e.converters { if !convert(conv, &s) { return nil } }
        return s
    }

    /// Every value of an expression in turn, until `body` returns true (then true).
    @inline(__always)
    func anyValue(_ e: SampleExpr, _ body: (inout Sample) -> Bool) -> Bool {
        var c = FetchCursor(iterate: true)
        values: while var s = fetch(e.fetch, &c) {
            for conv in e.converters { if !convert(conv, &s) { continue values } }
            if body(&s) { return true }
        }
        return false
    }
}

/// One `acl` line (or anonymous ACL).
final class AclTest {
    enum Kind {
        case patterns(PatternView, [PatternView])   // inline patterns, then -f files
        case found
        case bool
        case authGroup(userlist: Int, groups: UInt64)
        case never
    }
    let expr: SampleExpr
    let kind: Kind
    let castTo: SampleType

    init(expr: SampleExpr, kind: Kind, castTo: SampleType) { self.expr = expr; self.kind = kind; self.castTo = castTo }
}

/// A named ACL: true when any of its lines is.
final class CompiledACL {
    let name: String
    let tests: [AclTest]
    init(name: String, tests: [AclTest]) { self.name = name; self.tests = tests }
}

struct ConditionTerm { let acl: Int; let negated: Bool }

final class CompiledCondition {
    let unless: Bool
    let alternatives: [[ConditionTerm]]
    init(unless: Bool, alternatives: [[ConditionTerm]]) { self.unless = unless; self.alternatives = alternatives }
}

extension RuleContext {
    func test(_ t: AclTest) -> Bool {
        switch t.kind {
        case .never: return false
        case .found:
            var c = FetchCursor(iterate: false)
            return fetch(t.expr.fetch, &c).map { s -> Bool in
                var s = s
                for conv in t.expr.converters { if !convert(conv, &s) { return false } }
                return true
            } ?? false
        case .bool:
            return anyValue(t.expr) { s in SampleCast.convert(&s, to: .bool, arena) && s.int != 0 }
        case .authGroup(let l, let groups):
            // The sample is a valid user's name: is it in one of the groups?
            return anyValue(t.expr) { s in
                tables.userlists[l].groupsOf(user: s.bytes) & groups != 0
            }
        case .patterns(let inline, let files):
            let cast = t.castTo
            return anyValue(t.expr) { s in
                guard SampleCast.convert(&s, to: cast, arena) else { return false }
                if inline.with({ $0.count > 0 && $0.match(s, regex) != nil }) { return true }
                for f in files where f.with({ $0.match(s, regex) != nil }) { return true }
                return false
            }
        }
    }

    func matches(_ acl: CompiledACL) -> Bool {
        for t in acl.tests where test(t) { return true }
        return false
    }

    /// Evaluates a condition against the ACLs of its proxy.
    func evaluate(_ c: CompiledCondition, _ acls: [CompiledACL]) -> Bool {
        var result = false
        for and in c.alternatives {
            var all = true
            for t in and where matches(acls[t.acl]) == t.negated { all = false; break }
            if all { result = true; break }
        }
        return c.unless ? !result : result
    }
}

extension Userlist {
    /// Group bit mask of a user by name (0 when unknown).
    func groupsOf(user: UnsafeRawBufferPointer) -> UInt64 {
        for u in users where u.name.count == user.count && u.name.withUnsafeBytes({ Bytes.equal($0, user, ignoreCase: false) }) {
            return u.groups
        }
        return 0
    }
}
