// Builds a backend's CheckProgram from its configuration as HAProxy 2.6 finalizes a ruleset
// (check_proxy_tcpcheck): the request of `option httpchk` after the first connect, an implicit
// `expect status 200-399` after a final HTTP send, an implicit connect in front, comments moved
// onto the rules they describe. Protocol checks get HAProxy's own rulesets (ProtocolCheckRules).

enum CheckProgramBuilder {
    struct BuildError: Error, CustomStringConvertible { let description: String }

    static func program(for proxy: ProxyConfig) throws -> CheckProgram {
        let c = proxy.checks
        let here = proxy.location
        switch c.kind {
        case .layer4:
            return .layer4
        case .tcpCheck:
            return try finish(c.tcpRules, kind: .tcpCheck, style: .tcpCheck, family: .tcp, checks: c)
        case .http:
            var rules = c.httpRules
            // The implicit request goes after the first connect, if the ruleset starts with one.
            let effective = rules.indices.filter { if case .comment = rules[$0].action { return false }; return true }
            if effective.count >= 2, case .send(.http(let s)) = rules[effective[0]].action, s.fromOption,
               case .connect = rules[effective[1]].action {
                var moved = rules.remove(at: effective[0])
                let connectAt = effective[1] - 1
                moved.index = rules[connectAt].index + 1
                rules.insert(moved, at: connectAt + 1)
            }
            // A final send gets the implicit `expect status 200-399`.
            if let last = rules.last(where: { if case .comment = $0.action { return false }; return true }),
               case .send = last.action {
                rules.append(CheckRule(.expect(CheckExpect(.httpStatus([200...399]))), index: last.index + 1, location: here))
            }
            return try finish(rules, kind: .http, style: .plain, family: .http, checks: c)
        case .sslHello, .smtp, .mysql, .pgsql, .redis, .ldap, .spop:
            let (rules, vars) = ProtocolCheckRules.rules(for: c, at: here)
            return try finish(rules, kind: c.kind, style: .plain, family: .tcp, checks: c, presetVariables: vars)
        }
    }

    static func finish(_ input: [CheckRule], kind: CheckKind, style: CheckProgram.Style, family: CheckProgram.Family,
                       checks: ProxyCheckConfig, presetVariables: [(String, CheckValue)] = []) throws -> CheckProgram {
        var rules = input
        // An implicit connect in front when the first real rule is not a connect.
        let first = rules.first { if case .comment = $0.action { return false }; return true }
        var needsConnect = true
        if let first, case .connect = first.action { needsConnect = false }
        if needsConnect {
            rules.insert(CheckRule(.connect(CheckProgram.implicitConnect), index: 0,
                                   location: input.first?.location ?? SourceLocation(file: "", line: 0)), at: 0)
        }
        // Comments: each goes onto the following rules of the same kind (HAProxy's loop).
        var steps: [CheckStep] = []
        var comment: String? = nil
        var previous = 0          // 0: comment, 1: connect, 2: send, 3: expect, 4: action
        for r in rules {
            let tag: Int
            switch r.action {
            case .comment: tag = 0
            case .connect: tag = 1
            case .send: tag = 2
            case .expect: tag = 3
            case .setVar, .unsetVar: tag = 4
            }
            if tag != previous && previous != 0 { comment = nil }
            previous = tag
            var stepComment = r.comment
            let kind: CheckStep.Kind
            switch r.action {
            case .comment:
                comment = r.comment
                continue
            case .connect(let c):
                if stepComment == nil { stepComment = comment }
                comment = nil
                kind = .connect(c)
            case .setVar(let n, let e):
                comment = nil
                kind = .setVar(n, e)
            case .unsetVar(let n):
                comment = nil
                kind = .unsetVar(n)
            case .send(let s):
                if stepComment == nil { stepComment = comment }
                kind = .send(s)
            case .expect(let e):
                if stepComment == nil { stepComment = comment }
                do { kind = .expect(try CompiledExpect(e)) } catch {
                    throw BuildError(description: "\(r.location): \(error)")
                }
            }
            steps.append(CheckStep(kind: kind, comment: stepComment, index: r.index))
        }
        // Each expect resumes from the first inverse expect of its chain (HAProxy's expect.head).
        for i in steps.indices {
            guard case .expect = steps[i].kind else { continue }
            steps[i].resumeAt = i
            var j = i - 1
            while j >= 0 {
                if case .expect(let e) = steps[j].kind {
                    if e.rule.inverse { steps[i].resumeAt = j }
                    j -= 1
                    continue
                }
                if case .setVar = steps[j].kind { j -= 1; continue }
                if case .unsetVar = steps[j].kind { j -= 1; continue }
                break
            }
        }
        return CheckProgram(kind: kind, steps: steps, style: style, family: family, presetVariables: presetVariables,
                            disableOn404: checks.disableOn404, sendState: checks.sendState)
    }
}
