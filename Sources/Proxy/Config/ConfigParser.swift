// Reads HAProxy-dialect configuration text into a Configuration: splits lines, lexes them,
// tracks sections and defaults inheritance, dispatches keywords through the registry, and
// runs the cross-section checks at the end. Errors are collected, not thrown one by one.

import Foundation

public enum ConfigParser {
    /// Parses one file's text. `file` names it in messages.
    /// `environment` is what `"${VAR}"` reads (empty by default: tests state what they need).
    public static func parse(text: String, file: String, environment: ConfigEnvironment = ConfigEnvironment(),
                             localPeer: String? = nil) throws(ConfigErrors) -> Configuration {
        var state = ParseState()
        state.environment = environment
        state.setLocalPeer(fromCommandLine: localPeer)
        feed(text, file: file, into: &state)
        return try finish(&state)
    }

    /// Parses several files as one configuration, in order, as `haproxy -f a -f b` does:
    /// the last `defaults` of a file still applies to the next one. `environment` defaults to
    /// this process's; the command line adds HAProxy's own variables (HAPROXY_LOCALPEER).
    /// `localPeer`: `-L NAME` (nil: the host name, or `localpeer`).
    public static func load(paths: [String], environment: ConfigEnvironment = .process(),
                            localPeer: String? = nil) throws(ConfigErrors) -> Configuration {
        var state = ParseState()
        state.environment = environment
        state.setLocalPeer(fromCommandLine: localPeer)
        let files = expandDirectories(paths)
        for path in files where !state.aborted {
            guard let data = FileManager.default.contents(atPath: path) else {
                state.errors.append(ConfigError(file: path, line: 0, keyword: "", message: "cannot open configuration file"))
                continue
            }
            feed(String(decoding: data, as: UTF8.self), file: path, into: &state)
            if let missing = missingFinalLineFeed(data) {
                // HAProxy refuses it: a file cut short while being written must not start.
                state.errors.append(ConfigError(file: path, line: missing.line, keyword: "",
                                                message: "Missing LF on last line, file might have been truncated at position \(missing.position)."))
            }
        }
        // Set once the files are read, as HAProxy does (the files cannot see it themselves).
        state.environment.set("HAPROXY_CFGFILES", files.joined(separator: ";"))
        return try finish(&state)
    }

    /// The last line of a non-empty file that does not end with a line feed: its number and
    /// HAProxy's "position" (the line's length plus one).
    static func missingFinalLineFeed(_ data: Data) -> (line: Int, position: Int)? {
        guard let last = data.last, last != UInt8(ascii: "\n") else { return nil }
        let lineFeeds = data.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        let start = (data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? data.startIndex
        return (lineFeeds + 1, data.endIndex - start + 1)
    }

    /// A directory stands for its `*.cfg` files in lexical order, as with `haproxy -f DIR`.
    static func expandDirectories(_ paths: [String]) -> [String] {
        paths.flatMap { path -> [String] in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
                  let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return [path] }
            return names.filter { $0.hasSuffix(".cfg") }.sorted().map { path + "/" + $0 }
        }
    }

    static let sectionHeaders: Set<String> = Set(ConfigSection.allCases.map(\.rawValue))
    /// HAProxy sections that ringproxy does not implement: an error, then their lines are skipped.
    static let unsupportedSections: Set<String> = [
        "mailers",
        "dynamic-update", "namespace_list", "crt-store", "traces",
    ]

    /// HAProxy sections that do nothing until something refers to them, and whose users
    /// ringproxy refuses: read past with a warning (`use-fcgi-app` is an error).
    static let skippedSections: [String: String] = [
        "fcgi-app": "FastCGI is not implemented in ringproxy; a backend's 'use-fcgi-app' is refused",
    ]

