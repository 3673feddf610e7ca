// `server … track [BACKEND/]SERVER`: checked once every section is read, as HAProxy 2.6 does
// (servers in file order; a tracked server must have health checks or track another one; a
// chain may not loop back; a tracking server has no checks of its own). Messages are HAProxy's.

enum TrackChecks {
    struct ServerRef: Hashable { var proxy: Int; var server: Int }

    static func run(_ state: inout ParseState) {
        let proxies = state.config.proxies
        var resolved: [ServerRef: ServerRef] = [:]
        for (pi, p) in proxies.enumerated() where p.isBackend {
            for (si, s) in p.servers.enumerated() {
                guard let track = s.options.track else { continue }
                let me = "'server \(p.name)/\(s.name)'"
                func fail(_ text: String) { state.errors.append(ConfigError(s.location, "server", "\(me) : \(text)")) }
                if s.check {
                    fail("unable to enable checks and tracking at the same time!")
                    continue
                }
                let backendName = track.backend ?? p.name
                guard let ti = proxies.firstIndex(where: { $0.name == backendName && $0.isBackend }) else {
                    fail("unable to find required proxy '\(backendName)' for tracking.")
                    continue
                }
                guard let tsi = proxies[ti].servers.firstIndex(where: { $0.name == track.server }) else {
                    fail("unable to find required server '\(track.server)' for tracking.")
                    continue
                }
                let target = proxies[ti].servers[tsi]
                let targetName = "\(backendName)/\(target.name)"
                if !target.check && target.options.track == nil {
                    fail("unable to use \(targetName) for tracking as it does not have any check nor agent enabled.")
                    continue
                }
                let mine = ServerRef(proxy: pi, server: si), theirs = ServerRef(proxy: ti, server: tsi)
                var loop: ServerRef? = theirs
                while let l = loop, l != mine { loop = resolved[l] }
                if loop == mine {
                    fail("unable to track \(targetName) as it belongs to a tracking chain looping back to \(p.name)/\(s.name).")
                    continue
                }
                resolved[mine] = theirs
            }
        }
    }

    /// For each server slot (backends' servers in file order, as ServerStateTable numbers them),
    /// the slot of the server it tracks, or nil.
    static func trackedSlots(_ configuration: Configuration) -> [Int?] {
        var slotOf: [String: Int] = [:]
        var targets: [String?] = []
        for p in configuration.proxies where p.isBackend {
            for s in p.servers {
                slotOf["\(p.name)/\(s.name)"] = targets.count
                targets.append(s.options.track.map { "\($0.backend ?? p.name)/\($0.server)" })
            }
        }
        return targets.map { $0.flatMap { slotOf[$0] } }
    }
}
