// `server-state-file` + `load-server-state-from-file global|local` at start: reads the files
// HAProxy 2.6 would read (server_state.c, apply_server_state), changes the configuration for
// what must be known before the tables are built (the service port, the check port and
// address), then restores each server's state in the state table. Warnings use HAProxy's
// words. Servers with a host name would take the saved address with `init-addr last`; ringproxy
// resolves names at start, so the saved address is not used.

#if canImport(Glibc)
import Glibc
#endif

struct ServerStateLoading {
    struct FileError: Error {
        var code: Int32
        var text: String { String(cString: strerror(code)) }
    }

    /// What start-up does, in HAProxy's order (backend by backend, server by server): a
    /// warning to print, or a saved line to apply to a server.
    enum Step { case warning(String), restore(backend: String, server: String, ServerStateLine) }
    var steps: [Step] = []

    /// The saved line of each server to restore, by "backend server".
    var lines: [String: ServerStateLine] {
        var out: [String: ServerStateLine] = [:]
        for case .restore(let b, let s, let line) in steps { out[b + " " + s] = line }
        return out
    }

    /// Reads the files the configuration names. `read` returns a file's text, or an errno.
    init(_ config: Configuration, read: (String) -> Result<String, FileError> = ServerStateLoading.readFile) {
        let reload = config.global.reload
        func path(_ name: String) -> String {
            guard let base = reload.serverStateBase, !name.hasPrefix("/") else { return name }
            return base.hasSuffix("/") ? base + name : base + "/" + name
        }
        var global: ServerStateFile? = nil
        if let name = reload.serverStateFile {
            let p = path(name)
            switch read(p) {
            case .success(let text):
                let f = ServerStateFile(text: text, path: p)
                steps += f.warnings.map(Step.warning)
                if f.usable { global = f }
            case .failure(let e):
                steps.append(.warning("config: Can't open global server state file '\(p)': \(e.text)"))
            }
        }
        for (pi, proxy) in config.proxies.enumerated() where proxy.isBackend && !proxy.servers.isEmpty {
            var file: ServerStateFile
            switch proxy.serverState.load {
            case .none: continue
            case .global:
                guard let g = global else { continue }
                file = g
            case .local:
                let p = path(proxy.serverState.fileName ?? proxy.name)
                guard case .success(let text) = read(p) else {
                    if case .failure(let e) = read(p) {
                        steps.append(.warning("Proxy '\(proxy.name)': Can't open server state file '\(p)': \(e.text)."))
                    }
                    continue
                }
                let id = pi + 1 + (config.global.statsSockets.isEmpty ? 0 : 1)
                file = ServerStateFile(text: text, path: p, backend: (proxy.name, id), warningPrefix: "Proxy '\(proxy.name)': ")
                steps += file.warnings.map(Step.warning)
                guard file.usable else { continue }
            }
            for s in proxy.servers {
                guard let fields = file.take(backend: proxy.name, server: s.name) else { continue }
                switch ServerStateLine.parse(fields) {
                case .success(let line): steps.append(.restore(backend: proxy.name, server: s.name, line))
                case .failure(let e): steps.append(.warning("server-state application failed for server '\(proxy.name)/\(s.name)'\(e.fields)"))
                }
            }
            if proxy.serverState.load == .local {
                for key in file.lines.keys.sorted() {
                    let server = String(key.dropFirst(proxy.name.count + 1))
                    steps.append(.warning("Proxy '\(proxy.name)': can't find server '\(server)' in backend '\(proxy.name)'"))
                }
            }
        }
    }

    /// The service port and check settings saved in the file, written into the configuration.
    func adjust(_ config: inout Configuration) {
        let lines = self.lines
        for pi in config.proxies.indices where config.proxies[pi].isBackend {
            let name = config.proxies[pi].name
            for si in config.proxies[pi].servers.indices {
                guard let line = lines[name + " " + config.proxies[pi].servers[si].name] else { continue }
                if let port = line.port, port != 0 { config.proxies[pi].servers[si].port = port }
                if let p = line.checkPort { config.proxies[pi].servers[si].checkPort = p }
                if let a = line.checkAddress { config.proxies[pi].servers[si].checkAddr = a }
            }
        }
    }

    /// Restores every saved server; returns the messages HAProxy prints while starting, in
    /// its order (a server's own state changes, the file's warnings where they arise).
    func restore(into states: ServerStateTable) -> [String] {
        var out: [String] = []
        for step in steps {
            switch step {
            case .warning(let w): out.append(w)
            case .restore(let backend, let server, let line):
                guard let slot = states.slot(backend: backend, server: server) else { continue }
                out += states.restore(line, server: slot).filter { $0.server != nil }.map(\.message)
            }
        }
        return out
    }

    static func readFile(_ path: String) -> Result<String, FileError> {
        guard let f = fopen(path, "r") else { return .failure(FileError(code: errno)) }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n > 0 { out += buf[0..<n] }
            if n < buf.count { break }
        }
        return .success(String(decoding: out, as: UTF8.self))
    }
}
