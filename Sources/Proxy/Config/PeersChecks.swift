// Checks that need the whole file: `stick-table ... peers NAME` and `stick ... table NAME`
// references, and HAProxy's clean-up of peers sections (a section without the local peer is
// removed with a warning; a disabled one stays, unshared).

enum PeersChecks {
    static func endOfConfiguration(_ state: inout ParseState) {
        let sections = state.peers.sections
        let local = state.peers.localPeer
        for proxy in state.config.proxies {
            if let name = proxy.stickTable?.peers {
                if let section = sections.first(where: { $0.name == name }) {
                    if !section.disabled && section.peers.isEmpty && section.bind == nil && section.tables.isEmpty
                        && section.loggers.isEmpty && section.defaultServer.isEmpty && section.defaultBind.isEmpty {
                        state.errors.append(ConfigError(proxy.location, "stick-table", "Proxy '\(proxy.name)': unable to find local peer '\(local)' in peers section '\(name)'"))
                    }
                } else {
                    state.errors.append(ConfigError(proxy.location, "stick-table", "Proxy '\(proxy.name)': unable to find sync peers '\(name)'"))
                }
            }
            if proxy.appSession != nil, let t = proxy.stickTable, t.type != "string" {
                state.errors.append(ConfigError(proxy.location, "stick-table", "Proxy '\(proxy.name)': the table behind 'appsession' holds strings; expected 'stick-table type string ...', not '\(t.type)'"))
            }
            checkStickRuleTables(proxy, sections, &state)
        }
        for var section in sections {
            guard let i = section.localIndex, !section.peers[i].name.isEmpty else {
                state.warn(section.location, "Removing incomplete section 'peers \(section.name)' (no peer named '\(local)')")
                continue
            }
            section.peers[i].isLocal = true
            state.config.peers.sections.append(section)
        }
        state.config.peers.localPeer = local
    }

    /// `stick ... table NAME`: NAME is a backend/frontend with a stick-table, or `SECTION/TABLE`.
    /// ringproxy keeps one table per backend's stick rules.
    static func checkStickRuleTables(_ proxy: ProxyConfig, _ sections: [PeersSectionConfig], _ state: inout ParseState) {
        var used: Set<String> = []
        for rule in proxy.stickRules {
            let name = rule.table ?? proxy.name
            used.insert(name)
            guard rule.table != nil else { continue }
            if !tableExists(name, state.config.proxies, sections) {
                state.errors.append(ConfigError(proxy.location, "stick " + rule.kind.rawValue, "Proxy '\(proxy.name)': unable to find stick-table '\(name)'"))
            }
        }
        if used.count > 1 {
            state.errors.append(ConfigError(proxy.location, "stick", "Proxy '\(proxy.name)': its stick rules use several tables (\(used.sorted().joined(separator: ", "))); ringproxy keeps one table per backend"))
        }
    }

    static func tableExists(_ name: String, _ proxies: [ProxyConfig], _ sections: [PeersSectionConfig]) -> Bool {
        if proxies.contains(where: { $0.name == name && $0.stickTable != nil }) { return true }
        guard let slash = name.firstIndex(of: "/") else { return false }
        let section = String(name[..<slash]), table = String(name[name.index(after: slash)...])
        return sections.contains { $0.name == section && $0.tables.contains { $0.name == table } }
    }
}

extension ParseState {
    /// `-L NAME` (nil: keep the host name, `localpeer` may still change it).
    mutating func setLocalPeer(fromCommandLine name: String?) {
        guard let name else { return }
        peers.localPeer = name
        peers.localPeerFromCommandLine = true
    }
}
