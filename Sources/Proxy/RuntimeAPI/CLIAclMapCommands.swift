// `show|add|del|clear acl` and `show|add|set|del|clear map` on the rule engine's pattern
// references (HAProxy's pat_ref): every ACL's inline patterns and every ACL or map file,
// numbered as HAProxy numbers them. A change compiles new sets and publishes each with one
// atomic store (PatternReference.update), so workers see it on their next evaluation
// without a job on their threads.

extension RuntimeControl {
    var patternRefs: PatternReferences { handler.patternFiles }

    /// The reference named `#ID` or by its file, if it is used the way the command needs.
    func patternRef(_ name: String, acl: Bool) -> PatternReference? {
        guard let r = patternRefs.lookup(name) else { return nil }
        return (acl ? r.usedByACL : r.usedByMap) ? r : nil
    }

    static func entryAddress(_ e: PatternReference.Entry) -> String { "0x\(String(e.id, radix: 16))" }

    /// `show acl` / `show map` without an argument: the references of that kind.
    func listRefs(acl: Bool) -> String {
        var out = "# id (file) description\n"
        for r in patternRefs.listed where acl ? r.usedByACL : r.usedByMap {
            out += "\(r.uniqueID) (\(r.path ?? "")) \(r.display). curr_ver=0 next_ver=0 entry_cnt=\(r.entries.count)\n"
        }
        return out
    }

    func dumpRef(_ r: PatternReference, acl: Bool) -> String {
        r.entries.map { e in
            acl ? "\(Self.entryAddress(e)) \(e.key)\n" : "\(Self.entryAddress(e)) \(e.key) \(e.value ?? "")\n"
        }.joined()
    }

    func showAcl(_ r: CLIRequest) -> CLIReply {
        let arg = r[2].hasPrefix("@") ? r[3] : r[2]
        if arg.isEmpty { return .dump(listRefs(acl: true)) }
        guard let ref = patternRef(arg, acl: true) else { return .error("Unknown ACL identifier. Please use #<id> or <file>.\n") }
        return .dump(dumpRef(ref, acl: true))
    }

    func addAcl(_ r: CLIRequest) -> CLIReply {
        let i = r[2].hasPrefix("@") ? 3 : 2
        guard !r[i].isEmpty, !r[i + 1].isEmpty else { return .error("'add acl' expects two parameters: ACL identifier and pattern.\n") }
        // Any reference (a map's too), then HAProxy refuses one that holds values.
        guard let ref = patternRefs.lookup(r[i]) else { return .error("Unknown ACL identifier. Please use #<id> or <file>.\n") }
        if ref.hasValues {
            return .error("This ACL is shared with a map containing samples. You must use the command 'add map' to add values.\n")
        }
        let pattern = r[i + 1]
        do { try ref.update { $0.append(.init(key: pattern, value: nil)) } }
        catch { return .error("'\(pattern)' is not a valid pattern for this ACL.\n") }
        return .none
    }

    /// Removes the entries named by `key` (`#0x…`: one entry by its address); nil when the
    /// key names nothing, or an error reply.
    func deleteEntries(_ ref: PatternReference, key: String) -> CLIReply {
        if key.hasPrefix("#0x") {
            guard let v = UInt64(key.dropFirst(3), radix: 16) else { return .error("Malformed identifier. Please use #<id> or <file>.\n") }
            guard ref.entries.contains(where: { $0.id == v }) else { return .error("Key not found.\n") }
            try? ref.update { $0.removeAll { $0.id == v } }
            return .none
        }
        guard ref.entries.contains(where: { $0.key == key }) else { return .error("Key not found.\n") }
        try? ref.update { $0.removeAll { $0.key == key } }
        return .none
    }

    func delAcl(_ r: CLIRequest) -> CLIReply {
        guard !r[2].isEmpty, !r[3].isEmpty else { return .error("This command expects two parameters: ACL identifier and key.\n") }
        guard let ref = patternRef(r[2], acl: true) else { return .error("Unknown map identifier. Please use #<id> or <file>.\n") }
        return deleteEntries(ref, key: r[3])
    }

