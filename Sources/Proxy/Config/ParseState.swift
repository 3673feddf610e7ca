// What the parser carries from line to line: the configuration so far, the section being
// read, the most recent `defaults`, and the diagnostics.

struct ParseState {
    var config = Configuration()
    var errors: [ConfigError] = []
    /// The section being read; nil before the first section header of a file.
    var section: ConfigSection? = nil
    /// Lines of an unsupported section (userlist, peers, ...) are skipped after one error.
    var skippingSection = false
    /// The proxy being read (for `defaults`, the defaults being built).
    var proxy = ProxyConfig(kind: .defaults, name: "", location: SourceLocation(file: "", line: 0))
    /// The most recent complete `defaults` section; each proxy starts from it.
    var defaults = ProxyConfig(kind: .defaults, name: "", location: SourceLocation(file: "", line: 0))
    /// `default-server` options of the current section (and of the last `defaults`).
    var serverTemplate: ServerTemplate = ServerTemplate()
    var defaultsServerTemplate: ServerTemplate = ServerTemplate()
    /// Named defaults sections, for `from NAME` (NamedDefaults.swift); the name of the last one read.
    var namedDefaults: [String: DefaultsSection] = [:]
    var lastDefaultsName: String? = nil
    /// Skip adding the current proxy (its header was wrong) but keep checking its lines.
    var proxyIsDiscarded = false
    var anonymousAclCount = 0
    /// The environment `$VAR` reads; `setenv` & co. change it for the lines after them.
    var environment = ConfigEnvironment()
    /// `.SECTION`: the name of the section being read, or its type when it has none.
    var sectionName = ""
    /// A fatal preprocessor error (`.alert`, a misplaced `.else`, a bad `.if`): HAProxy stops
    /// reading there, and so does ringproxy.
    var aborted = false
    /// `peers` sections and the local peer name (PeersKeywords).
    var peers = PeersParseState()

    mutating func note(_ location: SourceLocation, _ text: String) {
        config.notes.append("\(location): \(text)")
    }

    mutating func warn(_ location: SourceLocation, _ text: String) {
        config.warnings.append("\(location): \(text)")
    }
}

/// Options given by `default-server`, applied to each later `server` line of the section.
struct ServerTemplate {
    var options: [[String]] = []    // the option words of each default-server line, in order
}
