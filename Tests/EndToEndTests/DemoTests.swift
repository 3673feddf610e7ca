// `ringproxy` with no arguments (issue 7): start the demo, then run every command it prints
// and check each gives the result it describes.
import CBench
import CUring
import Foundation
import Testing
import Proxy
import Origins

/// Runs a shell command line as the demo prints it; returns its standard output.
func shell(_ command: String, timeout: TimeInterval = 30) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command]
    p.currentDirectoryURL = URL(fileURLWithPath: ProxyProcess.packageRoot)
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

/// A base port B such that B, B+1, B+2, B+11 and B+12 (the demo's ports) are free; outside the
/// range freePort() hands out, so other tests cannot take them meanwhile.
func freeDemoBase() -> Int {
    func free(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = in_port_t(UInt16(port).bigEndian)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 } }
    }
    while true {
        let base = Int.random(in: 300...390) * 100
        if [0, 1, 2, 11, 12].allSatisfy({ free(base + $0) }) { return base }
    }
}

@Suite(.serialized) struct DemoTests {
    static var curlInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") }

    @Test func everyPrintedCommandDoesWhatItSays() throws {
        guard Self.curlInstalled else { return }
        let base = freeDemoBase()
        setenv("RINGPROXY_DEMO_PORT", String(base), 1)
        let demo = try ProxyProcess(arguments: [], waitForPorts: [UInt16(base), UInt16(base + 1), UInt16(base + 2)])
        defer { _ = demo.stop() }
        let text = try demo.waitForOutput(containing: "Ctrl-C stops the demo")
        func command(_ label: String) throws -> String {
            let line = try #require(text.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label) })
            var cmd = String(line.drop { $0 != ":" }.dropFirst()).trimmingCharacters(in: .whitespaces)
            if let hash = cmd.range(of: "   #") { cmd = String(cmd[..<hash.lowerBound]) }
            return cmd.replacingOccurrences(of: "/tmp/rp-", with: NSTemporaryDirectory() + "rp-test-\(base)-")
        }
        func served(_ s: String) -> String? { s.split(separator: "\n").first { $0.hasPrefix("served by ") }.map { String($0.dropFirst(10)) } }
        func visits(_ s: String) -> Int? { s.split(separator: "\n").first { $0.hasPrefix("visits ") }.flatMap { Int($0.dropFirst(7)) } }

        for label in ["cookie:", "appsession:"] {
            let cmd = try command(label)
            let one = try shell(cmd), two = try shell(cmd), three = try shell(cmd)
            #expect(served(one) != nil && served(one) == served(two) && served(two) == served(three), "\(label) \(cmd)")
            #expect(visits(one) == 1 && visits(two) == 2 && visits(three) == 3, "\(label)")
        }
        let source = try command("source ip:")
        #expect(served(try shell(source)) == "REALsrv_120")
        #expect(served(try shell(source)) == "REALsrv_120")
        #expect(served(try shell(source.replacingOccurrences(of: "curl -s", with: "curl -s --interface 127.0.0.2"))) == "REALsrv_70")
        let rr = try command("no session:")
        let a = served(try shell(rr)), b = served(try shell(rr))
        #expect(a != nil && b != nil && a != b)
        // stats: the URL with credentials, and the CSV command
        let statsLine = try command("stats page:")
        let url = String(statsLine.split(separator: " ").first!)
        #expect(try shell("curl -s -o /dev/null -w '%{http_code}' '\(url)'") == "200")
        let csvCmd = String(statsLine[statsLine.range(of: "curl")!.lowerBound...].dropLast())
        let csv = try shell(csvCmd)
        #expect(csv.hasPrefix("# pxname,svname,"))
        #expect(csv.contains("COOKIE_srv,REALsrv_70,"))
        #expect(try shell(command("monitor:")).contains("Service ready."))
        // the load command reports stickiness: zero moves
        let bench = try command("under load:").replacingOccurrences(of: "--duration 5", with: "--duration 2")
        let benchBinary = ProxyProcess.packageRoot + "/.build/release/ringbench"
        if FileManager.default.isExecutableFile(atPath: benchBinary) {
            let report = try shell(bench)
            #expect(report.contains("stickiness 0 moves"), "\(report)")
        }
    }

    @Test func aPortInUseIsAClearMessage() throws {
        let base = freeDemoBase()
        let blocker = try AppServer(name: "blocker", port: UInt16(base), behaviour: .echo)
        defer { blocker.stop() }
        setenv("RINGPROXY_DEMO_PORT", String(base), 1)
        let r = try ProxyProcess.run([])
        #expect(r.status == 1)
        #expect(r.stderr.contains("in use") || r.stderr.contains("Address already in use"))
    }
}
