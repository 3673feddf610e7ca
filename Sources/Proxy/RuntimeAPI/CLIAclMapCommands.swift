// `show|add|del|clear acl` on the frontends' ACLs (each `acl` line with patterns is one
// pattern reference, numbered #0, #1... in configuration order, as HAProxy numbers them), and
// `show|add|set|del|clear map`, which find no map: ringproxy has no map files yet.
// A change rebuilds the ACL's patterns on every worker (a job on each worker's own Router).
import Synchronization

/// One pattern reference: an ACL of a frontend and its current patterns.
struct AclReference: Sendable {
    let id: Int
    let frontend: Int          // index among the frontend plans
    let acl: Int               // index among the frontend's ACLs (= its Router's)
    let definition: AclDefinition
    var entries: [(id: UInt64, pattern: String)]
}

extension RuntimeControl {
    static func makeAclReferences(_ configuration: Configuration, frontends: [FrontendPlan]) -> [AclReference] {
        var refs: [AclReference] = []
        var entryID: UInt64 = 0x5500_0000_1000
        for (fi, f) in frontends.enumerated() {
            for (ai, a) in f.config.acls.enumerated() where !a.patterns.isEmpty {
                let entries = a.patterns.map { p -> (UInt64, String) in entryID += 0xa0; return (entryID, p) }
                refs.append(AclReference(id: refs.count, frontend: fi, acl: ai, definition: a, entries: entries))
            }
        }
        return refs
    }

    /// HAProxy's fetch keyword for an ACL (`path_beg`, `hdr`, `src`).
    static func aclKeyword(_ d: AclDefinition) -> String {
        let base: String
        switch d.fetch {
        case .path: base = "path"
        case .url: base = "url"
        case .header: return "hdr"
        case .source: return "src"
        case .method: return "method"
        case .always: return d.name
        }
        switch d.match {
        case .exact, .found: return base
        default: return base + "_" + d.match.rawValue
        }
    }

    func aclReference(_ text: String) -> Int? {
        if text.hasPrefix("#"), let id = Int(text.dropFirst()) { return aclRefs.withLock { $0.indices.contains(id) ? id : nil } }
        return nil
    }

    func showAcl(_ r: CLIRequest) -> CLIReply {
        var arg = r[2]
        if arg.hasPrefix("@") { arg = r[3] }
        if arg.isEmpty {
            var out = "# id (file) description\n"
            for a in aclRefs.withLock({ $0 }) {
                out += "\(a.id) () acl '\(Self.aclKeyword(a.definition))' file '\(a.definition.location.file)' line \(a.definition.location.line). curr_ver=0 next_ver=0 entry_cnt=\(a.entries.count)\n"
            }
            return .dump(out)
        }
        guard let id = aclReference(arg) else { return .error("Unknown ACL identifier. Please use #<id> or <file>.\n") }
        return .dump(aclRefs.withLock { $0[id].entries.map { "0x\(String($0.id, radix: 16)) \($0.pattern)\n" }.joined() })
    }

    func addAcl(_ r: CLIRequest) -> CLIReply {
        var i = 2
        if r[2].hasPrefix("@") { i = 3 }
        guard !r[i].isEmpty, !r[i + 1].isEmpty else { return .error("'add acl' expects two parameters: ACL identifier and pattern.\n") }
        guard let id = aclReference(r[i]) else { return .error("Unknown ACL identifier. Please use #<id> or <file>.\n") }
        let pattern = r[i + 1]
        guard validPattern(id, pattern) else { return .error("'\(pattern)' is not a valid pattern for this ACL.\n") }
        aclRefs.withLock { refs in
            let next = (refs.flatMap { $0.entries.map(\.id) }.max() ?? 0x5500_0000_1000) + 0xa0
            refs[id].entries.append((next, pattern))
        }
        applyAcl(id)
        return .none
    }

