import Foundation

// ringbench: io_uring HTTP/1.1 load generator that also verifies stickiness (issue 6).
let args = Array(CommandLine.arguments.dropFirst())
do {
    if args.first == "compare" {
        try runCompare(Array(args.dropFirst()))
    } else if args.isEmpty || args.contains("-h") || args.contains("--help") {
        print(usage)
    } else {
        let sc = try parseScenario(args)
        let report = try runScenario(sc, progress: !sc.json)
        print(sc.json ? report.json() : report.text(), terminator: sc.json ? "\n" : "")
    }
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(2)
}
