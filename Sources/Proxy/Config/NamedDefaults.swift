// Named defaults sections, as HAProxy 2.6 has them: `defaults NAME [from OTHER]` and
// `frontend|backend|listen NAME from DEFAULTS`. A proxy without `from` still starts from the
// last defaults section read (named or not); `from` picks one by name. A defaults section
// starts from scratch unless it says `from`. Checked against haproxy 2.6.12 -c:
// - a name defined twice and then referenced is ambiguous (fatal);
// - an unknown name is fatal;
// - a defaults section both referenced by name and used implicitly draws HAProxy's alert,
//   which does not fail the load (a warning here).

/// One defaults section kept for `from NAME`.
struct DefaultsSection {
    var proxy: ProxyConfig
    var serverTemplate: ServerTemplate
    /// Another defaults section with the same name read before this one (ambiguous if referenced).
    var previous: SourceLocation? = nil
    var explicitlyReferenced = false
    var implicitlyUsed = false
    /// Which kinds of proxies inherit from it (DefaultsRuleInheritance).
    var usedByFrontend = false
    var usedByBackend = false
}

/// The section line of a defaults or proxy section: its name and the `from` it names.
struct SectionHeader {
    var name: String
    var from: String?
    /// A word that is neither the name nor `from NAME`.
    var unexpected: String?

    init(_ words: [String], isDefaults: Bool) {
        var rest = Array(words.dropFirst())
        if isDefaults, rest.first == "from", rest.count >= 2 { rest.insert("", at: 0) }   // `defaults from X`
        name = rest.first ?? ""
        from = nil
        unexpected = nil
        if rest.count >= 3, rest[1] == "from" {
            from = rest[2]
            if rest.count > 3 { unexpected = rest[3] }
        } else if rest.count >= 2 {
            unexpected = rest[1]
        }
    }
}

extension ParseState {
    /// The defaults a new section starts from: `from NAME`, else (for a proxy) the last one read.
    /// Nil after an error (reported).
    mutating func baseDefaults(_ header: SectionHeader, kind: ProxyKind, at location: SourceLocation) -> (ProxyConfig, ServerTemplate)? {
        guard let from = header.from else {
            if kind == .defaults { return (ProxyConfig(kind: .defaults, name: header.name, location: location), ServerTemplate()) }
            if let name = lastDefaultsName, var d = namedDefaults[name] {
                d.implicitlyUsed = true
                namedDefaults[name] = d
                warnIfMixed(name, d, at: location)
                checkRuleInheritance(name, kind: kind, at: location)
            }
            return (defaults, defaultsServerTemplate)
        }
        guard var d = namedDefaults[from] else {
            let known = namedDefaults.keys.sorted()
            var message = "defaults section '\(from)' not found for \(kind.rawValue) '\(header.name)'"
            if let s = EditDistance.suggestion(for: from, among: known) { message += " (did you mean '\(s)'?)" }
            errors.append(ConfigError(location, kind.rawValue, message))
            aborted = true            // HAProxy stops reading here (ERR_ABORT)
            return nil
        }
        if let previous = d.previous {
            errors.append(ConfigError(location, kind.rawValue, "ambiguous defaults section name '\(from)' referenced by \(kind.rawValue) '\(header.name)' exists at least at \(previous) and \(d.proxy.location)"))
        }
        d.explicitlyReferenced = true
        namedDefaults[from] = d
        warnIfMixed(from, d, at: location)
        checkRuleInheritance(from, kind: kind, at: location)
        return (d.proxy, d.serverTemplate)
    }

    private mutating func warnIfMixed(_ name: String, _ d: DefaultsSection, at location: SourceLocation) {
        guard d.explicitlyReferenced && d.implicitlyUsed else { return }
        warn(location, "defaults section '\(name)' (declared at \(d.proxy.location)) is explicitly referenced by another proxy and implicitly used here. To avoid any ambiguity don't mix both usage. Add a last defaults section not explicitly used or always use explicit references.")
    }

    /// A defaults section ends: it becomes the last one, and can be named by `from`.
    mutating func keepDefaults(_ proxy: ProxyConfig, _ template: ServerTemplate) {
        defaults = proxy
        defaultsServerTemplate = template
        lastDefaultsName = proxy.name.isEmpty ? nil : proxy.name
        guard !proxy.name.isEmpty else { return }
        let previous = namedDefaults[proxy.name]?.proxy.location
        namedDefaults[proxy.name] = DefaultsSection(proxy: proxy, serverTemplate: template, previous: previous)
    }
}