    static func feed(_ text: String, file: String, into state: inout ParseState) {
        state.skippingSection = false       // each file starts outside any section
        var lineNumber = 0
        let firstWarningOfFile = state.config.warnings.count
        var firstNoBreakSpaceLine: Int? = nil
        var blocks = ConditionalBlocks()
        for rawLine in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let location = SourceLocation(file: file, line: lineNumber)
            let lexed: LexedLine
            do {
                let context = LexContext(environment: state.environment, file: file, line: lineNumber, section: state.sectionName)
                lexed = try ConfigLexer.lex(Substring(rawLine).utf8, context: context)
            } catch {
                state.errors.append(ConfigError(location, "", error.message))
                continue
            }
            if lexed.sawNoBreakSpace, firstNoBreakSpaceLine == nil { firstNoBreakSpaceLine = lineNumber }
            guard let head = lexed.words.first else { continue }
            if ConditionalBlocks.names.contains(head) {
                let problem = blocks.apply(head, Array(lexed.words.dropFirst())) { expression in
                    PreprocessorCondition.evaluate(expression, PreprocessorCondition.Context(environment: state.environment))
                }
                if let problem { abort(&state, ConfigError(location, "", problem)) }
            } else if !blocks.isReading {
                continue
            } else if head.hasPrefix(".") {
                Directives.apply(lexed.words, at: location, state: &state)
            } else {
                handle(lexed.words, at: location, state: &state)
            }
            if state.aborted { break }
        }
        if blocks.isOpen && !state.aborted {
            abort(&state, ConfigError(SourceLocation(file: file, line: lineNumber), "", "non-terminated '.if' block"))
        }
        closeSection(&state)
        state.section = nil
        if let line = firstNoBreakSpaceLine {
            // Listed first among the file's warnings: it explains any odd message after it.
            state.config.warnings.insert("\(SourceLocation(file: file, line: line)): U+00A0 (no-break space) found, first on this line; treated as a blank space everywhere outside quotes (HAProxy rejects such lines)", at: firstWarningOfFile)
        }
    }

    static func handle(_ words: [String], at location: SourceLocation, state: inout ParseState) {
        let head = words[0]
        if sectionHeaders.contains(head) || unsupportedSections.contains(head) || skippedSections[head] != nil {
            state.sectionName = words.count > 1 && !words[1].isEmpty ? words[1] : head
        }
        if sectionHeaders.contains(head), let section = ConfigSection(rawValue: head) {
            openSection(section, words, at: location, state: &state)
            return
        }
        if skippedSections[head] != nil || unsupportedSections.contains(head) {
            // Its lines are read past, up to the next section.
            closeSection(&state)
            state.section = nil
            state.skippingSection = true
        }
        if let why = skippedSections[head] {
            state.config.warnings.append("\(location): section '\(head)\(words.count > 1 ? " " + words[1] : "")' is skipped: \(why)")
            return
        }
        if unsupportedSections.contains(head) {
            state.errors.append(ConfigError(location, head, "section '\(head)' is not supported by ringproxy; expected one of \(ConfigSection.allCases.map(\.rawValue).joined(separator: ", "))"))
            return
        }
        if state.skippingSection { return }
        guard let section = state.section else {
            let hint = EditDistance.suggestion(for: head, among: Array(sectionHeaders)).map { " (did you mean '\($0)'?)" } ?? ""
            state.errors.append(ConfigError(location, head, "keyword outside of any section; a file starts with a section header: global, defaults, frontend, backend, listen or peers\(hint)"))
            return
        }
        do {
            try dispatch(words, section: section, at: location, state: &state)
        } catch {
            state.errors.append(error)
        }
    }

    static func dispatch(_ allWords: [String], section: ConfigSection, at location: SourceLocation, state: inout ParseState) throws(ConfigError) {
        var words = allWords
        var negated = false
        if words[0] == "no", words.count > 1 {
            negated = true
            words.removeFirst()
        }
        let resolved = try KeywordRegistry.resolve(words, section: section, at: location)
        let keyword = resolved.keyword
        if negated && !keyword.negatable {
            throw ConfigError(location, keyword.name, "'no' cannot be used with '\(keyword.name)'")
        }
        guard keyword.sections.contains(SectionSet(section)) else {
            if isCapabilityMismatch(keyword, section) {
                // HAProxy warns and ignores a frontend-side keyword in a backend (and vice versa).
                let missing = section == .frontend ? "backend" : "frontend"
                state.warn(location, "'\(keyword.name)' ignored because \(section.rawValue) '\(state.proxy.name)' has no \(missing) capability")
                return
            }
            throw ConfigError(location, keyword.name, "not allowed in a '\(section.rawValue)' section; allowed in: \(keyword.sections.names.joined(separator: ", "))")
        }
        let line = KeywordLine(words: words, argumentStart: resolved.argumentStart, keyword: keyword.name, location: location, negated: negated)
        if keyword.ignored {
            state.warn(location, "'\(allWords.joined(separator: " "))' ignored: '\(keyword.name)' has no effect in ringproxy")
            return
        }
        try keyword.handler(&state, line)
        for w in line.warnings.messages { state.warn(location, "'\(keyword.name)': \(w)") }
    }

    /// A listen-capable keyword used on the wrong side (frontend vs backend); `server` lines stay errors, as in HAProxy.
    static func isCapabilityMismatch(_ keyword: ConfigKeyword, _ section: ConfigSection) -> Bool {
        (section == .frontend || section == .backend) && keyword.sections.contains(.listen)
            && keyword.name != "server" && keyword.name != "default-server"
    }

    // MARK: sections

    static func openSection(_ section: ConfigSection, _ words: [String], at location: SourceLocation, state: inout ParseState) {
        closeSection(&state)
        state.section = section
        state.skippingSection = false
        state.proxyIsDiscarded = false
        if section == .ring { return RingKeywords.open(words, at: location, state: &state) }
        if section == .program { return ProgramKeywords.open(words, at: location, state: &state) }
        if section == .resolvers { return ResolversKeywords.open(words, at: location, state: &state) }
        if section == .logForward { return LogForwardKeywords.open(words, at: location, state: &state) }
        if section == .cache { return CacheKeywords.open(words, at: location, state: &state) }
        if section == .peers { PeersKeywords.openSection(words, at: location, state: &state); return }
        guard let kind = section.proxyKind else {
            if section != .global { RuleSections.open(section, words, at: location, state: &state); return }
            if words.count > 1 { state.errors.append(ConfigError(location, "global", "unexpected argument '\(words[1])'; 'global' takes none")) }
            return
        }
        let header = SectionHeader(words, isDefaults: kind == .defaults)
        var name = header.name
        if kind == .defaults {
            // A defaults section starts from scratch, or from the one it names with `from`.
            if let extra = header.unexpected {
                state.errors.append(ConfigError(location, "defaults", "unexpected argument '\(extra)'; expected 'defaults [NAME] [from DEFAULTS]'"))
            }
            guard let (base, template) = state.baseDefaults(header, kind: kind, at: location) else { state.skippingSection = true; return }
            state.proxy = base
            state.proxy.kind = .defaults
            state.proxy.name = name
            state.proxy.location = location
            state.serverTemplate = template
            return
        }
        if name.isEmpty {
            state.errors.append(ConfigError(location, section.rawValue, "missing name; expected '\(section.rawValue) NAME'"))
            state.proxyIsDiscarded = true
            name = "<unnamed>"
        } else if let extra = header.unexpected {
            state.errors.append(ConfigError(location, section.rawValue, "unexpected argument '\(extra)' after the name; expected '\(section.rawValue) NAME [from DEFAULTS]' (listening addresses go on 'bind' lines)"))
        }
        if !state.proxyIsDiscarded, let bad = name.unicodeScalars.first(where: { !isProxyNameCharacter($0) }) {
            state.errors.append(ConfigError(location, section.rawValue, "invalid character '\(bad)' in name '\(name)'; expected letters, digits, '-', '_', '.' or ':'"))
        }
        if !state.proxyIsDiscarded, let clash = state.config.proxies.first(where: { $0.name == name && namesClash($0.kind, kind) }) {
            state.errors.append(ConfigError(location, section.rawValue, "duplicate name '\(name)'; \(clash.kind.rawValue) '\(name)' is already defined at \(clash.location)"))
        }
        guard let (base, template) = state.baseDefaults(header, kind: kind, at: location) else { state.skippingSection = true; return }
        state.proxy = inherit(base, kind: kind, name: name, location: location)
        state.serverTemplate = template
    }

    /// Ends the current section: a defaults becomes the new base, a proxy joins the configuration.
    static func closeSection(_ state: inout ParseState) {
        guard let section = state.section, !state.skippingSection else { return }
        state.section = nil
        switch section {
        case .global, .ring, .userlist, .httpErrors, .resolvers, .logForward: return
        case .cache: CacheKeywords.close(&state)
        case .program: ProgramKeywords.close(&state)
        case .peers: PeersKeywords.closeSection(&state)
        case .defaults:
            state.keepDefaults(state.proxy, state.serverTemplate)
        case .frontend, .backend, .listen:
            ProxyChecks.endOfSection(&state)
            if !state.proxyIsDiscarded { state.config.proxies.append(state.proxy) }
        }
    }

    /// A frontend and a backend may share a name (HAProxy allows it); a listen clashes with both.
    static func namesClash(_ a: ProxyKind, _ b: ProxyKind) -> Bool {
        let frontA = a == .frontend || a == .listen, backA = a == .backend || a == .listen
        let frontB = b == .frontend || b == .listen, backB = b == .backend || b == .listen
        return (frontA && frontB) || (backA && backB)
    }

    static func isProxyNameCharacter(_ c: Unicode.Scalar) -> Bool {
        c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || "-_.:".unicodeScalars.contains(c))
    }

    /// A proxy starts from the defaults, keeping only what applies to its kind.
    static func inherit(_ defaults: ProxyConfig, kind: ProxyKind, name: String, location: SourceLocation) -> ProxyConfig {
        var proxy = defaults
        proxy.kind = kind
        proxy.name = name
        proxy.location = location
        let blank = ProxyConfig(kind: kind, name: name, location: location)
        if kind == .frontend {
            // Backend-side settings do not apply to a frontend.
            proxy.balance = blank.balance
            proxy.balancing = blank.balancing
            proxy.hashType = blank.hashType
            proxy.cookie = blank.cookie
            proxy.appSession = blank.appSession
            proxy.retries = blank.retries
            proxy.redispatch = blank.redispatch
            proxy.abortOnClose = blank.abortOnClose
            proxy.checks = blank.checks
            proxy.httpReuse = blank.httpReuse
            proxy.timeouts.connect = nil
            proxy.timeouts.server = nil
            proxy.timeouts.queue = nil
            proxy.timeouts.check = nil
            proxy.timeouts.tunnel = nil
        }
        if kind == .backend {
            // Frontend-side settings do not apply to a backend.
            proxy.maxconn = blank.maxconn
            proxy.httpLog = blank.httpLog
            proxy.dontLogNull = blank.dontLogNull
            proxy.defaultBackend = blank.defaultBackend
            proxy.monitorURI = blank.monitorURI
            proxy.timeouts.client = nil
        }
        return proxy
    }

    /// A fatal error after which nothing more is read (HAProxy's ERR_ABORT).
    static func abort(_ state: inout ParseState, _ error: ConfigError) {
        state.errors.append(error)
        state.aborted = true
    }

    static func finish(_ state: inout ParseState) throws(ConfigErrors) -> Configuration {
        closeSection(&state)
        ProxyChecks.endOfConfiguration(&state)
        state.config.preprocessor.environment = state.environment
        RingKeywords.checkReferences(&state)
        LogForwardKeywords.endOfConfiguration(&state)
        CheckKeywords.endOfConfiguration(&state)
        PeersChecks.endOfConfiguration(&state)
        ResolversKeywords.checkReferences(&state)
        CacheKeywords.checkReferences(&state)
        RuleSections.compileCheck(&state)
        if !state.errors.isEmpty { throw ConfigErrors(errors: state.errors, warnings: state.config.warnings) }
        return state.config
    }
}
