import Foundation

/// Rewrites a HAProxy configuration so it runs on this machine for a benchmark: every `bind` on a
/// local port, every `server` on a local backend, no daemon/user/pidfile/logging. For HAProxy 2.6
/// it also translates the 1.4 keywords 2.6 rejects (spec §1 and Appendix A).
struct ConfigLocalizer {
    enum Dialect { case legacy, haproxy26 }

    /// Ports handed out to `bind` lines, in order of appearance.
    var bindPorts: [UInt16]
    /// Local backend address for the n-th distinct original server address.
    var backendAddresses: [String]

    struct Output {
        var text: String
        var frontends: [(section: String, port: UInt16, routes: Bool)]  // routes: has backends/servers
        var serverAddresses: [String]       // distinct original server addresses, in order
    }

    func localize(_ config: String, dialect: Dialect) -> Output {
        var out: [String] = []
        var frontends: [(String, UInt16, Bool)] = []
        var servers: [String] = []
        var sectionName = ""
        var nextBind = 0
        for rawLine in config.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(rawLine)
            let code = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let words = code.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let key = words.first else { out.append(line); continue }
            let indent = String(line.prefix { $0 == " " || $0 == "\t" })
            let pad = indent.isEmpty ? "    " : indent
            if ["global", "defaults", "frontend", "backend", "listen"].contains(key) && indent.isEmpty {
                sectionName = words.count > 1 ? words[1] : ""
                out.append(line)
                continue
            }
            switch key {
            case "daemon", "user", "group", "uid", "gid", "pidfile", "chroot", "log":
                out.append("\(pad)# ringbench: dropped \(words.joined(separator: " "))")
            case "stats" where words.count > 1 && words[1] == "socket":
                out.append("\(pad)# ringbench: dropped \(words.joined(separator: " "))")
            case "nbproc" where dialect == .haproxy26:
                out.append("\(pad)# nbproc removed (fatal since 2.5)")
            case "contimeout", "clitimeout", "srvtimeout":
                guard dialect == .haproxy26 else { out.append(line); break }
                let kind = ["contimeout": "connect", "clitimeout": "client", "srvtimeout": "server"][key]!
                out.append("\(pad)timeout \(kind) \(words.dropFirst().joined(separator: " "))")
            case "appsession" where dialect == .haproxy26 && words.count >= 2:
                out.append(contentsOf: appsessionAsStickTable(words).map { pad + $0 })
            case "bind" where words.count >= 2:
                let port = nextBind < bindPorts.count ? bindPorts[nextBind] : 0
                nextBind += 1
                frontends.append((sectionName, port, false))
                out.append("\(pad)bind 127.0.0.1:\(port) \(words.dropFirst(2).joined(separator: " "))")
            case "server" where words.count >= 3:
                let original = words[2]
                if !servers.contains(original) { servers.append(original) }
                let idx = servers.firstIndex(of: original)!
                let local = backendAddresses.isEmpty ? original : backendAddresses[idx % backendAddresses.count]
                out.append("\(pad)server \(words[1]) \(local) \(words.dropFirst(3).joined(separator: " "))")
                markRoutes(&frontends, sectionName)
            case "use_backend", "default_backend":
                out.append(line)
                markRoutes(&frontends, sectionName)
            default:
                out.append(line)
            }
        }
        return Output(text: out.joined(separator: "\n"), frontends: frontends, serverAddresses: servers)
    }

    private func markRoutes(_ f: inout [(String, UInt16, Bool)], _ name: String) {
        for i in f.indices where f[i].0 == name { f[i].2 = true }
    }

    /// `appsession <cookie> len <n> timeout <t> [request-learn]` → the stick-table form of
    /// spec Appendix A (cookie in requests, the `;cookie=` URL parameter, learned from responses).
    func appsessionAsStickTable(_ words: [String]) -> [String] {
        let cookie = words[1]
        var len = "64", expire = "3h"
        var i = 2
        while i + 1 < words.count {
            if words[i] == "len" { len = words[i + 1] }
            if words[i] == "timeout" { expire = words[i + 1] }
            i += 1
        }
        return ["# appsession \(words.dropFirst().joined(separator: " "))",
                "stick-table type string len \(len) size 1m expire \(expire)",
                "stick on req.cook(\(cookie))",
                "stick on urlp(\(cookie),;)",
                "stick store-response res.cook(\(cookie))"]
    }

    /// Distinct original server addresses, to size the set of local backends.
    static func serverCount(_ config: String) -> Int {
        let probe = ConfigLocalizer(bindPorts: [], backendAddresses: [])
        return probe.localize(config, dialect: .legacy).serverAddresses.count
    }
}
