// `usesrc` needs CAP_NET_ADMIN or CAP_NET_RAW (IP_TRANSPARENT): HAProxy's start-up warning when the process
// may lack it, and its alert when a server connection cannot be bound to the foreign address.

#if canImport(Glibc)
import Glibc
#endif
import Foundation

enum UseSourceAlert {
    /// Written by the engine (stderr) each time the bind before connect() fails.
    static func line(backend: String) -> String {
        "[ALERT]    (\(getpid())) : Cannot bind to tproxy source address before connect() for backend \(backend). Aborting.\n"
    }
}

enum UseSourcePrivileges {
    /// IP_TRANSPARENT needs CAP_NET_ADMIN or CAP_NET_RAW (Linux).
    static let capNetAdmin = 12, capNetRaw = 13

    /// HAProxy warns when an option needing full privileges (here `usesrc`) is set and the
    /// process is not root; ringproxy also warns when root lacks CAP_NET_ADMIN and CAP_NET_RAW.
    static func startupWarning(_ configuration: Configuration, program: String, uid: uid_t = getuid(),
                               effective: UInt64? = effectiveCapabilities()) -> String? {
        guard usesForeignSources(configuration) else { return nil }
        let needed: UInt64 = 1 << UInt64(capNetAdmin) | 1 << UInt64(capNetRaw)
        let capable = effective.map { $0 & needed != 0 } ?? (uid == 0)
        guard uid != 0 || !capable else { return nil }
        return "[\(program).main()] Some options which require full privileges might not work well."
    }

    static func usesForeignSources(_ configuration: Configuration) -> Bool {
        configuration.proxies.contains { p in
            p.connection.source?.usesrc != nil || p.servers.contains { $0.options.source?.usesrc != nil }
        }
    }

    /// CapEff of /proc/self/status, nil when unreadable.
    static func effectiveCapabilities() -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("CapEff:") {
            return UInt64(line.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16)
        }
        return nil
    }
}