    func delAcl(_ r: CLIRequest) -> CLIReply {
        guard !r[2].isEmpty, !r[3].isEmpty else { return .error("This command expects two parameters: ACL identifier and key.\n") }
        guard let id = aclReference(r[2]) else { return .error("Unknown map identifier. Please use #<id> or <file>.\n") }
        let key = r[3]
        let removed = aclRefs.withLock { refs -> Bool in
            let before = refs[id].entries.count
            if key.hasPrefix("#0x") {
                guard let v = UInt64(key.dropFirst(3), radix: 16) else { return false }
                refs[id].entries.removeAll { $0.id == v }
            } else {
                refs[id].entries.removeAll { $0.pattern == key }
            }
            return refs[id].entries.count != before
        }
        if key.hasPrefix("#0x") && UInt64(key.dropFirst(3), radix: 16) == nil {
            return .error("Malformed identifier. Please use #<id> or <file>.\n")
        }
        guard removed else { return .error("Key not found.\n") }
        applyAcl(id)
        return .none
    }

    func clearAcl(_ r: CLIRequest) -> CLIReply {
        var arg = r[2]
        if arg.hasPrefix("@") { arg = r[3] }
        guard !arg.isEmpty else { return .error("Missing ACL identifier.\n") }
        guard let id = aclReference(arg) else { return .error("Unknown ACL identifier. Please use #<id> or <file>.\n") }
        aclRefs.withLock { $0[id].entries.removeAll() }
        applyAcl(id)
        return .none
    }

    /// A pattern the ACL's match method can compile (a regex, a length, an IPv4 network).
    func validPattern(_ id: Int, _ pattern: String) -> Bool {
        var d = aclRefs.withLock { $0[id].definition }
        d.patterns = [pattern]
        return (try? CompiledAcl(d)) != nil
    }

    /// Rebuilds the ACL's patterns on every worker's Router.
    func applyAcl(_ id: Int) {
        let ref = aclRefs.withLock { $0[id] }
        var d = ref.definition
        d.patterns = ref.entries.map(\.pattern)
        let def = d
        guard let mailbox else { return }
        let handler = self.handler
        _ = mailbox.gather { w in
            if let built = try? CompiledAcl(def) { handler.replaceAclPatterns(worker: w, frontend: ref.frontend, acl: ref.acl, with: built) }
        }
    }

    func mapCommand(_ r: CLIRequest) -> CLIReply {
        switch r[0] {
        case "show":
            if r[2].isEmpty { return .dump("# id (file) description\n") }
            return .error("Unknown map identifier. Please use #<id> or <file>.\n")
        case "add":
            let i = r[2].hasPrefix("@") ? 3 : 2
            if r.payload == nil && (r[i].isEmpty || r[i + 1].isEmpty || r[i + 2].isEmpty) || (r.payload != nil && r[i].isEmpty) {
                return .error("'add map' expects three parameters (map identifier, key and value) or one parameter (map identifier) and a payload\n")
            }
            // HAProxy looks the identifier up among every pattern reference, ACLs included:
            // `add map #0 k v` adds `k` to ACL #0.
            if aclReference(r[i]) != nil {
                var words = ["add", "acl", r[i]]
                if let payload = r.payload {
                    for line in payload.split(separator: "\n") {
                        words.append(String(line.split(separator: " ").first ?? ""))
                        _ = addAcl(CLIRequest(words: words)); words.removeLast()
                    }
                    return .none
                }
                return addAcl(CLIRequest(words: words + [r[i + 1]]))
            }
            return .error("Unknown map identifier. Please use #<id> or <file>.\n")
        case "set":
            if r[2].isEmpty || r[3].isEmpty || r[4].isEmpty { return .error("'set map' expects three parameters: map identifier, key and value.\n") }
            return .error("Unknown map identifier. Please use #<id> or <file>.\n")
        case "del":
            if r[2].isEmpty || r[3].isEmpty { return .error("This command expects two parameters: map identifier and key.\n") }
            return .error("Unknown map identifier. Please use #<id> or <file>.\n")
        default:
            let arg = r[2].hasPrefix("@") ? r[3] : r[2]
            if arg.isEmpty { return .error("Missing map identifier.\n") }
            return .error("Unknown map identifier. Please use #<id> or <file>.\n")
        }
    }
}