    func clearAcl(_ r: CLIRequest) -> CLIReply {
        let arg = r[2].hasPrefix("@") ? r[3] : r[2]
        guard !arg.isEmpty else { return .error("Missing ACL identifier.\n") }
        guard let ref = patternRef(arg, acl: true) else { return .error("Unknown ACL identifier. Please use #<id> or <file>.\n") }
        try? ref.update { $0.removeAll() }
        return .none
    }

    /// Adds key/value pairs to a reference (one column: the key only).
    func addEntries(_ ref: PatternReference, _ pairs: [(String, String)]) -> CLIReply {
        do {
            try ref.update { entries in
                for (k, v) in pairs { entries.append(.init(key: k, value: ref.hasValues ? v : nil)) }
            }
        } catch {
            return .error("Failed to add a map entry.\n")
        }
        return .none
    }

    func mapCommand(_ r: CLIRequest) -> CLIReply {
        let unknown = CLIReply.error("Unknown map identifier. Please use #<id> or <file>.\n")
        switch r[0] {
        case "show":
            let arg = r[2].hasPrefix("@") ? r[3] : r[2]
            if arg.isEmpty { return .dump(listRefs(acl: false)) }
            guard let ref = patternRef(arg, acl: false) else { return unknown }
            return .dump(dumpRef(ref, acl: false))
        case "add":
            let i = r[2].hasPrefix("@") ? 3 : 2
            if r.payload == nil && (r[i].isEmpty || r[i + 1].isEmpty || r[i + 2].isEmpty) || (r.payload != nil && r[i].isEmpty) {
                return .error("'add map' expects three parameters (map identifier, key and value) or one parameter (map identifier) and a payload\n")
            }
            // HAProxy looks the identifier up among every pattern reference, ACLs included:
            // `add map #0 k v` adds `k` to ACL #0.
            guard let ref = patternRefs.lookup(r[i]) else { return unknown }
            if let payload = r.payload {
                let pairs = payload.split(separator: "\n").compactMap { line -> (String, String)? in
                    let words = line.split(separator: " ", maxSplits: 1).map(String.init)
                    guard let k = words.first else { return nil }
                    return (k, words.count > 1 ? words[1].trimmingCharacters(in: [" ", "\t"]) : "")
                }
                return addEntries(ref, pairs)
            }
            return addEntries(ref, [(r[i + 1], r[i + 2])])
        case "set":
            if r[2].isEmpty || r[3].isEmpty || r[4].isEmpty { return .error("'set map' expects three parameters: map identifier, key and value.\n") }
            guard let ref = patternRef(r[2], acl: false) else { return unknown }
            let key = r[3], value = r[4]
            var id: UInt64? = nil
            if key.hasPrefix("#0x") {
                guard let v = UInt64(key.dropFirst(3), radix: 16) else { return .error("Malformed identifier. Please use #<id> or <file>.\n") }
                id = v
            }
            func named(_ e: PatternReference.Entry) -> Bool { id.map { e.id == $0 } ?? (e.key == key) }
            guard ref.entries.contains(where: named) else { return .error("Key not found.\n") }
            do { try ref.update { for i in $0.indices where named($0[i]) { $0[i].value = value } } }
            catch { return .error("Failed to update an entry.\n") }
            return .none
        case "del":
            if r[2].isEmpty || r[3].isEmpty { return .error("This command expects two parameters: map identifier and key.\n") }
            guard let ref = patternRef(r[2], acl: false) else { return unknown }
            return deleteEntries(ref, key: r[3])
        default:
            let arg = r[2].hasPrefix("@") ? r[3] : r[2]
            if arg.isEmpty { return .error("Missing map identifier.\n") }
            guard let ref = patternRef(arg, acl: false) else { return unknown }
            try? ref.update { $0.removeAll() }
            return .none
        }
    }
}
