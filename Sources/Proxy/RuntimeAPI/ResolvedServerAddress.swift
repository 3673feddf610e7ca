// What the resolver thread changes in the running proxy: a server's address (through the same
// worker mailbox as `set server addr`), its maintenance (resolution) flag, and the names
// `show servers state` reports (srv_fqdn, srvrecord).
#if canImport(Glibc)
import Glibc
#endif
import Foundation

extension RuntimeControl {
    /// Points the workers at `host:port` for `slot`; logs HAProxy's "changed its IP" line.
    package func applyResolvedAddress(_ slot: Int, host: String, port: Int, hostname: String?, by updater: String) {
        let old = serverAddress(slot)
        guard let (ss, len) = makeSockaddr(host: host, port: port) else { return }
        serverAddresses.withLock { $0[slot] = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
        if let hostname { resolvedNames.withLock { $0[slot] = hostname } }
        if let engine, let mailbox { _ = mailbox.gather { w in engine.setServerAddress(worker: w, server: slot, ss, len) } }
        let info = states.servers[slot]
        let oldIP = AddressParser.isIP(old.host) && old.port != 0 ? old.host : "(none)"
        if oldIP != host {
            logEvent(HealthEvent(backend: info.proxyName, server: info.name, level: ServerStateControl.notice,
                                 message: "\(info.proxyName)/\(info.name) changed its IP from \(oldIP) to \(host) by \(updater)."))
        }
    }

    /// Puts `slot` in maintenance (resolution) for `reason`, with HAProxy's message.
    package func enterResolutionMaintenance(_ slot: Int, reason: String) {
        resolvedNames.withLock { _ = $0.removeValue(forKey: slot) }
        for var e in states.setForcedFlag(.resolutionMaint, true, server: slot) {
            e.message = e.message.replacingFirst(" is going DOWN for maintenance", with: " is going DOWN for maintenance (\(reason))")
            logEvent(e)
        }
    }

    /// Takes `slot` out of maintenance (resolution) now that it has an address (HAProxy's two
    /// lines). `fromSRV`: HAProxy also keeps SRV_ADMF_HMAINT set on a slot an SRV record filled
    /// (shown as 64 in `show servers state`), without effect on the traffic.
    package func leaveResolutionMaintenance(_ slot: Int, hostname: String, fromSRV: Bool) {
        _ = states.setForcedFlag(.resolutionMaint, false, server: slot)
        if fromSRV { _ = states.setForcedFlag(.hostnameMaint, true, server: slot) }
        let info = states.servers[slot]
        let up = states.isUp(slot) ? "UP" : "DOWN"
        for m in ["Server \(info.proxyName)/\(info.name) ('\(hostname)') is \(up)/READY (resolves again).",
                  "Server \(info.proxyName)/\(info.name) administratively READY thanks to valid DNS answer."] {
            logEvent(HealthEvent(backend: info.proxyName, server: info.name, level: ServerStateControl.notice, message: m))
        }
    }

    /// An SRV record's weight (unless `resolve-opts ignore-weight`), as `set server weight`.
    package func applyResolvedWeight(_ slot: Int, _ weight: Int) {
        guard states.status(slot).userWeight != weight else { return }
        for e in states.setWeight(server: slot, String(weight)).events { logEvent(e) }
    }

    /// `show servers state`'s srv_fqdn and srvrecord of `slot`.
    func resolutionNames(_ slot: Int) -> (fqdn: String, srvRecord: String) {
        let s = serverConfig(slot)
        guard s.options.resolution != nil, let name = s.options.hostname ?? s.options.template?.fqdn else { return ("-", "-") }
        if name.hasPrefix("_") { return (resolvedNames.withLock { $0[slot] } ?? "-", name) }
        return (name, "-")
    }
}

private extension String {
    func replacingFirst(_ what: String, with replacement: String) -> String {
        guard let r = range(of: what) else { return self }
        return replacingCharacters(in: r, with: replacement)
    }
}
