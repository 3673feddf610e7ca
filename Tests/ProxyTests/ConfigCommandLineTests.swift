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
        #expect(CommandLine.runRingproxy(["-sf"]) == 1)          // no configuration file
        #expect(CommandLine.runRingproxy(["-W"]) == 1)
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

    @Test func haproxyFlags() throws {
        let p = try CommandLine.parseRingproxyArguments([
            "-L", "A", "-D", "-W", "-S", "fd@7", "-x", "/run/old.sock", "-q", "-V", "-dW", "-dD", "-dS", "-dr",
            "-de", "-dMfail", "-dR", "-n", "100", "-N", "50", "-m", "256", "-C", "/etc", "-st", "9", "-f", "x.cfg", "--", "y.cfg", "-z.cfg",
        ]).get()
        let o = p.options
        #expect(o.localPeer == "A" && o.daemon && o.masterWorker && o.masterCLI == ["fd@7"] && o.takeOverSocket == "/run/old.sock")
        #expect(o.quiet && o.verbose && o.zeroWarning && o.diagnostics && o.noSplice && o.resolveDontFail)
        #expect(o.meaninglessFlags == ["-de", "-dMfail", "-dR"])
        #expect(o.maxconn == 100 && o.defaultProxyMaxconn == 50 && o.memoryLimitMB == 256 && p.changeDirectory == "/etc")
        #expect(o.terminateOldProcesses && o.softStopPIDs == [9] && o.configPaths == ["x.cfg", "y.cfg", "-z.cfg"])
        #expect(try CommandLine.parseRingproxyArguments(["-cc", "1"]).get().checkCondition == "1")
        #expect(try CommandLine.parseRingproxyArguments(["-Ws"]).get().options.systemdNotify)
        #expect(try CommandLine.parseRingproxyArguments(["-sf", "-f", "a"]).get().options.softStopPIDs.isEmpty)
        // -v answers at once, whatever follows.
        #expect(try CommandLine.parseRingproxyArguments(["-v", "-bogus"]).get().version == 1)
        for bad in [["-L"], ["-n", "x"], ["-cc"], ["-S"], ["-sf", "x1"], ["-bogus", "1"], ["plain"]] {
            #expect((try? CommandLine.parseRingproxyArguments(bad).get()) == nil, "\(bad)")
        }
    }

    @Test func checkConditionExitCodes() {
        #expect(CommandLine.runRingproxy(["-cc", "version_atleast(2.5-dev0)"]) == 0)
        #expect(CommandLine.runRingproxy(["-cc", "feature(OPENSSL)"]) == 1)
        #expect(CommandLine.runRingproxy(["-cc", "200rrr"]) == 2)
        #expect(CommandLine.runRingproxy(["-cc", #"streq(a,"a)"#]) == 2)
        #expect(CommandLine.runRingproxy(["-L", "peerA", "-cc", #"streq("$HAPROXY_LOCALPEER",peerA)"#]) == 0)
        #expect(CommandLine.runRingproxy(["-cc", "# not a comment"]) == 2)
    }

    @Test func checkWithoutListenerExitsTwo() throws {
        let dir = FileManagerTemp.directory()
        try "backend b\n server s 127.0.0.1:80\n".write(toFile: dir + "/b.cfg", atomically: true, encoding: .utf8)
        #expect(CommandLine.runRingproxy(["-c", "-q", "-f", dir + "/b.cfg"]) == 2)
        try "global\n stats socket /tmp/x.sock\nbackend b\n server s 127.0.0.1:80\n".write(toFile: dir + "/s.cfg", atomically: true, encoding: .utf8)
        #expect(CommandLine.runRingproxy(["-c", "-q", "-f", dir + "/s.cfg"]) == 0)
        // -dW: a warning is fatal.
        try "global\n chroot /\nfrontend f\n bind :80\n".write(toFile: dir + "/w.cfg", atomically: true, encoding: .utf8)
        #expect(CommandLine.runRingproxy(["-c", "-q", "-f", dir + "/w.cfg"]) == 0)
        #expect(CommandLine.runRingproxy(["-c", "-q", "-dW", "-f", dir + "/w.cfg"]) == 1)
    }
}
