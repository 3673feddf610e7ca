// Run-time DNS for servers with `resolvers` (HAProxy 2.6 §5.3): one thread, off the data path,
// wakes every `timeout resolve`, resolves each group whose last answer is older than
// `hold valid`, and applies what changed through the runtime API's paths (the workers'
// mailbox, the server state table), logging as HAProxy does.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

final class DNSResolverThread: @unchecked Sendable {
    // @unchecked: `groups` is touched by the resolver thread only (after init); `running` is atomic.

    /// The servers of one backend resolving one name with one resolvers section.
    struct Group {
        var resolvers: ResolversConfig
        var fqdn: String
        var slots: [Int]
        /// Configured ports (0: none given; 80 is used, as the engine does).
        var ports: [Int]
        var current: [ResolvedTarget?]
        var preferIPv6: Bool
        var networks: [IPv4Network]
        var allowDuplicates: Bool
        var ignoreWeight: Bool
        var lastQueryMs: Int64 = .min
        var lastValidMs: Int64
        var isSRV: Bool { fqdn.hasPrefix("_") }
    }

    private var groups: [Group]
    private let control: RuntimeControl
    private let checker: HealthChecker?
    private let running = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    private var thread: ControlThread?
    private let tickMs: Int

    /// nil when no server uses a resolvers section.
    init?(configuration: Configuration, control: RuntimeControl, checker: HealthChecker?) {
        var groups: [Group] = []
        var index: [String: Int] = [:]
        let now = MonotonicClock.nowMs()
        for p in configuration.proxies where p.isBackend {
            for s in p.servers {
                guard let r = s.options.resolution, !r.resolvers.isEmpty, s.options.socket == nil,
                      let section = configuration.resolvers.first(where: { $0.name == r.resolvers }),
                      let slot = control.states.slot(backend: p.name, server: s.name) else { continue }
                let fqdn = s.options.template?.fqdn ?? s.options.hostname ?? s.host
                guard !AddressParser.isIP(fqdn) else { continue }       // an IP needs no resolution
                let key = "\(p.name)\u{0}\(fqdn)\u{0}\(r.resolvers)"
                let target: ResolvedTarget? = s.options.unresolved || !AddressParser.isIP(s.host) ? nil : ResolvedTarget(address: s.host)
                if let g = index[key] {
                    groups[g].slots.append(slot); groups[g].ports.append(s.port); groups[g].current.append(target)
                } else {
                    index[key] = groups.count
                    groups.append(Group(resolvers: section, fqdn: fqdn, slots: [slot], ports: [s.port], current: [target],
                                        preferIPv6: s.options.resolvePrefer != "ipv4", networks: r.networks.compactMap(IPv4Network.init),
                                        allowDuplicates: r.allowDuplicateIP, ignoreWeight: r.ignoreWeight, lastValidMs: now))
                }
            }
        }
        guard !groups.isEmpty else { return nil }
        self.groups = groups
        self.control = control
        self.checker = checker
        tickMs = max(10, groups.map(\.resolvers.timeoutResolve).min() ?? 1000)
    }

    func start() throws {
        running.store(true, ordering: .relaxed)
        thread = try ControlThread(name: "resolvers") { [self] in loop() }
    }

    func stop() {
        guard running.exchange(false, ordering: .relaxed) else { return }
        wake.signal()
        thread?.join(); thread = nil
    }

    private func loop() {
        while running.load(ordering: .relaxed) {
            let now = MonotonicClock.nowMs()
            for g in groups.indices where running.load(ordering: .relaxed) {
                if groups[g].lastQueryMs == .min || now - groups[g].lastQueryMs >= Int64(groups[g].resolvers.holdValid) {
                    resolve(g)
                }
            }
            _ = wake.wait(timeout: .now() + .milliseconds(tickMs))
        }
    }

    private func resolve(_ g: Int) {
        let group = groups[g]
        let r = group.resolvers
        func ask(_ name: String, _ type: DNSClient.QueryType) -> DNSOutcome {
            DNSClient.query(name, type, servers: r.nameservers, timeoutMs: r.timeoutRetry, retries: r.resolveRetries,
                            payloadSize: r.acceptedPayloadSize)
        }
        /// The preferred family first, then the other (HAProxy's query type fallback).
        func addressRecords(_ name: String) -> DNSOutcome {
            let first = ask(name, group.preferIPv6 ? .aaaa : .a)
            if !first.records.isEmpty || first == .timeout { return first }
            let second = ask(name, group.preferIPv6 ? .a : .aaaa)
            return second.records.isEmpty && second != .timeout ? (first == .noData ? second : first) : second
        }
        let now = MonotonicClock.nowMs()
        groups[g].lastQueryMs = now
        let outcome = group.isSRV ? ask(group.fqdn, .srv) : addressRecords(group.fqdn)
        var answer: [ResolvedTarget]
        switch outcome {
        case .records(let records):
            groups[g].lastValidMs = now
            if group.isSRV {
                answer = ResolutionPlan.srvTargets(records, preferIPv6: group.preferIPv6, networks: group.networks) { addressRecords($0).records }
            } else {
                answer = ResolutionPlan.addresses(records, preferIPv6: group.preferIPv6, networks: group.networks).map { ResolvedTarget(address: $0) }
            }
        default:
            // An error: the last valid answer holds for `hold nx|refused|timeout|other`.
            let hold = r.hold[Self.holdKey(outcome)] ?? 30_000
            if now - group.lastValidMs < Int64(hold) { return }
            answer = []
        }
        // HAProxy names the resolvers and the name server that answered; libresolv does not
        // say which one did: the first is named.
        let updater = "\(r.name)/\(r.nameservers.first?.name ?? "-")"
        let next = ResolutionPlan.assign(current: group.current, answer: answer, allowDuplicates: group.allowDuplicates)
        for (i, slot) in group.slots.enumerated() {
            let old = group.current[i], new = next[i]
            guard old != new else { continue }
            if let new {
                let port = new.port ?? (group.ports[i] == 0 ? 80 : group.ports[i])
                checker?.followAddress(server: slot, host: new.address, port: port)
                control.applyResolvedAddress(slot, host: new.address, port: port, hostname: new.hostname, by: updater)
                if !group.ignoreWeight, let w = new.serverWeight, w != old?.serverWeight { control.applyResolvedWeight(slot, w) }
                if old == nil { control.leaveResolutionMaintenance(slot, hostname: new.hostname ?? group.fqdn, fromSRV: group.isSRV) }
            } else {
                control.enterResolutionMaintenance(slot, reason: group.isSRV && outcome.isValid ? "entry removed from SRV record" : Self.reason(outcome))
            }
        }
        groups[g].current = next
    }

    /// HAProxy's reasons for a server left without an address.
    static func reason(_ o: DNSOutcome) -> String {
        switch o {
        case .records: "No IP for server "
        case .nx, .noData: "DNS NX status"
        case .timeout: "DNS timeout status"
        case .refused: "DNS refused status"
        case .other: "unspecified DNS error"
        }
    }

    static func holdKey(_ o: DNSOutcome) -> String {
        switch o {
        case .nx, .noData: "nx"
        case .timeout: "timeout"
        case .refused: "refused"
        default: "other"
        }
    }
}
