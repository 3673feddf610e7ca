// What the resolver thread changes in the running proxy: a server's address (through the same
// worker mailbox as `set server addr`), its maintenance (resolution) flag, and the names
// `show servers state` reports (srv_fqdn, srvrecord).
#if canImport(Glibc)
import Glibc
#endif

extension RuntimeControl {
    /// Points the workers at `host:port` for `slot`; logs HAProxy's "changed its IP" line.
    package func applyResolvedAddress(_ slot: Int, host: String, port: Int, hostname: String?) {
        let old = serverAddress(slot)
        guard let (ss, len) = makeSockaddr(host: host, port: port) else { return }
        serverAddresses.withLock { $0[slot] = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
        if let hostname { resolvedNames.withLock { $0[slot] = hostname } }
        if let engine, let mailbox { _ = mailbox.gather { w in engine.setServerAddress(worker: w, server: slot, ss, len) } }
        let info = states.servers[slot]
        let oldIP = AddressParser.isIP(old.host) && old.port != 0 ? old.host : "(none)"
        if oldIP != host {
            logEvent(HealthEvent(backend: info.proxyName, server: info.name, level: ServerStateControl.notice,
                                 message: "\(info.proxyName)/\(info.name) changed its IP from \(oldIP) to \(host) by DNS cache."))
        }
    }

    /// Sets or clears maintenance (resolution) of `slot`, logging the state change.
    package func setResolutionMaintenance(_ slot: Int, _ on: Bool) {
        if on { resolvedNames.withLock { _ = $0.removeValue(forKey: slot) } }
        for e in states.setForcedFlag(.resolutionMaint, on, server: slot) { logEvent(e) }
    }

    /// `show servers state`'s srv_fqdn and srvrecord of `slot`.
    func resolutionNames(_ slot: Int) -> (fqdn: String, srvRecord: String) {
        let s = serverConfig(slot)
        guard s.options.resolution != nil, let name = s.options.hostname ?? s.options.template?.fqdn else { return ("-", "-") }
        if name.hasPrefix("_") { return (resolvedNames.withLock { $0[slot] } ?? "-", name) }
        return (name, "-")
    }
}
