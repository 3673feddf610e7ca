// Configurations ringproxy reads but does not run as written yet. The parser keeps them in the
// model (so defaults inheritance and later work see them), and this check, run by `-c` and
// before a start, turns them into warnings naming file:line, so that what runs differently
// from what the configuration says is said. (`mode tcp` stays a warning rather than an error
// until the TCP relay lands: health-check-only backends and their frontends in `mode tcp` run
// today, and main's check tests rely on them.)

public enum NotImplementedYet {
    /// The warnings of a parsed configuration that uses something ringproxy does not run as written.
    public static func warnings(_ configuration: Configuration) -> [String] {
        configuration.proxies.filter { $0.mode == .tcp }.map { p in
            "\(p.location): '\(p.kind.rawValue) \(p.name)': 'mode tcp' is not implemented yet in ringproxy: its traffic is relayed as HTTP (health checks run as configured)"
        }
    }
}
