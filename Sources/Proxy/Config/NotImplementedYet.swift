// Configurations ringproxy reads but cannot run yet. The parser keeps them in the model (so
// defaults inheritance and later work see them), and this check, run by `-c` and before a
// start, turns them into errors naming file:line, so that nothing runs differently from what
// the configuration says.

public enum NotImplementedYet {
    /// The errors of a parsed configuration that uses something ringproxy does not run.
    public static func errors(_ configuration: Configuration) -> [ConfigError] {
        var out: [ConfigError] = []
        for p in configuration.proxies where p.mode == .tcp {
            out.append(ConfigError(p.location, "mode",
                                   "\(p.kind.rawValue) '\(p.name)': 'mode tcp' is not implemented yet in ringproxy (it relays HTTP only; TCP relaying is planned)"))
        }
        return out
    }
}
