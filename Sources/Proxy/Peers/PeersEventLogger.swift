// Log lines for peer events: a peer connects or disconnects, a handshake is refused, a
// protocol error, a resynchronisation finishes. To stderr when the process runs in the
// foreground (HAProxy's `[NOTICE]   (pid) : ...` form) and to syslog: the peers section's own
// `log` lines, else the global ones. Called only from the peers thread.

#if canImport(Glibc)
import Glibc
#endif

final class PeersEventLogger {
    let toStderr: Bool
    let pid: Int32
    let sender: SyslogSender?
    /// Loggers of each section (its own `log` lines, else the global ones).
    let loggers: [String: ProxyLog]
    /// Every line, also kept in memory for tests (the most recent 64).
    private(set) var recent: [String] = []

    init(configuration c: Configuration, toStderr: Bool, pid: Int32 = getpid()) {
        self.toStderr = toStderr
        self.pid = pid
        var merged = Configuration()
        merged.global.logTag = c.global.logTag
        merged.global.loggers = c.global.loggers
        merged.global.logging = c.global.logging
        merged.rings = c.rings
        var ranges: [String: Range<Int>] = [:]
        for s in c.peers.sections where !s.loggers.isEmpty {
            let start = merged.global.loggers.count
            merged.global.loggers += s.loggers
            ranges[s.name] = start..<merged.global.loggers.count
        }
        let targets = LogTargets(configuration: merged, pid: pid)
        var byName: [String: ProxyLog] = [:]
        let globalCount = c.global.loggers.filter { !$0.isGlobal }.count
        for s in c.peers.sections {
            let list = ranges[s.name].map { Array(targets.global[$0]) } ?? Array(targets.global.prefix(globalCount))
            byName[s.name] = ProxyLog(loggers: list, origin: targets.globalLog.origin)
        }
        loggers = byName
        sender = targets.destinations.isEmpty ? nil : SyslogSender(targets: targets, capacity: 16)
    }

    func log(section: String, _ e: PeersEvent) {
        let (level, text) = Self.message(section: section, e)
        if recent.count == 64 { recent.removeFirst() }
        recent.append(text)
        if toStderr {
            let tag = level <= 4 ? "[WARNING]  " : "[NOTICE]   "
            let line = "\(tag)(\(pid)) : \(text)\n"
            _ = line.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
        }
        if let sender, let log = loggers[section], !log.loggers.isEmpty {
            sender.log(level: level, to: log, message: text)
            sender.flush()
        }
    }

    /// Syslog level (4 warning, 5 notice, 6 info) and text of an event.
    static func message(section: String, _ e: PeersEvent) -> (Int, String) {
        let s = "Peers section '\(section)'"
        switch e {
        case .connected(let peer, let address, let incoming):
            return (5, "\(s): peer '\(peer)' connected (\(incoming ? "from" : "to") \(address))")
        case .disconnected(let peer, let reason):
            return (5, "\(s): peer '\(peer)' disconnected (\(reason))")
        case .rejected(let address, let status, let reason):
            return (4, "\(s): handshake from \(address) refused with status \(status) (\(reason))")
        case .protocolError(let peer, let reason):
            return (4, "\(s): protocol error from peer '\(peer)': \(reason)")
        case .resyncFinished(let from):
            return (5, "\(s): resync finished, tables learned from \(from)")
        case .resyncPartial(let from):
            return (5, "\(s): partial resync from \(from) (it was not up to date itself); trying another peer")
        case .resyncTimedOut(let stage):
            return (5, stage == "local"
                    ? "\(s): no old local process taught us within 5 s; asking the remote peers"
                    : "\(s): resync finished, no remote peer answered within 5 s")
        case .taught(let peer, let entries):
            return (5, "\(s): \(entries) entries handed over to the new process (peer '\(peer)')")
        }
    }
}
