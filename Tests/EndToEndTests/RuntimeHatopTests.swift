// hatop (Debian's curses client of the stats socket) against HAProxy 2.6 and ringproxy on the
// same configuration: driven in a pseudo-terminal of a fixed size with TERM=xterm, it must list
// the backend's servers, and its hotkeys (F10 disable, F9 enable, F6 weight -1, F4 weight
// reset) and its embedded CLI (drain, ready) must change the servers' states — read back with
// `show servers state` and `show stat` on the socket, and compared between the two proxies.
import Foundation
import Testing
import Synchronization

/// A program in a pseudo-terminal: what it draws is kept, keys are written to it.
final class PseudoTerminal: @unchecked Sendable {
    // @unchecked: `output` is behind a Mutex; `master` and `process` are set once in init.
    let master: Int32
    let process = Process()
    private let output = Mutex<[UInt8]>([])
    private let readerDone = Atomic<Bool>(false)

    init(_ arguments: [String], rows: UInt16, columns: UInt16, term: String = "xterm") throws {
        var m: Int32 = -1, s: Int32 = -1
        var size = winsize(ws_row: rows, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
        guard openpty(&m, &s, nil, nil, &size) == 0 else { throw PseudoTerminalError(description: "openpty: errno \(errno)") }
        master = m
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.environment = ["TERM": term, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": NSTemporaryDirectory()]
        let slave = FileHandle(fileDescriptor: s, closeOnDealloc: false)
        process.standardInput = slave
        process.standardOutput = slave
        process.standardError = slave
        do { try process.run() } catch { close(m); close(s); throw error }
        close(s)
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
                if n <= 0 { break }          // EIO once the program and its terminal are gone
                output.withLock { $0.append(contentsOf: buffer[0..<n]) }
            }
            readerDone.store(true, ordering: .releasing)
        }
        thread.start()
    }

    deinit {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        close(master)
    }

    /// How many bytes were drawn so far (a mark for `screen(since:)`).
    var mark: Int { output.withLock { $0.count } }

    /// What was drawn since `mark`, escape sequences replaced by a space.
    func screen(since mark: Int = 0) -> String {
        let bytes = output.withLock { Array($0[min(mark, $0.count)...]) }
        let text = String(decoding: bytes, as: UTF8.self)
        return text.replacingOccurrences(of: #"\x{1B}(\[[0-9;?]*[A-Za-z@~]|\([AB0]|[=>])"#, with: " ", options: .regularExpression)
    }

    func send(_ bytes: String) {
        let data = Array(bytes.utf8)
        _ = data.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
    }

    /// Polls `condition` until it holds or `timeout` passes; returns whether it held.
    static func wait(timeout: Duration = .seconds(10), _ condition: () throws -> Bool) rethrows -> Bool {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if try condition() { return true }
            usleep(20_000)
        }
        return try condition()
    }

    /// The program exited (after a quit key) within `timeout`.
    func waitForExit(timeout: Duration = .seconds(10)) -> Bool {
        Self.wait(timeout: timeout) { !process.isRunning }
    }
}

struct PseudoTerminalError: Error, CustomStringConvertible { let description: String }

@Suite(.serialized) struct RuntimeHatopTests {
    static let hatop = "/usr/bin/hatop"

    static let template: @Sendable (String, String, [UInt16]) -> String = { admin, user, p in
        """
        global
            maxconn 1000
            stats socket \(admin) level admin
            stats socket \(user) level user
        defaults
            mode http
            timeout connect 5s
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:\(p[0])
            default_backend be
        backend be
            balance roundrobin
            server s1 127.0.0.1:\(p[1])
            server s2 127.0.0.1:\(p[2]) weight 5
        """
    }

    /// xterm's keys as hatop's curses reads them (keypad mode).
    enum Key {
        static let down = "\u{1B}OB", f4 = "\u{1B}OS", f6 = "\u{1B}[17~", f9 = "\u{1B}[20~", f10 = "\u{1B}[21~"
        static let escape = "\u{1B}"
    }

