// Configurations ringproxy reads but does not run as written yet. The parser keeps them in the
// model (so defaults inheritance and later work see them), and this check, run by `-c` and
// before a start, turns them into warnings naming file:line, so that what runs differently
// from what the configuration says is said. (Nothing today: `mode tcp`, the last entry, is run
// by the TCP relay, StreamHandler+TCP.swift.)

public enum NotImplementedYet {
    /// The warnings of a parsed configuration that uses something ringproxy does not run as written.
    public static func warnings(_ configuration: Configuration) -> [String] {
        []
    }
}
