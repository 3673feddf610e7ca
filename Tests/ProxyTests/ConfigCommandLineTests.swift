import Testing
@testable import Proxy

@Suite struct ConfigCommandLineTests {
    @Test func checkModeExitCodes() {
        for name in ["seed.cfg", "seed-haproxy26.cfg", "seed-as-published.cfg"] {
            #expect(CommandLine.runRingproxy(["-c", "-f", ConfigTestSupport.fixture(name)]) == 0, "\(name)")
        }
        #expect(CommandLine.runRingproxy(["-c", "-f", ConfigTestSupport.fixture("broken/unknown-keyword.cfg")]) == 1)
        #expect(CommandLine.runRingproxy(["-f", ConfigTestSupport.fixture("seed.cfg"), "-c"]) == 0)
        // Several -f files: one broken file fails the whole check.
        #expect(CommandLine.runRingproxy(["-c", "-f", ConfigTestSupport.fixture("seed.cfg"),
                                          "-f", ConfigTestSupport.fixture("broken/bad-time.cfg")]) == 1)
        #expect(CommandLine.runRingproxy(["-c", "-f", "/nonexistent.cfg"]) == 1)
    }

    @Test func badFlagsPrintUsageAndFail() {
        #expect(CommandLine.runRingproxy(["-x"]) == 1)
        #expect(CommandLine.runRingproxy(["-f"]) == 1)
        #expect(CommandLine.runRingproxy(["-p"]) == 1)
        #expect(CommandLine.runRingproxy(["-sf"]) == 1)
        #expect(CommandLine.runRingproxy(["-c"]) == 1)
    }

    @Test func versionAndKeywords() {
        #expect(CommandLine.runRingproxy(["-v"]) == 0)
        #expect(CommandLine.runRingproxy(["-vv"]) == 0)
        #expect(CommandLine.runRingproxy(["--list-keywords"]) == 0)
        // Running the proxy or the demo is tested end to end (Tests/EndToEndTests), in a process.
    }

    @Test func argumentParsing() throws {
        let parsed = try CommandLine.parseRingproxyArguments(["-f", "a.cfg", "-f", "b.cfg", "-db", "-d", "-p", "/run/rp.pid", "-sf", "12", "34", "-c"]).get()
        var options = RunOptions()
        options.configPaths = ["a.cfg", "b.cfg"]; options.foreground = true; options.debug = true
        options.pidfile = "/run/rp.pid"; options.softStopPIDs = [12, 34]
        #expect(parsed == RingproxyArguments(check: true, version: 0, listKeywords: false, options: options))
        #expect(try CommandLine.parseRingproxyArguments(["-db"]).get().options.debug == false)
    }
}