    /// `show servers state be` → "name op admin uweight" per server.
    static func serverStates(_ socket: String) throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        for line in try CLIClient.send("show servers state be", socket: socket).split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: " ").map(String.init)
            if f.count > 7 { out[f[3]] = [f[5], f[6], f[7]] }
        }
        return out
    }

    /// `show stat`'s status and weight of be's servers: "s1 MAINT 0".
    static func statRows(_ socket: String) throws -> [String] {
        try CLIClient.send("show stat", socket: socket).split(separator: "\n").compactMap { line in
            let c = line.split(separator: ",", omittingEmptySubsequences: false)
            guard c.count > 18, c[0] == "be", c[1] != "BACKEND" else { return nil }
            return "\(c[1]) \(c[17]) \(c[18])"
        }
    }

    /// Runs hatop on `socket` through the scenario; returns what the socket said at each step.
    static func drive(socket: String) throws -> [String] {
        var transcript: [String] = []
        let t = try PseudoTerminal([hatop, "-s", socket, "-i", "1", "-p", "be"], rows: 40, columns: 160)
        defer { if t.process.isRunning { t.process.terminate() } }
        // The STATUS view lists the backend and its two servers.
        let listed = PseudoTerminal.wait {
            let s = t.screen()
            return s.contains(">>> be") && s.contains(" s1 ") && s.contains(" s2 ") && s.contains("BACKEND")
        }
        #expect(listed, "hatop did not list the servers of \(socket):\n\(t.screen())")
        guard listed else { return ["not listed"] }
        func step(_ name: String, keys: String, until: @escaping ([String: [String]]) -> Bool, screenShows: String? = nil) throws {
            let mark = t.mark
            t.send(keys)
            var last: [String: [String]] = [:]
            let acted = try PseudoTerminal.wait { last = try serverStates(socket); return until(last) }
            #expect(acted, "\(name): hatop's key did not act on \(socket): \(last)\n\(t.screen(since: mark))")
            if let text = screenShows {
                let shown = PseudoTerminal.wait { t.screen(since: mark).contains(text) }
                #expect(shown, "\(name): hatop did not show \(text) for \(socket):\n\(t.screen(since: mark))")
            }
            transcript.append("\(name): \(last.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.joined(separator: " "))" }) \(try statRows(socket))")
        }
        transcript.append("start: \(try serverStates(socket).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.joined(separator: " "))" }) \(try statRows(socket))")
        // The cursor starts on ">>> be"; one line down is s1. F10: disable server (maintenance).
        try step("F10 maint", keys: Key.down + Key.f10, until: { $0["s1"]?[1] == "1" }, screenShows: "MAINT")
        try step("F9 ready", keys: Key.f9, until: { $0["s1"]?[1] == "0" })
        // F6: weight - 1 (1 → 0: no new load-balanced traffic), F4: back to the initial weight.
        try step("F6 weight 0", keys: Key.f6, until: { $0["s1"]?[2] == "0" })
        try step("F4 weight reset", keys: Key.f4, until: { $0["s1"]?[2] == "1" })
        // The embedded CLI (mode 5): drain and ready s2.
        try step("cli drain", keys: "5" + "set server be/s2 state drain\r", until: { $0["s2"]?[1] == "8" })
        try step("cli ready", keys: "set server be/s2 state ready\r", until: { $0["s2"]?[1] == "0" })
        try step("cli maint", keys: "set server be/s2 state maint\r", until: { $0["s2"]?[1] == "1" })
        // ESC q quits from the CLI view.
        t.send(Key.escape + "q")
        #expect(t.waitForExit(), "hatop did not quit on \(socket)")
        return transcript
    }

    @Test(.enabled(if: HAProxyProcess.isInstalled && FileManager.default.isExecutableFile(atPath: hatop),
                   "needs haproxy and hatop (Debian package hatop)"))
    func hatopShowsTheServersAndItsKeysActAsOnHAProxy() throws {
        let pair = try CLIPair(ports: 3, Self.template)
        let a = try Self.drive(socket: pair.hapSocket)
        let b = try Self.drive(socket: pair.rpSocket)
        #expect(a.count == 8)
        #expect(a == b, "--- haproxy\n\(a.joined(separator: "\n"))\n--- ringproxy\n\(b.joined(separator: "\n"))")
    }
}
