// `server … track [BACKEND/]SERVER`: a tracking server has no check of its own; whenever the
// server it tracks goes UP or DOWN it follows, with HAProxy 2.6's message ("Server b/t is DOWN
// via b/s. …", checked against haproxy), and so do the servers tracking it in turn. The
// runtime is told of every UP/DOWN change (on-marked-down / on-marked-up actions).

/// A server went UP (true) or DOWN (false), whatever the cause.
public struct ServerStateChange: Equatable, Sendable {
    public var server: Int
    public var up: Bool
}

/// Told of the changes of one write to the state table (outside its lock), with the messages
/// of the tracking servers that followed.
public typealias ServerStateObserver = @Sendable (_ changes: [ServerStateChange], _ trackingEvents: [HealthEvent]) -> Void

extension ServerStateTable {
    /// Installs the observer (before the checker and the runtime API start).
    public func observe(_ f: @escaping ServerStateObserver) { observer.withLock { $0 = f } }

    /// The server whose check a tracking server shows: the end of its chain (itself if none).
    func trackedEnd(_ server: Int) -> Int {
        var s = server, hops = 0
        while let t = tracked(s), hops < servers.count { s = t; hops += 1 }
        return s
    }

    /// The server `server` tracks: configured, or given to `add server … track`.
    public func tracked(_ server: Int) -> Int? {
        if let t = servers[server].tracked { return t }
        guard roster.reserved[server] else { return nil }
        return trackLinks.withLock { $0.tracked[server] }
    }

    /// The servers tracking `server`, in HAProxy's order: the dynamic ones newest first (it
    /// prepends them to its `trackers` list), then the configured ones.
    func trackersOf(_ server: Int) -> [Int] {
        let dynamic = trackLinks.withLock { $0.trackers[server] } ?? []
        return dynamic.isEmpty ? trackers[server] : dynamic + trackers[server]
    }

    /// True when some server tracks another (configured or at run time).
    var hasTracking: Bool {
        trackers.contains(where: { !$0.isEmpty }) || trackLinks.withLock { !$0.tracked.isEmpty }
    }

    /// `add server … track`: `tracker` follows `server` from now on, and `server` can no
    /// longer be deleted (HAProxy's SRV_F_NON_PURGEABLE, never cleared).
    func link(tracker: Int, to server: Int) {
        trackLinks.withLock { l in
            l.tracked[tracker] = server
            l.trackers[server, default: []].insert(tracker, at: 0)
            l.nonPurgeable.insert(server)
        }
    }

    /// `del server` of a dynamic tracker (HAProxy's release_server_track).
    func unlink(tracker: Int) {
        trackLinks.withLock { l in
            guard let s = l.tracked.removeValue(forKey: tracker) else { return }
            l.trackers[s]?.removeAll { $0 == tracker }
        }
    }

    /// A dynamic server once tracked this one.
    func wasTrackedAtRunTime(_ server: Int) -> Bool { trackLinks.withLock { $0.nonPurgeable.contains(server) } }

    /// Passes the UP/DOWN changes of this write on to the trackers (breadth first, as HAProxy
    /// walks `trackers`), each message counted after the tracker's own change.
    func propagateTracking(_ st: inout ServerStateControl.State, before: [ServerStatus], events: inout [HealthEvent]) {
        guard hasTracking else { return }
        // Entering or leaving maintenance reaches the trackers as an inherited maintenance
        // (ServerStateControl), not as a state: HAProxy leaves a tracker added during the
        // tracked server's maintenance DOWN when that ends.
        var queue = st.touched.sorted().filter {
            (before[$0].op == .stopped) != (st.statuses[$0].op == .stopped)
                && before[$0].admin.inMaintenance == st.statuses[$0].admin.inMaintenance
        }
        var i = 0
        while i < queue.count {
            let s = queue[i]
            i += 1
            let down = st.statuses[s].op == .stopped
            for t in trackersOf(s) where !st.statuses[t].admin.inMaintenance && (st.statuses[t].op == .stopped) != down {
                let b = servers[t].backendIndex
                let prev = Self.counts(st, backends[b], servers)
                st.setOp(t, down ? .stopped : .running)
                let via = " via \(servers[s].proxyName)/\(name(s))"
                let text = prefix(t) + " is " + (down ? "DOWN" : "UP") + via + countsText(st, t, stopped: down, sessions: 0) + "."
                events.append(HealthEvent(backend: servers[t].proxyName, server: name(t),
                                          level: down ? ServerStateControl.alert : ServerStateControl.notice, message: text))
                let now = Self.counts(st, backends[b], servers)
                if prev.active + prev.backup > 0 && now.active + now.backup == 0 {
                    events.append(HealthEvent(backend: backends[b].name, server: nil, level: ServerStateControl.emerg,
                                              message: HealthMessages.noServer(backend: backends[b].name)))
                }
                queue.append(t)
            }
        }
    }

    /// The servers of this write that went from stopped to not, or back.
    static func upDownChanges(_ st: ServerStateControl.State, before: [ServerStatus]) -> [ServerStateChange] {
        st.touched.sorted().compactMap { i in
            let was = before[i].op != .stopped, now = st.statuses[i].op != .stopped
            return was == now ? nil : ServerStateChange(server: i, up: now)
        }
    }
}

/// Tracking links made at run time. HAProxy lets a dynamic server track a configured one but
/// not another dynamic one, so these links never chain further than one step.
struct TrackLinks {
    /// Dynamic tracker → the server it tracks.
    var tracked: [Int: Int] = [:]
    /// Tracked server → its dynamic trackers, newest first.
    var trackers: [Int: [Int]] = [:]
    /// Servers a dynamic server tracked once.
    var nonPurgeable: Set<Int> = []
}
