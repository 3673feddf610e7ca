// Entry point shared by the `ringproxy` executable and the tests.
extension CommandLine {
    /// Runs ringproxy with HAProxy's flags and returns the process exit status.
    public static func runRingproxy(_ args: [String]) -> Int32 {
        print("ringproxy: not built yet")
        return 2
    }
}
