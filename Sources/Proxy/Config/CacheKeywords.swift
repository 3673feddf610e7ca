// The `cache NAME` section and `filter cache NAME`, as HAProxy 2.6's cfg_parse_cache and
// parse_cache_flt read them. `process-vary on` is refused: Vary is not implemented yet (a
// response with a Vary header is not stored, as HAProxy does with process-vary off).

enum CacheKeywords {
    static func open(_ words: [String], at location: SourceLocation, state: inout ParseState) {
        guard words.count >= 2, !words[1].isEmpty else {
            ConfigParser.abort(&state, ConfigError(location, "cache", "'cache' expects a <name> argument"))
            return
        }
        if words.count > 2 { state.errors.append(ConfigError(location, "cache", "unexpected argument '\(words[2])'; expected 'cache NAME'")) }
        var name = words[1]
        if name.count > 32 {
            name = String(name.prefix(32))
            state.warn(location, "cache name is limited to 32 characters, truncate to '\(name)'.")
        }
        if state.config.caches.contains(where: { $0.name == name }) {
            ConfigParser.abort(&state, ConfigError(location, "cache", "Duplicate cache name '\(name)'."))
            return
        }
        state.config.caches.append(CacheConfig(name: name, location: location))
    }

    /// The end of a cache section: its size is required, an object may take half of it.
    static func close(_ state: inout ParseState) {
        guard let c = state.config.caches.last else { return }
        if c.totalMaxSize <= 0 {
            state.errors.append(ConfigError(c.location, "cache", "Size not specified for cache '\(c.name)'"))
        } else if c.maxObjectSize > c.totalMaxSize / 2 {
            state.errors.append(ConfigError(c.location, "cache", "\"max-object-size\" is limited to an half of \"total-max-size\" => \(c.totalMaxSize / 2)"))
        }
    }

    /// Every cache-use, cache-store and `filter cache` names a cache section.
    static func checkReferences(_ state: inout ParseState) {
        let names = Set(state.config.caches.map(\.name))
        func check(_ name: String, _ location: SourceLocation, _ what: String) {
            guard !names.contains(name) else { return }
            state.errors.append(ConfigError(location, what, "unable to find the cache '\(name)' referenced by '\(what)'"))
        }
        for p in state.config.proxies {
            for f in p.cacheFilters { check(f.name, f.location, "filter cache") }
            for r in p.rules.httpRequest { if case .cacheUse(let n) = r.action { check(n, r.location, "http-request cache-use") } }
            for r in p.rules.httpResponse { if case .cacheStore(let n) = r.action { check(n, r.location, "http-response cache-store") } }
        }
    }

    static func last(_ state: inout ParseState) -> Int { state.config.caches.count - 1 }

    static let all: [ConfigKeyword] = [
        ConfigKeyword("total-max-size", .cache, "total-max-size MEGABYTES", "Cache: the size of the cache in megabytes (required).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "total-max-size MEGABYTES")
            guard let mb = UInt(line.argument(0)!) else { throw line.error("total-max-size wrong value '\(line.argument(0)!)'") }
            guard mb <= UInt(UInt32.max >> 20) else { throw line.error("\"total-max-size\" (\(mb)) must not be greater than \(UInt32.max >> 20)") }
            state.config.caches[last(&state)].totalMaxSize = Int(mb) << 20
        },
        ConfigKeyword("max-object-size", .cache, "max-object-size BYTES", "Cache: the largest object stored (default: a 256th of total-max-size; at most half of it).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "max-object-size BYTES")
            guard let n = UInt32(line.argument(0)!) else { throw line.error("max-object-size wrong value '\(line.argument(0)!)'") }
            state.config.caches[last(&state)].maxObjectSize = Int(n)
        },
        ConfigKeyword("max-age", .cache, "max-age SECONDS", "Cache: the longest an object stays fresh, whatever the response says (default 60).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "max-age SECONDS")
            guard let n = Int(line.argument(0)!), n >= 0 else { throw line.error("max-age expects an age in seconds, got '\(line.argument(0)!)'") }
            state.config.caches[last(&state)].maxAge = n
        },
        ConfigKeyword("process-vary", .cache, "process-vary off", "Cache: Vary processing; only 'off' (the default) is implemented: a response with a Vary header is not stored.") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "process-vary on|off")
            switch line.argument(0)! {
            case "off": state.config.caches[last(&state)].processVary = false
            case "on": throw line.error("'process-vary on' is not supported by ringproxy yet (responses with a Vary header are never stored); remove it or use 'process-vary off'")
            default: throw line.error("'process-vary' expects \"on\" or \"off\" (enable or disable vary processing).")
            }
        },
        ConfigKeyword("max-secondary-entries", .cache, "max-secondary-entries N", "Cache: entries per primary key with Vary (accepted; Vary is not processed).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "max-secondary-entries N")
            guard let n = UInt32(line.argument(0)!), n > 0 else { throw line.error("max-secondary-entries wrong value '\(line.argument(0)!)'") }
            state.config.caches[last(&state)].maxSecondaryEntries = Int(n)
        },
        ConfigKeyword("filter", [.frontend, .backend, .listen], "filter cache NAME", "Declare the cache filter explicitly (only 'filter cache' is implemented).") { state, line throws(ConfigError) in
            guard let kind = line.argument(0) else { throw line.error("missing filter name; expected 'filter cache NAME'") }
            guard kind == "cache" else {
                throw line.error("'filter \(kind)' is not implemented by ringproxy; only 'filter cache NAME' is")
            }
            guard let name = line.argument(1) else { throw line.error("cache : expects a <name> argument") }
            if line.argumentCount > 2 { throw line.error("unexpected argument '\(line.argument(2)!)'; expected 'filter cache NAME'") }
            if state.proxy.cacheFilters.contains(where: { $0.name == name }) {
                throw line.error("\(state.proxy.name): multiple explicit declarations of the cache filter '\(name)'")
            }
            state.proxy.cacheFilters.append((name, line.location))
        },
    ]
}
