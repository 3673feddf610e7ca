// Process-level commands: `show cli sockets`, `show env`.
#if canImport(Glibc)
import Glibc
#endif

extension RuntimeControl {
    func showCLISockets(_ s: CLISession) -> CLIReply {
        var out = "# socket lvl processes\n"
        for (name, level) in cliSocketNames.withLock({ $0 }) { out += "\(name) \(level.name) all\n" }
        return .dump(out)
    }

    func showEnv(_ name: String) -> CLIReply {
        var out = ""
        var p = environ
        while let entry = p.pointee {
            let line = String(cString: entry)
            if name.isEmpty { out += line + "\n" }
            else if line.hasPrefix(name + "=") { return .dump(line + "\n") }
            p += 1
        }
        return name.isEmpty ? .dump(out) : .error("Variable not found\n")
    }
}

/// C strings in fixed buffers (inet_ntop, gethostname) as Swift strings.
enum CText {
    static func string(_ buf: [CChar]) -> String {
        String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
