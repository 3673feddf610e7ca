import Foundation
import Testing
@testable import Proxy

/// The preprocessor side by side with HAProxy 2.6: the same file with the same environment gives
/// the same `.notice` messages (every expansion form and every kind of block is in the file),
/// and `-cc` conditions give the same exit codes.
@Suite(.enabled(if: HAProxyAnchor.path != nil, "needs /usr/sbin/haproxy, the comparison anchor"))
struct ConfigPreprocessorAgreementTests {
    let fixture = ConfigTestSupport.fixture("preprocessor-env.cfg")
    let environment = ["EMPTY": "", "PATH": "/usr/bin:/bin"]

    @Test func noticesMatchHAProxys() throws {
        let run = try HAProxyAnchor.run(["-c", "-f", fixture], environment: environment)
        // "[NOTICE]   (pid) : config : parsing [FILE:LINE]: 'MESSAGE'." → "FILE:LINE: 'MESSAGE'"
        let theirs = run.output.split(separator: "\n").compactMap { line -> String? in
            guard let r = line.range(of: "parsing ["), line.contains("[NOTICE]") else { return nil }
            let rest = line[r.upperBound...]
            guard let close = rest.range(of: "]: ") else { return nil }
            return "\(rest[..<close.lowerBound]): \(rest[close.upperBound...].dropLast())"
        }
        let ours = try ConfigParser.load(paths: [fixture], environment: ConfigEnvironment(environment)).preprocessor.notices
        #expect(theirs.count >= 14)
        #expect(ours == theirs)
    }

    @Test func checkConditionsMatchHAProxys() throws {
        let conditions = [
            "version_atleast(2.4)", "version_atleast(1024)", "streq(foo,'foo')", #"streq("foo bar",'foo bar')"#,
            "streq(foo,bar)", #"defined(TESTVAR) && streq("$TESTVAR","1")"#, "feature(OPENSSL) || !feature(OPENSSL)",
            "1&&!0&&!((streq(a,b)||!streq(a,a)&&1)||strneq(a,a))", "", " ", "-1000 && 200", "200rrr", "!(0))",
            #"streq(a,"a)"#, "defined(A,B)", "streq(a)", "feature (X)", "defined", "version_atleast(garbage)",
            "0x1F", "08", "version_before(2.6.13) && version_atleast(2.6-dev0)", #"streq("${NOPE-x y}",'x y')"#,
        ]
        for condition in conditions {
            let theirs = try HAProxyAnchor.run(["-cc", condition], environment: ["TESTVAR": "1"]).status
            let ours = ConditionCheck.run(condition, environment: ConfigEnvironment(["TESTVAR": "1"]))
            #expect(ours == theirs, "-cc '\(condition)'")
        }
    }
}

/// The installed HAProxy, run as a child process.
enum HAProxyAnchor {
    static let path: String? = ["/usr/sbin/haproxy", "/usr/local/sbin/haproxy", "/usr/bin/haproxy"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    static func run(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path!)
        process.arguments = arguments
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
